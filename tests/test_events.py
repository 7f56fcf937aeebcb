"""One event schema and the in-process bus (MISSION L12)."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import pytest
from hypothesis import given
from pydantic import ValidationError

from orderkit.errors import ConfigError, EventError, HandlerFailed
from orderkit.events import (
    ALL_EVENTS,
    Event,
    EventPayload,
    EventType,
    InProcessBus,
    OrderCancelled,
    OrderReturned,
    StockReserved,
    payload_model,
)
from orderkit.testing import strategies as oks

T0 = datetime(2026, 11, 11, tzinfo=UTC)


def _cancelled(reason: str = "buyer asked") -> Event:
    return Event.of(OrderCancelled(reason=reason), at=T0, order_id="SO-1")


def test_envelope_fields() -> None:
    event_id = UUID("12345678-1234-5678-1234-567812345678")
    event = Event.of(
        StockReserved(reservation_id="R1", items={"TEA-01": 2}),
        at=datetime(2026, 11, 11, 8, tzinfo=timezone(timedelta(hours=8))),
        order_id="SO-1",
        event_id=event_id,
    )
    assert event.event_id == event_id
    assert event.type == "stock.reserved"
    assert event.occurred_at == T0
    assert event.schema_version == 1
    assert event.payload == {"reservation_id": "R1", "items": {"TEA-01": 2}, "location": None}


def test_every_core_type_has_a_payload_model() -> None:
    for event_type in EventType:
        model = payload_model(event_type)
        assert model is not None
        assert model.event_type == event_type


def test_events_get_distinct_ids_by_default() -> None:
    assert _cancelled().event_id != _cancelled().event_id


def test_naive_time_and_bad_types_are_refused() -> None:
    with pytest.raises(ValueError, match="no timezone"):
        Event.of(OrderCancelled(reason="x"), at=datetime(2026, 11, 11))
    with pytest.raises(ValidationError, match="type"):
        Event(type="Order Paid", occurred_at=T0)


def test_parsed_and_payload_as() -> None:
    event = _cancelled("late")
    assert event.parsed() == OrderCancelled(reason="late")
    assert event.payload_as(OrderCancelled).reason == "late"
    with pytest.raises(EventError, match=r"OrderReturned is for 'order\.returned'"):
        event.payload_as(OrderReturned)
    with pytest.raises(EventError, match="no payload model"):
        Event(type="custom.unknown", occurred_at=T0).parsed()


def test_custom_payloads_register_and_duplicates_are_refused() -> None:
    class InvoiceIssued(EventPayload):
        event_type = "invoice.issued"
        invoice_no: str

    event = Event.of(InvoiceIssued(invoice_no="INV-7"), at=T0)
    assert event.parsed() == InvoiceIssued(invoice_no="INV-7")
    with pytest.raises(ConfigError, match="dotted lower-case"):

        class Shouting(EventPayload):
            event_type = "BadType"

    with pytest.raises(ConfigError, match="already bound"):

        class Impostor(EventPayload):
            event_type = "order.paid"


@given(oks.events())
def test_json_round_trip(event: Event) -> None:
    copy = Event.model_validate_json(event.model_dump_json())
    assert copy == event
    assert copy.parsed() == event.parsed()


def test_bus_delivers_by_type_and_wildcard_in_subscription_order() -> None:
    bus = InProcessBus()
    seen: list[str] = []
    bus.subscribe(ALL_EVENTS, lambda e: seen.append("all:" + e.type))
    bus.subscribe("order.cancelled", lambda e: seen.append("cancelled"))
    bus.subscribe("order.paid", lambda e: seen.append("paid"))
    bus.publish(_cancelled())
    assert seen == ["cancelled", "all:order.cancelled"]


def test_unsubscribe_stops_delivery() -> None:
    bus = InProcessBus()
    seen: list[Event] = []
    unsubscribe = bus.subscribe("order.cancelled", seen.append)
    bus.publish(_cancelled())
    unsubscribe()
    unsubscribe()
    bus.publish(_cancelled())
    assert len(seen) == 1


def test_failing_handlers_are_isolated_and_reported() -> None:
    bus = InProcessBus()
    seen: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("warehouse API down")

    bus.subscribe("order.cancelled", broken)
    bus.subscribe("order.cancelled", seen.append)
    with pytest.raises(HandlerFailed) as caught:
        bus.publish(_cancelled())
    assert len(seen) == 1
    assert [f.handler for f in caught.value.failures] == [broken.__qualname__]
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert "warehouse API down" in str(caught.value.failures[0].error)


def test_on_failure_receives_the_report_instead_of_raising() -> None:
    reports: list[HandlerFailed] = []
    bus = InProcessBus(on_failure=reports.append)

    def broken(event: Event) -> None:
        raise ZeroDivisionError

    bus.subscribe("order.cancelled", broken)
    bus.publish(_cancelled())
    assert len(reports) == 1
    assert isinstance(reports[0].failures[0].error, ZeroDivisionError)


def test_concurrent_subscribe_and_publish_lose_no_subscription() -> None:
    bus = InProcessBus()
    counts = [0] * 8

    def subscriber(i: int) -> None:
        def handler(event: Event) -> None:
            counts[i] += 1

        bus.subscribe("order.cancelled", handler)
        bus.publish(_cancelled())

    threads = [threading.Thread(target=subscriber, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bus.publish(_cancelled())
    assert all(c >= 1 for c in counts)
    assert len(bus._handlers["order.cancelled"]) == 8


def test_events_survive_an_outbox_table() -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE outbox (event_id TEXT PRIMARY KEY, body TEXT)")
    event = _cancelled()
    with db:
        db.execute(
            "INSERT INTO outbox VALUES (?, ?)", (str(event.event_id), event.model_dump_json())
        )
    (body,) = db.execute("SELECT body FROM outbox").fetchone()
    assert Event.model_validate_json(body) == event
