"""The kinds of discount rule: one pydantic model each, told apart by ``kind``.

Each kind turns a :class:`~orderkit.discounts._scope.Scope` into a proposal (what it
would take off, per line, exactly) or a miss (why not). Spend conditions are
inclusive: a threshold of 300.00 is met by a base of exactly 300.00.
"""

from __future__ import annotations

from decimal import Decimal
from math import lcm
from typing import Annotated, Literal, TypeAlias

from pydantic import Field, model_validator

from orderkit.discounts._rule_base import (
    Decimals,
    FieldProblem,
    Frozen,
    Percent,
    Positive,
    RuleBase,
)
from orderkit.discounts._scope import Gift, Miss, Proposal, Scope
from orderkit.money import Money

__all__ = [
    "AmountOffRule",
    "BuyXGetYRule",
    "CouponRule",
    "EveryRule",
    "FixedPriceRule",
    "GiftRule",
    "MemberTierRule",
    "PercentageRule",
    "RedPacketRule",
    "Rule",
    "ShippingRule",
    "ThresholdRule",
    "Tier",
    "TieredRule",
]

_HUNDRED = Decimal(100)

Outcome: TypeAlias = Proposal | Miss
Facts: TypeAlias = tuple[tuple[str, object], ...]


def _amount_off(scope: Scope, amount: int, lead: Facts = ()) -> Outcome:
    """``amount`` off the targeted lines, split by what is left on each.

    ``lead`` goes before the proposal's own facts.
    """
    left = scope.left
    if left == 0:
        return Miss("nothing_left")
    total = min(amount, left)
    facts = (*lead, ("reduced_from", scope.money(amount))) if total < amount else lead
    return Proposal.spread_over(total, scope, facts)


def _percent_off(scope: Scope, percent: Decimal, lead: Facts = ()) -> Outcome:
    """``percent`` of what is left on the targeted lines, rounded once, then split."""
    left = scope.left
    if left == 0:
        return Miss("nothing_left")
    total = scope.round(left * percent, _HUNDRED)
    if total == 0:
        return Miss("rounds_to_zero", (("percent_off", percent),))
    return Proposal.spread_over(total, scope, (*lead, ("percent_off", percent)))


def _short(scope: Scope, threshold: Decimal) -> Miss | None:
    """A miss when the base is under ``threshold`` (inclusive bound), else ``None``."""
    return _below(scope, threshold) if scope.base < scope.units(threshold) else None


def _below(scope: Scope, threshold: Decimal) -> Miss:
    """The miss of a base under ``threshold``: both amounts and how much is missing."""
    need = scope.units(threshold)
    return Miss(
        "below_threshold",
        (
            ("base", scope.money(scope.base)),
            ("threshold", scope.money(need)),
            ("short", scope.money(need - scope.base)),
        ),
    )


class _MinSpend(RuleBase):
    min_spend: Positive | None = None

    def money_fields(self) -> dict[str, Decimal]:
        found = super().money_fields()
        if self.min_spend is not None:
            found["min_spend"] = self.min_spend
        return found

    def _unmet(self, scope: Scope) -> Miss | None:
        return None if self.min_spend is None else _short(scope, self.min_spend)


class _AmountOrPercent(_MinSpend):
    amount: Positive | None = None
    percent_off: Percent | None = None

    @model_validator(mode="after")
    def _one_value(self) -> _AmountOrPercent:
        if self.amount is not None and self.percent_off is not None:
            raise FieldProblem("percent_off", "give exactly one of amount and percent_off")
        if self.amount is None and self.percent_off is None:
            raise FieldProblem("amount", "give exactly one of amount and percent_off")
        return self

    def money_fields(self) -> dict[str, Decimal]:
        found = super().money_fields()
        if self.amount is not None:
            found["amount"] = self.amount
        return found

    def _value(self, scope: Scope) -> Outcome:
        if self.amount is not None:
            return _amount_off(scope, scope.units(self.amount))
        assert self.percent_off is not None
        return _percent_off(scope, self.percent_off)


class PercentageRule(_MinSpend):
    """``percent_off`` of the targeted lines, optionally above a minimum spend.

    >>> PercentageRule(id="autumn", layer="shop", percent_off="10").percent_off
    Decimal('10')
    """

    kind: Literal["percentage"] = "percentage"
    percent_off: Percent

    def propose(self, scope: Scope) -> Outcome:
        """What the rule takes off in ``scope``, or why it does not match."""
        return self._unmet(scope) or _percent_off(scope, self.percent_off)


class AmountOffRule(_MinSpend):
    """A fixed ``amount`` off the targeted lines, split over them by what each has left."""

    kind: Literal["amount_off"] = "amount_off"
    amount: Positive

    def money_fields(self) -> dict[str, Decimal]:
        return {**super().money_fields(), "amount": self.amount}

    def propose(self, scope: Scope) -> Outcome:
        """What the rule takes off in ``scope``, or why it does not match."""
        return self._unmet(scope) or _amount_off(scope, scope.units(self.amount))


class FixedPriceRule(RuleBase):
    """The targeted units cost ``price`` each; lines already at or under it are untouched."""

    kind: Literal["fixed_price"] = "fixed_price"
    price: Annotated[Decimals, Field(ge=0)]

    def money_fields(self) -> dict[str, Decimal]:
        return {**super().money_fields(), "price": self.price}

    def propose(self, scope: Scope) -> Outcome:
        """What the rule takes off in ``scope``, or why it does not match."""
        unit = scope.units(self.price)
        per_line = {}
        for i in scope.lines:
            over = scope.current[i] - unit * scope.quantities[i]
            if over > 0:
                per_line[i] = over
        if not per_line:
            return Miss("at_or_under_price", (("price", scope.money(unit)),))
        return Proposal.each(per_line, (("price", scope.money(unit)),))


class ThresholdRule(RuleBase):
    """Spend at least ``threshold`` (inclusive), get ``amount`` off: "300 - 40" (MISSION D2)."""

    kind: Literal["threshold"] = "threshold"
    threshold: Positive
    amount: Positive

    def money_fields(self) -> dict[str, Decimal]:
        return {**super().money_fields(), "threshold": self.threshold, "amount": self.amount}

    def propose(self, scope: Scope) -> Outcome:
        """What the rule takes off in ``scope``, or why it does not match."""
        return _short(scope, self.threshold) or _amount_off(scope, scope.units(self.amount))


class Tier(Frozen):
    """One step of a :class:`TieredRule`: from ``threshold`` on, ``amount`` off."""

    threshold: Positive
    amount: Positive


class TieredRule(RuleBase):
    """The highest tier whose threshold the base reaches: 300 → 40, 500 → 80."""

    kind: Literal["tiered"] = "tiered"
    tiers: tuple[Tier, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _rising(self) -> TieredRule:
        for n, (low, high) in enumerate(zip(self.tiers, self.tiers[1:], strict=False), 1):
            if high.threshold <= low.threshold or high.amount <= low.amount:
                raise FieldProblem(
                    f"tiers.{n}",
                    "tiers must rise in both threshold and amount: "
                    f"{low.threshold} → {low.amount} then {high.threshold} → {high.amount}",
                )
        return self

    def money_fields(self) -> dict[str, Decimal]:
        found = super().money_fields()
        for n, tier in enumerate(self.tiers):
            found[f"tiers.{n}.threshold"] = tier.threshold
            found[f"tiers.{n}.amount"] = tier.amount
        return found

    def _tier(self, base: int, digits: int) -> Tier | None:
        reached = [t for t in self.tiers if base >= int(t.threshold.scaleb(digits))]
        return reached[-1] if reached else None

    def propose(self, scope: Scope) -> Outcome:
        """What the rule takes off in ``scope``, or why it does not match."""
        tier = self._tier(scope.base, scope.digits)
        if tier is None:
            return _below(scope, self.tiers[0].threshold)
        tier_facts = (("tier", scope.money(scope.units(tier.threshold))),)
        return _amount_off(scope, scope.units(tier.amount), tier_facts)


class EveryRule(RuleBase):
    """For every full ``step`` of the base, ``amount`` off ("every 100, 10 off").

    ``max_times`` caps the repetitions.
    """

    kind: Literal["every"] = "every"
    step: Positive
    amount: Positive
    max_times: int | None = Field(default=None, ge=1)

    def money_fields(self) -> dict[str, Decimal]:
        return {**super().money_fields(), "step": self.step, "amount": self.amount}

    def _times(self, base: int, digits: int) -> int:
        times = base // int(self.step.scaleb(digits))
        return times if self.max_times is None else min(times, self.max_times)

    def propose(self, scope: Scope) -> Outcome:
        """What the rule takes off in ``scope``, or why it does not match."""
        times = self._times(scope.base, scope.digits)
        if times == 0:
            return _below(scope, self.step)
        return _amount_off(scope, times * scope.units(self.amount), (("times", times),))


class BuyXGetYRule(RuleBase):
    """In every group of ``buy + get`` targeted units, the ``get`` cheapest are ``percent_off``.

    Units are ranked by what is left to pay per unit, then by line key, so the result
    does not depend on the order of the lines.
    """

    kind: Literal["buy_x_get_y"] = "buy_x_get_y"
    buy: int = Field(ge=1)
    get: int = Field(ge=1)
    percent_off: Percent = _HUNDRED

    def propose(self, scope: Scope) -> Outcome:
        """What the rule takes off in ``scope``, or why it does not match."""
        units = sum(scope.quantities[i] for i in scope.lines)
        free = granted = units // (self.buy + self.get) * self.get
        if free == 0:
            return Miss("too_few_units", (("units", units), ("needed", self.buy + self.get)))
        per_line: dict[int, int] = {}
        common = lcm(*(scope.quantities[i] for i in scope.lines))
        ranked = sorted(
            scope.lines,
            key=lambda i: (scope.current[i] * (common // scope.quantities[i]), scope.keys[i]),
        )
        for i in ranked:
            if free == 0:
                break
            taken = min(free, scope.quantities[i])
            free -= taken
            amount = scope.round(
                scope.current[i] * taken * self.percent_off, scope.quantities[i] * _HUNDRED
            )
            if amount:
                per_line[i] = amount
        if not per_line:
            return Miss("nothing_left")
        return Proposal.each(per_line, (("free_units", granted),))


class GiftRule(_MinSpend):
    """Gift with purchase (MISSION D6): adds ``gift_quantity`` of ``gift_sku`` at zero price.

    Needs at least one targeted line, and ``min_spend`` / ``min_quantity`` when given.
    """

    kind: Literal["gift"] = "gift"
    gift_sku: str = Field(min_length=1)
    gift_quantity: int = Field(default=1, ge=1)
    gift_title: str = ""
    gift_value: Annotated[Decimals, Field(ge=0)] | None = None
    min_quantity: int | None = Field(default=None, ge=1)

    def money_fields(self) -> dict[str, Decimal]:
        found = super().money_fields()
        if self.gift_value is not None:
            found["gift_value"] = self.gift_value
        return found

    def propose(self, scope: Scope) -> Outcome:
        """What the rule adds in ``scope``, or why it does not match."""
        if self.min_quantity is not None:
            units = sum(scope.quantities[i] for i in scope.lines)
            if units < self.min_quantity:
                return Miss("too_few_units", (("units", units), ("needed", self.min_quantity)))
        missed = self._unmet(scope)
        if missed is not None:
            return missed
        value = (
            None
            if self.gift_value is None
            else Money.from_minor(scope.units(self.gift_value), scope.currency)
        )
        gift = Gift(self.id, self.gift_sku, self.gift_quantity, self.gift_title, value)
        return Proposal(0, gifts=(gift,))


class MemberTierRule(RuleBase):
    """A percentage off by the buyer's member tier: ``{"gold": 5}`` is a 95 % price for gold."""

    kind: Literal["member_tier"] = "member_tier"
    percent_off_by_tier: dict[str, Percent] = Field(min_length=1)

    def propose(self, scope: Scope) -> Outcome:
        """What the rule takes off for the buyer's tier, or why it does not match."""
        tier = scope.member_tier
        percent = None if tier is None else self.percent_off_by_tier.get(tier)
        if percent is None:
            tiers = frozenset(self.percent_off_by_tier)
            return Miss("member_tier", (("tier", tier), ("tiers", tiers)))
        return _percent_off(scope, percent, (("tier", tier),))


class CouponRule(_AmountOrPercent):
    """A shop coupon: its ``code`` presented, ``amount`` or ``percent_off``, a minimum spend."""

    kind: Literal["coupon"] = "coupon"
    code: str = Field(min_length=1)

    def required_code(self) -> str | None:
        """The code the buyer must present."""
        return self.code

    def propose(self, scope: Scope) -> Outcome:
        """What the rule takes off in ``scope``, or why it does not match."""
        return self._unmet(scope) or self._value(scope)


class RedPacketRule(_MinSpend):
    """A platform red packet: ``amount`` off, an optional minimum spend and ``code``."""

    kind: Literal["red_packet"] = "red_packet"
    amount: Positive
    code: str | None = None

    def money_fields(self) -> dict[str, Decimal]:
        return {**super().money_fields(), "amount": self.amount}

    def required_code(self) -> str | None:
        """The code the buyer must present, if any."""
        return self.code

    def propose(self, scope: Scope) -> Outcome:
        """What the rule takes off in ``scope``, or why it does not match."""
        return self._unmet(scope) or _amount_off(scope, scope.units(self.amount))


class ShippingRule(_MinSpend):
    """Off the shipping fee: ``amount``, or ``percent_off`` (100, free shipping, by default)."""

    kind: Literal["shipping"] = "shipping"
    amount: Positive | None = None
    percent_off: Percent | None = None

    @model_validator(mode="after")
    def _at_most_one(self) -> ShippingRule:
        if self.amount is not None and self.percent_off is not None:
            raise FieldProblem("percent_off", "give amount or percent_off, not both")
        return self

    def money_fields(self) -> dict[str, Decimal]:
        found = super().money_fields()
        if self.amount is not None:
            found["amount"] = self.amount
        return found

    def propose(self, scope: Scope) -> Outcome:
        """What the rule takes off the shipping fee in ``scope``, or why it does not match."""
        missed = self._unmet(scope)
        if missed is not None:
            return missed
        if scope.shipping == 0:
            return Miss("no_shipping_fee")
        if self.amount is not None:
            off = min(scope.units(self.amount), scope.shipping)
        else:
            percent = _HUNDRED if self.percent_off is None else self.percent_off
            off = scope.round(scope.shipping * percent, _HUNDRED)
        return Proposal(0, shipping=off) if off else Miss("rounds_to_zero")


Rule: TypeAlias = Annotated[
    PercentageRule
    | AmountOffRule
    | FixedPriceRule
    | ThresholdRule
    | TieredRule
    | EveryRule
    | BuyXGetYRule
    | GiftRule
    | MemberTierRule
    | CouponRule
    | RedPacketRule
    | ShippingRule,
    Field(discriminator="kind"),
]
"""Any rule; ``kind`` says which."""
