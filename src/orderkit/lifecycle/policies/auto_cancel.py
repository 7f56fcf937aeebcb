"""Auto-cancel of unpaid orders after a timeout (MISSION L8).

An order still unpaid ``timeout + grace`` after it was created is cancelled, unless its
buyer chose a payment method that settles late (bank transfer and the like): a rule
without that exemption once cancelled 237 good bank-transfer orders in one day (seed
002). Given a :class:`~orderkit.lifecycle.policies.ReviewGate`, the cancellations become
proposals that a supervisor confirms (MISSION L7).

>>> from datetime import UTC, datetime
>>> t0 = datetime(2026, 11, 11, 20, 0, tzinfo=UTC)
>>> unpaid = [("SO-1", t0, "alipay"), ("SO-2", t0, "bank_transfer"), ("SO-3", t0, None)]
>>> [c.order_id for c in auto_cancel(unpaid, now=datetime(2026, 11, 11, 21, tzinfo=UTC))]
['SO-1', 'SO-3']

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import overload

from pydantic import field_validator

from orderkit.clock import UtcDateTime, require_aware
from orderkit.lifecycle import Effect
from orderkit.lifecycle.policies._models import Duration, PolicyConfig, PositiveDuration, Record
from orderkit.lifecycle.policies.review import Proposal, ReviewGate

__all__ = ["AutoCancelPolicy", "Cancellation", "auto_cancel"]


class AutoCancelPolicy(PolicyConfig):
    """How long an order may stay unpaid, and which payment methods are never timed out.

    The seed gives no timeout figure; the defaults are the common marketplace ones:
    30 minutes to pay plus 5 minutes' grace for late payment callbacks. Methods are
    compared in lower case.

    >>> AutoCancelPolicy().exempt("Bank_Transfer"), AutoCancelPolicy().exempt(None)
    (True, False)
    """

    timeout: PositiveDuration = timedelta(minutes=30)
    grace: Duration = timedelta(minutes=5)
    exempt_methods: frozenset[str] = frozenset(
        {"bank_transfer", "corporate_transfer", "offline_transfer", "wire_transfer"}
    )

    @field_validator("exempt_methods")
    @classmethod
    def _lower_case(cls, methods: frozenset[str]) -> frozenset[str]:
        return frozenset(method.strip().lower() for method in methods)

    def exempt(self, method: str | None) -> bool:
        """Whether an order paid by ``method`` is never auto-cancelled."""
        return method is not None and method.strip().lower() in self.exempt_methods


class Cancellation(Record):
    """An unpaid order due for cancellation, with the effect that cancels it.

    ``reason`` suits ``ORDER_FLOW.fire(order, OrderEvent.CANCEL, reason=...)``.
    """

    order_id: str
    created_at: UtcDateTime
    due_at: UtcDateTime
    reason: str
    effect: Effect


_DEFAULT_POLICY = AutoCancelPolicy()


@overload
def auto_cancel(
    orders: Iterable[tuple[str, datetime, str | None]],
    *,
    now: datetime,
    policy: AutoCancelPolicy = ...,
    gate: None = None,
) -> list[Cancellation]: ...


@overload
def auto_cancel(
    orders: Iterable[tuple[str, datetime, str | None]],
    *,
    now: datetime,
    policy: AutoCancelPolicy = ...,
    gate: ReviewGate,
) -> list[Proposal]: ...


def auto_cancel(
    orders: Iterable[tuple[str, datetime, str | None]],
    *,
    now: datetime,
    policy: AutoCancelPolicy = _DEFAULT_POLICY,
    gate: ReviewGate | None = None,
) -> list[Cancellation] | list[Proposal]:
    """The cancellations due at ``now`` among unpaid ``orders``, oldest first.

    ``orders`` holds ``(order id, created_at, payment method chosen or None)``. An order
    is due once ``now`` reaches ``created_at + timeout + grace``; exempt methods never
    are. With a ``gate``, each cancellation goes through it instead and the proposals
    are returned (one per order: running again returns the same proposals).
    """
    now = require_aware(now, "now")
    reason = f"not paid within {policy.timeout}"
    wait = policy.timeout + policy.grace
    due: list[Cancellation] = []
    for order_id, created_at, method in orders:
        due_at = require_aware(created_at, f"created_at of {order_id}") + wait
        if due_at <= now and not policy.exempt(method):
            effect = Effect(kind="order.cancel", data={"subject_id": order_id, "reason": reason})
            due.append(
                Cancellation(
                    order_id=order_id,
                    created_at=created_at,
                    due_at=due_at,
                    reason=reason,
                    effect=effect,
                )
            )
    due.sort(key=lambda c: (c.due_at, c.order_id))
    if gate is None:
        return due
    return [gate.propose("cancel", c.order_id, [c.effect], reason=c.reason, at=now) for c in due]
