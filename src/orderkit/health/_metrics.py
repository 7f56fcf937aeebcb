"""Fulfilment metrics: timeliness deviation (MISSION H3) and processing time (H5).

:func:`timeliness` is the share of orders shipped more than a tolerance (2 h by
default) after their promised ship time, with the late orders listed.
:func:`processing_times` summarises how long orders took from creation to shipment
(count, mean, nearest-rank P50/P90/P99, histogram); :func:`fulfilment_dashboard` puts
it next to the state-jump anomaly rate of :func:`orderkit.lifecycle.anomaly_rate`.

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from itertools import pairwise
from typing import NamedTuple, TypeVar

import attrs
from pydantic import Field, field_validator

from orderkit.clock import require_aware
from orderkit.errors import InvalidMetricInput
from orderkit.lifecycle import AnomalyRate, Replay, TransitionRecord, anomaly_rate
from orderkit.lifecycle.policies._models import Duration, PolicyConfig, PositiveDuration

__all__ = [
    "Bucket",
    "FulfilmentDashboard",
    "FulfilmentPolicy",
    "LateOrder",
    "ProcessingTimes",
    "TimelinessReport",
    "fulfilment_dashboard",
    "processing_times",
    "timeliness",
]

_T = TypeVar("_T")


class FulfilmentPolicy(PolicyConfig):
    """How fulfilment is measured; the defaults are the seed's (H3) or documented choices.

    ``tolerance``: an order is late when it ships *more* than this after its promise (H3:
    2 h). ``buckets``: the upper bounds of the processing-time histogram, increasing.

    >>> FulfilmentPolicy.from_dict({"tolerance": "PT30M"}).tolerance
    datetime.timedelta(seconds=1800)
    """

    tolerance: Duration = timedelta(hours=2)
    buckets: tuple[PositiveDuration, ...] = Field(
        default=tuple(timedelta(hours=h) for h in (2, 4, 8, 12, 24, 48, 72)), min_length=1
    )

    @field_validator("buckets")
    @classmethod
    def _increasing(cls, bounds: tuple[timedelta, ...]) -> tuple[timedelta, ...]:
        if any(a >= b for a, b in pairwise(bounds)):
            raise ValueError("bucket bounds must be strictly increasing")
        return bounds


_DEFAULT_POLICY = FulfilmentPolicy()


def span(delta: timedelta) -> str:
    """A duration as ``1d4h``, ``2h30m``, ``45s`` or ``0s`` (negative with a leading ``-``)."""
    if delta < timedelta(0):
        return "-" + span(-delta)
    seconds = round(delta.total_seconds())
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3_600)
    minutes, seconds = divmod(seconds, 60)
    units = zip((days, hours, minutes, seconds), "dhms", strict=True)
    return "".join(f"{n}{unit}" for n, unit in units if n) or "0s"


def overdue(
    due: datetime, done: datetime | None, now: datetime | None, tolerance: timedelta
) -> bool | None:
    """Whether something due at ``due`` is late by more than ``tolerance``.

    Done: late when ``done - due > tolerance``. Not done: late when ``now - due >
    tolerance``, else ``None`` (still pending, not judged yet).
    """
    if done is not None:
        return require_aware(done, "done") - require_aware(due, "due") > tolerance
    if now is None:
        raise InvalidMetricInput(
            f"an item due {due.isoformat()} is not done yet: pass now= to judge it"
        )
    late = require_aware(now, "now") - require_aware(due, "due") > tolerance
    return True if late else None


def nearest_rank(ordered: Sequence[_T], quantile: Decimal) -> _T:
    """The nearest-rank quantile of sorted values: the ``ceil(q × n)``-th smallest (1-based).

    It is always one of the values, never an interpolation.

    >>> nearest_rank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], Decimal("0.9"))
    9
    """
    rank = int((quantile * len(ordered)).to_integral_value(ROUND_CEILING))
    return ordered[max(rank, 1) - 1]


class LateOrder(NamedTuple):
    """An order shipped (or still unshipped) more than the tolerance after its promise."""

    order_id: str
    promised_at: datetime
    shipped_at: datetime | None
    """``None``: not shipped at ``now``."""
    delay: timedelta
    """``shipped_at`` (or ``now``) minus ``promised_at``."""


@attrs.frozen
class TimelinessReport:
    """The timeliness deviation rate (H3) and the late orders behind it.

    ``judged`` counts the orders that can be judged: shipped ones, and unshipped ones
    already late. Unshipped orders not yet late are ``pending`` and left out of the rate.
    """

    judged: int
    late: tuple[LateOrder, ...]
    pending: int
    tolerance: timedelta

    @property
    def rate(self) -> float:
        """Late orders over judged orders, in [0, 1] (0.0 when none can be judged)."""
        return len(self.late) / self.judged if self.judged else 0.0

    def __str__(self) -> str:
        return (
            f"{len(self.late)} of {self.judged} orders late ({self.rate:.1%}): shipped more "
            f"than {span(self.tolerance)} after the promise; {self.pending} pending"
        )


def timeliness(
    orders: Iterable[tuple[str, datetime, datetime | None]],
    *,
    now: datetime,
    policy: FulfilmentPolicy = _DEFAULT_POLICY,
) -> TimelinessReport:
    """The timeliness deviation rate over ``(order_id, promised_at, shipped_at)`` (MISSION H3).

    An order is late when it shipped more than ``policy.tolerance`` after its promised
    ship time (exactly the tolerance is on time). An unshipped order (``shipped_at`` is
    ``None``) is late once ``now`` is more than the tolerance past its promise, else
    pending. Late orders are listed in input order.

    >>> from datetime import UTC
    >>> due = datetime(2026, 11, 11, 12, tzinfo=UTC)
    >>> report = timeliness([("SO-1", due, due + timedelta(hours=3)),
    ...                      ("SO-2", due, due + timedelta(hours=2)),
    ...                      ("SO-3", due, None)], now=due + timedelta(hours=1))
    >>> print(report)
    1 of 2 orders late (50.0%): shipped more than 2h after the promise; 1 pending
    """
    at = require_aware(now, "now")
    judged = pending = 0
    late: list[LateOrder] = []
    for order_id, promised_at, shipped_at in orders:
        promised = require_aware(promised_at, "promised_at")
        shipped = None if shipped_at is None else require_aware(shipped_at, "shipped_at")
        verdict = overdue(promised, shipped, at, policy.tolerance)
        if verdict is None:
            pending += 1
            continue
        judged += 1
        if verdict:
            late.append(LateOrder(order_id, promised, shipped, (shipped or at) - promised))
    return TimelinessReport(judged, tuple(late), pending, policy.tolerance)


class Bucket(NamedTuple):
    """One histogram bar: durations above the previous bound up to ``upper`` (included)."""

    upper: timedelta | None
    """``None``: the overflow bar, above the last bound."""
    orders: int


_P50, _P90, _P99 = Decimal("0.5"), Decimal("0.9"), Decimal("0.99")


@attrs.frozen
class ProcessingTimes:
    """The distribution of creation-to-shipment times (H5); statistics are ``None`` when empty.

    Percentiles are nearest-rank (see :func:`processing_times`).
    """

    count: int
    mean: timedelta | None
    p50: timedelta | None
    p90: timedelta | None
    p99: timedelta | None
    longest: timedelta | None
    buckets: tuple[Bucket, ...]

    def __str__(self) -> str:
        if not self.count:
            return "0 orders"
        stats = ", ".join(
            f"{name} {span(value)}"
            for name, value in zip(
                ("mean", "P50", "P90", "P99", "max"),
                (self.mean, self.p50, self.p90, self.p99, self.longest),
                strict=True,
            )
            if value is not None
        )
        return f"{self.count} orders: {stats}"


def processing_times(
    pairs: Iterable[tuple[datetime, datetime]], *, policy: FulfilmentPolicy = _DEFAULT_POLICY
) -> ProcessingTimes:
    """Summarise ``(created_at, shipped_at)`` pairs (MISSION H5).

    Percentiles use the nearest-rank method: P90 is the ``ceil(0.9 × n)``-th shortest
    time, always an observed one. Histogram bars hold the times in ``(previous bound,
    bound]``, the last bar those above the last bound. The pairs are held in memory to be
    sorted. A shipment before its creation raises :class:`~orderkit.errors.InvalidMetricInput`.

    >>> from datetime import UTC
    >>> t0 = datetime(2026, 11, 11, tzinfo=UTC)
    >>> print(processing_times([(t0, t0 + timedelta(hours=h)) for h in (1, 3, 5, 30)]))
    4 orders: mean 9h45m, P50 3h, P90 1d6h, P99 1d6h, max 1d6h
    """
    times: list[timedelta] = []
    for i, (created_at, shipped_at) in enumerate(pairs):
        took = require_aware(shipped_at, "shipped_at") - require_aware(created_at, "created_at")
        if took < timedelta(0):
            raise InvalidMetricInput(
                f"pair {i}: shipped at {shipped_at.isoformat()}, before its creation at "
                f"{created_at.isoformat()}"
            )
        times.append(took)
    times.sort()
    counts = [0] * (len(policy.buckets) + 1)
    bar = 0
    for took in times:
        while bar < len(policy.buckets) and took > policy.buckets[bar]:
            bar += 1
        counts[bar] += 1
    buckets = tuple(Bucket(u, n) for u, n in zip((*policy.buckets, None), counts, strict=True))
    if not times:
        return ProcessingTimes(0, None, None, None, None, None, buckets)
    mean = sum(times, timedelta(0)) / len(times)
    p50, p90, p99 = (nearest_rank(times, q) for q in (_P50, _P90, _P99))
    return ProcessingTimes(len(times), mean, p50, p90, p99, times[-1], buckets)


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _label(seconds: float) -> str:
    return str(int(seconds)) if seconds.is_integer() else str(seconds)


@attrs.frozen
class FulfilmentDashboard:
    """Processing times and the state-jump anomaly rate side by side (MISSION H5)."""

    processing: ProcessingTimes
    anomalies: AnomalyRate

    def as_dict(self) -> dict[str, float | int | None]:
        """Flat figures for a dashboard or a metrics exporter; durations in seconds.

        Histogram bars are ``le_<seconds>`` (and ``le_inf``), counted per bar, not
        cumulatively.
        """
        p = self.processing
        figures: dict[str, float | int | None] = {
            "orders": p.count,
            "mean_seconds": _seconds(p.mean),
            "p50_seconds": _seconds(p.p50),
            "p90_seconds": _seconds(p.p90),
            "p99_seconds": _seconds(p.p99),
            "max_seconds": _seconds(p.longest),
            "records": self.anomalies.records,
            "anomalous_records": self.anomalies.anomalous,
            "anomaly_rate": self.anomalies.rate,
        }
        for bucket in p.buckets:
            upper = "inf" if bucket.upper is None else _label(bucket.upper.total_seconds())
            figures[f"le_{upper}"] = bucket.orders
        return figures

    def __str__(self) -> str:
        a = self.anomalies
        return (
            f"processing: {self.processing}\n"
            f"state-jump anomalies: {a.anomalous} of {a.records} records ({a.rate:.1%})"
        )


def fulfilment_dashboard(
    pairs: Iterable[tuple[datetime, datetime]],
    replays: Iterable[tuple[Sequence[TransitionRecord], Replay]],
    *,
    policy: FulfilmentPolicy = _DEFAULT_POLICY,
) -> FulfilmentDashboard:
    """:func:`processing_times` of ``pairs`` and :func:`~orderkit.lifecycle.anomaly_rate` of
    ``replays`` (``(records, workflow.replay(records))`` pairs) in one value (MISSION H5)."""
    return FulfilmentDashboard(processing_times(pairs, policy=policy), anomaly_rate(replays))
