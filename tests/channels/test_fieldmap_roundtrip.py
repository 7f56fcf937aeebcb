"""Properties of field mapping: canonical orders survive a platform-shaped round trip (C2)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from orderkit.channels import FieldMap, FieldMapper
from orderkit.lifecycle import OrderState
from orderkit.money import Money
from orderkit.order import ChannelRef, Order, OrderLine
from orderkit.testing.strategies import money, order_lines, orders

STATUSES = {"10": OrderState.PENDING_PAYMENT, "20": OrderState.PAID, "30": OrderState.SHIPPED}
UNSET = {"default": None}


def _optional(fields: dict[str, str]) -> dict[str, Any]:
    return {target: {"path": path, **UNSET} for target, path in fields.items()}


MAPPER = FieldMapper(
    FieldMap.load(
        {
            "channel": "mall",
            "order": {
                "order_id": {"path": "no"},
                "external_id": {"path": "ref"},
                "created_at": {"path": "created"},
                "currency": {"path": "cur"},
                "customer": _optional(
                    {
                        "customer_id": "buyer.id",
                        "name": "buyer.nick",
                        "phone": "buyer.tel",
                        "email": "buyer.mail",
                        "tier": "buyer.level",
                    }
                ),
                "shipping_address": _optional(
                    {
                        "country": "to.cc",
                        "province": "to.prov",
                        "city": "to.city",
                        "district": "to.area",
                        "street": "to.addr",
                        "postal_code": "to.zip",
                        "recipient": "to.who",
                        "phone": "to.tel",
                    }
                ),
                "shipping_fee": {"path": "freight", **UNSET},
                "is_test": {"path": "test"},
                "note": {"path": "memo"},
            },
            "lines": {
                "path": "goods",
                "fields": {
                    "line_id": {"path": "oid"},
                    "sku": {"path": "code"},
                    "title": {"path": "name"},
                    "quantity": {"path": "num"},
                    "unit_price": {"path": "price"},
                    "discount": {"path": "off_fen", "convert": "minor_units", **UNSET},
                    "tax": {"path": "taxes", "convert": "sum", "args": {"field": "fee"}, **UNSET},
                    "is_gift": {"path": "gift"},
                },
            },
            "payments": {
                "path": "pays",
                "fields": {
                    "payment_id": {"path": "no"},
                    "method": {"path": "via"},
                    "amount": {"path": "fen", "convert": "minor_units"},
                    "paid_at": {"path": "at"},
                },
            },
            "status": {"path": "state", "table": STATUSES},
        }
    )
)


def _amount(value: Money | None) -> str | None:
    return None if value is None else f"{value.amount:f}"


def _line(line: OrderLine) -> dict[str, Any]:
    return {
        "oid": line.line_id,
        "code": line.sku,
        "name": line.title,
        "num": str(line.quantity),
        "price": _amount(line.unit_price),
        "off_fen": None if line.discount is None else line.discount.minor_units,
        "taxes": None if line.tax is None else [{"fee": _amount(line.tax)}],
        "gift": int(line.is_gift),
    }


def render(order: Order, status: str) -> dict[str, Any]:
    """``order`` as a platform would send it: text amounts, minor units, nested parts."""
    address = order.shipping_address
    return {
        "no": order.order_id,
        "ref": order.channel.external_id,
        "created": order.created_at.isoformat(),
        "cur": order.currency.lower(),
        "buyer": {
            "id": order.customer.customer_id,
            "nick": order.customer.name,
            "tel": order.customer.phone,
            "mail": order.customer.email,
            "level": order.customer.tier,
        },
        "to": None
        if address is None
        else {
            "cc": address.country,
            "prov": address.province,
            "city": address.city,
            "area": address.district,
            "addr": address.street,
            "zip": address.postal_code,
            "who": address.recipient,
            "tel": address.phone,
        },
        "freight": _amount(order.shipping_fee),
        "test": "true" if order.is_test else "false",
        "memo": order.note,
        "goods": [_line(line) for line in order.lines],
        "pays": [
            {
                "no": payment.payment_id,
                "via": payment.method,
                "fen": payment.amount.minor_units,
                "at": payment.paid_at.isoformat(),
            }
            for payment in order.payments
        ],
        "state": status,
    }


@given(orders(), st.sampled_from(sorted(STATUSES)))
def test_a_rendered_order_maps_back_to_itself(order: Order, status: str) -> None:
    """C2: mapping inverts rendering; every amount comes back to the minor unit."""
    expected = order.replace(
        channel=ChannelRef(channel="mall", external_id=order.channel.external_id), shipments=()
    )
    mapped = MAPPER.map(render(order, status))
    assert mapped.order == expected
    assert (mapped.state, mapped.raw_status) == (STATUSES[status], status)
    assert mapped.order.total == order.total
    assert mapped.order.paid_total == order.paid_total


SPREAD = FieldMapper(
    FieldMap.load(
        {
            "channel": "mall",
            "order": {
                "order_id": {"const": "X"},
                "external_id": {"const": "X"},
                "created_at": {"const": "2026-11-11T00:00:00+08:00"},
                "currency": {"const": "CNY"},
            },
            "lines": {
                "path": "goods",
                "fields": {
                    "line_id": {"path": "oid"},
                    "sku": {"path": "code"},
                    "quantity": {"path": "num"},
                    "unit_price": {"path": "price"},
                    "discount": {"path": "off", "default": None},
                },
                "order_discount": {"path": "off", "convert": "minor_units"},
            },
            "status": {"path": "state", "table": STATUSES},
        }
    )
)


@st.composite
def discounted(draw: st.DrawFn) -> tuple[list[OrderLine], Money]:
    count = draw(st.integers(1, 6))
    lines = [draw(order_lines("CNY", line_id=str(i))) for i in range(count)]
    zero = Money.zero("CNY")
    room = sum((line.subtotal - (line.discount or zero) for line in lines), zero)
    return lines, draw(money("CNY", max_units=room.minor_units))


@given(discounted())
def test_an_order_discount_is_spread_exactly_and_never_past_a_line(
    case: tuple[list[OrderLine], Money],
) -> None:
    """C2: the spread parts add up to the order discount, no line goes below zero."""
    lines, discount = case
    payload = {
        "off": discount.minor_units,
        "state": "20",
        "goods": [
            {"oid": line.line_id, "code": line.sku, "num": line.quantity,
             "price": _amount(line.unit_price), "off": _amount(line.discount)}
            for line in lines
        ],
    }  # fmt: skip
    order = SPREAD.map(payload).order
    before = sum((line.discount for line in lines if line.discount), Money.zero("CNY"))
    assert order.discount_total == before + discount
    assert all(line.total >= Money.zero("CNY") for line in order.lines)
    assert order.subtotal == sum((line.subtotal for line in lines), Money.zero("CNY"))
