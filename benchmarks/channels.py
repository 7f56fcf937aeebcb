"""Channel payload -> canonical order throughput, per adapter (issue: channel adapters, C1, C2).

Each row maps one five-line order payload, shaped like the platform's documented one, with
the adapter's shipped mapper (a compiled ``FieldMap``), side by side with a hand-written
dict-to-model mapping of the same payload to the same ``Order`` (the floor: the canonical
models' own validation, with no field map at all). Before timing, the two orders are
checked to be equal, so both sides do the same work.

Bars, per adapter: >= 20,000 orders/s on one core, and within 3x of the floor. The
"models us" column is what neither side can skip: the same ``Order`` validated from its
already converted values (amounts as ``Money``, parts as dicts) in one call.

A row is a :class:`Row`: the adapter's module and a function building the mapper, the
payload and the floor from it.
"""

from __future__ import annotations

import copy
import importlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from benchmarks._timing import per_call_ns, print_table
from orderkit.channels import ChannelOrder, normalise_cn_address
from orderkit.errors import ChannelError
from orderkit.money import Money, allocate_capped
from orderkit.order import Address, ChannelRef, Customer, Order, OrderLine, Payment

RATE_BAR = 20_000
FLOOR_BAR = 3.0
LINES = 5
DATA = Path(__file__).parents[1] / "tests" / "channels" / "data"

Payload = Mapping[str, Any]


class Case(NamedTuple):
    """What a row times: the mapper's ``map``, its payload and the hand-written floor."""

    map: Callable[[Payload], ChannelOrder]
    payload: Payload
    floor: Callable[[Payload], Order]


class Row(NamedTuple):
    """One adapter: its module, and how to build its :class:`Case` from the module."""

    name: str
    module: str
    build: Callable[[ModuleType], Case]


def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text(), parse_float=Decimal)


# --- Shopify ------------------------------------------------------------------------


def shopify_payload() -> dict[str, Any]:
    """The documented example order #1001, widened to five lines by copying its first."""
    order: dict[str, Any] = _load("shopify_order_example.json")["response"]["order"]
    first = order["line_items"][0]
    order["line_items"] = [
        copy.deepcopy(first) | {"id": first["id"] + i, "sku": f"{first['sku']}-{i}"}
        for i in range(LINES)
    ]
    return order


def _sum(items: list[Mapping[str, Any]], field: str, currency: str) -> Money:
    return sum((Money(item[field], currency) for item in items), Money.zero(currency))


def _phone(raw: str) -> str:
    return raw.translate(str.maketrans("", "", " -.()"))


def shopify_floor(p: Payload) -> Order:
    """The same order built by hand, field by field, as a host would without a field map."""
    currency = p["currency"]
    address = p["shipping_address"]
    return Order(
        order_id=p["name"],
        channel=ChannelRef(channel="shopify", external_id=str(p["id"])),
        created_at=datetime.fromisoformat(p["created_at"]).astimezone(UTC),
        currency=currency,
        customer=Customer(
            customer_id=str(p["customer"]["id"]),
            email=p["email"],
            phone=_phone(p["customer"]["phone"]),
        ),
        shipping_address=Address(
            country=address["country_code"],
            province=address["province"],
            city=address["city"],
            street=address["address1"],
            postal_code=address["zip"],
            recipient=address["name"],
            phone=_phone(address["phone"]),
        ),
        lines=tuple(
            OrderLine(
                line_id=str(line["id"]),
                sku=line["sku"],
                title=line["name"],
                quantity=line["quantity"],
                unit_price=Money(line["price"], currency),
                discount=_sum(line["discount_allocations"], "amount", currency),
                tax=_sum(line["tax_lines"], "price", currency),
            )
            for line in p["line_items"]
        ),
        shipping_fee=_sum(p["shipping_lines"], "discounted_price", currency),
        is_test=p["test"],
        metadata={"source_name": p["source_name"], "financial_status": p["financial_status"]},
    )


def shopify_case(module: ModuleType) -> Case:
    """Shopify's shipped mapper on the widened example order."""
    return Case(module.ShopifyOrderMapper().map, shopify_payload(), shopify_floor)


# --- Douyin shop (Doudian) ------------------------------------------------------------

_AT = 1762863331  # 2025-11-11 20:15:31 GMT+8


def douyin_payload() -> dict[str, Any]:
    """A paid five-line Doudian ``shop_order_detail``, by the documented field names:
    amounts in integer fen, times in Unix seconds."""
    lines = [
        {
            "order_id": f"691923484322011726{i}",
            "code": f"TEA-{i}",
            "product_name": f"龙井 {i}",
            "item_num": i + 1,
            "origin_amount": 5900 + 100 * i,
            "promotion_amount": 200 * i,
        }
        for i in range(LINES)
    ]
    return {
        "order_id": "6919234843220117259",
        "shop_id": 4463798,
        "order_status": 2,
        "order_status_desc": "备货中",
        "create_time": _AT,
        "doudian_open_id": "1@#Pv6zBwRGOT0yJXVhYK5N",
        "post_tel": "13800138000",
        "post_receiver": "王小明",
        "post_addr": {
            "province": {"name": "浙江省", "id": "33"},
            "city": {"name": "杭州市", "id": "330100"},
            "town": {"name": "西湖区", "id": "330106"},
            "detail": "文三路 90 号",
        },
        "post_amount": 800,
        "buyer_words": "",
        "channel_payment_no": "4200001234202511110000000001",
        "pay_type": 1,
        "pay_amount": 36000,
        "pay_time": _AT + 60,
        "sku_order_list": lines,
    }


def douyin_floor(p: Payload) -> Order:
    """The Doudian order built by hand."""
    address = p["post_addr"]
    return Order(
        order_id=p["order_id"],
        channel=ChannelRef(channel="douyin", external_id=p["order_id"]),
        created_at=datetime.fromtimestamp(p["create_time"], UTC),
        currency="CNY",
        customer=Customer(customer_id=p["doudian_open_id"], phone=p["post_tel"]),
        shipping_address=Address(
            country="CN",
            province=address["province"]["name"],
            city=address["city"]["name"],
            district=address["town"]["name"],
            street=address["detail"],
            recipient=p["post_receiver"],
            phone=p["post_tel"],
        ),
        lines=tuple(
            OrderLine(
                line_id=line["order_id"],
                sku=line["code"],
                title=line["product_name"],
                quantity=line["item_num"],
                unit_price=Money.from_minor(line["origin_amount"], "CNY"),
                discount=Money.from_minor(line["promotion_amount"], "CNY"),
            )
            for line in p["sku_order_list"]
        ),
        payments=(
            Payment(
                payment_id=p["channel_payment_no"],
                method="wechat",
                amount=Money.from_minor(p["pay_amount"], "CNY"),
                paid_at=datetime.fromtimestamp(p["pay_time"], UTC),
            ),
        ),
        shipping_fee=Money.from_minor(p["post_amount"], "CNY"),
        metadata={"shop_id": str(p["shop_id"]), "order_status_desc": p["order_status_desc"]},
    )


def douyin_case(module: ModuleType) -> Case:
    """Douyin's shipped mapper on a five-line order."""
    return Case(module.douyin_mapper().map, douyin_payload(), douyin_floor)


# --- Taobao (TOP) and Pinduoduo: what their floors share ------------------------------

_GMT8 = ZoneInfo("Asia/Shanghai")


def _gmt8(text: str) -> datetime:
    """A naive GMT+8 ``yyyy-MM-dd HH:mm:ss`` time, as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=_GMT8).astimezone(UTC)


def _regions(province: str, city: str, district: str) -> dict[str, str]:
    """The region names as :func:`~orderkit.channels.normalise_cn_address` writes them."""
    key = normalise_cn_address(province + city + district)
    return {"province": key.province, "city": key.city, "district": key.district}


def _spread(discount: Money, nets: Sequence[Money]) -> list[Money]:
    """An order-level discount over the lines by their net amounts, capped at each."""
    return allocate_capped(discount, nets, nets, keys=list(range(len(nets))))


def _widened(first: Mapping[str, Any], **varied: Callable[[int], Any]) -> list[dict[str, Any]]:
    """Five copies of ``first``, each with the ``varied`` fields computed from its index."""
    return [
        copy.deepcopy(dict(first)) | {name: value(i) for name, value in varied.items()}
        for i in range(LINES)
    ]


# --- Taobao (TOP) ---------------------------------------------------------------------


def taobao_payload() -> dict[str, Any]:
    """The documented paid trade, widened to five lines by copying its first; the trade's
    amounts follow: ``payment`` is the lines' ``total_fee`` plus ``post_fee`` less the
    shop discount ``discount_fee``."""
    trade: dict[str, Any] = _load("taobao_trades.json")["trades"][0]
    first = trade["orders"]["order"][0]
    lines = _widened(
        first,
        oid=lambda i: first["oid"] + i,
        outer_sku_id=lambda i: f"{first['outer_sku_id']}-{i}",
    )
    trade["orders"]["order"] = lines
    goods = sum(Decimal(line["price"]) * line["num"] for line in lines)
    due = sum(Decimal(line["total_fee"]) for line in lines) + Decimal(trade["post_fee"])
    trade["total_fee"] = str(goods)
    trade["payment"] = str(due - Decimal(trade["discount_fee"]))
    return trade


def taobao_floor(p: Payload) -> Order:
    """The TOP trade built by hand: line discounts are ``price × num - total_fee``, the
    shop discount is what makes the total the trade's ``payment``."""
    items = p["orders"]["order"]
    totals = [Money(item["total_fee"], "CNY") for item in items]
    shipping_fee = Money(p["post_fee"], "CNY")
    paid = Money(p["payment"], "CNY")
    shares = _spread(sum(totals, shipping_fee) - paid, totals)
    paid_at = p.get("pay_time")
    return Order(
        order_id=str(p["tid"]),
        channel=ChannelRef(channel="taobao", external_id=str(p["tid"])),
        created_at=_gmt8(p["created"]),
        currency="CNY",
        customer=Customer(customer_id=p["buyer_open_uid"]),
        shipping_address=Address(
            country="CN",
            **_regions(p["receiver_state"], p["receiver_city"], p["receiver_district"]),
            street=p["receiver_address"],
            recipient=p["receiver_name"],
            phone=p["receiver_mobile"],
            postal_code=p["receiver_zip"],
        ),
        lines=tuple(
            OrderLine(
                line_id=str(item["oid"]),
                sku=item["outer_sku_id"],
                title=item["title"],
                quantity=item["num"],
                unit_price=Money(item["price"], "CNY"),
                discount=Money(item["price"], "CNY") * item["num"] - total + share,
            )
            for item, total, share in zip(items, totals, shares, strict=True)
        ),
        payments=(
            Payment(
                payment_id=p["alipay_no"],
                method="alipay",
                amount=paid,
                paid_at=_gmt8(paid_at),
            ),
        )
        if paid_at and p.get("alipay_no")
        else (),
        shipping_fee=shipping_fee,
        note=p["buyer_message"],
        metadata={"type": p["type"], "modified": p["modified"], "discount_fee": p["discount_fee"]},
    )


def taobao_case(module: ModuleType) -> Case:
    """Taobao's shipped mapper on the widened paid trade."""
    return Case(module.TaobaoOrderMapper().map, taobao_payload(), taobao_floor)


# --- Pinduoduo ------------------------------------------------------------------------

_PDD_METHODS = {
    "WEIXIN": "wechat",
    "ALIPAY": "alipay",
    "QQ": "qq_wallet",
    "LIANLIANPAY": "lianlian",
}


def pinduoduo_payload() -> dict[str, Any]:
    """The first documented order (to ship, paid by WeChat), widened to five lines by
    copying its one; ``pay_amount`` follows: goods less ``discount_amount`` plus postage."""
    order: dict[str, Any] = _load("pinduoduo_orders.json")["orders"][0]
    first = order["item_list"][0]
    lines = _widened(
        first,
        sku_id=lambda i: first["sku_id"] + i,
        outer_id=lambda i: f"{first['outer_id']}-{i}",
    )
    order["item_list"] = lines
    order["goods_amount"] = sum(line["goods_price"] * line["goods_count"] for line in lines)
    order["pay_amount"] = order["goods_amount"] - order["discount_amount"] + order["postage"]
    return order


def pinduoduo_floor(p: Payload) -> Order:
    """The Pinduoduo order built by hand: amounts in yuan, the order's discounts spread
    over the lines so the total is ``pay_amount``; masked receiver fields kept as sent."""
    items = p["item_list"]
    nets = [Money(item["goods_price"], "CNY") * item["goods_count"] for item in items]
    shipping_fee = Money(p["postage"], "CNY")
    paid = Money(p["pay_amount"], "CNY")
    shares = _spread(sum(nets, shipping_fee) - paid, nets)
    return Order(
        order_id=p["order_sn"],
        channel=ChannelRef(channel="pinduoduo", external_id=p["order_sn"]),
        created_at=_gmt8(p["created_time"]),
        currency="CNY",
        shipping_address=Address(
            country="CN",
            **_regions(p["province"], p["city"], p["town"]),
            street=p["address_mask"],
            recipient=p["receiver_name_mask"],
            phone=p["receiver_phone_mask"],
        ),
        lines=tuple(
            OrderLine(
                line_id=str(item["sku_id"]),
                sku=item["outer_id"],
                title=item["goods_name"],
                quantity=item["goods_count"],
                unit_price=Money(item["goods_price"], "CNY"),
                discount=share or None,
            )
            for item, share in zip(items, shares, strict=True)
        ),
        payments=(
            Payment(
                payment_id=p["pay_no"],
                method=_PDD_METHODS[p["pay_type"]],
                amount=paid,
                paid_at=_gmt8(p["pay_time"]),
            ),
        ),
        shipping_fee=shipping_fee,
        note=p["buyer_memo"],
        metadata={
            name: f"{p[name]:f}"
            for name in ("discount_amount", "platform_discount", "seller_discount")
        }
        | {"updated_at": p["updated_at"]},
    )


def pinduoduo_case(module: ModuleType) -> Case:
    """Pinduoduo's shipped mapper on the widened paid order."""
    return Case(module.PinduoduoOrderMapper().map, pinduoduo_payload(), pinduoduo_floor)


ROWS = [
    Row("shopify", "orderkit.channels.shopify", shopify_case),
    Row("douyin", "orderkit.channels.douyin", douyin_case),
    Row("taobao", "orderkit.channels.taobao", taobao_case),
    Row("pinduoduo", "orderkit.channels.pinduoduo", pinduoduo_case),
]
"""One row per adapter."""


# --- the run ------------------------------------------------------------------------


def _fields(value: Any) -> Any:
    """A model as the plain values it was built from (nested models as dicts, amounts
    as ``Money``), to validate again."""
    if isinstance(value, BaseModel):
        return {name: _fields(getattr(value, name)) for name in value.model_fields_set}
    if isinstance(value, tuple):
        return [_fields(item) for item in value]
    return value


def _measure(case: Case) -> tuple[float, float, float] | str:
    """Nanoseconds per order through the mapper, the floor and the models alone (the
    order validated from its already converted values), or why they cannot compare."""
    try:
        mapped = case.map(case.payload).order
    except ChannelError as error:
        return f"the mapper refuses the payload: {error}"
    if mapped != case.floor(case.payload):
        return "the floor builds another order than the mapper: update the floor"
    values = _fields(mapped)
    if Order.model_validate(values) != mapped:
        return "the order's own values build another order"
    return (
        per_call_ns(lambda: case.map(case.payload)),
        per_call_ns(lambda: case.floor(case.payload)),
        per_call_ns(lambda: Order.model_validate(values)),
    )


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def main() -> None:
    """Print orders/s for each adapter's mapper and its floor, against the bars."""
    rows: list[list[str]] = []
    problems: list[str] = []
    for name, module, build in ROWS:
        measured = _measure(build(importlib.import_module(module)))
        if isinstance(measured, str):
            rows.append([name, "", "", "", "", "", "", "FAIL", "FAIL"])
            problems.append(f"{name}: {measured}")
            continue
        mapper_ns, floor_ns, models_ns = measured
        rate, ratio = 1e9 / mapper_ns, mapper_ns / floor_ns
        rows.append(
            [
                name,
                f"{rate:,.0f}",
                f"{mapper_ns / 1000:.1f}",
                f"{1e9 / floor_ns:,.0f}",
                f"{floor_ns / 1000:.1f}",
                f"{models_ns / 1000:.1f}",
                f"{ratio:.2f}x",
                _verdict(rate >= RATE_BAR),
                _verdict(ratio <= FLOOR_BAR),
            ]
        )
    print_table(
        f"Payload -> canonical order, {LINES}-line order, one core "
        f"(bars: >= {RATE_BAR:,} orders/s, <= {FLOOR_BAR:g}x the floor)",
        [
            "adapter",
            "orders/s",
            "us/order",
            "floor orders/s",
            "floor us",
            "models us",
            "vs floor",
            "rate",
            "3x",
        ],
        rows,
    )
    for problem in problems:
        print(problem)


if __name__ == "__main__":
    main()
