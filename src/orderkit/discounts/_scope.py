"""What a rule sees while it is evaluated, and what it answers: a proposal or a miss.

Amounts here are integers in the currency's minor unit: the engine converts to
:class:`~orderkit.money.Money` only at the edges, so a quote stays exact and cheap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Context, Decimal
from typing import NamedTuple

import attrs

from orderkit.money import Money, Rounding
from orderkit.money._allocate import split_units

__all__ = ["Gift", "Miss", "Proposal", "Scope", "Units", "spread", "total_of"]

_WIDE = Context(prec=60)
_UNITS: defaultdict[int, dict[Decimal, int]] = defaultdict(dict)
"""Rule amounts already converted, per number of minor-unit digits."""
_UNITS_KEPT = 4096
_ONE = Decimal(1)


@attrs.frozen
class Gift:
    """A zero-priced line a gift-with-purchase rule adds to the quote (MISSION D6)."""

    rule_id: str
    sku: str
    quantity: int
    title: str = ""
    value: Money | None = None
    """What the gift would cost, for accounting; the buyer pays nothing for it."""


class Units(NamedTuple):
    """An amount in minor units in a rule's facts; the audit log shows it as money."""

    units: int


class Scope(NamedTuple):
    """One rule's view of the cart at the moment it is evaluated."""

    currency: str
    digits: int
    rounding: Rounding
    lines: Sequence[int]
    """Indices of the lines the rule targets, in line-key order."""
    keys: Sequence[str]
    quantities: Sequence[int]
    current: Sequence[int]
    """What is left to pay on every line, in minor units."""
    base: int
    """The amount the rule's spend conditions test (original or layer entry)."""
    shipping: int
    """What is left to pay for shipping."""
    member_tier: str | None
    left: int
    """What is left to pay on the targeted lines."""

    def units(self, amount: Decimal) -> int:
        """A rule amount in minor units (rule sets are validated to the minor unit)."""
        known = _UNITS[self.digits]
        found = known.get(amount)
        if found is None:
            if len(known) >= _UNITS_KEPT:
                known.clear()
            found = known[amount] = int(amount.scaleb(self.digits))
        return found

    def money(self, units: int) -> Units:
        """Minor units for a fact, shown as money when the audit log is read."""
        return Units(units)

    def round(self, numerator: Decimal | int, denominator: Decimal | int = 1) -> int:
        """``numerator / denominator`` minor units, rounded with the rule set's rounding."""
        exact = _WIDE.divide(numerator, denominator)
        return int(exact.quantize(_ONE, rounding=self.rounding, context=_WIDE))


class Proposal(NamedTuple):
    """What a matching rule would take off the lines and the shipping fee, and any gifts.

    Most rules name a total and the lines to spread it over in proportion to
    ``weights`` (what is left on each); the spread is only computed for the rule that
    applies (:meth:`settle`). Rules that price each line themselves give ``per_line``.
    """

    lines_total: int
    over: Sequence[int] = ()
    weights: Sequence[int] | Mapping[int, int] = ()
    per_line: Mapping[int, int] | None = None
    shipping: int = 0
    gifts: tuple[Gift, ...] = ()
    facts: tuple[tuple[str, object], ...] = ()

    @classmethod
    def spread_over(
        cls, total: int, scope: Scope, facts: tuple[tuple[str, object], ...] = ()
    ) -> Proposal:
        """``total`` off the scope's lines, in proportion to what is left on each."""
        return cls(total, scope.lines, scope.current, None, 0, (), facts)

    @classmethod
    def each(cls, per_line: dict[int, int], facts: tuple[tuple[str, object], ...] = ()) -> Proposal:
        """An amount per line, computed by the rule."""
        return cls(sum(per_line.values()), tuple(per_line), per_line, per_line, facts=facts)

    @property
    def total(self) -> int:
        """The whole discount in minor units."""
        return self.lines_total + self.shipping

    def capped(self, cap: int, money: Units) -> Proposal:
        """This proposal taking off at most ``cap``: lines first, then shipping."""
        if self.total <= cap:
            return self
        lines = min(self.lines_total, cap)
        shipping = min(self.shipping, cap - lines)
        weights = self.weights if self.per_line is None else self.per_line
        facts = (*self.facts, ("capped_from", money))
        return Proposal(lines, self.over, weights, None, shipping, self.gifts, facts)

    def settle(self, keys: Sequence[str]) -> tuple[Mapping[int, int], tuple[int, ...]]:
        """The amount per line, and the lines that got a rounding remainder."""
        if self.per_line is not None:
            return self.per_line, ()
        return spread(self.lines_total, self.over, self.weights, keys)


class Miss(NamedTuple):
    """Why a rule did not match: a reason code and the values that decided it."""

    reason: str
    facts: tuple[tuple[str, object], ...] = ()


def total_of(amounts: Sequence[int], lines: Sequence[int]) -> int:
    """The sum of ``amounts`` over ``lines`` (distinct indices)."""
    if len(lines) == len(amounts):
        return sum(amounts)
    return sum(map(amounts.__getitem__, lines))


def spread(
    total: int,
    lines: Sequence[int],
    weights: Sequence[int] | Mapping[int, int],
    keys: Sequence[str],
) -> tuple[dict[int, int], tuple[int, ...]]:
    """Split ``total`` over ``lines`` in proportion to ``weights[line]``, exactly.

    Largest remainder, ties by line key (:func:`~orderkit.money.allocate`). When
    ``total`` is at most the weights' sum, no line gets more than its weight. Returns
    the shares and the lines that got a minor unit above their exact share's floor.
    """
    mine = [weights[i] for i in lines]
    whole = sum(mine)
    if whole <= 0:
        parts = split_units(total, mine, [keys[i] for i in lines])
        shares = zip(lines, mine, parts, strict=True)
        over = tuple(i for i, weight, part in shares if part * whole > total * weight)
        return dict(zip(lines, parts, strict=True)), over
    parts = [total * weight // whole for weight in mine]
    left = total - sum(parts)
    if not left:
        return dict(zip(lines, parts, strict=True)), ()
    remainders = [total * weight % whole for weight in mine]
    line_keys = [keys[i] for i in lines]
    by_key: Sequence[int] = range(len(mine))
    if any(map(str.__gt__, line_keys, line_keys[1:])):
        by_key = sorted(by_key, key=line_keys.__getitem__)
    # Stable, so equal remainders keep key order.
    bumped = sorted(sorted(by_key, key=remainders.__getitem__, reverse=True)[:left])
    for n in bumped:
        parts[n] += 1
    return dict(zip(lines, parts, strict=True)), tuple(lines[n] for n in bumped)
