"""The priced result: per line, what it cost, what came off by which rule, what is payable.

Amounts are held in minor units and turned into :class:`~orderkit.money.Money` when
read, so pricing stays cheap; every figure is exact and the parts always sum to the
totals.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import NamedTuple

import attrs

from orderkit.discounts._audit import AuditLog
from orderkit.discounts._cart import Cart
from orderkit.discounts._scope import Gift
from orderkit.money import Money
from orderkit.money._allocate import split_units

__all__ = ["AppliedDiscount", "LineQuote", "Quote", "ShippingQuote"]


class AppliedDiscount(NamedTuple):
    """What one rule took off one line (or the shipping fee)."""

    rule_id: str
    layer: str
    kind: str
    units: int
    currency: str

    @property
    def amount(self) -> Money:
        """The amount taken off."""
        return Money.from_minor(self.units, self.currency)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready data."""
        return {
            "rule_id": self.rule_id,
            "layer": self.layer,
            "kind": self.kind,
            "amount": str(self.amount.amount),
        }


def _money_dict(**amounts: Money) -> dict[str, str]:
    return {name: str(value.amount) for name, value in amounts.items()}


class LineQuote(NamedTuple):
    """One priced line: original amount, the discounts on it, the payable amount."""

    line_id: str
    sku: str
    quantity: int
    currency: str
    original_units: int
    discounts: tuple[AppliedDiscount, ...]

    @property
    def original(self) -> Money:
        """Unit price times quantity."""
        return Money.from_minor(self.original_units, self.currency)

    @property
    def discount_units(self) -> int:
        """Everything taken off the line, in minor units."""
        return sum(d.units for d in self.discounts)

    @property
    def discount(self) -> Money:
        """Everything taken off the line."""
        return Money.from_minor(self.discount_units, self.currency)

    @property
    def payable_units(self) -> int:
        """What the buyer pays for the line, in minor units."""
        return self.original_units - self.discount_units

    @property
    def payable(self) -> Money:
        """What the buyer pays for the line."""
        return Money.from_minor(self.payable_units, self.currency)

    def unit_payables(self) -> tuple[Money, ...]:
        """The payable amount split over the units, exactly: for returns of some units.

        The shares differ by at most one minor unit; the larger ones come first, so
        units returned from the end never get back more than their fair share.

        >>> line = LineQuote("1", "TEA", 3, "CNY", 1000, ())
        >>> line.unit_payables()
        (Money('3.34', 'CNY'), Money('3.33', 'CNY'), Money('3.33', 'CNY'))
        """
        parts = split_units(self.payable_units, [1] * self.quantity, list(range(self.quantity)))
        return tuple(Money.from_minor(p, self.currency) for p in parts)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready data."""
        return {
            "line_id": self.line_id,
            "sku": self.sku,
            "quantity": self.quantity,
            **_money_dict(original=self.original, discount=self.discount, payable=self.payable),
            "discounts": [d.to_dict() for d in self.discounts],
        }


@attrs.frozen
class ShippingQuote:
    """The shipping fee, the discounts on it and what is payable."""

    currency: str
    original_units: int
    discounts: tuple[AppliedDiscount, ...]

    @property
    def original(self) -> Money:
        """The fee before discounts."""
        return Money.from_minor(self.original_units, self.currency)

    @property
    def payable(self) -> Money:
        """The fee the buyer pays."""
        taken = sum(d.units for d in self.discounts)
        return Money.from_minor(self.original_units - taken, self.currency)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready data."""
        return {
            **_money_dict(original=self.original, payable=self.payable),
            "discounts": [d.to_dict() for d in self.discounts],
        }


@attrs.frozen
class Quote:
    """The price of a cart under a rule set: lines, shipping, gifts and the audit log.

    Lines are sorted by ``line_id``, so the same cart and rules give the same quote,
    whatever order either came in. ``cart`` is the input, kept so the quote can be
    priced again and refunded from.
    """

    cart: Cart
    rules_version: str
    lines: tuple[LineQuote, ...]
    shipping: ShippingQuote | None
    gifts: tuple[Gift, ...]
    log: AuditLog

    @property
    def currency(self) -> str:
        """The currency of every amount."""
        return self.cart.currency

    def _sum(self, units: int) -> Money:
        return Money.from_minor(units, self.currency)

    @property
    def subtotal(self) -> Money:
        """The lines before discounts."""
        return self._sum(sum(line.original_units for line in self.lines))

    @property
    def discount(self) -> Money:
        """Everything taken off the lines and the shipping fee."""
        shipping = 0 if self.shipping is None else sum(d.units for d in self.shipping.discounts)
        return self._sum(sum(line.discount_units for line in self.lines) + shipping)

    @property
    def payable(self) -> Money:
        """What the buyer pays: lines plus shipping, after discounts."""
        lines = self._sum(sum(line.payable_units for line in self.lines))
        return lines if self.shipping is None else lines + self.shipping.payable

    @property
    def applied_rules(self) -> tuple[str, ...]:
        """Ids of the rules that applied, in evaluation order (for usage counting)."""
        return tuple(e.rule_id for e in self.log if e.status == "applied")

    def line(self, line_id: str) -> LineQuote:
        """One line by id; ``KeyError`` if the quote has no such line."""
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise KeyError(line_id)

    def payables(self) -> Mapping[str, Money]:
        """What is payable per line, by line id."""
        return {line.line_id: line.payable for line in self.lines}

    def to_dict(self) -> dict[str, object]:
        """JSON-ready data: the lines, shipping, gifts, totals and the audit log."""
        return {
            "currency": self.currency,
            "rules_version": self.rules_version,
            "lines": [line.to_dict() for line in self.lines],
            "shipping": None if self.shipping is None else self.shipping.to_dict(),
            "gifts": [
                {
                    "rule_id": g.rule_id,
                    "sku": g.sku,
                    "quantity": g.quantity,
                    "title": g.title,
                    "price": str(Money.zero(self.currency).amount),
                    "value": None if g.value is None else str(g.value.amount),
                }
                for g in self.gifts
            ],
            **_money_dict(subtotal=self.subtotal, discount=self.discount, payable=self.payable),
            "log": self.log.to_list(),
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as canonical JSON: sorted keys, no spaces; byte-for-byte stable."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def __str__(self) -> str:
        rows = [f"{'line':<12}{'original':>12}{'discount':>12}{'payable':>12}"]
        for line in self.lines:
            rows.append(
                f"{line.line_id:<12}{line.original.amount!s:>12}"
                f"{line.discount.amount!s:>12}{line.payable.amount!s:>12}"
            )
        if self.shipping is not None:
            rows.append(
                f"{'shipping':<12}{self.shipping.original.amount!s:>12}"
                f"{(self.shipping.original - self.shipping.payable).amount!s:>12}"
                f"{self.shipping.payable.amount!s:>12}"
            )
        rows += [f"gift {g.sku} x{g.quantity} (rule {g.rule_id})" for g in self.gifts]
        original = (
            self.subtotal if self.shipping is None else self.subtotal + self.shipping.original
        )
        rows.append(
            f"{'total':<12}{original.amount!s:>12}"
            f"{self.discount.amount!s:>12}{self.payable.amount!s:>12}"
        )
        return "\n".join(rows)
