"""Pricing a cart under a discount rule set: microseconds per quote (issue: discount engine).

Two cases and a grid, all built from a fixed seed:

- a shop cart: 20 lines under 30 rules in the default layers (member, shop, platform;
  the best rule of each applies) mixing member tiers, category percentages,
  thresholds, tiers, every-X, coupons with codes, red packets, buy-x-get-y, fixed
  prices, gifts and shipping, some of them out of their window, channel or uses; once
  more with the shop layer stacking, so every matching shop rule applies;
- a large catalogue: 200 lines under 1,000 rules, the same 30 plus 970 promotions as
  a catalogue of 2,000 SKUs carries: SKU promotions in an ``item`` layer before the
  others (every matching one applies) and sub-category events in shop and platform.

Warm figures price the same cart again and again (the rule set's plan is built on the
first call and kept), best of five rounds (three in the grid). Cold figures are the
first call on a freshly loaded rule set, best of five rule sets, for hosts that load
rules per request; loading the rule set from plain data is shown beside them.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from benchmarks._timing import per_call_ns, print_table
from orderkit.discounts import DEFAULT_LAYERS, Cart, CartLine, Quote, RuleSet, price
from orderkit.money import Money

SEED = 1111
CURRENCY = "CNY"
AT = datetime(2026, 11, 11, 20, tzinfo=UTC)
DEPARTMENTS = ("tea", "coffee", "snacks", "kitchen", "beauty", "baby", "pets", "home")
SUBCATEGORIES = 8
CATALOGUE = 2000
CODES = frozenset({"SAVE20", "PCT8", "RP30", "PF5"})
ITEM_LAYER = {"name": "item", "policy": "stack"}
CONFLICTS = [["coupon", "coupon"], ["flash", "coupon"]]
LINES = (5, 20, 50, 200)
RULE_COUNTS = (10, 30, 100, 300, 1000)
CASES: tuple[tuple[int, int, str, float | None], ...] = (
    (20, 30, "best", 200.0),
    (200, 1000, "best", 50_000.0),
    (20, 30, "stack", None),
)

Sku = tuple[str, tuple[str, str], int]
RuleData = dict[str, Any]


def _yuan(units: int) -> str:
    return f"{units // 100}.{units % 100:02d}"


def _window(days_from: int, days_to: int) -> dict[str, str]:
    return {
        "starts_at": (AT + timedelta(days=days_from)).isoformat(),
        "ends_at": (AT + timedelta(days=days_to)).isoformat(),
    }


def _catalogue() -> list[Sku]:
    """SKUs with a department, a sub-category and a unit price in fen."""
    rng = random.Random(SEED)
    skus = []
    for n in range(CATALOGUE):
        department = rng.choice(DEPARTMENTS)
        sub = f"{department}/{rng.randrange(SUBCATEGORIES)}"
        skus.append((f"SKU-{n:04d}", (department, sub), rng.randrange(590, 80_000, 10)))
    return skus


def _cart(lines: int, catalogue: list[Sku]) -> Cart:
    """``lines`` distinct SKUs, a gold member on the app, four codes, a shipping fee."""
    rng = random.Random(SEED + lines)
    picked = rng.sample(catalogue, lines)
    return Cart(
        currency=CURRENCY,
        at=AT,
        lines=[
            CartLine(
                line_id=f"L{n:03d}",
                sku=sku,
                quantity=rng.choice((1, 1, 1, 2, 2, 3, 4)),
                unit_price=Money.from_minor(units, CURRENCY),
                categories=frozenset(categories),
            )
            for n, (sku, categories, units) in enumerate(picked)
        ],
        channel="app",
        customer_id="C-1",
        member_tier="gold",
        codes=CODES,
        shipping_fee=Money("12.00", CURRENCY),
        rule_uses={"shop-limited-50": 1000},
    )


def _core_rules(catalogue: list[Sku]) -> list[RuleData]:
    """The 30 rules of a shop during a sale, in three layers."""
    tea, coffee, snacks, kitchen = ({"categories": [d]} for d in DEPARTMENTS[:4])
    fixed_skus = {"skus": [sku for sku, _, _ in catalogue[:400:20]]}
    return [
        {"id": "member-tier", "kind": "member_tier", "layer": "member",
         "percent_off_by_tier": {"silver": "2", "gold": "5", "platinum": "8"}},
        {"id": "member-tea", "kind": "member_tier", "layer": "member", "target": tea,
         "percent_off_by_tier": {"gold": "10", "platinum": "12"}},
        {"id": "member-gold-coffee", "kind": "percentage", "layer": "member",
         "target": coffee, "member_tiers": ["gold"], "percent_off": "12"},
        {"id": "member-platinum", "kind": "percentage", "layer": "member",
         "member_tiers": ["platinum"], "percent_off": "15"},
        {"id": "shop-tea-10", "kind": "percentage", "layer": "shop", "target": tea,
         "percent_off": "10", "priority": 5},
        {"id": "shop-snacks-15", "kind": "percentage", "layer": "shop", "target": snacks,
         "percent_off": "15", **_window(-3, 1)},
        {"id": "shop-kitchen-20", "kind": "percentage", "layer": "shop", "target": kitchen,
         "percent_off": "20", **_window(-10, -1)},
        {"id": "shop-300-40", "kind": "threshold", "layer": "shop", "threshold": "300",
         "amount": "40", "tags": ["threshold"]},
        {"id": "shop-500-80", "kind": "threshold", "layer": "shop", "threshold": "500",
         "amount": "80", "target": coffee, "tags": ["threshold"]},
        {"id": "shop-tiered", "kind": "tiered", "layer": "shop", "tiers": [
            {"threshold": "200", "amount": "20"},
            {"threshold": "500", "amount": "60"},
            {"threshold": "1000", "amount": "150"}]},
        {"id": "shop-every-100", "kind": "every", "layer": "shop", "step": "100",
         "amount": "10", "max_times": 5, "base": "original"},
        {"id": "shop-coupon-20", "kind": "coupon", "layer": "shop", "code": "SAVE20",
         "amount": "20", "min_spend": "199", "tags": ["coupon"]},
        {"id": "shop-coupon-8pct", "kind": "coupon", "layer": "shop", "code": "PCT8",
         "percent_off": "8", "max_discount": "60", "tags": ["coupon"]},
        {"id": "shop-coupon-vip", "kind": "coupon", "layer": "shop", "code": "VIP50",
         "amount": "50", "tags": ["coupon"]},
        {"id": "shop-snacks-2+1", "kind": "buy_x_get_y", "layer": "shop", "target": snacks,
         "buy": 2, "get": 1},
        {"id": "shop-fixed-9.90", "kind": "fixed_price", "layer": "shop",
         "target": fixed_skus, "price": "9.90"},
        {"id": "shop-gift-mug", "kind": "gift", "layer": "shop", "gift_sku": "MUG",
         "gift_value": "29.00", "min_spend": "299"},
        {"id": "shop-gift-tea", "kind": "gift", "layer": "shop", "target": tea,
         "gift_sku": "TEA-SAMPLE", "min_quantity": 3},
        {"id": "shop-coffee-30", "kind": "amount_off", "layer": "shop", "target": coffee,
         "amount": "30", "min_spend": "150"},
        {"id": "shop-flash", "kind": "percentage", "layer": "shop", "percent_off": "30",
         "exclusive": True, "tags": ["flash"], **_window(1, 2)},
        {"id": "shop-mini-program", "kind": "percentage", "layer": "shop",
         "percent_off": "5", "channels": ["mini-program"]},
        {"id": "shop-limited-50", "kind": "amount_off", "layer": "shop", "amount": "50",
         "max_uses": 1000},
        {"id": "platform-rp-10", "kind": "red_packet", "layer": "platform", "amount": "10"},
        {"id": "platform-rp-30", "kind": "red_packet", "layer": "platform", "amount": "30",
         "code": "RP30", "min_spend": "300"},
        {"id": "platform-rp-88", "kind": "red_packet", "layer": "platform", "amount": "88",
         "code": "RP88"},
        {"id": "platform-free-ship", "kind": "shipping", "layer": "platform",
         "min_spend": "99"},
        {"id": "platform-ship-5", "kind": "shipping", "layer": "platform", "amount": "5"},
        {"id": "platform-coupon-5pct", "kind": "coupon", "layer": "platform", "code": "PF5",
         "percent_off": "5", "max_discount": "50", "tags": ["coupon"]},
        {"id": "platform-400-50", "kind": "threshold", "layer": "platform",
         "threshold": "400", "amount": "50", "base": "original"},
        {"id": "platform-every-200", "kind": "every", "layer": "platform", "step": "200",
         "amount": "15"},
    ]  # fmt: skip


def _sku_promotion(rng: random.Random, n: int, catalogue: list[Sku]) -> RuleData:
    """A promotion on one to four SKUs, as a merchant sets up per product."""
    picked = rng.sample(catalogue, rng.randint(1, 4))
    rule: RuleData = {
        "id": f"promo-{n:04d}",
        "layer": "item",
        "priority": rng.randrange(3),
        "target": {"skus": [sku for sku, _, _ in picked]},
    }
    roll = rng.random()
    if roll < 0.4:
        rule.update(kind="percentage", percent_off=str(rng.choice((5, 10, 15, 20, 30))))
    elif roll < 0.6:
        cheapest = min(units for _, _, units in picked)
        rule.update(kind="fixed_price", price=_yuan(cheapest * rng.randint(60, 90) // 100))
    elif roll < 0.75:
        rule.update(kind="buy_x_get_y", buy=rng.choice((1, 2)), get=1, percent_off="50")
    elif roll < 0.9:
        rule.update(kind="amount_off", amount=str(rng.choice((3, 5, 10, 20))))
    else:
        rule.update(kind="gift", gift_sku=f"GIFT-{n:04d}", gift_value="9.90")
    if rng.random() < 0.15:
        rule.update(_window(-20, -5) if rng.random() < 0.6 else _window(2, 9))
    return rule


def _category_promotion(rng: random.Random, n: int) -> RuleData:
    """A sub-category event: a threshold, every-X, tiers or a percentage."""
    sub = f"{rng.choice(DEPARTMENTS)}/{rng.randrange(SUBCATEGORIES)}"
    rule: RuleData = {
        "id": f"event-{n:04d}",
        "layer": rng.choice(("shop", "platform", "platform")),
        "target": {"categories": [sub]},
    }
    roll = rng.random()
    if roll < 0.3:
        rule.update(kind="threshold", threshold=str(rng.choice((99, 199, 299))), amount="15")
    elif roll < 0.5:
        rule.update(kind="every", step="150", amount="12", max_times=3)
    elif roll < 0.7:
        rule.update(
            kind="tiered",
            tiers=[{"threshold": "100", "amount": "8"}, {"threshold": "300", "amount": "30"}],
        )
    else:
        rule.update(kind="percentage", percent_off=str(rng.choice((3, 5, 8))), min_spend="50")
    if rng.random() < 0.3:
        rule.update(_window(-30, -1) if rng.random() < 0.5 else _window(1, 30))
    return rule


def _rule_data(count: int, catalogue: list[Sku], shop: str = "best") -> RuleData:
    """The first ``count`` rules: the 30 core ones, then SKU (85 %) and category events.

    ``shop`` is the shop layer's policy; the item layer is there once promotions are.
    """
    rng = random.Random(SEED * 7)
    rules = _core_rules(catalogue)[:count]
    promotions = count - len(rules)
    for n in range(promotions):
        if rng.random() < 0.85:
            rules.append(_sku_promotion(rng, n, catalogue))
        else:
            rules.append(_category_promotion(rng, n))
    layers = [
        {"name": layer.name, "policy": shop if layer.name == "shop" else layer.policy}
        for layer in DEFAULT_LAYERS
    ]
    tags = {tag for rule in rules for tag in rule.get("tags", ())}
    return {
        "currency": CURRENCY,
        "version": f"bench-{count}",
        "layers": [ITEM_LAYER, *layers] if promotions else layers,
        "rules": rules,
        "conflicts": [pair for pair in CONFLICTS if set(pair) <= tags],
    }


def _us(fn: Callable[[], object], repeat: int = 5) -> float:
    return per_call_ns(fn, repeat) / 1000


def _price_and_log(cart: Cart, rules: RuleSet) -> int:
    """Price and read the audit log, which is built when first read."""
    return len(price(cart, rules).log.entries)


def _cold_us(data: RuleData, cart: Cart, rounds: int = 5) -> tuple[float, float]:
    """Best microseconds to load the rule set, and to price once on a fresh one."""
    loads, firsts = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        rules = RuleSet.load(data)
        loaded = time.perf_counter()
        price(cart, rules)
        loads.append(loaded - start)
        firsts.append(time.perf_counter() - loaded)
    return min(loads) * 1e6, min(firsts) * 1e6


def _work(quote: Quote) -> list[str]:
    """What the engine did in one quote, read back from the quote and its audit log."""
    status = Counter(entry.status for entry in quote.log)
    misses = Counter(entry.reason for entry in quote.log if entry.status == "not_matched")
    window = misses["not_started"] + misses["ended"]
    return [
        str(len(quote.log)),
        str(sum(1 for entry in quote.log if entry.proposed is not None)),
        str(status["applied"]),
        str(sum(len(line.discounts) for line in quote.lines)),
        str(status["dropped"]),
        str(status["not_matched"]),
        str(misses["no_lines"]),
        str(window),
        str(status["not_matched"] - misses["no_lines"] - window),
        f"{sum(1 for line in quote.lines if line.discounts)} of {len(quote.lines)}",
        str(len(quote.gifts)),
        f"{quote.discount.amount} of {quote.subtotal.amount}",
    ]


WORK = (
    "rules considered (audit entries)",
    "matched: proposed an amount",
    "applied",
    "discounts applied to lines",
    "dropped: not best, conflict, exclusive",
    "not matched",
    "  no line targeted",
    "  outside the date window",
    "  tier, channel, code, uses or spend",
    "lines discounted",
    "gifts",
    "discount",
)


def _bars(catalogue: list[Sku]) -> list[Quote]:
    """Print the cases against their bars; return one quote of each barred case."""
    rows = []
    quotes = []
    for lines, count, shop, bar in CASES:
        data = _rule_data(count, catalogue, shop)
        cart = _cart(lines, catalogue)
        load_us, cold_us = _cold_us(data, cart)
        rules = RuleSet.load(data)
        if bar is not None:
            quotes.append(price(cart, rules))
        warm = _us(partial(price, cart, rules))
        logged = _us(partial(_price_and_log, cart, rules))
        verdict = "" if bar is None else "PASS" if warm <= bar else "FAIL"
        rows.append(
            [
                f"{lines} lines x {count:,} rules" + (", shop stacking" if shop == "stack" else ""),
                f"{warm:,.1f}",
                f"{1e6 / warm:,.0f}",
                f"{logged:,.1f}",
                f"{cold_us:,.1f}",
                f"{load_us:,.0f}",
                "" if bar is None else f"<= {bar:,.0f}",
                verdict,
            ]
        )
    print_table(
        "Discount pricing, one core: us per quote (warm: plan cached; with log: the audit "
        "log read too; cold: first call on a freshly loaded rule set; load: RuleSet.load "
        "from dicts)",
        ["case", "us/quote", "quotes/s", "with log us", "cold us", "load us", "bar us", ""],
        rows,
    )
    return quotes


def _grid(catalogue: list[Sku]) -> None:
    """Print warm microseconds per quote over lines x rules."""
    rule_sets = {count: RuleSet.load(_rule_data(count, catalogue)) for count in RULE_COUNTS}
    rows = []
    for lines in LINES:
        cart = _cart(lines, catalogue)
        cells = [_us(partial(price, cart, rules), repeat=3) for rules in rule_sets.values()]
        rows.append([f"{lines} lines", *(f"{us:,.0f}" for us in cells)])
    print_table(
        "How cost grows: warm us per quote, lines x rules",
        ["", *(f"{count:,} rules" for count in RULE_COUNTS)],
        rows,
    )


def main() -> None:
    """Print the bars, the work behind them and the growth grid."""
    catalogue = _catalogue()
    quotes = _bars(catalogue)
    print(
        "For context, public figures from other stacks and hardware (not like for like): "
        "Saleor's checkout\nslowed by 0.2 s with 100 order rules, 0.426 s -> 0.638 s "
        "(saleor/saleor#14696); Vendure took 5 s\nfor a 200-line order "
        "(vendurehq/vendure#226)."
    )
    columns = [_work(quote) for quote in quotes]
    print_table(
        "Work done in one quote of each case, read back from the quote",
        ["", *(f"{len(q.lines)} x {len(q.log):,}" for q in quotes)],
        [[label, *cells] for label, *cells in zip(WORK, *columns, strict=True)],
    )
    _grid(catalogue)


if __name__ == "__main__":
    main()
