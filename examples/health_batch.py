"""Score a batch of made-to-order orders on the default card and explain the worst (H1).

Run it with ``python examples/health_batch.py``; ``main()`` returns the reports by
order id, best first, so a notebook can keep working with them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from orderkit.health import DEFAULT_SCORECARD, HealthReport, SignalValue, score_many

NOW = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)


def signals() -> Iterator[tuple[str, dict[str, SignalValue]]]:
    """What the host knows about each open order: a row of its own tables, as signals."""
    yield (
        "SO-1001",
        {
            "payment_timeliness": NOW + timedelta(days=2),
            "drawing_confirmation": 1.0,
            "supplier_kitting_rate": 1.0,
            "schedule_conflicts": 0,
            "stock_coverage": 1.0,
            "ship_by_slack": 30,
            "address_valid": True,
            "cross_check_clean": True,
        },
    )
    yield (
        "SO-1002",
        {
            "payment_timeliness": NOW - timedelta(hours=20),
            "drawing_confirmation": 0.5,
            "supplier_kitting_rate": 0.85,
            "schedule_conflicts": 1,
            "ship_by_slack": 10,
            "address_valid": True,
        },
    )
    yield (
        "SO-1003",
        {
            "payment_timeliness": NOW - timedelta(hours=96),
            "drawing_confirmation": 1.0,
            "supplier_kitting_rate": 0.95,
            "stock_coverage": 1.0,
            "address_valid": True,
            "cross_check_clean": True,
        },
    )
    yield (
        "SO-1004",
        {
            "drawing_confirmation": 0.25,
            "supplier_kitting_rate": 0.7,
            "schedule_conflicts": 3,
            "production_progress": 0.75,
            "customer_response_latency": 60,
            "change_requests": 2,
            "warehouse_load": 1.1,
        },
    )
    yield (
        "SO-1005",
        {
            "payment_timeliness": 0,
            "stock_coverage": 0.8,
            "carrier_delay": 6,
            "address_valid": False,
            "cross_check_clean": True,
        },
    )


def main() -> dict[str, HealthReport]:
    """Score the batch, print the ranking and the explanation of the worst order."""
    reports = dict(score_many(signals(), DEFAULT_SCORECARD, NOW))
    ranked = sorted(reports.items(), key=lambda item: (-item[1].score, item[0]))
    print(f"{'order':<8}{'score':>7}  {'band':<9}{'missing':>8}  caps")
    for order_id, report in ranked:
        caps = "; ".join(cap.reason for cap in report.caps) or "-"
        print(
            f"{order_id:<8}{report.score:>7.1f}  {report.band:<9}{len(report.missing):>8}  {caps}"
        )
    worst_id, worst = ranked[-1]
    print(f"\nwhy {worst_id} scores {worst.score:.1f}:")
    print(worst.explain())
    return dict(ranked)


if __name__ == "__main__":
    main()
