"""Channel payload -> canonical order throughput, per adapter (issue: channel adapters, C1, C2).

Each row maps one five-line order payload, shaped like the platform's documented one, with
the adapter's shipped mapper (a compiled ``FieldMap``), side by side with a hand-written
dict-to-model mapping of the same payload to the same ``Order`` (the floor: the canonical
models' own validation, with no field map at all). Before timing, the two orders are
checked to be equal, so both sides do the same work.

Bars, per adapter: >= 20,000 orders/s on one core, and within 3x of the floor.

A row is a :class:`Row`: the adapter's module and a function building the mapper, the
payload and the floor from it. Rows whose module is not installed are listed as absent.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

from benchmarks._timing import per_call_ns, print_table
from orderkit.channels import ChannelOrder
from orderkit.errors import ChannelError
from orderkit.money import Money
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


ROWS = [
    Row("shopify", "orderkit.channels.shopify", shopify_case),
    Row("douyin", "orderkit.channels.douyin", douyin_case),
]
"""One row per adapter; a row whose module is not there yet shows as absent."""


# --- the run ------------------------------------------------------------------------


def _measure(case: Case) -> tuple[float, float] | str:
    """Nanoseconds per order through the mapper and the floor, or why they cannot compare."""
    try:
        mapped = case.map(case.payload).order
    except ChannelError as error:
        return f"the mapper refuses the payload: {error}"
    if mapped != case.floor(case.payload):
        return "the floor builds another order than the mapper: update the floor"
    mapper_ns = per_call_ns(lambda: case.map(case.payload))
    return mapper_ns, per_call_ns(lambda: case.floor(case.payload))


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def main() -> None:
    """Print orders/s for each adapter's mapper and its floor, against the bars."""
    rows: list[list[str]] = []
    problems: list[str] = []
    for name, module, build in ROWS:
        if importlib.util.find_spec(module) is None:
            rows.append([name, "absent", "", "", "", "", "", ""])
            continue
        measured = _measure(build(importlib.import_module(module)))
        if isinstance(measured, str):
            rows.append([name, "", "", "", "", "", "FAIL", "FAIL"])
            problems.append(f"{name}: {measured}")
            continue
        mapper_ns, floor_ns = measured
        rate, ratio = 1e9 / mapper_ns, mapper_ns / floor_ns
        rows.append(
            [
                name,
                f"{rate:,.0f}",
                f"{mapper_ns / 1000:.1f}",
                f"{1e9 / floor_ns:,.0f}",
                f"{floor_ns / 1000:.1f}",
                f"{ratio:.2f}x",
                _verdict(rate >= RATE_BAR),
                _verdict(ratio <= FLOOR_BAR),
            ]
        )
    print_table(
        f"Payload -> canonical order, {LINES}-line order, one core "
        f"(bars: >= {RATE_BAR:,} orders/s, <= {FLOOR_BAR:g}x the floor)",
        ["adapter", "orders/s", "us/order", "floor orders/s", "floor us", "vs floor", "rate", "3x"],
        rows,
    )
    for problem in problems:
        print(problem)


if __name__ == "__main__":
    main()
