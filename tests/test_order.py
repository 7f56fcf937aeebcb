"""The canonical order: validation, derived totals, JSON round trip and schema (C2, C8)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from pydantic import ValidationError

from orderkit.money import Money
from orderkit.order import (
    ChannelRef,
    Order,
    OrderLine,
    Package,
    PackageItem,
    Payment,
    Shipment,
    order_json_schema,
)
from orderkit.testing import strategies as oks

SCHEMA_FILE = Path(__file__).parents[1] / "docs" / "schema" / "order.schema.json"
T0 = datetime(2026, 11, 11, tzinfo=UTC)


def _line(line_id: str = "1", **changes: Any) -> OrderLine:
    fields: dict[str, Any] = {
        "line_id": line_id,
        "sku": "TEA-01",
        "quantity": 2,
        "unit_price": Money("19.90", "CNY"),
    }
    return OrderLine(**(fields | changes))


def _order(**changes: Any) -> Order:
    fields: dict[str, Any] = {
        "order_id": "SO-1",
        "channel": ChannelRef(channel="pinduoduo", external_id="261111-1"),
        "created_at": T0,
        "currency": "CNY",
        "lines": [_line("1"), _line("2", sku="CUP-01", quantity=1)],
    }
    return Order(**(fields | changes))


def _shipment(*items: tuple[str, int]) -> Shipment:
    return Shipment(
        shipment_id="S1",
        shipped_at=T0,
        packages=[
            Package(
                tracking_number="SF100",
                carrier="SF",
                items=[PackageItem(line_id=i, quantity=q) for i, q in items],
            )
        ],
    )


def test_totals_are_derived_exactly() -> None:
    order = _order(
        lines=[
            _line("1", discount=Money("5.00", "CNY"), tax=Money("1.20", "CNY")),
            _line("2", quantity=1, unit_price=Money("0.10", "CNY")),
        ],
        shipping_fee=Money("8.00", "CNY"),
        payments=[
            Payment(payment_id="P1", method="alipay", amount=Money("40.00", "CNY"), paid_at=T0)
        ],
    )
    assert order.subtotal == Money("39.90", "CNY")
    assert order.discount_total == Money("5.00", "CNY")
    assert order.tax_total == Money("1.20", "CNY")
    assert order.total == Money("44.10", "CNY")
    assert order.paid_total == Money("40.00", "CNY")
    assert order.balance_due == Money("4.10", "CNY")
    assert order.line("2").total == Money("0.10", "CNY")
    with pytest.raises(KeyError):
        order.line("9")


def test_datetimes_must_be_aware_and_are_kept_in_utc() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        _order(created_at=datetime(2026, 11, 11))
    beijing = timezone(timedelta(hours=8))
    order = _order(created_at=datetime(2026, 11, 11, 8, tzinfo=beijing))
    assert order.created_at == T0
    assert order.created_at.tzinfo is UTC


def test_one_currency_per_order_names_every_offending_field() -> None:
    with pytest.raises(ValidationError) as caught:
        _order(
            lines=[_line("1", unit_price=Money("1.00", "USD"))],
            shipping_fee=Money("1.00", "EUR"),
        )
    message = str(caught.value)
    assert "lines[0].unit_price is in USD" in message
    assert "shipping_fee is in EUR" in message


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        (
            {"lines": [_line("1"), _line("2", unit_price=Money("1.00", "USD"))]},
            "lines[1].unit_price is in USD",
        ),
        (
            {
                "payments": [
                    Payment(payment_id="P", method="card", amount=Money("1", "EUR"), paid_at=T0)
                ]
            },
            "payments[0].amount is in EUR",
        ),
        ({"shipping_fee": Money("1.00", "JPY")}, "shipping_fee is in JPY"),
    ],
)
def test_every_amount_of_an_order_is_held_to_the_order_currency(
    changes: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        _order(**changes)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"quantity": 0}, "greater than 0"),
        ({"sku": "   "}, "at least 1 character"),
        ({"unit_price": Money("-1.00", "CNY")}, "negative"),
        ({"unit_price": Money("1.005", "CNY")}, "minor unit"),
        ({"discount": Money("50.00", "CNY")}, "exceeds the line subtotal"),
        ({"tax": Money("1.00", "USD")}, "tax is in USD"),
    ],
)
def test_line_validation(changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        _line(**changes)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"lines": []}, "at least 1 item"),
        ({"lines": [_line("1"), _line("1")]}, "line id '1' appears 2 times"),
        ({"currency": "RMB"}, "unknown currency"),
        ({"shipments": [_shipment(("9", 1))]}, "unknown line id '9'"),
        ({"shipments": [_shipment(("1", 2)), _shipment(("1", 1))]}, "ships 3 but only 2"),
        ({"order_id": ""}, "at least 1 character"),
        ({"surprise": 1}, "Extra inputs are not permitted"),
    ],
)
def test_order_validation(changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        _order(**changes)


def test_orders_are_frozen() -> None:
    order = _order()
    with pytest.raises(ValidationError, match="frozen"):
        order.order_id = "other"  # type: ignore[misc]


def test_channel_ref_key_recognises_the_same_order_from_two_exports() -> None:
    first = ChannelRef(channel="douyin", external_id="6921 ")
    second = ChannelRef.model_validate({"channel": "douyin", "external_id": "6921"})
    assert first == second
    assert first.key == "douyin:6921"
    with pytest.raises(ValidationError):
        ChannelRef(channel="Douyin Shop", external_id="1")


def test_partial_shipments_are_valid() -> None:
    order = _order(shipments=[_shipment(("1", 1)), _shipment(("1", 1), ("2", 1))])
    assert len(order.shipments) == 2


@given(oks.orders())
def test_json_round_trip(order: Order) -> None:
    assert Order.model_validate_json(order.model_dump_json()) == order
    assert Order.model_validate(json.loads(order.model_dump_json())) == order


@given(oks.orders(currency="JPY"))
def test_strategies_produce_valid_orders_in_the_requested_currency(order: Order) -> None:
    assert {line.currency for line in order.lines} == {"JPY"}
    assert order.total >= Money.zero("JPY")


def test_published_schema_is_current() -> None:
    published = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert published == order_json_schema(), (
        "docs/schema/order.schema.json is stale: run "
        "`python -m orderkit schema > docs/schema/order.schema.json`"
    )


def test_schema_describes_money_as_decimal_strings() -> None:
    schema = order_json_schema()
    price = schema["$defs"]["OrderLine"]["properties"]["unit_price"]
    assert price["properties"]["amount"]["type"] == "string"
    assert set(schema["required"]) >= {"order_id", "channel", "created_at", "currency", "lines"}


def test_replace_checks_every_rule_again() -> None:
    order = _order()
    assert order.replace(note="gift wrap").note == "gift wrap"
    with pytest.raises(ValidationError, match="ships 3 but only 2"):
        order.replace(shipments=[_shipment(("1", 3))])
    line = order.lines[0]
    assert line.replace(discount=Money("1.00", "CNY")).total == Money("38.80", "CNY")
    with pytest.raises(ValidationError, match="exceeds the line subtotal"):
        line.replace(discount=Money("99.00", "CNY"))


@pytest.mark.parametrize("quantity", [True, "2", 1.0])
def test_quantities_are_strict_ints(quantity: object) -> None:
    with pytest.raises(ValidationError):
        _line(quantity=quantity)


def test_schema_amounts_are_non_negative_and_currency_upper_case() -> None:
    schema = order_json_schema()
    price = schema["$defs"]["OrderLine"]["properties"]["unit_price"]
    assert price["properties"]["amount"]["pattern"] == r"^\d+(\.\d+)?$"
    assert schema["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"
