"""L13: warn before a pre-sale order passes its ship-by time; overdue vs due soon."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit.errors import ConfigError, NaiveDatetime, UnknownState
from orderkit.lifecycle import OrderState
from orderkit.lifecycle.policies import PresalePolicy, PresaleUrgency, presale_warnings

SHIP_BY = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)
DAY = timedelta(hours=24)


def _urgency(now: datetime, state: str = "deposit_paid") -> PresaleUrgency | None:
    warnings = presale_warnings([("PS-1", state, SHIP_BY)], now=now)
    return warnings[0].urgency if warnings else None


def test_due_soon_from_exactly_24_hours_before() -> None:
    """L13: the warning starts at ship_by - 24 h exactly."""
    assert _urgency(SHIP_BY - DAY - TICK) is None
    assert _urgency(SHIP_BY - DAY) is PresaleUrgency.DUE_SOON
    [warning] = presale_warnings([("PS-1", "balance_due", SHIP_BY)], now=SHIP_BY - DAY)
    assert warning.remaining == DAY
    assert warning.state is OrderState.BALANCE_DUE
    assert warning.ship_by == SHIP_BY


def test_overdue_once_the_ship_by_time_has_passed() -> None:
    """L13: at the ship-by instant it is still due soon; right after, overdue."""
    assert _urgency(SHIP_BY) is PresaleUrgency.DUE_SOON
    assert _urgency(SHIP_BY + TICK) is PresaleUrgency.OVERDUE
    [warning] = presale_warnings([("PS-1", "paid", SHIP_BY)], now=SHIP_BY + timedelta(hours=3))
    assert warning.remaining == -timedelta(hours=3)


@pytest.mark.parametrize(
    "state", ["shipped", "delivery_exception", "signed", "closed", "cancelled", "split"]
)
def test_only_orders_that_can_still_ship_are_warned(state: str) -> None:
    """L13: shipped, cancelled and split orders need no warning."""
    assert _urgency(SHIP_BY + DAY, state) is None


def test_most_urgent_first() -> None:
    """L13: the order due earliest leads."""
    orders = [
        ("PS-2", OrderState.PAID, SHIP_BY),
        ("PS-1", OrderState.RESERVED, SHIP_BY - timedelta(hours=2)),
        ("PS-3", OrderState.IN_QC, SHIP_BY + timedelta(days=5)),
    ]
    warnings = presale_warnings(orders, now=SHIP_BY - timedelta(hours=1))
    assert [(w.order_id, w.urgency) for w in warnings] == [
        ("PS-1", PresaleUrgency.OVERDUE),
        ("PS-2", PresaleUrgency.DUE_SOON),
    ]


def test_policy_and_input_validation() -> None:
    """L13: the lead time is configuration; states and times are checked."""
    policy = PresalePolicy.from_dict({"warn_before": "PT72H"})
    assert presale_warnings([("PS-1", "paid", SHIP_BY)], now=SHIP_BY - 3 * DAY, policy=policy)
    with pytest.raises(ConfigError, match="warn_before"):
        PresalePolicy.from_dict({"warn_before": 0})
    with pytest.raises(UnknownState, match="PS-1"):
        presale_warnings([("PS-1", "teleported", SHIP_BY)], now=SHIP_BY)
    with pytest.raises(NaiveDatetime, match="ship_by of PS-1"):
        presale_warnings([("PS-1", "paid", datetime(2026, 11, 20))], now=SHIP_BY)


@given(st.integers(min_value=-72 * 60, max_value=72 * 60))
def test_urgency_follows_the_time_left(minutes_left: int) -> None:
    """L13: none beyond 24 h, due soon within, overdue after."""
    left = timedelta(minutes=minutes_left)
    urgency = _urgency(SHIP_BY - left)
    if left > DAY:
        assert urgency is None
    elif left >= timedelta(0):
        assert urgency is PresaleUrgency.DUE_SOON
    else:
        assert urgency is PresaleUrgency.OVERDUE
