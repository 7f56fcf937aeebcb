"""Adapters written once, without I/O, and driven over a sync or an async ``httpx`` client.

An adapter operation is a generator: it yields each ``httpx.Request`` it needs, is sent
the ``httpx.Response``, and returns its result. :func:`drive` and :func:`drive_async`
run such a generator over an ``httpx.Client`` or ``httpx.AsyncClient``, so the
platform logic (signing, paging, parsing, error codes) exists once and is tested by
sending it responses, with no client at all.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TypeAlias, TypeVar

import httpx

from orderkit.channels._classify import failed
from orderkit.channels._types import Classification
from orderkit.errors import ChannelRequestFailed

__all__ = ["Exchange", "drive", "drive_async", "request_failed"]

T = TypeVar("T")

Exchange: TypeAlias = Generator[httpx.Request, httpx.Response, T]
"""An operation that yields requests, is sent their responses, and returns a ``T``."""

Classifier: TypeAlias = Callable[[httpx.Response | httpx.HTTPError], Classification]


def request_failed(
    channel: str, failure: httpx.Response | httpx.HTTPError, classify: Classifier
) -> ChannelRequestFailed:
    """The typed error for a failed response or transport error, classified by the adapter."""
    status = failure.status_code if isinstance(failure, httpx.Response) else None
    return failed(channel, classify(failure), status=status)


def drive(exchange: Exchange[T], http: httpx.Client, channel: str, classify: Classifier) -> T:
    """Run ``exchange`` over a sync client; transport errors become ``ChannelRequestFailed``.

    >>> def ping() -> Exchange[int]:
    ...     response = yield httpx.Request("GET", "https://shop.example/ping")
    ...     return response.status_code
    >>> http = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(204)))
    >>> drive(ping(), http, "example", classify=lambda failure: NotImplemented)
    204
    """
    try:
        request = next(exchange)
        while True:
            try:
                response = http.send(request)
                response.read()
            except httpx.HTTPError as error:
                raise request_failed(channel, error, classify) from error
            request = exchange.send(response)
    except StopIteration as done:
        result: T = done.value
        return result


async def drive_async(
    exchange: Exchange[T], http: httpx.AsyncClient, channel: str, classify: Classifier
) -> T:
    """Run ``exchange`` over an async client, like :func:`drive`."""
    try:
        request = next(exchange)
        while True:
            try:
                response = await http.send(request)
                await response.aread()
            except httpx.HTTPError as error:
                raise request_failed(channel, error, classify) from error
            request = exchange.send(response)
    except StopIteration as done:
        result: T = done.value
        return result
