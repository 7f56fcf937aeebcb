"""The demo's health chapter: score the demo orders, then watch one alert on a fake clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TextIO

from orderkit.health import (
    DEFAULT_SCORECARD,
    AlertRule,
    AlertState,
    AlertStep,
    HealthReport,
    SignalValue,
    evaluate,
    score,
    timeline,
)
from orderkit.order import Order
from orderkit.testing import FakeClock

__all__ = ["score_orders", "watch_alert"]

# (stock coverage, hours the carrier is behind) at each hourly evaluation: a short pick
# and a late carrier, a restock that helps a little, then both recover.
_HOURS: tuple[tuple[float, float], ...] = (
    (1.0, 0),
    (0.6, 20),
    (0.5, 26),
    (0.5, 30),
    (0.5, 34),
    (0.5, 14),
    (0.9, 2),
)


def _signals(order: Order, coverage: float, carrier_hours: float) -> dict[str, SignalValue]:
    """What the demo knows about an order: paid or not, its address, stock and carrier."""
    return {
        "payment_timeliness": 0.0 if not order.balance_due.amount else 24.0,
        "address_valid": order.shipping_address is not None,
        "stock_coverage": coverage,
        "carrier_delay": carrier_hours,
    }


def score_orders(out: TextIO, orders: Sequence[Order], now: datetime) -> list[HealthReport]:
    """Score each order on the default 17-dimension card and print its explanation."""
    reports = []
    for order in orders:
        report = score(_signals(order, 1.0, 0), DEFAULT_SCORECARD, now)
        print(f"\n  {order.order_id}: {report.score:g} ({report.band})", file=out)
        for part in report.contributions:
            if part.raw is not None:
                print(
                    f"    {part.dimension:<20}{part.raw!s:>6}  x {part.weight:.3f}"
                    f"  = {part.points:6.2f} points",
                    file=out,
                )
        print(f"    {len(report.missing)} dimensions without a signal: renormalised", file=out)
        reports.append(report)
    return reports


def watch_alert(out: TextIO, order: Order, clock: FakeClock) -> list[AlertStep]:
    """Score ``order`` hourly as its stock and carrier slip and recover; evaluate H1's alert."""
    rule, state, steps = AlertRule(), AlertState.initial(), []
    for coverage, carrier_hours in _HOURS:
        report = score(_signals(order, coverage, carrier_hours), DEFAULT_SCORECARD, clock.now())
        step = evaluate(rule, state, round(report.score, 1), clock.now())
        steps.append(step)
        state = step.state
        clock.advance(timedelta(hours=1))
    print(f"\n  {order.order_id}, scored every hour on a fake clock", file=out)
    for line in timeline(steps).splitlines():
        print(f"    {line}", file=out)
    for step in steps:
        print(f"    {step.at:%H:%M} {step.transition.value:>8}: {step.reason}", file=out)
    return steps
