"""Fulfilment metrics: timeliness deviation (MISSION H3) and processing time (H5).

Worked examples with the seed's figures (23.7 % → 1.8 % of orders shipped more than
2 h late), the edges of the definitions, and properties checked against a direct
reading of the definitions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit.errors import ConfigError, HealthError, InvalidMetricInput, NaiveDatetime
from orderkit.health._metrics import (
    Bucket,
    FulfilmentPolicy,
    LateOrder,
    fulfilment_dashboard,
    nearest_rank,
    processing_times,
    span,
    timeliness,
)
from orderkit.lifecycle import ORDER_FLOW, OrderEvent, anomaly_rate

T0 = datetime(2026, 11, 11, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def seed_orders(late: int, total: int = 1000) -> list[tuple[str, datetime, datetime | None]]:
    """``total`` orders promised at T0, ``late`` of them shipped 3 h after, the rest 1 h after."""
    return [(f"SO-{i:04d}", T0, T0 + (3 if i < late else 1) * HOUR) for i in range(total)]


# H3: timeliness deviation rate


@pytest.mark.parametrize(("late", "rate", "shown"), [(237, 0.237, "23.7%"), (18, 0.018, "1.8%")])
def test_h3_seed_figures_before_and_after(late: int, rate: float, shown: str) -> None:
    report = timeliness(seed_orders(late), now=T0 + 24 * HOUR)
    assert report.judged == 1000
    assert len(report.late) == late
    assert report.rate == pytest.approx(rate)
    assert str(report) == (
        f"{late} of 1000 orders late ({shown}): shipped more than 2h after the promise; 0 pending"
    )
    assert report.late[0] == LateOrder("SO-0000", T0, T0 + 3 * HOUR, 3 * HOUR)


def test_h3_exactly_the_tolerance_is_on_time_a_microsecond_more_is_late() -> None:
    just = T0 + 2 * HOUR
    report = timeliness(
        [("on-time", T0, just), ("late", T0, just + timedelta(microseconds=1))], now=just
    )
    assert [o.order_id for o in report.late] == ["late"]
    assert report.rate == 0.5


def test_h3_unshipped_orders_count_once_past_the_tolerance() -> None:
    now = T0 + 5 * HOUR
    report = timeliness(
        [
            ("overdue", T0, None),
            ("due-soon", now - HOUR, None),
            ("at-the-edge", now - 2 * HOUR, None),
            ("shipped", T0, T0),
        ],
        now=now,
    )
    assert report.late == (LateOrder("overdue", T0, None, 5 * HOUR),)
    assert (report.judged, report.pending) == (2, 2)
    assert report.rate == 0.5


def test_h3_compares_instants_across_timezones() -> None:
    beijing = timezone(timedelta(hours=8))
    promised = datetime(2026, 11, 11, 20, tzinfo=beijing)  # 12:00 UTC
    report = timeliness([("SO-1", promised, T0 + 3 * HOUR)], now=T0 + 3 * HOUR)
    assert report.late[0].promised_at == T0
    assert report.late[0].delay == 3 * HOUR


def test_h3_no_orders_is_a_zero_rate() -> None:
    report = timeliness([], now=T0)
    assert (report.judged, report.rate, report.late) == (0, 0.0, ())


def test_h3_tolerance_is_configuration() -> None:
    policy = FulfilmentPolicy.from_dict({"tolerance": "PT30M"})
    report = timeliness([("SO-1", T0, T0 + HOUR)], now=T0 + HOUR, policy=policy)
    assert report.rate == 1.0
    assert "more than 30m after" in str(report)


def test_h3_naive_datetimes_are_refused() -> None:
    with pytest.raises(NaiveDatetime):
        timeliness([("SO-1", datetime(2026, 11, 11), T0)], now=T0)
    with pytest.raises(NaiveDatetime):
        timeliness([], now=datetime(2026, 11, 11))


@pytest.mark.parametrize(
    "data",
    [{"tolerance": "-PT1H"}, {"buckets": ["PT2H", "PT1H"]}, {"buckets": []}, {"buckets": [0]}],
)
def test_bad_fulfilment_policies_are_config_errors(data: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        FulfilmentPolicy.from_dict(data)


shipping = st.tuples(
    st.integers(-10_000, 10_000).map(lambda m: T0 + timedelta(minutes=m)),
    st.none() | st.integers(0, 20_000).map(lambda m: T0 + timedelta(minutes=m)),
)


@given(st.lists(shipping, max_size=40), st.integers(0, 20_000))
def test_h3_rate_and_counts_match_the_definition(
    rows: list[tuple[datetime, datetime | None]], minutes: int
) -> None:
    now = T0 + timedelta(minutes=minutes)
    report = timeliness([(str(i), p, s) for i, (p, s) in enumerate(rows)], now=now)
    expected = [str(i) for i, (p, s) in enumerate(rows) if ((s or now) - p) > 2 * HOUR]
    assert [o.order_id for o in report.late] == expected
    assert report.judged + report.pending == len(rows)
    assert report.pending == sum(s is None and now - p <= 2 * HOUR for p, s in rows)
    assert 0.0 <= report.rate <= 1.0


# H5: processing-time distribution


def test_h5_processing_time_worked_example() -> None:
    times = processing_times([(T0, T0 + h * HOUR) for h in (30, 1, 5, 3)])
    assert (times.count, times.mean, times.longest) == (4, timedelta(hours=9.75), 30 * HOUR)
    assert (times.p50, times.p90, times.p99) == (3 * HOUR, 30 * HOUR, 30 * HOUR)
    assert str(times) == "4 orders: mean 9h45m, P50 3h, P90 1d6h, P99 1d6h, max 1d6h"
    assert [b.orders for b in times.buckets] == [1, 1, 1, 0, 0, 1, 0, 0]


def test_h5_percentiles_are_nearest_rank_on_1_to_100_hours() -> None:
    times = processing_times([(T0, T0 + h * HOUR) for h in range(1, 101)])
    assert (times.p50, times.p90, times.p99) == (50 * HOUR, 90 * HOUR, 99 * HOUR)


def test_h5_histogram_bars_include_their_upper_bound() -> None:
    policy = FulfilmentPolicy(buckets=(HOUR, 2 * HOUR))
    times = processing_times(
        [(T0, T0 + d) for d in (timedelta(0), HOUR, HOUR + timedelta(seconds=1), 3 * HOUR)],
        policy=policy,
    )
    assert times.buckets == (Bucket(HOUR, 2), Bucket(2 * HOUR, 1), Bucket(None, 1))


def test_h5_no_orders_has_no_statistics() -> None:
    times = processing_times([])
    assert (times.count, times.mean, times.p50, times.p99, times.longest) == (0, *[None] * 4)
    assert sum(b.orders for b in times.buckets) == 0
    assert str(times) == "0 orders"


def test_h5_a_shipment_before_its_creation_is_refused() -> None:
    with pytest.raises(InvalidMetricInput, match="pair 1") as raised:
        processing_times([(T0, T0), (T0, T0 - timedelta(seconds=1))])
    assert isinstance(raised.value, HealthError)
    assert isinstance(raised.value, ValueError)


durations = st.lists(st.integers(0, 10**6).map(lambda s: timedelta(seconds=s)), max_size=60)


@given(durations)
def test_h5_statistics_match_their_definitions(values: list[timedelta]) -> None:
    times = processing_times([(T0, T0 + d) for d in values])
    assert times.count == len(values)
    assert sum(b.orders for b in times.buckets) == len(values)
    if not values:
        return
    ordered = sorted(values)
    for percent, got in ((50, times.p50), (90, times.p90), (99, times.p99)):
        # nearest rank: the smallest observed value with at least that share at or below it
        at_or_below = (sum(x <= v for x in ordered) for v in ordered)
        ranked = [
            v for v, n in zip(ordered, at_or_below, strict=True) if 100 * n >= percent * len(values)
        ]
        assert got == ranked[0]
    assert times.mean is not None
    assert ordered[0] <= times.mean <= ordered[-1]
    assert times.longest == ordered[-1]


@given(st.lists(st.integers(), min_size=1, max_size=50), st.integers(1, 1000))
def test_nearest_rank_is_an_observed_value_at_rank_ceil_qn(
    values: list[int], per_mille: int
) -> None:
    ordered = sorted(values)
    q = Decimal(per_mille) / 1000
    assert nearest_rank(ordered, q) == ordered[math.ceil(per_mille * len(values) / 1000) - 1]


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(hours=2, minutes=30), "2h30m"),
        (timedelta(days=1, hours=4), "1d4h"),
        (-HOUR, "-1h"),
    ],
)
def test_span_reads_like_a_dashboard_label(delta: timedelta, text: str) -> None:
    assert span(delta) == text


# H5: the dashboard summary


@dataclass
class OrderRow:
    order_id: str
    state: str = "pending_payment"
    version: int = 0


def test_h5_dashboard_combines_processing_times_with_the_lifecycle_anomaly_rate() -> None:
    row = OrderRow("SO-1")
    records = [
        ORDER_FLOW.fire(row, OrderEvent.PAY, actor="cb", at=T0, payment_id="P"),
        ORDER_FLOW.fire(row, OrderEvent.RESERVE, actor="stock", at=T0, reservation_id="R"),
        ORDER_FLOW.fire(row, OrderEvent.START_QC, actor="wh", at=T0),
    ]
    damaged = [records[0], records[2]]
    replays = [(records, ORDER_FLOW.replay(records)), (damaged, ORDER_FLOW.replay(damaged))]
    board = fulfilment_dashboard([(T0, T0 + HOUR), (T0, T0 + 3 * HOUR)], replays)
    assert board.anomalies == anomaly_rate(replays)
    figures = board.as_dict()
    assert figures["orders"] == 2
    assert figures["p50_seconds"] == 3600.0
    assert figures["max_seconds"] == 10800.0
    assert (figures["records"], figures["anomalous_records"]) == (5, 1)
    assert figures["anomaly_rate"] == pytest.approx(0.2)
    assert (figures["le_7200"], figures["le_14400"], figures["le_inf"]) == (1, 1, 0)
    assert str(board) == (
        "processing: 2 orders: mean 2h, P50 1h, P90 3h, P99 3h, max 3h\n"
        "state-jump anomalies: 1 of 5 records (20.0%)"
    )


def test_h5_dashboard_labels_bars_in_whole_seconds() -> None:
    policy = FulfilmentPolicy(buckets=(timedelta(milliseconds=1500), timedelta(days=30)))
    figures = fulfilment_dashboard([(T0, T0 + HOUR)], [], policy=policy).as_dict()
    assert (figures["le_1.5"], figures["le_2592000"], figures["le_inf"]) == (0, 1, 0)


def test_h5_dashboard_of_nothing_is_all_zero_or_none() -> None:
    figures = fulfilment_dashboard([], []).as_dict()
    assert figures["orders"] == 0
    assert figures["mean_seconds"] is None
    assert figures["anomaly_rate"] == 0.0
