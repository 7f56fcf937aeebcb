"""The adapter protocols: pure parts (signing, verifying, mapping) apart from I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import httpx

from orderkit.channels._signing import SignedRequest
from orderkit.channels._types import (
    ChannelOrder,
    Classification,
    OrderPage,
    PushResult,
    StockLevel,
    SyncCursor,
    TrackingUpdate,
    VerifiedEvent,
)

__all__ = ["AsyncChannelClient", "ChannelClient", "OrderMapper", "Signer", "WebhookVerifier"]


@runtime_checkable
class Signer(Protocol):
    """Signs API requests: a pure function of the parameters, body, secret and time.

    The signer holds the app's key and secret; the caller passes the time in.
    """

    @property
    def channel(self) -> str:
        """The channel whose requests this signs (``taobao``, ``pinduoduo``, ``doudian``)."""
        ...

    def sign(self, params: Mapping[str, str], body: bytes = b"") -> str:
        """The signature over ``params`` exactly as sent (timestamp included) and ``body``."""
        ...

    def signed_request(
        self,
        api: str,
        params: Mapping[str, object],
        at: datetime,
        access_token: str | None = None,
    ) -> SignedRequest:
        """Everything to send for one call of ``api`` at ``at``, signature included."""
        ...


@runtime_checkable
class WebhookVerifier(Protocol):
    """Checks a webhook's headers against its raw body bytes, before anything parses it."""

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> VerifiedEvent:
        """The verified event, or :class:`~orderkit.errors.SignatureMismatch`.

        Compares in constant time, and refuses a timestamp outside the replay window
        where the platform sends one.
        """
        ...


@runtime_checkable
class OrderMapper(Protocol):
    """Turns one platform order payload into a canonical order; nothing defaults silently."""

    channel: str

    def map(self, payload: Mapping[str, Any]) -> ChannelOrder:
        """The order, or :class:`~orderkit.errors.MappingFailed` listing every problem."""
        ...


@runtime_checkable
class ChannelClient(Protocol):
    """A channel's API over an ``httpx.Client`` the host owns."""

    @property
    def channel(self) -> str:
        """The channel's name, as in :class:`~orderkit.order.ChannelRef`."""
        ...

    @property
    def http(self) -> httpx.Client:
        """The host's client, which the host configures and closes."""
        ...

    def fetch_orders(self, cursor: SyncCursor) -> OrderPage:
        """The page of orders at ``cursor`` and the cursor after it."""
        ...

    def fetch_order(self, external_id: str) -> ChannelOrder:
        """One order by the channel's own id."""
        ...

    def push_tracking(self, update: TrackingUpdate) -> PushResult:
        """Tell the channel a package shipped (MISSION C4); "already shipped" is success."""
        ...

    def push_stock(self, levels: Sequence[StockLevel]) -> PushResult:
        """Publish sellable quantities (MISSION I2)."""
        ...

    def classify(self, failure: httpx.Response | httpx.HTTPError) -> Classification:
        """How to react to a failed call: transient, rate-limited, auth expired, permanent."""
        ...


@runtime_checkable
class AsyncChannelClient(Protocol):
    """:class:`ChannelClient` over an ``httpx.AsyncClient``."""

    @property
    def channel(self) -> str:
        """The channel's name, as in :class:`~orderkit.order.ChannelRef`."""
        ...

    @property
    def http(self) -> httpx.AsyncClient:
        """The host's client, which the host configures and closes."""
        ...

    async def fetch_orders(self, cursor: SyncCursor) -> OrderPage:
        """The page of orders at ``cursor`` and the cursor after it."""
        ...

    async def fetch_order(self, external_id: str) -> ChannelOrder:
        """One order by the channel's own id."""
        ...

    async def push_tracking(self, update: TrackingUpdate) -> PushResult:
        """Tell the channel a package shipped (MISSION C4); "already shipped" is success."""
        ...

    async def push_stock(self, levels: Sequence[StockLevel]) -> PushResult:
        """Publish sellable quantities (MISSION I2)."""
        ...

    def classify(self, failure: httpx.Response | httpx.HTTPError) -> Classification:
        """How to react to a failed call: transient, rate-limited, auth expired, permanent."""
        ...
