"""Properties of :func:`price` over random carts and rule sets (MISSION D1, D2, D3, D6).

The carts and rule sets come from :func:`orderkit.testing.strategies.carts` and
:func:`~orderkit.testing.strategies.rule_sets`, the strategies host applications use.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from orderkit.discounts import Cart, Quote, Rule, RuleSet, Target, price
from orderkit.money import Money
from orderkit.testing import strategies as oks

FEW = settings(max_examples=40, deadline=None)

NOT_GIFTS = (
    "percentage",
    "amount_off",
    "fixed_price",
    "threshold",
    "tiered",
    "every",
    "buy_x_get_y",
    "member_tier",
    "coupon",
    "red_packet",
    "shipping",
)
"""Every kind but gifts: best-of layers count a gift's declared value as its worth."""

OFF_THE_TOTAL = (
    "percentage",
    "amount_off",
    "threshold",
    "tiered",
    "every",
    "member_tier",
    "coupon",
    "red_packet",
)
"""Kinds that, on every line, take off an amount depending only on what is left in all."""


def _fee(cart: Cart) -> int:
    return 0 if cart.shipping_fee is None else cart.shipping_fee.minor_units


def _moved(rules: Iterable[Rule], layer: str, prefix: str) -> list[dict[str, Any]]:
    """``rules`` as plain data, moved to ``layer`` and renamed ``prefix + id``."""
    return [
        {**rule.model_dump(mode="json"), "id": prefix + rule.id, "layer": layer} for rule in rules
    ]


@FEW
@given(oks.carts(), oks.rule_sets())
def test_nothing_is_taken_below_zero(cart: Cart, rules: RuleSet) -> None:
    """The discount never exceeds what there is to pay; every line and the fee stay >= 0."""
    quote = price(cart, rules)
    assert 0 <= quote.discount.minor_units <= cart.subtotal.minor_units + _fee(cart)
    assert sum(line.discount_units for line in quote.lines) <= cart.subtotal.minor_units
    assert quote.payable.amount >= 0
    for line in quote.lines:
        assert line.payable_units >= 0
        assert all(d.units > 0 for d in line.discounts)
    if quote.shipping is not None:
        assert quote.shipping.payable.amount >= 0


@FEW
@given(oks.carts(), oks.rule_sets())
def test_shares_add_up_exactly(cart: Cart, rules: RuleSet) -> None:
    """MISSION D2: each rule's per-line shares (and shipping part) sum to what it applied."""
    quote = price(cart, rules)
    for entry in quote.log:
        taken = sum(
            d.units for line in quote.lines for d in line.discounts if d.rule_id == entry.rule_id
        )
        if quote.shipping is not None:
            taken += sum(d.units for d in quote.shipping.discounts if d.rule_id == entry.rule_id)
        if entry.status == "applied":
            assert entry.applied is not None
            assert entry.applied == entry.proposed
            assert taken == entry.applied.minor_units
            assert set(entry.remainder_to) <= {line.line_id for line in quote.lines}
        else:
            assert (taken, entry.applied, entry.remainder_to) == (0, None, ())
    lines = sum(line.payable_units for line in quote.lines)
    shipping = 0 if quote.shipping is None else quote.shipping.payable.minor_units
    assert quote.payable.minor_units == lines + shipping
    fee = cart.shipping_fee or Money.zero(cart.currency)
    assert quote.payable + quote.discount == cart.subtotal + fee


@FEW
@given(oks.carts(), oks.rule_sets())
def test_unit_payables_split_each_line_exactly(cart: Cart, rules: RuleSet) -> None:
    """MISSION D2: per-unit shares sum to the line, differ by one fen at most, largest first."""
    for line in price(cart, rules).lines:
        units = [money.minor_units for money in line.unit_payables()]
        assert len(units) == line.quantity
        assert sum(units) == line.payable_units
        assert units == sorted(units, reverse=True)
        assert units[0] - units[-1] <= 1


@FEW
@given(oks.carts(), oks.rule_sets(), st.data())
def test_permuting_rules_lines_and_conflicts_changes_nothing(
    cart: Cart, rules: RuleSet, data: st.DataObject
) -> None:
    """The same rules and cart in any order give the same quote, byte for byte."""
    quote = price(cart, rules)
    shuffled_rules = RuleSet(
        currency=rules.currency,
        rounding=rules.rounding,
        layers=rules.layers,
        rules=tuple(data.draw(st.permutations(rules.rules))),
        conflicts=tuple(
            (b, a) if data.draw(st.booleans()) else (a, b)
            for a, b in data.draw(st.permutations(rules.conflicts))
        ),
    )
    shuffled_cart = cart.model_copy(update={"lines": tuple(data.draw(st.permutations(cart.lines)))})
    assert price(shuffled_cart, shuffled_rules).to_json() == quote.to_json()


@FEW
@given(oks.carts(), oks.rule_sets())
def test_pricing_a_quotes_own_input_again_is_idempotent(cart: Cart, rules: RuleSet) -> None:
    """A quote keeps its cart: pricing it again, or after a JSON round trip, is the same."""
    quote = price(cart, rules)
    assert price(quote.cart, rules).to_json() == quote.to_json()
    stored = Cart.model_validate_json(quote.cart.model_dump_json())
    reloaded = RuleSet.from_json(json.dumps(rules.model_dump(mode="json")))
    assert reloaded == rules
    assert price(stored, reloaded).to_json() == quote.to_json()


@FEW
@given(oks.carts(), oks.rule_sets(), oks.rule_sets())
def test_pricing_under_other_rule_sets_in_between_changes_nothing(
    cart: Cart, first: RuleSet, second: RuleSet
) -> None:
    """price() is a pure function of its arguments, whatever was priced before it,
    including under rule sets that are gone and whose memory is reused."""
    data = [first.model_dump(mode="json"), second.model_dump(mode="json")]
    expected = [price(cart, first).to_json(), price(cart, second).to_json()]
    again = [price(cart, RuleSet.load(data[n % 2])).to_json() for n in range(4)]
    assert again == expected * 2
    assert price(cart, first).to_json() == expected[0]


@FEW
@given(oks.rule_sets())
def test_rule_sets_survive_yaml(rules: RuleSet) -> None:
    """MISSION D4: a rule set written out as YAML loads back equal."""
    assert RuleSet.from_yaml(yaml.safe_dump(rules.model_dump(mode="json"))) == rules


@FEW
@given(oks.carts(), oks.rule_sets())
def test_the_log_has_every_rule_once_in_evaluation_order(cart: Cart, rules: RuleSet) -> None:
    """MISSION D3: one entry per rule, by layer, then priority (higher first), then id."""
    quote = price(cart, rules)
    layer_index = {layer.name: n for n, layer in enumerate(rules.layers)}
    expected = sorted(rules.rules, key=lambda r: (layer_index[r.layer], -r.priority, r.id))
    assert [(e.layer, e.rule_id, e.kind) for e in quote.log] == [
        (r.layer, r.id, r.kind) for r in expected
    ]
    assert all(e.message for e in quote.log)
    assert json.loads(json.dumps(quote.log.to_list())) == quote.log.to_list()


@FEW
@given(oks.carts(), oks.rule_sets())
def test_policies_conflicts_and_exclusivity_hold(cart: Cart, rules: RuleSet) -> None:
    """MISSION D1/D4: one rule per best or first layer; no applied pair conflicts; an
    exclusive rule that applied applied alone; gifts only from applied gift rules (D6)."""
    quote = price(cart, rules)
    by_id = {rule.id: rule for rule in rules.rules}
    applied = [by_id[rule_id] for rule_id in quote.applied_rules]
    for layer in rules.layers:
        if layer.policy != "stack":
            assert sum(rule.layer == layer.name for rule in applied) <= 1
    names = {rule.id: {rule.id, *rule.tags} for rule in applied}
    for n, first in enumerate(applied):
        for second in applied[n + 1 :]:
            for a, b in rules.conflicts:
                clash = (a in names[first.id] and b in names[second.id]) or (
                    b in names[first.id] and a in names[second.id]
                )
                assert not clash, (first.id, second.id, (a, b))
    if any(rule.exclusive for rule in applied):
        assert len(applied) == 1
    gift_rules = {rule.id for rule in applied if rule.kind == "gift"}
    assert {gift.rule_id for gift in quote.gifts} == gift_rules


def _payable_with_and_without(
    cart: Cart, data: list[dict[str, Any]], added: dict[str, Any], layers: list[dict[str, str]]
) -> tuple[Quote, Quote]:
    without = RuleSet.load({"currency": "CNY", "layers": layers, "rules": data})
    with_it = RuleSet.load({"currency": "CNY", "layers": layers, "rules": [*data, added]})
    return price(cart, without), price(cart, with_it)


@FEW
@given(
    oks.carts(),
    oks.rule_sets(kinds=NOT_GIFTS, min_layers=1, max_layers=1, policies=("best",)),
    oks.rule_sets(kinds=NOT_GIFTS, min_rules=1, max_rules=1, min_layers=1, max_layers=1),
)
def test_another_rule_in_a_best_layer_never_raises_the_payable(
    cart: Cart, rules: RuleSet, extra: RuleSet
) -> None:
    """Adding a rule to a best-of layer never raises what that layer leaves to pay.

    Guaranteed for the layer on its own: it keeps the rule worth the most, and worth is
    money off, so a better offer can only lower the payable. Not for what later layers
    do with the rest: a larger discount here can take a later ``base: current``
    threshold out of reach (see test_precedence's member example). Gift rules are left
    out because their declared value counts as worth without lowering the payable.
    """
    (layer,) = rules.layers
    data = _moved(rules.rules, layer.name, "")
    added = _moved(extra.rules, layer.name, "added-")[0]
    layers = [{"name": layer.name, "policy": "best"}]
    before, after = _payable_with_and_without(cart, data, added, layers)
    assert after.payable <= before.payable


@FEW
@given(
    oks.carts(),
    oks.rule_sets(
        kinds=NOT_GIFTS[:-1], min_layers=1, max_layers=1, policies=("best",), exclusivity=False
    ),
    oks.rule_sets(kinds=OFF_THE_TOTAL, bases=("original",), targeted=False, exclusivity=False),
    oks.rule_sets(kinds=NOT_GIFTS[:-1], min_rules=1, max_rules=1, exclusivity=False),
)
def test_another_rule_in_a_best_layer_never_raises_the_payable_of_original_base_layers_after(
    cart: Cart, first: RuleSet, later: RuleSet, extra: RuleSet
) -> None:
    """Adding a rule to a best-of layer never raises the final payable when what follows
    can only shrink with what it is given.

    That is: the later layers' rules test ``base: original`` (so whether they match does
    not depend on the earlier discount), target every line and take off an amount that
    depends only on what is left in all (percentage, amount off, thresholds, tiers,
    every-X, member tier, coupon, red packet); there are no exclusive rules or
    conflicts (an applied rule could drop a later one), no gift rules (worth counts a
    gift's value) and no shipping rules (a best-of layer weighs line and shipping
    discounts together, which later line-only rules do not). Targeted, fixed-price or
    buy-X-get-Y rules after the layer break it: they care which lines the discount
    came off, not only how much.
    """
    layers = [{"name": "first", "policy": "best"}] + [
        {"name": layer.name, "policy": layer.policy} for layer in later.layers
    ]
    data = _moved(first.rules, "first", "first-") + [
        rule.model_dump(mode="json") for rule in later.rules
    ]
    added = _moved(extra.rules, "first", "added-")[0]
    before, after = _payable_with_and_without(cart, data, added, layers)
    assert after.payable <= before.payable


@settings(max_examples=20, deadline=None)
@given(
    oks.rule_sets(
        "JPY",
        kinds=("threshold", "coupon"),
        min_rules=2,
        policies=("stack",),
        bases=("original",),
        targeted=False,
        exclusivity=False,
    )
)
def test_rule_sets_strategy_honours_its_options(rules: RuleSet) -> None:
    assert rules.currency == "JPY"
    assert len(rules.rules) >= 2
    assert {rule.kind for rule in rules.rules} <= {"threshold", "coupon"}
    assert {layer.policy for layer in rules.layers} == {"stack"}
    assert all(rule.base == "original" for rule in rules.rules)
    assert all(rule.target == Target() for rule in rules.rules)
    assert not any(rule.exclusive or rule.tags for rule in rules.rules)
    assert rules.conflicts == ()


@settings(max_examples=20, deadline=None)
@given(oks.carts("KWD", min_lines=2, max_lines=3, max_price=5))
def test_carts_strategy_honours_its_options(cart: Cart) -> None:
    assert cart.currency == "KWD"
    assert 2 <= len(cart.lines) <= 3
    assert all(line.unit_price.amount <= 5 for line in cart.lines)
    assert len({line.line_id for line in cart.lines}) == len(cart.lines)
