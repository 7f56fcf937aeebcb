"""Rule sets as data (MISSION D4): loading from dicts, JSON and YAML, and whole-set validation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orderkit.discounts import (
    DEFAULT_LAYERS,
    CouponRule,
    Layer,
    MemberTierRule,
    RedPacketRule,
    RuleSet,
    ThresholdRule,
    price,
)
from orderkit.errors import ConfigError, PricingError, RuleProblem, RuleSetInvalid
from orderkit.money import Money
from tests.discounts.support import cart, item

SEED: dict[str, Any] = {
    "currency": "CNY",
    "version": "2026-11",
    "rules": [
        {
            "id": "gold-95",
            "kind": "member_tier",
            "layer": "member",
            "percent_off_by_tier": {"gold": 5},
        },
        {
            "id": "shop-300-40",
            "kind": "coupon",
            "layer": "shop",
            "code": "SHOP300",
            "min_spend": "300",
            "amount": "40",
        },
        {"id": "red-packet", "kind": "red_packet", "layer": "platform", "amount": 10},
    ],
}

SEED_YAML = """
currency: CNY
version: "2026-11"
rules:
  - id: gold-95
    kind: member_tier
    layer: member
    percent_off_by_tier: {gold: 5}
  - id: shop-300-40
    kind: coupon
    layer: shop
    code: SHOP300
    min_spend: "300"
    amount: "40"
  - {id: red-packet, kind: red_packet, layer: platform, amount: 10}
"""


def _problems(data: dict[str, Any]) -> list[RuleProblem]:
    with pytest.raises(RuleSetInvalid) as caught:
        RuleSet.load(data)
    return list(caught.value.problems)


def _rule_problems(*rules: dict[str, Any], **fields: Any) -> list[tuple[str, str]]:
    """(rule, field) of every problem in a CNY rule set of ``rules``."""
    return [(p.rule, p.field) for p in _problems({"currency": "CNY", "rules": rules, **fields})]


def _rule(**fields: Any) -> dict[str, Any]:
    return {"id": "r", "kind": "amount_off", "layer": "shop", "amount": "10", **fields}


# --- loading ------------------------------------------------------------------------------


def test_dict_json_and_yaml_load_the_same_rule_set() -> None:
    from_dict = RuleSet.load(SEED)
    assert RuleSet.from_json(json.dumps(SEED)) == from_dict
    assert RuleSet.from_json(json.dumps(SEED).encode()) == from_dict
    assert RuleSet.from_yaml(SEED_YAML) == from_dict


def test_loaded_rules_are_typed_by_kind_on_the_default_layers() -> None:
    """MISSION D1: member, then shop, then platform, each keeping its best rule."""
    rules = RuleSet.load(SEED)
    assert [type(rule) for rule in rules.rules] == [MemberTierRule, CouponRule, RedPacketRule]
    assert rules.layers == DEFAULT_LAYERS
    assert [(layer.name, layer.policy) for layer in DEFAULT_LAYERS] == [
        ("member", "best"),
        ("shop", "best"),
        ("platform", "best"),
    ]
    assert rules.version == "2026-11"


def test_a_dumped_rule_set_loads_back_equal_and_prices_the_same() -> None:
    rules = RuleSet.load(
        {
            **SEED,
            "layers": [
                {"name": "member"},
                {"name": "shop", "policy": "stack"},
                {"name": "platform"},
            ],
            "rules": [
                *SEED["rules"],
                {
                    "id": "tiers",
                    "kind": "tiered",
                    "layer": "shop",
                    "tiers": [
                        {"threshold": "300", "amount": "40"},
                        {"threshold": "500", "amount": "80"},
                    ],
                    "starts_at": "2026-11-10 20:00 +08:00",
                    "target": {"categories": ["dress"], "exclude_skus": ["SALE"]},
                    "tags": ["double-11"],
                },
            ],
            "conflicts": [["double-11", "shop-300-40"]],
        }
    )
    again = RuleSet.from_json(json.dumps(rules.model_dump(mode="json")))
    assert again == rules
    basket = cart(
        item("a", "400.00", categories=["dress"]),
        item("b", "120.00"),
        member_tier="gold",
        codes={"SHOP300"},
    )
    assert price(basket, again).to_json() == price(basket, rules).to_json()


def test_yaml_needs_quoted_decimals_since_floats_are_refused() -> None:
    text = SEED_YAML.replace('amount: "40"', "amount: 40.5")
    with pytest.raises(RuleSetInvalid) as caught:
        RuleSet.from_yaml(text)
    ((rule, field, message),) = caught.value.problems
    assert (rule, field) == ("shop-300-40", "amount")
    assert "not floats: got 40.5" in message


def test_rule_set_invalid_is_a_config_and_pricing_error_listing_every_problem() -> None:
    with pytest.raises(RuleSetInvalid) as caught:
        RuleSet.load(
            {"currency": "CNY", "rules": [_rule(id="a", amount=1.5), _rule(id="b", layer="x")]}
        )
    error = caught.value
    assert isinstance(error, ConfigError)
    assert isinstance(error, PricingError)
    assert isinstance(error, ValueError)
    assert [(p.rule, p.field) for p in error.problems] == [("a", "amount")]
    assert str(error).startswith("invalid rule set (1 ")
    assert str(error).splitlines()[1].startswith("  a: amount: ")


# --- problems naming the rule and the field -----------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("amount", 40.0), ("min_spend", 300.5), ("max_discount", 5.0)],
)
def test_float_amounts_are_refused(field: str, value: float) -> None:
    rule = {"id": "c", "kind": "coupon", "layer": "shop", "code": "X", "amount": "40"}
    ((name, where, message),) = _problems({"currency": "CNY", "rules": [{**rule, field: value}]})
    assert (name, where) == ("c", field)
    assert f"not floats: got {value!r}" in message


def test_float_percentages_are_refused() -> None:
    rule = {"id": "p", "kind": "percentage", "layer": "shop", "percent_off": 5.5}
    assert _rule_problems(rule) == [("p", "percent_off")]


@pytest.mark.parametrize(
    ("currency", "rule", "field"),
    [
        ("CNY", _rule(amount="10.001"), "amount"),
        ("JPY", _rule(amount="10.5"), "amount"),
        ("KWD", _rule(amount="1.0005"), "amount"),
        ("CNY", _rule(min_spend="99.999"), "min_spend"),
        ("CNY", _rule(max_discount="0.001"), "max_discount"),
        (
            "CNY",
            {"id": "r", "kind": "threshold", "layer": "shop", "threshold": "0.005", "amount": "1"},
            "threshold",
        ),
        (
            "CNY",
            {
                "id": "r",
                "kind": "tiered",
                "layer": "shop",
                "tiers": [
                    {"threshold": "300", "amount": "40"},
                    {"threshold": "500", "amount": "80.001"},
                ],
            },
            "tiers.1.amount",
        ),
        (
            "CNY",
            {"id": "r", "kind": "every", "layer": "shop", "step": "100.001", "amount": "1"},
            "step",
        ),
        ("CNY", {"id": "r", "kind": "fixed_price", "layer": "shop", "price": "9.999"}, "price"),
        (
            "CNY",
            {"id": "r", "kind": "gift", "layer": "shop", "gift_sku": "G", "gift_value": "9.999"},
            "gift_value",
        ),
        ("CNY", _rule(amount="1e100"), "amount"),
    ],
)
def test_amounts_finer_than_the_minor_unit_are_refused(
    currency: str, rule: dict[str, Any], field: str
) -> None:
    ((name, where, _),) = _problems({"currency": currency, "rules": [rule]})
    assert (name, where) == ("r", field)


def test_the_minor_unit_message_names_the_currency_and_its_decimals() -> None:
    ((_, _, message),) = _problems({"currency": "JPY", "rules": [_rule(amount="10.5")]})
    assert message == "10.5 is finer than JPY's minor unit (0 decimals)"


def test_an_unknown_kind_names_the_kind_field() -> None:
    ((rule, field, message),) = _problems({"currency": "CNY", "rules": [_rule(kind="half_price")]})
    assert (rule, field) == ("r", "kind")
    assert "'half_price'" in message
    assert "'threshold'" in message


def test_a_missing_kind_names_the_kind_field() -> None:
    rule = {"id": "r", "layer": "shop", "amount": "10"}
    assert _rule_problems(rule) == [("r", "kind")]


def test_a_rule_without_an_id_is_named_by_its_position() -> None:
    rule = {"kind": "amount_off", "layer": "shop", "amount": "10"}
    assert _rule_problems(_rule(id="a"), rule) == [("rules[1]", "id")]


def test_an_unknown_layer() -> None:
    ((rule, field, message),) = _problems({"currency": "CNY", "rules": [_rule(layer="shpo")]})
    assert (rule, field) == ("r", "layer")
    assert message == "unknown layer 'shpo'; layers: ['member', 'shop', 'platform']"


def test_duplicate_rule_ids() -> None:
    problems = _problems({"currency": "CNY", "rules": [_rule(), _rule(amount="20")]})
    assert problems == [RuleProblem("r", "id", "2 rules share this id")]


def test_duplicate_layers() -> None:
    problems = _problems(
        {"currency": "CNY", "layers": [{"name": "shop"}, {"name": "shop", "policy": "stack"}]}
    )
    assert problems == [RuleProblem("", "layers", "layer 'shop' is declared 2 times")]


def test_an_unknown_layer_policy() -> None:
    problems = _problems({"currency": "CNY", "layers": [{"name": "shop", "policy": "all"}]})
    assert [(p.rule, p.field) for p in problems] == [("", "layers.0.policy")]


def test_conflicts_naming_unknown_ids_or_tags() -> None:
    problems = _problems(
        {
            "currency": "CNY",
            "rules": [_rule(tags=["coupon"])],
            "conflicts": [["r", "coupon"], ["r", "ghost"], ["phantom", "coupon"]],
        }
    )
    assert problems == [
        RuleProblem("", "conflicts.1", "'ghost' is neither a rule id nor a tag"),
        RuleProblem("", "conflicts.2", "'phantom' is neither a rule id nor a tag"),
    ]


def test_a_rule_cannot_conflict_with_itself_but_a_tag_can() -> None:
    problems = _problems({"currency": "CNY", "rules": [_rule()], "conflicts": [["r", "r"]]})
    assert problems == [RuleProblem("", "conflicts.0", "rule 'r' cannot conflict with itself")]
    tagged = RuleSet.load(
        {"currency": "CNY", "rules": [_rule(tags=["coupon"])], "conflicts": [["coupon", "coupon"]]}
    )
    assert tagged.conflicts == (("coupon", "coupon"),)


def test_a_name_used_as_both_id_and_tag_is_ambiguous_in_conflicts() -> None:
    problems = _problems(
        {"currency": "CNY", "rules": [_rule(id="coupon"), _rule(id="b", tags=["coupon"])]}
    )
    assert problems == [RuleProblem("", "conflicts", "'coupon' is both a rule id and a tag")]


@pytest.mark.parametrize(
    ("tiers", "field"),
    [
        ([("500", "80"), ("300", "40")], "tiers.1"),
        ([("300", "40"), ("300", "80")], "tiers.1"),
        ([("300", "40"), ("500", "40")], "tiers.1"),
        ([("100", "10"), ("300", "40"), ("500", "30")], "tiers.2"),
    ],
)
def test_tiers_must_rise_in_threshold_and_amount(tiers: list[tuple[str, str]], field: str) -> None:
    rule = {
        "id": "t",
        "kind": "tiered",
        "layer": "shop",
        "tiers": [{"threshold": t, "amount": a} for t, a in tiers],
    }
    ((name, where, message),) = _problems({"currency": "CNY", "rules": [rule]})
    assert (name, where) == ("t", field)
    assert "tiers must rise in both threshold and amount" in message


def test_a_failed_item_is_not_reported_again_as_a_missing_one() -> None:
    rule = {
        "id": "t",
        "kind": "tiered",
        "layer": "shop",
        "tiers": [{"threshold": 300.0, "amount": "40"}],
    }
    assert _rule_problems(rule) == [("t", "tiers.0.threshold")]


def test_tiers_cannot_be_empty() -> None:
    rule = {"id": "t", "kind": "tiered", "layer": "shop", "tiers": []}
    assert _rule_problems(rule) == [("t", "tiers")]


def test_a_coupon_takes_exactly_one_of_amount_and_percent_off() -> None:
    coupon = {"id": "c", "kind": "coupon", "layer": "shop", "code": "X"}
    both = _problems({"currency": "CNY", "rules": [{**coupon, "amount": "10", "percent_off": "5"}]})
    assert [(p.rule, p.field) for p in both] == [("c", "percent_off")]
    assert "give exactly one of amount and percent_off" in both[0].message
    neither = _problems({"currency": "CNY", "rules": [coupon]})
    assert [(p.rule, p.field) for p in neither] == [("c", "amount")]


def test_a_shipping_rule_takes_at_most_one_of_amount_and_percent_off() -> None:
    rule = {"id": "s", "kind": "shipping", "layer": "shop", "amount": "5", "percent_off": "50"}
    assert _rule_problems(rule) == [("s", "percent_off")]


def test_a_coupon_needs_a_code() -> None:
    rule = {"id": "c", "kind": "coupon", "layer": "shop", "amount": "10"}
    assert _rule_problems(rule) == [("c", "code")]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": True}, "amount"),
        ({"priority": "high"}, "priority"),
        ({"base": "list"}, "base"),
        ({"id": "has space"}, "id"),
        ({"max_uses": -1}, "max_uses"),
        ({"surprise": 1}, "surprise"),
        ({"target": {"sku": ["A"]}}, "target.sku"),
    ],
)
def test_field_problems_name_their_field(fields: dict[str, Any], field: str) -> None:
    rule = _rule(**fields)
    assert _rule_problems(rule) == [(str(rule["id"]), field)]


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"kind": "percentage", "percent_off": "0"}, "percent_off"),
        ({"kind": "percentage", "percent_off": "100.01"}, "percent_off"),
        ({"kind": "member_tier", "percent_off_by_tier": {}}, "percent_off_by_tier"),
        (
            {"kind": "member_tier", "percent_off_by_tier": {"gold": "120"}},
            "percent_off_by_tier.gold",
        ),
        ({"kind": "buy_x_get_y", "buy": 0, "get": 1}, "buy"),
        ({"kind": "every", "step": "100", "amount": "10", "max_times": 0}, "max_times"),
        ({"kind": "gift", "gift_sku": ""}, "gift_sku"),
    ],
)
def test_kind_specific_field_problems(rule: dict[str, Any], field: str) -> None:
    assert _rule_problems({"id": "k", "layer": "shop", **rule}) == [("k", field)]


def test_field_problems_in_several_rules_are_reported_together() -> None:
    problems = _rule_problems(
        _rule(id="a", amount=1.5),
        {"id": "b", "layer": "shop", "kind": "nope"},
        {
            "id": "c",
            "kind": "coupon",
            "layer": "shop",
            "code": "X",
            "amount": "1",
            "percent_off": "1",
        },
    )
    assert problems == [("a", "amount"), ("b", "kind"), ("c", "percent_off")]


def test_whole_set_problems_are_reported_together() -> None:
    problems = _rule_problems(
        _rule(id="a", amount="0.001"),
        _rule(id="a"),
        _rule(id="b", layer="nowhere"),
        conflicts=[["a", "ghost"]],
    )
    assert problems == [
        ("a", "id"),
        ("b", "layer"),
        ("a", "amount"),
        ("", "conflicts.0"),
    ]


def test_the_currency_must_be_an_iso_code() -> None:
    problems = _problems({"currency": "yuan"})
    assert [(p.rule, p.field) for p in problems] == [("", "currency")]


def test_rules_can_be_built_as_models_too() -> None:
    rules = RuleSet(
        currency="CNY",
        layers=(Layer(name="shop"),),
        rules=(ThresholdRule(id="t", layer="shop", threshold="300", amount="40"),),
    )
    quote = price(cart(item("a", "300.00")), rules)
    assert quote.payable.amount == 260


def test_an_empty_window_is_refused_at_load() -> None:
    with pytest.raises(RuleSetInvalid) as caught:
        RuleSet.load(
            {
                "currency": "CNY",
                "rules": [
                    {
                        "id": "late",
                        "kind": "amount_off",
                        "layer": "shop",
                        "amount": "5",
                        "starts_at": "2026-11-12T00:00+08:00",
                        "ends_at": "2026-11-11T00:00+08:00",
                    }
                ],
            }
        )
    [problem] = caught.value.problems
    assert (problem.rule, problem.field) == ("late", "ends_at")
    assert "window is empty" in problem.message
    assert str(caught.value).startswith("invalid rule set (1 problem):")


@pytest.mark.parametrize(
    ("load", "text", "message"),
    [
        (RuleSet.from_json, '{"currency": "CNY",', "not valid JSON"),
        (RuleSet.from_yaml, "currency: [CNY", "not valid YAML"),
    ],
)
def test_unparsable_text_is_a_rule_set_problem(load: Any, text: str, message: str) -> None:
    with pytest.raises(RuleSetInvalid, match=message):
        load(text)


def test_a_member_tier_keyed_by_empty_text_does_not_match_buyers_without_a_tier() -> None:
    rules = RuleSet.load(
        {
            "currency": "CNY",
            "rules": [
                {
                    "id": "tiers",
                    "kind": "member_tier",
                    "layer": "member",
                    "percent_off_by_tier": {"": "50", "gold": "5"},
                }
            ],
        }
    )
    quote = price(cart(item("a", "100.00")), rules)
    assert quote.log.entry("tiers").reason == "member_tier"
    assert quote.discount == Money.zero("CNY")
