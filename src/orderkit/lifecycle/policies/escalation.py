"""The tiered escalation ladder (MISSION L6).

An alert climbs the tiers of an :class:`EscalationLadder` while nobody acknowledges it.
The default ladder is the seed's (000): tier 1 at once, a to-do for the warehouse
keeper; tier 2 after 5 minutes, a notice to the operations supervisor; tier 3 after
15 minutes, freeze ordering of the SKU and produce a root-cause report. A tier fires
unless the alert was acknowledged before the tier's time.

>>> from datetime import UTC, datetime
>>> alert = EscalationAlert(alert_id="A-7", sku="TEA-01",
...                         raised_at=datetime(2026, 11, 11, 9, 0, tzinfo=UTC))
>>> status = escalation_status(alert, now=datetime(2026, 11, 11, 9, 5, tzinfo=UTC))
>>> status.tier, [effect.kind for effect in status.actions], status.next_at.time()
(2, ['warehouse.todo', 'ops.notify'], datetime.time(9, 15))

.. versionadded:: 0.1
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import Self

from pydantic import Field, JsonValue, model_validator

from orderkit.clock import UtcDateTime, require_aware
from orderkit.lifecycle import Effect
from orderkit.lifecycle.policies._models import Duration, PolicyConfig, Record
from orderkit.order import NonEmptyStr

__all__ = [
    "EscalationAlert",
    "EscalationLadder",
    "EscalationStatus",
    "EscalationTier",
    "escalation_status",
]


class EscalationTier(PolicyConfig):
    """One rung: ``after`` this long unacknowledged, the ``actions`` are due.

    Each action is an effect template; the due effect adds ``alert_id``, ``sku``,
    ``tier`` and ``due_at`` to its data.
    """

    after: Duration
    actions: tuple[Effect, ...] = Field(min_length=1)


def _seed_tiers() -> tuple[EscalationTier, ...]:
    return (
        EscalationTier(
            after=timedelta(0),
            actions=(Effect(kind="warehouse.todo", data={"role": "warehouse_keeper"}),),
        ),
        EscalationTier(
            after=timedelta(minutes=5),
            actions=(Effect(kind="ops.notify", data={"role": "operations_supervisor"}),),
        ),
        EscalationTier(
            after=timedelta(minutes=15),
            actions=(Effect(kind="sku.freeze"), Effect(kind="ops.root_cause_report")),
        ),
    )


class EscalationLadder(PolicyConfig):
    """Tiers in climbing order, numbered from 1; delays strictly increase.

    >>> [tier.after.seconds for tier in EscalationLadder().tiers]
    [0, 300, 900]
    """

    tiers: tuple[EscalationTier, ...] = Field(default_factory=_seed_tiers, min_length=1)

    @model_validator(mode="after")
    def _climbs(self) -> Self:
        delays = [tier.after for tier in self.tiers]
        if any(later <= earlier for earlier, later in pairwise(delays)):
            raise ValueError(f"tier delays must strictly increase, got {delays}")
        return self


class EscalationAlert(Record):
    """An alert on a SKU, raised at ``raised_at`` and maybe acknowledged since."""

    alert_id: NonEmptyStr
    sku: NonEmptyStr
    raised_at: UtcDateTime
    acknowledged_at: UtcDateTime | None = None

    @model_validator(mode="after")
    def _acknowledged_after_raised(self) -> Self:
        if self.acknowledged_at is not None and self.acknowledged_at < self.raised_at:
            raise ValueError("acknowledged_at is before raised_at")
        return self

    def acknowledge(self, at: datetime) -> Self:
        """This alert acknowledged at ``at``; escalation stops there.

        The first acknowledgement counts: acknowledging again returns the alert as it is.
        """
        at = require_aware(at, "at")
        if self.acknowledged_at is not None:
            return self
        return self.model_validate({**dict(self), "acknowledged_at": at})


class EscalationStatus(Record):
    """Where an alert stands at a given time.

    ``tier`` is the highest tier fired (0 before the first); ``actions`` lists the effects
    of every fired tier in order (perform each once, keyed by ``alert_id``, ``tier`` and
    ``kind``); ``next_at`` is when the next tier fires, or ``None`` when none will.
    """

    alert_id: str
    tier: int
    actions: tuple[Effect, ...]
    next_at: UtcDateTime | None
    acknowledged: bool


_DEFAULT_LADDER = EscalationLadder()


def escalation_status(
    alert: EscalationAlert, ladder: EscalationLadder = _DEFAULT_LADDER, *, now: datetime
) -> EscalationStatus:
    """The tier ``alert`` has reached at ``now``, its due actions and the next escalation.

    A tier fires once its time has come unless the alert was acknowledged before that
    time; an acknowledgement stops every later tier.
    """
    now = require_aware(now, "now")
    acknowledged_at = alert.acknowledged_at
    actions: list[Effect] = []
    tier = 0
    next_at = None
    for number, rung in enumerate(ladder.tiers, start=1):
        due_at = alert.raised_at + rung.after
        if acknowledged_at is not None and acknowledged_at < due_at:
            break
        if due_at > now:
            next_at = due_at
            break
        tier = number
        context: dict[str, JsonValue] = {
            "alert_id": alert.alert_id,
            "sku": alert.sku,
            "tier": number,
        }
        actions += [
            Effect(kind=a.kind, data={**a.data, **context, "due_at": due_at.isoformat()})
            for a in rung.actions
        ]
    return EscalationStatus(
        alert_id=alert.alert_id,
        tier=tier,
        actions=tuple(actions),
        next_at=next_at,
        acknowledged=acknowledged_at is not None and acknowledged_at <= now,
    )
