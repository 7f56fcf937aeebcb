"""The pricing engine: layers in order, rules competing inside each, exact splits.

A pure function of the cart and the rule set. Lines are put in ``line_id`` order and
rules in (layer, priority, id) order before anything is evaluated, so the order in
which either was given never shows in the quote.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import attrs

from orderkit.discounts._audit import AuditEntry, AuditLog, Status
from orderkit.discounts._cart import Cart, CartLine
from orderkit.discounts._quote import AppliedDiscount, LineQuote, Quote, ShippingQuote
from orderkit.discounts._rule_base import Target
from orderkit.discounts._rules import Rule
from orderkit.discounts._ruleset import Layer, RuleSet
from orderkit.discounts._scope import Gift, Miss, Proposal, Scope
from orderkit.errors import CurrencyMismatch
from orderkit.money import Money, minor_unit

__all__ = ["price"]

_BASE_NAMES = {"current": "subtotal", "original": "subtotal before discounts"}


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


@attrs.frozen
class _Applied:
    rule_id: str
    layer: str


@attrs.frozen
class _Dropped:
    """A matching rule that conflicts with one applied before it."""

    reason: str
    other: _Applied
    proposal: Proposal


class _Pricing:
    """The mutable state of one quote while the layers run."""

    def __init__(self, cart: Cart, rules: RuleSet) -> None:
        self.cart = cart
        self.rules = rules
        self.plan = rules.plan
        self.digits = minor_unit(cart.currency)
        self.lines: list[CartLine] = sorted(cart.lines, key=lambda line: line.line_id)
        self.keys = [line.line_id for line in self.lines]
        self.quantities = [line.quantity for line in self.lines]
        self.original = [line.unit_price.minor_units * line.quantity for line in self.lines]
        self.current = list(self.original)
        self.shipping_original = 0 if cart.shipping_fee is None else cart.shipping_fee.minor_units
        self.shipping = self.shipping_original
        self.line_discounts: list[list[AppliedDiscount]] = [[] for _ in self.lines]
        self.shipping_discounts: list[AppliedDiscount] = []
        self.gifts: list[Gift] = []
        self.entries: list[AuditEntry] = []
        self.applied: list[_Applied] = []
        self.applied_names: dict[str, _Applied] = {}
        self.exclusive: _Applied | None = None
        self.targets: dict[int, tuple[int, ...]] = {}
        self.remainders: dict[str, tuple[str, ...]] = {}
        self.by_sku: defaultdict[str, list[int]] = defaultdict(list)
        self.by_category: defaultdict[str, list[int]] = defaultdict(list)
        for i, line in enumerate(self.lines):
            self.by_sku[line.sku].append(i)
            for category in line.categories:
                self.by_category[category].append(i)

    def run(self) -> Quote:
        for layer, layer_rules in self.plan.layers:
            self._layer(layer, layer_rules)
        currency = self.cart.currency
        lines = tuple(
            LineQuote(
                line.line_id,
                line.sku,
                line.quantity,
                currency,
                self.original[i],
                tuple(self.line_discounts[i]),
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
            AuditLog(tuple(self.entries)),
        )

    def _layer(self, layer: Layer, layer_rules: Sequence[Rule]) -> None:
        entry = list(self.current)
        entry_shipping = self.shipping
        stack = layer.policy == "stack"
        offers: list[tuple[Rule, Proposal]] = []
        pending: list[tuple[Rule, Proposal | Miss | _Dropped]] = []
        for rule in layer_rules:
            outcome = self._evaluate(
                rule,
                entry,
                self.current if stack else entry,
                self.shipping if stack else entry_shipping,
            )
            if isinstance(outcome, Proposal):
                clash = self._clash(rule, outcome)
                if clash is not None:
                    pending.append((rule, clash))
                    continue
                if stack:
                    self._apply(rule, outcome)
                else:
                    offers.append((rule, outcome))
            pending.append((rule, outcome))
        chosen = self._choose(layer, offers)
        if chosen is not None:
            self._apply(*chosen)
        for rule, result in pending:
            self._log(layer, rule, result, chosen)

    def _evaluate(
        self, rule: Rule, entry: list[int], current: list[int], shipping: int
    ) -> Proposal | Miss:
        miss = rule.ineligible(self.cart)
        if miss is not None:
            return miss
        lines = self._targeted(rule.target)
        if not lines:
            return Miss("no_lines")
        base_amounts = self.original if rule.base == "original" else entry
        scope = Scope(
            self.cart.currency,
            self.digits,
            self.rules.rounding,
            lines,
            self.keys,
            self.quantities,
            current,
            sum(base_amounts[i] for i in lines),
            shipping,
            self.cart.member_tier,
        )
        outcome = rule.propose(scope)
        if isinstance(outcome, Miss):
            if outcome.reason == "below_threshold":
                return outcome._replace(
                    facts=(("base_name", _BASE_NAMES[rule.base]), *outcome.facts)
                )
            return outcome
        if rule.max_discount is not None:
            return outcome.capped(scope.units(rule.max_discount), scope.money(outcome.total))
        return outcome

    def _targeted(self, target: Target) -> tuple[int, ...]:
        found = self.targets.get(id(target))
        if found is None:
            if target.skus or target.categories:
                candidates = {i for sku in target.skus for i in self.by_sku.get(sku, ())}
                candidates.update(i for c in target.categories for i in self.by_category.get(c, ()))
                pool: Sequence[int] = sorted(candidates)
            else:
                pool = range(len(self.lines))
            channel = self.cart.channel
            found = tuple(i for i in pool if target.matches(self.lines[i], channel))
            self.targets[id(target)] = found
        return found

    def _clash(self, rule: Rule, proposal: Proposal) -> _Dropped | None:
        if self.exclusive is not None:
            return _Dropped("exclusive", self.exclusive, proposal)
        if rule.exclusive and self.applied:
            return _Dropped("exclusive", self.applied[0], proposal)
        partners = self.plan.partners[rule.id]
        hits = sorted(partners & self.applied_names.keys())
        if hits:
            return _Dropped("conflict", self.applied_names[hits[0]], proposal)
        return None

    def _choose(
        self, layer: Layer, offers: list[tuple[Rule, Proposal]]
    ) -> tuple[Rule, Proposal] | None:
        if not offers or layer.policy == "stack":
            return None
        if layer.policy == "first":
            return offers[0]
        best = offers[0]
        for offer in offers[1:]:
            if _worth(offer[1]) > _worth(best[1]):
                best = offer
        return best

    def _apply(self, rule: Rule, proposal: Proposal) -> None:
        per_line, bumped = proposal.settle(self.keys)
        currency = self.cart.currency
        for i, units in per_line.items():
            if units:
                self.current[i] -= units
                self.line_discounts[i].append(
                    AppliedDiscount(rule.id, rule.layer, rule.kind, units, currency)
                )
        if proposal.shipping:
            self.shipping -= proposal.shipping
            self.shipping_discounts.append(
                AppliedDiscount(rule.id, rule.layer, rule.kind, proposal.shipping, currency)
            )
        self.gifts.extend(proposal.gifts)
        applied = _Applied(rule.id, rule.layer)
        self.applied.append(applied)
        if rule.exclusive:
            self.exclusive = applied
        for name in self.plan.names[rule.id]:
            self.applied_names.setdefault(name, applied)
        self.remainders[rule.id] = tuple(self.keys[i] for i in sorted(bumped))

    def _log(
        self,
        layer: Layer,
        rule: Rule,
        outcome: Proposal | Miss | _Dropped,
        chosen: tuple[Rule, Proposal] | None,
    ) -> None:
        money = self._money
        if isinstance(outcome, Miss):
            self.entries.append(
                AuditEntry(
                    layer.name, rule.id, rule.kind, "not_matched", outcome.reason, outcome.facts
                )
            )
            return
        if isinstance(outcome, _Dropped):
            other = outcome.other
            self.entries.append(
                AuditEntry(
                    layer.name,
                    rule.id,
                    rule.kind,
                    "dropped",
                    outcome.reason,
                    (
                        ("other", other.rule_id),
                        ("other_layer", other.layer),
                        *outcome.proposal.facts,
                    ),
                    money(outcome.proposal.total),
                )
            )
            return
        status: Status = "applied"
        reason = "matched"
        facts = outcome.facts
        if layer.policy != "stack" and chosen is not None and chosen[0] is not rule:
            status = "dropped"
            reason = "not_best" if layer.policy == "best" else "not_first"
            facts = (
                ("layer", layer.name),
                ("other", chosen[0].id),
                ("other_amount", money(_worth(chosen[1]))),
                *facts,
            )
        self.entries.append(
            AuditEntry(
                layer.name,
                rule.id,
                rule.kind,
                status,
                reason,
                facts,
                money(outcome.total),
                money(outcome.total) if status == "applied" else None,
                self.remainders.get(rule.id, ()) if status == "applied" else (),
            )
        )

    def _money(self, units: int) -> Money:
        return Money.from_minor(units, self.cart.currency)


def _worth(proposal: Proposal) -> int:
    """What a proposal is worth to the buyer: money off, plus the declared value of gifts."""
    gifts = sum(g.value.minor_units for g in proposal.gifts if g.value is not None)
    return proposal.total + gifts
