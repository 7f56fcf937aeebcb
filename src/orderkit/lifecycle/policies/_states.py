"""Where an order stands relative to shipment, in the default order lifecycle."""

from __future__ import annotations

from orderkit.errors import UnknownState
from orderkit.lifecycle import ORDER_FLOW, OrderState

__all__ = ["BEFORE_SHIPMENT", "SHIPPED_OR_LATER", "as_order_state"]

S = OrderState

BEFORE_SHIPMENT = frozenset(
    {
        S.PENDING_PAYMENT,
        S.DEPOSIT_PAID,
        S.BALANCE_DUE,
        S.PAID,
        S.AWAITING_APPROVAL,
        S.RESERVED,
        S.IN_QC,
        S.PACKED,
    }
)
"""The states from which the order can still be shipped."""

SHIPPED_OR_LATER = frozenset({S.SHIPPED, S.DELIVERY_EXCEPTION, S.SIGNED, S.CLOSED})
"""The states from shipment on."""


def as_order_state(order_id: str, value: str) -> OrderState:
    """``value`` as an :class:`OrderState`; anything else raises ``UnknownState``."""
    try:
        return OrderState(value)
    except ValueError:
        raise UnknownState(order_id, value, ORDER_FLOW.name) from None
