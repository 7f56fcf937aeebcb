"""L6: the tiered escalation ladder: 0 / 5 min / 15 min, stopped by acknowledgement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from orderkit.errors import ConfigError, NaiveDatetime
from orderkit.lifecycle import Effect
from orderkit.lifecycle.policies import (
    EscalationAlert,
    EscalationLadder,
    EscalationTier,
    escalation_status,
)
from orderkit.testing import FakeClock

T0 = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
TICK = timedelta(microseconds=1)
ALERT = EscalationAlert(alert_id="A-1", sku="TEA-01", raised_at=T0)


def _kinds(alert: EscalationAlert, now: datetime) -> list[str]:
    return [effect.kind for effect in escalation_status(alert, now=now).actions]


def test_tier_one_fires_at_once_as_a_warehouse_todo() -> None:
    """L6: tier 1 is the warehouse to-do, due when the alert is raised."""
    status = escalation_status(ALERT, now=T0)
    assert status.tier == 1
    assert status.actions == (
        Effect(
            kind="warehouse.todo",
            data={
                "role": "warehouse_keeper",
                "alert_id": "A-1",
                "sku": "TEA-01",
                "tier": 1,
                "due_at": "2026-11-11T09:00:00+00:00",
            },
        ),
    )
    assert status.next_at == T0 + 5 * MIN
    assert status.acknowledged is False


def test_tier_two_at_exactly_five_minutes() -> None:
    """L6: the supervisor is told when the alert is unacknowledged after 5 min exactly."""
    assert escalation_status(ALERT, now=T0 + 5 * MIN - TICK).tier == 1
    status = escalation_status(ALERT, now=T0 + 5 * MIN)
    assert status.tier == 2
    assert status.actions[-1].kind == "ops.notify"
    assert status.actions[-1].data["role"] == "operations_supervisor"
    assert status.next_at == T0 + 15 * MIN


def test_tier_three_at_exactly_fifteen_minutes_freezes_the_sku() -> None:
    """L6: after 15 min exactly, ordering of the SKU is frozen and a root-cause report due."""
    assert escalation_status(ALERT, now=T0 + 15 * MIN - TICK).tier == 2
    status = escalation_status(ALERT, now=T0 + 15 * MIN)
    assert status.tier == 3
    assert [e.kind for e in status.actions] == [
        "warehouse.todo",
        "ops.notify",
        "sku.freeze",
        "ops.root_cause_report",
    ]
    assert {e.data["sku"] for e in status.actions} == {"TEA-01"}
    assert status.next_at is None
    assert escalation_status(ALERT, now=T0 + timedelta(days=3)) == status


def test_acknowledged_before_five_minutes_never_reaches_the_supervisor() -> None:
    """L6: acknowledgement stops further escalation, whenever we look later."""
    acknowledged = ALERT.acknowledge(T0 + 5 * MIN - TICK)
    for now in (T0 + 5 * MIN, T0 + 15 * MIN, T0 + timedelta(days=1)):
        status = escalation_status(acknowledged, now=now)
        assert status.tier == 1
        assert status.next_at is None
        assert status.acknowledged is True
        assert _kinds(acknowledged, now) == ["warehouse.todo"]


def test_acknowledged_between_tiers_keeps_what_already_fired() -> None:
    """L6: tiers already due stay fired; only later tiers are stopped."""
    acknowledged = ALERT.acknowledge(T0 + 7 * MIN)
    assert escalation_status(acknowledged, now=T0 + 20 * MIN).tier == 2


def test_the_first_acknowledgement_counts() -> None:
    """L6: acknowledging again does not move the time escalation stopped."""
    acknowledged = ALERT.acknowledge(T0 + 2 * MIN)
    assert acknowledged.acknowledge(T0 + 30 * MIN) == acknowledged
    assert ALERT.acknowledged_at is None


def test_acknowledged_exactly_at_a_tier_time_does_not_stop_that_tier() -> None:
    """L6: only an acknowledgement *before* a tier's time keeps it from firing."""
    acknowledged = ALERT.acknowledge(T0 + 15 * MIN)
    assert escalation_status(acknowledged, now=T0 + 15 * MIN).tier == 3
    assert escalation_status(ALERT.acknowledge(T0), now=T0).tier == 1


def test_acknowledgement_in_the_future_of_now_is_not_known_yet() -> None:
    """L6: replaying history: at 4 min an alert acknowledged at 10 min is still open."""
    acknowledged = ALERT.acknowledge(T0 + 10 * MIN)
    early = escalation_status(acknowledged, now=T0 + 4 * MIN)
    assert (early.tier, early.next_at, early.acknowledged) == (1, T0 + 5 * MIN, False)
    later = escalation_status(acknowledged, now=T0 + 6 * MIN)
    assert (later.tier, later.next_at, later.acknowledged) == (2, None, False)


def test_driven_by_a_fake_clock() -> None:
    """L6: time is a parameter; a fake clock walks the ladder without sleeping."""
    clock = FakeClock(T0)
    tiers = []
    for _ in range(4):
        tiers.append(escalation_status(ALERT, now=clock.now()).tier)
        clock.advance(5 * MIN)
    assert tiers == [1, 2, 2, 3]


def test_alert_validation() -> None:
    """L6: an alert cannot be acknowledged before it was raised; times are aware."""
    with pytest.raises(ValidationError, match="before raised_at"):
        EscalationAlert(alert_id="A", sku="S", raised_at=T0, acknowledged_at=T0 - TICK)
    with pytest.raises(NaiveDatetime):
        ALERT.acknowledge(datetime(2026, 11, 11, 9, 3))
    with pytest.raises(NaiveDatetime):
        escalation_status(ALERT, now=datetime(2026, 11, 11, 9, 3))


def test_custom_ladder_from_a_dict() -> None:
    """L6: the ladder is data: a host loads its own tiers and actions."""
    ladder = EscalationLadder.from_dict(
        {
            "tiers": [
                {"after": "PT2M", "actions": [{"kind": "ops.page", "data": {"team": "night"}}]},
                {"after": 600, "actions": [{"kind": "sku.freeze"}]},
            ]
        }
    )
    assert escalation_status(ALERT, ladder, now=T0 + MIN).tier == 0
    assert escalation_status(ALERT, ladder, now=T0 + MIN).next_at == T0 + 2 * MIN
    status = escalation_status(ALERT, ladder, now=T0 + 10 * MIN)
    assert [(e.kind, e.data["tier"]) for e in status.actions] == [
        ("ops.page", 1),
        ("sku.freeze", 2),
    ]
    assert status.actions[0].data["team"] == "night"
    assert EscalationLadder.from_dict(ladder.model_dump(mode="json")) == ladder


def test_ladder_validation() -> None:
    """L6: tiers climb strictly and each has an action."""
    with pytest.raises(ConfigError, match="strictly increase"):
        EscalationLadder.from_dict({"tiers": [{"after": 60, "actions": [{"kind": "a.b"}]}] * 2})
    with pytest.raises(ConfigError, match="tiers"):
        EscalationLadder.from_dict({"tiers": []})
    with pytest.raises(ConfigError, match="actions"):
        EscalationLadder.from_dict({"tiers": [{"after": 0, "actions": []}]})
    with pytest.raises(ConfigError, match="after"):
        EscalationLadder.from_dict({"tiers": [{"after": -1, "actions": [{"kind": "a.b"}]}]})
    assert EscalationTier(after=MIN, actions=(Effect(kind="a.b"),)).after == MIN


offsets = st.integers(min_value=0, max_value=40 * 60)


@given(offsets, offsets, st.none() | offsets)
def test_tier_is_monotonic_in_now(first: int, second: int, ack: int | None) -> None:
    """L6: looking later never lowers the tier, and actions only grow."""
    alert = ALERT if ack is None else ALERT.acknowledge(T0 + timedelta(seconds=ack))
    early, late = sorted((first, second))
    before = escalation_status(alert, now=T0 + timedelta(seconds=early))
    after = escalation_status(alert, now=T0 + timedelta(seconds=late))
    assert before.tier <= after.tier
    assert after.actions[: len(before.actions)] == before.actions


@given(offsets, offsets)
def test_acknowledgement_caps_the_tier(ack: int, now: int) -> None:
    """L6: the tier after an acknowledgement is the tier at the acknowledgement."""
    alert = ALERT.acknowledge(T0 + timedelta(seconds=ack))
    later = T0 + timedelta(seconds=max(ack, now))
    at_ack = escalation_status(alert, now=T0 + timedelta(seconds=ack))
    assert escalation_status(alert, now=later).tier == at_ack.tier
