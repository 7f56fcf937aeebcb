"""The values that pass between a channel adapter and its host."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, ValidationError

from orderkit.clock import UtcDateTime
from orderkit.errors import InvalidChannelInput
from orderkit.lifecycle import OrderState
from orderkit.order import ChannelRef, Order

__all__ = [
    "ChannelOrder",
    "Classification",
    "ErrorKind",
    "OrderPage",
    "PushResult",
    "PushStatus",
    "StockLevel",
    "SyncCursor",
    "TrackingUpdate",
    "VerifiedEvent",
]


class ErrorKind(StrEnum):
    """How a failed channel call should be handled."""

    TRANSIENT = "transient"
    """A timeout, a dropped connection or a 5xx: the same call may succeed later."""
    RATE_LIMITED = "rate_limited"
    """Too many calls: wait (at least ``retry_after``) and try again."""
    AUTH_EXPIRED = "auth_expired"
    """The access token expired: refresh it, then try again."""
    PERMANENT = "permanent"
    """A bad request, a missing order, a refused write: retrying cannot help."""


class Classification(NamedTuple):
    """A failed call's :class:`ErrorKind`, the wait the channel asked for, and why."""

    kind: ErrorKind
    retry_after: timedelta | None
    reason: str

    @property
    def retryable(self) -> bool:
        """Whether the same call may succeed later (transient or rate-limited)."""
        return self.kind in (ErrorKind.TRANSIENT, ErrorKind.RATE_LIMITED)


class VerifiedEvent(NamedTuple):
    """A webhook whose signature verified: parse ``body`` only now.

    ``event_id`` is the platform's id for de-duplicating at-least-once deliveries
    (Shopify's ``X-Shopify-Event-Id``), or a digest of the body when the platform sends
    none; ``sent_at`` is the platform's timestamp, when it sends one.
    """

    channel: str
    event_id: str
    topic: str
    body: bytes
    sent_at: datetime | None = None

    def json(self) -> Any:
        """The body parsed as JSON, decimals kept exact."""
        return json.loads(self.body, parse_float=Decimal)


class ChannelOrder(NamedTuple):
    """A mapped payload: the canonical order, its lifecycle state and the platform's status."""

    order: Order
    state: OrderState
    raw_status: str


class SyncCursor(BaseModel):
    """Where an incremental sync stands: opaque to the host, JSON to store between runs.

    ``since`` is the high-water mark (orders updated at or after it are still to come),
    ``until`` the sync's start, which caps it, and ``page`` the platform's token for the
    next page within the window (``None`` at a window's start). A cursor only advances
    after the page before it has been handed over.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: str
    since: UtcDateTime
    until: UtcDateTime
    page: str | None = None

    @classmethod
    def start(cls, channel: str, since: datetime, until: datetime) -> SyncCursor:
        """A sync of the orders updated from ``since`` up to ``until`` (usually now).

        >>> from datetime import UTC
        >>> cursor = SyncCursor.start("shopify", datetime(2026, 11, 11, tzinfo=UTC),
        ...                           datetime(2026, 11, 11, 3, tzinfo=UTC))
        >>> cursor.window(timedelta(hours=2))[1].hour
        2
        >>> cursor = cursor.after("page-2", timedelta(hours=2))
        >>> cursor.page, cursor.since.hour
        ('page-2', 0)
        >>> cursor = cursor.after(None, timedelta(hours=2))
        >>> cursor.page, cursor.since.hour
        (None, 2)
        >>> cursor.after(None, timedelta(hours=2)) is None
        True
        """
        if since >= until:
            raise InvalidChannelInput(f"a sync from {since} must start before {until}")
        return cls(channel=channel, since=since, until=until)

    def window(self, size: timedelta) -> tuple[datetime, datetime]:
        """The half-open window ``[since, end)`` this cursor fetches, ending by ``until``."""
        return self.since, min(self.since + size, self.until)

    def after(self, page: str | None, size: timedelta) -> SyncCursor | None:
        """The cursor after a page: the next page's token, else the next window, else ``None``.

        ``None`` means the sync has reached ``until``; start the next one from there.
        """
        if page is not None:
            return self.model_copy(update={"page": page})
        end = self.window(size)[1]
        if end >= self.until:
            return None
        return self.model_copy(update={"since": end, "page": None})

    def to_json(self) -> str:
        """The cursor as JSON text, to store."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> SyncCursor:
        """A cursor stored by :meth:`to_json`; anything else raises ``InvalidChannelInput``."""
        try:
            return cls.model_validate_json(text)
        except ValidationError as error:
            raise InvalidChannelInput(f"unreadable sync cursor: {error}") from None


class OrderPage(NamedTuple):
    """One page of an incremental fetch: the mapped orders and the cursor after them.

    ``cursor`` is ``None`` when the sync has caught up with its start time.
    """

    orders: tuple[ChannelOrder, ...]
    cursor: SyncCursor | None


class TrackingUpdate(NamedTuple):
    """A package shipped for an order that came from ``channel`` (MISSION C4)."""

    channel: ChannelRef
    tracking_number: str
    carrier: str
    line_ids: tuple[str, ...] = ()

    @property
    def dedup_key(self) -> str:
        """``channel:external_id:tracking_number``: one push per package per channel order."""
        return f"{self.channel.key}:{self.tracking_number}"


class PushStatus(StrEnum):
    """What became of a tracking or stock push."""

    PUSHED = "pushed"
    ALREADY_DONE = "already_done"
    """The channel answered that it already had it (e.g. "already shipped"): a success."""
    SKIPPED_DUPLICATE = "skipped_duplicate"
    """We pushed the same key before; nothing was sent."""
    FAILED = "failed"


class PushResult(NamedTuple):
    """The outcome of one push, with the attempts it took and the last error, if any."""

    key: str
    status: PushStatus
    attempts: int
    error: str | None = None


class StockLevel(NamedTuple):
    """The sellable quantity to publish for one SKU on a channel (MISSION I2)."""

    sku: str
    quantity: int
    location: str | None = None
