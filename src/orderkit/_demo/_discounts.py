"""The demo's discounts chapter: price the demo orders under rule sets, show the audit log."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from importlib.resources import files
from typing import TextIO

from orderkit.discounts import Cart, Quote, RuleSet, price
from orderkit.order import Order

__all__ = ["price_orders"]


def _rule_sets() -> dict[str, RuleSet]:
    text = files(__package__ or "orderkit._demo").joinpath("discount_rules.json").read_text()
    return {currency: RuleSet.load(data) for currency, data in json.loads(text).items()}


def price_orders(
    out: TextIO, orders: Sequence[Order], codes: Mapping[str, frozenset[str]]
) -> list[Quote]:
    """Price every order with its currency's rule set and the codes its buyer entered."""
    rule_sets = _rule_sets()
    quotes = []
    for order in orders:
        cart = Cart.from_order(order, codes=codes.get(order.order_id, frozenset()))
        quote = price(cart, rule_sets[order.currency])
        channel = order.discount_total
        verdict = "matches" if quote.discount == channel else "differs from"
        print(f"\n  {order.order_id} under rule set {quote.rules_version}", file=out)
        for line in str(quote).splitlines():
            print(f"    {line}", file=out)
        print(f"    discount {quote.discount} {verdict} the channel's {channel}", file=out)
        print("    audit log:", file=out)
        for entry in quote.log:
            print(f"      {entry}", file=out)
        quotes.append(quote)
    return quotes
