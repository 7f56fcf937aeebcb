"""The retry tiers of MISSION C3: 30 s, 2 min, 5 min, then give up; hints lengthen waits."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import tenacity
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from orderkit.channels._retry import PlannedAttempt, RetryPolicy
from orderkit.errors import ChannelRequestFailed, ConfigError, InvalidChannelInput, NaiveDatetime
from tests.channels.fake_client import Waits

T0 = datetime(2026, 11, 11, 8, 0, tzinfo=UTC)
DEFAULT = RetryPolicy()


def failure(kind: str = "transient", retry_after: float | None = None) -> ChannelRequestFailed:
    wait = None if retry_after is None else timedelta(seconds=retry_after)
    return ChannelRequestFailed("shopify", kind, "scripted", retry_after=wait)


class Failing:
    """A call that raises the given failures in turn, then returns ``"done"``."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "done"

    async def call_async(self) -> str:
        return self()


def test_the_default_schedule_is_30_s_2_min_5_min_then_give_up() -> None:
    """C3: exactly three retries, at the seed's tiers."""
    assert DEFAULT.max_attempts == 4
    assert DEFAULT.schedule(T0).attempts == (
        PlannedAttempt(2, timedelta(seconds=30), T0 + timedelta(seconds=30)),
        PlannedAttempt(3, timedelta(seconds=120), T0 + timedelta(seconds=150)),
        PlannedAttempt(4, timedelta(seconds=300), T0 + timedelta(seconds=450)),
    )
    assert str(DEFAULT.schedule(T0)).splitlines()[-1] == "then give up (4 attempts)"


def test_blocking_retries_wait_the_tiers_then_reraise_the_last_failure() -> None:
    waits = Waits()
    call = Failing(*(failure() for _ in range(4)))
    with pytest.raises(ChannelRequestFailed, match="transient"):
        DEFAULT.retrying(sleep=waits)(call)
    assert waits.seconds == [30, 120, 300]
    assert call.calls == 4


def test_a_call_that_recovers_returns_its_value() -> None:
    waits = Waits()
    assert DEFAULT.retrying(sleep=waits)(Failing(failure(), failure("rate_limited"))) == "done"
    assert waits.seconds == [30, 120]


def test_a_retry_after_longer_than_the_tier_wins() -> None:
    waits = Waits()
    call = Failing(failure("rate_limited", 200), failure("transient", 5), failure())
    assert DEFAULT.retrying(sleep=waits)(call) == "done"
    assert waits.seconds == [200, 120, 300]


@pytest.mark.parametrize("kind", ["permanent", "auth_expired"])
def test_failures_that_cannot_pass_later_are_not_retried(kind: str) -> None:
    waits = Waits()
    call = Failing(failure(kind))
    with pytest.raises(ChannelRequestFailed, match=kind):
        DEFAULT.retrying(sleep=waits)(call)
    assert (call.calls, waits.seconds) == (1, [])
    assert DEFAULT.next_attempt_at(1, T0, failure(kind)) is None


def test_transport_errors_are_retried_unless_they_come_from_our_request() -> None:
    waits = Waits()
    assert DEFAULT.retrying(sleep=waits)(Failing(httpx.ConnectError("refused"))) == "done"
    assert waits.seconds == [30]
    call = Failing(httpx.UnsupportedProtocol("ftp://"))
    with pytest.raises(httpx.UnsupportedProtocol):
        DEFAULT.retrying(sleep=waits)(call)
    assert call.calls == 1


def test_other_exceptions_are_never_retried() -> None:
    call = Failing(KeyError("bug"))
    with pytest.raises(KeyError):
        DEFAULT.retrying(sleep=Waits())(call)
    assert call.calls == 1


def test_a_wait_longer_than_max_wait_gives_up() -> None:
    policy = RetryPolicy(max_wait=timedelta(minutes=10))
    call = Failing(failure("rate_limited", 601))
    with pytest.raises(ChannelRequestFailed):
        policy.retrying(sleep=Waits())(call)
    assert call.calls == 1
    assert policy.next_attempt_at(1, T0, failure("rate_limited", 600)) == T0 + timedelta(minutes=10)
    assert policy.next_attempt_at(1, T0, failure("rate_limited", 601)) is None


def test_before_sleep_sees_each_retry() -> None:
    seen: list[tuple[int, float]] = []

    def before_sleep(state: tenacity.RetryCallState) -> None:
        assert state.next_action is not None
        seen.append((state.attempt_number, state.next_action.sleep))

    DEFAULT.retrying(sleep=Waits(), before_sleep=before_sleep)(Failing(failure(), failure()))
    assert seen == [(1, 30), (2, 120)]


def test_async_retries_await_the_injected_sleep() -> None:
    waits = Waits()
    call = Failing(failure(), failure("rate_limited", 400))
    retrying = DEFAULT.async_retrying(sleep=waits.async_sleep)
    assert asyncio.run(retrying(call.call_async)) == "done"
    assert waits.seconds == [30, 400]
    permanent = Failing(failure("permanent"))
    with pytest.raises(ChannelRequestFailed):
        asyncio.run(DEFAULT.async_retrying(sleep=waits.async_sleep)(permanent.call_async))
    assert permanent.calls == 1


def test_next_attempt_at_follows_the_tiers_and_gives_up_after_the_last() -> None:
    assert DEFAULT.next_attempt_at(1, T0, failure()) == T0 + timedelta(seconds=30)
    assert DEFAULT.next_attempt_at(2, T0, failure()) == T0 + timedelta(minutes=2)
    assert DEFAULT.next_attempt_at(3, T0, failure("rate_limited", 400)) == T0 + timedelta(
        seconds=400
    )
    assert DEFAULT.next_attempt_at(4, T0, failure()) is None


def test_next_attempt_at_answers_in_utc_and_refuses_naive_times() -> None:
    beijing = datetime(2026, 11, 11, 16, 0, tzinfo=timezone(timedelta(hours=8)))
    at = DEFAULT.next_attempt_at(1, beijing, failure())
    assert at == T0 + timedelta(seconds=30)
    assert at is not None
    assert at.tzinfo is UTC
    with pytest.raises(NaiveDatetime, match="failed_at"):
        DEFAULT.next_attempt_at(1, datetime(2026, 11, 11, 8, 0), failure())
    with pytest.raises(NaiveDatetime):
        DEFAULT.schedule(datetime(2026, 11, 11, 8, 0))
    with pytest.raises(InvalidChannelInput, match="start at 1"):
        DEFAULT.next_attempt_at(0, T0, failure())


def test_tiers_are_data() -> None:
    policy = RetryPolicy.from_dict({"tiers": [10, "PT1M"], "max_wait": "PT15M"})
    assert policy.tiers == (timedelta(seconds=10), timedelta(minutes=1))
    assert policy.max_attempts == 3
    assert RetryPolicy.from_dict({"tiers": []}).max_attempts == 1
    with pytest.raises(ValidationError):
        policy.tiers = ()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"tiers": [30, 0]}, "tiers.1"),
        ({"tiers": [-5]}, "tiers.0"),
        ({"tiers": [30, 7200]}, "tiers[1]"),
        ({"max_wait": 0}, "max_wait"),
        ({"tier": [30]}, "tier"),
    ],
)
def test_bad_policies_raise_config_error_naming_the_field(
    data: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ConfigError, match=r"invalid RetryPolicy: .*" + problem.replace("[", r"\[")):
        RetryPolicy.from_dict(data)


tiers_st = st.lists(st.integers(min_value=1, max_value=600), max_size=5)
hints_st = st.lists(st.none() | st.integers(min_value=0, max_value=900), min_size=6, max_size=6)


@given(tiers_st, hints_st)
def test_waits_are_never_shorter_than_the_tier_or_the_hint(
    tiers: list[int], hints: list[int | None]
) -> None:
    policy = RetryPolicy(tiers=tuple(timedelta(seconds=s) for s in tiers))
    waits = Waits()
    call = Failing(*(failure("rate_limited", hint) for hint in hints))
    with pytest.raises(ChannelRequestFailed):
        policy.retrying(sleep=waits)(call)
    assert call.calls == policy.max_attempts
    assert len(waits.seconds) == len(tiers)
    for waited, tier, hint in zip(waits.seconds, tiers, hints, strict=False):
        assert waited >= tier
        assert waited >= (hint or 0)
        assert waited == max(tier, hint or 0)


@given(tiers_st, hints_st, st.sampled_from(["transient", "rate_limited"]))
def test_next_attempt_at_strictly_increases_and_stops_at_max_attempts(
    tiers: list[int], hints: list[int | None], kind: str
) -> None:
    policy = RetryPolicy(tiers=tuple(timedelta(seconds=s) for s in tiers))
    attempt, at, times = 1, T0, [T0]
    while (
        following := policy.next_attempt_at(attempt, at, failure(kind, hints[attempt - 1]))
    ) is not None:
        assert following > at
        attempt, at = attempt + 1, following
        times.append(at)
    assert attempt == policy.max_attempts
    assert len(times) <= policy.max_attempts


@given(tiers_st)
def test_the_schedule_is_what_next_attempt_at_plans_without_hints(tiers: list[int]) -> None:
    policy = RetryPolicy(tiers=tuple(timedelta(seconds=s) for s in tiers))
    at, planned = T0, []
    for attempt in range(1, policy.max_attempts):
        following = policy.next_attempt_at(attempt, at, failure())
        assert following is not None
        planned.append(PlannedAttempt(attempt + 1, following - at, following))
        at = following
    assert policy.schedule(T0).attempts == tuple(planned)
