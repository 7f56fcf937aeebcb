"""Pre-sale deposits credited against the balance (MISSION D5)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from orderkit.discounts._presale import Presale, PresaleBalance, presale_balance
from orderkit.errors import (
    AllocationError,
    CurrencyMismatch,
    InvalidPricingInput,
    NotRounded,
    PricingError,
)
from orderkit.money import Money
from orderkit.testing import strategies as oks


def _cny(text: str) -> Money:
    return Money(text, "CNY")


def _presale(deposit: str, multiplier: str = "1") -> Presale:
    return Presale(deposit=_cny(deposit), multiplier=Decimal(multiplier))


def test_deposit_of_50_worth_100_leaves_199_of_299() -> None:
    balance = presale_balance(_cny("299.00"), _presale("50.00", "2"))
    assert balance == PresaleBalance(
        price=_cny("299.00"),
        deposit=_cny("50.00"),
        credit=_cny("100.00"),
        credit_used=_cny("100.00"),
        unused_credit=_cny("0.00"),
        balance_due=_cny("199.00"),
    )


def test_credit_above_the_price_leaves_nothing_due_and_keeps_the_rest() -> None:
    balance = presale_balance(_cny("80.00"), _presale("50.00", "2"))
    assert balance.credit_used == _cny("80.00")
    assert balance.balance_due == _cny("0.00")
    assert balance.unused_credit == _cny("20.00")


def test_credit_is_rounded_half_up_to_the_minor_unit() -> None:
    assert presale_balance(_cny("100.00"), _presale("0.03", "1.5")).credit == _cny("0.05")
    in_yen = Presale(deposit=Money(3, "JPY"), multiplier=Decimal("1.5"))
    assert presale_balance(Money(1000, "JPY"), in_yen).credit == Money(5, "JPY")


def test_multiplier_defaults_to_one() -> None:
    balance = presale_balance(_cny("30.00"), Presale(deposit=_cny("10.00")))
    assert balance.credit == _cny("10.00")
    assert balance.balance_due == _cny("20.00")


def test_presale_loads_from_a_dict_and_json() -> None:
    data = {"deposit": {"amount": "50.00", "currency": "CNY"}, "multiplier": "2"}
    presale = Presale.model_validate(data)
    assert presale == _presale("50.00", "2")
    assert Presale.model_validate_json(presale.model_dump_json()) == presale


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"deposit": {"amount": "50", "currency": "CNY"}, "multiplier": 2.0},
            "multiplier",
            "float",
        ),
        (
            {"deposit": {"amount": "50", "currency": "CNY"}, "multiplier": "0.5"},
            "multiplier",
            "greater than or equal to 1",
        ),
        ({"deposit": {"amount": "-1", "currency": "CNY"}}, "deposit", "negative"),
        ({"deposit": {"amount": "1.005", "currency": "CNY"}}, "deposit", "minor unit"),
        ({"deposit": {"amount": "1", "currency": "CNY"}, "bonus": "1"}, "bonus", "Extra inputs"),
    ],
)
def test_invalid_presales_are_refused_naming_the_field(
    data: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        Presale.model_validate(data)
    assert [error["loc"] for error in caught.value.errors()] == [(field,)]


def test_presale_is_frozen() -> None:
    presale = _presale("50.00")
    with pytest.raises(ValidationError, match="frozen"):
        presale.multiplier = Decimal(3)  # type: ignore[misc]


def test_price_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatch) as caught:
        presale_balance(Money("299.00", "USD"), _presale("50.00"))
    assert (caught.value.left, caught.value.right) == ("USD", "CNY")


def test_unrounded_price_is_refused() -> None:
    with pytest.raises(NotRounded):
        presale_balance(_cny("299.001"), _presale("50.00"))


def test_negative_price_is_refused() -> None:
    with pytest.raises(InvalidPricingInput, match="negative") as caught:
        presale_balance(_cny("-1.00"), _presale("50.00"))
    assert isinstance(caught.value, PricingError)
    assert isinstance(caught.value, ValueError)


def test_split_gives_each_line_its_share_of_the_balance() -> None:
    balance = presale_balance(_cny("299.00"), _presale("50.00", "2"))
    parts = balance.split({"phone": _cny("199.00"), "case": _cny("100.00")})
    assert parts == {"phone": _cny("132.44"), "case": _cny("66.56")}


def test_split_of_a_fully_credited_price_is_all_zero() -> None:
    balance = presale_balance(_cny("80.00"), _presale("50.00", "2"))
    assert balance.split({"a": _cny("30.00"), "b": _cny("50.00")}) == {
        "a": _cny("0.00"),
        "b": _cny("0.00"),
    }


def test_split_refuses_lines_that_do_not_make_up_the_price() -> None:
    balance = presale_balance(_cny("299.00"), _presale("50.00"))
    with pytest.raises(InvalidPricingInput, match=r"CNY 200\.00, not to the pre-sale price"):
        balance.split({"a": _cny("100.00"), "b": _cny("100.00")})


def test_split_refuses_lines_in_another_currency() -> None:
    balance = presale_balance(_cny("10.00"), _presale("1.00"))
    with pytest.raises(CurrencyMismatch):
        balance.split({"a": Money("10.00", "USD")})


def test_split_refuses_a_negative_line() -> None:
    balance = presale_balance(_cny("10.00"), _presale("1.00"))
    with pytest.raises(AllocationError, match="negative"):
        balance.split({"a": _cny("15.00"), "b": _cny("-5.00")})


@st.composite
def _cases(draw: st.DrawFn) -> tuple[Presale, dict[str, Money]]:
    currency = draw(oks.currencies())
    lines = draw(
        st.dictionaries(
            st.sampled_from("abcdefgh"), oks.money(currency, max_units=10**7), min_size=1
        )
    )
    multiplier = draw(st.decimals(1, 5, places=3))
    deposit = draw(oks.money(currency, max_units=10**7))
    return Presale(deposit=deposit, multiplier=multiplier), lines


@given(_cases())
def test_balance_and_credit_used_make_up_the_price(case: tuple[Presale, dict[str, Money]]) -> None:
    presale, lines = case
    price = sum(lines.values(), Money.zero(presale.deposit.currency))
    balance = presale_balance(price, presale)
    assert balance.balance_due + balance.credit_used == price
    assert balance.credit_used + balance.unused_credit == balance.credit
    assert balance.balance_due.amount >= 0
    assert balance.unused_credit.amount >= 0
    assert balance.credit_used == min(balance.credit, price)
    assert abs(balance.credit.amount - presale.deposit.amount * presale.multiplier) <= (
        Money.from_minor(1, price.currency).amount / 2
    )


@given(_cases())
def test_split_sums_to_the_balance_and_stays_within_each_line(
    case: tuple[Presale, dict[str, Money]],
) -> None:
    presale, lines = case
    price = sum(lines.values(), Money.zero(presale.deposit.currency))
    balance = presale_balance(price, presale)
    parts = balance.split(lines)
    assert parts.keys() == lines.keys()
    assert sum(parts.values(), Money.zero(price.currency)) == balance.balance_due
    for key, part in parts.items():
        assert Money.zero(price.currency) <= part <= lines[key]
