"""Order health scoring with the 17-dimension default card (MISSION H1): orders per second.

The bar: at least 100,000 orders/s on one core, streaming with ``score_many`` over the
orders that have all 17 signals. Run ``python -m benchmarks.health_score``. The orders
are 10,000 seeded random ones in three shapes: made-to-order with all 17 signals (due
datetimes for payment and purchase orders), stocked e-commerce with 7 (the rest
renormalised away), and made-to-order with the payment over 3 days late (the cap
applies). Rows:

- ``score_many``, all 17 signals: the stream over the made-to-order orders alone (the bar);
- ``score_many``, mixed: the stream over all three shapes;
- ``score`` per order: a Python loop calling ``score``;
- ``score`` + contributions: the same, reading each report's 17 contributions too;
- floor: the weighted sum alone over 17 pre-normalised floats, no normalising, caps,
  bands or report: what a bare loop costs.

Printed: microseconds per order (best of five rounds), orders per second, the ratio to
the floor, and the compile cost of a freshly loaded card.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from benchmarks._timing import per_call_ns, print_table
from orderkit.health._default_card import DEFAULT_SCORECARD
from orderkit.health._score import score, score_many
from orderkit.health._scorecard import Scorecard, SignalValue

NOW = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
ORDERS = 10_000
BAR = 100_000
"""Orders per second on one core (MISSION H1 benchmark bar)."""

Signals = dict[str, SignalValue | None]

ECOMMERCE = (
    "payment_timeliness",
    "stock_coverage",
    "ship_by_slack",
    "carrier_delay",
    "address_valid",
    "cross_check_clean",
    "customer_response_latency",
)


def _made_to_order(rng: random.Random, overdue_hours: float) -> Signals:
    return {
        "payment_timeliness": NOW - timedelta(hours=overdue_hours),
        "drawing_confirmation": rng.random(),
        "supplier_kitting_rate": rng.uniform(0.5, 1),
        "schedule_conflicts": rng.randrange(5),
        "stock_coverage": rng.uniform(0.4, 1),
        "ship_by_slack": rng.uniform(-6, 48),
        "production_progress": rng.uniform(0.6, 1.1),
        "qc_pass_rate": rng.uniform(0.85, 1),
        "supplier_po_lateness": NOW - timedelta(hours=rng.uniform(-48, 150)),
        "carrier_delay": rng.uniform(-2, 60),
        "cross_check_clean": rng.random() < 0.95,
        "address_valid": rng.random() < 0.97,
        "customer_response_latency": rng.uniform(0, 100),
        "credit_utilisation": rng.uniform(0.3, 1.2),
        "approval_wait": rng.uniform(0, 30),
        "change_requests": rng.randrange(5),
        "warehouse_load": rng.uniform(0.5, 1.3),
    }


def _orders(count: int = ORDERS) -> list[tuple[str, Signals]]:
    """``count`` seeded orders: 45 % made-to-order, 45 % e-commerce, 10 % overdue."""
    rng = random.Random(20261111)
    orders = []
    for n in range(count):
        roll = rng.random()
        full = _made_to_order(rng, rng.uniform(80, 200) if roll < 0.1 else rng.uniform(-72, 72))
        signals = full if roll < 0.55 else {name: full[name] for name in ECOMMERCE}
        orders.append((f"SO-{n}", signals))
    return orders


def _per_order_us(run: Callable[[], object], count: int) -> float:
    return per_call_ns(run) / count / 1000


def _compile_us(card: Scorecard) -> float:
    data = card.model_dump()
    return per_call_ns(lambda: Scorecard.load(data).compiled, repeat=3) / 1000


def main() -> None:
    """Print the table and whether scoring meets the bar."""
    card = DEFAULT_SCORECARD
    orders = _orders()
    shares = tuple(card.weights.values())
    unit = [(key, tuple(random.Random(key).random() for _ in shares)) for key, _ in orders]
    reports = list(score_many(orders, card, NOW))
    capped = sum(1 for _, report in reports if report.caps)
    assert len(reports) == ORDERS
    assert capped > 0

    complete = [(key, signals) for key, signals in orders if len(signals) == len(shares)]

    def stream_complete() -> None:
        deque(score_many(complete, card, NOW), maxlen=0)

    def stream() -> None:
        deque(score_many(orders, card, NOW), maxlen=0)

    def each() -> None:
        for _, signals in orders:
            score(signals, card, NOW)

    def each_explained() -> int:
        rows = 0
        for _, signals in orders:
            rows += len(score(signals, card, NOW).contributions)
        return rows

    def floor() -> None:
        for _, values in unit:
            100.0 * sum(share * value for share, value in zip(shares, values, strict=True))

    barred = "score_many, all 17 signals"
    runs = {
        barred: (stream_complete, len(complete)),
        "score_many, mixed": (stream, ORDERS),
        "score per order, mixed": (each, ORDERS),
        "score + contributions, mixed": (each_explained, ORDERS),
        "floor: bare weighted sum": (floor, ORDERS),
    }
    micros = {name: _per_order_us(run, count) for name, (run, count) in runs.items()}
    base = micros["floor: bare weighted sum"]
    streamed = 1e6 / micros[barred]
    verdict = "PASS" if streamed >= BAR else "FAIL"
    print_table(
        f"Health score, default card ({len(card.dimensions)} dimensions), {ORDERS:,} orders "
        f"({len(complete):,} with all 17 signals, {capped:,} capped), one core: "
        "us per order; ratio = row / floor",
        ["implementation", "us/order", "orders/s", "ratio", "bar", ""],
        [
            [
                name,
                f"{us:,.2f}",
                f"{1e6 / us:,.0f}",
                f"{us / base:.1f}x",
                f">= {BAR:,}/s" if name == barred else "",
                verdict if name == barred else "",
            ]
            for name, us in micros.items()
        ],
    )
    print(f"compiling a freshly loaded card: {_compile_us(card):,.0f} us (once per card)")
    print(f"{verdict}: {streamed:,.0f} orders/s, {barred}; bar {BAR:,}/s")


if __name__ == "__main__":
    main()
