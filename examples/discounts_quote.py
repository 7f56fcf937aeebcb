"""Notebook-style: load a YAML rule set, price a cart, read the quote and its audit log.

The rule set (``discount_rules.yaml``) stacks a member price, a shop coupon or the
Double 11 tiers (whichever takes off more), platform promotions, a gift and free
shipping. The quote splits every order-level discount over the lines exactly (MISSION
D2), lists the gift as its own zero-priced line (D6) and logs every rule with its
reason (D3). A return of the coat then shows the clawback of the broken threshold.

Run it: ``python examples/discounts_quote.py`` (needs ``orderkit[yaml]``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from orderkit.discounts import Cart, CartLine, Quote, Refund, RuleSet, price, refund
from orderkit.money import Money

RULES = Path(__file__).with_name("discount_rules.yaml")


def main() -> tuple[Quote, Refund]:
    """Price a gold member's Double 11 cart, then return the coat."""
    rules = RuleSet.from_yaml(RULES.read_text(encoding="utf-8"))
    cart = Cart(
        currency="CNY",
        at=datetime(2026, 11, 11, 2, 30, tzinfo=UTC),
        channel="tmall",
        member_tier="gold",
        codes=frozenset({"SHOP300", "RP-10"}),
        lines=[
            CartLine(
                line_id="1",
                sku="DRESS-RED-M",
                quantity=1,
                unit_price=Money("329.00", "CNY"),
                categories=frozenset({"dresses"}),
            ),
            CartLine(
                line_id="2",
                sku="COAT-CAMEL-M",
                quantity=1,
                unit_price=Money("259.00", "CNY"),
                categories=frozenset({"coats"}),
            ),
            CartLine(
                line_id="3",
                sku="SOCKS-3PK",
                quantity=2,
                unit_price=Money("19.90", "CNY"),
            ),
        ],
        shipping_fee=Money("12.00", "CNY"),
    )
    quote = price(cart, rules)
    coat_back = refund(quote, {"2": 1}, policy="reprice", rules=rules)
    return quote, coat_back


if __name__ == "__main__":
    quote, coat_back = main()
    print(quote)
    print("\nAudit log")
    print(quote.log)
    print(f"\nReturning the coat: it paid {coat_back.paid}, clawback {coat_back.clawback},")
    gifts = [g.sku for g in coat_back.gifts_to_return]
    print(f"refund {coat_back.total}; gifts to return: {gifts}")
