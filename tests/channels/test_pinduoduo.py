"""The Pinduoduo adapter: orders, signed requests, paging, tracking, stock, errors.

MISSION C1 (reference adapter), C2 (exact mapping, GMT+8 times, encrypted receivers
kept masked), C3 (classification), C4 (tracking push), I2 (stock push).
"""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from orderkit.channels._adapter import AsyncChannel, Channel, pages
from orderkit.channels._types import ErrorKind, PushStatus, StockLevel, SyncCursor, TrackingUpdate
from orderkit.channels.pinduoduo import (
    STATUS_PATH,
    ListingSku,
    PinduoduoConfig,
    PinduoduoOrderMapper,
    pinduoduo_field_map,
)
from orderkit.errors import ChannelRequestFailed, InvalidChannelInput, MappingFailed
from orderkit.lifecycle import OrderState
from orderkit.money import Money
from orderkit.order import ChannelRef
from tests.channels.router_fakes import (
    NOW,
    PDD_SECRET,
    PDD_TOKEN,
    answer,
    errors,
    gmt8,
    load,
    pdd_adapter,
    pdd_orders,
    pdd_router,
    pdd_sign,
)

MAPPER = PinduoduoOrderMapper()
ORDER_SN = "261111-512345678901234"
SHIPPED = TrackingUpdate(ChannelRef(channel="pinduoduo", external_id=ORDER_SN), "YT75", "圆通")
SENT = answer({"logistics_online_send_response": {"is_success": True}})
REFUSED = answer(
    {
        "error_response": {
            "error_code": 50001,
            "error_msg": "业务服务错误",
            "sub_code": "50001",
            "sub_msg": "订单状态不允许发货",
            "request_id": "17628633317591241",
        }
    }
)


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def order_info(order: dict[str, Any]) -> httpx.Response:
    return answer({"order_info_get_response": {"order_info": order}})


def with_status(order_status: int) -> dict[str, Any]:
    return {**pdd_orders()[0], "order_status": order_status}


# --- mapping (C1, C2) ---------------------------------------------------------------


@pytest.mark.parametrize("order", pdd_orders(), ids=lambda o: o["order_sn"])
def test_an_order_totals_exactly_its_pay_amount(order: dict[str, Any]) -> None:
    """MISSION C2: goods less discount_amount plus postage is ``pay_amount``, to the fen."""
    mapped = MAPPER.map(order).order
    assert mapped.total == cny(str(order["pay_amount"]))
    assert mapped.discount_total == cny(str(order["discount_amount"]))
    assert mapped.shipping_fee == cny(str(order["postage"]))


def test_the_first_order_maps_field_by_field() -> None:
    mapped = MAPPER.map(pdd_orders()[0])
    order = mapped.order
    assert mapped.state is OrderState.PAID
    assert mapped.raw_status == "1/1"
    assert order.channel == ChannelRef(channel="pinduoduo", external_id=ORDER_SN)
    assert order.created_at == datetime(2026, 11, 10, 16, 0, 8, tzinfo=UTC)
    (line,) = order.lines
    assert (line.line_id, line.sku, line.quantity) == ("1234567890123", "TEA-PUER-357", 2)
    assert line.unit_price == cny("89.90")
    (payment,) = order.payments
    assert (payment.method, payment.amount) == ("wechat", cny("159.80"))
    assert payment.paid_at == datetime(2026, 11, 10, 16, 0, 15, tzinfo=UTC)
    assert order.metadata["platform_discount"] == "5.0"


def test_receivers_stay_masked_and_ciphertext_never_lands_in_the_order() -> None:
    """The encrypted name, phone and street are not decoded nor copied; the masks are."""
    payload = pdd_orders()[0]
    order = MAPPER.map(payload).order
    address = order.shipping_address
    assert address is not None
    assert (address.province, address.city, address.district) == ("浙江", "杭州", "西湖区")
    assert (address.recipient, address.phone, address.street) == (
        "王*",
        "138****5678",
        "文三路**号",
    )
    text = order.model_dump_json()
    for encrypted in ("receiver_name", "receiver_phone", "address", "receiver_address"):
        assert payload[encrypted] not in text


def test_a_line_without_an_outer_id_falls_back_to_the_goods_code() -> None:
    skus = [line.sku for line in MAPPER.map(pdd_orders()[1]).order.lines]
    assert skus == ["BOARD-L", "SPATULA"]


@pytest.mark.parametrize(("key", "state"), sorted(pinduoduo_field_map().status.table.items()))
def test_every_status_pair_goes_through_the_table(key: str, state: OrderState) -> None:
    order_status, refund_status = key.split("/")
    payload = {
        **pdd_orders()[0],
        "order_status": int(order_status),
        "refund_status": int(refund_status),
    }
    assert MAPPER.map(payload).state is state


def test_an_unknown_status_fails_naming_its_path_and_value() -> None:
    with pytest.raises(MappingFailed) as failed:
        MAPPER.map(with_status(9))
    (problem,) = failed.value.problems
    assert (problem.path, problem.raw) == (STATUS_PATH, "9/1")


def test_the_documented_example_fails_on_its_placeholder_times() -> None:
    """The documented response example carries ``"1"`` for every time: each is named."""
    example = load("pinduoduo_order_list_get_example.json")
    (order,) = example["response"]["order_list_get_response"]["order_list"]
    with pytest.raises(MappingFailed) as failed:
        MAPPER.map(order)
    found = {(problem.path, problem.raw) for problem in failed.value.problems}
    assert found == {("created_time", "1"), ("pay_time", "1"), ("pay_type", "1")}


def test_a_missing_price_is_named_down_to_the_line() -> None:
    order = copy.deepcopy(pdd_orders()[1])
    del order["item_list"][1]["goods_price"]
    with pytest.raises(MappingFailed) as failed:
        MAPPER.map(order)
    assert [p.path for p in failed.value.problems] == ["item_list[1].goods_price"]


def test_paying_more_than_goods_and_postage_is_refused() -> None:
    order = {**pdd_orders()[0], "pay_amount": Decimal("200.00")}
    with pytest.raises(MappingFailed) as failed:
        MAPPER.map(order)
    (problem,) = failed.value.problems
    assert problem.path == "pay_amount"


@given(
    items=st.lists(st.tuples(st.integers(1, 99_999), st.integers(1, 9)), min_size=1, max_size=5),
    postage=st.integers(0, 2_000),
    percent=st.integers(0, 100),
)
def test_any_consistent_order_totals_its_pay_amount(
    items: list[tuple[int, int]], postage: int, percent: int
) -> None:
    """MISSION C2: whatever the discounts, the total is ``pay_amount`` exactly."""
    goods = sum(price * count for price, count in items)
    paid = goods - goods * percent // 100 + postage
    order = {
        **pdd_orders()[0],
        "item_list": [
            {"sku_id": 100 + i, "goods_price": Decimal(price) / 100, "goods_count": count}
            for i, (price, count) in enumerate(items)
        ],
        "postage": Decimal(postage) / 100,
        "pay_amount": Decimal(paid) / 100,
    }
    assert MAPPER.map(order).order.total == Money.from_minor(paid, "CNY")


# --- requests, signing, paging (C1) -------------------------------------------------


def test_fetching_signs_the_documented_system_parameters() -> None:
    """Each call is a form POST whose MD5 sign the documented recipe reproduces."""
    router = pdd_router(pdd_orders())
    start = SyncCursor.start("pinduoduo", gmt8("2026-11-11 00:00:00"), gmt8("2026-11-11 00:30:00"))
    with httpx.Client(transport=router.transport()) as http:
        page = Channel(pdd_adapter(), http).fetch_orders(start)
    (call,) = router.calls
    assert call["type"] == "pdd.order.number.list.increment.get"
    assert call["sign"] == pdd_sign(call, PDD_SECRET)
    start_at = int(gmt8("2026-11-11 00:00:00").timestamp())
    assert (call["start_updated_at"], call["end_updated_at"]) == (
        str(start_at),
        str(start_at + 1799),
    )
    assert (call["order_status"], call["refund_status"], call["is_lucky_flag"]) == ("5", "5", "0")
    assert (call["page"], call["page_size"]) == ("1", "100")
    assert [o.order.channel.external_id for o in page.orders] == [ORDER_SN]
    assert page.cursor is None


def test_pages_are_read_from_the_last_back_to_the_first() -> None:
    """Two orders updated in one window at one a page: count, page 2, then page 1."""
    orders = pdd_orders()
    orders[1]["updated_at"] = "2026-11-11 00:20:00"
    router = pdd_router(orders)
    start = SyncCursor.start("pinduoduo", gmt8("2026-11-11 00:00:00"), gmt8("2026-11-11 01:00:00"))
    with httpx.Client(transport=router.transport()) as http:
        found = list(pages(Channel(pdd_adapter(page_size=1), http), start))
    assert [call["page"] for call in router.calls] == ["1", "2", "1", "1"]
    ids = [[o.order.channel.external_id for o in page.orders] for page in found]
    assert ids == [[], [ORDER_SN], ["261111-512345678905678"], []]


def test_a_cursor_whose_page_is_no_number_is_refused() -> None:
    start = SyncCursor.start("pinduoduo", NOW - timedelta(minutes=10), NOW)
    with pytest.raises(InvalidChannelInput, match="page token"):
        next(pdd_adapter().fetch_orders(start.after("next", timedelta(minutes=30)) or start))


def test_a_window_is_at_most_30_minutes() -> None:
    with pytest.raises(ValidationError):
        PinduoduoConfig(
            client_id="c", client_secret="s", access_token="t", window=timedelta(hours=1)
        )


def test_secrets_stay_out_of_reprs() -> None:
    text = repr(pdd_adapter())
    assert PDD_SECRET not in text
    assert PDD_TOKEN not in text


def test_one_order_is_fetched_sync_and_async() -> None:
    router = pdd_router([], pdd_order_information_get=order_info(pdd_orders()[2]))
    with httpx.Client(transport=router.transport()) as http:
        mapped = Channel(pdd_adapter(), http).fetch_order("261110-512345678909999")

    async def fetch() -> Any:
        async with httpx.AsyncClient(transport=router.transport()) as http:
            return await AsyncChannel(pdd_adapter(), http).fetch_order("261110-512345678909999")

    assert asyncio.run(fetch()) == mapped
    assert mapped.state is OrderState.CLOSED
    assert [call["order_sn"] for call in router.calls] == ["261110-512345678909999"] * 2


def test_an_order_sn_must_look_like_one() -> None:
    with pytest.raises(InvalidChannelInput, match="order_sn"):
        next(pdd_adapter().fetch_order("1"))


# --- tracking (C4) and stock (I2) ---------------------------------------------------


def test_tracking_is_sent_with_the_carriers_logistics_id() -> None:
    router = pdd_router([], pdd_logistics_online_send=SENT)
    with httpx.Client(transport=router.transport()) as http:
        result = Channel(pdd_adapter(carriers={"圆通": 85}), http).push_tracking(SHIPPED)
    assert result.status is PushStatus.PUSHED
    (call,) = router.calls
    assert (call["order_sn"], call["logistics_id"], call["tracking_number"]) == (
        ORDER_SN,
        "85",
        "YT75",
    )


def test_a_carrier_without_a_logistics_id_sends_nothing() -> None:
    with pytest.raises(InvalidChannelInput, match="logistics_id"):
        next(pdd_adapter().push_tracking(SHIPPED))


def test_a_refused_send_for_a_shipped_order_is_already_done() -> None:
    """No dedicated "already shipped" code: the refusal is checked against the order."""
    router = pdd_router(
        [], pdd_logistics_online_send=REFUSED, pdd_order_information_get=order_info(with_status(2))
    )
    with httpx.Client(transport=router.transport()) as http:
        result = Channel(pdd_adapter(), http).push_tracking(SHIPPED._replace(carrier="85"))
    assert result.status is PushStatus.ALREADY_DONE
    assert router.apis() == ["pdd.logistics.online.send", "pdd.order.information.get"]


def test_a_refused_send_for_an_unshipped_order_stays_a_failure() -> None:
    router = pdd_router(
        [], pdd_logistics_online_send=REFUSED, pdd_order_information_get=order_info(with_status(1))
    )
    with (
        httpx.Client(transport=router.transport()) as http,
        pytest.raises(ChannelRequestFailed) as failed,
    ):
        Channel(pdd_adapter(), http).push_tracking(SHIPPED._replace(carrier="85"))
    assert failed.value.kind == "permanent"
    assert failed.value.code == "50001"


def test_a_busy_platform_is_transient_and_not_checked_against_the_order() -> None:
    busy = answer({"error_response": {"error_code": 50000, "error_msg": "系统内部错误"}})
    router = pdd_router([], pdd_logistics_online_send=busy)
    with (
        httpx.Client(transport=router.transport()) as http,
        pytest.raises(ChannelRequestFailed) as failed,
    ):
        Channel(pdd_adapter(), http).push_tracking(SHIPPED._replace(carrier="85"))
    assert failed.value.kind == "transient"
    assert router.apis() == ["pdd.logistics.online.send"]


def test_stock_sets_full_quantities_by_sku_id_or_outer_id() -> None:
    updated = answer({"goods_quantity_update_response": {"is_success": True}})
    router = pdd_router([], pdd_goods_quantity_update=updated)
    listings = {
        "TEA-PUER-357": ListingSku(item_id=312345678, sku_id=1234567890123),
        "BOARD-L": ListingSku(item_id=312345690, outer_id="BOARD-L"),
    }
    with httpx.Client(transport=router.transport()) as http:
        Channel(pdd_adapter(listings=listings), http).push_stock(
            [StockLevel("TEA-PUER-357", 12), StockLevel("BOARD-L", 3)]
        )
    keys = ("goods_id", "sku_id", "outer_id", "quantity", "update_type")
    assert [tuple(call.get(k) for k in keys) for call in router.calls] == [
        ("312345678", "1234567890123", None, "12", "1"),
        ("312345690", None, "BOARD-L", "3", "1"),
    ]


def test_a_negative_stock_level_sends_nothing() -> None:
    adapter = pdd_adapter(listings={"A": ListingSku(item_id=1)})
    with pytest.raises(InvalidChannelInput, match="negative"):
        next(adapter.push_stock([StockLevel("A", -1)]))


# --- classification (C3) ------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    errors("pinduoduo_errors.json"),
    ids=lambda c: str(c["body"]["error_response"]["error_code"]),
)
def test_each_documented_error_is_classified(case: dict[str, Any]) -> None:
    verdict = pdd_adapter().classify(answer(case["body"]))
    assert verdict.kind is ErrorKind(case["kind"])
    assert f"platform code {case['body']['error_response']['error_code']}" in verdict.reason


def test_a_rate_limit_keeps_the_wait_its_headers_ask_for() -> None:
    limited = httpx.Response(
        200, headers={"Retry-After": "4"}, json={"error_response": {"error_code": 70031}}
    )
    verdict = pdd_adapter().classify(limited)
    assert verdict.kind is ErrorKind.RATE_LIMITED
    assert verdict.retry_after == timedelta(seconds=4)


def test_a_failed_fetch_raises_the_classified_error() -> None:
    expired = answer({"error_response": {"error_code": 10019, "error_msg": "access_token已过期"}})
    router = pdd_router([])
    router.answers = {"pdd.order.number.list.increment.get": expired}
    start = SyncCursor.start("pinduoduo", NOW - timedelta(minutes=10), NOW)
    with (
        httpx.Client(transport=router.transport()) as http,
        pytest.raises(ChannelRequestFailed) as failed,
    ):
        Channel(pdd_adapter(), http).fetch_orders(start)
    assert failed.value.kind == "auth_expired"
    assert PDD_TOKEN not in str(failed.value)
