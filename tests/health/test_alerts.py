"""Sustained-breach alerts (MISSION H1: "below 65 for 2 consecutive hours → alert").

Worked examples for each rule of the state machine, then Hypothesis properties over
score sequences and evaluation timings, checked against a direct reading of the samples.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from orderkit.errors import (
    ConfigError,
    EvaluationOutOfOrder,
    HealthError,
    InvalidAlertState,
    InvalidEvaluation,
    NaiveDatetime,
)
from orderkit.health._alerts import (
    AlertReplay,
    AlertRule,
    AlertState,
    AlertStatus,
    AlertStep,
    AlertTransition,
    evaluate,
    evaluate_many,
    timeline,
)
from orderkit.testing import strategies as oks

T0 = datetime(2026, 11, 11, tzinfo=UTC)
H1 = AlertRule()
NONE, PENDING, FIRED = AlertTransition.NONE, AlertTransition.PENDING, AlertTransition.FIRED
RESOLVED, RESET = AlertTransition.RESOLVED, AlertTransition.RESET

Sample = tuple[datetime, float]


def hourly(*scores: float, start: datetime = T0) -> list[Sample]:
    return [(start + timedelta(hours=i), score) for i, score in enumerate(scores)]


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def replay(rule: AlertRule, samples: Sequence[Sample]) -> list[AlertStep]:
    return list(evaluate_many(rule, AlertState.initial(), samples, every_step=True).steps)


def transitions(steps: Sequence[AlertStep]) -> list[AlertTransition]:
    return [step.transition for step in steps]


# --- the rule as data ---------------------------------------------------------------------


def test_defaults_are_mission_h1() -> None:
    assert (H1.threshold, H1.for_, H1.clear_at) == (65, timedelta(hours=2), 70)
    assert (H1.keep_firing_for, H1.interval, H1.max_gap) == (timedelta(0), timedelta(hours=1), None)
    assert H1.gap_tolerance == timedelta(hours=2)


def test_durations_load_from_iso_8601_or_seconds() -> None:
    iso = AlertRule.load({"for": "PT90M", "keep_firing_for": "PT30M", "max_gap": "PT3H"})
    seconds = AlertRule.load({"for": 5400, "keep_firing_for": 1800, "max_gap": 10800})
    assert iso == seconds
    assert iso.for_ == timedelta(minutes=90)
    assert iso.gap_tolerance == timedelta(hours=3)
    assert AlertRule.load({"interval": "PT15M"}).gap_tolerance == timedelta(minutes=30)


def test_rule_round_trips_through_json_and_yaml() -> None:
    rule = AlertRule(threshold=60, for_=timedelta(hours=3), clear_at=72, max_gap=timedelta(hours=4))
    data = rule.model_dump(mode="json", by_alias=True)
    assert data["for"] == "PT3H"
    assert AlertRule.load(json.loads(json.dumps(data))) == rule
    assert AlertRule.load(yaml.safe_load("threshold: 60\nfor: PT3H\nclear_at: 72\n")).for_ == (
        timedelta(hours=3)
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"threshold": 65, "clear_at": 60}, "clear_at 60 is below threshold 65"),
        ({"threshold": 80}, "clear_at 70 is below threshold 80"),
        ({"max_gap": "PT30M"}, "max_gap 30m is shorter than interval 1h"),
        ({"for": "-PT1H"}, "for: Input should be greater than or equal to 0 seconds"),
        ({"interval": 0}, "interval: Input should be greater than 0 seconds"),
        ({"threshold": 101}, "threshold: Input should be less than or equal to 100"),
        ({"threshold": "nan"}, "threshold: Input should be a finite number"),
        ({"for_hours": 2}, "for_hours: Extra inputs are not permitted"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        AlertRule.load(data)


# --- worked examples ----------------------------------------------------------------------


def test_hourly_70_64_63_62_fires_exactly_when_two_hours_of_breach_have_elapsed() -> None:
    steps = replay(H1, hourly(70, 64, 63, 62))
    assert transitions(steps) == [NONE, PENDING, NONE, FIRED]
    assert [step.state.status for step in steps] == ["inactive", "pending", "pending", "firing"]
    fired = steps[-1]
    assert fired.state.breach_started_at == at(1)
    assert fired.state.fired_at == fired.at == at(3)
    assert fired.previous.status is AlertStatus.PENDING
    assert fired.reason == "score 62 < threshold 65 for 2h >= for 2h: fired"


def test_never_fires_a_moment_before_the_duration() -> None:
    samples = [(at(1), 64.0), (at(2), 64.0), (at(3) - timedelta(microseconds=1), 64.0)]
    assert evaluate_many(H1, AlertState.initial(), samples).state.status is AlertStatus.PENDING
    step = evaluate(H1, evaluate_many(H1, AlertState.initial(), samples).state, 64, at(3))
    assert step.transition is FIRED


def test_fires_at_the_first_evaluation_after_the_duration() -> None:
    steps = replay(H1, [(at(1), 60), (at(2), 60), (at(3) + timedelta(minutes=10), 60)])
    assert transitions(steps) == [PENDING, NONE, FIRED]
    assert steps[-1].reason == "score 60 < threshold 65 for 2h10m >= for 2h: fired"


def test_one_healthy_evaluation_while_pending_resets_the_breach() -> None:
    steps = replay(H1, hourly(64, 66, 64, 63, 62))
    assert transitions(steps) == [PENDING, RESET, PENDING, NONE, FIRED]
    assert steps[1].state == AlertState(status=AlertStatus.INACTIVE, last_evaluated_at=at(1))
    assert steps[1].reason == "score 66 >= threshold 65: breach ended after 1h, short of 2h"
    assert steps[-1].state.breach_started_at == at(2)


def test_exactly_the_threshold_is_not_a_breach() -> None:
    assert transitions(replay(H1, hourly(65, 65, 65, 65))) == [NONE] * 4


def test_hysteresis_keeps_firing_below_clear_at_and_resolves_at_it() -> None:
    steps = replay(H1, hourly(64, 63, 62, 66, 69.9, 64, 70, 71))
    assert transitions(steps) == [PENDING, NONE, FIRED, NONE, NONE, NONE, RESOLVED, NONE]
    assert steps[3].reason == "score 66 < clear_at 70: still firing"
    assert steps[6].reason == "score 70 >= clear_at 70: resolved"
    assert steps[6].previous.status is AlertStatus.FIRING
    assert steps[6].previous.fired_at == at(2)
    assert steps[6].state == AlertState(status=AlertStatus.INACTIVE, last_evaluated_at=at(6))


def test_a_score_hovering_around_65_pages_once() -> None:
    hovering = [64.0, 66.0] * 12
    assert FIRED not in transitions(replay(H1, hourly(*hovering)))
    steps = replay(H1, hourly(64, 63, 62, *hovering, 70))
    assert transitions(steps).count(FIRED) == 1
    assert transitions(steps)[-1] is RESOLVED


def test_clear_at_equal_to_the_threshold_resolves_at_the_first_healthy_score() -> None:
    rule = AlertRule(clear_at=65)
    assert transitions(replay(rule, hourly(64, 63, 62, 65))) == [PENDING, NONE, FIRED, RESOLVED]


def test_keep_firing_for_needs_that_long_at_or_above_clear_at() -> None:
    rule = AlertRule(keep_firing_for=timedelta(hours=1))
    samples = [
        *hourly(64, 63, 62),
        (at(3), 72),
        (at(4), 68),
        (at(5), 72),
        (at(5.5), 75),
        (at(6), 71),
    ]
    steps = replay(rule, samples)
    assert transitions(steps) == [PENDING, NONE, FIRED, NONE, NONE, NONE, NONE, RESOLVED]
    assert steps[3].state.cleared_condition_at == at(3)
    assert steps[3].reason == "score 72 >= clear_at 70 for 0s of keep_firing_for 1h: still firing"
    assert steps[4].state.cleared_condition_at is None
    assert steps[6].state.cleared_condition_at == at(5)
    assert steps[7].reason == "score 71 >= clear_at 70 for 1h >= keep_firing_for 1h: resolved"


def test_a_gap_beyond_max_gap_restarts_the_breach_clock() -> None:
    samples = [(at(1), 64), (at(2), 64), (at(5) + timedelta(minutes=10), 63)]
    samples += [(at(6) + timedelta(minutes=10), 62), (at(7) + timedelta(minutes=10), 61)]
    steps = replay(H1, samples)
    assert transitions(steps) == [PENDING, NONE, RESET, NONE, FIRED]
    assert steps[2].reason == (
        "gap of 3h10m > max gap 2h: breach clock restarted; "
        "score 63 < threshold 65: fires after 2h if it holds"
    )
    assert steps[2].state.status is AlertStatus.PENDING
    assert steps[2].state.breach_started_at == steps[2].at


def test_a_gap_of_exactly_max_gap_is_tolerated() -> None:
    assert transitions(replay(H1, [(at(1), 64), (at(3), 64)])) == [PENDING, FIRED]


def test_an_explicit_max_gap_overrides_twice_the_interval() -> None:
    rule = AlertRule(max_gap=timedelta(hours=3))
    assert transitions(replay(rule, [(at(0), 64), (at(2.5), 64)])) == [PENDING, FIRED]
    assert transitions(replay(H1, [(at(0), 64), (at(2.5), 64)])) == [PENDING, RESET]


def test_a_gap_does_not_end_a_firing_alert() -> None:
    steps = replay(H1, [*hourly(64, 63, 62), (at(12), 64)])
    assert transitions(steps) == [PENDING, NONE, FIRED, NONE]
    assert steps[-1].state.status is AlertStatus.FIRING


def test_a_gap_restarts_the_keep_firing_clock() -> None:
    rule = AlertRule(keep_firing_for=timedelta(hours=1))
    steps = replay(rule, [*hourly(64, 63, 62, 75), (at(6), 75), (at(7), 75)])
    assert transitions(steps) == [PENDING, NONE, FIRED, NONE, NONE, RESOLVED]
    assert steps[4].reason.startswith("gap of 3h > max gap 2h: keep-firing clock restarted")
    assert steps[4].state.cleared_condition_at == at(6)


def test_for_zero_fires_at_the_first_breach() -> None:
    rule = AlertRule(for_=timedelta(0))
    steps = replay(rule, hourly(70, 64, 71))
    assert transitions(steps) == [NONE, FIRED, RESOLVED]
    assert steps[1].previous.status is AlertStatus.INACTIVE


def test_a_restart_mid_breach_continues_the_same_clock() -> None:
    samples = hourly(70, 64, 63, 62, 66, 71)
    straight = replay(H1, samples)
    before = evaluate_many(H1, AlertState.initial(), samples[:3], every_step=True)
    stored = before.state.to_json()
    assert json.loads(stored)["breach_started_at"] == "2026-11-11T01:00:00Z"
    after = evaluate_many(H1, AlertState.from_json(stored), samples[3:], every_step=True)
    assert [*before.steps, *after.steps] == straight
    assert transitions(after.steps) == [FIRED, NONE, RESOLVED]


def test_evaluate_many_keeps_only_the_steps_that_changed_something() -> None:
    result = evaluate_many(H1, AlertState.initial(), hourly(70, 64, 63, 62, 62, 71))
    assert isinstance(result, AlertReplay)
    assert transitions(result.steps) == [PENDING, FIRED, RESOLVED]
    assert result.state == AlertState(status=AlertStatus.INACTIVE, last_evaluated_at=at(5))


# --- inputs refused or normalised --------------------------------------------------------


def test_an_evaluation_earlier_than_the_last_is_refused() -> None:
    state = evaluate(H1, AlertState.initial(), 64, at(2)).state
    with pytest.raises(EvaluationOutOfOrder) as refused:
        evaluate(H1, state, 60, at(1))
    assert isinstance(refused.value, HealthError)
    assert isinstance(refused.value, ValueError)
    assert (refused.value.at, refused.value.last_evaluated_at) == (at(1), at(2))
    assert evaluate(H1, state, 60, at(2)).state.breach_started_at == at(2)


@pytest.mark.parametrize("score", [float("nan"), float("inf"), float("-inf"), Decimal("NaN")])
def test_a_score_that_is_not_finite_is_refused(score: float) -> None:
    with pytest.raises(InvalidEvaluation, match="not a finite number"):
        evaluate(H1, AlertState.initial(), score, at(0))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(NaiveDatetime):
        evaluate(H1, AlertState.initial(), 64, datetime(2026, 11, 11, 8))


def test_offsets_are_normalised_to_utc_and_decimals_accepted() -> None:
    beijing = timezone(timedelta(hours=8))
    step = evaluate(
        H1, AlertState.initial(), Decimal("64.5"), datetime(2026, 11, 11, 8, tzinfo=beijing)
    )
    assert step.state.breach_started_at == T0
    assert step.state.breach_started_at.tzinfo is UTC
    assert step.score == 64.5


@pytest.mark.parametrize(
    "stored",
    [
        "not json",
        '{"status": "pending", "last_evaluated_at": "2026-11-11T00:00:00Z"}',
        '{"status": "firing", "breach_started_at": "2026-11-11T00:00:00Z",'
        ' "last_evaluated_at": "2026-11-11T00:00:00Z"}',
        '{"status": "inactive", "fired_at": "2026-11-11T00:00:00Z"}',
        '{"status": "pending", "breach_started_at": "2026-11-11T02:00:00Z",'
        ' "last_evaluated_at": "2026-11-11T01:00:00Z"}',
        '{"status": "firing", "breach_started_at": "2026-11-11T02:00:00Z",'
        ' "fired_at": "2026-11-11T01:00:00Z", "last_evaluated_at": "2026-11-11T03:00:00Z"}',
        '{"status": "inactive", "version": 2}',
        '{"status": "pending", "breach_started_at": "2026-11-11T00:00:00",'
        ' "last_evaluated_at": "2026-11-11T00:00:00"}',
    ],
)
def test_an_unusable_stored_state_is_refused(stored: str) -> None:
    with pytest.raises(InvalidAlertState, match="invalid stored AlertState"):
        AlertState.from_json(stored)


# --- the timeline -------------------------------------------------------------------------


def test_timeline_shows_one_column_per_evaluation() -> None:
    assert timeline(replay(H1, hourly(70, 64, 63, 62, 66, 71))) == (
        "time      00:00    01:00    02:00    03:00    04:00    05:00\n"
        "score        70       64       63       62       66       71\n"
        "status inactive  pending  pending   firing   firing inactive\n"
        "change           pending             fired          resolved"
    )
    two_days = timeline(replay(H1, [(at(23), 64), (at(25), 62)]))
    assert two_days.splitlines()[0] == "time   11-11 23:00 11-12 01:00"
    assert timeline([]) == "time\nscore\nstatus\nchange"


# --- properties ---------------------------------------------------------------------------

MINUTE = timedelta(minutes=1)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[AlertRule, list[Sample]]:
    """A rule and a history of runs of samples: scores near the rule's edges, evaluations
    mostly on the declared interval, sometimes early, late or after a long gap.
    """
    threshold = draw(st.integers(40, 80))
    clear_at = threshold + draw(st.integers(0, 10))
    interval = draw(st.integers(5, 120)) * MINUTE
    max_gap = draw(st.none() | st.integers(1, 4))
    jitter = st.just(0) | st.integers(0, 60)
    rule = AlertRule(
        threshold=threshold,
        clear_at=clear_at,
        for_=draw(st.integers(0, 5)) * interval + draw(jitter) * MINUTE,
        keep_firing_for=draw(st.integers(0, 3)) * interval + draw(jitter) * MINUTE,
        interval=interval,
        max_gap=None if max_gap is None else max_gap * interval,
    )
    edges = [threshold - 1, threshold - 0.5, threshold, clear_at - 0.5, clear_at, clear_at + 1]
    level = st.sampled_from(edges) | st.floats(0, 100)
    timing = st.sampled_from([interval, interval, interval, interval / 2, 0 * MINUTE]) | (
        st.integers(0, 5 * 3600).map(lambda seconds: seconds * timedelta(seconds=1))
    )
    moment = draw(oks.aware_datetimes())
    samples = []
    for score, length in draw(st.lists(st.tuples(level, st.integers(1, 8)), max_size=8)):
        for gap in draw(st.lists(timing, min_size=length, max_size=length)):
            moment += gap
            samples.append((moment, score))
    return rule, samples


def run_length(rule: AlertRule, samples: Sequence[Sample], i: int, *, clear: bool) -> timedelta:
    """How long the run of breaching (or, with ``clear``, clear) samples ending at ``i`` has
    lasted, without a gap above the tolerance; ``-1 s`` when sample ``i`` is not in such a run.
    """

    def inside(score: float) -> bool:
        return score >= rule.clear_at if clear else score < rule.threshold

    if not inside(samples[i][1]):
        return -timedelta(seconds=1)
    start = i
    while (
        start > 0
        and inside(samples[start - 1][1])
        and samples[start][0] - samples[start - 1][0] <= rule.gap_tolerance
    ):
        start -= 1
    return samples[i][0] - samples[start][0]


FEW = settings(max_examples=300, deadline=None)


@FEW
@given(scenarios())
def test_never_fires_before_the_duration_of_uninterrupted_breach(
    scenario: tuple[AlertRule, list[Sample]],
) -> None:
    rule, samples = scenario
    for i, step in enumerate(replay(rule, samples)):
        if step.transition is FIRED:
            assert run_length(rule, samples, i, clear=False) >= rule.for_


@FEW
@given(scenarios())
def test_always_fires_at_the_first_evaluation_after_the_duration(
    scenario: tuple[AlertRule, list[Sample]],
) -> None:
    rule, samples = scenario
    for i, step in enumerate(replay(rule, samples)):
        if run_length(rule, samples, i, clear=False) >= rule.for_:
            assert step.state.status is AlertStatus.FIRING
            expected = NONE if step.previous.status is AlertStatus.FIRING else FIRED
            assert step.transition is expected


@FEW
@given(scenarios())
def test_never_resolves_while_the_score_is_below_clear_at(
    scenario: tuple[AlertRule, list[Sample]],
) -> None:
    rule, samples = scenario
    steps = replay(rule, samples)
    for i, step in enumerate(steps):
        cleared_for = run_length(rule, samples, i, clear=True)
        if step.transition is RESOLVED:
            assert step.score >= rule.clear_at
            assert cleared_for >= rule.keep_firing_for
        elif step.previous.status is AlertStatus.FIRING:
            assert cleared_for < rule.keep_firing_for
    pages = [t for t in transitions(steps) if t in {FIRED, RESOLVED}]
    assert pages == [FIRED, RESOLVED] * (len(pages) // 2) + [FIRED] * (len(pages) % 2)


@FEW
@given(scenarios(), st.data())
def test_a_json_round_trip_at_any_point_changes_nothing(
    scenario: tuple[AlertRule, list[Sample]], data: st.DataObject
) -> None:
    rule, samples = scenario
    cut = data.draw(st.integers(0, len(samples)))
    before = evaluate_many(rule, AlertState.initial(), samples[:cut], every_step=True)
    restored = AlertState.from_json(before.state.to_json())
    assert restored == before.state
    after = evaluate_many(rule, restored, samples[cut:], every_step=True)
    assert [*before.steps, *after.steps] == replay(rule, samples)
