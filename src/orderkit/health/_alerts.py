"""Sustained-breach alerts: "below 65 for 2 consecutive hours → alert" (MISSION H1).

An :class:`AlertRule` is configuration as data; an :class:`AlertState` is a small value
the host stores per order (as JSON), so a restart does not reset a breach clock;
:func:`evaluate` is a pure function from a rule, a state, a score and an instant to an
:class:`AlertStep`: the next state and the transition that happened. The semantics are
Prometheus's ``for:``: inactive → pending → firing, firing only once the score has been
below the threshold at every evaluation for the whole duration, with two additions: a
gap between evaluations longer than the rule tolerates restarts a pending breach clock,
and a firing alert resolves only at or above ``clear_at`` (and, optionally, only after
``keep_firing_for`` of clear evaluations).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, NamedTuple, Self, SupportsFloat, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from orderkit.clock import UtcDateTime, require_aware
from orderkit.errors import (
    ConfigError,
    EvaluationOutOfOrder,
    InvalidAlertState,
    InvalidEvaluation,
)

__all__ = [
    "AlertReplay",
    "AlertRule",
    "AlertState",
    "AlertStatus",
    "AlertStep",
    "AlertTransition",
    "evaluate",
    "evaluate_many",
    "timeline",
]

_Duration: TypeAlias = Annotated[timedelta, Field(ge=timedelta(0))]
_PositiveDuration: TypeAlias = Annotated[timedelta, Field(gt=timedelta(0))]
_Score: TypeAlias = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]


def _problems(error: ValidationError) -> str:
    """Each problem as ``field: message``; checks across fields give their message alone."""
    problems = []
    for e in error.errors():
        message = str(e["ctx"]["error"]) if e["type"] == "value_error" else e["msg"]
        field = ".".join(str(part) for part in e["loc"])
        problems.append(f"{field}: {message}" if field else message)
    return "; ".join(problems)


class AlertRule(BaseModel):
    """When a score is in breach, for how long before it fires, and when it clears (H1).

    A score below ``threshold`` is a breach. After ``for`` of uninterrupted breach (every
    evaluation below the threshold, no gap between evaluations above ``max_gap``) the
    alert fires. A firing alert resolves at the first evaluation at or above
    ``clear_at`` or, with ``keep_firing_for``, once the score has stayed there that long.
    ``max_gap`` defaults to twice the declared evaluation ``interval``. Durations load
    from ISO 8601 (``"PT2H"``) or seconds (``7200``).

    >>> rule = AlertRule.load({"threshold": 65, "for": "PT2H", "clear_at": 70})
    >>> rule.for_, rule.gap_tolerance
    (datetime.timedelta(seconds=7200), datetime.timedelta(seconds=7200))
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    threshold: _Score = 65.0
    """A score strictly below this is a breach."""
    for_: _Duration = Field(default=timedelta(hours=2), alias="for")
    """How long a breach must hold, uninterrupted, before the alert fires (``for`` in data)."""
    clear_at: _Score = 70.0
    """A firing alert resolves only at or above this score; at least ``threshold``."""
    keep_firing_for: _Duration = timedelta(0)
    """How long the score must stay at or above ``clear_at`` before a firing alert resolves."""
    interval: _PositiveDuration = timedelta(hours=1)
    """How often the host evaluates (H1 scores hourly); sets the default ``max_gap``."""
    max_gap: _PositiveDuration | None = None
    """The longest gap between evaluations a pending breach survives; ``2 × interval`` if unset."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.clear_at < self.threshold:
            raise ValueError(
                f"clear_at {self.clear_at:g} is below threshold {self.threshold:g}: "
                "set clear_at to the threshold or above"
            )
        if self.max_gap is not None and self.max_gap < self.interval:
            raise ValueError(
                f"max_gap {_span(self.max_gap)} is shorter than interval {_span(self.interval)}: "
                "every evaluation would restart the breach clock"
            )
        return self

    @property
    def gap_tolerance(self) -> timedelta:
        """``max_gap`` if given, else twice ``interval``."""
        return self.max_gap if self.max_gap is not None else 2 * self.interval

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> AlertRule:
        """Validate a rule given as plain data (parsed JSON or YAML); raises ``ConfigError``."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as error:
            raise ConfigError(f"invalid AlertRule: {_problems(error)}") from None


class AlertStatus(StrEnum):
    """Where an alert is: no breach, a breach not yet long enough, or firing."""

    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"


class AlertTransition(StrEnum):
    """What an evaluation changed: page on ``FIRED``, notify on ``RESOLVED``."""

    NONE = "none"
    """The status stayed; clocks may have advanced."""
    PENDING = "pending"
    """A breach started: inactive → pending."""
    FIRED = "fired"
    """The breach held for ``for``: pending (or inactive, with ``for`` 0) → firing."""
    RESOLVED = "resolved"
    """Firing → inactive."""
    RESET = "reset"
    """The breach clock was discarded: a healthy score (→ inactive) or a gap (clock restarts)."""


class AlertState(BaseModel):
    """The state of one alert, a value the host stores between evaluations (H1).

    Store ``to_json()`` and read it back with ``from_json()``: an evaluation after a
    restart then continues the same breach clock.

    >>> stored = AlertState.initial().to_json()
    >>> AlertState.from_json(stored) == AlertState.initial()
    True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: AlertStatus = AlertStatus.INACTIVE
    breach_started_at: UtcDateTime | None = None
    """The first evaluation of the current uninterrupted breach (pending or firing)."""
    last_evaluated_at: UtcDateTime | None = None
    fired_at: UtcDateTime | None = None
    cleared_condition_at: UtcDateTime | None = None
    """While firing: the first evaluation of the current run at or above ``clear_at``."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        breach, fired, cleared = self.breach_started_at, self.fired_at, self.cleared_condition_at
        expected = {
            AlertStatus.INACTIVE: (False, False),
            AlertStatus.PENDING: (True, False),
            AlertStatus.FIRING: (True, True),
        }[self.status]
        if (breach is not None, fired is not None) != expected or (
            cleared is not None and self.status is not AlertStatus.FIRING
        ):
            raise ValueError(f"the timestamps set do not match status {self.status.value!r}")
        times = [t for t in (breach, fired, cleared) if t is not None]
        if times and (self.last_evaluated_at is None or max(times) > self.last_evaluated_at):
            raise ValueError("a timestamp is later than last_evaluated_at")
        if breach is not None and fired is not None and fired < breach:
            raise ValueError("fired_at is earlier than breach_started_at")
        return self

    @classmethod
    def initial(cls) -> AlertState:
        """The state of an alert never evaluated: inactive."""
        return cls()

    def to_json(self) -> str:
        """The state as compact JSON, for the host's storage."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> AlertState:
        """Read a stored state back; raises ``InvalidAlertState`` if it is unusable."""
        try:
            return cls.model_validate_json(text)
        except ValidationError as error:
            raise InvalidAlertState(f"invalid stored AlertState: {_problems(error)}") from None


class AlertStep(NamedTuple):
    """One evaluation: the score, the transition it caused and the new state."""

    at: datetime
    score: float
    transition: AlertTransition
    reason: str
    """Why, with the figures that decided, e.g. ``score 66 < clear_at 70: still firing``."""
    state: AlertState
    """The state to store."""
    previous: AlertState
    """The state before this evaluation (on ``RESOLVED``, its ``fired_at`` says since when)."""


class AlertReplay(NamedTuple):
    """The outcome of :func:`evaluate_many`: the final state and the steps kept."""

    state: AlertState
    steps: tuple[AlertStep, ...]


def _span(delta: timedelta) -> str:
    """A duration as ``3h10m``, ``45m``, ``1.5s`` or ``0s``."""
    micros = delta // timedelta(microseconds=1)
    hours, micros = divmod(micros, 3_600_000_000)
    minutes, micros = divmod(micros, 60_000_000)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    if micros or not (hours or minutes):
        parts.append(f"{micros / 1_000_000:g}s")
    return "".join(parts)


def _state(
    status: AlertStatus,
    at: datetime,
    breach: datetime | None = None,
    fired: datetime | None = None,
    cleared: datetime | None = None,
) -> AlertState:
    return AlertState.model_construct(
        status=status,
        breach_started_at=breach,
        last_evaluated_at=at,
        fired_at=fired,
        cleared_condition_at=cleared,
    )


_Outcome: TypeAlias = tuple[AlertTransition, AlertState, str]


def _breaching(
    rule: AlertRule, state: AlertState, score: float, at: datetime, gap: str
) -> _Outcome:
    """A score below the threshold while not firing."""
    pending = state.status is AlertStatus.PENDING
    restarted = pending and bool(gap)
    start = state.breach_started_at
    if start is None or restarted:
        start = at
    held = at - start
    why = f"score {score:g} < threshold {rule.threshold:g}"
    if restarted:
        why = f"{gap}: breach clock restarted; {why}"
    if held >= rule.for_:
        fired = f"{why} for {_span(held)} >= for {_span(rule.for_)}: fired"
        return AlertTransition.FIRED, _state(AlertStatus.FIRING, at, start, at), fired
    if restarted:
        transition = AlertTransition.RESET
    elif pending:
        transition = AlertTransition.NONE
    else:
        transition = AlertTransition.PENDING
    if start == at:
        why = f"{why}: fires after {_span(rule.for_)} if it holds"
    else:
        why = f"{why} for {_span(held)} of {_span(rule.for_)}"
    return transition, _state(AlertStatus.PENDING, at, start), why


def _healthy(rule: AlertRule, state: AlertState, score: float, at: datetime) -> _Outcome:
    """A score at or above the threshold while not firing."""
    why = f"score {score:g} >= threshold {rule.threshold:g}"
    if state.breach_started_at is None:
        return AlertTransition.NONE, _state(AlertStatus.INACTIVE, at), why
    held = _span(at - state.breach_started_at)
    ended = f"{why}: breach ended after {held}, short of {_span(rule.for_)}"
    return AlertTransition.RESET, _state(AlertStatus.INACTIVE, at), ended


def _firing(rule: AlertRule, state: AlertState, score: float, at: datetime, gap: str) -> _Outcome:
    """Any score while firing: hysteresis, then ``keep_firing_for``."""
    if score < rule.clear_at:
        still = f"score {score:g} < clear_at {rule.clear_at:g}: still firing"
        firing = _state(AlertStatus.FIRING, at, state.breach_started_at, state.fired_at)
        return AlertTransition.NONE, firing, still
    why = f"score {score:g} >= clear_at {rule.clear_at:g}"
    if rule.keep_firing_for == timedelta(0):
        return AlertTransition.RESOLVED, _state(AlertStatus.INACTIVE, at), f"{why}: resolved"
    restarted = state.cleared_condition_at is not None and bool(gap)
    since = state.cleared_condition_at
    if since is None or restarted:
        since = at
    if restarted:
        why = f"{gap}: keep-firing clock restarted; {why}"
    cleared = f"{why} for {_span(at - since)}"
    keep = _span(rule.keep_firing_for)
    if at - since >= rule.keep_firing_for:
        resolved = f"{cleared} >= keep_firing_for {keep}: resolved"
        return AlertTransition.RESOLVED, _state(AlertStatus.INACTIVE, at), resolved
    firing = _state(AlertStatus.FIRING, at, state.breach_started_at, state.fired_at, since)
    return AlertTransition.NONE, firing, f"{cleared} of keep_firing_for {keep}: still firing"


def evaluate(rule: AlertRule, state: AlertState, score: SupportsFloat, at: datetime) -> AlertStep:
    """Evaluate one score at ``at``: the next state and what changed (MISSION H1).

    Pure: store ``step.state`` and pass it to the next call. ``at`` must be aware and
    not earlier than the state's last evaluation (``EvaluationOutOfOrder``); the score
    must be finite (``InvalidEvaluation``).

    >>> from datetime import UTC, datetime, timedelta
    >>> rule, state = AlertRule(), AlertState.initial()
    >>> t0 = datetime(2026, 11, 11, tzinfo=UTC)
    >>> for hour, score in enumerate([70, 64, 63, 62]):
    ...     step = evaluate(rule, state, score, t0 + timedelta(hours=hour))
    ...     state = step.state
    ...     print(step.transition.value, "-", step.reason)
    none - score 70 >= threshold 65
    pending - score 64 < threshold 65: fires after 2h if it holds
    none - score 63 < threshold 65 for 1h of 2h
    fired - score 62 < threshold 65 for 2h >= for 2h: fired
    """
    at = require_aware(at, "at")
    value = float(score)
    if not math.isfinite(value):
        raise InvalidEvaluation(f"score {score!r} is not a finite number: pass a 0-100 score")
    last = state.last_evaluated_at
    if last is not None and at < last:
        raise EvaluationOutOfOrder(at, last)
    gap = ""
    if last is not None and at - last > rule.gap_tolerance:
        gap = f"gap of {_span(at - last)} > max gap {_span(rule.gap_tolerance)}"
    if state.status is AlertStatus.FIRING:
        outcome = _firing(rule, state, value, at, gap)
    elif value < rule.threshold:
        outcome = _breaching(rule, state, value, at, gap)
    else:
        outcome = _healthy(rule, state, value, at)
    transition, new_state, reason = outcome
    return AlertStep(at, value, transition, reason, new_state, state)


def evaluate_many(
    rule: AlertRule,
    state: AlertState,
    samples: Iterable[tuple[datetime, SupportsFloat]],
    *,
    every_step: bool = False,
) -> AlertReplay:
    """Fold :func:`evaluate` over ``(at, score)`` samples in time order.

    Returns the final state and the steps whose transition is not ``NONE`` (every step
    with ``every_step=True``): replay stored history, or drive a test.
    """
    steps = []
    for at, score in samples:
        step = evaluate(rule, state, score, at)
        state = step.state
        if every_step or step.transition is not AlertTransition.NONE:
            steps.append(step)
    return AlertReplay(state, tuple(steps))


def timeline(steps: Iterable[AlertStep]) -> str:
    """Render steps as an ASCII timeline: one column per evaluation.

    Rows: the time (``HH:MM``, with the date when the steps span several days), the
    score, the status after the evaluation and the transition, if any.
    """
    kept = list(steps)
    several_days = len({step.at.date() for step in kept}) > 1
    rows = {
        "time": [step.at.strftime("%m-%d %H:%M" if several_days else "%H:%M") for step in kept],
        "score": [f"{step.score:g}" for step in kept],
        "status": [step.state.status.value for step in kept],
        "change": [
            "" if step.transition is AlertTransition.NONE else step.transition.value
            for step in kept
        ],
    }
    width = max((len(cell) for cells in rows.values() for cell in cells), default=0) + 1
    return "\n".join(
        (f"{label:<6}" + "".join(cell.rjust(width) for cell in cells)).rstrip()
        for label, cells in rows.items()
    )
