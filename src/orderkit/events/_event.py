from __future__ import annotations

import builtins
import re
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, JsonValue, PositiveInt

from orderkit.clock import UtcDateTime, require_aware
from orderkit.errors import ConfigError, EventError

__all__ = ["Event", "EventPayload", "EventType", "payload_model"]

_TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"


class EventType(StrEnum):
    """The event types orderkit itself defines (MISSION L12).

    Hosts and later capabilities add their own dotted names (``"invoice.issued"``) by
    subclassing :class:`EventPayload`.
    """

    ORDER_CREATED = "order.created"
    ORDER_PAID = "order.paid"
    ORDER_SHIPPED = "order.shipped"
    ORDER_SIGNED = "order.signed"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_RETURNED = "order.returned"
    STOCK_RESERVED = "stock.reserved"
    STOCK_RELEASED = "stock.released"
    STOCK_COMMITTED = "stock.committed"


_PAYLOADS: dict[str, type[EventPayload]] = {}


def _path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class EventPayload(BaseModel):
    """Base of the typed payloads; each subclass binds one ``event_type``.

    Defining a subclass registers it, so :meth:`Event.parsed` can find it::

        class InvoiceIssued(EventPayload):
            event_type = "invoice.issued"
            invoice_no: str
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        event_type = cls.__dict__.get("event_type")
        if event_type is None:
            return
        event_type = cls.event_type = str(event_type)
        if not re.fullmatch(_TYPE_PATTERN, event_type):
            raise ConfigError(
                f"{cls.__name__}.event_type {event_type!r} must be dotted lower-case words, "
                "like 'invoice.issued'"
            )
        known = _PAYLOADS.get(event_type)
        if known is not None and _path(known) != _path(cls):
            raise ConfigError(f"event type {event_type!r} is already bound to {_path(known)}")
        _PAYLOADS[event_type] = cls


def payload_model(event_type: str) -> type[EventPayload] | None:
    """The payload class registered for ``event_type``, or ``None``."""
    return _PAYLOADS.get(event_type)


P = TypeVar("P", bound=EventPayload)


class Event(BaseModel):
    """The one event envelope every capability publishes (MISSION L12).

    Events are plain values: a host can store ``event.model_dump_json()`` in its own
    outbox table in the same transaction as the change that caused it, and deliver it
    later. ``event_id`` is the de-duplication key for consumers.

    >>> from datetime import datetime, UTC
    >>> from orderkit.events import OrderCancelled
    >>> event = Event.of(OrderCancelled(reason="buyer asked"), order_id="SO-1",
    ...                  at=datetime(2026, 11, 11, tzinfo=UTC))
    >>> event.type, event.payload
    ('order.cancelled', {'reason': 'buyer asked'})
    >>> event.parsed()
    OrderCancelled(reason='buyer asked')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(default_factory=uuid4)
    type: str = Field(pattern=_TYPE_PATTERN)
    occurred_at: UtcDateTime
    order_id: str | None = None
    schema_version: PositiveInt = 1
    payload: dict[str, JsonValue] = Field(default_factory=dict)

    @classmethod
    def of(
        cls,
        payload: EventPayload,
        *,
        at: datetime,
        order_id: str | None = None,
        event_id: UUID | None = None,
    ) -> Event:
        """Wrap a typed payload in an envelope stamped with ``at`` (never the wall clock)."""
        return cls(
            event_id=event_id or uuid4(),
            type=payload.event_type,
            occurred_at=require_aware(at, "event time"),
            order_id=order_id,
            schema_version=payload.schema_version,
            payload=payload.model_dump(mode="json"),
        )

    def parsed(self) -> EventPayload:
        """The payload as its registered model; ``EventError`` if the type has none."""
        model = payload_model(self.type)
        if model is None:
            raise EventError(f"no payload model is registered for event type {self.type!r}")
        return model.model_validate(self.payload)

    def payload_as(self, model: builtins.type[P]) -> P:
        """The payload as ``model``, checking that it is bound to this event's type."""
        if model.event_type != self.type:
            raise EventError(
                f"{model.__name__} is for {model.event_type!r}, this event is {self.type!r}"
            )
        return model.model_validate(self.payload)
