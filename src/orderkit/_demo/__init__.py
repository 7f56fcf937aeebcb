"""``python -m orderkit demo``: an end-to-end story on the embedded SQLite default."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any, TextIO

import orderkit
from orderkit._demo._discounts import price_orders
from orderkit._demo._health import score_orders, watch_alert
from orderkit._demo._ingest import ingest, print_buyer
from orderkit._demo._inventory import reserve_orders
from orderkit._demo._lifecycle import walk
from orderkit._demo._push import push_with_retries
from orderkit.events import Event, InProcessBus, OrderCreated
from orderkit.inventory import SQLiteStore
from orderkit.money import Money
from orderkit.order import Order
from orderkit.testing import FakeClock

__all__ = ["run"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (channel_key TEXT PRIMARY KEY, order_id TEXT, body TEXT);
CREATE TABLE IF NOT EXISTS outbox (
    event_id TEXT PRIMARY KEY, type TEXT, body TEXT, delivered INTEGER DEFAULT 0
);
"""


def _payload(name: str) -> Any:
    text = files(__name__).joinpath(name).read_text(encoding="utf-8")
    return json.loads(text, parse_float=Decimal)


def _save(db: sqlite3.Connection, order: Order, now: datetime) -> bool:
    """Store the order and its ``order.created`` event in one transaction (an outbox)."""
    with db:
        cursor = db.execute(
            "INSERT INTO orders VALUES (?, ?, ?) ON CONFLICT (channel_key) DO NOTHING",
            (order.channel.key, order.order_id, order.model_dump_json()),
        )
        if cursor.rowcount == 0:
            return False
        event = Event.of(OrderCreated(order=order), at=now, order_id=order.order_id)
        db.execute(
            "INSERT INTO outbox (event_id, type, body) VALUES (?, ?, ?)",
            (str(event.event_id), event.type, event.model_dump_json()),
        )
    return True


def _relay(db: sqlite3.Connection, bus: InProcessBus) -> int:
    rows = db.execute("SELECT event_id, body FROM outbox WHERE delivered = 0").fetchall()
    for event_id, body in rows:
        bus.publish(Event.model_validate_json(body))
        with db:
            db.execute("UPDATE outbox SET delivered = 1 WHERE event_id = ?", (event_id,))
    return len(rows)


def _money(value: Money | None, width: int = 10) -> str:
    return f"{value.amount if value is not None else Decimal(0):>{width}}"


def _print_order(out: TextIO, order: Order, channel_total: Money) -> None:
    print(f"\n  {order.order_id}  ({order.channel.key}, {order.currency})", file=out)
    print(
        f"    {'sku':<12}{'qty':>4}{'unit':>10}{'subtotal':>10}{'discount':>10}{'total':>10}",
        file=out,
    )
    for line in order.lines:
        print(
            f"    {line.sku:<12}{line.quantity:>4}{_money(line.unit_price)}"
            f"{_money(line.subtotal)}{_money(line.discount)}{_money(line.total)}",
            file=out,
        )
    print(
        f"    subtotal {order.subtotal}, discount {order.discount_total}, "
        f"shipping {order.shipping_fee or Money.zero(order.currency)}",
        file=out,
    )
    verdict = "matches" if order.total == channel_total else "DIFFERS FROM"
    print(
        f"    total    {order.total}  {verdict} the channel's own total {channel_total}", file=out
    )
    print(f"    paid     {order.paid_total}, balance due {order.balance_due}", file=out)


def run(out: TextIO, workdir: Path, now: datetime | None = None) -> list[Order]:
    """Run the demo, writing its story to ``out`` and its database under ``workdir``."""
    stamp = now or datetime.now(UTC)
    shopify_doc, pdd_doc = _payload("shopify_order.json"), _payload("pinduoduo_order.json")
    orders = ingest(shopify_doc, pdd_doc)
    channel_totals = [
        Money(shopify_doc["order"]["total_price"], "USD"),
        *(Money(o["pay_amount"], "CNY") for o in pdd_doc["order_list_get_response"]["order_list"]),
    ]
    db_path = workdir / "orderkit-demo.sqlite3"
    print(f"orderkit {orderkit.__version__} demo, embedded SQLite at {db_path}", file=out)

    print(
        "\n1. A Shopify and a Pinduoduo payload become canonical orders through the "
        "reference adapters' field maps; amounts are exact, Beijing times become UTC, "
        "and personal data is masked in what is printed",
        file=out,
    )
    for order, channel_total in zip(orders, channel_totals, strict=True):
        _print_order(out, order, channel_total)
        print_buyer(out, order)

    db = sqlite3.connect(db_path)
    try:
        db.executescript(_SCHEMA)
        saved = [_save(db, order, stamp) for order in _repeat(orders)]
        print(
            f"\n2. Stored {sum(saved)} orders with their order.created events in one "
            f"transaction each (outbox); the repeated import of "
            f"{len(saved) - sum(saved)} payloads was recognised by channel key and "
            "ignored",
            file=out,
        )
        bus = InProcessBus()
        seen: list[str] = []
        bus.subscribe("order.created", lambda event: seen.append(event.order_id or "?"))
        delivered = _relay(db, bus)
        print(
            f"\n3. The outbox relay delivered {delivered} events to a subscriber: "
            f"{', '.join(seen)}",
            file=out,
        )
        print(
            f"\n4. {orders[0].order_id} walks its lifecycle; every step is a stored record, "
            "and refused events change nothing",
            file=out,
        )
        row = walk(out, db, orders[0], stamp)
        stored = db.execute("SELECT count(*) FROM order_transitions").fetchone()[0]
        print(
            f"    final state {row.state} at version {row.version}; "
            f"{stored} transition records stored",
            file=out,
        )
        print(
            "\n5. Stock is reserved for both orders in the embedded SQLite store, the "
            "seed's 50/48/32 oversell is refused, and a cancel releases its hold",
            file=out,
        )
        with SQLiteStore(workdir / "orderkit-stock.sqlite3") as store:
            reserve_orders(out, store, orders, stamp)
        print(
            "\n6. The same orders priced by orderkit's discount engine: layered rules as "
            "data, exact per-line splits, and an audit log entry for every rule",
            file=out,
        )
        entered = {c["code"] for c in shopify_doc["order"]["discount_codes"]}
        price_orders(out, orders, {orders[0].order_id: frozenset(entered)})
        print(
            "\n7. Both orders scored on the default 17-dimension health card (H1), every "
            "point explained; then one order's stock and carrier slip, and the 'below 65 "
            "for 2 hours' alert goes pending, fires once and resolves",
            file=out,
        )
        score_orders(out, orders, stamp)
        watch_alert(out, orders[1], FakeClock(stamp))
        print(
            f"\n8. {orders[0].order_id} ships: its tracking number is pushed to Shopify, "
            "which fails twice; the retry policy waits out the tiers (and a longer "
            "Retry-After), and a repeated push sends nothing",
            file=out,
        )
        push_with_retries(out, orders[0], stamp)
    finally:
        db.close()
    return orders


def _repeat(orders: list[Order]) -> Iterable[Order]:
    yield from orders
    yield from orders
