"""The demo's lifecycle chapter: one order walks its states, with refusals shown."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TextIO

from orderkit.errors import TransitionError
from orderkit.lifecycle import ORDER_FLOW, OrderEvent
from orderkit.order import Order

__all__ = ["walk"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS order_state (order_id TEXT PRIMARY KEY, state TEXT, version INT);
CREATE TABLE IF NOT EXISTS order_transitions (order_id TEXT, version INT, body TEXT);
"""


@dataclass
class _Row:
    order_id: str
    state: str = "pending_payment"
    version: int = 0


def _steps(order: Order) -> list[tuple[OrderEvent, dict[str, Any]]]:
    payment = order.payments[0].payment_id if order.payments else "unpaid"
    return [
        (OrderEvent.PAY, {"payment_id": payment}),
        (OrderEvent.RESERVE, {"reservation_id": f"R-{order.order_id}"}),
        (OrderEvent.START_QC, {}),
        (OrderEvent.PACK, {"qc_passed": True}),
        (OrderEvent.SHIP, {"carrier": "SF"}),
        (OrderEvent.SHIP, {"carrier": "SF", "tracking_number": "SF1400023311"}),
        (OrderEvent.SIGN, {}),
        (OrderEvent.PAY, {"payment_id": payment}),
    ]


def walk(out: TextIO, db: sqlite3.Connection, order: Order, start: datetime) -> _Row:
    """Fire the demo's events on ``order``, storing each record; print what happened."""
    db.executescript(_SCHEMA)
    row = _Row(order.order_id)
    at = start
    for event, context in _steps(order):
        at += timedelta(hours=1)
        try:
            record = ORDER_FLOW.fire(row, event, actor="demo", at=at, **context)
        except TransitionError as error:
            print(f"    {event.value:<9} refused, {type(error).__name__}: {error}", file=out)
            continue
        with db:
            db.execute(
                "INSERT OR REPLACE INTO order_state VALUES (?, ?, ?)",
                (row.order_id, record.to_state, record.version_after),
            )
            db.execute(
                "INSERT INTO order_transitions VALUES (?, ?, ?)",
                (row.order_id, record.version_after, record.to_json()),
            )
        effects = ", ".join(e.kind for e in record.effects) or "-"
        move = f"{record.from_state} -> {record.to_state}"
        print(f"    {event.value:<9} {move:<28} effects: {effects}", file=out)
    return row
