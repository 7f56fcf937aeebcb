"""Retry tiers (MISSION C3): blocking through tenacity, or as data for a host to re-queue."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import httpx
import tenacity
from pydantic import model_validator

from orderkit.channels._classify import classify_error
from orderkit.clock import require_aware
from orderkit.errors import ChannelError, ChannelRequestFailed, InvalidChannelInput
from orderkit.lifecycle.policies._models import PolicyConfig, PositiveDuration

__all__ = ["PlannedAttempt", "RetryPolicy", "RetrySchedule"]

_BeforeSleep = Callable[[tenacity.RetryCallState], None]


def _spoken(wait: timedelta) -> str:
    seconds = wait.total_seconds()
    return f"{seconds / 60:g} min" if seconds >= 60 and seconds % 60 == 0 else f"{seconds:g} s"


class PlannedAttempt(NamedTuple):
    """One retry of a :class:`RetrySchedule`: its number, the wait before it, and when."""

    attempt: int
    wait: timedelta
    at: datetime


class RetrySchedule(NamedTuple):
    """The attempts planned after a first failure, if every attempt fails straight away."""

    failed_at: datetime
    attempts: tuple[PlannedAttempt, ...]

    def __str__(self) -> str:
        lines = [f"attempt 1 failed at {self.failed_at}"]
        lines += [f"attempt {a.attempt} at {a.at}, after {_spoken(a.wait)}" for a in self.attempts]
        lines.append(f"then give up ({len(self.attempts) + 1} attempts)")
        return "\n".join(lines)


def _judge(failure: BaseException) -> tuple[bool, timedelta | None]:
    """Whether ``failure`` may pass on a later try, and the wait the channel asked for."""
    if isinstance(failure, ChannelRequestFailed):
        return failure.retryable, failure.retry_after
    if isinstance(failure, ChannelError):
        return failure.retryable, None
    if isinstance(failure, httpx.HTTPError):
        classification = classify_error(failure)
        return classification.retryable, classification.retry_after
    return False, None


class RetryPolicy(PolicyConfig):
    """When to try a failed channel call again (MISSION C3): 30 s, 2 min, 5 min, then stop.

    The wait after attempt ``n`` is the longer of ``tiers[n - 1]`` and the wait the
    channel asked for (``retry_after``); a requested wait above ``max_wait`` gives up
    instead. Only retryable failures are retried: a :class:`ChannelError` whose
    ``retryable`` is true (a transient or rate-limited ``ChannelRequestFailed``) and
    ``httpx`` errors that :func:`classify_error` finds transient.

    >>> from datetime import UTC
    >>> policy = RetryPolicy()
    >>> policy.max_attempts
    4
    >>> print(policy.schedule(datetime(2026, 11, 11, 8, 0, tzinfo=UTC)))
    attempt 1 failed at 2026-11-11 08:00:00+00:00
    attempt 2 at 2026-11-11 08:00:30+00:00, after 30 s
    attempt 3 at 2026-11-11 08:02:30+00:00, after 2 min
    attempt 4 at 2026-11-11 08:07:30+00:00, after 5 min
    then give up (4 attempts)

    Load another policy with ``RetryPolicy.from_dict({"tiers": [10, "PT1M"]})`` (waits
    in seconds or ISO 8601); bad data raises ``ConfigError`` naming the field.
    """

    tiers: tuple[PositiveDuration, ...] = (
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=5),
    )
    """The wait before each retry; as many retries as tiers."""
    max_wait: PositiveDuration = timedelta(hours=1)
    """The longest wait accepted; a channel asking for longer makes the call give up."""

    @model_validator(mode="after")
    def _tiers_within_max_wait(self) -> RetryPolicy:
        for index, tier in enumerate(self.tiers):
            if tier > self.max_wait:
                raise ValueError(
                    f"tiers[{index}] ({tier}) is longer than max_wait ({self.max_wait})"
                )
        return self

    @property
    def max_attempts(self) -> int:
        """The number of attempts in all: the first one and one per tier."""
        return len(self.tiers) + 1

    def is_retryable(self, failure: BaseException) -> bool:
        """Whether the same call may succeed later (retry budget aside)."""
        return _judge(failure)[0]

    def wait_after(self, attempt: int, failure: BaseException) -> timedelta | None:
        """The wait after failed attempt ``attempt`` (1-based), or ``None`` to give up."""
        if attempt < 1:
            raise InvalidChannelInput(f"attempt numbers start at 1, got {attempt}")
        retryable, asked = _judge(failure)
        if not retryable or attempt >= self.max_attempts:
            return None
        wait = max(self.tiers[attempt - 1], asked or timedelta(0))
        return wait if wait <= self.max_wait else None

    def next_attempt_at(
        self, attempt: int, failed_at: datetime, failure: BaseException
    ) -> datetime | None:
        """When to make attempt ``attempt + 1``, in UTC, or ``None`` to give up.

        For a host that re-queues the call instead of blocking a worker. ``failed_at``
        must be timezone-aware (``NaiveDatetime`` otherwise).
        """
        failed_at = require_aware(failed_at, "failed_at")
        wait = self.wait_after(attempt, failure)
        return None if wait is None else failed_at + wait

    def schedule(self, failed_at: datetime) -> RetrySchedule:
        """The attempts planned after a first failure at ``failed_at`` (channel hints aside)."""
        at = first = require_aware(failed_at, "failed_at")
        planned = []
        for attempt, tier in enumerate(self.tiers, start=2):
            at += tier
            planned.append(PlannedAttempt(attempt, tier, at))
        return RetrySchedule(first, tuple(planned))

    def _wait_for(self, state: tenacity.RetryCallState) -> timedelta | None:
        failure = state.outcome.exception() if state.outcome else None
        return None if failure is None else self.wait_after(state.attempt_number, failure)

    def _gives_up(self, state: tenacity.RetryCallState) -> bool:
        return self._wait_for(state) is None

    def _seconds_to_wait(self, state: tenacity.RetryCallState) -> float:
        wait = self._wait_for(state)
        return 0.0 if wait is None else wait.total_seconds()

    def _settings(self) -> dict[str, Any]:
        return {
            "stop": self._gives_up,
            "wait": self._seconds_to_wait,
            "retry": tenacity.retry_if_exception(self.is_retryable),
            "reraise": True,
        }

    def retrying(
        self,
        *,
        sleep: Callable[[float], None] = time.sleep,
        before_sleep: _BeforeSleep | None = None,
    ) -> tenacity.Retrying:
        """A ``tenacity.Retrying`` for this policy, sleeping with ``sleep`` (in seconds).

        Call it with the function and its arguments; the last failure is re-raised.
        """
        return tenacity.Retrying(sleep=sleep, before_sleep=before_sleep, **self._settings())

    def async_retrying(
        self,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        before_sleep: _BeforeSleep | None = None,
    ) -> tenacity.AsyncRetrying:
        """A ``tenacity.AsyncRetrying`` for this policy, awaiting ``sleep`` between attempts."""
        return tenacity.AsyncRetrying(sleep=sleep, before_sleep=before_sleep, **self._settings())
