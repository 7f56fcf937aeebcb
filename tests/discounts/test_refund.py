"""Refunds reverse the quote's own allocation (MISSION D2), with an explicit clawback policy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit.discounts import Cart, CartLine, Quote, RuleSet, price, refund
from orderkit.errors import InvalidReturn
from orderkit.money import Money

AT = datetime(2026, 11, 11, tzinfo=UTC)

RULES = RuleSet.load(
    {
        "currency": "CNY",
        "layers": [
            {"name": "shop", "policy": "best"},
            {"name": "gift", "policy": "stack"},
        ],
        "rules": [
            {
                "id": "300-40",
                "kind": "threshold",
                "layer": "shop",
                "threshold": "300",
                "amount": "40",
            },
            {
                "id": "cup-over-250",
                "kind": "gift",
                "layer": "gift",
                "gift_sku": "CUP",
                "min_spend": "250",
            },
        ],
    }
)


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def _cart(*lines: tuple[str, int, str], shipping: str | None = None) -> Cart:
    return Cart(
        currency="CNY",
        at=AT,
        lines=[
            CartLine(line_id=key, sku=f"SKU-{key}", quantity=quantity, unit_price=cny(unit))
            for key, quantity, unit in lines
        ],
        shipping_fee=None if shipping is None else cny(shipping),
    )


@pytest.fixture
def quote() -> Quote:
    """A 200.00 dress and three 40.00 scarves: 320.00, 40.00 off split 25.00 / 15.00."""
    return price(_cart(("dress", 1, "200.00"), ("scarf", 3, "40.00"), shipping="8.00"), RULES)


def test_the_quote_behind_the_examples(quote: Quote) -> None:
    assert quote.line("dress").payable == cny("175.00")
    assert quote.line("scarf").payable == cny("105.00")
    assert [g.sku for g in quote.gifts] == ["CUP"]


def test_keep_refunds_what_the_returned_units_paid(quote: Quote) -> None:
    returned = refund(quote, {"scarf": 1})
    assert returned.total == cny("35.00")
    assert returned.clawback == cny("0.00")
    assert returned.gifts_to_return == ()


def test_reprice_claws_back_a_broken_threshold(quote: Quote) -> None:
    """Returning the dress leaves 120.00 of scarves: under 300, so their 15.00 share is due."""
    returned = refund(quote, {"dress": 1}, policy="reprice", rules=RULES)
    assert returned.paid == cny("175.00")
    assert returned.clawback == cny("15.00")
    assert returned.total == cny("160.00")
    assert [g.sku for g in returned.gifts_to_return] == ["CUP"]
    assert returned.repriced is not None
    assert returned.repriced.log.entry("300-40").reason == "below_threshold"


def test_reprice_takes_nothing_while_the_threshold_still_holds() -> None:
    quote = price(_cart(("dress", 1, "300.00"), ("scarf", 1, "40.00")), RULES)
    returned = refund(quote, {"scarf": 1}, policy="reprice", rules=RULES)
    assert returned.clawback == cny("0.00")
    assert returned.total == quote.line("scarf").payable


def test_reprice_never_takes_the_refund_below_zero() -> None:
    """The 0.87 a pin paid cannot cover the dress's 39.87 share of a broken 300 - 40.

    The refund stops at zero and the 39.00 left over is reported as uncollected.
    """
    quote = price(_cart(("dress", 1, "299.00"), ("pin", 1, "1.00")), RULES)
    returned = refund(quote, {"pin": 1}, policy="reprice", rules=RULES)
    assert returned.total == cny("0.00")
    assert returned.clawback == returned.paid
    assert returned.paid == cny("0.87")
    assert returned.uncollected == quote.line("dress").discount - returned.paid == cny("39.00")


def test_partial_returns_take_the_smallest_unit_shares_first() -> None:
    """10.00 over 3 units is 3.34 / 3.33 / 3.33: the first two returns get 3.33 each."""
    three = price(
        _cart(("tea", 3, "10.00")),
        RuleSet.load(
            {
                "currency": "CNY",
                "rules": [{"id": "off", "kind": "amount_off", "layer": "shop", "amount": "20.00"}],
            }
        ),
    )
    assert three.line("tea").payable == cny("10.00")
    first = refund(three, {"tea": 1})
    second = refund(three, {"tea": 1}, returned_before={"tea": 1})
    third = refund(three, {"tea": 1}, returned_before={"tea": 2})
    assert [first.total, second.total, third.total] == [cny("3.33"), cny("3.33"), cny("3.34")]


def test_shipping_is_refunded_only_when_asked(quote: Quote) -> None:
    everything = {"dress": 1, "scarf": 3}
    assert refund(quote, everything).total == cny("280.00")
    assert refund(quote, everything, shipping=True).total == quote.payable


@pytest.mark.parametrize(
    ("returns", "before", "message"),
    [
        ({"hat": 1}, {}, "not on the quote"),
        ({"scarf": 4}, {}, "exceeds the 3 bought"),
        ({"scarf": 2}, {"scarf": 2}, "returning 2 after 2"),
        ({"scarf": -1}, {}, "non-negative int"),
        ({"scarf": True}, {}, "non-negative int"),
    ],
)
def test_impossible_returns_are_refused(
    quote: Quote, returns: dict[str, int], before: dict[str, int], message: str
) -> None:
    with pytest.raises(InvalidReturn, match=message):
        refund(quote, returns, returned_before=before)


def test_reprice_needs_the_rules(quote: Quote) -> None:
    with pytest.raises(InvalidReturn, match="needs the rules"):
        refund(quote, {"dress": 1}, policy="reprice")


@st.composite
def _return_plans(draw: st.DrawFn) -> tuple[Quote, list[dict[str, int]]]:
    """A priced cart and a random series of partial returns that ends with everything back."""
    sizes = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    units = draw(st.lists(st.integers(1, 400), min_size=len(sizes), max_size=len(sizes)))
    lines = [
        (f"l{n}", quantity, f"{unit}.{unit % 100:02d}")
        for n, (quantity, unit) in enumerate(zip(sizes, units, strict=True))
    ]
    quote = price(_cart(*lines), RULES)
    left = {key: quantity for key, quantity, _ in lines}
    plan: list[dict[str, int]] = []
    while any(left.values()):
        step = {key: draw(st.integers(1, count), label=key) for key, count in left.items() if count}
        step = dict(list(step.items())[: draw(st.integers(1, len(step)))])
        for key, count in step.items():
            left[key] -= count
        plan.append(step)
    return quote, plan


@given(_return_plans(), st.sampled_from(["keep", "reprice"]))
def test_a_series_of_returns_refunds_at_most_what_was_paid(
    plan: tuple[Quote, list[dict[str, int]]], policy: str
) -> None:
    """Any series of partial returns ending with everything back: 'keep' refunds exactly what
    was paid; 'reprice' refunds what was paid less the clawbacks, never less than zero per step."""
    quote, steps = plan
    before: dict[str, int] = {}
    total = Money.zero("CNY")
    clawed = Money.zero("CNY")
    for step in steps:
        done = refund(
            quote,
            step,
            returned_before=before,
            policy="reprice" if policy == "reprice" else "keep",
            rules=RULES,
        )
        assert done.total >= Money.zero("CNY")
        total += done.total
        clawed += done.clawback
        for key, count in step.items():
            before[key] = before.get(key, 0) + count
    paid = quote.payable
    assert total + clawed == paid
    if policy == "keep":
        assert total == paid
