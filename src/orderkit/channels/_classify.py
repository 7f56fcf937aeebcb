"""How to react to a failed channel call: read the status, the platform code, the wait hints.

A platform adapter extracts its own error code from the body (where the platform puts
one) and passes it with its table of codes; everything else is generic HTTP.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx

from orderkit.channels._types import Classification, ErrorKind
from orderkit.clock import require_aware
from orderkit.errors import ChannelRequestFailed, ConfigError, InvalidChannelInput

__all__ = ["classify_error", "classify_response", "raise_for_classification", "rate_limit_wait"]

_EPOCH_FLOOR = 1_000_000_000
"""A reset header this large is a Unix time (2001 onwards), not a number of seconds."""

_RESET_HEADERS = ("X-RateLimit-Reset", "RateLimit-Reset")
_SHOPIFY_HEADER = "X-Shopify-Shop-Api-Call-Limit"

_NOT_TRANSIENT = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)
"""Transport errors that come from our own request, so the same call fails again."""


def _seconds(value: str) -> timedelta | None:
    try:
        seconds = float(value)
    except ValueError:
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        return None


def _http_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _retry_after(value: str, reference: datetime) -> timedelta | None:
    if (wait := _seconds(value)) is not None:
        return wait
    when = _http_date(value)
    return None if when is None else max(when - reference, timedelta(0))


def _reset(value: str, reference: datetime) -> timedelta | None:
    wait = _seconds(value)
    if wait is None or wait.total_seconds() < _EPOCH_FLOOR:
        return wait
    try:
        return max(datetime.fromtimestamp(wait.total_seconds(), UTC) - reference, timedelta(0))
    except (OverflowError, OSError, ValueError):
        return None


def _shopify_bucket(value: str, leak_rate: float) -> timedelta | None:
    used, _, size = value.partition("/")
    try:
        over = int(used) - int(size) + 1
        return timedelta(seconds=over / leak_rate) if over > 0 else None
    except (OverflowError, ValueError):
        return None


def rate_limit_wait(
    headers: httpx.Headers, *, now: datetime | None = None, leak_rate: float = 2.0
) -> timedelta | None:
    """The longest wait the rate-limit headers ask for, or ``None`` when they ask none.

    Reads ``Retry-After`` (seconds or an HTTP-date), ``X-RateLimit-Reset`` and
    ``RateLimit-Reset`` (seconds, or a Unix time when the value is that large) and
    Shopify's ``X-Shopify-Shop-Api-Call-Limit: used/size`` leaky bucket, which leaks
    ``leak_rate`` calls per second (2 on Shopify's standard plan). Dates are measured
    from the response's ``Date`` header, else from ``now``, else from the system clock.
    Unreadable values are ignored.

    >>> rate_limit_wait(httpx.Headers({"Retry-After": "7", "X-RateLimit-Reset": "3"}))
    datetime.timedelta(seconds=7)
    >>> rate_limit_wait(httpx.Headers({"X-Shopify-Shop-Api-Call-Limit": "40/40"}))
    datetime.timedelta(microseconds=500000)
    """
    if not leak_rate > 0:
        raise ConfigError(
            f"leak_rate must be a positive number of calls per second, got {leak_rate}"
        )
    if now is not None:
        now = require_aware(now, "now")
    reference = _http_date(headers.get("Date", "")) or now or datetime.now(UTC)
    hints = [
        _retry_after(headers["Retry-After"], reference) if "Retry-After" in headers else None,
        *(_reset(headers[name], reference) for name in _RESET_HEADERS if name in headers),
        _shopify_bucket(headers.get(_SHOPIFY_HEADER, ""), leak_rate),
    ]
    return max((hint for hint in hints if hint is not None), default=None)


def _status_kind(response: httpx.Response) -> ErrorKind:
    status = response.status_code
    if status == httpx.codes.TOO_MANY_REQUESTS:
        return ErrorKind.RATE_LIMITED
    if status == httpx.codes.UNAUTHORIZED or (
        status == httpx.codes.FORBIDDEN
        and "invalid_token" in response.headers.get("WWW-Authenticate", "")
    ):
        return ErrorKind.AUTH_EXPIRED
    if status == httpx.codes.REQUEST_TIMEOUT or status >= httpx.codes.INTERNAL_SERVER_ERROR:
        return ErrorKind.TRANSIENT
    return ErrorKind.PERMANENT


def classify_response(
    response: httpx.Response,
    *,
    code: str | int | None = None,
    codes: Mapping[str, ErrorKind] | None = None,
    now: datetime | None = None,
    leak_rate: float = 2.0,
) -> Classification:
    """Classify a failed response by its platform ``code`` (looked up in ``codes``) or status.

    A code found in ``codes`` decides the kind; otherwise 429 is rate-limited, 401 (and 403
    with ``WWW-Authenticate: ... invalid_token``) auth expired, 408 and 5xx transient, any
    other status permanent, and so is an unknown code on a 2xx. The wait is read with
    :func:`rate_limit_wait`. A 2xx without a code is no failure: ``InvalidChannelInput``.

    >>> kind, retry_after, reason = classify_response(
    ...     httpx.Response(429, headers={"Retry-After": "20"})
    ... )
    >>> kind.value, retry_after.total_seconds(), reason
    ('rate_limited', 20.0, 'HTTP 429')
    >>> classify_response(httpx.Response(200), code=7, codes={"7": ErrorKind.RATE_LIMITED}).kind
    <ErrorKind.RATE_LIMITED: 'rate_limited'>
    """
    status = response.status_code
    reason = f"HTTP {status}"
    if code is None:
        if response.is_success:
            raise InvalidChannelInput(
                f"{reason} is not a failure: pass the platform's error code if the body has one"
            )
        kind = _status_kind(response)
    else:
        reason += f", platform code {code}"
        known = (codes or {}).get(str(code))
        kind = known or (ErrorKind.PERMANENT if response.is_success else _status_kind(response))
    return Classification(
        kind, rate_limit_wait(response.headers, now=now, leak_rate=leak_rate), reason
    )


def classify_error(error: httpx.HTTPError) -> Classification:
    """Classify an ``httpx`` error; a status error is classified by its response.

    Timeouts and dropped connections are transient; an unsupported URL scheme, a request
    httpx refused to send, too many redirects or an undecodable body are permanent. The
    reason names the error class only: URLs may carry access tokens.

    >>> classify_error(httpx.ConnectTimeout("timed out"))[::2]
    (<ErrorKind.TRANSIENT: 'transient'>, 'ConnectTimeout')
    """
    if isinstance(error, httpx.HTTPStatusError):
        return classify_response(error.response)
    retryable = isinstance(error, httpx.TransportError) and not isinstance(error, _NOT_TRANSIENT)
    kind = ErrorKind.TRANSIENT if retryable else ErrorKind.PERMANENT
    return Classification(kind, None, type(error).__name__)


def raise_for_classification(
    channel: str,
    response: httpx.Response,
    *,
    code: str | int | None = None,
    codes: Mapping[str, ErrorKind] | None = None,
    now: datetime | None = None,
    leak_rate: float = 2.0,
) -> httpx.Response:
    """Return ``response`` when it succeeded, else raise :class:`ChannelRequestFailed`.

    Pass ``code`` when the body carries the platform's error code (some platforms answer
    errors with a 200); the error carries kind, status, code and the wait asked for.

    >>> raise_for_classification("shop", httpx.Response(503, headers={"Retry-After": "9"}))
    Traceback (most recent call last):
    orderkit.errors.ChannelRequestFailed: shop request failed (transient): HTTP 503
    """
    if code is None and response.is_success:
        return response
    verdict = classify_response(response, code=code, codes=codes, now=now, leak_rate=leak_rate)
    raise failed(channel, verdict, status=response.status_code, code=code)


def failed(
    channel: str,
    verdict: Classification,
    *,
    status: int | None = None,
    code: str | int | None = None,
) -> ChannelRequestFailed:
    """The typed error for a call ``verdict`` classified: kind, reason and wait carried."""
    return ChannelRequestFailed(
        channel,
        verdict.kind.value,
        verdict.reason,
        status=status,
        code=None if code is None else str(code),
        retry_after=verdict.retry_after,
    )
