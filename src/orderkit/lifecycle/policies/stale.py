"""The stale-order breaker (MISSION L5).

An order with no state change for ``StalePolicy.after`` (48 h by default) is flagged red
and reassigned (to ``customer_service`` by default). Closing the flag needs one of the
exception codes of an :class:`ExceptionCatalog`: the 12 presets of
:class:`ExceptionCode`, plus any the host adds.

>>> from datetime import UTC, datetime
>>> t0 = datetime(2026, 11, 11, tzinfo=UTC)
>>> [flag] = find_stale([("SO-1", t0)], now=datetime(2026, 11, 13, tzinfo=UTC))
>>> flag.subject_id, flag.idle, flag.red, flag.effect.kind
('SO-1', datetime.timedelta(days=2), True, 'order.reassign')
>>> resolve_flag(flag, "vague_address", by="Zhou Lan",
...              at=datetime(2026, 11, 13, 9, tzinfo=UTC)).code
'vague_address'

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal, Self

from pydantic import Field

from orderkit.clock import UtcDateTime, require_aware
from orderkit.errors import ConfigError
from orderkit.lifecycle import Effect
from orderkit.lifecycle.policies._models import (
    PolicyConfig,
    PositiveDuration,
    Record,
    Slug,
)
from orderkit.lifecycle.policies.errors import ActorRequired, UnknownExceptionCode
from orderkit.order import NonEmptyStr

__all__ = [
    "ExceptionCatalog",
    "ExceptionCode",
    "FlagResolution",
    "StaleFlag",
    "StalePolicy",
    "find_stale",
    "resolve_flag",
]


class ExceptionCode(StrEnum):
    """The 12 preset reasons an order stalled (seed 002 names the first three)."""

    AWAITING_RESTOCK = "awaiting_restock"
    VAGUE_ADDRESS = "vague_address"
    CUSTOMS_RETURN = "customs_return"
    AWAITING_DOCUMENTS = "awaiting_documents"
    PAYMENT_REVIEW = "payment_review"
    CUSTOMER_UNREACHABLE = "customer_unreachable"
    CUSTOMER_HOLD = "customer_hold"
    QC_FAILED = "qc_failed"
    CARRIER_DELAY = "carrier_delay"
    LOST_IN_TRANSIT = "lost_in_transit"
    DAMAGED_IN_TRANSIT = "damaged_in_transit"
    SYSTEM_MISMATCH = "system_mismatch"


_PRESETS: dict[ExceptionCode, str] = {
    ExceptionCode.AWAITING_RESTOCK: "out of stock, waiting for replenishment",
    ExceptionCode.VAGUE_ADDRESS: "address too vague to deliver, confirming with the buyer",
    ExceptionCode.CUSTOMS_RETURN: "returned by customs",
    ExceptionCode.AWAITING_DOCUMENTS: "waiting for customs or invoice documents",
    ExceptionCode.PAYMENT_REVIEW: "payment held by risk review",
    ExceptionCode.CUSTOMER_UNREACHABLE: "buyer cannot be reached",
    ExceptionCode.CUSTOMER_HOLD: "buyer asked to hold the order",
    ExceptionCode.QC_FAILED: "failed quality check, waiting for a replacement",
    ExceptionCode.CARRIER_DELAY: "carrier has not collected or moved the parcel",
    ExceptionCode.LOST_IN_TRANSIT: "parcel lost in transit",
    ExceptionCode.DAMAGED_IN_TRANSIT: "parcel damaged in transit",
    ExceptionCode.SYSTEM_MISMATCH: "state differs between systems, fixed by hand",
}


class ExceptionCatalog(PolicyConfig):
    """The exception codes that may close a stale flag, each with a description.

    The default holds the 12 presets of :class:`ExceptionCode`; :meth:`extend` adds the
    host's own.

    >>> catalog = ExceptionCatalog().extend({"warehouse_flooded": "warehouse flooded"})
    >>> len(catalog.codes), "warehouse_flooded" in catalog, "vague_address" in catalog
    (13, True, True)
    """

    codes: dict[Slug, NonEmptyStr] = Field(
        default_factory=lambda: {code.value: text for code, text in _PRESETS.items()}
    )

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def extend(self, codes: Mapping[str, str]) -> Self:
        """A catalog with ``codes`` (code → description) added; known codes are refused."""
        clash = sorted(set(codes) & set(self.codes))
        if clash:
            raise ConfigError(f"exception codes already in the catalog: {', '.join(clash)}")
        return self.from_dict({"codes": {**self.codes, **codes}})

    def require(self, code: str) -> str:
        """``code`` if the catalog holds it, else :class:`UnknownExceptionCode`."""
        if code not in self.codes:
            raise UnknownExceptionCode(code, self.codes)
        return code


class StalePolicy(PolicyConfig):
    """When an order counts as stale, and who takes it over.

    Defaults (seed 002): flagged after 48 h without a state change, reassigned to the
    customer service group.
    """

    after: PositiveDuration = timedelta(hours=48)
    reassign_to: NonEmptyStr = "customer_service"


class StaleFlag(Record):
    """A red flag on a subject idle since ``since``, with the effect that reassigns it."""

    subject_id: str
    since: UtcDateTime
    idle: timedelta
    red: Literal[True] = True
    effect: Effect

    @property
    def flagged_at(self) -> datetime:
        """When the flag was raised (the ``now`` of :func:`find_stale`)."""
        return self.since + self.idle


class FlagResolution(Record):
    """A closed flag: which exception code explained it, who closed it and when."""

    subject_id: str
    since: UtcDateTime
    code: str
    by: NonEmptyStr
    at: UtcDateTime
    note: str = ""


_DEFAULT_POLICY = StalePolicy()
_DEFAULT_CATALOG = ExceptionCatalog()


def find_stale(
    last_changes: Iterable[tuple[str, datetime]],
    *,
    now: datetime,
    policy: StalePolicy = _DEFAULT_POLICY,
) -> list[StaleFlag]:
    """Flag every subject whose last state change is ``policy.after`` or more before ``now``.

    ``last_changes`` holds ``(subject id, time of a transition)`` pairs, e.g.
    ``(r.subject_id, r.at)`` for transition records; the latest time per subject counts,
    so order and repetition do not matter. Flags come longest-idle first.
    """
    now = require_aware(now, "now")
    latest: dict[str, datetime] = {}
    for subject_id, changed_at in last_changes:
        at = require_aware(changed_at, f"last change of {subject_id}")
        if subject_id not in latest or at > latest[subject_id]:
            latest[subject_id] = at
    flags = [
        StaleFlag(
            subject_id=subject_id,
            since=since,
            idle=now - since,
            effect=Effect(
                kind="order.reassign",
                data={"subject_id": subject_id, "to": policy.reassign_to, "reason": "stale"},
            ),
        )
        for subject_id, since in latest.items()
        if now - since >= policy.after
    ]
    return sorted(flags, key=lambda flag: (flag.since, flag.subject_id))


def resolve_flag(
    flag: StaleFlag,
    code: str,
    *,
    by: str,
    at: datetime,
    catalog: ExceptionCatalog = _DEFAULT_CATALOG,
    note: str = "",
) -> FlagResolution:
    """Close ``flag`` with an exception ``code`` from ``catalog``, naming who closed it.

    An unknown code raises :class:`UnknownExceptionCode`; an empty ``by`` raises
    :class:`ActorRequired`.
    """
    return FlagResolution(
        subject_id=flag.subject_id,
        since=flag.since,
        code=catalog.require(code),
        by=ActorRequired.check(by, "by"),
        at=require_aware(at, "at"),
        note=note,
    )
