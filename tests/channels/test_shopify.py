"""The Shopify adapter: documented payloads, requests, paging, tracking, stock, errors, webhooks.

MISSION C1 (reference adapter), C2 (exact mapping), C3 (classification), C4 (tracking
push), I2 (stock push).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import hmac
import json
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from orderkit.channels._adapter import AsyncChannel, Channel, pages
from orderkit.channels._types import (
    ErrorKind,
    PushResult,
    PushStatus,
    StockLevel,
    SyncCursor,
    TrackingUpdate,
)
from orderkit.channels.shopify import STATUS_PATH, ShopifyConfig, ShopifyOrderMapper
from orderkit.errors import (
    ChannelRequestFailed,
    ConfigError,
    InvalidChannelInput,
    MappingFailed,
    SignatureMismatch,
)
from orderkit.lifecycle import OrderState
from orderkit.money import Money
from orderkit.order import ChannelRef
from tests.channels.shopify_fakes import (
    BASE,
    SECRET,
    TOKEN,
    adapter,
    answer,
    cancelled_order,
    error,
    example_order,
    five_line_order,
    legacy_order,
    load,
    orders_api,
)

MAPPER = ShopifyOrderMapper()
SHIPPED = TrackingUpdate(ChannelRef(channel="shopify", external_id="450789469"), "1Z999", "UPS")
FINANCIAL = [
    "pending",
    "authorized",
    "partially_paid",
    "paid",
    "partially_refunded",
    "refunded",
    "voided",
    "expired",
]
FULFILLMENT = [None, "partial", "fulfilled", "restocked"]


def usd(amount: str) -> Money:
    return Money(amount, "USD")


# --- mapping (C1, C2) ---------------------------------------------------------------


def test_the_documented_order_maps_to_its_own_totals() -> None:
    """C2: #1001 comes to Shopify's total_price, subtotal, discounts and tax, to the cent."""
    payload = example_order()
    mapped = MAPPER.map(payload)
    order = mapped.order
    assert order.total == usd(payload["total_price"]) == usd("598.94")
    assert order.subtotal == usd(payload["subtotal_price"])
    assert order.discount_total == usd(payload["total_discounts"])
    assert order.tax_total == usd(payload["total_tax"])
    assert order.shipping_fee == usd("0.00")
    assert order.created_at == datetime(2008, 1, 10, 16, tzinfo=UTC)
    assert (order.order_id, order.channel.key) == ("#1001", "shopify:450789469")
    assert (mapped.state, mapped.raw_status) == (OrderState.PAID, "partially_refunded/unfulfilled")
    assert [line.sku for line in order.lines] == ["IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"]
    assert order.shipping_address is not None
    assert (order.shipping_address.country, order.shipping_address.phone) == ("US", "+15024592181")
    assert order.metadata == {"source_name": "web", "financial_status": "partially_refunded"}


def test_the_legacy_shape_spreads_the_order_tax_over_the_lines() -> None:
    """C2: the older shape has tax only on the order; 11.94 spreads as 3.98 per line.

    That fixture disagrees with itself: its three 199.00 lines make 597.00 but its
    ``total_line_items_price`` says 398.00 (and ``total_price`` 409.94), so the mapped
    order is checked against its lines and ``total_tax``, which agree.
    """
    payload = legacy_order()
    order = MAPPER.map(payload).order
    assert [line.tax for line in order.lines] == [usd("3.98")] * 3
    assert order.tax_total == usd(payload["total_tax"])
    assert order.subtotal == usd("597.00")
    assert order.total == order.subtotal + usd(payload["total_tax"])
    assert MAPPER.map(payload).state is OrderState.PENDING_PAYMENT


def test_a_five_line_order_keeps_every_amount() -> None:
    """C2: five lines, a discounted shipping line: 674.94 exactly, partly shipped."""
    payload = five_line_order()
    mapped = MAPPER.map(payload)
    assert mapped.order.total == usd(payload["total_price"])
    assert mapped.order.shipping_fee == usd("5.00")
    assert len(mapped.order.lines) == 5
    assert (mapped.state, mapped.raw_status) == (OrderState.SHIPPED, "paid/partial")


def test_tax_included_prices_carry_no_tax_on_top() -> None:
    """C2: with ``taxes_included`` the tax is inside the prices; cancelled wins the status."""
    mapped = MAPPER.map(cancelled_order())
    assert mapped.order.tax_total == usd("0.00")
    assert mapped.order.total == usd(cancelled_order()["total_price"])
    assert (mapped.state, mapped.raw_status) == (OrderState.CANCELLED, "refunded/cancelled")


def test_an_unknown_status_fails_with_its_path_and_value() -> None:
    payload = example_order() | {"financial_status": "mystery"}
    with pytest.raises(MappingFailed) as caught:
        MAPPER.map(payload)
    [problem] = caught.value.problems
    assert (problem.path, problem.raw) == (STATUS_PATH, "mystery/unfulfilled")
    assert "unknown status 'mystery/unfulfilled'" in problem.message


def test_a_missing_status_and_a_missing_sku_are_both_named() -> None:
    payload = copy.deepcopy(example_order())
    del payload["financial_status"]
    payload["line_items"][1]["sku"] = None
    with pytest.raises(MappingFailed) as caught:
        MAPPER.map(payload)
    paths = {problem.path for problem in caught.value.problems}
    assert paths == {"financial_status", "line_items[1].sku", STATUS_PATH}


def test_a_broken_list_item_is_named_down_to_its_field() -> None:
    """C2: a tax line without price, a discount without amount: each path ends at the field."""
    payload = copy.deepcopy(example_order())
    del payload["line_items"][0]["tax_lines"][0]["price"]
    payload["line_items"][2]["discount_allocations"][0]["amount"] = None
    payload["shipping_lines"][0]["discounted_price"] = None
    with pytest.raises(MappingFailed) as caught:
        MAPPER.map(payload)
    assert [problem.path for problem in caught.value.problems] == [
        "shipping_lines[0].discounted_price",
        "line_items[0].tax_lines[0].price",
        "line_items[2].discount_allocations[0].amount",
    ]


@given(
    financial=st.sampled_from(FINANCIAL),
    fulfillment=st.sampled_from(FULFILLMENT),
    cancelled=st.booleans(),
)
def test_every_documented_status_pair_has_a_state(
    financial: str, fulfillment: str | None, cancelled: bool
) -> None:
    """C1: each documented financial x fulfillment status (or cancellation) maps."""
    payload = example_order() | {
        "financial_status": financial,
        "fulfillment_status": fulfillment,
        "cancelled_at": "2008-01-11T10:00:00-05:00" if cancelled else None,
    }
    mapped = MAPPER.map(payload)
    assert (mapped.state is OrderState.CANCELLED) == (cancelled or financial == "voided")


@given(
    cents=st.lists(st.integers(1, 10**6), min_size=1, max_size=6),
    tax_cents=st.integers(0, 10**5),
)
def test_an_order_level_tax_spreads_exactly(cents: list[int], tax_cents: int) -> None:
    """C2: the lines' shares of an order-level tax add up to it, to the cent."""
    payload = legacy_order()
    line = payload["line_items"][0]
    payload["line_items"] = [
        line | {"id": i + 1, "price": str(Decimal(c) / 100)} for i, c in enumerate(cents)
    ]
    payload["tax_lines"] = [{"price": str(Decimal(tax_cents) / 100), "title": "State Tax"}]
    order = MAPPER.map(payload).order
    assert order.tax_total == Money.from_minor(tax_cents, "USD")


# --- requests and paging (C1) -------------------------------------------------------

CURSOR = SyncCursor.start(
    "shopify", datetime(2008, 1, 10, 12, tzinfo=UTC), datetime(2008, 1, 12, tzinfo=UTC)
)


def answered(
    exchange: Generator[httpx.Request, httpx.Response, Any], *answers: httpx.Response
) -> tuple[list[httpx.Request], Any]:
    """Run an exchange on canned answers: the requests it made and its result."""
    sent = [next(exchange)]
    try:
        for answer in answers:
            sent.append(exchange.send(answer))
    except StopIteration as done:
        return sent, done.value
    raise AssertionError(f"still waiting after {len(sent)} requests")


def test_the_first_page_asks_for_the_window_with_the_token() -> None:
    link = f'<{BASE}/orders.json?limit=250&page_info=abc123>; rel="next"'
    orders = answer(200, {"orders": [example_order()]}, Link=link)
    shop = adapter(window=timedelta(hours=6))
    [request], page = answered(shop.fetch_orders(CURSOR), orders)
    assert (request.method, str(request.url.copy_with(query=None))) == (
        "GET",
        f"{BASE}/orders.json",
    )
    assert dict(request.url.params) == {
        "status": "any",
        "updated_at_min": "2008-01-10T12:00:00+00:00",
        "updated_at_max": "2008-01-10T18:00:00+00:00",
        "limit": "250",
    }
    assert request.headers["X-Shopify-Access-Token"] == TOKEN
    assert [o.order.order_id for o in page.orders] == ["#1001"]
    assert page.cursor == CURSOR.model_copy(update={"page": "abc123"})


def test_a_next_page_sends_only_limit_and_page_info() -> None:
    shop = adapter(page_size=50)
    cursor = CURSOR.model_copy(update={"page": "abc123"})
    [request], page = answered(shop.fetch_orders(cursor), httpx.Response(200, json={"orders": []}))
    assert dict(request.url.params) == {"limit": "50", "page_info": "abc123"}
    assert page.cursor is not None
    assert (page.cursor.page, page.cursor.since) == (None, datetime(2008, 1, 10, 18, tzinfo=UTC))


def test_pages_walk_every_window_and_page_once() -> None:
    """C1: three orders in 12-hour windows, one a page: each comes once, in order."""
    payloads = [example_order(), five_line_order(), cancelled_order()]
    shop = adapter(page_size=1, window=timedelta(hours=12))
    with httpx.Client(transport=orders_api(payloads)) as http:
        found = list(pages(Channel(shop, http), CURSOR))
    ids = [o.order.order_id for page in found for o in page.orders]
    assert ids == ["#1001", "#1003", "#1002"]
    assert found[-1].cursor is None
    assert [len(page.orders) for page in found] == [1, 1, 1, 0]  # the first window: 2 pages


def test_the_async_channel_fetches_the_same_page() -> None:
    payloads = [example_order(), five_line_order()]

    async def first_page() -> list[str]:
        async with httpx.AsyncClient(transport=orders_api(payloads)) as http:
            shop = adapter(window=timedelta(hours=12))
            page = await AsyncChannel(shop, http).fetch_orders(CURSOR)
        return [o.order.order_id for o in page.orders]

    assert asyncio.run(first_page()) == ["#1001", "#1003"]


def test_one_order_is_fetched_by_its_numeric_id() -> None:
    body = answer(200, {"order": example_order()})
    [request], mapped = answered(adapter().fetch_order("450789469"), body)
    assert str(request.url) == f"{BASE}/orders/450789469.json"
    assert mapped.order.channel.external_id == "450789469"
    with pytest.raises(InvalidChannelInput, match="is a number"):
        next(adapter().fetch_order("../shop"))


def test_a_200_without_orders_is_transient() -> None:
    with pytest.raises(ChannelRequestFailed) as caught:
        answered(adapter().fetch_orders(CURSOR), httpx.Response(200, text="<html>"))
    assert caught.value.kind == "transient"


# --- tracking (C4) ------------------------------------------------------------------


def fulfillment_orders(*closed: int) -> httpx.Response:
    body = load("shopify_fulfillment_orders.json")
    for index in closed:
        body["fulfillment_orders"][index]["status"] = "closed"
    return answer(200, body)


def test_tracking_fulfils_the_open_fulfillment_orders() -> None:
    """C4: GET the fulfillment orders, then POST one fulfillment of the open one."""
    created = httpx.Response(201, json={"fulfillment": {"id": 255858046, "status": "success"}})
    requests, result = answered(adapter().push_tracking(SHIPPED), fulfillment_orders(), created)
    assert [(r.method, str(r.url)) for r in requests] == [
        ("GET", f"{BASE}/orders/450789469/fulfillment_orders.json"),
        ("POST", f"{BASE}/fulfillments.json"),
    ]
    assert json.loads(requests[1].content) == {
        "fulfillment": {
            "line_items_by_fulfillment_order": [{"fulfillment_order_id": 1046000812}],
            "tracking_info": {"number": "1Z999", "company": "UPS"},
            "notify_customer": False,
        }
    }
    assert result == PushResult("shopify:450789469:1Z999", PushStatus.PUSHED, 1)


def test_tracking_named_lines_fulfils_only_them() -> None:
    update = SHIPPED._replace(line_ids=("518995019",))
    created = httpx.Response(201, json={"fulfillment": {"id": 1}})
    requests, _ = answered(
        adapter(notify_customer=True).push_tracking(update), fulfillment_orders(), created
    )
    fulfillment = json.loads(requests[1].content)["fulfillment"]
    assert fulfillment["line_items_by_fulfillment_order"] == [
        {
            "fulfillment_order_id": 1046000812,
            "fulfillment_order_line_items": [{"id": 1058737531, "quantity": 1}],
        }
    ]
    assert fulfillment["notify_customer"] is True


def test_nothing_open_is_already_done_without_a_post() -> None:
    """C4: every fulfillment order closed: already shipped, a success; nothing is posted."""
    requests, result = answered(adapter().push_tracking(SHIPPED), fulfillment_orders(0))
    assert len(requests) == 1
    assert result.status is PushStatus.ALREADY_DONE


def test_an_already_fulfilled_answer_is_already_done() -> None:
    refused = error(422, {"base": ["order is already fulfilled"]})
    _, result = answered(adapter().push_tracking(SHIPPED), fulfillment_orders(), refused)
    assert result.status is PushStatus.ALREADY_DONE


def test_a_busy_shop_fails_the_push_as_transient() -> None:
    answers = iter([fulfillment_orders(), error(503, "Service Unavailable")])
    transport = httpx.MockTransport(lambda request: next(answers))
    with httpx.Client(transport=transport) as http, pytest.raises(ChannelRequestFailed) as caught:
        Channel(adapter(), http).push_tracking(SHIPPED)
    assert (caught.value.kind, caught.value.status) == ("transient", 503)


def test_the_async_channel_pushes_tracking_in_two_requests() -> None:
    """C4: the same two-request exchange over an ``httpx.AsyncClient``."""
    answers = iter([fulfillment_orders(), answer(201, {"fulfillment": {"id": 1}})])
    seen: list[str] = []

    def shop(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        return next(answers)

    async def push() -> PushResult:
        async with httpx.AsyncClient(transport=httpx.MockTransport(shop)) as http:
            return await AsyncChannel(adapter(), http).push_tracking(SHIPPED)

    assert asyncio.run(push()).status is PushStatus.PUSHED
    assert seen == [
        "GET /admin/api/2025-01/orders/450789469/fulfillment_orders.json",
        "POST /admin/api/2025-01/fulfillments.json",
    ]


def test_another_channels_order_is_refused() -> None:
    update = SHIPPED._replace(channel=ChannelRef(channel="taobao", external_id="1"))
    with pytest.raises(InvalidChannelInput, match="not a Shopify one"):
        next(adapter().push_tracking(update))


# --- stock (I2) ---------------------------------------------------------------------

STOCK = {
    "inventory_items": {"IPOD2008GREEN": 39072856, "IPOD2008RED": 49148385},
    "locations": {"fifth-avenue": 487838322},
    "default_location": 24826418,
}


def test_stock_sets_each_level_at_its_location() -> None:
    levels = [StockLevel("IPOD2008GREEN", 7), StockLevel("IPOD2008RED", 0, "fifth-avenue")]
    ok = httpx.Response(200, json={"inventory_level": {}})
    requests, result = answered(adapter(**STOCK).push_stock(levels), ok, ok)
    assert {str(r.url) for r in requests} == {f"{BASE}/inventory_levels/set.json"}
    assert [json.loads(r.content) for r in requests] == [
        {"location_id": 24826418, "inventory_item_id": 39072856, "available": 7},
        {"location_id": 487838322, "inventory_item_id": 49148385, "available": 0},
    ]
    assert result.status is PushStatus.PUSHED


def test_an_unknown_sku_or_location_sends_nothing() -> None:
    """I2: every level is resolved before the first request; all gaps are named."""
    levels = [
        StockLevel("IPOD2008GREEN", 7),
        StockLevel("NO-SUCH-SKU", 1),
        StockLevel("IPOD2008RED", 2, "moon"),
    ]
    with pytest.raises(InvalidChannelInput) as caught:
        next(adapter(**STOCK).push_stock(levels))
    assert str(caught.value) == (
        "nothing sent: SKU 'NO-SUCH-SKU' has no inventory_item_id; "
        "location 'moon' has no location_id"
    )
    without_default = {**STOCK, "default_location": None}
    with pytest.raises(InvalidChannelInput, match="needs default_location"):
        next(adapter(**without_default).push_stock([StockLevel("IPOD2008GREEN", 1)]))


# --- classification (C3) ------------------------------------------------------------

FAILURES: list[tuple[httpx.Response, ErrorKind, float | None]] = [
    (
        error(429, "Exceeded 2 calls per second", **{"Retry-After": "2.0"}),
        ErrorKind.RATE_LIMITED,
        2.0,
    ),
    (
        error(429, "Exceeded", **{"X-Shopify-Shop-Api-Call-Limit": "40/40"}),
        ErrorKind.RATE_LIMITED,
        0.5,
    ),
    (error(401, "[API] Invalid API key or access token"), ErrorKind.AUTH_EXPIRED, None),
    (error(402, "Unavailable Shop"), ErrorKind.PERMANENT, None),
    (error(403, "[API] This action requires merchant approval"), ErrorKind.PERMANENT, None),
    (error(404, "Not Found"), ErrorKind.PERMANENT, None),
    (error(422, {"tracking_number": ["is invalid"]}), ErrorKind.PERMANENT, None),
    (error(423, "Locked"), ErrorKind.PERMANENT, None),
    (error(500, "Internal Server Error"), ErrorKind.TRANSIENT, None),
    (httpx.Response(502, text="<html>Bad Gateway</html>"), ErrorKind.TRANSIENT, None),
    (error(503, "Service Unavailable"), ErrorKind.TRANSIENT, None),
    (error(504, "Gateway Timeout"), ErrorKind.TRANSIENT, None),
]


@pytest.mark.parametrize(
    ("response", "kind", "wait"), FAILURES, ids=lambda v: str(getattr(v, "status_code", "")) or None
)
def test_each_documented_status_is_classified(
    response: httpx.Response, kind: ErrorKind, wait: float | None
) -> None:
    verdict = adapter().classify(response)
    assert verdict.kind is kind
    assert verdict.retry_after == (None if wait is None else timedelta(seconds=wait))


def test_the_reason_carries_the_errors_field() -> None:
    verdict = adapter().classify(error(422, {"tracking_number": ["is invalid", "is taken"]}))
    assert verdict.reason == "HTTP 422: tracking_number: is invalid, is taken"
    assert adapter().classify(httpx.ConnectTimeout("timed out")).kind is ErrorKind.TRANSIENT


# --- webhooks and config ------------------------------------------------------------


def shopify_hmac(body: bytes) -> str:
    """The documented recipe: base64 of HMAC-SHA256 over the raw body, keyed with the secret."""
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def test_a_signed_webhook_verifies_and_a_tampered_one_does_not() -> None:
    body = json.dumps(example_order(), default=str).encode()
    headers = {
        "X-Shopify-Hmac-Sha256": shopify_hmac(body),
        "X-Shopify-Topic": "orders/updated",
        "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
    }
    verifier = adapter().webhook_verifier()
    now = datetime(2026, 11, 11, tzinfo=UTC)
    event = verifier.verify(headers, body, now)
    assert (event.event_id, event.topic) == (
        "98880550-7158-44d4-b7cd-2c97c8a091b5",
        "orders/updated",
    )
    with pytest.raises(SignatureMismatch):
        verifier.verify(headers, body.replace(b"598.94", b"0.01"), now)


def test_config_hides_secrets_and_checks_its_values() -> None:
    shop = adapter()
    assert TOKEN not in repr(shop)
    assert SECRET not in repr(shop.config)
    with pytest.raises(ValidationError, match="page_size"):
        ShopifyConfig(shop="jsmith", access_token=TOKEN, page_size=251)
    with pytest.raises(ConfigError, match="client_secret"):
        adapter(client_secret=None).webhook_verifier()
    custom = ShopifyConfig(shop="jsmith", access_token=TOKEN, base_url="http://127.0.0.1:8080/")
    assert custom.api_base == "http://127.0.0.1:8080/admin/api/2025-01"
