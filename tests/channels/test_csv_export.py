"""Orders read from spreadsheet exports and merged across them (MISSION C8, C6)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit.channels.csv_export import CsvExport, merge_exports, read_csv, read_csv_bytes
from orderkit.errors import FieldMapInvalid, InvalidChannelInput, MappingFailed
from orderkit.lifecycle import OrderState
from orderkit.money import Money
from orderkit.order import ChannelRef, Customer, Order, OrderLine

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADER = "订单号,下单时间,商家编码,商品名称,数量,单价,优惠,状态,买家,手机,收货地址"
CONFIG: dict[str, Any] = {
    "channel": "erp-a",
    "currency": "CNY",
    "columns": {
        "order_id": "订单号",
        "created_at": "下单时间",
        "sku": "商家编码",
        "title": "商品名称",
        "quantity": "数量",
        "unit_price": "单价",
        "discount": "优惠",
        "status": "状态",
        "buyer_name": "买家",
        "buyer_phone": "手机",
        "address": "收货地址",
    },
    "statuses": {"已付款": "paid", "已发货": "shipped", "已取消": "cancelled"},
}
EXPORT = CsvExport.from_dict(CONFIG)
BUYER = "王小明,13800138000,浙江省杭州市西湖区文三路90号"
GOOD = f"""{HEADER}
SO-1,2026-11-11 20:15:31,TEA-01,龙井,2,59.00,5.00,已付款,{BUYER}
SO-1,2026-11-11 20:15:31,CUP-01,"杯子, 玻璃",1,19.90,,已付款,{BUYER}

SO-2,2026-11-12 08:00:00,TEA-02,普洱,3,30.00,,已发货,李四,13900139000,上海市浦东新区世纪大道100号
"""


def csv_text(rows: list[list[str]], header: str = HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header.split(","))
    writer.writerows(rows)
    return out.getvalue()


def test_rows_group_into_orders() -> None:
    """One row per line; times read in GMT+8; lines numbered in row order; address split."""
    first, second = read_csv(EXPORT, GOOD)
    order = first.order
    assert order.channel == ChannelRef(channel="erp-a", external_id="SO-1")
    assert order.created_at == datetime(2026, 11, 11, 12, 15, 31, tzinfo=UTC)
    assert [(line.line_id, line.sku, line.title) for line in order.lines] == [
        ("1", "TEA-01", "龙井"),
        ("2", "CUP-01", "杯子, 玻璃"),
    ]
    assert order.total == Money("132.90", "CNY")
    assert order.customer == Customer(name="王小明", phone="13800138000")
    assert order.shipping_address is not None
    assert (order.shipping_address.city, order.shipping_address.street) == ("杭州", "文三路90号")
    assert first.state is OrderState.PAID
    assert (second.state, second.raw_status) == (OrderState.SHIPPED, "已发货")


def test_every_problem_is_reported_by_row_with_pii_masked() -> None:
    """Row numbers are the spreadsheet's (header is row 1, blank rows count)."""
    text = f"""{HEADER}
SO-1,2026-11-11 20:15:31,TEA-01,龙井,two,59.00,,已付款,{BUYER}
SO-1,2026-11-11 20:15:31,,杯子,1,19.9x,,已付款,{BUYER}

SO-2,2026/13/45,TEA-02,普洱,3,30.00,,已退款,李四,not-a-phone-13900139000,
,2026-11-11 20:15:31,TEA-03,,1,1.00,,已付款,,,
"""
    with pytest.raises(MappingFailed) as failed:
        read_csv(EXPORT, text)
    problems = failed.value.problems
    assert [p.path for p in problems] == [
        "row 6.order_id",
        "row 2.quantity",
        "row 3.sku",
        "row 3.unit_price",
        "row 5.created_at",
        "row 5.buyer_phone",
        "row 5.status",
    ]
    assert problems[-2].raw == "<masked>"
    assert problems[-1].raw == "已退款"
    assert "13900139000" not in str(failed.value)


def test_order_level_columns_must_agree_across_rows() -> None:
    """A disagreement names the row and the first row of the order, PII masked."""
    buyer = BUYER.split(",")
    rows = [
        ["SO-1", "2026-11-11 20:15:31", "TEA-01", "", "1", "9.00", "", "已付款", *buyer],
        [
            "SO-1",
            "2026-11-11 20:15:31",
            "TEA-02",
            "",
            "1",
            "9.00",
            "",
            "已发货",
            "王大明",
            *buyer[1:],
        ],
    ]
    with pytest.raises(MappingFailed) as failed:
        read_csv(EXPORT, csv_text(rows))
    assert [(p.path, p.raw) for p in failed.value.problems] == [
        ("row 3.buyer_name", "<masked>"),
        ("row 3.status", "已发货"),
    ]
    assert "row 2" in failed.value.problems[0].message
    assert "王大明" not in str(failed.value)


def test_a_missing_or_repeated_header_is_a_problem_of_row_1() -> None:
    header = HEADER.replace("单价", "价格").replace("商品名称", "商家编码")
    with pytest.raises(MappingFailed) as failed:
        read_csv(EXPORT, header + "\n")
    assert [p.path for p in failed.value.problems] == [
        "row 1.sku",
        "row 1.unit_price",
        "row 1.title",
    ]


def test_the_channel_and_currency_may_come_from_columns() -> None:
    config = {
        **CONFIG,
        "channel": None,
        "currency": None,
        "columns": {**CONFIG["columns"], "channel": "平台", "currency": "币种"},
    }
    export = CsvExport.from_dict(config)
    header = HEADER + ",平台,币种"
    base = ["2026-11-11 20:15:31", "TEA-01", "", "1", "9.00", "", "已付款", "", "", ""]
    rows = [
        ["A-1", *base, "taobao", "CNY"],
        ["B-1", *base, "pdd", "usd"],
        ["C-1", *base, "淘宝", "CNY"],
    ]
    with pytest.raises(MappingFailed) as failed:
        read_csv(export, csv_text(rows, header))
    assert [(p.path, p.raw) for p in failed.value.problems] == [("row 4.channel", "淘宝")]
    first, second = read_csv(export, csv_text(rows[:2], header))
    assert (first.order.channel.key, second.order.channel.key) == ("taobao:A-1", "pdd:B-1")
    assert second.order.currency == "USD"


def test_bytes_with_a_bom_or_from_excel_in_gbk() -> None:
    expected = read_csv(EXPORT, GOOD)
    assert read_csv_bytes(EXPORT, GOOD.encode("utf-8-sig")) == expected
    assert read_csv(EXPORT, "\ufeff" + GOOD) == expected
    assert read_csv_bytes(EXPORT, GOOD.encode("gbk"), "GBK") == expected


def test_undecodable_bytes_and_unknown_encodings_are_refused() -> None:
    with pytest.raises(InvalidChannelInput, match=r"not utf-8 text .*gbk"):
        read_csv_bytes(EXPORT, GOOD.encode("gbk"))
    with pytest.raises(InvalidChannelInput, match="unknown encoding"):
        read_csv_bytes(EXPORT, b"", "klingon")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": None}, "channel"),
        ({"currency": "yuan"}, "currency"),
        ({"zone": "Beijing"}, "zone"),
        ({"statuses": {}}, "statuses"),
    ],
)
def test_a_bad_config_names_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(FieldMapInvalid) as invalid:
        CsvExport.from_dict({**CONFIG, **change})
    assert field in str(invalid.value)


def test_a_config_loads_from_json_text_and_malformed_text_is_refused() -> None:
    assert CsvExport.from_json(json.dumps(CONFIG)) == EXPORT
    with pytest.raises(FieldMapInvalid, match="not valid JSON"):
        CsvExport.from_json('{"channel": ')
    with pytest.raises(FieldMapInvalid, match="zone"):
        CsvExport.from_json(json.dumps({**CONFIG, "zone": "Beijing"}))


def test_merging_exports_keeps_each_order_once_and_reports_conflicts() -> None:
    """C8: the same order from two exports is kept once; a differing copy is a conflict."""
    first = read_csv(EXPORT, GOOD)
    changed = GOOD.replace(
        "SO-2,2026-11-12 08:00:00,TEA-02,普洱,3", "SO-2,2026-11-12 08:00:00,TEA-02,普洱,4"
    )
    merged = merge_exports(first, read_csv_bytes(EXPORT, changed.encode("gbk"), "gbk"))
    assert [o.channel.key for o in merged.orders] == ["erp-a:SO-1", "erp-a:SO-2"]
    (exact,) = merged.report.exact
    (conflict,) = merged.report.conflicts
    assert (exact.key, exact.copies) == ("erp-a:SO-1", 2)
    assert (conflict.key, conflict.fields) == ("erp-a:SO-2", ("lines[0].quantity",))


# --- round trip ---------------------------------------------------------------------

texts = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=12
)
prices = st.decimals(Decimal("0.01"), Decimal("9999.99"), places=2)


@st.composite
def lines(draw: st.DrawFn, index: int) -> OrderLine:
    price, quantity = draw(prices), draw(st.integers(1, 99))
    discount = draw(st.none() | st.decimals(Decimal("0"), price * quantity, places=2))
    return OrderLine(
        line_id=str(index),
        sku=draw(texts),
        title=draw(st.just("") | texts),
        quantity=quantity,
        unit_price=Money(price, "CNY"),
        discount=None if discount is None else Money(discount, "CNY"),
    )


@st.composite
def orders(draw: st.DrawFn, order_id: str) -> tuple[Order, str]:
    count = draw(st.integers(1, 4))
    seconds = draw(st.integers(0, 3 * 365 * 86400))
    phone = draw(st.none() | st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
    order = Order(
        order_id=order_id,
        channel=ChannelRef(channel="erp-a", external_id=order_id),
        created_at=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds),
        currency="CNY",
        lines=[draw(lines(i)) for i in range(1, count + 1)],
        customer=Customer(name=draw(st.none() | texts), phone=phone),
    )
    return order, draw(st.sampled_from(["已付款", "已发货", "已取消"]))


def written(batch: list[tuple[Order, str]]) -> str:
    rows = []
    for order, status in batch:
        created = order.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
        buyer = [order.customer.name or "", order.customer.phone or "", ""]
        for line in order.lines:
            discount = "" if line.discount is None else f"{line.discount.amount:f}"
            price, quantity = f"{line.unit_price.amount:f}", str(line.quantity)
            cells = [line.sku, line.title, quantity, price, discount, status]
            rows.append([order.order_id, created, *cells, *buyer])
    return csv_text(rows)


@given(
    st.lists(
        st.from_regex(r"[A-Z]{2}-[0-9]{1,6}", fullmatch=True), min_size=1, max_size=4, unique=True
    ).flatmap(lambda ids: st.tuples(*(orders(i) for i in ids)))
)
def test_orders_written_to_csv_read_back_equal(batch: tuple[tuple[Order, str], ...]) -> None:
    """Any orders, written one row per line, read back as the same orders and states."""
    found = read_csv(EXPORT, written(list(batch)))
    assert [mapped.order for mapped in found] == [order for order, _ in batch]
    assert [mapped.raw_status for mapped in found] == [status for _, status in batch]
