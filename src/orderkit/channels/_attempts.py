"""One push through the retry policy, counted, and its outcome settled into a result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeAlias

import httpx

from orderkit.channels._classify import classify_error
from orderkit.channels._ledger import PushLedger
from orderkit.channels._retry import RetryPolicy
from orderkit.channels._types import PushResult, PushStatus
from orderkit.errors import ChannelError

__all__ = ["AsyncSleep", "Outcome", "Sleep", "run", "run_async", "settle"]

Sleep: TypeAlias = Callable[[float], None]
AsyncSleep: TypeAlias = Callable[[float], Awaitable[None]]
Outcome: TypeAlias = PushResult | ChannelError | httpx.HTTPError
"""What a push came to: the client's result, or the failure that ended the retries."""

_FAILURES = (ChannelError, httpx.HTTPError)


def run(policy: RetryPolicy, sleep: Sleep, push: Callable[[], PushResult]) -> tuple[Outcome, int]:
    """Push through ``policy``; the outcome and the number of attempts made."""
    attempts = 0

    def attempt() -> PushResult:
        nonlocal attempts
        attempts += 1
        return push()

    try:
        return policy.retrying(sleep=sleep)(attempt), attempts
    except _FAILURES as error:
        return error, attempts


async def run_async(
    policy: RetryPolicy, sleep: AsyncSleep, push: Callable[[], Awaitable[PushResult]]
) -> tuple[Outcome, int]:
    """:func:`run` for a coroutine, awaiting ``sleep`` between attempts."""
    attempts = 0

    async def attempt() -> PushResult:
        nonlocal attempts
        attempts += 1
        return await push()

    try:
        return await policy.async_retrying(sleep=sleep)(attempt), attempts
    except _FAILURES as error:
        return error, attempts


def settle(
    key: str, outcome: Outcome, attempts: int, ledger: PushLedger | None, raise_on_failure: bool
) -> PushResult:
    """The push's result under our key and attempt count, recorded; a failure may re-raise."""
    if isinstance(outcome, PushResult):
        result = outcome._replace(key=key, attempts=attempts)
    else:
        # an httpx message may quote the URL, and URLs may carry access tokens
        text = classify_error(outcome).reason if isinstance(outcome, httpx.HTTPError) else None
        result = PushResult(key, PushStatus.FAILED, attempts, text or str(outcome))
    if ledger is not None:
        ledger.record(result)
    if raise_on_failure and not isinstance(outcome, PushResult):
        raise outcome
    return result
