"""Conformance checks on an adapter's API side: paging, cursors, error classification (C3)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

import httpx

from orderkit.channels._adapter import Adapter, AsyncChannel, Channel, pages
from orderkit.channels._types import ErrorKind, OrderPage, SyncCursor
from orderkit.errors import ChannelRequestFailed
from orderkit.testing._channels_findings import Findings, leaks

__all__ = [
    "MAX_PAGES",
    "TRANSPORT_ERRORS",
    "check_failures",
    "check_pages",
    "check_transport_errors",
    "walk",
    "walk_async",
]

MAX_PAGES = 5000
"""A sync that has not ended after this many pages is taken to loop."""

TRANSPORT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ReadTimeout,
    httpx.ReadError,
    httpx.RemoteProtocolError,
)
"""Failures with no response at all: each must be transient, so the call is retried."""


def walk(adapter: Adapter, transport: httpx.MockTransport, cursor: SyncCursor) -> list[OrderPage]:
    """Every page of a sync from ``cursor`` through :func:`~orderkit.channels.pages`.

    The walk stops early when a page hands back the cursor it was fetched with, which
    would loop forever, or after :data:`MAX_PAGES`.
    """
    found: list[OrderPage] = []
    with httpx.Client(transport=transport) as http:
        for page in pages(Channel(adapter, http), cursor):
            found.append(page)
            if len(found) == MAX_PAGES or page.cursor == cursor:
                break
            cursor = page.cursor or cursor
    return found


def walk_async(
    adapter: Adapter, transport: httpx.MockTransport, cursor: SyncCursor
) -> list[OrderPage]:
    """The same sync through :class:`~orderkit.channels.AsyncChannel`."""

    async def run() -> list[OrderPage]:
        found: list[OrderPage] = []
        current: SyncCursor | None = cursor
        async with httpx.AsyncClient(transport=transport) as http:
            client = AsyncChannel(adapter, http)
            while current is not None and len(found) < MAX_PAGES:
                found.append(await client.fetch_orders(current))
                current = None if found[-1].cursor == current else found[-1].cursor
        return found

    return asyncio.run(run())


def check_pages(start: SyncCursor, found: Sequence[OrderPage], expected: Sequence[str]) -> None:
    """Each expected external id comes once; cursors round-trip as JSON, only move
    forward, stop before ``until`` and always advance."""
    check = Findings("pagination")
    check.expect(
        len(found) < MAX_PAGES, "pages()", f"no end after {MAX_PAGES} pages: does it loop?"
    )
    previous = start
    for number, page in enumerate(found):
        where = f"page {number}"
        cursor = page.cursor
        if cursor is None:
            continue
        text = cursor.to_json()
        check.expect(SyncCursor.from_json(text) == cursor, where, "cursor does not round-trip")
        check.expect(cursor.channel == start.channel, where, f"cursor is for {cursor.channel!r}")
        check.expect(cursor.until == start.until, where, "cursor changed the sync's until")
        check.expect(cursor.since >= previous.since, where, "cursor's since moved backwards")
        check.expect(cursor.since < start.until, where, "cursor's since passed until")
        check.expect(cursor != previous, where, "returned the cursor it was given: it loops")
        previous = cursor
    seen = Counter(o.order.channel.external_id for page in found for o in page.orders)
    for index, external_id in enumerate(expected):
        where = f"payload[{index}] (id {external_id})"
        count = seen.pop(external_id, 0)
        check.expect(count > 0, where, "never came back: check the window filter and next token")
        check.expect(count <= 1, where, f"came back {count} times")
    for external_id in seen:
        check.add(f"id {external_id}", "came back but is none of order_payloads()")
    check.raise_any()


def _describe(response: httpx.Response) -> str:
    body = response.content[:80].decode(errors="replace")
    return f"HTTP {response.status_code} {body!r}"


def _answering(response: httpx.Response) -> httpx.MockTransport:
    """A transport answering every request with a fresh copy of ``response``."""
    status, headers, content = response.status_code, response.headers, response.content
    return httpx.MockTransport(
        lambda request: httpx.Response(status, headers=headers, content=content)
    )


def _raising(error_type: type[httpx.TransportError]) -> httpx.MockTransport:
    """A transport whose every request fails with ``error_type``, before any response."""

    def fail(request: httpx.Request) -> httpx.Response:
        raise error_type("simulated", request=request)

    return httpx.MockTransport(fail)


def _raised(adapter: Adapter, transport: httpx.MockTransport, cursor: SyncCursor) -> object:
    """What ``fetch_orders`` raised through a sync client, or what it returned."""
    with httpx.Client(transport=transport) as http:
        try:
            return Channel(adapter, http).fetch_orders(cursor)
        except Exception as error:
            return error


def _expect_failed(
    check: Findings, where: str, outcome: object, kind: ErrorKind, secrets: Sequence[str]
) -> None:
    if not isinstance(outcome, ChannelRequestFailed):
        got = type(outcome).__name__
        check.add(
            where,
            f"fetch_orders gave {got}, not ChannelRequestFailed: raise "
            "request_failed(channel, response, classify) before reading the body",
        )
        return
    check.expect(outcome.kind == kind.value, where, f"fetch_orders raised {outcome.kind}")
    if leaked := leaks([str(outcome), repr(outcome)], secrets):
        check.add(where, f"the error shows secrets()[{leaked[0]}]")


def check_failures(
    adapter: Adapter,
    failures: Sequence[tuple[httpx.Response, ErrorKind]],
    cursor: SyncCursor,
    secrets: Sequence[str],
) -> None:
    """Each declared failure is classified as declared, by ``classify`` and in the error
    ``fetch_orders`` raises; waits the platform asks for are kept (C3)."""
    check = Findings("retry classification")
    check.expect(bool(failures), "failures()", "list the platform's error responses")
    for index, (response, kind) in enumerate(failures):
        where = f"failures[{index}] ({_describe(response)})"
        verdict = adapter.classify(response)
        check.expect(
            verdict.kind == kind, where, f"classified {verdict.kind}, declared {kind}: {verdict}"
        )
        asked = response.headers.get("Retry-After", "")
        if asked.isdigit():
            check.expect(
                verdict.retry_after is not None
                and verdict.retry_after >= timedelta(seconds=int(asked)),
                where,
                f"Retry-After {asked} s, but retry_after is {verdict.retry_after}",
            )
        outcome = _raised(adapter, _answering(response), cursor)
        _expect_failed(check, where, outcome, kind, secrets)
    check.raise_any()


def check_transport_errors(adapter: Adapter, cursor: SyncCursor, secrets: Sequence[str]) -> None:
    """Timeouts and dropped connections are transient, so the retry policy retries them."""
    check = Findings("transport errors")
    for error_type in TRANSPORT_ERRORS:
        where = error_type.__name__
        verdict = adapter.classify(error_type("simulated"))
        check.expect(verdict.retryable, where, f"classify() says {verdict.kind}, not retryable")
        outcome = _raised(adapter, _raising(error_type), cursor)
        _expect_failed(check, where, outcome, ErrorKind.TRANSIENT, secrets)
    check.raise_any()
