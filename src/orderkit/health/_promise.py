"""Delivery promise: ETA from same-route history and warehouse load (MISSION H6).

A :class:`PromiseModel` keeps historical lead times (order creation to delivery) per
route, per destination and overall. :meth:`PromiseModel.eta` takes a quantile (P90 by
default) of the narrowest of those with enough samples and stretches it by the current
warehouse load; :func:`promise_accuracy` measures how often promises were kept.

.. versionadded:: 0.1
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from typing import Annotated, NamedTuple

import attrs
from pydantic import Field, PositiveInt

from orderkit.clock import require_aware
from orderkit.errors import InvalidMetricInput, NoLeadTimeHistory
from orderkit.health._metrics import nearest_rank, overdue, span
from orderkit.lifecycle.policies._models import PolicyConfig

__all__ = [
    "Eta",
    "EtaBasis",
    "LeadTime",
    "PromiseAccuracy",
    "PromiseModel",
    "PromisePolicy",
    "Route",
    "promise_accuracy",
]

_Ratio = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]


class PromisePolicy(PolicyConfig):
    """How a promise is computed; the defaults are documented choices (the seed gives none).

    The ETA is the ``quantile`` (nearest rank) of the lead times of the narrowest key with
    at least ``min_samples``, times ``1 + load_factor × max(0, load − load_baseline)``.
    Each key keeps its ``max_samples`` most recent samples.

    >>> PromisePolicy.from_dict({"quantile": "0.95", "min_samples": 50}).quantile
    Decimal('0.95')
    """

    quantile: Annotated[Decimal, Field(gt=0, le=1, allow_inf_nan=False)] = Decimal("0.9")
    min_samples: PositiveInt = 30
    max_samples: PositiveInt = 1000
    load_baseline: _Ratio = Decimal("0.8")
    """The warehouse load (0 idle, 1 at capacity) up to which lead times are not stretched."""
    load_factor: _Ratio = Decimal(1)
    """How much each unit of load above the baseline stretches the lead time."""


class Route(NamedTuple):
    """Where an order ships from and to: the origin warehouse and the destination province."""

    origin: str
    destination: str

    def __str__(self) -> str:
        return f"{self.origin}->{self.destination}"


class LeadTime(NamedTuple):
    """One historical sample: a delivered order's route and creation-to-delivery time."""

    route: Route
    lead_time: timedelta


class EtaBasis(StrEnum):
    """Which samples an ETA was taken from, narrowest first."""

    ROUTE = "route"
    """Same origin and destination."""
    DESTINATION = "destination"
    """Same destination, any origin: the route had fewer than ``min_samples``."""
    GLOBAL = "global"
    """Every sample: the destination had fewer than ``min_samples`` too."""


@attrs.frozen
class Eta:
    """A delivery promise and how it was made (H6)."""

    route: Route
    promised_at: datetime
    lead_time: timedelta
    """The promised lead time: ``base_lead_time × multiplier``, rounded up to the µs."""
    base_lead_time: timedelta
    """The quantile of the samples, before the load adjustment."""
    basis: EtaBasis
    samples: int
    quantile: Decimal
    multiplier: Decimal

    def __str__(self) -> str:
        return (
            f"ETA {self.promised_at:%Y-%m-%d %H:%M} UTC for {self.route}: "
            f"P{float(self.quantile * 100):g} {span(self.base_lead_time)} of {self.samples} "
            f"{self.basis.value} samples x {self.multiplier:g} load = {span(self.lead_time)}"
        )


class _Window:
    """The most recent samples of one key, also kept sorted for quantiles."""

    __slots__ = ("_arrival", "_sorted")

    def __init__(self, size: int) -> None:
        self._arrival: deque[timedelta] = deque(maxlen=size)
        self._sorted: list[timedelta] = []

    def __len__(self) -> int:
        return len(self._sorted)

    def add(self, value: timedelta) -> None:
        if len(self._arrival) == self._arrival.maxlen:
            del self._sorted[bisect_left(self._sorted, self._arrival[0])]
        self._arrival.append(value)
        insort(self._sorted, value)

    def quantile(self, q: Decimal) -> timedelta:
        return nearest_rank(self._sorted, q)


_DEFAULT_POLICY = PromisePolicy()


class PromiseModel:
    """Historical lead times by route, by destination and overall (MISSION H6).

    Memory is bounded: every route, every destination and the global key keep at most
    ``policy.max_samples`` samples, the most recent in the order they were added (so the
    promise follows how routes perform now), each kept sorted for the quantile. The
    model is rebuilt after a restart from the same history with :meth:`build`.

    >>> from datetime import UTC
    >>> hangzhou = Route("WH-SH", "Zhejiang")
    >>> history = [LeadTime(hangzhou, timedelta(hours=h)) for h in range(20, 50)]
    >>> model = PromiseModel.build(history, PromisePolicy(min_samples=30))
    >>> print(model.eta(hangzhou, datetime(2026, 11, 11, tzinfo=UTC), load=Decimal("0.9")))
    ETA 2026-11-13 02:36 UTC for WH-SH->Zhejiang: P90 1d22h of 30 route samples x 1.1 load = 2d2h36m
    """

    def __init__(self, policy: PromisePolicy = _DEFAULT_POLICY) -> None:
        self.policy = policy
        self._routes: dict[Route, _Window] = {}
        self._destinations: dict[str, _Window] = {}
        self._global = _Window(policy.max_samples)

    @classmethod
    def build(
        cls, samples: Iterable[LeadTime], policy: PromisePolicy = _DEFAULT_POLICY
    ) -> PromiseModel:
        """A model holding ``samples``, added in the order given."""
        model = cls(policy)
        for route, lead_time in samples:
            model.add(route, lead_time)
        return model

    def add(self, route: Route, lead_time: timedelta) -> None:
        """Record one delivered order's lead time; a negative one raises ``InvalidMetricInput``."""
        if lead_time < timedelta(0):
            raise InvalidMetricInput(f"lead time {lead_time} on {route} is negative")
        size = self.policy.max_samples
        self._routes.setdefault(route, _Window(size)).add(lead_time)
        self._destinations.setdefault(route.destination, _Window(size)).add(lead_time)
        self._global.add(lead_time)

    def _samples(self, route: Route) -> tuple[EtaBasis, _Window]:
        for basis, window in (
            (EtaBasis.ROUTE, self._routes.get(route)),
            (EtaBasis.DESTINATION, self._destinations.get(route.destination)),
        ):
            if window is not None and len(window) >= self.policy.min_samples:
                return basis, window
        if not self._global:
            raise NoLeadTimeHistory(f"no lead-time samples at all: cannot promise {route}")
        return EtaBasis.GLOBAL, self._global

    def eta(self, route: Route, created_at: datetime, *, load: Decimal | float = 0) -> Eta:
        """Promise a delivery time for an order on ``route`` created at ``created_at``.

        ``load`` is the origin warehouse's current load (0 idle, 1 at capacity, above 1
        overloaded). The lead time is the policy's quantile of the route's samples, or,
        with fewer than ``min_samples`` there, of the destination's, or of all samples
        (used whatever their number; none at all raises
        :class:`~orderkit.errors.NoLeadTimeHistory`). ``Eta.basis`` says which.
        """
        created = require_aware(created_at, "created_at")
        level = Decimal(str(load)) if isinstance(load, float) else Decimal(load)
        if not level.is_finite() or level < 0:
            raise InvalidMetricInput(f"warehouse load {load} must be a finite number >= 0")
        p = self.policy
        basis, window = self._samples(route)
        base = window.quantile(p.quantile)
        multiplier = 1 + p.load_factor * max(Decimal(0), level - p.load_baseline)
        micros = Decimal(base // timedelta(microseconds=1)) * multiplier
        lead = timedelta(microseconds=int(micros.to_integral_value(ROUND_CEILING)))
        return Eta(route, created + lead, lead, base, basis, len(window), p.quantile, multiplier)


@attrs.frozen
class PromiseAccuracy:
    """The share of delivery promises kept (H6): delivered on or before the promised ETA."""

    judged: int
    kept: int
    pending: int
    """Undelivered orders whose promise has not passed yet: not in the rate."""

    @property
    def rate(self) -> float:
        """Kept promises over judged ones, in [0, 1] (0.0 when none can be judged)."""
        return self.kept / self.judged if self.judged else 0.0

    def __str__(self) -> str:
        return (
            f"{self.kept} of {self.judged} promises kept ({self.rate:.1%}); {self.pending} pending"
        )


def promise_accuracy(
    pairs: Iterable[tuple[datetime, datetime | None]], *, now: datetime | None = None
) -> PromiseAccuracy:
    """The promise accuracy over ``(promised_at, delivered_at)`` pairs (MISSION H6).

    A promise is kept when the delivery came on or before it. An undelivered order
    (``delivered_at`` is ``None``) has missed its promise once ``now`` is past it and is
    pending before; judging one without ``now`` raises
    :class:`~orderkit.errors.InvalidMetricInput`.

    >>> from datetime import UTC
    >>> eta = datetime(2026, 11, 13, tzinfo=UTC)
    >>> print(promise_accuracy([(eta, eta), (eta, eta + timedelta(minutes=1))]))
    1 of 2 promises kept (50.0%); 0 pending
    """
    judged = kept = pending = 0
    for promised_at, delivered_at in pairs:
        promised = require_aware(promised_at, "promised_at")
        delivered = None if delivered_at is None else require_aware(delivered_at, "delivered_at")
        missed = overdue(promised, delivered, now, timedelta(0))
        if missed is None:
            pending += 1
        else:
            judged += 1
            kept += not missed
    return PromiseAccuracy(judged, kept, pending)
