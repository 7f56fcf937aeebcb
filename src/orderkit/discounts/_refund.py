"""Refunds from a quote's own allocation: returning units gives back what they paid.

Each line's payable amount is split over its units (:meth:`LineQuote.unit_payables`);
returned units take the smallest shares first, so a series of partial returns never
gives back more than the units' fair share, and returning every unit gives back
exactly what was paid. A return that takes the kept items below a threshold follows
the chosen clawback policy:

``keep``
    The buyer keeps the discounts already allocated to the kept items; the refund is
    what the returned units paid.
``reprice``
    The kept items are priced again under the same rules, at the same moment, with
    the same codes. If they would cost more on their own than the buyer paid for them
    (a "spend 300, get 40 off" no longer met), the difference is deducted from the
    refund, never taking it below zero; a return never earns the kept items a larger
    discount. Gifts whose rule no longer applies are listed to be returned.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import attrs

from orderkit.discounts._cart import Cart
from orderkit.discounts._engine import price
from orderkit.discounts._quote import LineQuote, Quote
from orderkit.discounts._ruleset import RuleSet
from orderkit.discounts._scope import Gift
from orderkit.errors import InvalidReturn
from orderkit.money import Money
from orderkit.money._allocate import split_units

__all__ = ["Clawback", "Refund", "RefundLine", "refund"]

Clawback = Literal["keep", "reprice"]


@attrs.frozen
class RefundLine:
    """What the returned units of one line paid, what is clawed back, what is refunded."""

    line_id: str
    units: int
    currency: str
    paid_units: int
    clawback_units: int = 0

    @property
    def paid(self) -> Money:
        """What the returned units paid."""
        return Money.from_minor(self.paid_units, self.currency)

    @property
    def clawback(self) -> Money:
        """What is kept back from this line's refund for a broken threshold."""
        return Money.from_minor(self.clawback_units, self.currency)

    @property
    def refund(self) -> Money:
        """What goes back to the buyer for this line."""
        return Money.from_minor(self.paid_units - self.clawback_units, self.currency)


@attrs.frozen
class Refund:
    """The refund of one return: per line, the shipping fee if refunded, and the clawback."""

    currency: str
    policy: Clawback
    lines: tuple[RefundLine, ...]
    shipping_units: int = 0
    uncollected_units: int = 0
    """Clawback the returned units did not pay enough to cover."""
    gifts_to_return: tuple[Gift, ...] = ()
    repriced: Quote | None = None
    """The kept items priced again (``reprice`` policy): its log says what broke."""

    @property
    def paid(self) -> Money:
        """What the returned units paid (plus the shipping fee, if refunded)."""
        return Money.from_minor(
            sum(line.paid_units for line in self.lines) + self.shipping_units, self.currency
        )

    @property
    def clawback(self) -> Money:
        """What is kept back for broken thresholds."""
        return Money.from_minor(sum(line.clawback_units for line in self.lines), self.currency)

    @property
    def total(self) -> Money:
        """What goes back to the buyer."""
        return self.paid - self.clawback

    @property
    def uncollected(self) -> Money:
        """Clawback due that exceeded what the returned units paid."""
        return Money.from_minor(self.uncollected_units, self.currency)


def refund(
    quote: Quote,
    returns: Mapping[str, int],
    *,
    returned_before: Mapping[str, int] | None = None,
    policy: Clawback = "keep",
    rules: RuleSet | None = None,
    shipping: bool = False,
) -> Refund:
    """The refund for returning ``returns`` (units per line id) of a priced order.

    ``returned_before`` counts units of each line returned by earlier refunds, so a
    series of partial returns never refunds a unit twice. ``policy="reprice"`` needs
    the ``rules`` the quote was priced with. ``shipping=True`` also refunds the
    shipping fee the buyer paid.

    >>> from datetime import datetime, UTC
    >>> from orderkit.discounts import CartLine, price
    >>> rules = RuleSet.load({"currency": "CNY", "rules": [
    ...     {"id": "300-40", "kind": "threshold", "layer": "shop",
    ...      "threshold": "300", "amount": "40"}]})
    >>> cart = Cart(currency="CNY", at=datetime(2026, 11, 11, tzinfo=UTC), lines=[
    ...     CartLine(line_id="a", sku="TEA", quantity=1, unit_price=Money("200.00", "CNY")),
    ...     CartLine(line_id="b", sku="CUP", quantity=2, unit_price=Money("60.00", "CNY"))])
    >>> quote = price(cart, rules)
    >>> refund(quote, {"a": 1}).total
    Money('175.00', 'CNY')
    >>> refund(quote, {"a": 1}, policy="reprice", rules=rules).total
    Money('160.00', 'CNY')
    """
    before = dict(returned_before or {})
    _check(quote, returns, before)
    lines = [
        RefundLine(
            line_id,
            units,
            quote.currency,
            _paid(quote.line(line_id), before.get(line_id, 0), units),
        )
        for line_id, units in sorted(returns.items())
    ]
    shipping_units = 0
    if shipping and quote.shipping is not None:
        shipping_units = quote.shipping.payable.minor_units
    if policy == "keep":
        return Refund(quote.currency, policy, tuple(lines), shipping_units)
    if rules is None:
        raise InvalidReturn("policy 'reprice' needs the rules the quote was priced with")
    after = {k: before.get(k, 0) + returns.get(k, 0) for k in {*before, *returns}}
    due_before, _ = _due(quote, rules, before)
    due_after, repriced = _due(quote, rules, after)
    due = max(due_after - due_before, 0)
    paid = [line.paid_units for line in lines]
    collected = min(due, sum(paid))
    shares = (
        split_units(collected, paid, [line.line_id for line in lines])
        if collected
        else [0] * len(lines)
    )
    clawed = tuple(
        attrs.evolve(line, clawback_units=share) for line, share in zip(lines, shares, strict=True)
    )
    still = set() if repriced is None else {g.rule_id for g in repriced.gifts}
    lost = tuple(g for g in quote.gifts if g.rule_id not in still)
    return Refund(quote.currency, policy, clawed, shipping_units, due - collected, lost, repriced)


def _check(quote: Quote, returns: Mapping[str, int], before: Mapping[str, int]) -> None:
    known = {line.line_id: line.quantity for line in quote.lines}
    for source in (returns, before):
        for line_id, units in source.items():
            if line_id not in known:
                raise InvalidReturn(f"line {line_id!r} is not on the quote")
            if isinstance(units, bool) or not isinstance(units, int) or units < 0:
                raise InvalidReturn(
                    f"line {line_id!r}: units must be a non-negative int, got {units!r}"
                )
    for line_id, units in returns.items():
        done = before.get(line_id, 0)
        if done + units > known[line_id]:
            raise InvalidReturn(
                f"line {line_id!r}: returning {units} after {done} exceeds the "
                f"{known[line_id]} bought"
            )


def _paid(line: LineQuote, done: int, units: int) -> int:
    """What units ``done`` to ``done + units`` of ``line``, counted from the last, paid."""
    shares = split_units(line.payable_units, [1] * line.quantity, list(range(line.quantity)))
    end = line.quantity - done
    return sum(shares[end - units : end])


def _due(quote: Quote, rules: RuleSet, returned: Mapping[str, int]) -> tuple[int, Quote | None]:
    """How much more the kept units cost priced alone than they paid, and that pricing."""
    kept_lines = []
    paid_for_kept = 0
    for cart_line in quote.cart.lines:
        gone = returned.get(cart_line.line_id, 0)
        if gone < cart_line.quantity:
            kept_lines.append(cart_line.model_copy(update={"quantity": cart_line.quantity - gone}))
            line = quote.line(cart_line.line_id)
            paid_for_kept += line.payable_units - _paid(line, 0, gone)
    if not kept_lines:
        return 0, None
    cart: Cart = quote.cart.model_copy(update={"lines": tuple(kept_lines)})
    repriced = price(cart, rules)
    return max(sum(line.payable_units for line in repriced.lines) - paid_for_kept, 0), repriced
