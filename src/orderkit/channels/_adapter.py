"""A channel written once as a sans-I/O :class:`Adapter`, served sync or async.

:class:`Channel` and :class:`AsyncChannel` wrap an adapter and the host's ``httpx``
client into a :class:`~orderkit.channels.ChannelClient` or
:class:`~orderkit.channels.AsyncChannelClient`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

import httpx

from orderkit.channels._exchange import Exchange, drive, drive_async
from orderkit.channels._protocols import ChannelClient, OrderMapper
from orderkit.channels._types import (
    ChannelOrder,
    Classification,
    OrderPage,
    PushResult,
    StockLevel,
    SyncCursor,
    TrackingUpdate,
)

__all__ = ["Adapter", "AsyncChannel", "Channel", "pages"]


class Adapter(Protocol):
    """A channel's API as generators of requests: no client, no I/O, no sleeping.

    Each operation yields the ``httpx.Request``s it needs and returns its result (see
    :data:`~orderkit.channels.Exchange`); a response the platform marks as failed
    raises :class:`~orderkit.errors.ChannelRequestFailed` with the adapter's
    classification.
    """

    @property
    def channel(self) -> str:
        """The channel's name, as in :class:`~orderkit.order.ChannelRef`."""
        ...

    @property
    def mapper(self) -> OrderMapper:
        """Maps the channel's order payloads to canonical orders."""
        ...

    def fetch_orders(self, cursor: SyncCursor) -> Exchange[OrderPage]:
        """One page of orders updated in the cursor's window, and the cursor after it."""
        ...

    def fetch_order(self, external_id: str) -> Exchange[ChannelOrder]:
        """One order by the channel's own id."""
        ...

    def push_tracking(self, update: TrackingUpdate) -> Exchange[PushResult]:
        """Tell the channel a package shipped; "already shipped" answers are success."""
        ...

    def push_stock(self, levels: Sequence[StockLevel]) -> Exchange[PushResult]:
        """Publish sellable quantities."""
        ...

    def classify(self, failure: httpx.Response | httpx.HTTPError) -> Classification:
        """How to react to a failed call."""
        ...


class Channel:
    """An :class:`Adapter` over the host's ``httpx.Client``: a ``ChannelClient``.

    The host owns the client (its timeouts, proxies, connection pool) and closes it.
    """

    def __init__(self, adapter: Adapter, http: httpx.Client) -> None:
        self.adapter = adapter
        self.http = http

    @property
    def channel(self) -> str:
        """The adapter's channel name."""
        return self.adapter.channel

    def fetch_orders(self, cursor: SyncCursor) -> OrderPage:
        """The page of orders at ``cursor`` and the cursor after it."""
        return drive(self.adapter.fetch_orders(cursor), self.http, self.channel, self.classify)

    def fetch_order(self, external_id: str) -> ChannelOrder:
        """One order by the channel's own id."""
        return drive(self.adapter.fetch_order(external_id), self.http, self.channel, self.classify)

    def push_tracking(self, update: TrackingUpdate) -> PushResult:
        """Tell the channel a package shipped."""
        return drive(self.adapter.push_tracking(update), self.http, self.channel, self.classify)

    def push_stock(self, levels: Sequence[StockLevel]) -> PushResult:
        """Publish sellable quantities."""
        return drive(self.adapter.push_stock(levels), self.http, self.channel, self.classify)

    def classify(self, failure: httpx.Response | httpx.HTTPError) -> Classification:
        """The adapter's classification of a failed call."""
        return self.adapter.classify(failure)


class AsyncChannel:
    """An :class:`Adapter` over the host's ``httpx.AsyncClient``: an ``AsyncChannelClient``."""

    def __init__(self, adapter: Adapter, http: httpx.AsyncClient) -> None:
        self.adapter = adapter
        self.http = http

    @property
    def channel(self) -> str:
        """The adapter's channel name."""
        return self.adapter.channel

    async def fetch_orders(self, cursor: SyncCursor) -> OrderPage:
        """The page of orders at ``cursor`` and the cursor after it."""
        exchange = self.adapter.fetch_orders(cursor)
        return await drive_async(exchange, self.http, self.channel, self.classify)

    async def fetch_order(self, external_id: str) -> ChannelOrder:
        """One order by the channel's own id."""
        exchange = self.adapter.fetch_order(external_id)
        return await drive_async(exchange, self.http, self.channel, self.classify)

    async def push_tracking(self, update: TrackingUpdate) -> PushResult:
        """Tell the channel a package shipped."""
        exchange = self.adapter.push_tracking(update)
        return await drive_async(exchange, self.http, self.channel, self.classify)

    async def push_stock(self, levels: Sequence[StockLevel]) -> PushResult:
        """Publish sellable quantities."""
        exchange = self.adapter.push_stock(levels)
        return await drive_async(exchange, self.http, self.channel, self.classify)

    def classify(self, failure: httpx.Response | httpx.HTTPError) -> Classification:
        """The adapter's classification of a failed call."""
        return self.adapter.classify(failure)


def pages(client: ChannelClient, cursor: SyncCursor) -> Iterator[OrderPage]:
    """Every page from ``cursor`` until the sync reaches its end.

    Store each ``page.cursor`` only after handling the page's orders: a crash in
    between fetches the page again, which idempotent ingestion absorbs.
    """
    current: SyncCursor | None = cursor
    while current is not None:
        page = client.fetch_orders(current)
        yield page
        current = page.cursor
