"""Precedence layers, policies, conflicts and the audit log, on the seed's worked examples.

MISSION D1: member tier, then shop coupon, then platform red packet. D2: order-level
discounts split over the lines exactly. D3: every rule's fate is logged with its reason.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from orderkit.discounts import AuditEntry, Cart, Quote, RuleSet, price
from orderkit.money import Money
from tests.discounts.support import cart, cny, discounts_of, item, payables, rule_set

GOLD_95 = {
    "id": "gold-95",
    "kind": "member_tier",
    "layer": "member",
    "percent_off_by_tier": {"gold": "5"},
}
COUPON = {
    "id": "shop-300-40",
    "kind": "coupon",
    "layer": "shop",
    "code": "SHOP300",
    "min_spend": "300",
    "amount": "40",
}
RED_PACKET = {"id": "red-packet", "kind": "red_packet", "layer": "platform", "amount": "10"}
SEED_RULES = rule_set(GOLD_95, COUPON, RED_PACKET)


def _seed_cart(b: str = "120.00", *, quantity: int = 1, **fields: Any) -> Cart:
    """The seed's cart: a 200.00 line and a second line, a gold member with the coupon code."""
    unit = b if quantity == 1 else str(Money(b, "CNY").amount / quantity)
    return cart(
        item("a", "200.00"),
        item("b", unit, quantity),
        **{"member_tier": "gold", "codes": {"SHOP300"}, **fields},
    )


def _statuses(quote: Quote) -> list[tuple[str, str, str]]:
    return [(e.rule_id, e.status, e.reason) for e in quote.log]


# --- the seed's worked examples -----------------------------------------------------------


def test_seed_example_member_then_coupon_then_red_packet() -> None:
    """MISSION D1/D2: 200.00 + 120.00 for a gold member with the coupon code.

    Member 5 %: 16.00 off, split 10.00 / 6.00, leaving 190.00 + 114.00 = 304.00.
    Coupon 300 - 40 on the current 304.00: split 190:114, 25.00 / 15.00.
    Red packet 10 on 165.00 + 99.00: split 165:99, 6.25 / 3.75.
    Payable 158.75 + 95.25 = 254.00.
    """
    quote = price(_seed_cart(), SEED_RULES)
    assert discounts_of(quote, "gold-95") == {"a": "10.00", "b": "6.00"}
    assert discounts_of(quote, "shop-300-40") == {"a": "25.00", "b": "15.00"}
    assert discounts_of(quote, "red-packet") == {"a": "6.25", "b": "3.75"}
    assert payables(quote) == {"a": "158.75", "b": "95.25"}
    assert quote.subtotal == cny("320.00")
    assert quote.discount == cny("66.00")
    assert quote.payable == cny("254.00")
    assert [d.rule_id for d in quote.line("a").discounts] == [
        "gold-95",
        "shop-300-40",
        "red-packet",
    ]
    assert [d.layer for d in quote.line("a").discounts] == ["member", "shop", "platform"]
    assert quote.applied_rules == ("gold-95", "shop-300-40", "red-packet")
    assert [str(e) for e in quote.log] == [
        "[member] gold-95: applied - matched: tier gold, percent_off 5; "
        "proposed 16.00, applied 16.00",
        "[shop] shop-300-40: applied - matched; proposed 40.00, applied 40.00",
        "[platform] red-packet: applied - matched; proposed 10.00, applied 10.00",
    ]


def test_seed_example_member_discount_takes_a_current_base_coupon_out_of_reach() -> None:
    """MISSION D1/D3: 200.00 + 110.00: after 5 % (15.50) the current base is 294.50 < 300."""
    quote = price(_seed_cart("110.00"), SEED_RULES)
    entry = quote.log.entry("shop-300-40")
    assert (entry.status, entry.reason) == ("not_matched", "below_threshold")
    assert entry.message == "subtotal 294.50 < threshold 300.00: 5.50 short"
    assert dict(entry.facts)["short"] == cny("5.50")
    assert discounts_of(quote, "gold-95") == {"a": "10.00", "b": "5.50"}
    # 10.00 split 190.00 : 104.50 is 6.4516... / 3.5483...: the odd fen goes to b.
    assert discounts_of(quote, "red-packet") == {"a": "6.45", "b": "3.55"}
    assert quote.log.entry("red-packet").remainder_to == ("b",)
    assert quote.payable == cny("284.50")


def test_seed_example_an_original_base_coupon_still_matches() -> None:
    """MISSION D1/D2: the same cart, the coupon testing the subtotal before discounts.

    310.00 >= 300: 40.00 split 190.00 : 104.50 (25.806... / 14.193...: a takes the odd
    fen), then the red packet splits 164.19 : 90.31 (b takes the odd fen): 244.50.
    """
    rules = rule_set(GOLD_95, {**COUPON, "base": "original"}, RED_PACKET)
    quote = price(_seed_cart("110.00"), rules)
    coupon = quote.log.entry("shop-300-40")
    assert (coupon.status, coupon.applied) == ("applied", cny("40.00"))
    assert discounts_of(quote, "shop-300-40") == {"a": "25.81", "b": "14.19"}
    assert coupon.remainder_to == ("a",)
    assert discounts_of(quote, "red-packet") == {"a": "6.45", "b": "3.55"}
    assert payables(quote) == {"a": "157.74", "b": "86.76"}
    assert quote.payable == cny("244.50")


def test_an_original_base_miss_names_the_subtotal_before_discounts() -> None:
    rules = rule_set(GOLD_95, {**COUPON, "base": "original"})
    quote = price(_seed_cart("68.00"), rules)
    assert quote.log.entry("shop-300-40").message == (
        "subtotal before discounts 268.00 < threshold 300.00: 32.00 short"
    )


def test_a_member_discount_can_cost_a_current_base_coupon() -> None:
    """Why "adding a discount never raises the payable" holds only within one layer.

    Without the gold tier, 310.00 meets the coupon (270.00) and the red packet (260.00);
    a gold member's 15.50 takes the current base under 300, so the gold member pays
    284.50. This is the layering working as specified (MISSION D1), not a bug.
    """
    assert price(_seed_cart("110.00", member_tier=None), SEED_RULES).payable == cny("260.00")
    assert price(_seed_cart("110.00"), SEED_RULES).payable == cny("284.50")


def test_per_unit_splits_of_a_line_add_up_exactly() -> None:
    """MISSION D2: the seed's b line as two units of 60.00 pays 95.25: 47.63 + 47.62."""
    quote = price(_seed_cart(quantity=2), SEED_RULES)
    line = quote.line("b")
    assert line.payable == cny("95.25")
    assert line.unit_payables() == (cny("47.63"), cny("47.62"))
    assert quote.line("a").unit_payables() == (cny("158.75"),)


# --- layers (MISSION D1) ------------------------------------------------------------------


def test_rule_and_line_order_never_show_in_the_quote() -> None:
    """The same rules and cart, given in another order, give the same quote byte for byte."""
    shuffled_rules = rule_set(RED_PACKET, COUPON, GOLD_95, conflicts=[])
    shuffled_cart = cart(
        item("b", "120.00"), item("a", "200.00"), member_tier="gold", codes={"SHOP300"}
    )
    assert (
        price(shuffled_cart, shuffled_rules).to_json() == price(_seed_cart(), SEED_RULES).to_json()
    )


def test_layer_order_is_the_precedence() -> None:
    """Platform first: 320 - 10 = 310, coupon on 310 leaves 270, then 5 % (13.50): 256.50."""
    reversed_layers = rule_set(
        GOLD_95,
        COUPON,
        RED_PACKET,
        layers=[{"name": "platform"}, {"name": "shop"}, {"name": "member"}],
    )
    quote = price(_seed_cart(), reversed_layers)
    assert [e.rule_id for e in quote.log] == ["red-packet", "shop-300-40", "gold-95"]
    assert quote.log.entry("gold-95").applied == cny("13.50")
    assert quote.payable == cny("256.50")


# --- policies -----------------------------------------------------------------------------


def _shop(*rules: dict[str, Any], policy: str, **fields: Any) -> RuleSet:
    """``rules`` in a single shop layer with ``policy``."""
    return rule_set(
        *({"layer": "shop", **rule} for rule in rules),
        layers=[{"name": "shop", "policy": policy}],
        **fields,
    )


_TEN_PERCENT = {"id": "ten-percent", "kind": "percentage", "percent_off": "10"}
_300_40 = {"id": "300-40", "kind": "threshold", "threshold": "300", "amount": "40"}
_FIVE_OFF = {"id": "five-off", "kind": "amount_off", "amount": "5"}


def test_best_keeps_the_single_largest_discount() -> None:
    quote = price(_seed_cart(), _shop(_TEN_PERCENT, _300_40, _FIVE_OFF, policy="best"))
    assert quote.payable == cny("280.00")
    assert _statuses(quote) == [
        ("300-40", "applied", "matched"),
        ("five-off", "dropped", "not_best"),
        ("ten-percent", "dropped", "not_best"),
    ]
    loser = quote.log.entry("ten-percent")
    assert loser.message == "layer shop keeps the best single rule: 300-40, worth 40.00"
    assert (loser.proposed, loser.applied) == (cny("32.00"), None)


@pytest.mark.parametrize(
    ("priorities", "winner"),
    [({"x": 0, "y": 0}, "x"), ({"x": 0, "y": 1}, "y"), ({"x": 1, "y": 0}, "x")],
)
def test_best_breaks_ties_by_priority_then_id(priorities: dict[str, int], winner: str) -> None:
    rules = _shop(
        *(
            {"id": key, "kind": "amount_off", "amount": "10", "priority": p}
            for key, p in priorities.items()
        ),
        policy="best",
    )
    assert price(_seed_cart(), rules).applied_rules == (winner,)


def test_stack_applies_every_match_in_priority_order_on_what_is_left() -> None:
    """10 % first: 32.00 then 5.00 (283.00); 5.00 first: 5.00 then 10 % of 315.00 (283.50)."""
    percent_first = price(
        _seed_cart(), _shop({**_TEN_PERCENT, "priority": 1}, _FIVE_OFF, policy="stack")
    )
    assert [e.applied for e in percent_first.log] == [cny("32.00"), cny("5.00")]
    assert percent_first.payable == cny("283.00")
    amount_first = price(
        _seed_cart(), _shop(_TEN_PERCENT, {**_FIVE_OFF, "priority": 1}, policy="stack")
    )
    assert [e.rule_id for e in amount_first.log] == ["five-off", "ten-percent"]
    assert [e.applied for e in amount_first.log] == [cny("5.00"), cny("31.50")]
    assert amount_first.payable == cny("283.50")


def test_stacked_thresholds_test_what_the_layer_started_with() -> None:
    """A current base is what earlier layers left: 30.00 off in the same layer does not
    take 320.00 under the 300 threshold of the next rule in that layer."""
    thirty = {"id": "thirty", "kind": "amount_off", "amount": "30", "priority": 1}
    quote = price(_seed_cart(), _shop(thirty, _300_40, policy="stack"))
    assert quote.applied_rules == ("thirty", "300-40")
    assert quote.payable == cny("250.00")


def test_first_keeps_the_first_match_by_priority_then_id() -> None:
    missed = {
        "id": "z-big",
        "kind": "threshold",
        "threshold": "1000",
        "amount": "200",
        "priority": 1,
    }
    quote = price(_seed_cart(), _shop(_TEN_PERCENT, _FIVE_OFF, missed, policy="first"))
    assert _statuses(quote) == [
        ("z-big", "not_matched", "below_threshold"),
        ("five-off", "applied", "matched"),
        ("ten-percent", "dropped", "not_first"),
    ]
    assert quote.log.entry("ten-percent").message == (
        "layer shop keeps the first match by priority: five-off"
    )
    assert quote.payable == cny("315.00")


def test_best_counts_a_gifts_declared_value_as_its_worth() -> None:
    """A gift worth 50.00 beats 40.00 off: the buyer gets the gift and pays more money.

    This is why the best-of property in test_properties leaves gift rules out.
    """
    gift = {"id": "scarf", "kind": "gift", "gift_sku": "SCARF", "gift_value": "50"}
    quote = price(_seed_cart(), _shop(gift, _300_40, policy="best"))
    assert quote.applied_rules == ("scarf",)
    assert [g.sku for g in quote.gifts] == ["SCARF"]
    assert quote.payable == cny("320.00")
    assert quote.log.entry("300-40").message == (
        "layer shop keeps the best single rule: scarf, worth 50.00"
    )


# --- conflicts and exclusivity (MISSION D4) -----------------------------------------------


def test_a_conflict_by_id_drops_the_later_rule() -> None:
    rules = rule_set(GOLD_95, COUPON, RED_PACKET, conflicts=[["red-packet", "shop-300-40"]])
    quote = price(_seed_cart(), rules)
    packet = quote.log.entry("red-packet")
    assert (packet.status, packet.reason) == ("dropped", "conflict")
    assert packet.message == "conflicts with shop-300-40, applied in layer shop"
    assert (packet.proposed, packet.applied) == (cny("10.00"), None)
    assert dict(packet.facts)["other"] == "shop-300-40"
    assert quote.payable == cny("264.00")


def test_a_conflict_only_bites_when_the_other_rule_applied() -> None:
    rules = rule_set(GOLD_95, COUPON, RED_PACKET, conflicts=[["shop-300-40", "red-packet"]])
    quote = price(_seed_cart(codes=set()), rules)
    assert quote.applied_rules == ("gold-95", "red-packet")


def test_the_earlier_layer_wins_a_conflict_even_when_the_later_rule_is_larger() -> None:
    big = {"id": "big-packet", "kind": "red_packet", "layer": "platform", "amount": "50"}
    rules = rule_set(GOLD_95, big, conflicts=[["big-packet", "gold-95"]])
    quote = price(_seed_cart(), rules)
    assert _statuses(quote) == [
        ("gold-95", "applied", "matched"),
        ("big-packet", "dropped", "conflict"),
    ]
    assert quote.payable == cny("304.00")


def test_a_tag_paired_with_itself_allows_one_rule_with_that_tag() -> None:
    tagged = [
        {**COUPON, "tags": ["coupon"]},
        {
            "id": "shop-five",
            "kind": "amount_off",
            "layer": "shop",
            "amount": "5",
            "tags": ["coupon"],
        },
        {**RED_PACKET, "tags": ["coupon"]},
    ]
    rules = rule_set(
        GOLD_95,
        *tagged,
        layers=[{"name": "member"}, {"name": "shop", "policy": "stack"}, {"name": "platform"}],
        conflicts=[["coupon", "coupon"]],
    )
    quote = price(_seed_cart(), rules)
    assert _statuses(quote) == [
        ("gold-95", "applied", "matched"),
        ("shop-300-40", "applied", "matched"),
        ("shop-five", "dropped", "conflict"),
        ("red-packet", "dropped", "conflict"),
    ]
    assert quote.log.entry("shop-five").message == (
        "conflicts with shop-300-40, applied in layer shop"
    )


def test_a_tag_can_conflict_with_an_id() -> None:
    rules = rule_set(
        {**GOLD_95, "tags": ["member-price"]},
        COUPON,
        RED_PACKET,
        conflicts=[["member-price", "red-packet"]],
    )
    quote = price(_seed_cart(), rules)
    assert quote.log.entry("red-packet").reason == "conflict"
    assert (
        quote.log.entry("red-packet").message == "conflicts with gold-95, applied in layer member"
    )


def test_an_exclusive_rule_that_applies_drops_everything_after_it() -> None:
    rules = rule_set({**GOLD_95, "exclusive": True}, COUPON, RED_PACKET)
    quote = price(_seed_cart(), rules)
    assert _statuses(quote) == [
        ("gold-95", "applied", "matched"),
        ("shop-300-40", "dropped", "exclusive"),
        ("red-packet", "dropped", "exclusive"),
    ]
    assert quote.log.entry("red-packet").message == (
        "exclusive: cannot combine with gold-95, applied in layer member"
    )
    assert quote.payable == cny("304.00")


def test_an_exclusive_rule_after_another_rule_applied_is_dropped_itself() -> None:
    rules = rule_set(GOLD_95, {**COUPON, "exclusive": True}, RED_PACKET)
    quote = price(_seed_cart(), rules)
    assert _statuses(quote) == [
        ("gold-95", "applied", "matched"),
        ("shop-300-40", "dropped", "exclusive"),
        ("red-packet", "applied", "matched"),
    ]
    assert quote.log.entry("shop-300-40").message == (
        "exclusive: cannot combine with gold-95, applied in layer member"
    )


def test_a_dropped_rule_does_not_compete_in_its_best_layer() -> None:
    """The exclusive 50 off cannot join the member price, so the 40 off wins the shop layer."""
    exclusive = {
        "id": "fifty",
        "kind": "amount_off",
        "layer": "shop",
        "amount": "50",
        "exclusive": True,
    }
    quote = price(_seed_cart(), rule_set(GOLD_95, COUPON, exclusive))
    assert _statuses(quote) == [
        ("gold-95", "applied", "matched"),
        ("fifty", "dropped", "exclusive"),
        ("shop-300-40", "applied", "matched"),
    ]


def test_an_exclusive_rule_that_loses_its_layer_blocks_nothing() -> None:
    exclusive = {
        "id": "five",
        "kind": "amount_off",
        "layer": "shop",
        "amount": "5",
        "exclusive": True,
    }
    quote = price(_seed_cart(member_tier=None), rule_set(COUPON, exclusive, RED_PACKET))
    assert quote.applied_rules == ("shop-300-40", "red-packet")
    assert quote.log.entry("five").reason == "not_best"


# --- the audit log (MISSION D3) -----------------------------------------------------------


def _remainder_quote() -> Quote:
    """10.01 off three 10.00 lines: 3.336... each, the two odd fen to the smallest keys."""
    rules = rule_set({"id": "<b>&", "kind": "amount_off", "layer": "shop", "amount": "10.01"})
    return price(cart(item("c", "10.00"), item("a", "10.00"), item("b", "10.00")), rules)


def test_the_rounding_remainder_goes_to_the_smallest_line_keys_and_is_logged() -> None:
    quote = _remainder_quote()
    assert discounts_of(quote, "<b>&") == {"a": "3.34", "b": "3.34", "c": "3.33"}
    assert quote.log.entry("<b>&").remainder_to == ("a", "b")
    assert str(quote.log) == (
        "[shop] <b>&: applied - matched; proposed 10.01, applied 10.01 (remainder to a, b)"
    )


def test_the_log_lists_every_rule_in_evaluation_order_with_its_fate() -> None:
    rules = rule_set(
        GOLD_95,
        {
            "id": "vip-only",
            "kind": "amount_off",
            "layer": "member",
            "amount": "1",
            "customers": ["v"],
        },
        COUPON,
        {**_TEN_PERCENT, "layer": "shop"},
        RED_PACKET,
        conflicts=[["ten-percent", "red-packet"]],
    )
    quote = price(_seed_cart(), rules)
    assert _statuses(quote) == [
        ("gold-95", "applied", "matched"),
        ("vip-only", "not_matched", "customer"),
        ("shop-300-40", "applied", "matched"),
        ("ten-percent", "dropped", "not_best"),
        ("red-packet", "applied", "matched"),
    ]
    assert [e.layer for e in quote.log] == ["member", "member", "shop", "shop", "platform"]
    assert len(quote.log) == 5
    with pytest.raises(KeyError):
        quote.log.entry("no-such-rule")


def test_the_log_as_data() -> None:
    quote = price(_seed_cart("110.00"), SEED_RULES)
    data = quote.log.to_list()
    assert json.loads(json.dumps(data)) == data
    assert data[1] == {
        "layer": "shop",
        "rule_id": "shop-300-40",
        "kind": "coupon",
        "status": "not_matched",
        "reason": "below_threshold",
        "message": "subtotal 294.50 < threshold 300.00: 5.50 short",
        "facts": {
            "base_name": "subtotal",
            "base": "294.50",
            "threshold": "300.00",
            "short": "5.50",
        },
        "proposed": None,
        "applied": None,
        "remainder_to": [],
    }
    assert data[2]["remainder_to"] == ["b"]
    assert data[2]["applied"] == "10.00"
    assert quote.to_dict()["log"] == data


def test_the_log_as_text() -> None:
    quote = price(_seed_cart("110.00"), SEED_RULES)
    assert str(quote.log).splitlines() == [
        "[member] gold-95: applied - matched: tier gold, percent_off 5; "
        "proposed 15.50, applied 15.50",
        "[shop] shop-300-40: not_matched - subtotal 294.50 < threshold 300.00: 5.50 short",
        "[platform] red-packet: applied - matched; proposed 10.00, applied 10.00 (remainder to b)",
    ]


def test_the_log_as_html_escapes_what_it_shows() -> None:
    rules = rule_set(
        {"id": "<b>&", "kind": "amount_off", "layer": "shop", "amount": "10.01"},
        {**GOLD_95, "percent_off_by_tier": {"<vip>": "5"}},
    )
    quote = price(cart(item("c", "10.00"), item("a", "10.00"), item("b", "10.00")), rules)
    page = quote.log._repr_html_()
    assert page.startswith("<table><thead><tr><th>layer</th><th>rule</th><th>status</th>")
    assert "<b>" not in page
    assert "<vip>" not in page
    assert "<td>&lt;b&gt;&amp;</td>" in page
    assert "member tier none is not one of [&lt;vip&gt;]" in page
    assert "<td>10.01</td><td>10.01</td><td>a, b</td>" in page
    assert page.count("<tr>") == 3


def test_an_entry_with_unknown_facts_still_renders() -> None:
    """Facts the message template names but the entry lacks show as "?"."""
    entry = AuditEntry("shop", "r", "threshold", "not_matched", "below_threshold")
    assert entry.message == "? ? < threshold ?: ? short"
