"""A host persisting order transitions in SQLite, with the compare-and-set in SQL.

The order row holds its state and version; every ``fire`` is applied with
``UPDATE ... WHERE version = :version_before`` and its record inserted in the same
transaction. When two workers race on one order, exactly one update matches: the other
gets ``ConcurrentModification`` and nothing of its attempt is stored.

Run it: ``python examples/lifecycle_sqlite.py``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from orderkit.errors import ConcurrentModification
from orderkit.lifecycle import ORDER_FLOW, OrderEvent, TransitionRecord

SCHEMA = """
CREATE TABLE orders (order_id TEXT PRIMARY KEY, state TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE order_transitions (
    order_id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (order_id, version)
);
"""


@dataclass
class OrderRow:
    """The slice of the host's order row that the lifecycle needs."""

    order_id: str
    state: str
    version: int


class OrderStore:
    """Loads order rows and applies transitions atomically."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def load(self, order_id: str) -> OrderRow:
        """Hydrate an order row."""
        state, version = self.db.execute(
            "SELECT state, version FROM orders WHERE order_id = ?", (order_id,)
        ).fetchone()
        return OrderRow(order_id, state, version)

    def apply(self, row: OrderRow, event: OrderEvent, **kwargs: Any) -> TransitionRecord:
        """Fire ``event`` on ``row`` and store the outcome, or nothing if the row is stale."""
        order_id = row.order_id
        record = ORDER_FLOW.fire(row, event, **kwargs)
        with self.db:
            updated = self.db.execute(
                "UPDATE orders SET state = ?, version = ? WHERE order_id = ? AND version = ?",
                (record.to_state, record.version_after, order_id, record.version_before),
            ).rowcount
            if updated == 0:
                current = self.load(order_id).version
                raise ConcurrentModification(order_id, record.version_before, current)
            self.db.execute(
                "INSERT INTO order_transitions VALUES (?, ?, ?)",
                (order_id, record.version_after, record.to_json()),
            )
        return record

    def history(self, order_id: str) -> list[TransitionRecord]:
        """The stored records of an order, in version order."""
        rows = self.db.execute(
            "SELECT body FROM order_transitions WHERE order_id = ? ORDER BY version", (order_id,)
        )
        return [TransitionRecord.from_json(body) for (body,) in rows]


def main() -> list[str]:
    """Walk one order to shipped, lose one race on purpose, and replay the history."""
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA)
    db.execute("INSERT INTO orders VALUES ('SO-77', 'pending_payment', 0)")
    store = OrderStore(db)
    t0 = datetime(2026, 11, 11, tzinfo=UTC)
    lines = []
    store.apply(store.load("SO-77"), OrderEvent.PAY, actor="alipay", at=t0, payment_id="P-1")
    customer_service, stock_worker = store.load("SO-77"), store.load("SO-77")
    store.apply(stock_worker, OrderEvent.RESERVE, actor="stock", at=t0, reservation_id="R-1")
    try:
        store.apply(customer_service, OrderEvent.CANCEL, actor="cs", reason="late", at=t0)
    except ConcurrentModification as error:
        lines.append(f"lost the race: {error}")
    steps: list[tuple[OrderEvent, dict[str, Any]]] = [
        (OrderEvent.START_QC, {}),
        (OrderEvent.PACK, {"qc_passed": True}),
        (OrderEvent.SHIP, {"tracking_number": "SF1", "carrier": "SF"}),
    ]
    for step, context in steps:
        t0 += timedelta(hours=1)
        store.apply(store.load("SO-77"), step, actor="warehouse", at=t0, **context)
    history = store.history("SO-77")
    replay = ORDER_FLOW.replay(history)
    lines.append(f"stored {len(history)} records; replay ends in {replay.state!r}, ok={replay.ok}")
    lines.append(f"row says {store.load('SO-77').state!r}")
    return lines


if __name__ == "__main__":
    for line in main():
        print(line)
