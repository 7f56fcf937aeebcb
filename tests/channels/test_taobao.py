"""The Taobao/Tmall TOP adapter: trades, signed requests, paging, tracking, stock, errors.

MISSION C1 (reference adapter), C2 (exact mapping, GMT+8 times), C3 (classification),
C4 (tracking push), I2 (stock push).
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
from orderkit.channels._types import (
    ErrorKind,
    PushStatus,
    StockLevel,
    SyncCursor,
    TrackingUpdate,
)
from orderkit.channels.taobao import (
    ALREADY_SHIPPED,
    ListingSku,
    TaobaoConfig,
    TaobaoOrderMapper,
    taobao_field_map,
)
from orderkit.errors import ChannelRequestFailed, InvalidChannelInput, MappingFailed
from orderkit.lifecycle import OrderState
from orderkit.money import Money
from orderkit.order import ChannelRef
from tests.channels.router_fakes import (
    NOW,
    TOP_SECRET,
    TOP_SESSION,
    answer,
    errors,
    gmt8,
    top_adapter,
    top_router,
    top_sign,
    top_trades,
)

MAPPER = TaobaoOrderMapper()
SHIPPED = TrackingUpdate(ChannelRef(channel="taobao", external_id="2231958349"), "YT75", "圆通")
SHIP_OK = answer({"logistics_offline_send_response": {"shipping": {"is_success": True}}})


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def top_error(code: int, sub_code: str = "", sub_msg: str = "") -> httpx.Response:
    body: dict[str, Any] = {"code": code, "msg": "Remote service error", "request_id": "r1"}
    if sub_code:
        body.update(sub_code=sub_code, sub_msg=sub_msg)
    return answer({"error_response": body})


def sync(router: Any, cursor: SyncCursor, **config: Any) -> list[Any]:
    with httpx.Client(transport=router.transport()) as http:
        return list(pages(Channel(top_adapter(**config), http), cursor))


# --- mapping (C1, C2) ---------------------------------------------------------------


@pytest.mark.parametrize("trade", top_trades(), ids=lambda t: str(t["tid"]))
def test_a_trade_totals_exactly_what_the_buyer_paid(trade: dict[str, Any]) -> None:
    """MISSION C2: lines less discounts plus post_fee is TOP's ``payment``, to the fen."""
    order = MAPPER.map(trade).order
    assert order.total == cny(trade["payment"])
    assert order.shipping_fee == cny(trade["post_fee"])
    assert [line.line_id for line in order.lines] == [
        str(o["oid"]) for o in trade["orders"]["order"]
    ]


def test_the_first_trade_maps_field_by_field() -> None:
    """Times are GMT+8 read as UTC; SKUs are the merchant's codes; the region is normalised."""
    mapped = MAPPER.map(top_trades()[0])
    order = mapped.order
    assert mapped.state is OrderState.PAID
    assert mapped.raw_status == "WAIT_SELLER_SEND_GOODS"
    assert order.channel == ChannelRef(channel="taobao", external_id="2231958349")
    assert order.created_at == datetime(2026, 11, 10, 16, 5, 12, tzinfo=UTC)
    assert [line.sku for line in order.lines] == ["MBB-BAG-BLK", "MBB-STRAP"]
    first = order.lines[0]
    assert (first.unit_price, first.quantity) == (cny("99.00"), 2)
    assert order.discount_total == cny("30.00")
    address = order.shipping_address
    assert address is not None
    assert (address.province, address.city, address.district) == ("浙江", "杭州", "西湖区")
    assert (address.recipient, address.phone, address.postal_code) == (
        "东方不败",
        "13512501826",
        "310012",
    )
    (payment,) = order.payments
    assert payment.amount == cny("218.00")
    assert payment.method == "alipay"
    assert payment.paid_at == datetime(2026, 11, 10, 16, 5, 40, tzinfo=UTC)


def test_an_unpaid_trade_has_no_payment_even_with_an_alipay_number() -> None:
    mapped = MAPPER.map(top_trades()[1])
    assert mapped.state is OrderState.PENDING_PAYMENT
    assert mapped.order.payments == ()
    assert mapped.order.shipping_address is not None
    assert mapped.order.shipping_address.city == "上海"


def test_a_sku_falls_back_from_the_outer_sku_id_to_the_platform_ids() -> None:
    skus = [line.sku for line in MAPPER.map(top_trades()[2]).order.lines]
    assert skus == ["CUP-GLASS-S", "KETTLE-1L", "4000000061"]


@pytest.mark.parametrize(("status", "state"), sorted(taobao_field_map().status.table.items()))
def test_every_documented_status_goes_through_the_table(status: str, state: OrderState) -> None:
    trade = {**top_trades()[0], "status": status}
    assert MAPPER.map(trade).state is state


def test_an_unknown_status_fails_naming_its_path_and_value() -> None:
    with pytest.raises(MappingFailed) as failed:
        MAPPER.map({**top_trades()[0], "status": "TRADE_SOMETHING_NEW"})
    (problem,) = failed.value.problems
    assert (problem.path, problem.raw) == ("status", "TRADE_SOMETHING_NEW")


def test_a_broken_line_total_is_named_down_to_the_field() -> None:
    trade = copy.deepcopy(top_trades()[0])
    trade["orders"]["order"][1]["total_fee"] = "oops"
    with pytest.raises(MappingFailed) as failed:
        MAPPER.map(trade)
    assert "orders.order[1].total_fee" in [problem.path for problem in failed.value.problems]


def test_a_missing_province_is_named_without_the_address() -> None:
    trade = {**top_trades()[0], "receiver_state": ""}
    with pytest.raises(MappingFailed) as failed:
        MAPPER.map(trade)
    assert [problem.path for problem in failed.value.problems] == ["receiver_state"]
    assert "淘宝城" not in str(failed.value)
    assert "13512501826" not in str(failed.value)


@given(
    lines=st.lists(
        st.tuples(
            st.integers(1, 99_999),  # price in fen
            st.integers(1, 9),  # quantity
            st.integers(0, 100),  # item discount, % of the line
        ),
        min_size=1,
        max_size=5,
    ),
    post_fee=st.integers(0, 2_000),
    shop_discount=st.integers(0, 100),
)
def test_any_consistent_trade_totals_its_payment(
    lines: list[tuple[int, int, int]], post_fee: int, shop_discount: int
) -> None:
    """MISSION C2: whatever the item and shop discounts, the total is ``payment``."""
    orders, due = [], 0
    for index, (price, num, percent) in enumerate(lines):
        gross = price * num
        line_due = gross - gross * percent // 100
        due += line_due
        orders.append(
            {
                "oid": 100 + index,
                "outer_sku_id": f"SKU-{index}",
                "price": str(Decimal(price) / 100),
                "num": num,
                "total_fee": str(Decimal(line_due) / 100),
            }
        )
    paid = post_fee + due - due * shop_discount // 100
    trade = {
        **top_trades()[0],
        "orders": {"order": orders},
        "post_fee": str(Decimal(post_fee) / 100),
        "payment": str(Decimal(paid) / 100),
    }
    assert MAPPER.map(trade).order.total == Money.from_minor(paid, "CNY")


# --- requests, signing, paging (C1) -------------------------------------------------


def test_fetching_signs_the_documented_system_parameters() -> None:
    """Every call is a form POST whose sign TOP's recipe reproduces (the fake checks it)."""
    router = top_router(top_trades())
    start = SyncCursor.start("taobao", gmt8("2026-11-11 00:00:00"), gmt8("2026-11-11 00:30:00"))
    with httpx.Client(transport=router.transport()) as http:
        page = Channel(top_adapter(), http).fetch_orders(start)
    (call,) = router.calls
    assert call["method"] == "taobao.trades.sold.increment.get"
    assert call["sign_method"] == "hmac-sha256"
    assert (call["start_modified"], call["end_modified"]) == (
        "2026-11-11 00:00:00",
        "2026-11-11 00:29:59",
    )
    assert (call["page_no"], call["page_size"], call["use_has_next"]) == ("1", "100", "false")
    assert "orders.outer_sku_id" in call["fields"].split(",")
    assert [o.order.channel.external_id for o in page.orders] == ["2231958400", "2231958349"]
    assert page.cursor is None


def test_the_md5_sign_method_is_signed_as_documented() -> None:
    router = top_router(top_trades())
    start = SyncCursor.start("taobao", NOW - timedelta(minutes=5), NOW)
    sync(router, start, sign_method="md5")
    (call,) = router.calls
    assert call["sign_method"] == "md5"
    assert call["sign"] == top_sign(call, TOP_SECRET)


def test_pages_are_read_from_the_last_back_to_the_first() -> None:
    """Three windows of an hour; the first holds two trades at one a page: it counts,
    then reads page 2, then page 1, so a trade leaving the window shifts none unseen."""
    router = top_router(top_trades())
    start = SyncCursor.start("taobao", gmt8("2026-11-11 00:00:00"), gmt8("2026-11-11 03:00:00"))
    found = sync(router, start, page_size=1, window=timedelta(hours=1))
    assert [(c["start_modified"][11:13], c["page_no"]) for c in router.calls] == [
        ("00", "1"),
        ("00", "2"),
        ("00", "1"),
        ("01", "1"),
        ("02", "1"),
    ]
    ids = [[o.order.channel.external_id for o in page.orders] for page in found]
    assert ids == [[], ["2231958349"], ["2231958400"], ["2231958501"], []]
    assert [page.cursor.page if page.cursor else None for page in found] == [
        "2",
        "1",
        None,
        None,
        None,
    ]


def test_less_than_a_second_left_ends_the_sync_without_a_call() -> None:
    router = top_router(top_trades())
    start = SyncCursor.start("taobao", NOW, NOW + timedelta(milliseconds=500))
    found = sync(router, start)
    assert [(page.orders, page.cursor) for page in found] == [((), None)]
    assert router.calls == []


def test_a_window_is_at_most_a_day() -> None:
    with pytest.raises(ValidationError):
        TaobaoConfig(app_key="1", app_secret="s", session="t", window=timedelta(days=2))


def test_secrets_stay_out_of_reprs() -> None:
    text = repr(top_adapter())
    assert TOP_SECRET not in text
    assert TOP_SESSION not in text


def test_one_trade_is_fetched_with_fullinfo_sync_and_async() -> None:
    trade = top_trades()[2]
    full = answer({"trade_fullinfo_get_response": {"trade": trade}})
    router = top_router([], taobao_trade_fullinfo_get=full)
    with httpx.Client(transport=router.transport()) as http:
        mapped = Channel(top_adapter(), http).fetch_order("2231958501")

    async def fetch() -> Any:
        async with httpx.AsyncClient(transport=router.transport()) as http:
            return await AsyncChannel(top_adapter(), http).fetch_order("2231958501")

    assert asyncio.run(fetch()) == mapped
    assert mapped.state is OrderState.SIGNED
    assert [call["tid"] for call in router.calls] == ["2231958501", "2231958501"]


def test_a_trade_id_must_be_a_number() -> None:
    with pytest.raises(InvalidChannelInput, match="tid"):
        next(top_adapter().fetch_order("22319&tid=1"))


# --- tracking (C4) and stock (I2) ---------------------------------------------------


def test_tracking_is_sent_offline_with_the_carriers_company_code() -> None:
    router = top_router([], taobao_logistics_offline_send=SHIP_OK)
    with httpx.Client(transport=router.transport()) as http:
        adapter = top_adapter(carriers={"圆通": "YTO"})
        result = Channel(adapter, http).push_tracking(SHIPPED)
    assert result.status is PushStatus.PUSHED
    assert result.key == "taobao:2231958349:YT75"
    (call,) = router.calls
    assert (call["tid"], call["out_sid"], call["company_code"]) == ("2231958349", "YT75", "YTO")
    assert "sub_tid" not in call
    assert "is_split" not in call


def test_tracking_some_lines_splits_the_trade() -> None:
    router = top_router([], taobao_logistics_offline_send=SHIP_OK)
    update = SHIPPED._replace(line_ids=("2231958350",))
    with httpx.Client(transport=router.transport()) as http:
        Channel(top_adapter(), http).push_tracking(update)
    (call,) = router.calls
    assert (call["sub_tid"], call["is_split"], call["company_code"]) == ("2231958350", "1", "圆通")


@pytest.mark.parametrize("sub_code", sorted(ALREADY_SHIPPED))
def test_already_shipped_is_already_done(sub_code: str) -> None:
    refused = top_error(15, sub_code, "订单状态不对该物流订单已经发货或者已关闭，不能重复发货")
    router = top_router([], taobao_logistics_offline_send=refused)
    with httpx.Client(transport=router.transport()) as http:
        result = Channel(top_adapter(), http).push_tracking(SHIPPED)
    assert result.status is PushStatus.ALREADY_DONE


def test_a_timed_out_shipping_call_is_transient() -> None:
    timeout = top_error(15, "isp.remote-service-timeout", "API调用服务超时")
    router = top_router([], taobao_logistics_offline_send=timeout)
    with (
        httpx.Client(transport=router.transport()) as http,
        pytest.raises(ChannelRequestFailed) as failed,
    ):
        Channel(top_adapter(), http).push_tracking(SHIPPED)
    assert failed.value.kind == "transient"
    assert failed.value.retryable
    assert failed.value.code == "15"


def test_an_unsuccessful_shipping_answer_is_permanent() -> None:
    declined = answer({"logistics_offline_send_response": {"shipping": {"is_success": False}}})
    router = top_router([], taobao_logistics_offline_send=declined)
    with (
        httpx.Client(transport=router.transport()) as http,
        pytest.raises(ChannelRequestFailed) as failed,
    ):
        Channel(top_adapter(), http).push_tracking(SHIPPED)
    assert failed.value.kind == "permanent"


def test_another_channels_order_is_refused() -> None:
    update = SHIPPED._replace(channel=ChannelRef(channel="pinduoduo", external_id="1"))
    with pytest.raises(InvalidChannelInput):
        next(top_adapter().push_tracking(update))


def test_stock_sets_full_quantities_by_sku_id_or_outer_id() -> None:
    updated = answer({"item_quantity_update_response": {"item": {"num_iid": 1}}})
    router = top_router([], taobao_item_quantity_update=updated)
    listings = {
        "MBB-BAG-BLK": ListingSku(item_id=520000000001, sku_id=4000000001),
        "MBB-STRAP": ListingSku(item_id=520000000002, outer_id="MBB-STRAP"),
    }
    levels = [StockLevel("MBB-BAG-BLK", 7), StockLevel("MBB-STRAP", 0)]
    with httpx.Client(transport=router.transport()) as http:
        result = Channel(top_adapter(listings=listings), http).push_stock(levels)
    assert result.status is PushStatus.PUSHED
    sent = [
        {k: c.get(k) for k in ("num_iid", "sku_id", "outer_id", "quantity", "type")}
        for c in router.calls
    ]
    assert sent == [
        {
            "num_iid": "520000000001",
            "sku_id": "4000000001",
            "outer_id": None,
            "quantity": "7",
            "type": "1",
        },
        {
            "num_iid": "520000000002",
            "sku_id": None,
            "outer_id": "MBB-STRAP",
            "quantity": "0",
            "type": "1",
        },
    ]


def test_stock_for_an_unknown_sku_sends_nothing() -> None:
    adapter = top_adapter(listings={"A": ListingSku(item_id=1)})
    with pytest.raises(InvalidChannelInput, match="'B' has no listing"):
        next(adapter.push_stock([StockLevel("A", 1), StockLevel("B", 1)]))


# --- classification (C3) ------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    errors("taobao_errors.json"),
    ids=lambda c: str(
        c["body"]["error_response"].get("sub_code") or c["body"]["error_response"]["code"]
    ),
)
def test_each_documented_error_is_classified(case: dict[str, Any]) -> None:
    verdict = top_adapter().classify(answer(case["body"]))
    assert verdict.kind is ErrorKind(case["kind"])
    wait = case["wait"]
    assert verdict.retry_after == (None if wait is None else timedelta(seconds=wait))
    assert f"platform code {case['body']['error_response']['code']}" in verdict.reason


def test_a_ban_and_a_retry_after_header_wait_for_the_longer() -> None:
    limited = httpx.Response(
        200,
        headers={"Retry-After": "30"},
        json={"error_response": {"code": 7, "sub_msg": "This ban will last for 5 more seconds"}},
    )
    assert top_adapter().classify(limited).retry_after == timedelta(seconds=30)


@pytest.mark.parametrize(
    ("failure", "kind"),
    [
        (httpx.Response(502, text="<html>Bad Gateway</html>"), ErrorKind.TRANSIENT),
        (httpx.Response(200, text="<html>maintenance</html>"), ErrorKind.TRANSIENT),
        (httpx.Response(403, text="Forbidden"), ErrorKind.PERMANENT),
        (httpx.ReadTimeout("slow"), ErrorKind.TRANSIENT),
    ],
)
def test_http_failures_without_an_error_response(failure: Any, kind: ErrorKind) -> None:
    assert top_adapter().classify(failure).kind is kind


def test_a_failed_fetch_raises_the_classified_error() -> None:
    router = top_router([])
    router.answers = {"taobao.trades.sold.increment.get": top_error(27)}
    start = SyncCursor.start("taobao", NOW - timedelta(hours=1), NOW)
    with pytest.raises(ChannelRequestFailed) as failed:
        sync(router, start)
    assert failed.value.kind == "auth_expired"
    assert failed.value.code == "27"
    assert TOP_SESSION not in str(failed.value)
