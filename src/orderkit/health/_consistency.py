"""Cross-system consistency: the count score and the record-level diff (MISSION H4).

:func:`consistency_score` compares how many orders each system (OMS, WMS, ERP, …)
holds for the same period: the smallest count over the largest, × 100, with a warning
below 98.5 by default. :func:`consistency_diff` names the orders behind the gap: each
order missing from some system, and the systems that do hold it.

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Annotated, NamedTuple

import attrs
from pydantic import Field

from orderkit.errors import InvalidMetricInput
from orderkit.lifecycle.policies._models import PolicyConfig

__all__ = [
    "ConsistencyDiff",
    "ConsistencyPolicy",
    "ConsistencyReport",
    "MissingOrder",
    "consistency_diff",
    "consistency_score",
]


class ConsistencyPolicy(PolicyConfig):
    """When the consistency score warns: strictly below ``warn_below`` (H4: 98.5)."""

    warn_below: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = 98.5


_DEFAULT_POLICY = ConsistencyPolicy()


@attrs.frozen
class ConsistencyReport:
    """The consistency score of per-system order counts (H4).

    ``score`` is ``100 × lowest / highest``, ``None`` when every count is zero (0/0: no
    orders anywhere, nothing to compare; no warning). ``lowest`` and ``highest`` name a
    system with that count (the first by name on ties).
    """

    counts: tuple[tuple[str, int], ...]
    """``(system, count)`` pairs sorted by system."""
    lowest: tuple[str, int]
    highest: tuple[str, int]
    score: float | None
    warn_below: float
    warning: bool

    def __str__(self) -> str:
        (low, low_count), (high, high_count) = self.lowest, self.highest
        if self.score is None:
            return f"consistency n/a: no orders in any of {len(self.counts)} systems"
        verdict = f"WARNING: below {self.warn_below:g}" if self.warning else "ok"
        return f"consistency {self.score:.2f} ({low} {low_count} / {high} {high_count}): {verdict}"


def consistency_score(
    counts: Mapping[str, int], *, policy: ConsistencyPolicy = _DEFAULT_POLICY
) -> ConsistencyReport:
    """Score how well per-system order counts agree (MISSION H4).

    ``warning`` is exact: ``100 × lowest < warn_below × highest`` in rational arithmetic,
    so 985 of 1000 (98.5) does not warn and 984 does. A negative count, or no system at
    all, raises :class:`~orderkit.errors.InvalidMetricInput`.

    >>> print(consistency_score({"oms": 1000, "wms": 985, "erp": 1000}))
    consistency 98.50 (wms 985 / erp 1000): ok
    >>> print(consistency_score({"oms": 1000, "wms": 984}))
    consistency 98.40 (wms 984 / oms 1000): WARNING: below 98.5
    """
    pairs = tuple(sorted(counts.items()))
    if not pairs:
        raise InvalidMetricInput("no systems to compare: pass at least one system's count")
    negative = [f"{system} {count}" for system, count in pairs if count < 0]
    if negative:
        raise InvalidMetricInput(f"order counts cannot be negative: {', '.join(negative)}")
    lowest = min(pairs, key=lambda p: p[1])
    highest = max(pairs, key=lambda p: p[1])
    if highest[1] == 0:
        return ConsistencyReport(pairs, lowest, highest, None, policy.warn_below, False)
    warning = 100 * lowest[1] < Fraction(policy.warn_below) * highest[1]
    score = 100 * lowest[1] / highest[1]
    return ConsistencyReport(pairs, lowest, highest, score, policy.warn_below, warning)


class MissingOrder(NamedTuple):
    """An order some systems hold and others do not."""

    order_id: str
    missing_from: tuple[str, ...]
    present_in: tuple[str, ...]

    def __str__(self) -> str:
        return (
            f"{self.order_id}: missing from {', '.join(self.missing_from)} "
            f"(in {', '.join(self.present_in)})"
        )


@attrs.frozen
class ConsistencyDiff:
    """The orders that are not in every system, by order id (H4)."""

    systems: tuple[str, ...]
    """Every system compared, sorted."""
    counts: tuple[tuple[str, int], ...]
    """``(system, distinct order ids)`` pairs: pass ``dict(diff.counts)`` to the score."""
    missing: tuple[MissingOrder, ...]
    """Sorted by order id; systems inside each entry sorted by name."""

    def missing_from(self, system: str) -> frozenset[str]:
        """The ids held by some other system but not by ``system``."""
        return frozenset(m.order_id for m in self.missing if system in m.missing_from)

    def __str__(self) -> str:
        if not self.missing:
            return f"all {len(self.systems)} systems hold the same orders"
        return "\n".join(map(str, self.missing))


def consistency_diff(ids_by_system: Mapping[str, Iterable[str]]) -> ConsistencyDiff:
    """Name the orders missing from each system (MISSION H4).

    Each system's ids are taken as a set (an id listed twice by one system counts once).
    Memory grows with the number of distinct ids. No system at all raises
    :class:`~orderkit.errors.InvalidMetricInput`.

    >>> diff = consistency_diff({"oms": ["SO-1", "SO-2", "SO-3"], "wms": ["SO-1", "SO-3"],
    ...                          "erp": ["SO-1", "SO-2", "SO-3", "SO-4"]})
    >>> print(diff)
    SO-2: missing from wms (in erp, oms)
    SO-4: missing from oms, wms (in erp)
    >>> sorted(diff.missing_from("wms"))
    ['SO-2', 'SO-4']
    """
    systems = tuple(sorted(ids_by_system))
    if not systems:
        raise InvalidMetricInput("no systems to compare: pass at least one system's order ids")
    holders: defaultdict[str, list[str]] = defaultdict(list)
    counts = []
    for system in systems:
        ids = set(ids_by_system[system])
        counts.append((system, len(ids)))
        for order_id in ids:
            holders[order_id].append(system)
    missing = tuple(
        MissingOrder(order_id, tuple(s for s in systems if s not in present), tuple(present))
        for order_id, present in sorted(holders.items())
        if len(present) < len(systems)
    )
    return ConsistencyDiff(systems, tuple(counts), missing)
