from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from orderkit.clock import UtcDateTime
from orderkit.events._event import EventPayload, EventType
from orderkit.order import NonEmptyStr, Order, Payment, Quantity, Shipment

__all__ = [
    "OrderCancelled",
    "OrderCreated",
    "OrderPaid",
    "OrderReturned",
    "OrderShipped",
    "OrderSigned",
    "StockCommitted",
    "StockReleased",
    "StockReserved",
]


class OrderCreated(EventPayload):
    """A new canonical order, carried whole."""

    event_type: ClassVar[str] = EventType.ORDER_CREATED
    order: Order


class OrderPaid(EventPayload):
    """A payment was captured."""

    event_type: ClassVar[str] = EventType.ORDER_PAID
    payment: Payment


class OrderShipped(EventPayload):
    """A shipment left the warehouse."""

    event_type: ClassVar[str] = EventType.ORDER_SHIPPED
    shipment: Shipment


class OrderSigned(EventPayload):
    """The carrier reports the parcel signed for."""

    event_type: ClassVar[str] = EventType.ORDER_SIGNED
    signed_at: UtcDateTime
    tracking_number: str | None = None


class OrderCancelled(EventPayload):
    """The order was cancelled."""

    event_type: ClassVar[str] = EventType.ORDER_CANCELLED
    reason: NonEmptyStr


class OrderReturned(EventPayload):
    """Goods came back: quantities per line id and a return-reason code."""

    event_type: ClassVar[str] = EventType.ORDER_RETURNED
    reason_code: NonEmptyStr
    items: dict[str, Quantity] = Field(min_length=1)


class _StockChange(EventPayload):
    reservation_id: NonEmptyStr
    items: dict[str, Quantity] = Field(min_length=1, description="quantity per SKU")
    location: str | None = None


class StockReserved(_StockChange):
    """Stock was reserved for an order."""

    event_type: ClassVar[str] = EventType.STOCK_RESERVED


class StockReleased(_StockChange):
    """A reservation was released (cancel or expiry)."""

    event_type: ClassVar[str] = EventType.STOCK_RELEASED


class StockCommitted(_StockChange):
    """A reservation was committed at shipment: on hand and reserved both dropped."""

    event_type: ClassVar[str] = EventType.STOCK_COMMITTED
