"""Notebook-style: split an order-level discount over lines, exactly (MISSION D2).

Rounding each line's share on its own loses or invents cents; ``allocate_capped``
never does, and never gives a line more discount than its own amount.

Run it: ``python examples/split_discount.py``.
"""

from __future__ import annotations

from orderkit.money import Money, allocate_capped


def main() -> dict[str, Money]:
    """Split CNY 20.00 off three lines worth 99.00, 0.50 and 33.33."""
    lines = {
        "tea": Money("99.00", "CNY"),
        "sticker": Money("0.50", "CNY"),
        "cup": Money("33.33", "CNY"),
    }
    shares = allocate_capped(Money("20.00", "CNY"), lines, lines)
    assert sum(shares.values(), Money.zero("CNY")) == Money("20.00", "CNY")
    return shares


if __name__ == "__main__":
    for key, share in main().items():
        print(f"{key:<8} {share}")
