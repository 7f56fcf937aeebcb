"""The conformance kit run on the Taobao/Tmall TOP adapter (MISSION C1, C2, C3, C6, C7).

TOP has no signed webhooks (its messages come over TMC), so the kit's webhook checks
are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from orderkit.channels._adapter import Adapter
from orderkit.channels._protocols import WebhookVerifier
from orderkit.channels._types import ErrorKind
from orderkit.money import Money
from orderkit.testing.channels import AdapterContract
from tests.channels.router_fakes import (
    TOP_SECRET,
    TOP_SESSION,
    answer,
    errors,
    top_adapter,
    top_router,
    top_trades,
)


class TestTaobao(AdapterContract):
    """TOP passes the kit; one trade a page, so windows with two trades read backwards."""

    def make_adapter(self) -> Adapter:
        adapter: Adapter = top_adapter(page_size=1)
        return adapter

    def order_payloads(self) -> Sequence[Mapping[str, Any]]:
        return top_trades()

    def platform_total(self, payload: Mapping[str, Any]) -> Money:
        return Money(payload["payment"], "CNY")

    def orders_api(self, payloads: Sequence[Mapping[str, Any]]) -> httpx.MockTransport:
        return top_router(payloads).transport()

    def make_verifier(self) -> WebhookVerifier | None:
        return None

    def failures(self) -> Sequence[tuple[httpx.Response, ErrorKind]]:
        documented = [
            (answer(case["body"]), ErrorKind(case["kind"])) for case in errors("taobao_errors.json")
        ]
        return [
            *documented,
            (httpx.Response(502, text="<html>Bad Gateway</html>"), ErrorKind.TRANSIENT),
        ]

    def pii(self, payload: Mapping[str, Any]) -> Sequence[str]:
        return [payload["receiver_name"], payload["receiver_address"], payload["receiver_mobile"]]

    def secrets(self) -> Sequence[str]:
        return [TOP_SECRET, TOP_SESSION]
