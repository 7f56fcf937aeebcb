"""Shared timing and table printing for the benchmark scripts."""

from __future__ import annotations

import timeit
from collections.abc import Callable, Sequence

__all__ = ["per_call_ns", "print_table"]


def per_call_ns(fn: Callable[[], object], repeat: int = 5) -> float:
    """Best-of-``repeat`` nanoseconds per call, each round run for about 0.2 s."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e9


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print a plain-text table with right-aligned columns after the first."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    for row in [header, ["-" * w for w in widths], *rows]:
        cells = [
            str(c).ljust(widths[0]) if i == 0 else str(c).rjust(widths[i])
            for i, c in enumerate(row)
        ]
        print("  ".join(cells))
