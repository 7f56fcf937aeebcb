"""Each kind of rule, priced through :func:`price` on small carts worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orderkit.discounts import Gift, Quote, price
from orderkit.errors import CurrencyMismatch, RuleSetInvalid
from orderkit.money import Money
from tests.discounts.support import cart, cny, discounts_of, item, payables, rule_set


def _one(rule: dict[str, Any], *lines: Any, **fields: Any) -> Quote:
    """Price ``lines`` under a rule set holding only ``rule`` (in the shop layer)."""
    return price(cart(*lines, **fields), rule_set({"id": "r", "layer": "shop", **rule}))


def _off(quote: Quote) -> str:
    """Everything taken off, as a plain decimal string."""
    return str(quote.discount.amount)


# --- percentage ---------------------------------------------------------------------------


def test_percentage_is_split_by_what_each_line_costs() -> None:
    quote = _one(
        {"kind": "percentage", "percent_off": "10"}, item("a", "200.00"), item("b", "120.00")
    )
    assert discounts_of(quote, "r") == {"a": "20.00", "b": "12.00"}
    assert payables(quote) == {"a": "180.00", "b": "108.00"}
    assert quote.log.entry("r").message == "matched: percent_off 10"


def test_percentage_min_spend_is_inclusive() -> None:
    lines = (item("a", "200.00"), item("b", "120.00"))
    at_bound = _one({"kind": "percentage", "percent_off": "10", "min_spend": "320"}, *lines)
    assert _off(at_bound) == "32.00"
    above = _one({"kind": "percentage", "percent_off": "10", "min_spend": "320.01"}, *lines)
    entry = above.log.entry("r")
    assert (entry.status, entry.reason) == ("not_matched", "below_threshold")
    assert entry.message == "subtotal 320.00 < threshold 320.01: 0.01 short"
    assert _off(above) == "0.00"


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [
        ("ROUND_HALF_UP", "0.51"),
        ("ROUND_HALF_EVEN", "0.50"),
        ("ROUND_DOWN", "0.50"),
        ("ROUND_UP", "0.51"),
    ],
)
def test_percentage_rounds_once_with_the_rule_sets_rounding(rounding: str, expected: str) -> None:
    """5 % of 10.10 is 0.505: the rule set's rounding decides the last fen."""
    rules = rule_set(
        {"id": "r", "kind": "percentage", "layer": "shop", "percent_off": "5"}, rounding=rounding
    )
    assert _off(price(cart(item("a", "10.10")), rules)) == expected


def test_percentage_that_rounds_to_nothing_does_not_match() -> None:
    quote = _one({"kind": "percentage", "percent_off": "1"}, item("a", "0.40"))
    entry = quote.log.entry("r")
    assert (entry.status, entry.reason) == ("not_matched", "rounds_to_zero")
    assert entry.message == "the discount rounds to zero"


# --- amount off, payable never below zero -------------------------------------------------


def test_amount_off_takes_at_most_what_is_left_and_says_so() -> None:
    quote = _one({"kind": "amount_off", "amount": "50"}, item("a", "30.00"), item("b", "10.00"))
    assert payables(quote) == {"a": "0.00", "b": "0.00"}
    entry = quote.log.entry("r")
    assert entry.proposed == entry.applied == cny("40.00")
    assert entry.message == (
        "matched; reduced from 50.00: only what was left on the targeted lines"
    )


def test_stacked_amounts_never_take_a_line_below_zero() -> None:
    rules = rule_set(
        {"id": "big", "kind": "amount_off", "layer": "shop", "amount": "150"},
        {"id": "bigger", "kind": "amount_off", "layer": "shop", "amount": "100"},
        {"id": "packet", "kind": "red_packet", "layer": "platform", "amount": "10"},
        layers=[{"name": "shop", "policy": "stack"}, {"name": "platform", "policy": "best"}],
    )
    quote = price(cart(item("a", "200.00")), rules)
    assert payables(quote) == {"a": "0.00"}
    assert quote.log.entry("big").applied == cny("150.00")  # "big" < "bigger": it goes first
    bigger = quote.log.entry("bigger")
    assert bigger.applied == cny("50.00")
    assert (
        bigger.message == "matched; reduced from 100.00: only what was left on the targeted lines"
    )
    packet = quote.log.entry("packet")
    assert (packet.status, packet.reason) == ("not_matched", "nothing_left")
    assert packet.message == "nothing is left to pay on the targeted lines"


# --- fixed price --------------------------------------------------------------------------


def test_fixed_price_lowers_only_the_targeted_units_above_it() -> None:
    rule = {"kind": "fixed_price", "price": "20", "target": {"categories": ["tea"]}}
    quote = _one(
        rule,
        item("t1", "30.00", 2, categories=["tea"]),
        item("t2", "15.00", categories=["tea"]),
        item("cup", "50.00", categories=["ware"]),
    )
    assert discounts_of(quote, "r") == {"t1": "20.00"}
    assert payables(quote) == {"cup": "50.00", "t1": "40.00", "t2": "15.00"}
    assert quote.log.entry("r").message == "matched: price 20.00"


def test_fixed_price_above_every_unit_does_not_match() -> None:
    quote = _one({"kind": "fixed_price", "price": "20"}, item("a", "20.00"), item("b", "5.00"))
    entry = quote.log.entry("r")
    assert (entry.status, entry.reason) == ("not_matched", "at_or_under_price")
    assert entry.message == "every targeted unit already costs 20.00 or less"


# --- threshold, tiers, every-X (MISSION D2) -----------------------------------------------


def test_threshold_is_met_exactly_at_the_bound() -> None:
    """300 - 40 on 200.00 + 100.00: met at exactly 300.00, split 2:1 with the odd fen to a."""
    quote = _one(
        {"kind": "threshold", "threshold": "300", "amount": "40"},
        item("a", "200.00"),
        item("b", "100.00"),
    )
    assert discounts_of(quote, "r") == {"a": "26.67", "b": "13.33"}
    assert quote.log.entry("r").remainder_to == ("a",)


def test_threshold_one_fen_short_says_how_short() -> None:
    quote = _one(
        {"kind": "threshold", "threshold": "300", "amount": "40"},
        item("a", "200.00"),
        item("b", "99.99"),
    )
    entry = quote.log.entry("r")
    assert (entry.status, entry.reason) == ("not_matched", "below_threshold")
    assert entry.message == "subtotal 299.99 < threshold 300.00: 0.01 short"
    assert dict(entry.facts)["short"] == cny("0.01")


@pytest.mark.parametrize(
    ("subtotal", "off"),
    [
        ("299.99", "0.00"),
        ("300.00", "40.00"),
        ("499.99", "40.00"),
        ("500.00", "80.00"),
        ("900.00", "80.00"),
    ],
)
def test_tiers_take_the_highest_tier_reached(subtotal: str, off: str) -> None:
    """300 → 40, 500 → 80, both bounds inclusive."""
    tiers = [{"threshold": "300", "amount": "40"}, {"threshold": "500", "amount": "80"}]
    assert _off(_one({"kind": "tiered", "tiers": tiers}, item("a", subtotal))) == off


def test_tiers_name_the_tier_reached_or_the_first_one_missed() -> None:
    tiers = [{"threshold": "300", "amount": "40"}, {"threshold": "500", "amount": "80"}]
    reached = _one({"kind": "tiered", "tiers": tiers}, item("a", "520.00"))
    assert reached.log.entry("r").message == "matched: tier 500.00"
    missed = _one({"kind": "tiered", "tiers": tiers}, item("a", "268.00"))
    assert missed.log.entry("r").message == "subtotal 268.00 < threshold 300.00: 32.00 short"


@pytest.mark.parametrize(
    ("subtotal", "max_times", "off"),
    [
        ("99.99", 3, "0.00"),
        ("100.00", 3, "10.00"),
        ("299.99", 3, "20.00"),
        ("300.00", 3, "30.00"),
        ("500.00", 3, "30.00"),
        ("500.00", None, "50.00"),
    ],
)
def test_every_100_spent_takes_10_off_up_to_max_times(
    subtotal: str, max_times: int | None, off: str
) -> None:
    rule = {"kind": "every", "step": "100", "amount": "10", "max_times": max_times}
    assert _off(_one(rule, item("a", subtotal))) == off


def test_every_reports_the_repetitions_and_the_first_step_missed() -> None:
    rule = {"kind": "every", "step": "100", "amount": "10", "max_times": 3}
    assert _one(rule, item("a", "500.00")).log.entry("r").message == "matched: times 3"
    missed = _one(rule, item("a", "99.99")).log.entry("r")
    assert missed.message == "subtotal 99.99 < threshold 100.00: 0.01 short"


# --- buy X get Y --------------------------------------------------------------------------


def test_buy_2_get_1_frees_the_cheapest_units() -> None:
    """Six units make two groups of three: the 10.00 unit and one 20.00 unit are free."""
    quote = _one(
        {"kind": "buy_x_get_y", "buy": 2, "get": 1},
        item("a", "30.00", 3),
        item("b", "10.00"),
        item("c", "20.00", 2),
    )
    assert discounts_of(quote, "r") == {"b": "10.00", "c": "20.00"}
    assert payables(quote) == {"a": "90.00", "b": "0.00", "c": "20.00"}
    assert quote.log.entry("r").message == "matched: free_units 2"


@pytest.mark.parametrize("order", [("x", "y", "z"), ("z", "y", "x"), ("y", "z", "x")])
def test_buy_2_get_1_breaks_ties_by_line_key(order: tuple[str, str, str]) -> None:
    """Two units at 20.00 tie for cheapest: the smaller line key, x, gets the free unit."""
    prices = {"x": "20.00", "y": "20.00", "z": "50.00"}
    quote = _one(
        {"kind": "buy_x_get_y", "buy": 2, "get": 1}, *(item(key, prices[key]) for key in order)
    )
    assert discounts_of(quote, "r") == {"x": "20.00"}


def test_buy_x_get_y_at_half_price_and_too_few_units() -> None:
    half = _one(
        {"kind": "buy_x_get_y", "buy": 2, "get": 1, "percent_off": "50"}, item("a", "30.00", 3)
    )
    assert discounts_of(half, "r") == {"a": "15.00"}
    few = _one({"kind": "buy_x_get_y", "buy": 2, "get": 1}, item("a", "30.00", 2))
    entry = few.log.entry("r")
    assert (entry.status, entry.reason) == ("not_matched", "too_few_units")
    assert entry.message == "2 targeted units, 3 needed"


def test_buy_x_get_y_ranks_units_by_what_is_left_to_pay() -> None:
    """The member layer brings a down to 10.00, so a, not b, is the cheapest unit now."""
    rules = rule_set(
        {
            "id": "a-at-10",
            "kind": "fixed_price",
            "layer": "member",
            "price": "10",
            "target": {"skus": ["A"]},
        },
        {"id": "b2g1", "kind": "buy_x_get_y", "layer": "shop", "buy": 2, "get": 1},
    )
    quote = price(cart(item("a", "40.00"), item("b", "30.00"), item("c", "35.00")), rules)
    assert discounts_of(quote, "b2g1") == {"a": "10.00"}


# --- gift with purchase (MISSION D6) ------------------------------------------------------

_SCARF = {
    "kind": "gift",
    "gift_sku": "SCARF",
    "gift_title": "Silk scarf",
    "gift_value": "59.00",
    "min_spend": "300",
}


def test_gift_is_an_explicit_zero_priced_line() -> None:
    """MISSION D6: the gift is listed, priced at zero, and the bought lines are untouched."""
    quote = _one(_SCARF, item("a", "200.00"), item("b", "120.00"))
    assert quote.gifts == (Gift("r", "SCARF", 1, "Silk scarf", cny("59.00")),)
    assert payables(quote) == {"a": "200.00", "b": "120.00"}
    assert quote.payable == cny("320.00")
    gifts = quote.to_dict()["gifts"]
    assert gifts == [
        {
            "rule_id": "r",
            "sku": "SCARF",
            "quantity": 1,
            "title": "Silk scarf",
            "price": "0.00",
            "value": "59.00",
        }
    ]
    assert "gift SCARF x1 (rule r)" in str(quote)
    entry = quote.log.entry("r")
    assert (entry.status, entry.applied) == ("applied", cny("0.00"))


def test_gift_needs_its_minimum_spend_and_quantity() -> None:
    short = _one(_SCARF, item("a", "200.00"), item("b", "99.99"))
    assert short.gifts == ()
    assert short.log.entry("r").message == "subtotal 299.99 < threshold 300.00: 0.01 short"
    rule = {"kind": "gift", "gift_sku": "MUG", "gift_quantity": 2, "min_quantity": 3}
    few = _one(rule, item("a", "10.00", 2))
    assert few.gifts == ()
    assert few.log.entry("r").message == "2 targeted units, 3 needed"
    enough = _one(rule, item("a", "10.00", 3))
    assert enough.gifts == (Gift("r", "MUG", 2),)


def test_gift_needs_a_targeted_line() -> None:
    rule = {"kind": "gift", "gift_sku": "MUG", "target": {"skus": ["TEA"]}}
    quote = _one(rule, item("cup", "10.00"))
    assert quote.gifts == ()
    entry = quote.log.entry("r")
    assert (entry.reason, entry.message) == ("no_lines", "no line in the cart is targeted")


# --- member tier, coupon, red packet (MISSION D1's three kinds) ---------------------------

_TIERS = {"kind": "member_tier", "percent_off_by_tier": {"gold": "5", "platinum": "10"}}


@pytest.mark.parametrize(("tier", "off"), [("gold", "16.00"), ("platinum", "32.00")])
def test_member_tier_takes_the_buyers_tier_percentage(tier: str, off: str) -> None:
    quote = _one(_TIERS, item("a", "200.00"), item("b", "120.00"), member_tier=tier)
    assert _off(quote) == off
    assert quote.log.entry("r").message.startswith(f"matched: tier {tier}, percent_off ")


@pytest.mark.parametrize(("tier", "shown"), [("silver", "silver"), (None, "none")])
def test_member_tier_without_a_listed_tier_does_not_match(tier: str | None, shown: str) -> None:
    quote = _one(_TIERS, item("a", "200.00"), member_tier=tier)
    entry = quote.log.entry("r")
    assert (entry.status, entry.reason) == ("not_matched", "member_tier")
    assert entry.message == f"member tier {shown} is not one of [gold, platinum]"


_COUPON = {"kind": "coupon", "code": "SHOP300", "min_spend": "300", "amount": "40"}


def test_coupon_needs_its_code() -> None:
    lines = (item("a", "200.00"), item("b", "120.00"))
    without = _one(_COUPON, *lines)
    entry = without.log.entry("r")
    assert (entry.status, entry.reason) == ("not_matched", "code_missing")
    assert entry.message == "code SHOP300 was not presented"
    assert _off(_one(_COUPON, *lines, codes={"OTHER"})) == "0.00"
    assert _off(_one(_COUPON, *lines, codes={"SHOP300"})) == "40.00"


def test_coupon_with_its_code_still_needs_its_minimum_spend() -> None:
    quote = _one(_COUPON, item("a", "200.00"), item("b", "68.00"), codes={"SHOP300"})
    assert quote.log.entry("r").message == "subtotal 268.00 < threshold 300.00: 32.00 short"


def test_percentage_coupon() -> None:
    rule = {"kind": "coupon", "code": "TENOFF", "percent_off": "10"}
    quote = _one(rule, item("a", "200.00"), item("b", "120.00"), codes={"TENOFF"})
    assert discounts_of(quote, "r") == {"a": "20.00", "b": "12.00"}


def test_red_packet_needs_no_code_unless_it_has_one() -> None:
    plain = _one({"kind": "red_packet", "amount": "10"}, item("a", "200.00"))
    assert _off(plain) == "10.00"
    coded = {"kind": "red_packet", "amount": "10", "code": "RP-10"}
    assert _one(coded, item("a", "200.00")).log.entry("r").reason == "code_missing"
    assert _off(_one(coded, item("a", "200.00"), codes={"RP-10"})) == "10.00"


# --- shipping -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "payable"),
    [
        ({}, "0.00"),
        ({"amount": "5"}, "7.00"),
        ({"amount": "20"}, "0.00"),
        ({"percent_off": "50"}, "6.00"),
        ({"percent_off": "33"}, "8.04"),
    ],
)
def test_shipping_discount_free_amount_or_percent(value: dict[str, str], payable: str) -> None:
    """A 12.00 fee: free by default, an amount (at most the fee), or a percentage."""
    quote = _one({"kind": "shipping", **value}, item("a", "100.00"), shipping_fee=cny("12.00"))
    assert quote.shipping is not None
    assert quote.shipping.payable == cny(payable)
    assert payables(quote) == {"a": "100.00"}
    assert quote.payable == cny("100.00") + cny(payable)
    assert quote.discount == cny("12.00") - cny(payable)


@pytest.mark.parametrize("fee", [None, "0.00"])
def test_shipping_discount_without_a_fee_does_not_match(fee: str | None) -> None:
    quote = _one(
        {"kind": "shipping"}, item("a", "100.00"), shipping_fee=None if fee is None else cny(fee)
    )
    entry = quote.log.entry("r")
    assert (entry.reason, entry.message) == (
        "no_shipping_fee",
        "no shipping fee is left to discount",
    )


def test_stacked_shipping_discounts_never_take_the_fee_below_zero() -> None:
    """5.00 off a 12.00 fee, then free shipping on what is left: 7.00, not 12.00."""
    rules = rule_set(
        {"id": "a-five", "kind": "shipping", "layer": "shop", "amount": "5"},
        {"id": "b-free", "kind": "shipping", "layer": "shop"},
        layers=[{"name": "shop", "policy": "stack"}],
    )
    quote = price(cart(item("a", "50.00"), shipping_fee=cny("12.00")), rules)
    assert [e.applied for e in quote.log] == [cny("5.00"), cny("7.00")]
    assert quote.shipping is not None
    assert quote.shipping.payable == cny("0.00")
    assert quote.payable == cny("50.00")


def test_free_shipping_from_a_minimum_spend() -> None:
    rule = {"kind": "shipping", "min_spend": "99"}
    short = _one(rule, item("a", "98.99"), shipping_fee=cny("12.00"))
    assert short.payable == cny("110.99")
    met = _one(rule, item("a", "99.00"), shipping_fee=cny("12.00"))
    assert met.payable == cny("99.00")
    rows = [row.split() for row in str(met).splitlines()]
    assert ["shipping", "12.00", "12.00", "0.00"] in rows
    assert rows[-1] == ["total", "111.00", "12.00", "99.00"]


# --- max_discount -------------------------------------------------------------------------


def test_max_discount_caps_a_rule_and_the_log_says_from_what() -> None:
    quote = _one(
        {"kind": "percentage", "percent_off": "50", "max_discount": "20"},
        item("a", "60.00"),
        item("b", "40.00"),
    )
    assert discounts_of(quote, "r") == {"a": "12.00", "b": "8.00"}
    entry = quote.log.entry("r")
    assert entry.proposed == entry.applied == cny("20.00")
    assert dict(entry.facts)["capped_from"] == cny("50.00")
    assert entry.message == "matched: percent_off 50; capped by max_discount from 50.00"


def test_max_discount_on_a_per_line_rule_splits_the_cap_by_each_lines_share() -> None:
    """Fixed price 10 would take 40.00 off a and 20.00 off b; a cap of 30 keeps 2:1."""
    quote = _one(
        {"kind": "fixed_price", "price": "10", "max_discount": "30"},
        item("a", "30.00", 2),
        item("b", "30.00"),
    )
    assert discounts_of(quote, "r") == {"a": "20.00", "b": "10.00"}


def test_max_discount_caps_a_shipping_discount() -> None:
    quote = _one(
        {"kind": "shipping", "max_discount": "5"}, item("a", "10.00"), shipping_fee=cny("12.00")
    )
    assert quote.shipping is not None
    assert quote.shipping.payable == cny("7.00")


# --- targets ------------------------------------------------------------------------------


def _targeted(target: dict[str, list[str]], **fields: Any) -> dict[str, str]:
    """What a 10 % rule with ``target`` takes off each line of a three-line cart."""
    quote = _one(
        {"kind": "percentage", "percent_off": "10", "target": target},
        item("tea", "100.00", categories=["tea", "gift-box"]),
        item("cup", "50.00", categories=["ware"]),
        item("pot", "80.00", categories=["ware", "gift-box"], channel="douyin"),
        **fields,
    )
    return discounts_of(quote, "r")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({}, {"tea": "10.00", "cup": "5.00", "pot": "8.00"}),
        ({"skus": ["TEA"]}, {"tea": "10.00"}),
        ({"categories": ["ware"]}, {"cup": "5.00", "pot": "8.00"}),
        ({"skus": ["TEA"], "categories": ["ware"]}, {"tea": "10.00", "cup": "5.00", "pot": "8.00"}),
        ({"categories": ["ware"], "exclude_skus": ["POT"]}, {"cup": "5.00"}),
        ({"exclude_categories": ["gift-box"]}, {"cup": "5.00"}),
        ({"skus": ["TEA"], "exclude_categories": ["tea"]}, {}),
    ],
)
def test_targets_by_sku_and_category_with_exclusions_winning(
    target: dict[str, list[str]], expected: dict[str, str]
) -> None:
    assert _targeted(target) == expected


def test_target_channels_test_the_lines_channel_before_the_carts() -> None:
    """The pot line was sold on Douyin; the others take the cart's channel, Tmall."""
    assert _targeted({"channels": ["douyin"]}, channel="tmall") == {"pot": "8.00"}
    assert _targeted({"channels": ["tmall"]}, channel="tmall") == {"tea": "10.00", "cup": "5.00"}


def test_a_target_matching_no_line_does_not_match() -> None:
    quote = _one(
        {"kind": "percentage", "percent_off": "10", "target": {"skus": ["NONE"]}},
        item("a", "10.00"),
    )
    entry = quote.log.entry("r")
    assert (entry.status, entry.reason) == ("not_matched", "no_lines")


# --- eligibility: buyer, channel, window, usage -------------------------------------------


@pytest.mark.parametrize(
    ("condition", "fields", "reason", "message"),
    [
        (
            {"member_tiers": ["gold"]},
            {"member_tier": "silver"},
            "member_tier",
            "member tier silver is not one of [gold]",
        ),
        (
            {"channels": ["douyin"]},
            {"channel": "tmall"},
            "channel",
            "channel tmall is not one of [douyin]",
        ),
        (
            {"customers": ["c-1"]},
            {"customer_id": "c-2"},
            "customer",
            "customer c-2 is not eligible",
        ),
    ],
)
def test_eligibility_conditions(
    condition: dict[str, list[str]], fields: dict[str, str], reason: str, message: str
) -> None:
    rule = {"kind": "amount_off", "amount": "10", **condition}
    missed = _one(rule, item("a", "100.00"), **fields).log.entry("r")
    assert (missed.status, missed.reason, missed.message) == ("not_matched", reason, message)
    (value,) = next(iter(condition.values()))
    (field,) = fields
    assert _off(_one(rule, item("a", "100.00"), **{field: value})) == "10.00"


_WINDOW = {
    "kind": "amount_off",
    "amount": "10",
    "starts_at": "2026-11-11 00:00 +08:00",
    "ends_at": "Nov 12 2026 00:00 +0800",
}
_OPENS = datetime(2026, 11, 10, 16, tzinfo=UTC)
_CLOSES = datetime(2026, 11, 11, 16, tzinfo=UTC)


def test_date_window_strings_are_parsed_by_dateutil_into_aware_utc() -> None:
    (rule,) = rule_set({"id": "r", "layer": "shop", **_WINDOW}).rules
    assert rule.starts_at == _OPENS
    assert rule.ends_at == _CLOSES
    iso = rule_set({"id": "r", "layer": "shop", **_WINDOW, "ends_at": "2026-11-11T16:00:00Z"})
    assert iso.rules[0].ends_at == _CLOSES


@pytest.mark.parametrize(
    ("at", "reason"),
    [
        (_OPENS - timedelta(seconds=1), "not_started"),
        (_OPENS, "matched"),
        (_CLOSES - timedelta(seconds=1), "matched"),
        (_CLOSES, "ended"),
    ],
)
def test_date_window_includes_its_start_and_excludes_its_end(at: datetime, reason: str) -> None:
    assert _one(_WINDOW, item("a", "100.00"), at=at).log.entry("r").reason == reason


def test_date_window_misses_say_when() -> None:
    early = _one(_WINDOW, item("a", "100.00"), at=_OPENS - timedelta(hours=1)).log.entry("r")
    assert early.message == (
        "window opens 2026-11-10T16:00:00+00:00, quote is at 2026-11-10T15:00:00+00:00"
    )
    late = _one(_WINDOW, item("a", "100.00"), at=_CLOSES).log.entry("r")
    assert late.message == (
        "window closed 2026-11-11T16:00:00+00:00, quote is at 2026-11-11T16:00:00+00:00"
    )


@pytest.mark.parametrize(
    "moment", ["2026-11-11 00:00", "2026-11-11T00:00:00", datetime(2026, 11, 11)]
)
def test_naive_window_bounds_are_refused(moment: object) -> None:
    with pytest.raises(RuleSetInvalid) as caught:
        rule_set({"id": "r", "layer": "shop", **_WINDOW, "starts_at": moment})
    ((rule, field, message),) = caught.value.problems
    assert (rule, field) == ("r", "starts_at")
    assert "no UTC offset" in message or "no timezone" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-11 00:00 UTC", datetime(2026, 11, 11, tzinfo=UTC)),
        ("2026-11-11 08:00 GMT", datetime(2026, 11, 11, 8, tzinfo=UTC)),
        ("2026-11-11T00:00Z", datetime(2026, 11, 11, tzinfo=UTC)),
        ("11/11/2026 20:00 +0800", datetime(2026, 11, 11, 12, tzinfo=UTC)),
    ],
)
def test_window_bounds_in_utc_or_with_a_numeric_offset(text: str, expected: datetime) -> None:
    (rule,) = rule_set({"id": "r", "layer": "shop", **_WINDOW, "starts_at": text}).rules
    assert rule.starts_at == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2026-11-11 00:00 GMT+8", "write the offset alone"),
        ("2026-11-11 00:00 UTC+08:00", "write the offset alone"),
        ("2026-11-11 00:00 CST", "'CST' is ambiguous"),
    ],
)
def test_window_bounds_with_zone_names_are_refused(text: str, words: str) -> None:
    """python-dateutil reads "GMT+8" POSIX-style, as UTC-8: a Beijing window would open
    16 hours late. Zone names such as CST (China, US Central, Cuba) are ambiguous."""
    with pytest.raises(RuleSetInvalid) as caught:
        rule_set({"id": "r", "layer": "shop", **_WINDOW, "starts_at": text})
    ((rule, field, message),) = caught.value.problems
    assert (rule, field) == ("r", "starts_at")
    assert words in message


def test_unreadable_window_bounds_are_refused_with_the_rule_and_field() -> None:
    for text in ("not a date", "99999999999999999999"):
        with pytest.raises(RuleSetInvalid) as caught:
            rule_set({"id": "r", "layer": "shop", **_WINDOW, "ends_at": text})
        assert [(p.rule, p.field) for p in caught.value.problems] == [("r", "ends_at")]


@pytest.mark.parametrize(
    ("uses", "reason"), [({}, "matched"), ({"r": 1}, "matched"), ({"r": 2}, "used_up")]
)
def test_usage_cap_counts_the_carts_rule_uses(uses: dict[str, int], reason: str) -> None:
    rule = {"kind": "amount_off", "amount": "10", "max_uses": 2}
    entry = _one(rule, item("a", "100.00"), rule_uses={**uses, "other": 9}).log.entry("r")
    assert entry.reason == reason
    if reason == "used_up":
        assert entry.message == "used 2 of 2 times"


def test_usage_cap_of_zero_never_applies() -> None:
    rule = {"kind": "amount_off", "amount": "10", "max_uses": 0}
    assert _one(rule, item("a", "100.00")).log.entry("r").reason == "used_up"


def test_usage_cap_per_customer_counts_this_customers_uses() -> None:
    rule = {"kind": "amount_off", "amount": "10", "max_uses_per_customer": 1}
    fresh = _one(rule, item("a", "100.00"), customer_id="c-1", rule_uses={"r": 50})
    assert fresh.log.entry("r").reason == "matched"
    used = _one(rule, item("a", "100.00"), customer_id="c-1", customer_rule_uses={"r": 1})
    entry = used.log.entry("r")
    assert (entry.reason, entry.message) == (
        "used_up_by_customer",
        "used 1 of 1 times by this customer",
    )


# --- currencies ---------------------------------------------------------------------------


def test_a_zero_decimal_currency_rounds_to_whole_yen() -> None:
    """5 % of ¥1999 is ¥99.95, rounded half-up to ¥100."""
    rules = rule_set(
        {"id": "r", "kind": "percentage", "layer": "shop", "percent_off": "5"}, currency="JPY"
    )
    quote = price(cart(item("a", "1999", currency="JPY"), currency="JPY"), rules)
    assert quote.payable == Money(1899, "JPY")


def test_a_cart_in_another_currency_is_refused() -> None:
    rules = rule_set(
        {"id": "r", "kind": "amount_off", "layer": "shop", "amount": "1"}, currency="USD"
    )
    with pytest.raises(CurrencyMismatch):
        price(cart(item("a", "10.00")), rules)
