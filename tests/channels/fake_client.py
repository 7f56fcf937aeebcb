"""A channel client for tests: its HTTP answers are scripted, through ``httpx.MockTransport``.

The platform answers errors with a JSON body ``{"error_code": ...}``; ``already_shipped``
means the order already has this tracking number.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from orderkit.channels._classify import classify_error, classify_response, raise_for_classification
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

CODES = {"throttled": ErrorKind.RATE_LIMITED, "token_expired": ErrorKind.AUTH_EXPIRED}
BASE_URL = "https://api.example.test"

Answer = httpx.Response | httpx.TransportError


def ok() -> httpx.Response:
    return httpx.Response(200, json={"ok": True})


def unavailable(retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after else {}
    return httpx.Response(503, headers=headers)


def throttled(retry_after: str) -> httpx.Response:
    return httpx.Response(429, headers={"Retry-After": retry_after})


def refused() -> httpx.Response:
    return httpx.Response(400, json={"error_code": "invalid_carrier"})


def already_shipped() -> httpx.Response:
    return httpx.Response(422, json={"error_code": "already_shipped"})


class Script:
    """A ``MockTransport`` handler answering each request with the next scripted answer."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.answers:
            raise AssertionError(f"unscripted request {request.method} {request.url.path}")
        answer = self.answers.pop(0)
        if isinstance(answer, httpx.TransportError):
            raise answer
        return answer


def _error_code(response: httpx.Response) -> str | None:
    if response.is_success or not response.content:
        return None
    code = response.json().get("error_code")
    return None if code is None else str(code)


def _result(channel: str, key: str, response: httpx.Response) -> PushResult:
    code = _error_code(response)
    if code == "already_shipped":
        return PushResult(key, PushStatus.ALREADY_DONE, 1)
    raise_for_classification(channel, response, code=code, codes=CODES)
    return PushResult(key, PushStatus.PUSHED, 1)


def _tracking_body(update: TrackingUpdate) -> dict[str, object]:
    return {
        "order_id": update.channel.external_id,
        "tracking_number": update.tracking_number,
        "carrier": update.carrier,
    }


def _stock_body(levels: Sequence[StockLevel]) -> list[dict[str, object]]:
    return [{"sku": level.sku, "quantity": level.quantity} for level in levels]


def _stock_key(channel: str) -> str:
    return f"{channel}:stock"


class _Classifying:
    channel: str

    def classify(self, failure: httpx.Response | httpx.HTTPError) -> Classification:
        if isinstance(failure, httpx.Response):
            return classify_response(failure, code=_error_code(failure), codes=CODES)
        return classify_error(failure)


class FakeChannel(_Classifying):
    """A :class:`~orderkit.channels.ChannelClient` for tracking and stock pushes only."""

    def __init__(self, channel: str, script: Script) -> None:
        self.channel = channel
        self.script = script
        self.http = httpx.Client(transport=httpx.MockTransport(script), base_url=BASE_URL)

    def fetch_orders(self, cursor: SyncCursor) -> OrderPage:
        raise NotImplementedError("this fake only pushes")

    def fetch_order(self, external_id: str) -> ChannelOrder:
        raise NotImplementedError("this fake only pushes")

    def push_tracking(self, update: TrackingUpdate) -> PushResult:
        response = self.http.post("/fulfillments", json=_tracking_body(update))
        return _result(self.channel, update.dedup_key, response)

    def push_stock(self, levels: Sequence[StockLevel]) -> PushResult:
        response = self.http.post("/inventory", json=_stock_body(levels))
        return _result(self.channel, _stock_key(self.channel), response)


class AsyncFakeChannel(_Classifying):
    """:class:`FakeChannel` over an ``httpx.AsyncClient``."""

    def __init__(self, channel: str, script: Script) -> None:
        self.channel = channel
        self.script = script
        self.http = httpx.AsyncClient(transport=httpx.MockTransport(script), base_url=BASE_URL)

    async def fetch_orders(self, cursor: SyncCursor) -> OrderPage:
        raise NotImplementedError("this fake only pushes")

    async def fetch_order(self, external_id: str) -> ChannelOrder:
        raise NotImplementedError("this fake only pushes")

    async def push_tracking(self, update: TrackingUpdate) -> PushResult:
        response = await self.http.post("/fulfillments", json=_tracking_body(update))
        return _result(self.channel, update.dedup_key, response)

    async def push_stock(self, levels: Sequence[StockLevel]) -> PushResult:
        response = await self.http.post("/inventory", json=_stock_body(levels))
        return _result(self.channel, _stock_key(self.channel), response)


class Waits:
    """A sleep that records the waits asked of it instead of sleeping."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.seconds.append(seconds)
