"""A rule set: the currency, the precedence layers, the rules and their conflicts.

Loaded from a dict, JSON or YAML with :meth:`RuleSet.load`, :meth:`RuleSet.from_json`
and :meth:`RuleSet.from_yaml`; every problem is reported at once, each naming its
rule and field (:class:`~orderkit.errors.RuleSetInvalid`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from functools import cached_property
from typing import Any, Literal

import attrs
from pydantic import Field, ValidationError, model_validator

from orderkit._loading import Loadable
from orderkit.discounts._rule_base import FieldProblem, Frozen
from orderkit.discounts._rules import Rule
from orderkit.errors import InvalidAmount, RuleProblem, RuleSetInvalid
from orderkit.money import Money, Rounding, minor_unit

__all__ = ["DEFAULT_LAYERS", "Layer", "Plan", "RuleSet"]


class Layer(Frozen):
    """A precedence layer and how its rules compete.

    ``best``: the single rule taking off the most applies (ties: higher priority, then
    smaller id). ``stack``: every matching rule applies, by priority then id, each on
    what the ones before it left. ``first``: the first matching rule by priority then
    id applies.
    """

    name: str = Field(min_length=1)
    policy: Literal["best", "stack", "first"] = "best"


DEFAULT_LAYERS = (
    Layer(name="member", policy="best"),
    Layer(name="shop", policy="best"),
    Layer(name="platform", policy="best"),
)
"""Member-tier discount, then shop coupon, then platform red packet (MISSION D1)."""


class RuleSet(Frozen, Loadable):
    """Everything the engine prices with, validated as a whole.

    ``conflicts`` lists pairs of rule ids or tags that never apply together: ``["coupon",
    "coupon"]`` (a tag paired with itself) allows one rule tagged ``coupon`` per quote.
    An earlier layer's rule always wins a conflict with a later one.

    >>> rules = RuleSet.load({
    ...     "currency": "CNY",
    ...     "rules": [
    ...         {"id": "gold-95", "kind": "member_tier", "layer": "member",
    ...          "percent_off_by_tier": {"gold": "5"}},
    ...         {"id": "shop-300-40", "kind": "threshold", "layer": "shop",
    ...          "threshold": "300", "amount": "40"},
    ...     ],
    ... })
    >>> [rule.id for rule in rules.rules]
    ['gold-95', 'shop-300-40']
    """

    currency: str = Field(pattern=r"^[A-Z]{3}$")
    version: str = ""
    rounding: Rounding = Rounding.HALF_UP
    layers: tuple[Layer, ...] = Field(default=DEFAULT_LAYERS, min_length=1)
    rules: tuple[Rule, ...] = ()
    conflicts: tuple[tuple[str, str], ...] = ()

    @model_validator(mode="after")
    def _whole(self) -> RuleSet:
        problems = [*self._layer_problems(), *self._amount_problems(), *self._conflict_problems()]
        if problems:
            raise RuleSetInvalid(problems)
        return self

    def _layer_problems(self) -> list[RuleProblem]:
        names = Counter(layer.name for layer in self.layers)
        found = [
            RuleProblem("", "layers", f"layer {name!r} is declared {n} times")
            for name, n in names.items()
            if n > 1
        ]
        ids = Counter(rule.id for rule in self.rules)
        found += [
            RuleProblem(rule_id, "id", f"{n} rules share this id")
            for rule_id, n in ids.items()
            if n > 1
        ]
        found += [
            RuleProblem(rule.id, "layer", f"unknown layer {rule.layer!r}; layers: {list(names)}")
            for rule in self.rules
            if rule.layer not in names
        ]
        return found

    def _amount_problems(self) -> list[RuleProblem]:
        digits = minor_unit(self.currency)
        found = []
        for rule in self.rules:
            for field, amount in rule.money_fields().items():
                try:
                    rounded = Money(amount, self.currency).is_rounded
                except InvalidAmount as invalid:
                    found.append(RuleProblem(rule.id, field, str(invalid)))
                    continue
                if not rounded:
                    found.append(
                        RuleProblem(
                            rule.id,
                            field,
                            f"{amount} is finer than {self.currency}'s minor unit "
                            f"({digits} decimals)",
                        )
                    )
        return found

    def _conflict_problems(self) -> list[RuleProblem]:
        ids = {rule.id for rule in self.rules}
        tags = {tag for rule in self.rules for tag in rule.tags}
        found = [
            RuleProblem("", "conflicts", f"{name!r} is both a rule id and a tag")
            for name in sorted(ids & tags)
        ]
        for n, (left, right) in enumerate(self.conflicts):
            for name in (left, right):
                if name not in ids and name not in tags:
                    found.append(
                        RuleProblem(
                            "", f"conflicts.{n}", f"{name!r} is neither a rule id nor a tag"
                        )
                    )
            if left == right and left in ids:
                found.append(
                    RuleProblem("", f"conflicts.{n}", f"rule {left!r} cannot conflict with itself")
                )
        return found

    @cached_property
    def plan(self) -> Plan:
        """The rules grouped by layer and sorted, with the conflicts indexed (built once)."""
        return Plan.build(self)

    @classmethod
    def _refused(cls, invalid: ValidationError, data: Mapping[str, Any]) -> Exception:
        return RuleSetInvalid(_problems(invalid, data))

    @classmethod
    def _unparsable(cls, reason: str) -> Exception:
        return RuleSetInvalid([RuleProblem("", "", reason)])


@attrs.frozen
class Plan:
    """A rule set ready to evaluate: layers in order, each with its rules sorted."""

    layers: tuple[tuple[Layer, tuple[Rule, ...]], ...]
    names: Mapping[str, frozenset[str]]
    """Per rule id: the names conflicts match it by (its id and tags)."""
    partners: Mapping[str, frozenset[str]]
    """Per rule id: the ids and tags it must not apply with."""

    @classmethod
    def build(cls, rule_set: RuleSet) -> Plan:
        """Group, sort and index ``rule_set``."""
        ordered = sorted(rule_set.rules, key=lambda rule: (-rule.priority, rule.id))
        layers = tuple(
            (layer, tuple(rule for rule in ordered if rule.layer == layer.name))
            for layer in rule_set.layers
        )
        names = {rule.id: frozenset({rule.id, *rule.tags}) for rule in rule_set.rules}
        partners = {
            rule_id: frozenset(
                other
                for left, right in rule_set.conflicts
                for mine, other in ((left, right), (right, left))
                if mine in own
            )
            for rule_id, own in names.items()
        }
        return cls(layers, names, partners)


_KIND_ERRORS = frozenset({"union_tag_invalid", "union_tag_not_found"})
"""Pydantic's errors for a rule whose ``kind`` is missing or unknown."""


def _problems(invalid: ValidationError, data: Mapping[str, Any]) -> list[RuleProblem]:
    problems: list[RuleProblem] = []
    raw_rules = data.get("rules") if isinstance(data, Mapping) else None
    errors = invalid.errors()
    failed = [error["loc"] for error in errors]
    for error in errors:
        if error["type"] == "too_short" and _has_failed_items(error["loc"], failed):
            continue
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, RuleSetInvalid):
            problems.extend(cause.problems)
            continue
        loc = error["loc"]
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            rule = _rule_name(raw_rules, loc[1])
            rest = loc[3:] if len(loc) > 2 else ()
            if isinstance(cause, FieldProblem):
                rest = (*rest, cause.field)
            elif error["type"] in _KIND_ERRORS:
                rest = ("kind",)
            problems.append(RuleProblem(rule, ".".join(map(str, rest)), error["msg"]))
        else:
            problems.append(RuleProblem("", ".".join(map(str, loc)), error["msg"]))
    return problems


def _has_failed_items(loc: tuple[int | str, ...], failed: list[tuple[int | str, ...]]) -> bool:
    """Whether items under ``loc`` failed: a "too short" there only counts the survivors."""
    return any(len(other) > len(loc) and other[: len(loc)] == loc for other in failed)


def _rule_name(raw_rules: object, index: int) -> str:
    if isinstance(raw_rules, list | tuple) and index < len(raw_rules):
        raw = raw_rules[index]
        if isinstance(raw, Mapping) and isinstance(raw.get("id"), str) and raw["id"]:
            return str(raw["id"])
    return f"rules[{index}]"
