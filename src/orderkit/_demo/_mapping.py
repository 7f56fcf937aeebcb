"""Payload-to-order mapping for the demo's two channels.

Declarative channel mapping is the channel capability's job; these two functions only
give the demo realistic canonical orders to work with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from dateutil import parser, tz

from orderkit.money import Money, allocate_capped
from orderkit.order import Address, ChannelRef, Customer, Order, OrderLine, Payment

__all__ = ["from_pinduoduo", "from_shopify"]

_BEIJING = tz.gettz("Asia/Shanghai")


def _with_discount(lines: Sequence[OrderLine], discount: Money) -> tuple[OrderLine, ...]:
    """Spread an order-level discount over the lines, never beyond a line's subtotal."""
    subtotals = {line.line_id: line.subtotal for line in lines}
    shares = allocate_capped(discount, subtotals, subtotals)
    return tuple(line.replace(discount=shares[line.line_id]) for line in lines)


def from_shopify(doc: Mapping[str, Any]) -> Order:
    """A Shopify REST Admin ``orders/{id}.json`` body as a canonical order."""
    raw = doc["order"]
    currency = raw["currency"]
    lines = [
        OrderLine(
            line_id=str(item["id"]),
            sku=item["sku"],
            title=item["title"],
            quantity=item["quantity"],
            unit_price=Money(item["price"], currency),
        )
        for item in raw["line_items"]
    ]
    customer, address = raw["customer"], raw["shipping_address"]
    return Order(
        order_id=f"SHOPIFY-{raw['name'].lstrip('#')}",
        channel=ChannelRef(channel="shopify", external_id=str(raw["id"])),
        created_at=parser.isoparse(raw["created_at"]),
        currency=currency,
        customer=Customer(
            customer_id=str(customer["id"]),
            name=f"{customer['first_name']} {customer['last_name']}",
            email=customer["email"],
            phone=customer["phone"],
        ),
        shipping_address=Address(
            country=address["country_code"],
            province=address["province"],
            city=address["city"],
            street=address["address1"],
            postal_code=address["zip"],
            recipient=f"{address['first_name']} {address['last_name']}",
        ),
        lines=_with_discount(lines, Money(raw["total_discounts"], currency)),
        shipping_fee=sum(
            (Money(s["price"], currency) for s in raw["shipping_lines"]), Money.zero(currency)
        ),
        payments=[
            Payment(
                payment_id=str(t["id"]),
                method=t["gateway"],
                amount=Money(t["amount"], currency),
                paid_at=parser.isoparse(t["processed_at"]),
            )
            for t in raw["transactions"]
            if t["kind"] == "sale" and t["status"] == "success"
        ],
        is_test=raw["test"],
    )


def _beijing(text: str) -> datetime:
    return parser.parse(text).replace(tzinfo=_BEIJING)


def _yuan(value: Decimal) -> Money:
    return Money(value, "CNY")


def from_pinduoduo(doc: Mapping[str, Any]) -> list[Order]:
    """A ``pdd.order.list.get`` response (parsed with ``parse_float=Decimal``) as orders."""
    orders = []
    for raw in doc["order_list_get_response"]["order_list"]:
        lines = [
            OrderLine(
                line_id=str(item["sku_id"]),
                sku=item["outer_id"],
                title=item["goods_name"],
                quantity=item["goods_count"],
                unit_price=_yuan(item["goods_price"]),
            )
            for item in raw["item_list"]
        ]
        orders.append(
            Order(
                order_id=f"PDD-{raw['order_sn']}",
                channel=ChannelRef(channel="pinduoduo", external_id=raw["order_sn"]),
                created_at=_beijing(raw["created_time"]),
                currency="CNY",
                customer=Customer(name=raw["receiver_name"], phone=raw["receiver_phone"]),
                shipping_address=Address(
                    country="CN",
                    province=raw["province"],
                    city=raw["city"],
                    district=raw["town"],
                    street=raw["address"],
                    recipient=raw["receiver_name"],
                    phone=raw["receiver_phone"],
                ),
                lines=_with_discount(lines, _yuan(raw["discount_amount"])),
                shipping_fee=_yuan(raw["postage"]),
                payments=[
                    Payment(
                        payment_id=raw["order_sn"],
                        method=raw["pay_type"].lower(),
                        amount=_yuan(raw["pay_amount"]),
                        paid_at=_beijing(raw["pay_time"]),
                    )
                ],
            )
        )
    return orders
