"""One event schema for the whole order domain (MISSION L12), and an event bus.

:class:`Event` is the envelope (id, type, time, order id, schema version, payload);
typed payloads such as :class:`OrderPaid` subclass :class:`EventPayload`. Events are
values: persist them in an outbox in the host's own transaction, then publish them to
an :class:`EventBus`. :class:`InProcessBus` delivers in-process and reports failing
handlers instead of swallowing them.

.. versionadded:: 0.1
"""

from orderkit.events._bus import ALL_EVENTS, EventBus, Handler, HandlerFailure, InProcessBus
from orderkit.events._event import Event, EventPayload, EventType, payload_model
from orderkit.events._payloads import (
    OrderCancelled,
    OrderCreated,
    OrderPaid,
    OrderReturned,
    OrderShipped,
    OrderSigned,
    StockCommitted,
    StockReleased,
    StockReserved,
)

__all__ = [
    "ALL_EVENTS",
    "Event",
    "EventBus",
    "EventPayload",
    "EventType",
    "Handler",
    "HandlerFailure",
    "InProcessBus",
    "OrderCancelled",
    "OrderCreated",
    "OrderPaid",
    "OrderReturned",
    "OrderShipped",
    "OrderSigned",
    "StockCommitted",
    "StockReleased",
    "StockReserved",
    "payload_model",
]
