"""The built-in converters of a field map, one by one (MISSION C2)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from orderkit.channels import BUILTIN_CONVERTERS, MappingScope
from orderkit.channels._converters import NoCurrency
from orderkit.errors import InvalidAmount, UnknownCurrency
from orderkit.money import Money

SCOPE = MappingScope({"money": {"code": "EUR"}}, "CNY")
NO_CURRENCY = MappingScope({}, None)
SHANGHAI = {"zone": "Asia/Shanghai"}


def convert(name: str, raw: Any, scope: MappingScope = SCOPE, **args: Any) -> Any:
    return BUILTIN_CONVERTERS[name](**args)(raw, scope)


@pytest.mark.parametrize("raw", ["19.90", Decimal("19.90"), " 19.9 "])
def test_money_reads_major_units_in_the_order_currency(raw: object) -> None:
    assert convert("money", raw) == Money("19.90", "CNY")


def test_money_takes_its_currency_from_a_constant_or_a_path() -> None:
    assert convert("money", 5, currency="usd") == Money(5, "USD")
    assert convert("money", "5.10", currency_path="money.code") == Money("5.10", "EUR")


def test_money_refuses_floats_and_text_that_is_not_a_number() -> None:
    with pytest.raises(InvalidAmount, match="floats are inexact"):
        convert("money", 19.9)
    with pytest.raises(InvalidAmount, match="not a decimal number"):
        convert("money", "19,90")


def test_money_without_an_order_currency_says_so() -> None:
    with pytest.raises(NoCurrency):
        convert("money", "1.00", NO_CURRENCY)
    with pytest.raises(ValueError, match=r"no currency at money\.missing"):
        convert("money", "1.00", currency_path="money.missing")


def test_money_arguments_are_checked_when_the_converter_is_built() -> None:
    with pytest.raises(ValueError, match="not both"):
        BUILTIN_CONVERTERS["money"](currency="CNY", currency_path="code")
    with pytest.raises(UnknownCurrency):
        BUILTIN_CONVERTERS["money"](currency="RMB")


@pytest.mark.parametrize(
    ("raw", "currency", "expected"),
    [(1999, "CNY", Money("19.99", "CNY")), ("1999", "JPY", Money(1999, "JPY")),
     (Decimal(5), "KWD", Money("0.005", "KWD"))],
)  # fmt: skip
def test_minor_units_scale_by_the_currency(raw: object, currency: str, expected: Money) -> None:
    assert convert("minor_units", raw, currency=currency) == expected


@pytest.mark.parametrize("raw", [True, Decimal("19.9"), "19.9", 19.9])
def test_minor_units_must_be_whole(raw: object) -> None:
    with pytest.raises((ValueError, TypeError), match="whole number"):
        convert("minor_units", raw)


@pytest.mark.parametrize(
    ("raw", "args", "expected"),
    [
        ("2008-01-10T11:00:00-05:00", {}, datetime(2008, 1, 10, 16, 0, tzinfo=UTC)),
        ("2026-11-11T00:00:00Z", {}, datetime(2026, 11, 11, 0, 0, tzinfo=UTC)),
        ("2026-11-11 20:15:31", SHANGHAI, datetime(2026, 11, 11, 12, 15, 31, tzinfo=UTC)),
        ("2026-11-11T20:15:31+09:00", SHANGHAI, datetime(2026, 11, 11, 11, 15, 31, tzinfo=UTC)),
        (1762863331, {"unit": "s"}, datetime(2025, 11, 11, 12, 15, 31, tzinfo=UTC)),
        ("1762863331", {"unit": "s"}, datetime(2025, 11, 11, 12, 15, 31, tzinfo=UTC)),
        (1762863331250, {"unit": "ms"}, datetime(2025, 11, 11, 12, 15, 31, 250000, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_timestamps_become_utc(raw: object, args: dict[str, str], expected: datetime) -> None:
    value = BUILTIN_CONVERTERS["timestamp"](**args)(raw, SCOPE)
    assert value == expected
    assert value.tzinfo is UTC


def test_a_naive_timestamp_needs_a_declared_zone() -> None:
    with pytest.raises(ValueError, match="declare the platform's zone"):
        convert("timestamp", "2026-11-11 20:15:31")


def test_unix_time_needs_a_declared_unit() -> None:
    with pytest.raises(ValueError, match="declare unit"):
        convert("timestamp", 1762863331)


def test_unreadable_timestamps_are_refused() -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (dateutil's own message)
        convert("timestamp", "next tuesday")


def test_timestamp_arguments_are_checked_when_the_converter_is_built() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        BUILTIN_CONVERTERS["timestamp"](zone="Mars/Olympus")
    with pytest.raises(ValueError, match="s or ms"):
        BUILTIN_CONVERTERS["timestamp"](unit="us")


@pytest.mark.parametrize(("raw", "expected"), [(3, 3), ("3", 3), (" 12 ", 12), (Decimal("3"), 3)])
def test_int_reads_whole_numbers(raw: object, expected: int) -> None:
    assert convert("int", raw) == expected


@pytest.mark.parametrize("raw", [True, "3.5", Decimal("3.5"), None, [3]])
def test_int_refuses_anything_else(raw: object) -> None:
    with pytest.raises((ValueError, TypeError), match="whole number"):
        convert("int", raw)


def test_decimal_stays_exact_and_refuses_floats() -> None:
    assert convert("decimal", "0.1") + convert("decimal", Decimal("0.2")) == Decimal("0.3")
    with pytest.raises(InvalidAmount):
        convert("decimal", 0.1)


@pytest.mark.parametrize(
    ("raw", "expected"), [("a", "a"), (450789469, "450789469"), (Decimal("1E+2"), "100")]
)
def test_str_reads_text_and_numeric_ids(raw: object, expected: str) -> None:
    assert convert("str", raw) == expected


@pytest.mark.parametrize("raw", [True, {"id": 1}, 1.5])
def test_str_refuses_bools_and_structures(raw: object) -> None:
    with pytest.raises(TypeError, match="expected text"):
        convert("str", raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(True, True), (0, False), (Decimal(1), True), ("Yes", True), ("false", False), ("0", False)],
)
def test_bool_reads_the_usual_spellings(raw: object, expected: bool) -> None:
    assert convert("bool", raw) is expected


@pytest.mark.parametrize("raw", ["maybe", 2, None])
def test_bool_refuses_anything_else(raw: object) -> None:
    with pytest.raises(ValueError, match="true/false"):
        convert("bool", raw)


def test_currency_is_checked_and_upper_cased() -> None:
    assert convert("currency", " usd ") == "USD"
    with pytest.raises(UnknownCurrency):
        convert("currency", "RMB")


def test_table_compares_keys_as_text_and_names_unknown_values() -> None:
    values = {1: "wait_pay", "2": "paid", "true": "yes"}
    assert convert("table", "1", values=values) == "wait_pay"
    assert convert("table", 2, values=values) == "paid"
    assert convert("table", True, values=values) == "yes"
    with pytest.raises(ValueError, match=r"unknown value '9'; the table knows 1, 2, true"):
        convert("table", 9, values=values)
    with pytest.raises(ValueError, match="empty"):
        BUILTIN_CONVERTERS["table"](values={})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("86-138-0013-8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        (13800138000, "13800138000"),
        ("010-6552 9988", "01065529988"),
        ("+1 (502) 459-2181", "+15024592181"),
    ],
)
def test_phone_numbers_are_normalised(raw: object, expected: str) -> None:
    assert convert("phone", raw) == expected


@pytest.mark.parametrize("raw", ["call me", "+86 138 0013 80x0", "12"])
def test_phone_refuses_what_is_not_a_number_without_echoing_it(raw: str) -> None:
    with pytest.raises(ValueError, match="not a phone number") as caught:
        convert("phone", raw)
    assert raw not in str(caught.value)


def test_sum_adds_a_field_of_every_item_exactly() -> None:
    allocations = [{"amount": "3.34"}, {"amount": "3.33"}, {"amount": "3.33"}]
    assert convert("sum", allocations, field="amount") == Money("10.00", "CNY")
    assert convert("sum", [], field="amount") == Money.zero("CNY")
    assert convert("sum", [150, 250], each="minor_units", currency="USD") == Money("4.00", "USD")
    assert convert("sum", ["0.1", "0.2"], each="decimal") == Decimal("0.3")


def test_sum_names_the_item_that_lacks_the_field() -> None:
    with pytest.raises(ValueError, match=r"item \[1\] has no amount"):
        convert("sum", [{"amount": "1"}, {"price": "2"}], field="amount")
    with pytest.raises(TypeError, match="expected a list"):
        convert("sum", "1.00", field="amount")
    with pytest.raises(ValueError, match="built-in converter"):
        BUILTIN_CONVERTERS["sum"](each="sum")


def test_the_built_in_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        BUILTIN_CONVERTERS["money"] = BUILTIN_CONVERTERS["str"]  # type: ignore[index]
