"""The order health score: signals in, a 0-100 score with its explanation out (MISSION H1).

:func:`score` is a pure function of the signals, the scorecard and ``now``. Each
dimension's raw signal is normalised to [0, 1] and weighted; the score is 100 times the
weighted sum, then the caps whose condition holds bound it, and the band names it.
:func:`score_many` streams the same over many orders. A :class:`SignalProvider` supplies
one dimension's signal from the host's order (a rule, a query or a learned model), and
:func:`gather_signals` collects a mapping from several.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import NamedTuple, Protocol, TypeVar

from orderkit.clock import require_aware
from orderkit.errors import InvalidSignal, NoSignals
from orderkit.health._scorecard import Cap, CompiledCard, Scorecard, SignalValue, hours_since

__all__ = [
    "AppliedCap",
    "Contribution",
    "HealthReport",
    "SignalProvider",
    "gather_signals",
    "score",
    "score_many",
]

K = TypeVar("K")
T = TypeVar("T")
OrderT_contra = TypeVar("OrderT_contra", contravariant=True)


class Contribution(NamedTuple):
    """What one dimension added to the score.

    ``raw`` is the signal as given (``None`` when missing); ``normalised`` is its value
    in [0, 1] (the neutral value for a missing signal under the ``neutral`` policy,
    ``None`` under ``renormalise``); ``weight`` is its effective share of the score and
    ``points`` = 100 × weight × normalised.
    """

    dimension: str
    raw: SignalValue | None
    normalised: float | None
    weight: float
    points: float


class AppliedCap(NamedTuple):
    """A cap whose condition held: its dimension, the measured signal and the cap itself."""

    dimension: str
    measure: float
    """The raw signal as the condition read it (hours, for a datetime)."""
    cap: Cap

    @property
    def reason(self) -> str:
        """Why the cap exists, e.g. ``"payment overdue more than 3 days"``."""
        return self.cap.reason

    def __str__(self) -> str:
        cap = self.cap
        return (
            f"at most {cap.max_score:g}: {cap.reason} "
            f"({self.dimension} {self.measure:g} {cap.op} {cap.value:g})"
        )


class HealthReport(NamedTuple):
    """An order's health score and everything needed to explain it.

    ``score`` is the final 0-100 score and ``uncapped`` the weighted sum before caps,
    both rounded to 6 decimal places so that float noise never moves a score across a
    band line. ``caps`` lists every cap whose condition held (the score is at most the
    lowest of them). ``raw`` and ``normalised`` hold each dimension's signal and value in
    the card's order; the derived views (:attr:`contributions`, :attr:`missing`) are built
    only when asked for.
    """

    score: float
    band: str
    uncapped: float
    caps: tuple[AppliedCap, ...]
    card: Scorecard
    raw: tuple[SignalValue | None, ...]
    normalised: tuple[float | None, ...]
    """Per dimension, the signal in [0, 1]; ``None`` where it is missing."""
    weight_scale: float
    """The factor on each present dimension's share: 1 unless missing ones were
    renormalised away."""

    @property
    def card_name(self) -> str:
        """The scorecard's name."""
        return self.card.name

    @property
    def card_version(self) -> str:
        """The scorecard's version."""
        return self.card.version

    @property
    def policy(self) -> str:
        """The missing-signal policy used: ``"renormalise"`` or ``"neutral"``."""
        return self.card.missing

    @property
    def missing(self) -> tuple[str, ...]:
        """The dimensions that had no signal, in the card's order."""
        names = self.card.compiled.names
        return tuple(name for name, raw in zip(names, self.raw, strict=True) if raw is None)

    @property
    def contributions(self) -> tuple[Contribution, ...]:
        """Every dimension's contribution, in the card's order; the points sum to
        :attr:`uncapped` (before its rounding to 6 places)."""
        plan = self.card.compiled
        rows = []
        for name, share, raw, given in zip(
            plan.names, plan.shares, self.raw, self.normalised, strict=True
        ):
            unit, weight = given, share * self.weight_scale
            if given is None:
                unit, weight = plan.neutral, 0.0 if plan.neutral is None else share
            points = 0.0 if unit is None else 100.0 * weight * unit
            rows.append(Contribution(name, raw, unit, weight, points))
        return tuple(rows)

    def explain(self) -> str:
        """A table of the contributions, then the score, band, caps and missing signals."""
        header = ("dimension", "signal", "value", "weight", "points")
        rows = [
            (
                c.dimension,
                _signal_text(c.raw),
                "-" if c.normalised is None else f"{c.normalised:.3f}",
                f"{c.weight:.3f}",
                f"{c.points:.2f}",
            )
            for c in self.contributions
        ]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        lines = [
            "  ".join(
                cell.ljust(widths[i]) if i < 2 else cell.rjust(widths[i])
                for i, cell in enumerate(row)
            ).rstrip()
            for row in [header, *rows]
        ]
        lines.append(
            f"score {self.score:.1f} ({self.band}), card {self.card_name} v{self.card_version}"
        )
        lines.extend(f"capped {cap}" for cap in self.caps)
        if self.caps:
            lines.append(f"before caps {self.uncapped:.1f}")
        if self.missing:
            how = (
                "renormalised"
                if self.policy == "renormalise"
                else f"neutral {self.card.neutral_value:g}"
            )
            lines.append(f"missing ({how}): {', '.join(self.missing)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.explain()

    def __repr__(self) -> str:
        return (
            f"HealthReport(score={self.score!r}, band={self.band!r}, "
            f"card={self.card_name!r}, version={self.card_version!r})"
        )


def _signal_text(raw: SignalValue | None) -> str:
    if raw is None:
        return "-"
    if isinstance(raw, datetime):
        return raw.isoformat(sep=" ", timespec="minutes")
    if isinstance(raw, bool):
        return str(raw).lower()
    return f"{raw:g}"


def score(
    signals: Mapping[str, SignalValue | None], card: Scorecard, now: datetime
) -> HealthReport:
    """Score one order's ``signals`` with ``card`` at ``now`` (MISSION H1).

    Signals are keyed by dimension name; ``None`` or an absent key is a missing signal,
    and keys the card does not know are ignored. A signal its normaliser cannot read
    raises :class:`~orderkit.errors.InvalidSignal`; under the ``renormalise`` policy, an
    order with no signal at all raises :class:`~orderkit.errors.NoSignals`.

    >>> from datetime import UTC
    >>> card = Scorecard.load({
    ...     "name": "mto", "version": "1",
    ...     "dimensions": [
    ...         {"name": "kitting", "weight": 3,
    ...          "normaliser": {"kind": "linear", "worst": 0.5, "best": 1}},
    ...         {"name": "address_valid", "weight": 1, "normaliser": {"kind": "boolean"}},
    ...     ],
    ... })
    >>> report = score({"kitting": 0.75, "address_valid": True}, card,
    ...                datetime(2026, 11, 11, tzinfo=UTC))
    >>> report.score, report.band
    (62.5, 'at_risk')
    """
    return _score(signals, card, card.compiled, require_aware(now, "now"))


def score_many(
    items: Iterable[tuple[K, Mapping[str, SignalValue | None]]], card: Scorecard, now: datetime
) -> Iterator[tuple[K, HealthReport]]:
    """Score a stream of ``(key, signals)`` pairs, yielding ``(key, report)`` as it goes.

    Nothing is held beyond the current item, so the input may be a generator over a
    whole table. An unreadable signal raises at its item, ending the stream there.
    """
    plan = card.compiled
    now = require_aware(now, "now")
    for key, signals in items:
        yield key, _score(signals, card, plan, now)


def _score(
    signals: Mapping[str, SignalValue | None],
    card: Scorecard,
    plan: CompiledCard,
    now: datetime,
) -> HealthReport:
    raw = tuple(map(signals.get, plan.names))
    normalised: list[float | None] = []
    append = normalised.append
    total = present = absent = 0.0
    try:
        for value, normalise, share in zip(raw, plan.functions, plan.shares, strict=True):
            if value is None:
                append(None)
                absent += share
            else:
                unit = normalise(value, now)
                append(unit)
                total += share * unit
                present += share
    except TypeError:
        failed = len(normalised)
        raise InvalidSignal(plan.names[failed], raw[failed], plan.expects[failed]) from None
    scale = 1.0
    if plan.neutral is not None:
        total += absent * plan.neutral
    elif not present:
        raise NoSignals(card.name)
    elif absent:
        scale = 1.0 / present
    points = 100.0 * total * scale
    uncapped = round(100.0 if points > 100.0 else points, 6)
    final = uncapped
    applied: tuple[AppliedCap, ...] = ()
    for index, compare, limit, cap in plan.caps:
        value = raw[index]
        if value is None:
            continue
        measure = hours_since(value, now) if isinstance(value, datetime) else value
        if compare(measure, limit):
            applied += (AppliedCap(plan.names[index], measure, cap),)
            final = min(final, cap.max_score)
    band = plan.bands[-1][1]
    for floor, name in plan.bands:
        if final >= floor:
            band = name
            break
    return HealthReport(final, band, uncapped, applied, card, raw, tuple(normalised), scale)


class SignalProvider(Protocol[OrderT_contra]):
    """Supplies one dimension's signal from the host's order (MISSION H1).

    Anything with a ``dimension`` name and a ``signal(order)`` method fits: a rule over
    the host's tables, a call to another service, a learned model. Return ``None`` when
    the signal is not known for this order.

    >>> class Kitting:
    ...     dimension = "supplier_kitting_rate"
    ...     def signal(self, order: dict[str, int]) -> float | None:
    ...         return order["arrived"] / order["needed"] if order["needed"] else None
    >>> gather_signals({"arrived": 9, "needed": 12}, [Kitting()])
    {'supplier_kitting_rate': 0.75}
    """

    @property
    def dimension(self) -> str:
        """The name of the dimension this provider supplies."""
        ...

    def signal(self, order: OrderT_contra) -> SignalValue | None:
        """The raw signal for ``order``, or ``None`` if it is not known."""
        ...


def gather_signals(order: T, providers: Iterable[SignalProvider[T]]) -> dict[str, SignalValue]:
    """The signals of ``order`` from ``providers``, keyed by dimension.

    Providers are asked in order, and the first to return a value for a dimension wins:
    list a preferred provider (say, a model) before its fallback (a rule). Once a
    dimension has a value, later providers of it are not called. Dimensions no provider
    knows are absent, which :func:`score` treats as missing.
    """
    signals: dict[str, SignalValue] = {}
    for provider in providers:
        dimension = provider.dimension
        if dimension not in signals:
            value = provider.signal(order)
            if value is not None:
                signals[dimension] = value
    return signals
