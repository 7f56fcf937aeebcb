"""The Douyin shop (Doudian) adapter: mapping, signed requests, paging, pushes, errors.

MISSION C1 (a channel), C2 (its field map), C3 (error classification for the retry
tiers), C4 (tracking pushed back), C6 (encrypted receiver data kept masked), I2 (stock).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit.channels._adapter import AsyncChannel, Channel, pages
from orderkit.channels._pii import mask_order
from orderkit.channels._types import (
    ErrorKind,
    PushStatus,
    StockLevel,
    SyncCursor,
    TrackingUpdate,
    VerifiedEvent,
)
from orderkit.channels._webhooks import WebhookDeduplicator
from orderkit.channels.douyin import DouyinConfig, douyin_mapper, push_messages
from orderkit.errors import (
    ChannelRequestFailed,
    InvalidChannelInput,
    MappingFailed,
    SignatureMismatch,
)
from orderkit.lifecycle import OrderState
from orderkit.money import Money
from orderkit.order import ChannelRef
from orderkit.testing import FakeClock
from tests.channels.douyin_fakes import (
    APP_KEY,
    NOW,
    NOW_GMT8,
    SECRET,
    TOKEN,
    adapter,
    answer,
    check_signed,
    orders,
    orders_api,
    recording,
)

CNY = "CNY"
SHIPPED = ChannelRef(channel="douyin", external_id="6920000000000000001")


def sync(transport: httpx.MockTransport, **config: Any) -> Channel:
    return Channel(adapter(**config), httpx.Client(transport=transport))


# --- mapping (C2) -------------------------------------------------------------------


def test_a_paid_order_maps_with_money_exact_and_times_in_utc() -> None:
    """Fen become yuan exactly, the total is the platform's pay_amount, GMT+8 times UTC."""
    payload = orders()[0]
    mapped = douyin_mapper().map(payload)
    order = mapped.order
    assert order.order_id == order.channel.external_id == "6920000000000000001"
    assert order.created_at == datetime(2026, 11, 10, 16, 0, 5, tzinfo=UTC)
    assert order.total == Money.from_minor(payload["pay_amount"], CNY) == Money("270.00", CNY)
    first = order.lines[0]
    assert (first.line_id, first.sku, first.quantity) == ("6920000000000000011", "TEA-LJ-250", 2)
    assert (first.unit_price, first.discount) == (Money("128.00", CNY), Money("20.00", CNY))
    assert mapped.state is OrderState.PAID
    assert mapped.raw_status == "2"
    (payment,) = order.payments
    assert (payment.method, payment.amount) == ("wechat", Money("270.00", CNY))
    assert payment.paid_at == datetime(2026, 11, 10, 16, 0, 30, tzinfo=UTC)
    address = order.shipping_address
    assert address is not None
    assert (address.province, address.city, address.district) == ("浙江省", "杭州市", "西湖区")


def test_shipping_fee_and_unpaid_orders() -> None:
    """post_amount is the shipping fee; an unpaid order (no payment number) has no payment."""
    shipped, unpaid = (douyin_mapper().map(p) for p in orders()[1:])
    assert shipped.order.shipping_fee == Money("8.00", CNY)
    assert shipped.order.total == Money("185.00", CNY)
    assert shipped.state is OrderState.SHIPPED
    assert unpaid.order.payments == ()
    assert unpaid.state is OrderState.PENDING_PAYMENT
    assert unpaid.order.note == "请周末送货"


def test_the_receiver_is_masked_in_logs() -> None:
    """C6: the encrypted receiver fields never show in a masked order."""
    payload = orders()[0]
    text = repr(mask_order(douyin_mapper().map(payload).order))
    for value in (payload["post_receiver"], payload["post_tel"], payload["post_addr"]["detail"]):
        assert value not in text


def test_an_unknown_status_fails_with_its_path_and_value() -> None:
    payload = orders()[0]
    payload["order_status"] = 999
    with pytest.raises(MappingFailed) as failed:
        douyin_mapper().map(payload)
    (problem,) = failed.value.problems
    assert (problem.path, problem.raw) == ("order_status", "999")


def test_a_bad_line_names_its_item() -> None:
    payload = orders()[0]
    del payload["sku_order_list"][1]["item_num"]
    with pytest.raises(MappingFailed) as failed:
        douyin_mapper().map(payload)
    assert [p.path for p in failed.value.problems] == ["sku_order_list[1].item_num"]


lines = st.lists(
    st.tuples(
        st.integers(1, 10**7), st.integers(1, 50), st.integers(0, 100)
    ),  # unit fen, quantity, promotion percent of the line
    min_size=1,
    max_size=5,
)


@given(lines, st.integers(0, 10**5))
def test_the_total_is_pay_amount_for_any_amounts(
    items: list[tuple[int, int, int]], post: int
) -> None:
    """Whatever the prices, quantities and promotions, the mapped total is pay_amount."""
    payload = orders()[0]
    template = payload["sku_order_list"][0]
    skus = []
    for i, (price, quantity, percent) in enumerate(items):
        promotion = price * quantity * percent // 100
        skus.append(
            {
                **template,
                "order_id": f"69200000000000001{i}",
                "origin_amount": price,
                "item_num": quantity,
                "promotion_amount": promotion,
            }
        )
    payload["sku_order_list"] = skus
    payload["post_amount"] = post
    paid = sum(s["origin_amount"] * s["item_num"] - s["promotion_amount"] for s in skus) + post
    payload["pay_amount"] = paid
    order = douyin_mapper().map(payload).order
    assert order.total == Money.from_minor(paid, CNY)


# --- requests and paging (C1) -------------------------------------------------------


def test_search_is_a_signed_post_of_the_window() -> None:
    """Path, common parameters, GMT+8 timestamp, sorted param_json and the documented sign."""
    transport, seen = recording(lambda request: answer({"total": 0, "shop_order_list": []}))
    cursor = SyncCursor.start("douyin", NOW - timedelta(hours=3), NOW)
    page = sync(transport, window=timedelta(hours=1)).fetch_orders(cursor)
    (request,) = seen
    business = check_signed(request)
    assert str(request.url).startswith("https://openapi-fxg.jinritemai.com/order/searchList?")
    assert request.url.params["timestamp"] == NOW_GMT8
    assert request.url.params["app_key"] == APP_KEY
    start = int((NOW - timedelta(hours=3)).timestamp())
    assert business == {
        "order_asc": True,
        "order_by": "update_time",
        "page": 0,
        "size": 100,
        "update_time_end": start + 3599,
        "update_time_start": start,
    }
    assert request.content == json.dumps(business, sort_keys=True, separators=(",", ":")).encode()
    assert page.orders == ()
    assert page.cursor is not None
    assert page.cursor.since == NOW - timedelta(hours=2)


def test_pages_walk_every_window_and_page() -> None:
    """pages() resumes from the last update time inside a window, then the next window."""
    payloads = orders()
    first = datetime.fromtimestamp(payloads[0]["update_time"], UTC)
    cursor = SyncCursor.start("douyin", first, first + timedelta(days=1))
    client = sync(orders_api(payloads), page_size=1, window=timedelta(hours=12))
    walked = list(pages(client, cursor))
    ids = [o.order.channel.external_id for page in walked for o in page.orders]
    assert ids == ["6920000000000000001", "6920000000000000003", "6920000000000000002"]
    tokens = [page.cursor.page if page.cursor else None for page in walked]
    assert tokens == [
        "1794326500/0/6920000000000000001",
        "1794326500/1/6920000000000000001",
        None,
        None,
    ]
    assert walked[2].cursor is not None
    assert walked[2].cursor.since == first + timedelta(hours=12)


def test_an_order_updated_during_the_sync_shifts_no_other_order_out() -> None:
    """Resuming from the last update time, not an offset, loses no order when an order
    already handed over is updated (and so leaves the window) between two pages."""
    payloads = orders()
    for second, payload in enumerate(payloads):
        payload["update_time"] = 1794326500 + second
    api = orders_api(payloads)

    def update_after_first_page(request: httpx.Request) -> httpx.Response:
        response = api.handle_request(request)
        payloads[0]["update_time"] = 1794399999
        return response

    start = datetime.fromtimestamp(1794326500, UTC)
    cursor = SyncCursor.start("douyin", start, start + timedelta(hours=1))
    client = sync(httpx.MockTransport(update_after_first_page), page_size=1)
    walked = list(pages(client, cursor))
    ids = [o.order.channel.external_id for page in walked for o in page.orders]
    assert ids == [p["order_id"] for p in payloads]
    tokens = [page.cursor.page if page.cursor else None for page in walked]
    assert tokens == [
        "1794326500/0/6920000000000000001",
        "1794326501/0/6920000000000000002",
        "1794326501/1/6920000000000000002",
        None,
    ]


@given(st.lists(st.integers(0, 4), min_size=1, max_size=10), st.integers(1, 4))
def test_any_update_times_and_page_sizes_give_each_order_once(
    offsets: list[int], size: int
) -> None:
    """Many orders in one second, pages of any size: each order comes exactly once."""
    template = orders()[0]
    payloads = [
        {**template, "order_id": f"692000000000{i:07d}", "update_time": 1794326500 + offset}
        for i, offset in enumerate(offsets)
    ]
    start = datetime.fromtimestamp(1794326500, UTC)
    cursor = SyncCursor.start("douyin", start, start + timedelta(minutes=1))
    walked = list(pages(sync(orders_api(payloads), page_size=size), cursor))
    ids = [o.order.channel.external_id for page in walked for o in page.orders]
    assert sorted(ids) == sorted(p["order_id"] for p in payloads)


def test_a_foreign_page_token_is_refused() -> None:
    transport, seen = recording(lambda request: answer())
    cursor = SyncCursor.start("douyin", NOW - timedelta(hours=1), NOW).model_copy(
        update={"page": "page_info=abc"}
    )
    with pytest.raises(InvalidChannelInput, match="page token"):
        sync(transport).fetch_orders(cursor)
    assert seen == []


def test_a_window_without_a_whole_second_sends_nothing() -> None:
    transport, seen = recording(lambda request: answer())
    since = NOW - timedelta(microseconds=500)
    page = sync(transport).fetch_orders(SyncCursor.start("douyin", since, NOW))
    assert seen == []
    assert page == ((), None)


def test_the_async_channel_fetches_the_same_page() -> None:
    payloads = orders()
    cursor = SyncCursor.start("douyin", NOW - timedelta(days=1), NOW + timedelta(days=1))

    async def fetch() -> Any:
        async with httpx.AsyncClient(transport=orders_api(payloads)) as http:
            return await AsyncChannel(adapter(window=timedelta(days=2)), http).fetch_orders(cursor)

    expected = sync(orders_api(payloads), window=timedelta(days=2)).fetch_orders(cursor)
    assert asyncio.run(fetch()) == expected
    assert len(expected.orders) == 3


def test_fetch_order_asks_order_detail() -> None:
    payload = orders()[0]
    transport, seen = recording(lambda request: answer({"shop_order_detail": payload}))
    mapped = sync(transport).fetch_order("6920000000000000001")
    assert check_signed(seen[0]) == {"shop_order_id": "6920000000000000001"}
    assert seen[0].url.path == "/order/orderDetail"
    assert mapped.order.channel == SHIPPED


def test_an_order_id_must_be_a_number() -> None:
    transport, seen = recording(lambda request: answer())
    with pytest.raises(InvalidChannelInput, match="number"):
        sync(transport).fetch_order("../token/refresh")
    assert seen == []


@pytest.mark.parametrize(
    "data", [{"total": 3}, {"total": "3", "shop_order_list": []}, {"shop_order_list": []}]
)
def test_a_success_without_the_list_and_total_is_transient(data: dict[str, Any]) -> None:
    transport, _ = recording(lambda request: answer(data))
    with pytest.raises(ChannelRequestFailed) as failed:
        sync(transport).fetch_orders(SyncCursor.start("douyin", NOW - timedelta(hours=1), NOW))
    assert failed.value.kind == "transient"


def test_a_null_list_is_an_empty_page() -> None:
    transport, _ = recording(lambda request: answer({"total": 0, "shop_order_list": None}))
    cursor = SyncCursor.start("douyin", NOW - timedelta(hours=1), NOW)
    assert sync(transport).fetch_orders(cursor) == ((), None)


# --- tracking and stock (C4, I2) ----------------------------------------------------


UPDATE = TrackingUpdate(SHIPPED, "SF1400000000001", "shunfeng")


def test_tracking_is_logistics_add() -> None:
    transport, seen = recording(lambda request: answer())
    result = sync(transport).push_tracking(UPDATE)
    assert seen[0].url.path == "/order/logisticsAdd"
    assert check_signed(seen[0]) == {
        "company_code": "shunfeng",
        "logistics_code": "SF1400000000001",
        "order_id": "6920000000000000001",
    }
    assert result == (UPDATE.dedup_key, PushStatus.PUSHED, 1, None)


def test_already_shipped_is_already_done() -> None:
    transport, _ = recording(lambda request: answer(error="already_shipped"))
    assert sync(transport).push_tracking(UPDATE).status is PushStatus.ALREADY_DONE


@pytest.mark.parametrize(
    ("error", "kind"), [("service_busy", "transient"), ("order_cancelled", "permanent")]
)
def test_a_failed_push_raises_classified(error: str, kind: str) -> None:
    transport, _ = recording(lambda request: answer(error=error))
    with pytest.raises(ChannelRequestFailed) as failed:
        sync(transport).push_tracking(UPDATE)
    assert failed.value.kind == kind


def test_tracking_refuses_lines_and_other_channels() -> None:
    transport, seen = recording(lambda request: answer())
    with pytest.raises(InvalidChannelInput, match="whole orders"):
        sync(transport).push_tracking(UPDATE._replace(line_ids=("6920000000000000011",)))
    other = UPDATE._replace(channel=ChannelRef(channel="shopify", external_id="450789469"))
    with pytest.raises(InvalidChannelInput, match="not a Douyin one"):
        sync(transport).push_tracking(other)
    assert seen == []


def test_stock_is_sync_stock_absolute() -> None:
    transport, seen = recording(lambda request: answer())
    levels = [StockLevel("TEA-LJ-250", 40), StockLevel("CUP-GL-01", 0, "WH-HZ")]
    result = sync(transport, sku_ids={"CUP-GL-01": 1790000000012}).push_stock(levels)
    assert [check_signed(r) for r in seen] == [
        {"code": "TEA-LJ-250", "incremental": False, "stock_num": 40},
        {
            "incremental": False,
            "out_warehouse_id": "WH-HZ",
            "sku_id": 1790000000012,
            "stock_num": 0,
        },
    ]
    assert {r.url.path for r in seen} == {"/sku/syncStock"}
    assert result.status is PushStatus.PUSHED


def test_a_negative_level_sends_nothing() -> None:
    transport, seen = recording(lambda request: answer())
    with pytest.raises(InvalidChannelInput, match="nothing sent"):
        sync(transport).push_stock([StockLevel("TEA-LJ-250", 4), StockLevel("CUP-GL-01", -1)])
    assert seen == []


# --- classification (C3) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ("rate_limited", ErrorKind.RATE_LIMITED),
        ("token_expired", ErrorKind.AUTH_EXPIRED),
        ("token_replaced", ErrorKind.AUTH_EXPIRED),
        ("service_busy", ErrorKind.TRANSIENT),
        ("internal_timeout", ErrorKind.TRANSIENT),
        ("other_error", ErrorKind.TRANSIENT),
        ("page_too_large", ErrorKind.PERMANENT),
        ("no_permission", ErrorKind.PERMANENT),
        ("signature_invalid", ErrorKind.PERMANENT),
        ("already_shipped", ErrorKind.PERMANENT),
        ("order_cancelled", ErrorKind.PERMANENT),
    ],
)
def test_each_documented_code_is_classified(error: str, kind: ErrorKind) -> None:
    verdict = adapter().classify(answer(error=error))
    assert verdict.kind is kind
    assert verdict.reason.startswith("HTTP 200, platform code")


def test_transport_failures_and_bodies_without_an_envelope() -> None:
    shop = adapter()
    assert shop.classify(httpx.ConnectTimeout("timed out")).kind is ErrorKind.TRANSIENT
    assert shop.classify(httpx.Response(200, text="<html>")).kind is ErrorKind.TRANSIENT
    assert shop.classify(httpx.Response(404, text="not found")).kind is ErrorKind.PERMANENT


# --- push messages and secrets ------------------------------------------------------


PUSH = json.dumps(
    [
        {"tag": "100", "msg_id": "7410000000000000001", "data": '{"p_id":6920000000000000001}'},
        {"tag": "101", "msg_id": "7410000000000000002", "data": '{"p_id":6920000000000000001}'},
    ]
).encode()


def test_a_signed_push_verifies_and_splits_by_message_id() -> None:
    verifier = adapter().webhook_verifier()
    event = verifier.verify({"app-id": APP_KEY, "event-sign": verifier.sign(PUSH)}, PUSH, NOW)
    messages = push_messages(event)
    assert [(m.event_id, m.topic) for m in messages] == [
        ("7410000000000000001", "100"),
        ("7410000000000000002", "101"),
    ]
    seen = WebhookDeduplicator(FakeClock(NOW))
    assert [seen.claim(m) for m in (*messages, *push_messages(event))] == [True, True, False, False]


def test_a_tampered_push_is_refused() -> None:
    verifier = adapter().webhook_verifier()
    headers = {"app-id": APP_KEY, "event-sign": verifier.sign(PUSH)}
    with pytest.raises(SignatureMismatch):
        verifier.verify(headers, PUSH.replace(b"100", b"105"), NOW)


def test_a_push_that_is_not_a_message_list_is_refused() -> None:
    with pytest.raises(InvalidChannelInput, match="msg_id"):
        push_messages(VerifiedEvent("douyin", "x", "", b'{"tag": "100"}'))


def test_secrets_stay_out_of_reprs() -> None:
    text = repr(adapter()) + repr(
        DouyinConfig(app_key=APP_KEY, app_secret=SECRET, access_token=TOKEN)
    )
    assert SECRET not in text
    assert TOKEN not in text
