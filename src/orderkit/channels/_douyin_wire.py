"""Doudian's wire details: the response envelope, its error codes and push messages.

Every answer is HTTP 200 with ``{"code", "msg", "sub_code", "sub_msg", "data"}``;
``code`` 10000 is success. The codes follow op.jinritemai.com's table of platform
error codes (guide-docs/212/1427) and the ``order.logisticsAdd`` error list.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, NamedTuple

import httpx

from orderkit.channels._classify import classify_error, classify_response
from orderkit.channels._types import Classification, ErrorKind, VerifiedEvent
from orderkit.errors import ChannelRequestFailed, InvalidChannelInput

__all__ = [
    "ALREADY_SHIPPED",
    "CODES",
    "SUCCESS",
    "Resume",
    "classify_doudian",
    "data_field",
    "envelope",
    "push_messages",
    "unix_seconds",
]

SUCCESS: Final = 10000
ALREADY_SHIPPED: Final = "isv.business-failed:60110"
"""``order.logisticsAdd``'s answer for an order shipped already (订单已发货)."""

CODES: Final = MappingProxyType(
    {
        "20000": ErrorKind.TRANSIENT,
        "20001": ErrorKind.TRANSIENT,
        "60000": ErrorKind.RATE_LIMITED,
        "90000": ErrorKind.TRANSIENT,
        "isv.access-token-expired": ErrorKind.AUTH_EXPIRED,
        "isv.access-token-no-existed": ErrorKind.AUTH_EXPIRED,
    }
)
"""Doudian codes (and the ``sub_code``s that decide alone) that are not permanent:
20000 service unavailable, 20001 internal timeout, 60000 rate limited, 90000 other
errors; an expired or replaced access token (40003 with these sub codes). Every other
code (30001 no permission, 30002 IP not allowed, 40001-40004 bad parameters, 50001
and 50002 refused, 70000 API offline, 80000 security) is permanent."""

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND: Final = timedelta(seconds=1)


def unix_seconds(at: datetime) -> int:
    """The first whole Unix second at or after ``at``: windows ``[a, b)`` of datetimes
    become ``[unix_seconds(a), unix_seconds(b) - 1]`` and never overlap.

    >>> unix_seconds(datetime(2026, 11, 11, tzinfo=UTC)), unix_seconds(
    ...     datetime(2026, 11, 11, 0, 0, 0, 1, tzinfo=UTC))
    (1794355200, 1794355201)
    """
    return -((_EPOCH - at) // _SECOND)


class Resume(NamedTuple):
    """Where the next page of a window starts: ``start/page/ids`` as the cursor's ``page``.

    Each page resumes from the update time of the last order handed over (``start``),
    skipping the orders of that second already handed over (``ids``), so an order
    updated during the sync (which leaves the window) shifts no other order past a page
    boundary. Only when a page brings no new order (more than a page of orders in one
    second) does it move on by page number.

    >>> Resume.parse("1794326500/0/6920000000000000001", 1794326400)
    Resume(start=1794326500, page=0, ids=('6920000000000000001',))
    """

    start: int
    page: int = 0
    ids: tuple[str, ...] = ()

    @classmethod
    def parse(cls, token: str | None, start: int) -> Resume:
        """The token of a cursor (``None`` at a window's start, which is ``start``)."""
        if token is None:
            return cls(start)
        second, _, rest = token.partition("/")
        page, _, ids = rest.partition("/")
        if not (second.isdigit() and page.isdigit()) or int(second) < start:
            raise InvalidChannelInput(f"not a Douyin page token: {token!r}")
        return cls(int(second), int(page), tuple(filter(None, ids.split(","))))

    def after(self, fresh: Sequence[Any]) -> Resume:
        """The resume point after a page that handed over the ``fresh`` orders, in order.

        Without a new order on the page (all skipped), it moves on by page number.
        """
        last = fresh[-1].get("update_time") if fresh else None
        if not isinstance(last, int) or last < self.start:
            return self._replace(page=self.page + 1)
        ids = tuple(str(o.get("order_id")) for o in fresh if o.get("update_time") == last)
        if last == self.start:
            return self._replace(ids=self.ids + ids)
        return Resume(last, 0, ids)

    def token(self) -> str:
        """The text kept as the cursor's ``page``."""
        return f"{self.start}/{self.page}/{','.join(self.ids)}"


def envelope(response: httpx.Response) -> dict[str, Any] | None:
    """The response's JSON envelope, decimals exact, or ``None`` when it has none."""
    try:
        body = json.loads(response.content, parse_float=Decimal)
    except ValueError:
        return None
    return body if isinstance(body, dict) and "code" in body else None


def data_field(
    channel: str, response: httpx.Response, key: str, kind: type | tuple[type, ...]
) -> Any:
    """``data[key]`` of a successful answer, of type ``kind``; a body without it is a
    transient failure."""
    body = envelope(response) or {}
    data = body.get("data")
    if not isinstance(data, dict) or key not in data or not isinstance(data[key], kind):
        raise ChannelRequestFailed(
            channel,
            ErrorKind.TRANSIENT.value,
            f"HTTP {response.status_code} without the expected data.{key}",
            status=response.status_code,
        )
    return data[key]


def _reason(body: dict[str, Any]) -> str:
    parts = [str(body.get(name) or "") for name in ("sub_code", "sub_msg", "msg")]
    text = " ".join(part for part in dict.fromkeys(parts) if part)
    return text if len(text) <= 200 else text[:199] + "…"


def classify_doudian(failure: httpx.Response | httpx.HTTPError) -> Classification:
    """Classify a failed Doudian call by ``sub_code`` and ``code``, else by HTTP status.

    >>> answer = httpx.Response(200, json={"code": 60000, "msg": "触发限流，请稍后重试"})
    >>> classify_doudian(answer).kind
    <ErrorKind.RATE_LIMITED: 'rate_limited'>
    """
    if isinstance(failure, httpx.HTTPError):
        return classify_error(failure)
    body = envelope(failure)
    if body is None:
        if failure.is_success:
            return Classification(
                ErrorKind.TRANSIENT, None, f"HTTP {failure.status_code} without a JSON envelope"
            )
        return classify_response(failure)
    sub_code = str(body.get("sub_code") or "")
    code = sub_code if sub_code in CODES else str(body["code"])
    verdict = classify_response(failure, code=code, codes=CODES)
    reason = _reason(body)
    return verdict._replace(reason=f"{verdict.reason}: {reason}") if reason else verdict


def push_messages(event: VerifiedEvent) -> tuple[VerifiedEvent, ...]:
    """A verified push split into its messages, one event each for de-duplication.

    Doudian pushes a JSON list of ``{"tag", "msg_id", "data"}``; each event's id is the
    message's ``msg_id``, its topic the ``tag`` and its body the ``data`` text.
    """
    try:
        messages = json.loads(event.body)
        found = tuple(
            VerifiedEvent(
                event.channel,
                str(message["msg_id"]),
                str(message["tag"]),
                str(message["data"]).encode(),
                event.sent_at,
            )
            for message in messages
        )
    except (ValueError, TypeError, KeyError):
        raise InvalidChannelInput(
            f"{event.channel}: a push is a JSON list of messages with tag, msg_id and data"
        ) from None
    return found
