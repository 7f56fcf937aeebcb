"""The conformance kit run on the Douyin shop adapter (MISSION C1, C2, C3, C6, C7)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx

from orderkit.channels._adapter import Adapter
from orderkit.channels._protocols import WebhookVerifier
from orderkit.channels._types import ErrorKind
from orderkit.money import Money
from orderkit.testing.channels import AdapterContract
from tests.channels.douyin_fakes import (
    APP_KEY,
    SECRET,
    TOKEN,
    adapter,
    answer,
    orders,
    pii,
)
from tests.channels.douyin_fakes import orders_api as fake_orders_api


class TestDouyin(AdapterContract):
    """Doudian passes the whole kit; its pushes carry no timestamp to check."""

    stale_after: ClassVar[timedelta | None] = None

    def make_adapter(self) -> Adapter:
        shop: Adapter = adapter(page_size=2)
        return shop

    def order_payloads(self) -> Sequence[Mapping[str, Any]]:
        return orders()

    def platform_total(self, payload: Mapping[str, Any]) -> Money:
        return Money.from_minor(payload["pay_amount"], "CNY")

    def orders_api(self, payloads: Sequence[Mapping[str, Any]]) -> httpx.MockTransport:
        return fake_orders_api(payloads)

    def make_verifier(self) -> WebhookVerifier | None:
        verifier: WebhookVerifier = adapter().webhook_verifier()
        return verifier

    def sign_webhook(self, body: bytes, at: datetime) -> Mapping[str, str]:
        return {"app-id": APP_KEY, "event-sign": adapter().webhook_verifier().sign(body)}

    def failures(self) -> Sequence[tuple[httpx.Response, ErrorKind]]:
        return [
            (answer(error="rate_limited"), ErrorKind.RATE_LIMITED),
            (answer(error="token_expired"), ErrorKind.AUTH_EXPIRED),
            (answer(error="token_replaced"), ErrorKind.AUTH_EXPIRED),
            (answer(error="service_busy"), ErrorKind.TRANSIENT),
            (answer(error="internal_timeout"), ErrorKind.TRANSIENT),
            (answer(error="page_too_large"), ErrorKind.PERMANENT),
            (answer(error="no_permission"), ErrorKind.PERMANENT),
            (httpx.Response(502, text="<html>Bad Gateway</html>"), ErrorKind.TRANSIENT),
        ]

    def pii(self, payload: Mapping[str, Any]) -> Sequence[str]:
        return pii(payload)

    def secrets(self) -> Sequence[str]:
        return [TOKEN, SECRET]
