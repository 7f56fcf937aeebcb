"""A per-shop token bucket, so calls stay under each shop's rate limit."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from orderkit.errors import ConfigError

__all__ = ["RateLimiter"]


class RateLimiter:
    """Spaces calls per shop: ``burst`` at once, then ``rate`` per second.

    ``reserve`` books the caller's slot and says how long to wait before calling;
    ``acquire`` (or ``acquire_async``) also waits. Thread-safe. ``monotonic`` is the
    clock, in seconds (``time.monotonic`` unless a test drives it). The limiter keeps one
    number per shop it has seen, so its memory grows with the number of distinct shops:
    key it by shop, never by anything unbounded such as an order.

    >>> now = [0.0]
    >>> limiter = RateLimiter(rate=2, burst=2, monotonic=lambda: now[0])
    >>> [limiter.reserve("shop-a").total_seconds() for _ in range(4)]
    [0.0, 0.0, 0.5, 1.0]
    >>> limiter.reserve("shop-b").total_seconds()
    0.0
    """

    def __init__(
        self, rate: float, burst: int = 1, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        if not (math.isfinite(rate) and rate > 0):
            raise ConfigError(f"rate must be a positive number of calls per second, got {rate}")
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise ConfigError(f"burst must be a whole number of calls, at least 1, got {burst!r}")
        self.rate = rate
        self.burst = burst
        self._interval = 1 / rate
        self._tolerance = (burst - 1) * self._interval
        self._monotonic = monotonic
        self._lock = threading.Lock()
        # per shop, when all `burst` tokens are back (GCRA's
        # theoretical arrival time): one float per shop seen
        self._next_free: dict[str, float] = {}

    def reserve(self, shop: str) -> timedelta:
        """Book the next call to ``shop``; return how long to wait before making it."""
        with self._lock:
            now = self._monotonic()
            next_free = max(self._next_free.get(shop, now), now)
            start = max(now, next_free - self._tolerance)
            self._next_free[shop] = next_free + self._interval
        # rounded up to whole microseconds, so that no call goes early
        return timedelta(microseconds=math.ceil((start - now) * 1_000_000 - 1e-6))

    def hold(self, shop: str, wait: timedelta) -> None:
        """Make the next call to ``shop`` wait at least ``wait`` (e.g. after a 429).

        Calls then resume at ``rate``, without a burst: the channel's own bucket is full.
        """
        with self._lock:
            until = self._monotonic() + wait.total_seconds() + self._tolerance
            self._next_free[shop] = max(self._next_free.get(shop, until), until)

    def acquire(self, shop: str, sleep: Callable[[float], None] = time.sleep) -> timedelta:
        """Book the next call to ``shop`` and sleep until it may go; return the wait."""
        wait = self.reserve(shop)
        if wait:
            sleep(wait.total_seconds())
        return wait

    async def acquire_async(
        self, shop: str, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> timedelta:
        """:meth:`acquire`, awaiting ``sleep`` instead of blocking the thread."""
        wait = self.reserve(shop)
        if wait:
            await sleep(wait.total_seconds())
        return wait
