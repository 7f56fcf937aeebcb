"""Address change after ordering, as one command (MISSION L9).

:func:`change_address` either refuses with :class:`AddressChangeRefused` or returns one
:class:`AddressChange` carrying all three effects of seed 004: flag the order and
notify the warehouse operator, void the original waybill and draft a new one, and
recompute billing. Store the change and its effects in one transaction (an outbox) so
the host performs all three or none.

>>> from datetime import UTC, datetime
>>> from orderkit.lifecycle import OrderState
>>> from orderkit.order import Address
>>> old = Address(country="CN", city="Hangzhou", street="Wensan Rd 1")
>>> change = change_address(OrderState.PACKED, old, old.replace(street="Wensan Rd 9"),
...                         order_id="SO-1", waybill="SF1001", requested_by="buyer",
...                         at=datetime(2026, 11, 11, tzinfo=UTC))
>>> [effect.kind for effect in change.effects]
['warehouse.flag_order', 'waybill.replace', 'billing.recompute']

.. versionadded:: 0.1
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import model_validator

from orderkit.clock import UtcDateTime, require_aware
from orderkit.lifecycle import Effect, OrderState
from orderkit.lifecycle.policies._models import PolicyConfig, Record
from orderkit.lifecycle.policies._states import BEFORE_SHIPMENT, SHIPPED_OR_LATER, as_order_state
from orderkit.lifecycle.policies.errors import (
    ActorRequired,
    AddressChangeRefusal,
    AddressChangeRefused,
)
from orderkit.order import Address, NonEmptyStr

__all__ = ["AddressChange", "AddressChangePolicy", "change_address"]


class AddressChangePolicy(PolicyConfig):
    """In which states the address may change, and who is told.

    By default every state before shipment is open (seed 004), and the warehouse
    operator is notified. Shipped-or-later states can never be opened.
    """

    open_states: frozenset[OrderState] = BEFORE_SHIPMENT
    notify_role: NonEmptyStr = "warehouse_operator"

    @model_validator(mode="after")
    def _never_after_shipment(self) -> Self:
        late = sorted(self.open_states & SHIPPED_OR_LATER)
        if late:
            raise ValueError(f"states from shipment on cannot be open: {', '.join(late)}")
        return self


class AddressChange(Record):
    """One accepted address change and its three effects, to perform together."""

    order_id: NonEmptyStr
    old_address: Address
    new_address: Address
    waybill: NonEmptyStr | None
    requested_by: NonEmptyStr
    at: UtcDateTime
    effects: tuple[Effect, Effect, Effect]


_DEFAULT_POLICY = AddressChangePolicy()


def change_address(
    order_state: OrderState | str,
    old_address: Address,
    new_address: Address,
    *,
    order_id: str,
    waybill: str | None,
    requested_by: str,
    at: datetime,
    policy: AddressChangePolicy = _DEFAULT_POLICY,
) -> AddressChange:
    """Accept a new shipping address for an order in ``order_state``, or refuse it.

    ``order_state`` may be the stored string; ``waybill`` is the order's current waybill
    number (``None`` before one is issued). Refusals (:class:`AddressChangeRefused`, with
    ``reason``): the order is shipped or later, its state is not open under ``policy``,
    or the address is unchanged.
    """
    state = as_order_state(order_id, order_state)
    if state in SHIPPED_OR_LATER:
        raise AddressChangeRefused(
            order_id,
            state,
            AddressChangeRefusal.SHIPPED,
            "the parcel has left the warehouse; ask the carrier to redirect it",
        )
    if state not in policy.open_states:
        raise AddressChangeRefused(
            order_id,
            state,
            AddressChangeRefusal.NOT_OPEN,
            f"address changes are open only in {', '.join(sorted(policy.open_states))}",
        )
    if new_address == old_address:
        raise AddressChangeRefused(
            order_id, state, AddressChangeRefusal.UNCHANGED, "the new address is the old one"
        )
    requested_by = ActorRequired.check(requested_by, "requested_by")
    new = new_address.model_dump(mode="json", exclude_none=True)
    base = {"subject_id": order_id, "reason": "address_changed"}
    return AddressChange(
        order_id=order_id,
        old_address=old_address,
        new_address=new_address,
        waybill=waybill,
        requested_by=requested_by,
        at=require_aware(at, "at"),
        effects=(
            Effect(kind="warehouse.flag_order", data={**base, "notify": policy.notify_role}),
            Effect(kind="waybill.replace", data={**base, "void": waybill, "ship_to": new}),
            Effect(kind="billing.recompute", data=base),
        ),
    )
