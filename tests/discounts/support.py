"""Small builders shared by the discount engine tests: carts, rule sets and read-outs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from orderkit.discounts import Cart, CartLine, Quote, RuleSet
from orderkit.money import Money

__all__ = ["AT", "cart", "cny", "discounts_of", "item", "payables", "rule_set"]

AT = datetime(2026, 11, 11, 2, 30, tzinfo=UTC)
"""Double 11, 10:30 in Beijing: the moment every cart here is priced at unless told."""


def cny(amount: str) -> Money:
    """An amount in CNY."""
    return Money(amount, "CNY")


def item(
    line_id: str,
    unit_price: str,
    quantity: int = 1,
    *,
    sku: str | None = None,
    categories: Iterable[str] = (),
    channel: str | None = None,
    currency: str = "CNY",
) -> CartLine:
    """A cart line; its SKU defaults to the upper-cased line id."""
    return CartLine(
        line_id=line_id,
        sku=sku or line_id.upper(),
        quantity=quantity,
        unit_price=Money(unit_price, currency),
        categories=frozenset(categories),
        channel=channel,
    )


def cart(*lines: CartLine, currency: str = "CNY", **fields: Any) -> Cart:
    """A cart of ``lines`` priced at :data:`AT` unless ``at`` is given."""
    return Cart.model_validate({"currency": currency, "at": AT, "lines": lines, **fields})


def rule_set(
    *rules: Mapping[str, Any],
    layers: Iterable[Mapping[str, str]] | None = None,
    currency: str = "CNY",
    **fields: Any,
) -> RuleSet:
    """A rule set loaded from plain data, on the default layers unless ``layers`` is given."""
    data: dict[str, Any] = {"currency": currency, "rules": list(rules), **fields}
    if layers is not None:
        data["layers"] = list(layers)
    return RuleSet.load(data)


def payables(quote: Quote) -> dict[str, str]:
    """What is payable per line, as plain decimal strings."""
    return {line.line_id: str(line.payable.amount) for line in quote.lines}


def discounts_of(quote: Quote, rule_id: str) -> dict[str, str]:
    """What ``rule_id`` took off each line it touched, as plain decimal strings."""
    return {
        line.line_id: str(d.amount.amount)
        for line in quote.lines
        for d in line.discounts
        if d.rule_id == rule_id
    }
