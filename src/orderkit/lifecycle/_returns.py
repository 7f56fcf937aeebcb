from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import attrs
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, StringConstraints

from orderkit.clock import require_aware
from orderkit.errors import ConfigError

__all__ = [
    "ReasonSpike",
    "ReturnReason",
    "ReturnReasonCatalog",
    "SpikePolicy",
    "weekly_spikes",
]


class ReturnReason(StrEnum):
    """The 12 standard return-reason codes (MISSION L4); hosts may add their own."""

    FABRIC_DEFECT = "fabric_defect"
    SIZE_DEVIATION = "size_deviation"
    TRANSIT_DAMAGE = "transit_damage"
    COLOR_DIFFERENCE = "color_difference"
    WORKMANSHIP_DEFECT = "workmanship_defect"
    WRONG_ITEM = "wrong_item"
    MISSING_ITEM = "missing_item"
    NOT_AS_DESCRIBED = "not_as_described"
    LATE_DELIVERY = "late_delivery"
    CHANGED_MIND = "changed_mind"
    DUPLICATE_ORDER = "duplicate_order"
    OTHER = "other"


_STANDARD_LABELS: Mapping[str, str] = {
    ReturnReason.FABRIC_DEFECT: "Fabric defect (pilling, holes, fading)",
    ReturnReason.SIZE_DEVIATION: "Size deviates from the size chart",
    ReturnReason.TRANSIT_DAMAGE: "Damaged in transit",
    ReturnReason.COLOR_DIFFERENCE: "Colour differs from the photos",
    ReturnReason.WORKMANSHIP_DEFECT: "Workmanship defect (seams, zips, buttons)",
    ReturnReason.WRONG_ITEM: "Wrong item, size or colour sent",
    ReturnReason.MISSING_ITEM: "Item or accessory missing from the parcel",
    ReturnReason.NOT_AS_DESCRIBED: "Not as described",
    ReturnReason.LATE_DELIVERY: "Delivered too late",
    ReturnReason.CHANGED_MIND: "Changed mind",
    ReturnReason.DUPLICATE_ORDER: "Ordered twice by mistake",
    ReturnReason.OTHER: "Other",
}

_Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
_Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class ReturnReasonCatalog(BaseModel):
    """The return-reason codes a host accepts, each with a label (MISSION L4).

    The default instance holds the 12 :class:`ReturnReason` codes. :meth:`extend`
    returns a new catalog with the host's own codes added; pass it to
    :func:`after_sales_flow` so QC records accept them.

    >>> catalog = ReturnReasonCatalog().extend({"fabric_pilling": "Pilling after washing"})
    >>> "fabric_pilling" in catalog, "fabric_pilling" in ReturnReasonCatalog()
    (True, False)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    labels: dict[_Code, _Label] = Field(default_factory=lambda: dict(_STANDARD_LABELS))

    def __contains__(self, code: object) -> bool:
        return code in self.labels

    def extend(self, labels: Mapping[str, str]) -> ReturnReasonCatalog:
        """A new catalog with ``labels`` added; redefining an existing code is refused."""
        taken = sorted(set(labels) & set(self.labels))
        if taken:
            raise ConfigError(f"return reason(s) already defined: {', '.join(taken)}")
        return ReturnReasonCatalog(labels={**self.labels, **labels})


class SpikePolicy(BaseModel):
    """When a return reason's count is a spike (MISSION L4); the defaults are the seed's.

    ``threshold`` is the relative rise that is tolerated (``0.15``: +15 %, a rise must
    be strictly greater); ``min_count`` is how many returns a reason with none in the
    previous window needs to count as a spike; ``window`` is the length of each window.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    threshold: Decimal = Field(default=Decimal("0.15"), ge=0)
    min_count: PositiveInt = 5
    window: timedelta = Field(default=timedelta(days=7), gt=timedelta(0))


@attrs.frozen
class ReasonSpike:
    """A reason whose count rose beyond the policy: counts of the previous and current window."""

    reason: str
    previous: int
    current: int

    @property
    def change(self) -> Decimal | None:
        """The relative rise (``Decimal('0.2')`` for +20 %), ``None`` when it rose from zero."""
        if not self.previous:
            return None
        return Decimal(self.current - self.previous) / self.previous


def _is_spike(previous: int, current: int, policy: SpikePolicy) -> bool:
    if not previous:
        return current >= policy.min_count
    return current - previous > policy.threshold * previous


_DEFAULT_POLICY = SpikePolicy()


def weekly_spikes(
    returns: Iterable[tuple[str, datetime]], *, now: datetime, policy: SpikePolicy = _DEFAULT_POLICY
) -> list[ReasonSpike]:
    """The reasons of ``returns`` (``(reason_code, returned_at)`` pairs) that spiked.

    The current window is ``[now - window, now)``, the previous one
    ``[now - 2 * window, now - window)``: each includes its start and excludes its end,
    and returns outside both are ignored. Spikes come largest absolute rise first, ties
    by reason code. Naive datetimes raise :class:`~orderkit.errors.NaiveDatetime`.
    """
    end = require_aware(now, "now")
    middle, start = end - policy.window, end - 2 * policy.window
    previous: Counter[str] = Counter()
    current: Counter[str] = Counter()
    for reason, returned_at in returns:
        at = require_aware(returned_at, "returned_at")
        if middle <= at < end:
            current[reason] += 1
        elif start <= at < middle:
            previous[reason] += 1
    spikes = [
        ReasonSpike(reason, previous[reason], count)
        for reason, count in current.items()
        if _is_spike(previous[reason], count, policy)
    ]
    return sorted(spikes, key=lambda s: (s.previous - s.current, s.reason))
