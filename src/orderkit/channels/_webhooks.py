"""Webhook verification and de-duplication (MISSION C1).

A verifier checks the headers against the raw body bytes, before anything parses the
body, and returns a :class:`~orderkit.channels.VerifiedEvent`; deliveries are
at-least-once, so a :class:`WebhookDeduplicator` lets each event through once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from attrs import field, frozen

from orderkit.channels._signing import check_window, same_digest
from orderkit.channels._types import VerifiedEvent
from orderkit.clock import Clock, SystemClock
from orderkit.errors import ConfigError, InvalidChannelInput, SignatureMismatch

__all__ = ["DoudianPushVerifier", "ShopifyWebhookVerifier", "WebhookDeduplicator"]


def _lowered(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _required(channel: str, headers: dict[str, str], name: str) -> str:
    value = headers.get(name.lower())
    if value is None:
        raise SignatureMismatch(channel, f"missing header {name}")
    return value


def _raw(body: object) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, bytearray | memoryview):
        return bytes(body)
    raise InvalidChannelInput(
        f"a webhook verifies over the raw body bytes, got {type(body).__name__}: "
        "read the request body before any parsing"
    )


def body_digest(body: bytes) -> str:
    """The event id of a delivery the platform sends without one: SHA-256 hex of the body."""
    return hashlib.sha256(body).hexdigest()


@frozen
class ShopifyWebhookVerifier:
    """Verifies Shopify webhooks: ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of
    the raw body, keyed with the app's client secret.

    The event id is ``X-Shopify-Event-Id`` (the same for every delivery of one event),
    else ``X-Shopify-Webhook-Id``, else the body's SHA-256; the topic is
    ``X-Shopify-Topic``, ``sent_at`` is ``X-Shopify-Triggered-At`` in UTC (an unreadable
    one is refused). Shopify does not sign that timestamp, so ``max_age`` (off by
    default) only turns away late deliveries; the event id, through a
    :class:`WebhookDeduplicator`, is what stops a replay.

    >>> ShopifyWebhookVerifier("shpss_secret")
    ShopifyWebhookVerifier(max_age=None, max_ahead=datetime.timedelta(seconds=300))
    """

    secret: str = field(repr=False)
    max_age: timedelta | None = None
    max_ahead: timedelta = timedelta(minutes=5)
    channel: str = field(default="shopify", repr=False)
    _key: bytes = field(init=False, repr=False, eq=False)

    @_key.default
    def _encode_secret(self) -> bytes:
        return self.secret.encode()

    def sign(self, body: bytes) -> str:
        """The ``X-Shopify-Hmac-Sha256`` value for ``body``, e.g. to build test deliveries."""
        return base64.b64encode(hmac.digest(self._key, body, "sha256")).decode()

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> VerifiedEvent:
        """The verified event, or :class:`~orderkit.errors.SignatureMismatch`."""
        raw = _raw(body)
        lowered = _lowered(headers)
        given = _required(self.channel, lowered, "X-Shopify-Hmac-Sha256")
        if not same_digest(self.sign(raw), given.strip()):
            raise SignatureMismatch(self.channel, "digest differs")
        sent_at = self._sent_at(lowered)
        if self.max_age is not None:
            if sent_at is None:
                raise SignatureMismatch(self.channel, "missing header X-Shopify-Triggered-At")
            check_window(self.channel, sent_at, now, self.max_age, self.max_ahead)
        event_id = (
            lowered.get("x-shopify-event-id")
            or lowered.get("x-shopify-webhook-id")
            or body_digest(raw)
        )
        return VerifiedEvent(
            self.channel, event_id, lowered.get("x-shopify-topic", ""), raw, sent_at
        )

    def _sent_at(self, headers: dict[str, str]) -> datetime | None:
        text = headers.get("x-shopify-triggered-at")
        if text is None:
            return None
        try:
            sent_at = datetime.fromisoformat(text)
        except ValueError:
            sent_at = None
        if sent_at is None or sent_at.tzinfo is None:
            raise SignatureMismatch(self.channel, "X-Shopify-Triggered-At is not an ISO time")
        return sent_at.astimezone(UTC)


@frozen
class DoudianPushVerifier:
    """Verifies Doudian push messages: the ``app-id`` header must be this app's key, and
    ``event-sign`` the hex MD5 of app key + raw body + app secret.

    Doudian sends neither an event id nor a topic in the headers (each message in the
    body carries its ``tag`` and ``msg_id``), so the event id is the body's SHA-256 and
    the topic is empty; a redelivery repeats the same body.

    >>> DoudianPushVerifier("7000000000000000001", "doudian-secret")
    DoudianPushVerifier(app_key='7000000000000000001')
    """

    app_key: str
    secret: str = field(repr=False)
    channel: str = field(default="doudian", repr=False)
    _prefix: bytes = field(init=False, repr=False, eq=False)
    _suffix: bytes = field(init=False, repr=False, eq=False)

    @_prefix.default
    def _encode_app_key(self) -> bytes:
        return self.app_key.encode()

    @_suffix.default
    def _encode_secret(self) -> bytes:
        return self.secret.encode()

    def sign(self, body: bytes) -> str:
        """The ``event-sign`` value for ``body``, e.g. to build test deliveries."""
        return hashlib.md5(self._prefix + body + self._suffix).hexdigest()

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> VerifiedEvent:
        """The verified event, or :class:`~orderkit.errors.SignatureMismatch`.

        Doudian sends no timestamp, so ``now`` takes no part.
        """
        raw = _raw(body)
        lowered = _lowered(headers)
        if _required(self.channel, lowered, "app-id").strip() != self.app_key:
            raise SignatureMismatch(self.channel, "app-id header names another app")
        given = _required(self.channel, lowered, "event-sign")
        if not same_digest(self.sign(raw), given.strip().lower()):
            raise SignatureMismatch(self.channel, "digest differs")
        return VerifiedEvent(self.channel, body_digest(raw), "", raw)


class WebhookDeduplicator:
    """Lets each webhook event through once: remembers ``(channel, event_id)`` for ``ttl``.

    Memory is bounded: past ``max_events`` the oldest ids are forgotten first. The
    clock is injected. If handling an event fails, :meth:`release` it so the platform's
    redelivery is processed.

    >>> from datetime import UTC
    >>> from orderkit.testing import FakeClock
    >>> clock = FakeClock(datetime(2026, 11, 11, tzinfo=UTC))
    >>> seen = WebhookDeduplicator(clock, ttl=timedelta(hours=48))
    >>> event = VerifiedEvent("shopify", "evt-1", "orders/create", b"{}")
    >>> seen.claim(event), seen.claim(event)
    (True, False)
    >>> _ = clock.advance(timedelta(hours=48))
    >>> seen.claim(event)
    True
    """

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        ttl: timedelta = timedelta(hours=48),
        max_events: int = 100_000,
    ) -> None:
        if ttl <= timedelta(0):
            raise ConfigError(f"WebhookDeduplicator ttl must be positive, got {ttl}")
        if max_events < 1:
            raise ConfigError(f"WebhookDeduplicator max_events must be >= 1, got {max_events}")
        self._clock = clock or SystemClock()
        self.ttl = ttl
        self.max_events = max_events
        self._expiry: OrderedDict[tuple[str, str], datetime] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"WebhookDeduplicator(ttl={self.ttl!r}, max_events={self.max_events}, held={len(self)})"
        )

    def __len__(self) -> int:
        """How many event ids are remembered now."""
        return len(self._expiry)

    def claim(self, event: VerifiedEvent) -> bool:
        """``True`` the first time ``event`` is seen within ``ttl``, ``False`` for a repeat."""
        now = self._clock.now()
        key = (event.channel, event.event_id)
        with self._lock:
            while self._expiry and next(iter(self._expiry.values())) <= now:
                self._expiry.popitem(last=False)
            expires = self._expiry.get(key)
            if expires is not None and expires > now:
                return False
            self._expiry[key] = now + self.ttl
            self._expiry.move_to_end(key)
            if len(self._expiry) > self.max_events:
                self._expiry.popitem(last=False)
            return True

    def release(self, event: VerifiedEvent) -> None:
        """Forget ``event``, so its next delivery is claimed again."""
        with self._lock:
            self._expiry.pop((event.channel, event.event_id), None)
