"""A complete adapter for "minishop", a small fictional channel (MISSION C1, C2, C3, C7).

docs/writing-an-adapter.md builds it step by step; tests/channels/test_contract_toy.py runs
the conformance kit on it. Run it: ``python examples/channel_adapter.py``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Generator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from attrs import field, frozen

from orderkit import channels as ch
from orderkit.errors import SignatureMismatch

CHANNEL = "minishop"

# 1. Mapping: which payload path feeds which canonical field (C2); prices are in fen.
FEN, PHONE = {"convert": "minor_units"}, {"convert": "phone"}
FIELD_MAP = ch.FieldMap.load({
    "channel": CHANNEL,
    "order": {
        "order_id": {"path": "number"}, "external_id": {"path": "id"},
        "created_at": {"path": "created"}, "currency": {"path": "currency"},
        "shipping_fee": {"path": "shipping_fen", **FEN},
        "customer": {"name": {"path": "buyer.name"}, "phone": {"path": "buyer.phone", **PHONE}},
        "shipping_address": {
            "country": {"path": "ship_to.country"}, "province": {"path": "ship_to.province"},
            "city": {"path": "ship_to.city"}, "street": {"path": "ship_to.street"},
            "recipient": {"path": "ship_to.name"}, "phone": {"path": "ship_to.phone", **PHONE},
        },
    },
    "lines": {"path": "items", "fields": {
        "line_id": {"path": "id"}, "sku": {"path": "sku"}, "quantity": {"path": "qty"},
        "title": {"path": "title", "default": ""}, "unit_price": {"path": "price_fen", **FEN},
        "discount": {"path": "discount_fen", "default": 0, **FEN},
    }},
    "status": {"path": "status", "table": {"unpaid": "pending_payment", "paid": "paid",
                                           "shipped": "shipped", "cancelled": "cancelled"}},
})  # fmt: skip
MAPPER = ch.FieldMapper(FIELD_MAP)


# 2. Webhooks: a hex HMAC-SHA256 of "timestamp.body", refused outside a replay window.
@frozen
class MinishopWebhooks:
    """Signs and verifies minishop webhooks; refuses timestamps outside ``max_age``."""

    secret: str = field(repr=False)
    max_age: timedelta = timedelta(minutes=5)

    def sign(self, body: bytes, at: datetime) -> dict[str, str]:
        """The headers minishop sends with ``body`` at ``at``."""
        stamp = str(int(at.timestamp()))
        digest = hmac.new(self.secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
        return {"X-Minishop-Timestamp": stamp, "X-Minishop-Signature": digest.hexdigest()}

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> ch.VerifiedEvent:
        """The verified event, or ``SignatureMismatch`` saying why not."""
        given = {name.lower(): value for name, value in headers.items()}
        stamp, signature = given.get("x-minishop-timestamp", ""), given.get("x-minishop-signature")
        if not stamp.isdigit() or signature is None:
            raise SignatureMismatch(CHANNEL, "missing or unreadable signature headers")
        sent_at = datetime.fromtimestamp(int(stamp), UTC)
        if not hmac.compare_digest(self.sign(body, sent_at)["X-Minishop-Signature"], signature):
            raise SignatureMismatch(CHANNEL, "digest differs")
        if abs(now - sent_at) > self.max_age:
            raise SignatureMismatch(CHANNEL, f"sent {sent_at}, window {self.max_age}")
        event_id = given.get("x-minishop-event-id") or hashlib.sha256(body).hexdigest()
        return ch.VerifiedEvent(CHANNEL, event_id, given.get("x-minishop-topic", ""), body, sent_at)


# 3. Errors: minishop's codes; HTTP statuses and transport errors are classified generically.
CODES = {"rate_limited": ch.ErrorKind.RATE_LIMITED, "token_expired": ch.ErrorKind.AUTH_EXPIRED,
         "busy": ch.ErrorKind.TRANSIENT}  # fmt: skip


def error_code(response: httpx.Response) -> str | None:
    """The code in minishop's ``{"error": {"code": ...}}`` body, if the body has one."""
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


# 4. The API as an Adapter: generators of requests, no client and no I/O (C1, C3).
@frozen
class Minishop:
    """Minishop's order API as a sans-I/O adapter: drive it with ``Channel(adapter, http)``."""

    token: str = field(repr=False)
    base_url: str = "https://api.minishop.example"
    window: timedelta = timedelta(hours=6)
    channel: str = CHANNEL
    mapper: ch.FieldMapper = MAPPER

    def _call(
        self, method: str, path: str, params: dict[str, str] | None = None, json: Any = None
    ) -> Generator[httpx.Request, httpx.Response, Any]:
        auth = {"Authorization": f"Bearer {self.token}"}
        url = self.base_url + path
        response = yield httpx.Request(method, url, params=params, json=json, headers=auth)
        if response.is_success or error_code(response) == "already_shipped":
            return response.json()
        raise ch.request_failed(self.channel, response, self.classify)

    def fetch_orders(self, cursor: ch.SyncCursor) -> ch.Exchange[ch.OrderPage]:
        start, end = cursor.window(self.window)
        query = {"updated_from": start.isoformat(), "updated_to": end.isoformat()}
        body = yield from self._call("GET", "/orders", {**query, "next": cursor.page or ""})
        orders = tuple(self.mapper.map(raw) for raw in body["orders"])
        return ch.OrderPage(orders, cursor.after(body.get("next"), self.window))

    def fetch_order(self, external_id: str) -> ch.Exchange[ch.ChannelOrder]:
        body = yield from self._call("GET", f"/orders/{external_id}")
        return self.mapper.map(body["order"])

    def push_tracking(self, update: ch.TrackingUpdate) -> ch.Exchange[ch.PushResult]:
        """Report a shipment; minishop's ``already_shipped`` answer is a success (C4)."""
        path = f"/orders/{update.channel.external_id}/shipments"
        shipment = {"tracking_number": update.tracking_number, "carrier": update.carrier}
        body = yield from self._call("POST", path, json=shipment)
        status = ch.PushStatus.ALREADY_DONE if "error" in body else ch.PushStatus.PUSHED
        return ch.PushResult(update.dedup_key, status, 1)

    def push_stock(self, levels: Sequence[ch.StockLevel]) -> ch.Exchange[ch.PushResult]:
        yield from self._call("PUT", "/stock", json=[[lv.sku, lv.quantity] for lv in levels])
        return ch.PushResult("stock", ch.PushStatus.PUSHED, 1)

    def classify(self, failure: httpx.Response | httpx.HTTPError) -> ch.Classification:
        """Minishop's error code where the body has one, else the HTTP status."""
        if isinstance(failure, httpx.HTTPError):
            return ch.classify_error(failure)
        return ch.classify_response(failure, code=error_code(failure), codes=CODES)


if __name__ == "__main__":
    hooks, now, body = MinishopWebhooks("whsec_demo"), datetime.now(UTC), b'{"id": "9001"}'
    print("verified event", hooks.verify(hooks.sign(body, now), body, now).event_id[:12])
    busy = httpx.Response(503, json={"error": {"code": "busy", "message": "try later"}})
    print(Minishop("token").classify(busy))
