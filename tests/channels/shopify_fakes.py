"""Shopify payloads and a fake REST Admin API for the Shopify adapter tests (MISSION C1).

The orders are the documented example order 450789469 (``data/shopify_order_*.json``)
and two variants of it written here with their own totals: a five-line order with a
discounted shipping line, and a cancelled, refunded one with tax included in prices.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from orderkit.channels.shopify import ShopifyAdapter, ShopifyConfig

DATA = Path(__file__).parent / "data"
TOKEN = "shpat_test_7a1c0d"
SECRET = "shpss_test_93fe2b"
VERSION = "2025-01"
BASE = f"https://jsmith.myshopify.com/admin/api/{VERSION}"


def load(name: str) -> Any:
    """A data file, decimals exact."""
    return json.loads((DATA / name).read_text(), parse_float=Decimal)


def example_order() -> dict[str, Any]:
    """The documented example order #1001 (REST Admin API 2026-07 shape)."""
    order: dict[str, Any] = load("shopify_order_example.json")["response"]["order"]
    return order


def legacy_order() -> dict[str, Any]:
    """The same order in the older REST shape: tax only on the order."""
    order: dict[str, Any] = load("shopify_order_legacy.json")["response"]["order"]
    return order


def _line(
    base: Mapping[str, Any], line_id: int, sku: str, price: str, qty: int, **money: str
) -> Any:
    line = copy.deepcopy(dict(base))
    line.update(id=line_id, sku=sku, name=f"{sku} item", price=price, quantity=qty)
    line["discount_allocations"] = (
        [{"amount": money["discount"], "discount_application_index": 0}]
        if "discount" in money
        else []
    )
    line["tax_lines"] = [{"price": money["tax"], "rate": Decimal("0.06"), "title": "State Tax"}]
    return line


def five_line_order() -> dict[str, Any]:
    """#1003: five lines, paid and partly fulfilled, shipping 10.00 discounted to 5.00.

    665.48 of lines - 11.50 discounts + 15.96 tax + 5.00 shipping = 674.94.
    """
    order = example_order()
    first = order["line_items"][0]
    order.update(
        id=450789471,
        name="#1003",
        updated_at="2008-01-10T13:30:00-05:00",
        financial_status="paid",
        fulfillment_status="partial",
        total_price="674.94",
    )
    order["line_items"] = [
        _line(first, 466157049, "IPOD2008GREEN", "199.00", 1, discount="3.34", tax="3.98"),
        _line(first, 518995019, "IPOD2008RED", "199.00", 1, discount="3.33", tax="3.98"),
        _line(first, 703073504, "IPOD2008BLACK", "199.00", 1, discount="3.33", tax="3.98"),
        _line(first, 703073505, "CASE-CLEAR", "19.99", 2, tax="2.40"),
        _line(first, 703073506, "CABLE-USB", "9.50", 3, discount="1.50", tax="1.62"),
    ]
    order["shipping_lines"][0].update(price="10.00", discounted_price="5.00")
    return order


def cancelled_order() -> dict[str, Any]:
    """#1002: cancelled and refunded; prices include tax, so the total is 597.00 - 10.00."""
    order = example_order()
    order.update(
        id=450789470,
        name="#1002",
        updated_at="2008-01-10T20:15:00-05:00",
        cancelled_at="2008-01-10T20:15:00-05:00",
        financial_status="refunded",
        taxes_included=True,
        total_price="587.00",
    )
    return order


def error(status: int, errors: Any, **headers: str) -> httpx.Response:
    """A Shopify error answer: the message in the body's ``errors``."""
    return httpx.Response(status, json={"errors": errors}, headers=headers)


def answer(status: int, body: Any, **headers: str) -> httpx.Response:
    """A JSON answer whose body may hold exact decimals."""
    content = json.dumps(body, default=str).encode()
    return httpx.Response(
        status, content=content, headers={"Content-Type": "application/json", **headers}
    )


def adapter(**config: Any) -> ShopifyAdapter:
    """The adapter for shop ``jsmith`` with the test token and secret."""
    settings: dict[str, Any] = {
        "shop": "jsmith",
        "access_token": TOKEN,
        "client_secret": SECRET,
        "api_version": VERSION,
        **config,
    }
    return ShopifyAdapter(ShopifyConfig(**settings))


def _updated(payload: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(payload["updated_at"]))


def orders_api(payloads: Sequence[Mapping[str, Any]]) -> httpx.MockTransport:
    """``GET orders.json``: ``updated_at`` in ``[min, max]`` (both inclusive, as Shopify
    documents), ``limit`` a page, ``Link`` headers with an opaque ``page_info``; with
    ``page_info`` any parameter but ``limit`` is refused with a 400."""
    held: dict[str, tuple[list[Mapping[str, Any]], int]] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("X-Shopify-Access-Token") != TOKEN:
            return error(401, "[API] Invalid API key or access token")
        if str(request.url.copy_with(query=None)) != f"{BASE}/orders.json":
            return error(404, "Not Found")
        params = request.url.params
        limit = int(params["limit"])
        if "page_info" in params:
            if set(params) != {"limit", "page_info"}:
                return error(400, {"page_info": ["only limit may be sent with page_info"]})
            matching, offset = held[params["page_info"]]
        else:
            low, high = (
                datetime.fromisoformat(params[k]) for k in ("updated_at_min", "updated_at_max")
            )
            matching = sorted(
                (p for p in payloads if low <= _updated(p) <= high and params["status"] == "any"),
                key=_updated,
            )
            offset = 0
        links = []
        if offset:
            links.append(
                f'<{BASE}/orders.json?limit={limit}&page_info=back{offset}>; rel="previous"'
            )
        if offset + limit < len(matching):
            token = f"eyJwYWdlIjo{len(held)}"
            held[token] = (matching, offset + limit)
            links.append(f'<{BASE}/orders.json?limit={limit}&page_info={token}>; rel="next"')
        headers = {"X-Shopify-Shop-Api-Call-Limit": "3/40"}
        if links:
            headers["Link"] = ", ".join(links)
        return answer(200, {"orders": matching[offset : offset + limit]}, **headers)

    return httpx.MockTransport(handler)
