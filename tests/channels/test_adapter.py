"""A sans-I/O adapter served sync and async; incremental sync cursors (MISSION C1, C7)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit.channels._adapter import AsyncChannel, Channel, pages
from orderkit.channels._exchange import Exchange, request_failed
from orderkit.channels._types import (
    ChannelOrder,
    Classification,
    ErrorKind,
    OrderPage,
    PushResult,
    PushStatus,
    StockLevel,
    SyncCursor,
    TrackingUpdate,
)
from orderkit.errors import ChannelRequestFailed, InvalidChannelInput
from orderkit.lifecycle import OrderState
from orderkit.money import Money
from orderkit.order import ChannelRef, Order, OrderLine

START = datetime(2026, 11, 11, tzinfo=UTC)
WINDOW = timedelta(hours=1)


class ToyMapper:
    channel = "toy"

    def map(self, payload: Any) -> ChannelOrder:
        order = Order(
            order_id=f"TOY-{payload['id']}",
            channel=ChannelRef(channel="toy", external_id=str(payload["id"])),
            created_at=datetime.fromisoformat(payload["at"]),
            currency="CNY",
            lines=[OrderLine(line_id="1", sku="TEA", quantity=1, unit_price=Money("9.90", "CNY"))],
        )
        return ChannelOrder(order, OrderState.PAID, "paid")


class ToyAdapter:
    """A channel whose API pages orders two at a time inside an hour-wide window."""

    channel = "toy"
    mapper = ToyMapper()

    def fetch_orders(self, cursor: SyncCursor) -> Exchange[OrderPage]:
        start, end = cursor.window(WINDOW)
        params = {"from": start.isoformat(), "to": end.isoformat(), "page": cursor.page or ""}
        response = yield httpx.Request("GET", "https://toy.example/orders", params=params)
        if response.status_code != 200:
            raise request_failed(self.channel, response, self.classify)
        body = response.json()
        orders = tuple(self.mapper.map(raw) for raw in body["orders"])
        return OrderPage(orders, cursor.after(body.get("next"), WINDOW))

    def fetch_order(self, external_id: str) -> Exchange[ChannelOrder]:
        response = yield httpx.Request("GET", f"https://toy.example/orders/{external_id}")
        return self.mapper.map(response.json())

    def push_tracking(self, update: TrackingUpdate) -> Exchange[PushResult]:
        yield httpx.Request("POST", "https://toy.example/ship", json={"no": update.tracking_number})
        return PushResult(update.dedup_key, PushStatus.PUSHED, 1)

    def push_stock(self, levels: Sequence[StockLevel]) -> Exchange[PushResult]:
        yield httpx.Request("POST", "https://toy.example/stock", json=[list(x) for x in levels])
        return PushResult("stock", PushStatus.PUSHED, 1)

    def classify(self, failure: httpx.Response | httpx.HTTPError) -> Classification:
        if isinstance(failure, httpx.Response) and failure.status_code == 429:
            return Classification(ErrorKind.RATE_LIMITED, timedelta(seconds=2), "slow down")
        if isinstance(failure, httpx.HTTPError):
            return Classification(ErrorKind.TRANSIENT, None, type(failure).__name__)
        return Classification(ErrorKind.PERMANENT, None, f"status {failure.status_code}")


def toy_api(per_window: dict[int, int]) -> httpx.MockTransport:
    """Orders per hour-window index, served two per page; records nothing else."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/orders/7":
            return httpx.Response(200, json={"id": 7, "at": START.isoformat()})
        if request.url.path != "/orders":
            return httpx.Response(200, json={})
        start = datetime.fromisoformat(request.url.params["from"])
        index = int((start - START) / WINDOW)
        ids = [index * 100 + n for n in range(per_window.get(index, 0))]
        page = int(request.url.params["page"] or 0)
        chunk = ids[page * 2 : page * 2 + 2]
        body: dict[str, Any] = {"orders": [{"id": i, "at": start.isoformat()} for i in chunk]}
        if page * 2 + 2 < len(ids):
            body["next"] = str(page + 1)
        return httpx.Response(200, json=body)

    return httpx.MockTransport(handler)


def test_a_sync_walks_every_window_and_page_once() -> None:
    cursor = SyncCursor.start("toy", START, START + timedelta(hours=3))
    with httpx.Client(transport=toy_api({0: 3, 1: 0, 2: 5})) as http:
        got = [
            o.order.order_id
            for page in pages(Channel(ToyAdapter(), http), cursor)
            for o in page.orders
        ]
    assert got == ["TOY-0", "TOY-1", "TOY-2", "TOY-200", "TOY-201", "TOY-202", "TOY-203", "TOY-204"]


def test_the_async_client_gives_the_same_pages() -> None:
    async def collect() -> list[str]:
        cursor: SyncCursor | None = SyncCursor.start("toy", START, START + timedelta(hours=3))
        found: list[str] = []
        async with httpx.AsyncClient(transport=toy_api({0: 3, 2: 1})) as http:
            client = AsyncChannel(ToyAdapter(), http)
            while cursor is not None:
                page = await client.fetch_orders(cursor)
                found += [o.order.order_id for o in page.orders]
                cursor = page.cursor
            assert (await client.fetch_order("7")).order.order_id == "TOY-7"
            update = TrackingUpdate(ChannelRef(channel="toy", external_id="7"), "SF1", "SF")
            assert (await client.push_tracking(update)).status is PushStatus.PUSHED
            assert (await client.push_stock([StockLevel("TEA", 3)])).key == "stock"
        return found

    assert asyncio.run(collect()) == ["TOY-0", "TOY-1", "TOY-2", "TOY-200"]


def test_one_order_tracking_and_stock_through_the_sync_client() -> None:
    with httpx.Client(transport=toy_api({})) as http:
        client = Channel(ToyAdapter(), http)
        assert client.channel == "toy"
        assert client.fetch_order("7").order.channel.key == "toy:7"
        update = TrackingUpdate(ChannelRef(channel="toy", external_id="7"), "SF1", "SF")
        assert client.push_tracking(update).key == "toy:7:SF1"
        assert client.push_stock([StockLevel("TEA", 3)]).status is PushStatus.PUSHED


def test_a_transport_error_is_a_retryable_channel_error() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    cursor = SyncCursor.start("toy", START, START + WINDOW)
    with httpx.Client(transport=httpx.MockTransport(down)) as http:
        client = Channel(ToyAdapter(), http)
        with pytest.raises(ChannelRequestFailed) as caught:
            client.fetch_orders(cursor)
    assert (caught.value.kind, caught.value.retryable, caught.value.status) == (
        "transient",
        True,
        None,
    )
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_a_failed_response_carries_the_adapters_classification() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(429))
    cursor = SyncCursor.start("toy", START, START + WINDOW)
    with httpx.Client(transport=transport) as http, pytest.raises(ChannelRequestFailed) as caught:
        Channel(ToyAdapter(), http).fetch_orders(cursor)
    error = caught.value
    assert (error.kind, error.status, error.retry_after) == (
        "rate_limited",
        429,
        timedelta(seconds=2),
    )


def test_cursors_round_trip_as_json_and_refuse_garbage() -> None:
    cursor = SyncCursor.start("toy", START, START + WINDOW).after("p2", WINDOW)
    assert cursor is not None
    assert SyncCursor.from_json(cursor.to_json()) == cursor
    assert json.loads(cursor.to_json())["page"] == "p2"
    with pytest.raises(InvalidChannelInput, match="unreadable sync cursor"):
        SyncCursor.from_json('{"channel": "toy"}')
    with pytest.raises(InvalidChannelInput, match="must start before"):
        SyncCursor.start("toy", START, START)


@given(
    hours=st.integers(min_value=1, max_value=6),
    extra_minutes=st.integers(min_value=0, max_value=59),
    per_window=st.dictionaries(st.integers(0, 6), st.integers(0, 7), max_size=7),
)
def test_cursors_only_move_forward_and_stop_at_the_sync_start(
    hours: int, extra_minutes: int, per_window: dict[int, int]
) -> None:
    """Windows are visited in order, each once, never past ``until``; every order comes once."""
    until = START + timedelta(hours=hours, minutes=extra_minutes)
    cursor = SyncCursor.start("toy", START, until)
    seen: list[str] = []
    marks: list[datetime] = []
    with httpx.Client(transport=toy_api(per_window)) as http:
        for page in pages(Channel(ToyAdapter(), http), cursor):
            seen += [o.order.order_id for o in page.orders]
            if page.cursor is not None:
                marks.append(page.cursor.since)
                assert page.cursor.since < until
    windows = hours + (1 if extra_minutes else 0)
    expected = [f"TOY-{w * 100 + n}" for w in range(windows) for n in range(per_window.get(w, 0))]
    assert seen == expected
    assert marks == sorted(marks)
