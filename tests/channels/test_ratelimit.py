"""The per-shop rate limiter spaces calls so a shop's limit is never exceeded (MISSION C3)."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit.channels._ratelimit import RateLimiter
from orderkit.errors import ConfigError
from tests.channels.fake_client import Waits


class Monotonic:
    """A monotonic clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def seconds(waits: list[timedelta]) -> list[float]:
    return [wait.total_seconds() for wait in waits]


def test_a_burst_goes_at_once_then_calls_are_spaced_by_the_rate() -> None:
    limiter = RateLimiter(rate=4, burst=3, monotonic=Monotonic())
    assert seconds([limiter.reserve("shop") for _ in range(6)]) == [0, 0, 0, 0.25, 0.5, 0.75]


def test_shops_do_not_share_a_bucket() -> None:
    limiter = RateLimiter(rate=1, monotonic=Monotonic())
    assert seconds([limiter.reserve("a"), limiter.reserve("a"), limiter.reserve("b")]) == [0, 1, 0]


def test_the_bucket_refills_as_time_passes() -> None:
    clock = Monotonic()
    limiter = RateLimiter(rate=2, burst=2, monotonic=clock)
    assert seconds([limiter.reserve("shop") for _ in range(3)]) == [0, 0, 0.5]
    clock.now += 10
    assert seconds([limiter.reserve("shop") for _ in range(3)]) == [0, 0, 0.5]
    clock.now += 0.25
    assert limiter.reserve("shop").total_seconds() == pytest.approx(0.75)


def test_hold_delays_the_next_call_after_a_rate_limit_answer() -> None:
    clock = Monotonic()
    limiter = RateLimiter(rate=10, burst=5, monotonic=clock)
    limiter.hold("shop", timedelta(seconds=30))
    assert limiter.reserve("shop") == timedelta(seconds=30)
    assert limiter.reserve("other") == timedelta(0)
    clock.now += 30
    assert limiter.reserve("shop") == timedelta(seconds=0.1)


def test_acquire_sleeps_only_when_it_must() -> None:
    limiter = RateLimiter(rate=2, monotonic=Monotonic())
    waits = Waits()
    assert limiter.acquire("shop", sleep=waits) == timedelta(0)
    assert limiter.acquire("shop", sleep=waits) == timedelta(seconds=0.5)
    assert waits.seconds == [0.5]


def test_acquire_async_awaits_the_injected_sleep() -> None:
    limiter = RateLimiter(rate=2, monotonic=Monotonic())
    waits = Waits()

    async def three_calls() -> list[timedelta]:
        return [await limiter.acquire_async("shop", sleep=waits.async_sleep) for _ in range(3)]

    assert seconds(asyncio.run(three_calls())) == [0, 0.5, 1.0]
    assert waits.seconds == [0.5, 1.0]


def test_concurrent_callers_each_get_their_own_slot() -> None:
    limiter = RateLimiter(rate=10, burst=2, monotonic=Monotonic())
    waits: list[timedelta] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def call() -> None:
        start.wait()
        for _ in range(25):
            wait = limiter.reserve("shop")
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = [max(0, (index - 1) / 10) for index in range(200)]
    assert sorted(seconds(waits)) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("rate", "burst", "problem"),
    [
        (0, 1, "rate"),
        (-1, 1, "rate"),
        (float("inf"), 1, "rate"),
        (1, 0, "burst"),
        (1, 1.5, "burst"),
    ],
)
def test_bad_settings_raise_config_error(rate: float, burst: int, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        RateLimiter(rate=rate, burst=burst)


@given(
    rate=st.integers(min_value=1, max_value=50),
    burst=st.integers(min_value=1, max_value=10),
    steps=st.lists(
        st.tuples(st.sampled_from(["a", "b"]), st.floats(min_value=0, max_value=2)), max_size=60
    ),
)
def test_no_window_ever_holds_more_than_burst_plus_rate_times_its_length(
    rate: int, burst: int, steps: list[tuple[str, float]]
) -> None:
    clock = Monotonic()
    limiter = RateLimiter(rate=rate, burst=burst, monotonic=clock)
    starts: dict[str, list[float]] = {"a": [], "b": []}
    for shop, pause in steps:
        clock.now += pause
        starts[shop].append(clock.now + limiter.reserve(shop).total_seconds())
    # waits are whole microseconds, rounded up: a start is at most 1 µs late
    for calls in starts.values():
        assert calls == sorted(calls)
        for first in range(len(calls)):
            for last in range(first, len(calls)):
                in_window = last - first + 1
                assert in_window <= burst + (calls[last] - calls[first] + 1e-6) * rate
