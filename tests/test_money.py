"""Money: exact amounts, currencies and rounding (foundation of MISSION D1–D6)."""

from __future__ import annotations

import json
import pickle
from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from orderkit.errors import (
    ConfigError,
    CurrencyMismatch,
    InvalidAmount,
    NotRounded,
    UnknownCurrency,
)
from orderkit.money import Money, Rounding, minor_unit, register_currency
from orderkit.testing import strategies as oks


@pytest.mark.parametrize(
    ("code", "digits"),
    [("CNY", 2), ("USD", 2), ("EUR", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3), ("BHD", 3)],
)
def test_minor_units_follow_iso_4217(code: str, digits: int) -> None:
    assert minor_unit(code) == digits
    assert Money.from_minor(1, code).amount == Decimal(1).scaleb(-digits)


@pytest.mark.parametrize("code", ["XYZ", "usdollar", "", "RMB"])
def test_unknown_currency_is_refused(code: str) -> None:
    with pytest.raises(UnknownCurrency) as caught:
        Money(1, code)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)


def test_currency_code_is_normalised_to_upper_case() -> None:
    assert Money("1", " cny ").currency == "CNY"


@pytest.mark.parametrize(
    "value", [0.1, float("nan"), "NaN", "Infinity", Decimal("-Infinity"), "abc", True, None]
)
def test_inexact_or_invalid_amounts_are_refused(value: object) -> None:
    with pytest.raises(InvalidAmount) as caught:
        Money(value, "USD")  # type: ignore[arg-type]
    assert caught.value.value is value


def test_float_error_says_what_to_do() -> None:
    with pytest.raises(InvalidAmount, match=r"Decimal\('19.99'\)"):
        Money(19.99, "USD")  # type: ignore[arg-type]


def test_constructors_agree() -> None:
    expected = Money(Decimal("19.90"), "CNY")
    assert Money("19.9", "CNY") == expected
    assert Money.from_minor(1990, "CNY") == expected
    assert Money(20, "CNY") - Money("0.10", "CNY") == expected


def test_amounts_show_the_minor_unit_and_keep_finer_digits() -> None:
    assert repr(Money(98, "CNY")) == "Money('98.00', 'CNY')"
    assert str(Money("2.5", "KWD")) == "KWD 2.500"
    assert repr(Money("0.125", "USD")) == "Money('0.125', 'USD')"
    assert repr(Money.zero("JPY")) == "Money('0', 'JPY')"


def test_mixed_currencies_refuse_arithmetic_and_ordering() -> None:
    cny, usd = Money(1, "CNY"), Money(1, "USD")
    with pytest.raises(CurrencyMismatch) as caught:
        cny + usd
    assert (caught.value.left, caught.value.right) == ("CNY", "USD")
    with pytest.raises(CurrencyMismatch):
        cny - usd
    with pytest.raises(CurrencyMismatch):
        _ = cny < usd
    with pytest.raises(CurrencyMismatch):
        _ = cny >= usd
    assert cny != usd
    assert len({cny, usd}) == 2


def test_money_does_not_mix_with_bare_numbers() -> None:
    with pytest.raises(TypeError):
        Money(1, "CNY") + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money(1, "CNY") * Money(1, "CNY")  # type: ignore[operator]
    with pytest.raises(InvalidAmount):
        Money(1, "CNY") * 1.5  # type: ignore[operator]
    assert Money(1, "CNY") != 1


def test_rounding_modes() -> None:
    assert Money("2.345", "EUR").round() == Money("2.35", "EUR")
    assert Money("2.345", "EUR").round(Rounding.HALF_EVEN) == Money("2.34", "EUR")
    assert Money("-2.345", "EUR").round() == Money("-2.35", "EUR")
    assert Money("2.341", "EUR").round(Rounding.UP) == Money("2.35", "EUR")
    assert Money("1.5", "JPY").round(Rounding.HALF_EVEN) == Money(2, "JPY")
    assert Money("1.0005", "KWD").round() == Money("1.001", "KWD")


def test_minor_units_require_a_rounded_amount() -> None:
    assert Money("19.99", "USD").minor_units == 1999
    with pytest.raises(NotRounded) as caught:
        _ = Money("0.125", "USD").minor_units
    assert caught.value.minor_unit == 2
    assert not Money("0.125", "USD").is_rounded
    assert Money("0.120", "USD").is_rounded


def test_truthiness_sum_and_signs() -> None:
    assert not Money.zero("CNY")
    assert Money("0.01", "CNY")
    amounts = [Money("1.10", "CNY"), Money("2.20", "CNY"), Money("3.30", "CNY")]
    assert sum(amounts, Money.zero("CNY")) == Money("6.60", "CNY")
    assert -Money(5, "CNY") == Money(-5, "CNY")
    assert abs(Money(-5, "CNY")) == +Money(5, "CNY")
    assert 3 * Money("0.10", "CNY") == Money("0.30", "CNY")


def test_pickle_and_hash_are_value_based() -> None:
    money = Money("19.99", "CNY")
    assert pickle.loads(pickle.dumps(money)) == money
    assert hash(Money("1.0", "CNY")) == hash(Money("1.00", "CNY"))


def test_match_args_allow_structural_matching() -> None:
    match Money("5.00", "USD"):
        case Money(amount, "USD"):
            assert amount == Decimal(5)
        case _:
            pytest.fail("did not match")


class _Priced(BaseModel):
    price: Money


def test_pydantic_field_json_uses_a_decimal_string() -> None:
    model = _Priced(price=Money("19.99", "CNY"))
    assert model.model_dump_json() == '{"price":{"amount":"19.99","currency":"CNY"}}'
    assert _Priced.model_validate_json(model.model_dump_json()) == model
    assert _Priced.model_validate({"price": {"amount": "1", "currency": "jpy"}}).price == Money(
        1, "JPY"
    )


@pytest.mark.parametrize(
    "price",
    [
        {"amount": 19.99, "currency": "CNY"},
        {"amount": "19.99", "currency": "XXX"},
        {"amount": "NaN", "currency": "CNY"},
        {"amount": "19.99"},
        {"amount": "1", "currency": "CNY", "extra": 1},
    ],
)
def test_pydantic_field_refuses_bad_json(price: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _Priced.model_validate_json(json.dumps({"price": price}))


def test_register_currency_rules() -> None:
    register_currency("PTX", 0)
    register_currency("PTX", 0)
    assert Money(5, "PTX").round() == Money(5, "PTX")
    with pytest.raises(ConfigError):
        register_currency("PTX", 2)
    with pytest.raises(ConfigError):
        register_currency("usd", 2)
    with pytest.raises(ConfigError):
        register_currency("ABC", 9)


@given(oks.money("USD"), oks.money("USD"), oks.money("USD"))
def test_addition_is_exact_associative_and_commutative(a: Money, b: Money, c: Money) -> None:
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a
    assert (a + b).minor_units == a.minor_units + b.minor_units
    assert a + b - b == a


@given(oks.money(), st.integers(-1000, 1000))
def test_multiplying_by_an_int_is_exact(a: Money, n: int) -> None:
    assert (a * n).minor_units == a.minor_units * n


@given(oks.money(min_units=-(10**9)), st.sampled_from(list(Rounding)))
def test_rounding_a_rounded_amount_changes_nothing(a: Money, mode: Rounding) -> None:
    assert a.round(mode) == a


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=6, min_value=-(10**6), max_value=10**6
    ),
    oks.currencies(),
)
def test_rounding_moves_less_than_one_minor_unit(amount: Decimal, code: str) -> None:
    money = Money(amount, code)
    rounded = money.round()
    assert rounded.is_rounded
    assert abs(rounded.amount - money.amount) <= Money.from_minor(1, code).amount / 2


@given(oks.money(min_units=-(10**6), max_units=10**6))
def test_json_round_trip(a: Money) -> None:
    model = _Priced(price=a)
    assert _Priced.model_validate_json(model.model_dump_json()) == model


def test_amounts_beyond_exact_precision_are_refused() -> None:
    with pytest.raises(InvalidAmount, match="significant digits"):
        Money("1" + "0" * 70, "CNY")
    big = Money("1" + "0" * 57, "CNY")
    with pytest.raises(InvalidAmount, match="significant digits"):
        big * 1000


def test_arithmetic_ignores_the_host_decimal_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 6
        assert Money("12345.67", "CNY") + Money("0.01", "CNY") == Money("12345.68", "CNY")
        assert Money("1234567890123456789012345.67", "CNY") * 99 == Money(
            "122222221122222222112222221.33", "CNY"
        )
        assert Money("12345.675", "CNY").round() == Money("12345.68", "CNY")


def test_products_show_the_minor_unit() -> None:
    assert repr(Money("10.00", "CNY") * Decimal("1E+1")) == "Money('100.00', 'CNY')"
    assert repr(Money("10.00", "CNY") * Decimal("1.0")) == "Money('10.00', 'CNY')"
    assert repr(Money("10.00", "CNY") * Decimal("0.125")) == "Money('1.25', 'CNY')"


@pytest.mark.parametrize("text", ["١٩", "1_000", "1,000"])
def test_only_plain_ascii_decimal_text_is_an_amount(text: str) -> None:
    with pytest.raises(InvalidAmount):
        Money(text, "CNY")


def test_non_string_currency_is_an_unknown_currency() -> None:
    with pytest.raises(UnknownCurrency):
        Money(1, ["CNY"])  # type: ignore[arg-type]


def test_pydantic_python_input_accepts_decimal_and_int_amounts() -> None:
    assert _Priced.model_validate(
        {"price": {"amount": Decimal("19.99"), "currency": "CNY"}}
    ).price == Money("19.99", "CNY")
    assert _Priced.model_validate({"price": {"amount": 7, "currency": "JPY"}}).price == Money(
        7, "JPY"
    )
    with pytest.raises(ValidationError):
        _Priced.model_validate({"price": {"amount": 1.5, "currency": "CNY"}})
