"""The conformance kit run on the Shopify adapter (MISSION C1, C2, C3, C6, C7)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from orderkit.channels._adapter import Adapter
from orderkit.channels._protocols import WebhookVerifier
from orderkit.channels._types import ErrorKind
from orderkit.money import Money
from orderkit.testing.channels import AdapterContract
from tests.channels.shopify_fakes import (
    SECRET,
    TOKEN,
    adapter,
    cancelled_order,
    error,
    example_order,
    five_line_order,
    orders_api,
)
from tests.channels.test_shopify import shopify_hmac


class TestShopify(AdapterContract):
    """Shopify passes the whole kit; deliveries older than 30 minutes are turned away."""

    def make_adapter(self) -> Adapter:
        shop: Adapter = adapter(page_size=2)
        return shop

    def order_payloads(self) -> Sequence[Mapping[str, Any]]:
        return [example_order(), five_line_order(), cancelled_order()]

    def platform_total(self, payload: Mapping[str, Any]) -> Money:
        return Money(payload["total_price"], payload["currency"])

    def orders_api(self, payloads: Sequence[Mapping[str, Any]]) -> httpx.MockTransport:
        return orders_api(payloads)

    def make_verifier(self) -> WebhookVerifier | None:
        verifier: WebhookVerifier = adapter().webhook_verifier(max_age=timedelta(minutes=30))
        return verifier

    def sign_webhook(self, body: bytes, at: datetime) -> Mapping[str, str]:
        return {
            "X-Shopify-Hmac-Sha256": shopify_hmac(body),
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Triggered-At": at.isoformat(),
            "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
        }

    def failures(self) -> Sequence[tuple[httpx.Response, ErrorKind]]:
        return [
            (
                error(429, "Exceeded 2 calls per second", **{"Retry-After": "2.0"}),
                ErrorKind.RATE_LIMITED,
            ),
            (error(401, "[API] Invalid API key or access token"), ErrorKind.AUTH_EXPIRED),
            (error(402, "Unavailable Shop"), ErrorKind.PERMANENT),
            (error(404, "Not Found"), ErrorKind.PERMANENT),
            (error(503, "Service Unavailable"), ErrorKind.TRANSIENT),
            (httpx.Response(502, text="<html>Bad Gateway</html>"), ErrorKind.TRANSIENT),
        ]

    def pii(self, payload: Mapping[str, Any]) -> Sequence[str]:
        address = payload["shipping_address"]
        return [
            address["name"],
            address["address1"],
            address["phone"],
            payload["customer"]["phone"],
        ]

    def secrets(self) -> Sequence[str]:
        return [TOKEN, SECRET]
