"""Failed channel calls are classified by status, platform code and wait hints (MISSION C3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit.channels._classify import (
    classify_error,
    classify_response,
    raise_for_classification,
    rate_limit_wait,
)
from orderkit.channels._types import ErrorKind
from orderkit.errors import (
    ChannelRequestFailed,
    ConfigError,
    InvalidChannelInput,
    NaiveDatetime,
)

NOW = datetime(2026, 11, 11, 8, 0, tzinfo=UTC)
REQUEST = httpx.Request("POST", "https://api.example.test/orders?access_token=s3cret")


def wait(**headers: str) -> timedelta | None:
    named = {name.replace("_", "-"): value for name, value in headers.items()}
    return rate_limit_wait(httpx.Headers(named), now=NOW)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, ErrorKind.RATE_LIMITED),
        (401, ErrorKind.AUTH_EXPIRED),
        (403, ErrorKind.PERMANENT),
        (408, ErrorKind.TRANSIENT),
        (500, ErrorKind.TRANSIENT),
        (502, ErrorKind.TRANSIENT),
        (503, ErrorKind.TRANSIENT),
        (504, ErrorKind.TRANSIENT),
        (400, ErrorKind.PERMANENT),
        (404, ErrorKind.PERMANENT),
        (409, ErrorKind.PERMANENT),
        (422, ErrorKind.PERMANENT),
        (302, ErrorKind.PERMANENT),
    ],
)
def test_the_status_decides_the_kind(status: int, kind: ErrorKind) -> None:
    classification = classify_response(httpx.Response(status))
    assert classification.kind is kind
    assert classification.reason == f"HTTP {status}"


def test_a_403_for_an_invalid_token_is_an_expired_token() -> None:
    response = httpx.Response(
        403,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token", error_description="expired"'},
    )
    assert classify_response(response).kind is ErrorKind.AUTH_EXPIRED


@given(st.integers(min_value=400, max_value=599))
def test_only_429_408_and_5xx_are_retryable(status: int) -> None:
    retryable = status in (408, 429) or status >= 500
    assert classify_response(httpx.Response(status)).retryable is retryable


@given(st.integers(min_value=0, max_value=10**6))
def test_retry_after_in_seconds_is_the_wait(seconds: int) -> None:
    response = httpx.Response(429, headers={"Retry-After": str(seconds)})
    assert classify_response(response).retry_after == timedelta(seconds=seconds)


def test_retry_after_as_an_http_date_counts_from_the_response_date() -> None:
    response = httpx.Response(
        503,
        headers={
            "Date": "Wed, 11 Nov 2026 08:00:00 GMT",
            "Retry-After": "Wed, 11 Nov 2026 08:02:00 GMT",
        },
    )
    later = NOW + timedelta(hours=5)
    assert classify_response(response, now=later).retry_after == timedelta(minutes=2)


def test_retry_after_as_an_http_date_counts_from_now_without_a_date_header() -> None:
    assert wait(Retry_After="Wed, 11 Nov 2026 08:00:45 GMT") == timedelta(seconds=45)
    assert wait(Retry_After="Wed, 11 Nov 2026 07:00:00 GMT") == timedelta(0)


@pytest.mark.parametrize("value", ["soon", "-5", "nan", "inf", "1e400", ""])
def test_unreadable_hints_are_ignored(value: str) -> None:
    assert wait(Retry_After=value) is None
    assert wait(X_RateLimit_Reset=value) is None


@pytest.mark.parametrize(
    "headers",
    [
        {"X-RateLimit-Reset": "1e300"},
        {"X-Shopify-Shop-Api-Call-Limit": "9" * 400 + "/40"},
        {"X-Shopify-Shop-Api-Call-Limit": "9" * 5000 + "/40"},
    ],
)
def test_absurd_hints_are_ignored(headers: dict[str, str]) -> None:
    assert rate_limit_wait(httpx.Headers(headers), now=NOW) is None


def test_now_must_be_aware() -> None:
    with pytest.raises(NaiveDatetime, match="now"):
        rate_limit_wait(httpx.Headers(), now=datetime(2026, 11, 11, 8, 0))


def test_reset_headers_give_seconds_or_a_unix_time() -> None:
    assert wait(X_RateLimit_Reset="12") == timedelta(seconds=12)
    assert wait(RateLimit_Reset="3") == timedelta(seconds=3)
    assert wait(X_RateLimit_Reset=str(int(NOW.timestamp()) + 90)) == timedelta(seconds=90)


def test_the_longest_hint_wins() -> None:
    assert wait(Retry_After="5", X_RateLimit_Reset="30", RateLimit_Reset="7") == timedelta(
        seconds=30
    )
    assert wait() is None


@pytest.mark.parametrize(
    ("call_limit", "leak_rate", "expected"),
    [
        ("40/40", 2.0, timedelta(seconds=0.5)),
        ("42/40", 2.0, timedelta(seconds=1.5)),
        ("80/80", 4.0, timedelta(seconds=0.25)),
        ("39/40", 2.0, None),
        ("forty/40", 2.0, None),
    ],
)
def test_shopify_call_limit_says_when_a_call_is_free(
    call_limit: str, leak_rate: float, expected: timedelta | None
) -> None:
    headers = httpx.Headers({"X-Shopify-Shop-Api-Call-Limit": call_limit})
    assert rate_limit_wait(headers, leak_rate=leak_rate) == expected


@pytest.mark.parametrize("leak_rate", [0.0, -1.0, float("nan")])
def test_a_leak_rate_must_be_positive(leak_rate: float) -> None:
    with pytest.raises(ConfigError, match="leak_rate"):
        rate_limit_wait(httpx.Headers(), leak_rate=leak_rate)


def test_a_platform_code_table_overrides_the_status() -> None:
    codes = {"15": ErrorKind.TRANSIENT, "27": ErrorKind.AUTH_EXPIRED}
    assert (
        classify_response(httpx.Response(200), code=27, codes=codes).kind is ErrorKind.AUTH_EXPIRED
    )
    assert (
        classify_response(httpx.Response(400), code="15", codes=codes).kind is ErrorKind.TRANSIENT
    )
    unknown_on_success = classify_response(httpx.Response(200), code="99", codes=codes)
    assert unknown_on_success.kind is ErrorKind.PERMANENT
    assert unknown_on_success.reason == "HTTP 200, platform code 99"
    assert (
        classify_response(httpx.Response(503), code="99", codes=codes).kind is ErrorKind.TRANSIENT
    )


def test_a_success_without_a_code_is_not_a_failure() -> None:
    with pytest.raises(InvalidChannelInput, match="HTTP 200 is not a failure"):
        classify_response(httpx.Response(200))


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (httpx.ConnectError("refused", request=REQUEST), ErrorKind.TRANSIENT),
        (httpx.ReadTimeout("slow", request=REQUEST), ErrorKind.TRANSIENT),
        (httpx.RemoteProtocolError("dropped", request=REQUEST), ErrorKind.TRANSIENT),
        (httpx.UnsupportedProtocol("ftp", request=REQUEST), ErrorKind.PERMANENT),
        (httpx.LocalProtocolError("bad header", request=REQUEST), ErrorKind.PERMANENT),
        (httpx.TooManyRedirects("loop", request=REQUEST), ErrorKind.PERMANENT),
    ],
)
def test_transport_errors(error: httpx.HTTPError, kind: ErrorKind) -> None:
    classification = classify_error(error)
    assert classification.kind is kind
    assert classification.reason == type(error).__name__


def test_a_status_error_is_classified_by_its_response_without_quoting_the_url() -> None:
    response = httpx.Response(429, headers={"Retry-After": "8"}, request=REQUEST)
    error = httpx.HTTPStatusError(f"429 for {REQUEST.url}", request=REQUEST, response=response)
    classification = classify_error(error)
    assert classification.kind is ErrorKind.RATE_LIMITED
    assert classification.retry_after == timedelta(seconds=8)
    assert "s3cret" not in classification.reason


def test_raise_for_classification_passes_a_success_through() -> None:
    response = httpx.Response(200, json={"ok": True})
    assert raise_for_classification("shopify", response) is response


def test_raise_for_classification_raises_with_everything_a_retry_needs() -> None:
    response = httpx.Response(429, headers={"Retry-After": "12"})
    with pytest.raises(ChannelRequestFailed) as caught:
        raise_for_classification("shopify", response)
    error = caught.value
    assert (error.channel, error.kind, error.status, error.code) == (
        "shopify",
        "rate_limited",
        429,
        None,
    )
    assert error.retry_after == timedelta(seconds=12)
    assert error.retryable


def test_raise_for_classification_raises_on_a_platform_code_in_a_200() -> None:
    codes = {"7": ErrorKind.RATE_LIMITED}
    with pytest.raises(ChannelRequestFailed) as caught:
        raise_for_classification("taobao", httpx.Response(200), code=7, codes=codes)
    assert (caught.value.kind, caught.value.status, caught.value.code) == ("rate_limited", 200, "7")
    with pytest.raises(ChannelRequestFailed, match=r"\(permanent\): HTTP 400, platform code x"):
        raise_for_classification("taobao", httpx.Response(400), code="x", codes=codes)
