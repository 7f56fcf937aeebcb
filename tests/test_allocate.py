"""Exact allocation: parts always sum to the whole (MISSION D2 line splits, refunds)."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit.errors import AllocationError, CurrencyMismatch, InvalidAmount, NotRounded
from orderkit.money import Money, allocate, allocate_capped
from orderkit.testing import strategies as oks

weights_st = st.lists(
    st.one_of(st.integers(0, 10**6), st.decimals(0, 10**4, places=3)), min_size=1, max_size=12
)


def _cny(text: str) -> Money:
    return Money(text, "CNY")


def test_equal_thirds_give_the_extra_cent_to_the_smallest_key() -> None:
    parts = allocate(_cny("10.00"), {"b": 1, "a": 1, "c": 1})
    assert parts == {"a": _cny("3.34"), "b": _cny("3.33"), "c": _cny("3.33")}


def test_sequence_form_keeps_order_and_needs_keys() -> None:
    assert allocate(_cny("1.00"), [1, 3], keys=["x", "y"]) == [_cny("0.25"), _cny("0.75")]
    with pytest.raises(TypeError, match="keys"):
        allocate(_cny("1.00"), [1, 3])  # type: ignore[call-overload]
    with pytest.raises(AllocationError, match="unique"):
        allocate(_cny("1.00"), [1, 3], keys=["x", "x"])
    with pytest.raises(AllocationError, match="2 weights but 1 keys"):
        allocate(_cny("1.00"), [1, 3], keys=["x"])


def test_money_weights_must_share_the_currency() -> None:
    assert allocate(_cny("3.00"), {"a": _cny("10"), "b": _cny("20")}) == {
        "a": _cny("1.00"),
        "b": _cny("2.00"),
    }
    with pytest.raises(CurrencyMismatch):
        allocate(_cny("3.00"), {"a": Money(1, "USD")})


def test_zero_cases() -> None:
    assert allocate(_cny("0"), {"a": 0, "b": 0}) == {"a": _cny("0"), "b": _cny("0")}
    assert allocate(_cny("0.05"), {"a": 0, "b": 1}) == {"a": _cny("0"), "b": _cny("0.05")}
    with pytest.raises(AllocationError, match="all zero"):
        allocate(_cny("0.05"), {"a": 0, "b": 0})


def test_precise_decimal_weights_keep_their_order() -> None:
    parts = allocate(
        _cny("0.01"), {"x": Decimal(1), "y": Decimal("1.0000000000000000000000000001")}
    )
    assert parts == {"x": _cny("0"), "y": _cny("0.01")}


def test_key_and_cap_mistakes_are_allocation_errors() -> None:
    with pytest.raises(AllocationError, match="all str or all int"):
        allocate(_cny("1.00"), [1, 1], keys=["a", 1])  # type: ignore[type-var]
    with pytest.raises(AllocationError, match="no cap given for \\['b'\\]"):
        allocate_capped(_cny("1.00"), {"a": 1, "b": 1}, {"a": _cny("5.00")})
    with pytest.raises(AllocationError, match="no weights"):
        allocate(_cny("1.00"), {})
    assert allocate(_cny("0"), {}) == {}


def test_bad_inputs() -> None:
    with pytest.raises(AllocationError, match="negative"):
        allocate(_cny("1.00"), {"a": -1, "b": 2})
    with pytest.raises(InvalidAmount):
        allocate(_cny("1.00"), {"a": 0.5})  # type: ignore[dict-item]
    with pytest.raises(NotRounded):
        allocate(_cny("1.005"), {"a": 1})


def test_refunds_split_like_their_absolute_value() -> None:
    assert allocate(_cny("-10.00"), {"a": 1, "b": 1, "c": 1}) == {
        "a": _cny("-3.34"),
        "b": _cny("-3.33"),
        "c": _cny("-3.33"),
    }


def test_zero_decimal_and_three_decimal_currencies() -> None:
    assert allocate(Money(100, "JPY"), {"a": 1, "b": 2}) == {
        "a": Money(33, "JPY"),
        "b": Money(67, "JPY"),
    }
    assert allocate(Money("1.000", "KWD"), {"a": 1, "b": 2}) == {
        "a": Money("0.333", "KWD"),
        "b": Money("0.667", "KWD"),
    }


@given(oks.money(min_units=-(10**9)), weights_st.filter(lambda w: sum(w) > 0))
def test_parts_sum_to_the_total_within_one_unit_of_the_exact_share(
    total: Money, weights: list[int | Decimal]
) -> None:
    keys = list(range(len(weights)))
    parts = allocate(total, weights, keys=keys)
    assert sum(parts, Money.zero(total.currency)) == total
    whole = sum(Fraction(w) for w in weights)
    for weight, part in zip(weights, parts, strict=True):
        exact = Fraction(total.minor_units) * Fraction(weight) / whole
        assert abs(Fraction(part.minor_units) - exact) < 1
        if weight == 0:
            assert part.minor_units == 0


@given(oks.money(), weights_st.filter(lambda w: sum(w) > 0), st.randoms())
def test_permuting_the_inputs_permutes_the_outputs(
    total: Money, weights: list[int | Decimal], rng: random.Random
) -> None:
    keyed = {f"line-{i}": w for i, w in enumerate(weights)}
    shuffled = list(keyed.items())
    rng.shuffle(shuffled)
    assert allocate(total, dict(shuffled)) == allocate(total, keyed)


@given(oks.money(), weights_st.filter(lambda w: sum(w) > 0))
def test_refund_is_the_mirror_of_the_charge(total: Money, weights: list[int | Decimal]) -> None:
    keys = list(range(len(weights)))
    assert allocate(-total, weights, keys=keys) == [-p for p in allocate(total, weights, keys=keys)]


def test_capped_pins_parts_and_spreads_the_rest() -> None:
    caps = {"tea": _cny("100.00"), "cup": _cny("5.00"), "bag": _cny("1.00")}
    parts = allocate_capped(_cny("30.00"), {"tea": 1, "cup": 1, "bag": 1}, caps)
    assert parts == {"tea": _cny("24.00"), "cup": _cny("5.00"), "bag": _cny("1.00")}


def test_capped_sequence_form_and_refunds() -> None:
    parts = allocate_capped(_cny("-6.00"), [1, 1], [_cny("2.00"), _cny("10.00")], keys=["a", "b"])
    assert parts == [_cny("-2.00"), _cny("-4.00")]


def test_capped_refuses_what_cannot_fit() -> None:
    with pytest.raises(AllocationError, match="less than"):
        allocate_capped(_cny("30.00"), {"a": 1}, {"a": _cny("29.99")})
    with pytest.raises(AllocationError, match="zero weight"):
        allocate_capped(_cny("8.00"), {"a": 1, "b": 0}, {"a": _cny("5.00"), "b": _cny("10")})
    with pytest.raises(AllocationError, match="negative"):
        allocate_capped(_cny("1.00"), {"a": 1}, {"a": _cny("-1.00")})
    with pytest.raises(CurrencyMismatch):
        allocate_capped(_cny("1.00"), {"a": 1}, {"a": Money(5, "USD")})
    with pytest.raises(AllocationError, match="caps"):
        allocate_capped(_cny("1.00"), [1, 1], [_cny("5.00")], keys=["a", "b"])


@st.composite
def capped_cases(draw: st.DrawFn) -> tuple[Money, list[int], list[Money]]:
    caps = draw(st.lists(oks.money("CNY", max_units=10**6), min_size=1, max_size=10))
    weights = draw(st.lists(st.integers(1, 1000), min_size=len(caps), max_size=len(caps)))
    room = sum(c.minor_units for c in caps)
    total = Money.from_minor(draw(st.integers(0, room)), "CNY")
    return total, weights, caps


@given(capped_cases())
def test_capped_parts_sum_to_total_and_respect_caps(
    case: tuple[Money, list[int], list[Money]],
) -> None:
    total, weights, caps = case
    keys = [f"k{i}" for i in range(len(caps))]
    parts = allocate_capped(total, weights, caps, keys=keys)
    assert sum(parts, Money.zero("CNY")) == total
    assert all(Money.zero("CNY") <= p <= c for p, c in zip(parts, caps, strict=True))


@given(capped_cases(), st.randoms())
def test_capped_is_permutation_invariant(
    case: tuple[Money, list[int], list[Money]], rng: random.Random
) -> None:
    total, weights, caps = case
    keyed = [(f"k{i}", w, c) for i, (w, c) in enumerate(zip(weights, caps, strict=True))]
    expected = allocate_capped(total, {k: w for k, w, _ in keyed}, {k: c for k, _, c in keyed})
    rng.shuffle(keyed)
    shuffled = allocate_capped(total, {k: w for k, w, _ in keyed}, {k: c for k, _, c in keyed})
    assert shuffled == expected
