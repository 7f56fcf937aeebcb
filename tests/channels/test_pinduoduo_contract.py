"""The conformance kit run on the Pinduoduo adapter (MISSION C1, C2, C3, C6, C7).

Pinduoduo has no signed webhooks (its messages come over its own push channel), so the
kit's webhook checks are skipped. The raw PII of a Pinduoduo order is its encrypted
receiver fields: none of it may reach an order, an error or a log.
"""

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
from tests.channels.router_fakes import (
    PDD_SECRET,
    PDD_TOKEN,
    answer,
    errors,
    gmt8,
    pdd_adapter,
    pdd_orders,
    pdd_router,
)


class TestPinduoduo(AdapterContract):
    """Pinduoduo passes the kit over 30-minute windows, one order a page."""

    def make_adapter(self) -> Adapter:
        adapter: Adapter = pdd_adapter(page_size=1)
        return adapter

    def order_payloads(self) -> Sequence[Mapping[str, Any]]:
        return pdd_orders()

    def platform_total(self, payload: Mapping[str, Any]) -> Money:
        return Money(payload["pay_amount"], "CNY")

    def orders_api(self, payloads: Sequence[Mapping[str, Any]]) -> httpx.MockTransport:
        return pdd_router(payloads).transport()

    def sync_span(self) -> tuple[datetime, datetime]:
        """The API filters on ``updated_at``: from the first update to an hour past the last."""
        updated = [gmt8(order["updated_at"]) for order in pdd_orders()]
        return min(updated), max(updated) + timedelta(hours=1)

    def make_verifier(self) -> WebhookVerifier | None:
        return None

    def failures(self) -> Sequence[tuple[httpx.Response, ErrorKind]]:
        documented = [
            (answer(case["body"]), ErrorKind(case["kind"]))
            for case in errors("pinduoduo_errors.json")
        ]
        gateway = (httpx.Response(503, text="Service Unavailable"), ErrorKind.TRANSIENT)
        return [*documented, gateway]

    def pii(self, payload: Mapping[str, Any]) -> Sequence[str]:
        return [payload["receiver_name"], payload["receiver_phone"], payload["address"]]

    def secrets(self) -> Sequence[str]:
        return [PDD_SECRET, PDD_TOKEN]
