from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol, TypeAlias

import attrs

from orderkit.errors import HandlerFailed
from orderkit.events._event import Event

__all__ = ["ALL_EVENTS", "EventBus", "Handler", "HandlerFailure", "InProcessBus"]

Handler: TypeAlias = Callable[[Event], None]
"""A subscriber: called with each event of the types it subscribed to."""

ALL_EVENTS = "*"
"""Subscribe to this to receive every event type."""


class EventBus(Protocol):
    """Where events go. Implement it over Kafka, Redis streams or a host's own bus."""

    def publish(self, event: Event) -> None:
        """Deliver ``event`` to its subscribers."""
        ...

    def subscribe(self, event_type: str, handler: Handler) -> Callable[[], None]:
        """Call ``handler`` for every event of ``event_type``; returns an unsubscribe."""
        ...


@attrs.frozen
class HandlerFailure:
    """One subscriber that raised, with its exception."""

    handler: str
    error: Exception


def _name(handler: Handler) -> str:
    return getattr(handler, "__qualname__", None) or repr(handler)


class InProcessBus:
    """A synchronous, thread-safe bus for one process.

    Handlers subscribed to the event's type run first, then those subscribed to
    :data:`ALL_EVENTS`, each group in subscription order. A failing handler never stops
    the others: every
    handler runs, then the failures are reported together, by raising
    :class:`~orderkit.errors.HandlerFailed` or, when ``on_failure`` is given, by passing
    it that error instead.

    >>> from datetime import datetime, UTC
    >>> from orderkit.events import OrderCancelled
    >>> bus = InProcessBus()
    >>> seen = []
    >>> unsubscribe = bus.subscribe("order.cancelled", seen.append)
    >>> bus.publish(Event.of(OrderCancelled(reason="out of stock"),
    ...                      at=datetime(2026, 11, 11, tzinfo=UTC)))
    >>> [event.type for event in seen]
    ['order.cancelled']
    """

    def __init__(self, on_failure: Callable[[HandlerFailed], None] | None = None) -> None:
        self._on_failure = on_failure
        self._handlers: dict[str, tuple[Handler, ...]] = {}
        self._lock = threading.Lock()

    def subscribe(self, event_type: str, handler: Handler) -> Callable[[], None]:
        """Add ``handler`` for ``event_type`` (or :data:`ALL_EVENTS`); returns an unsubscribe."""
        key = str(event_type)
        with self._lock:
            self._handlers[key] = (*self._handlers.get(key, ()), handler)

        def unsubscribe() -> None:
            with self._lock:
                kept = list(self._handlers.get(key, ()))
                if handler in kept:
                    kept.remove(handler)
                self._handlers[key] = tuple(kept)

        return unsubscribe

    def publish(self, event: Event) -> None:
        """Run every matching handler, then report any that raised."""
        handlers = self._handlers.get(event.type, ()) + self._handlers.get(ALL_EVENTS, ())
        failures: list[HandlerFailure] = []
        for handler in handlers:
            try:
                handler(event)
            except Exception as error:
                failures.append(HandlerFailure(_name(handler), error))
        if not failures:
            return
        report = HandlerFailed(event.type, failures)
        report.__cause__ = failures[0].error
        if self._on_failure is None:
            raise report
        self._on_failure(report)
