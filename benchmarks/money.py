"""Money arithmetic and exact splitting, side by side with the peers.

Peers: bare ``decimal.Decimal`` (the floor: no currency, no checks), ``prices``
(mirumee, used by Saleor) and ``py-moneyed`` (used by django-money). Times are
nanoseconds per operation, best of five rounds; ratios are orderkit / peer (lower is
better for orderkit).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

import moneyed
import prices

from benchmarks._timing import per_call_ns, print_table
from orderkit.money import Money, allocate

CENT = Decimal("0.01")

Case = dict[str, Callable[[], object]]


def _cases() -> dict[str, Case]:
    d1, d2 = Decimal("19.99"), Decimal("5.01")
    o1, o2 = Money("19.99", "CNY"), Money("5.01", "CNY")
    p1, p2 = prices.Money("19.99", "CNY"), prices.Money("5.01", "CNY")
    m1, m2 = moneyed.Money("19.99", "CNY"), moneyed.Money("5.01", "CNY")
    return {
        "construct from str": {
            "Decimal": lambda: Decimal("19.99"),
            "orderkit": lambda: Money("19.99", "CNY"),
            "prices": lambda: prices.Money("19.99", "CNY"),
            "py-moneyed": lambda: moneyed.Money("19.99", "CNY"),
        },
        "add": {
            "Decimal": lambda: d1 + d2,
            "orderkit": lambda: o1 + o2,
            "prices": lambda: p1 + p2,
            "py-moneyed": lambda: m1 + m2,
        },
        "line total (price*3 - disc, round)": {
            "Decimal": lambda: (d1 * 3 - d2).quantize(CENT, ROUND_HALF_UP),
            "orderkit": lambda: (o1 * 3 - o2).round(),
            "prices": lambda: (p1 * 3 - p2).quantize(rounding=ROUND_HALF_UP),
            "py-moneyed": lambda: (m1 * 3 - m2).round(2),
        },
        "compare": {
            "Decimal": lambda: d1 < d2,
            "orderkit": lambda: o1 < o2,
            "prices": lambda: p1 < p2,
            "py-moneyed": lambda: m1 < m2,
        },
    }


def _naive_split(total: Decimal, weights: list[int]) -> list[Decimal]:
    whole = sum(weights)
    return [(total * w / whole).quantize(CENT, ROUND_HALF_UP) for w in weights]


def _split_report() -> list[list[str]]:
    """How often rounding each share on its own loses or invents a cent, vs allocate."""
    trials, naive_off = 0, 0
    for cents in range(1, 2001):
        total = Decimal(cents) / 100
        for weights in ([1, 1, 1], [1, 2, 3, 4, 5], [7, 3], [1, 1, 1, 1, 1, 1]):
            trials += 1
            naive_off += sum(_naive_split(total, weights)) != total
            parts = allocate(Money(total, "CNY"), weights, keys=list(range(len(weights))))
            assert sum(p.amount for p in parts) == total
    weights5 = [1, 2, 3, 4, 5]
    keys5 = list(range(5))
    ten = Money("10.00", "CNY")
    naive_ns = per_call_ns(lambda: _naive_split(Decimal("10.00"), weights5))
    exact_ns = per_call_ns(lambda: allocate(ten, weights5, keys=keys5))
    return [
        ["round each share (Decimal)", f"{naive_ns:,.0f}", f"{naive_off}/{trials}"],
        ["orderkit allocate", f"{exact_ns:,.0f}", f"0/{trials}"],
        ["ratio allocate / naive", f"{exact_ns / naive_ns:.1f}x", ""],
    ]


def main() -> None:
    """Print both tables."""
    peers = ["Decimal", "orderkit", "prices", "py-moneyed"]
    rows = []
    for name, case in _cases().items():
        ns = {peer: per_call_ns(fn) for peer, fn in case.items()}
        rows.append(
            [
                name,
                *(f"{ns[p]:,.0f}" for p in peers),
                f"{ns['orderkit'] / ns['Decimal']:.1f}x",
                f"{ns['orderkit'] / ns['prices']:.2f}x",
                f"{ns['orderkit'] / ns['py-moneyed']:.2f}x",
            ]
        )
    print_table(
        "Money operations, ns per op (ratio columns: orderkit / peer, lower is better)",
        ["operation", *peers, "vs Decimal", "vs prices", "vs moneyed"],
        rows,
    )
    print_table(
        "Splitting a total over 5 weighted lines: ns per split, and how many of the "
        "8,000 splits do not add up to the total",
        ["method", "ns/split", "sum != total"],
        _split_report(),
    )


if __name__ == "__main__":
    main()
