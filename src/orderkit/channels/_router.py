"""What Taobao's TOP and Pinduoduo share on the wire (MISSION C1, C3).

Both take every call as signed form parameters POSTed to one router URL, answer JSON
with the result under ``<api>_response`` or an ``error_response`` with a code and a
sub-code, page incremental syncs by page number inside a time window, and document that
such pages must be read from the last to the first so that an order updated meanwhile
(which leaves the window) shifts no order past the reader. What their field maps share
is in ``_router_mapping``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final, NamedTuple

import httpx
from attrs import field, frozen
from pydantic import BaseModel, ConfigDict, Field

from orderkit.channels._classify import classify_error, classify_response, rate_limit_wait
from orderkit.channels._protocols import Signer
from orderkit.channels._types import Classification, ErrorKind, StockLevel, SyncCursor
from orderkit.clock import Clock
from orderkit.errors import ChannelRequestFailed, InvalidChannelInput

__all__ = [
    "ErrorTable",
    "Gateway",
    "GatewayError",
    "ListingSku",
    "gateway_error",
    "page_after",
    "page_number",
    "resolve_listings",
    "seconds_window",
]

_REASON_LENGTH: Final = 200


class GatewayError(NamedTuple):
    """An ``error_response``: TOP's ``code``/``msg`` or Pinduoduo's ``error_code``/``error_msg``,
    with the ``sub_code`` and ``sub_msg`` both send."""

    code: str
    sub_code: str
    message: str


def _body(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError:
        return None


def gateway_error(response: httpx.Response) -> GatewayError | None:
    """The response's ``error_response``, or ``None`` when it has none.

    >>> gateway_error(httpx.Response(200, json={"error_response": {
    ...     "error_code": 70031, "error_msg": "调用过于频繁，请调整调用频率", "sub_code": None}}))
    GatewayError(code='70031', sub_code='', message='调用过于频繁，请调整调用频率')
    """
    body = _body(response)
    error = body.get("error_response") if isinstance(body, dict) else None
    if not isinstance(error, Mapping):
        return None
    code = error.get("code", error.get("error_code", ""))
    texts = [error.get("msg") or error.get("error_msg"), error.get("sub_msg")]
    message = " / ".join(str(text) for text in texts if text)
    if len(message) > _REASON_LENGTH:
        message = message[: _REASON_LENGTH - 1] + "…"
    return GatewayError(str(code or ""), str(error.get("sub_code") or ""), message)


class ErrorTable(NamedTuple):
    """A platform's error codes and the :class:`~orderkit.channels.ErrorKind` of each.

    A sub-code listed in ``sub_codes`` decides first, then the first matching prefix in
    ``prefixes``, then the main code in ``codes``; anything else is permanent. ``wait``
    reads the wait a rate-limit answer asks for, where the platform says it in words.
    """

    codes: Mapping[str, ErrorKind]
    sub_codes: Mapping[str, ErrorKind]
    prefixes: tuple[tuple[str, ErrorKind], ...] = ()
    wait: Callable[[GatewayError], timedelta | None] | None = None

    def kind(self, error: GatewayError) -> ErrorKind:
        """The kind of ``error``."""
        if (known := self.sub_codes.get(error.sub_code)) is not None:
            return known
        for prefix, kind in self.prefixes:
            if error.sub_code.startswith(prefix):
                return kind
        return self.codes.get(error.code, ErrorKind.PERMANENT)

    def classify(self, failure: httpx.Response | httpx.HTTPError) -> Classification:
        """A transport error, an HTTP status or the body's ``error_response``, classified.

        The wait is the longest of the rate-limit headers and the platform's words. A 2xx
        answer without an ``error_response`` is a failure only when its body is
        unreadable, which is transient.
        """
        if isinstance(failure, httpx.HTTPError):
            return classify_error(failure)
        status = failure.status_code
        error = gateway_error(failure)
        if error is None:
            if failure.is_success:
                return Classification(
                    ErrorKind.TRANSIENT, None, f"HTTP {status} without the expected answer"
                )
            return classify_response(failure)
        hints = [rate_limit_wait(failure.headers), self.wait(error) if self.wait else None]
        wait = max((hint for hint in hints if hint is not None), default=None)
        code = f"{error.code}/{error.sub_code}" if error.sub_code else error.code
        reason = f"HTTP {status}, platform code {code}" + (
            f": {error.message}" if error.message else ""
        )
        return Classification(self.kind(error), wait, reason)


@frozen
class Gateway:
    """One app's calls to a router gateway: signed, POSTed as a form, answers unwrapped."""

    channel: str
    url: str
    signer: Signer
    token: str | None = field(repr=False)
    clock: Clock = field(repr=False)
    errors: ErrorTable = field(repr=False)

    def request(self, api: str, params: Mapping[str, object]) -> httpx.Request:
        """The signed call of ``api`` with the business ``params``, timestamped now."""
        signed = self.signer.signed_request(api, params, self.clock.now(), self.token)
        return httpx.Request("POST", self.url, data=signed.params)

    def call(
        self, api: str, params: Mapping[str, object], key: str
    ) -> Generator[httpx.Request, httpx.Response, Any]:
        """Send one call and return the answer under ``key``, or raise its failure."""
        response = yield self.request(api, params)
        return self.answer(response, key)

    def answer(self, response: httpx.Response, key: str) -> Any:
        """The JSON object under ``key`` (decimals exact), or :class:`ChannelRequestFailed`."""
        body = _body(response) if response.is_success else None
        if not isinstance(body, dict) or not isinstance(body.get(key), dict):
            raise self.failed(response)
        return body[key]

    def failed(self, response: httpx.Response) -> ChannelRequestFailed:
        """The typed failure of ``response``, classified, with the platform's code."""
        kind, retry_after, reason = self.errors.classify(response)
        error = gateway_error(response)
        return ChannelRequestFailed(
            self.channel,
            kind.value,
            reason,
            status=response.status_code,
            code=None if error is None else error.code,
            retry_after=retry_after,
        )


def seconds_window(cursor: SyncCursor, size: timedelta) -> tuple[datetime, datetime] | None:
    """The cursor's window ``[since, end)`` in whole seconds, both ends inclusive as the
    platforms take them: ``(since, end - 1 s)``; ``None`` when less than a second is left."""
    start, end = cursor.window(size)
    first = start.replace(microsecond=0)
    last = end.replace(microsecond=0) - timedelta(seconds=1)
    return None if last < first else (first, last)


def page_number(cursor: SyncCursor) -> int:
    """The page the cursor asks for: 1 at a window's start (to count), else its token."""
    token = cursor.page
    if token is None:
        return 1
    if not (token.isascii() and token.isdigit()) or int(token) < 1:
        raise InvalidChannelInput(f"{cursor.channel}: page token {token!r} is no page number")
    return int(token)


def page_after(
    cursor: SyncCursor, total: int, page_size: int, window: timedelta
) -> tuple[bool, SyncCursor | None]:
    """Whether to hand over the page just read, and the cursor after it.

    A window's first call reads page 1 and the total: when that is all, it is handed
    over; otherwise it only counted, and the pages are read from the last one back to 1.
    """
    if cursor.page is None:
        last = -(-total // page_size)
        if last > 1:
            return False, cursor.after(str(last), window)
        return True, cursor.after(None, window)
    page = page_number(cursor)
    return True, cursor.after(str(page - 1) if page > 1 else None, window)


class ListingSku(BaseModel):
    """Where one of our SKUs is listed: the item (TOP ``num_iid``, Pinduoduo ``goods_id``)
    and its ``sku_id`` or merchant ``outer_id``; with neither, the item's own stock.

    >>> ListingSku(item_id=520000000001, outer_id="TEA-01").sku_id is None
    True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: int = Field(gt=0)
    sku_id: int | None = Field(default=None, gt=0)
    outer_id: str | None = Field(default=None, min_length=1)


def resolve_listings(
    channel: str, listings: Mapping[str, ListingSku], levels: list[StockLevel]
) -> list[tuple[ListingSku, StockLevel]]:
    """Each level with its listing; an unknown SKU or a negative quantity sends nothing."""
    problems = [
        f"SKU {level.sku!r} has no listing" for level in levels if level.sku not in listings
    ]
    problems += [
        f"SKU {level.sku!r} quantity {level.quantity} is negative"
        for level in levels
        if level.quantity < 0
    ]
    if problems:
        raise InvalidChannelInput(f"{channel}: nothing sent: " + "; ".join(problems))
    return [(listings[level.sku], level) for level in levels]
