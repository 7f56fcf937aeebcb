"""A host application's wiring: its own SQLite tables, orderkit's models and events.

The host keeps orders and an outbox in one database. Saving an order and its
``order.created`` event happens in one transaction, so a crash never leaves an order
without its event or an event without its order. A relay later publishes undelivered
events to the bus, where the host's subscribers (here: a warehouse notifier) run.

Run it: ``python examples/host_outbox.py``.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from orderkit import ChannelRef, InProcessBus, Money, Order, OrderLine
from orderkit.clock import Clock, SystemClock
from orderkit.events import Event, OrderCreated


class OrderRepository:
    """The host's persistence: orders plus a transactional outbox."""

    def __init__(self, db: sqlite3.Connection, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        db.executescript(
            "CREATE TABLE IF NOT EXISTS orders (channel_key TEXT PRIMARY KEY, body TEXT);"
            "CREATE TABLE IF NOT EXISTS outbox (event_id TEXT PRIMARY KEY, body TEXT,"
            " delivered INTEGER NOT NULL DEFAULT 0);"
        )

    def add(self, order: Order) -> bool:
        """Store a new order and its event atomically; a repeat delivery is ignored."""
        event = Event.of(OrderCreated(order=order), at=self._clock.now(), order_id=order.order_id)
        with self._db:
            inserted = self._db.execute(
                "INSERT OR IGNORE INTO orders VALUES (?, ?)",
                (order.channel.key, order.model_dump_json()),
            ).rowcount
            if inserted:
                self._db.execute(
                    "INSERT INTO outbox (event_id, body) VALUES (?, ?)",
                    (str(event.event_id), event.model_dump_json()),
                )
        return bool(inserted)

    def relay(self, bus: InProcessBus) -> int:
        """Publish undelivered events in order, marking each once its handlers ran."""
        rows = self._db.execute("SELECT event_id, body FROM outbox WHERE delivered = 0").fetchall()
        for event_id, body in rows:
            bus.publish(Event.model_validate_json(body))
            with self._db:
                self._db.execute("UPDATE outbox SET delivered = 1 WHERE event_id = ?", (event_id,))
        return len(rows)


def main() -> list[str]:
    """Import one order twice, relay its event, and return what the warehouse was told."""
    repository = OrderRepository(sqlite3.connect(":memory:"), SystemClock())
    told: list[str] = []
    bus = InProcessBus()
    bus.subscribe(
        "order.created",
        lambda event: told.append(f"pick {event.payload_as(OrderCreated).order.order_id}"),
    )
    order = Order(
        order_id="WX-88012",
        channel=ChannelRef(channel="wechat", external_id="wx-88012"),
        created_at=datetime(2026, 11, 11, 1, 2, 3, tzinfo=UTC),
        currency="CNY",
        lines=[OrderLine(line_id="1", sku="TEA-LJ-250", quantity=1, unit_price=Money("98", "CNY"))],
    )
    assert repository.add(order)
    assert not repository.add(order)
    repository.relay(bus)
    return told


if __name__ == "__main__":
    for line in main():
        print(line)
