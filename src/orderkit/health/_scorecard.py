"""Scorecards: the weighted dimensions of the order health score, as data (MISSION H1).

A :class:`Scorecard` lists its dimensions. Each has a weight and a normaliser that maps
the dimension's raw signal to [0, 1]: linear between two bounds, steps, lateness decay
or a boolean. Optional caps bound the score when a raw signal crosses a line, and bands
name score ranges. Load a card from a dict, JSON or YAML with :meth:`Scorecard.load`,
:meth:`Scorecard.from_json` or :meth:`Scorecard.from_yaml`; every problem is reported at
once, each naming its field (:class:`~orderkit.errors.ScorecardInvalid`).

A card compiles once, on first use, into plain tuples and closures
(:attr:`Scorecard.compiled`), so scoring an order is one tight loop.
"""

from __future__ import annotations

import operator
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cached_property
from itertools import pairwise
from math import isnan
from typing import Annotated, Any, ClassVar, Literal, Self, TypeAlias

import attrs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from orderkit._loading import Loadable
from orderkit.clock import require_aware
from orderkit.errors import InvalidSignal, ScorecardInvalid, ScorecardProblem

__all__ = [
    "DEFAULT_BANDS",
    "Band",
    "BooleanNormaliser",
    "Cap",
    "CompiledCard",
    "Dimension",
    "LatenessNormaliser",
    "LinearNormaliser",
    "NormaliseFn",
    "Normaliser",
    "Scorecard",
    "SignalValue",
    "Step",
    "StepNormaliser",
    "hours_since",
]

SignalValue: TypeAlias = float | int | bool | datetime
"""A raw signal: a number, a bool, or an aware datetime (for lateness against ``now``)."""

NormaliseFn: TypeAlias = Callable[[Any, datetime], float]
"""A compiled normaliser, ``(raw signal, now) -> [0, 1]``.

A signal of the wrong type raises ``TypeError``, which :func:`score` reports as
:class:`~orderkit.errors.InvalidSignal`; NaN raises ``InvalidSignal`` itself.
"""

Finite: TypeAlias = Annotated[float, Field(allow_inf_nan=False)]
Unit: TypeAlias = Annotated[Finite, Field(ge=0, le=1)]
Points: TypeAlias = Annotated[Finite, Field(ge=0, le=100)]


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def hours_since(moment: datetime, now: datetime, what: str = "signal datetime") -> float:
    """Hours from ``moment`` to ``now``: how late a due datetime is (negative: not yet due).

    A naive ``moment`` raises :class:`~orderkit.errors.NaiveDatetime`, naming it ``what``.

    >>> hours_since(datetime(2026, 11, 10, 12, tzinfo=UTC), datetime(2026, 11, 11, tzinfo=UTC))
    12.0
    """
    if moment.tzinfo is not UTC:
        moment = require_aware(moment, what)
    return (now - moment).total_seconds() / 3600.0


class _Normaliser(_Config):
    expects: ClassVar[str] = "a number"
    """What the normaliser reads, for :class:`~orderkit.errors.InvalidSignal`."""

    def function(self, dimension: str) -> NormaliseFn:
        """The compiled normaliser for ``dimension`` (named in the errors it raises)."""
        raise NotImplementedError

    def normalise(self, value: SignalValue, now: datetime) -> float:
        """``value`` mapped to [0, 1] at ``now``; outside the bounds it is clamped."""
        try:
            return self.function("value")(value, require_aware(now, "now"))
        except TypeError:
            raise InvalidSignal("value", value, self.expects) from None


class LinearNormaliser(_Normaliser):
    """0 at ``worst``, 1 at ``best``, a straight line between, clamped outside.

    Either direction: with ``worst`` above ``best``, smaller signals score higher.

    >>> now = datetime(2026, 11, 11, tzinfo=UTC)
    >>> LinearNormaliser(worst=0.5, best=1.0).normalise(0.75, now)
    0.5
    >>> LinearNormaliser(worst=1.0, best=0.5).normalise(0.625, now)
    0.75
    """

    kind: Literal["linear"] = "linear"
    worst: Finite
    best: Finite

    @field_validator("best")
    @classmethod
    def _distinct(cls, best: float, info: ValidationInfo) -> float:
        if best == info.data.get("worst"):
            raise ValueError(f"best ({best:g}) must differ from worst: the line has no slope")
        return best

    def function(self, dimension: str) -> NormaliseFn:
        """The compiled normaliser for ``dimension`` (named in the errors it raises)."""
        worst, span, expects = self.worst, self.best - self.worst, self.expects

        def linear(raw: Any, now: datetime) -> float:
            unit: float = (raw - worst) / span
            if unit >= 1.0:
                return 1.0
            if unit > 0.0:
                return unit
            if unit <= 0.0:
                return 0.0
            raise InvalidSignal(dimension, raw, expects)

        return linear


class Step(_Config):
    """One step of a :class:`StepNormaliser`: signals from ``at`` upwards score ``value``."""

    at: Finite
    value: Unit


class StepNormaliser(_Normaliser):
    """The value of the highest step at or below the signal; ``below`` under the first.

    >>> conflicts = StepNormaliser(steps=[Step(at=0, value=1), Step(at=1, value=0.5),
    ...                                   Step(at=3, value=0)])
    >>> now = datetime(2026, 11, 11, tzinfo=UTC)
    >>> [conflicts.normalise(n, now) for n in (0, 1, 2, 3, 9)]
    [1.0, 0.5, 0.5, 0.0, 0.0]
    """

    kind: Literal["step"] = "step"
    steps: tuple[Step, ...] = Field(min_length=1)
    below: Unit = 0.0

    @field_validator("steps")
    @classmethod
    def _ascending(cls, steps: tuple[Step, ...]) -> tuple[Step, ...]:
        for before, after in pairwise(steps):
            if after.at <= before.at:
                raise ValueError(
                    f"steps must be in strictly ascending order of 'at': {after.at:g} comes "
                    f"after {before.at:g}"
                )
        return steps

    def function(self, dimension: str) -> NormaliseFn:
        """The compiled normaliser for ``dimension`` (named in the errors it raises)."""
        starts = tuple(step.at for step in self.steps)
        values = (self.below, *(step.value for step in self.steps))
        expects = self.expects

        def step(raw: Any, now: datetime) -> float:
            if isnan(raw):
                raise InvalidSignal(dimension, raw, expects)
            return values[bisect_right(starts, raw)]

        return step


class LatenessNormaliser(_Normaliser):
    """Full marks until ``grace_hours`` late, then a straight decline to 0 over ``decay_hours``.

    The signal is how late something is, in hours (negative: early), or the due datetime
    itself, whose lateness is ``now - due``.

    >>> payment = LatenessNormaliser(decay_hours=72)
    >>> now = datetime(2026, 11, 11, tzinfo=UTC)
    >>> payment.normalise(datetime(2026, 11, 12, tzinfo=UTC), now)
    1.0
    >>> payment.normalise(datetime(2026, 11, 10, tzinfo=UTC), now), payment.normalise(36, now)
    (0.6666666666666666, 0.5)
    """

    kind: Literal["lateness"] = "lateness"
    grace_hours: Annotated[Finite, Field(ge=0)] = 0.0
    decay_hours: Annotated[Finite, Field(gt=0)]
    expects: ClassVar[str] = "hours late (a number) or an aware due datetime"

    def function(self, dimension: str) -> NormaliseFn:
        """The compiled normaliser for ``dimension`` (named in the errors it raises)."""
        grace, span, expects = self.grace_hours, self.decay_hours, self.expects
        end = grace + span
        what = f"signal {dimension!r}"

        def lateness(raw: Any, now: datetime) -> float:
            hours: float = hours_since(raw, now, what) if isinstance(raw, datetime) else raw
            if hours <= grace:
                return 1.0
            if hours >= end:
                return 0.0
            if hours < end:
                return (end - hours) / span
            raise InvalidSignal(dimension, raw, expects)

        return lateness


class BooleanNormaliser(_Normaliser):
    """1 when the signal equals ``good``, 0 when it is the opposite.

    >>> now = datetime(2026, 11, 11, tzinfo=UTC)
    >>> BooleanNormaliser().normalise(True, now), BooleanNormaliser(good=False).normalise(True, now)
    (1.0, 0.0)
    """

    kind: Literal["boolean"] = "boolean"
    good: bool = True
    expects: ClassVar[str] = "a bool"

    def function(self, dimension: str) -> NormaliseFn:
        """The compiled normaliser for ``dimension`` (named in the errors it raises)."""
        good, bad, expects = self.good, not self.good, self.expects

        def boolean(raw: Any, now: datetime) -> float:
            if raw == good:
                return 1.0
            if raw == bad:
                return 0.0
            raise InvalidSignal(dimension, raw, expects)

        return boolean


Normaliser: TypeAlias = Annotated[
    LinearNormaliser | StepNormaliser | LatenessNormaliser | BooleanNormaliser,
    Field(discriminator="kind"),
]
"""Any normaliser, told apart by ``kind``: ``linear``, ``step``, ``lateness``, ``boolean``."""

_COMPARE: Mapping[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


class Cap(_Config):
    """A hard limit: while the dimension's raw signal satisfies ``op value``, the score is
    at most ``max_score``, whatever the weighted sum says.

    The condition reads the raw signal as given: a number as is, a bool as 1 or 0, and a
    datetime as the hours from it to ``now`` (how overdue a due datetime is). A missing
    signal triggers no cap.
    """

    op: Literal[">", ">=", "<", "<=", "==", "!="]
    value: Finite
    max_score: Points
    reason: str = Field(min_length=1)


class Dimension(_Config):
    """One weighted dimension of a scorecard.

    ``weight`` is any positive number: the card divides each weight by their sum, so
    percentages, ``3 : 2 : 1`` and fractions all work (see :attr:`Scorecard.weights`).
    ``description`` says what the signal is, its unit and why it is normalised so.
    """

    name: str = Field(min_length=1, pattern=r"^\S+$")
    weight: Annotated[Finite, Field(gt=0)]
    normaliser: Normaliser
    description: str = ""
    caps: tuple[Cap, ...] = ()


class Band(_Config):
    """A named score range: from ``min_score`` up to the next band's ``min_score``."""

    name: str = Field(min_length=1)
    min_score: Points


DEFAULT_BANDS = (
    Band(name="healthy", min_score=80),
    Band(name="watch", min_score=65),
    Band(name="at_risk", min_score=0),
)
"""Healthy at 80 and above, watch from 65, at risk below 65: the H1 alert line."""


class Scorecard(_Config, Loadable):
    """A versioned set of weighted dimensions, with caps, bands and a missing-signal policy.

    ``missing`` says what a dimension without a signal does:

    - ``"renormalise"`` (the default): it drops out and the present dimensions' weights
      are scaled up to sum to 1 again, so the score rests on what is known;
    - ``"neutral"``: it scores ``neutral_value`` (0.5 by default) at its full weight.

    ``bands`` run from the highest ``min_score`` down; the last starts at 0, so every
    score has a band.

    >>> card = Scorecard.load({
    ...     "name": "mto", "version": "1",
    ...     "dimensions": [
    ...         {"name": "kitting", "weight": 3,
    ...          "normaliser": {"kind": "linear", "worst": 0.5, "best": 1}},
    ...         {"name": "address_valid", "weight": 1, "normaliser": {"kind": "boolean"}},
    ...     ],
    ... })
    >>> card.weights
    {'kitting': 0.75, 'address_valid': 0.25}
    """

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    dimensions: tuple[Dimension, ...] = Field(min_length=1)
    bands: tuple[Band, ...] = Field(default=DEFAULT_BANDS, min_length=1)
    missing: Literal["renormalise", "neutral"] = "renormalise"
    neutral_value: Unit = 0.5

    @field_validator("dimensions")
    @classmethod
    def _unique(cls, dimensions: tuple[Dimension, ...]) -> tuple[Dimension, ...]:
        counts = Counter(d.name for d in dimensions)
        twice = sorted(name for name, n in counts.items() if n > 1)
        if twice:
            raise ValueError(f"dimension names must be unique; repeated: {', '.join(twice)}")
        return dimensions

    @field_validator("bands")
    @classmethod
    def _ordered(cls, bands: tuple[Band, ...]) -> tuple[Band, ...]:
        for higher, lower in pairwise(bands):
            if lower.min_score >= higher.min_score:
                raise ValueError(
                    f"bands must run from the highest min_score down: {lower.name!r} "
                    f"({lower.min_score:g}) follows {higher.name!r} ({higher.min_score:g})"
                )
        if len({band.name for band in bands}) < len(bands):
            raise ValueError("band names must be unique")
        if bands[-1].min_score != 0:
            raise ValueError(
                f"the last band, {bands[-1].name!r}, must start at 0 so that every score has "
                f"a band; it starts at {bands[-1].min_score:g}"
            )
        return bands

    @cached_property
    def weights(self) -> dict[str, float]:
        """Each dimension's share of the score: its weight over the sum of all weights."""
        total = sum(d.weight for d in self.dimensions)
        return {d.name: d.weight / total for d in self.dimensions}

    @cached_property
    def compiled(self) -> CompiledCard:
        """The card as plain tuples and closures, built on first use and kept."""
        return CompiledCard.build(self)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy, with ``update`` applied unvalidated (as pydantic does); the copy compiles
        afresh, so it never scores with the original's weights or policy."""
        copied = super().model_copy(update=update, deep=deep)
        for derived in ("weights", "compiled"):
            copied.__dict__.pop(derived, None)
        return copied

    @classmethod
    def _refused(cls, invalid: ValidationError, data: Mapping[str, Any]) -> Exception:
        return ScorecardInvalid(_problems(invalid, data))

    @classmethod
    def _unparsable(cls, reason: str) -> Exception:
        return ScorecardInvalid([ScorecardProblem("", reason)])


@attrs.frozen
class CompiledCard:
    """A scorecard ready to score with: the loop's data as flat tuples."""

    names: tuple[str, ...]
    shares: tuple[float, ...]
    """Each dimension's share of the score."""
    functions: tuple[NormaliseFn, ...]
    expects: tuple[str, ...]
    """What each normaliser reads, for the error when it cannot."""
    caps: tuple[tuple[int, Callable[[Any, Any], bool], float, Cap], ...]
    """Per cap: its dimension's index, the comparison, the value compared with, the cap."""
    bands: tuple[tuple[float, str], ...]
    neutral: float | None
    """The value of a missing signal, or ``None`` when missing signals are renormalised."""

    @classmethod
    def build(cls, card: Scorecard) -> CompiledCard:
        """Compile ``card``."""
        return cls(
            names=tuple(card.weights),
            shares=tuple(card.weights.values()),
            functions=tuple(d.normaliser.function(d.name) for d in card.dimensions),
            expects=tuple(d.normaliser.expects for d in card.dimensions),
            caps=tuple(
                (index, _COMPARE[cap.op], cap.value, cap)
                for index, d in enumerate(card.dimensions)
                for cap in d.caps
            ),
            bands=tuple((band.min_score, band.name) for band in card.bands),
            neutral=card.neutral_value if card.missing == "neutral" else None,
        )


_KINDS = frozenset({"linear", "step", "lateness", "boolean"})


def _problems(invalid: ValidationError, data: Mapping[str, Any]) -> list[ScorecardProblem]:
    raw = data.get("dimensions") if isinstance(data, Mapping) else None
    errors = invalid.errors()
    # pydantic counts only the valid items towards a minimum length, so a tuple whose
    # items failed is also "too short"; the items' own problems say it better.
    parents = {error["loc"][:n] for error in errors for n in range(1, len(error["loc"]))}
    return [
        ScorecardProblem(_path(error["loc"], raw), error["msg"].removeprefix("Value error, "))
        for error in errors
        if not (error["type"] == "too_short" and error["loc"] in parents)
    ]


def _path(loc: tuple[int | str, ...], raw_dimensions: object) -> str:
    """``loc`` as a dotted path, dimensions named: ``dimensions[kitting].normaliser.best``."""
    parts: list[str] = []
    for n, part in enumerate(loc):
        if isinstance(part, int):
            name = part
            if loc[:n] == ("dimensions",) and isinstance(raw_dimensions, list | tuple):
                given = raw_dimensions[part] if part < len(raw_dimensions) else None
                if isinstance(given, Mapping) and isinstance(given.get("name"), str):
                    name = given["name"] or part
            parts[-1] += f"[{name}]"
        elif not (n and loc[n - 1] == "normaliser" and part in _KINDS):
            parts.append(str(part))
    return ".".join(parts)
