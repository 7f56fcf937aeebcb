"""The pricing engine: layers in order, rules competing inside each, exact splits.

A pure function of the cart and the rule set. Lines are put in ``line_id`` order and
rules in (layer, priority, id) order before anything is evaluated, so the order in
which either was given never shows in the quote.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import Enum
from functools import partial
from operator import attrgetter
from typing import NamedTuple, TypeAlias

import attrs

from orderkit.discounts._audit import AuditEntry, AuditLog
from orderkit.discounts._cart import Cart, CartLine
from orderkit.discounts._quote import AppliedDiscount, LineQuote, Quote, ShippingQuote
from orderkit.discounts._rule_base import Target
from orderkit.discounts._rules import Rule
from orderkit.discounts._ruleset import Plan, RuleSet
from orderkit.discounts._scope import _WIDE, Gift, Miss, Proposal, Scope, Units, total_of
from orderkit.errors import CurrencyMismatch
from orderkit.money import Money, minor_unit

__all__ = ["price"]

_BASE_NAMES = {"current": "subtotal", "original": "subtotal before discounts"}
_NO_LINES = Miss("no_lines")
_line_id = attrgetter("line_id")
_new = tuple.__new__
"""Builds a named tuple from a tuple, skipping its keyword-handling constructor."""


def price(cart: Cart, rules: RuleSet) -> Quote:
    """Price ``cart`` under ``rules``: every line's discounts, gifts and the audit log.

    >>> from datetime import datetime, UTC
    >>> from orderkit.discounts import CartLine
    >>> rules = RuleSet.load({"currency": "CNY", "rules": [
    ...     {"id": "300-40", "kind": "threshold", "layer": "shop",
    ...      "threshold": "300", "amount": "40"}]})
    >>> cart = Cart(currency="CNY", at=datetime(2026, 11, 11, tzinfo=UTC), lines=[
    ...     CartLine(line_id="a", sku="TEA", quantity=1, unit_price=Money("200.00", "CNY")),
    ...     CartLine(line_id="b", sku="CUP", quantity=2, unit_price=Money("60.00", "CNY"))])
    >>> quote = price(cart, rules)
    >>> [(line.line_id, line.payable) for line in quote.lines]
    [('a', Money('175.00', 'CNY')), ('b', Money('105.00', 'CNY'))]
    >>> print(quote.log)
    [shop] 300-40: applied - matched; proposed 40.00, applied 40.00
    """
    if cart.currency != rules.currency:
        raise CurrencyMismatch(rules.currency, cart.currency, "price a cart in")
    return _Pricing(cart, rules).run()


class _Kind(Enum):
    """How a target picks lines."""

    EVERY = "every line"
    NAMED = "the lines of its SKUs and categories"
    FILTERED = "every line, filtered by channel or exclusions"
    NAMED_FILTERED = "the lines of its SKUs and categories, filtered"


_KINDS = {
    (False, False): _Kind.EVERY,
    (True, False): _Kind.NAMED,
    (False, True): _Kind.FILTERED,
    (True, True): _Kind.NAMED_FILTERED,
}


class _Step(NamedTuple):
    """One rule of a plan, with what the engine reads of it looked up once."""

    rule: Rule
    rule_id: str
    layer: str
    kind: str
    base: str
    target: Target
    target_kind: _Kind
    target_key: int
    """Shared by equal targets, so a quote matches each distinct target once."""
    ineligible: Callable[[Cart], Miss | None] | None
    """``None`` for a rule open to every cart."""
    propose: Callable[[Scope], Proposal | Miss]
    max_discount: Decimal | None
    exclusive: bool
    names: frozenset[str]
    partners: frozenset[str]


class _Stage(NamedTuple):
    """A layer of a plan and its steps in evaluation order."""

    name: str
    policy: str
    steps: tuple[_Step, ...]


@attrs.frozen
class _Compiled:
    """A plan ready for the engine: its steps, and its targets by SKU and category.

    Built once per plan and kept for as long as the plan lives (:func:`_compiled`).
    """

    stages: tuple[_Stage, ...]
    by_sku: Mapping[str, tuple[int, ...]]
    """Per SKU: the keys of the targets that name it."""
    by_category: Mapping[str, tuple[int, ...]]
    categories: frozenset[str]
    """Every category some target names."""

    @classmethod
    def build(cls, plan: Plan) -> _Compiled:
        keys: dict[Target, int] = {}
        by_sku: defaultdict[str, list[int]] = defaultdict(list)
        by_category: defaultdict[str, list[int]] = defaultdict(list)
        stages = []
        for layer, rules in plan.layers:
            steps = []
            for rule in rules:
                target = rule.target
                key = keys.setdefault(target, id(target))
                if key == id(target):
                    for sku in target.skus:
                        by_sku[sku].append(key)
                    for category in target.categories:
                        by_category[category].append(key)
                named = bool(target.skus or target.categories)
                filtered = bool(target.channels or target.exclude_skus or target.exclude_categories)
                steps.append(
                    _Step(
                        rule,
                        rule.id,
                        rule.layer,
                        rule.kind,
                        rule.base,
                        target,
                        _KINDS[named, filtered],
                        key,
                        rule.ineligible if rule.restricted else None,
                        rule.propose,
                        rule.max_discount,
                        rule.exclusive,
                        plan.names[rule.id],
                        plan.partners[rule.id],
                    )
                )
            stages.append(_Stage(layer.name, layer.policy, tuple(steps)))
        return cls(
            tuple(stages),
            {sku: tuple(found) for sku, found in by_sku.items()},
            {category: tuple(found) for category, found in by_category.items()},
            frozenset(by_category),
        )


_COMPILED: dict[int, tuple[weakref.ref[Plan], _Compiled]] = {}


def _compiled(plan: Plan) -> _Compiled:
    """``plan`` ready for the engine, built on first use and dropped with the plan."""
    key = id(plan)
    held = _COMPILED.get(key)
    if held is None or held[0]() is not plan:
        held = (weakref.ref(plan, partial(_forget, key)), _Compiled.build(plan))
        _COMPILED[key] = held
    return held[1]


def _forget(key: int, gone: weakref.ref[Plan]) -> None:
    if _COMPILED.get(key, (None,))[0] is gone:
        del _COMPILED[key]


_Offer: TypeAlias = tuple[_Step, Proposal, int]
"""A matching rule in a best or first layer, its proposal and what it is worth."""


@attrs.frozen
class _Dropped:
    """A matching rule that conflicts with one applied before it."""

    reason: str
    other: _Step
    proposal: Proposal


class _Pricing:
    """The mutable state of one quote while the layers run."""

    def __init__(self, cart: Cart, rules: RuleSet) -> None:
        self.cart = cart
        self.rules = rules
        self.compiled = _compiled(rules.plan)
        self.currency = cart.currency
        self.digits = digits = minor_unit(cart.currency)
        self.rounding = rules.rounding
        self.member_tier = cart.member_tier
        self.lines: list[CartLine] = sorted(cart.lines, key=_line_id)
        self.every_line = tuple(range(len(self.lines)))
        self.keys = [line.line_id for line in self.lines]
        self.quantities = [line.quantity for line in self.lines]
        self.original = [
            int(line.unit_price.amount.scaleb(digits, _WIDE)) * line.quantity for line in self.lines
        ]
        self.current = list(self.original)
        self.shipping_original = 0 if cart.shipping_fee is None else cart.shipping_fee.minor_units
        self.shipping = self.shipping_original
        self.line_discounts: list[list[AppliedDiscount]] = [[] for _ in self.lines]
        self.shipping_discounts: list[AppliedDiscount] = []
        self.gifts: list[Gift] = []
        self.decided: list[tuple[_Stage, list[Proposal | Miss | _Dropped], _Offer | None]] = []
        self.applied: list[_Step] = []
        self.applied_names: dict[str, _Step] = {}
        self.exclusive: _Step | None = None
        self.hits = self._hits()
        self.targets: dict[int, tuple[int, ...]] = {}
        self.scopes: dict[tuple[int, str], Scope] = {}
        self.remainders: dict[str, tuple[str, ...]] = {}
        self.moneys: dict[int, Money] = {}

    def run(self) -> Quote:
        for stage in self.compiled.stages:
            if stage.steps:
                self._layer(stage)
        currency = self.currency
        lines = tuple(
            _new(
                LineQuote,
                (
                    line.line_id,
                    line.sku,
                    line.quantity,
                    currency,
                    self.original[i],
                    tuple(self.line_discounts[i]),
                ),
            )
            for i, line in enumerate(self.lines)
        )
        shipping = None
        if self.cart.shipping_fee is not None:
            shipping = ShippingQuote(
                currency, self.shipping_original, tuple(self.shipping_discounts)
            )
        return Quote(
            self.cart,
            self.rules.version,
            lines,
            shipping,
            tuple(self.gifts),
            AuditLog(build=self._entries),
        )

    def _hits(self) -> dict[int, list[int]]:
        """The lines each target names by SKU or category, in line order, once each."""
        by_sku = self.compiled.by_sku
        by_category = self.compiled.by_category
        categories = self.compiled.categories
        found: dict[int, list[int]] = {}
        if not (by_sku or by_category):
            return found
        for i, line in enumerate(self.lines):
            named = by_sku.get(line.sku, ())
            if not categories.isdisjoint(line.categories):
                for category in categories & line.categories:
                    named += by_category[category]
            for target in named:
                lines = found.setdefault(target, [])
                if not lines or lines[-1] != i:
                    lines.append(i)
        return found

    def _layer(self, stage: _Stage) -> None:
        """Evaluate the layer's rules, apply the winners, then log every one of them."""
        self.scopes.clear()
        stack = stage.policy == "stack"
        entry = list(self.current)
        entry_shipping = self.shipping
        offers: list[_Offer] = []
        outcomes: list[Proposal | Miss | _Dropped] = []
        for step in stage.steps:
            if stack:
                outcome: Proposal | Miss | _Dropped = self._evaluate(
                    step, entry, self.current, self.shipping
                )
            else:
                outcome = self._evaluate(step, entry, entry, entry_shipping)
            if isinstance(outcome, Proposal):
                clash = self._clash(step, outcome) if self.applied else None
                if clash is not None:
                    outcome = clash
                elif stack:
                    self._apply(step, outcome)
                else:
                    offers.append((step, outcome, _worth(outcome)))
            outcomes.append(outcome)
        chosen = None
        if offers:
            chosen = offers[0]
            if stage.policy == "best":
                for offer in offers:
                    if offer[2] > chosen[2]:
                        chosen = offer
            self._apply(chosen[0], chosen[1])
        self.decided.append((stage, outcomes, chosen))

    def _evaluate(
        self, step: _Step, entry: list[int], current: list[int], shipping: int
    ) -> Proposal | Miss:
        if step.ineligible is not None:
            miss = step.ineligible(self.cart)
            if miss is not None:
                return miss
        lines = self.targets.get(step.target_key)
        if lines is None:
            lines = self.targets[step.target_key] = self._match(step)
        if not lines:
            return _NO_LINES
        seen = (step.target_key, step.base)
        scope = self.scopes.get(seen)
        if scope is None:
            left = total_of(current, lines)
            if step.base == "original":
                base = total_of(self.original, lines)
            else:
                base = left if entry is current else total_of(entry, lines)
            scope = self.scopes[seen] = Scope(
                self.currency,
                self.digits,
                self.rounding,
                lines,
                self.keys,
                self.quantities,
                current,
                base,
                shipping,
                self.member_tier,
                left,
            )
        outcome = step.propose(scope)
        if isinstance(outcome, Miss):
            if outcome.reason == "below_threshold":
                return Miss(outcome.reason, (("base_name", _BASE_NAMES[step.base]), *outcome.facts))
            return outcome
        if step.max_discount is not None:
            cap = scope.units(step.max_discount)
            if outcome.total > cap:
                return outcome.capped(cap, scope.money(outcome.total))
        return outcome

    def _match(self, step: _Step) -> tuple[int, ...]:
        """The lines the step's target picks."""
        kind = step.target_kind
        if kind is _Kind.EVERY:
            return self.every_line
        if kind is _Kind.NAMED:
            return tuple(self.hits.get(step.target_key, ()))
        pool = self.every_line if kind is _Kind.FILTERED else self.hits.get(step.target_key, ())
        channel = self.cart.channel
        return tuple(i for i in pool if step.target.matches(self.lines[i], channel))

    def _clash(self, step: _Step, proposal: Proposal) -> _Dropped | None:
        if self.exclusive is not None:
            return _Dropped("exclusive", self.exclusive, proposal)
        if step.exclusive:
            return _Dropped("exclusive", self.applied[0], proposal)
        if not step.partners:
            return None
        hits = sorted(step.partners & self.applied_names.keys())
        if hits:
            return _Dropped("conflict", self.applied_names[hits[0]], proposal)
        return None

    def _apply(self, step: _Step, proposal: Proposal) -> None:
        self.scopes.clear()
        per_line, bumped = proposal.settle(self.keys)
        current = self.current
        line_discounts = self.line_discounts
        rule_id, layer, kind, currency = step.rule_id, step.layer, step.kind, self.currency
        for i, units in per_line.items():
            if units:
                current[i] -= units
                line_discounts[i].append(
                    _new(AppliedDiscount, (rule_id, layer, kind, units, currency))
                )
        if proposal.shipping:
            self.shipping -= proposal.shipping
            self.shipping_discounts.append(
                AppliedDiscount(rule_id, layer, kind, proposal.shipping, currency)
            )
        self.gifts.extend(proposal.gifts)
        self.applied.append(step)
        if step.exclusive:
            self.exclusive = step
        for name in step.names:
            self.applied_names.setdefault(name, step)
        if bumped:
            keys = self.keys
            self.remainders[rule_id] = tuple(keys[i] for i in sorted(bumped))

    def _entries(self) -> tuple[AuditEntry, ...]:
        """The audit log: one entry per rule considered, built from what each layer decided."""
        entries: list[AuditEntry] = []
        for stage, outcomes, chosen in self.decided:
            self._log(entries, stage, outcomes, chosen)
        return tuple(entries)

    def _log(
        self,
        entries: list[AuditEntry],
        stage: _Stage,
        outcomes: list[Proposal | Miss | _Dropped],
        chosen: _Offer | None,
    ) -> None:
        """One audit entry per rule of the layer, in evaluation order."""
        money = self._money
        name = stage.name
        winner = None
        beaten: tuple[tuple[str, object], ...] = ()
        reason = "not_best" if stage.policy == "best" else "not_first"
        if chosen is not None:
            winner = chosen[0]
            beaten = (
                ("layer", name),
                ("other", winner.rule_id),
                ("other_amount", money(chosen[2])),
            )
        shown = self._shown
        for step, outcome in zip(stage.steps, outcomes, strict=True):
            if isinstance(outcome, Miss):
                entry = AuditEntry(
                    name,
                    step.rule_id,
                    step.kind,
                    "not_matched",
                    outcome.reason,
                    shown(outcome.facts),
                )
            elif isinstance(outcome, _Dropped):
                other = outcome.other
                facts = (("other", other.rule_id), ("other_layer", other.layer))
                entry = AuditEntry(
                    name,
                    step.rule_id,
                    step.kind,
                    "dropped",
                    outcome.reason,
                    facts + shown(outcome.proposal.facts),
                    money(outcome.proposal.total),
                )
            elif winner is None or step is winner:
                proposed = money(outcome.total)
                entry = AuditEntry(
                    name,
                    step.rule_id,
                    step.kind,
                    "applied",
                    "matched",
                    shown(outcome.facts),
                    proposed,
                    proposed,
                    self.remainders.get(step.rule_id, ()),
                )
            else:
                entry = AuditEntry(
                    name,
                    step.rule_id,
                    step.kind,
                    "dropped",
                    reason,
                    beaten + shown(outcome.facts),
                    money(outcome.total),
                )
            entries.append(entry)

    def _shown(self, facts: tuple[tuple[str, object], ...]) -> tuple[tuple[str, object], ...]:
        """Facts with their minor-unit amounts as money."""
        money = self._money
        return tuple(
            (name, money(value.units) if type(value) is Units else value) for name, value in facts
        )

    def _money(self, units: int) -> Money:
        """Minor units as money; one object per amount in a quote (money is immutable)."""
        found = self.moneys.get(units)
        if found is None:
            found = self.moneys[units] = Money.from_minor(units, self.currency)
        return found


def _worth(proposal: Proposal) -> int:
    """What a proposal is worth to the buyer: money off, plus the declared value of gifts."""
    if not proposal.gifts:
        return proposal.total
    gifts = sum(g.value.minor_units for g in proposal.gifts if g.value is not None)
    return proposal.total + gifts
