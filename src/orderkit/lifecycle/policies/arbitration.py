"""Logistics arbitration (MISSION L10).

When the carrier reports a parcel signed *before* the warehouse shipped it, one of the
two records is wrong. :func:`arbitrate` raises an :class:`ArbitrationAlert` and puts
that customer's settlement on hold; later orders consult :class:`SettlementHolds`
before they settle (seed 004). ``ArbitrationPolicy.tolerance`` (default 0) absorbs
clock differences between the two systems.

>>> from datetime import UTC, datetime
>>> delivery = Delivery(order_id="SO-1", customer_id="C-9",
...                     outbound_at=datetime(2026, 11, 11, 18, 0, tzinfo=UTC),
...                     signed_at=datetime(2026, 11, 11, 17, 40, tzinfo=UTC))
>>> result = arbitrate([delivery])
>>> result.alerts[0].early_by, result.holds.blocks("C-9"), result.holds.blocks("C-1")
(datetime.timedelta(seconds=1200), True, False)

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Self

from pydantic import Field

from orderkit.clock import UtcDateTime
from orderkit.lifecycle.policies._models import Duration, PolicyConfig, Record
from orderkit.order import NonEmptyStr

__all__ = [
    "Arbitration",
    "ArbitrationAlert",
    "ArbitrationPolicy",
    "Delivery",
    "SettlementHolds",
    "arbitrate",
]


class ArbitrationPolicy(PolicyConfig):
    """How much earlier than the outbound a signature may be before it is suspicious.

    The default tolerance is 0 (seed 004: any signature before the outbound).
    """

    tolerance: Duration = timedelta(0)


class Delivery(Record):
    """One parcel's two claims: the warehouse's outbound time and the carrier's signature."""

    order_id: NonEmptyStr
    customer_id: NonEmptyStr
    outbound_at: UtcDateTime
    signed_at: UtcDateTime
    tracking_number: str | None = None


class ArbitrationAlert(Record):
    """A delivery signed before it left the warehouse."""

    delivery: Delivery

    @property
    def early_by(self) -> timedelta:
        """How long before the outbound the parcel was reported signed."""
        return self.delivery.outbound_at - self.delivery.signed_at


class SettlementHolds(Record):
    """Customers whose settlement is on hold, each with the orders that put it there.

    A value: :meth:`hold` and :meth:`release` return a new one.

    >>> holds = SettlementHolds().release("C-9")
    >>> holds.blocks("C-9")
    False
    """

    customers: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    def blocks(self, customer_id: str) -> bool:
        """Whether orders of ``customer_id`` must not settle."""
        return customer_id in self.customers

    def hold(self, alert: ArbitrationAlert) -> Self:
        """These holds plus the alert's customer, citing the alert's order."""
        customer_id, order_id = alert.delivery.customer_id, alert.delivery.order_id
        orders = self.customers.get(customer_id, ())
        if order_id in orders:
            return self
        return self.model_validate(
            {"customers": {**self.customers, customer_id: (*orders, order_id)}}
        )

    def release(self, customer_id: str) -> Self:
        """These holds without ``customer_id`` (after the dispute is settled)."""
        rest = {c: orders for c, orders in self.customers.items() if c != customer_id}
        return self.model_validate({"customers": rest})


class Arbitration(Record):
    """The alerts raised by one :func:`arbitrate` call and the holds after it."""

    alerts: tuple[ArbitrationAlert, ...]
    holds: SettlementHolds


_DEFAULT_POLICY = ArbitrationPolicy()


def arbitrate(
    deliveries: Iterable[Delivery],
    *,
    holds: SettlementHolds | None = None,
    policy: ArbitrationPolicy = _DEFAULT_POLICY,
) -> Arbitration:
    """Alert on every delivery signed more than ``policy.tolerance`` before its outbound.

    Each alert's customer is added to ``holds`` (empty when not given).
    """
    alerts = tuple(
        ArbitrationAlert(delivery=d)
        for d in deliveries
        if d.outbound_at - d.signed_at > policy.tolerance
    )
    result = SettlementHolds() if holds is None else holds
    for alert in alerts:
        result = result.hold(alert)
    return Arbitration(alerts=alerts, holds=result)
