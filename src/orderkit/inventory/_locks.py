"""Named locks with expiring leases and fencing tokens (MISSION I3), and the in-process one.

A :class:`LockProvider` grants a :class:`Lease` on a name to one owner at a time. A lease
ends when it is released or when its TTL runs out, whichever comes first, so a crashed
holder cannot block everyone forever. Because a slow holder can outlive its lease
without noticing, every lease carries a fencing token that grows with each grant of the
same name: storage that remembers the highest token it has seen for a record refuses a
write carrying an older one (:class:`StaleLease`).

:class:`InProcessLocks` serves the threads of one process. For several processes or
machines use :class:`~orderkit.inventory.PostgresAdvisoryLocks` or
:class:`~orderkit.inventory.RedisLocks`, which share :class:`PollingLocks`.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from orderkit.errors import InvalidRequest, LockTimeout

__all__ = [
    "FIRST_PAUSE",
    "InProcessLocks",
    "LONGEST_PAUSE",
    "Lease",
    "LockProvider",
    "PollingLocks",
    "check_timing",
    "new_token",
]

FIRST_PAUSE = 0.002
"""Seconds between the first two tries of a polling lock; doubled after each try."""
LONGEST_PAUSE = 0.05
"""The longest pause between two tries of a polling lock, in seconds."""


@dataclass(frozen=True, slots=True)
class Lease:
    """A granted lock: its name, who holds it, until when, and its fencing token.

    ``token`` identifies this grant (releasing needs it); ``fencing`` is larger than the
    fencing token of every earlier grant of the same name.
    """

    name: str
    owner: str
    token: str
    fencing: int
    expires_at: datetime

    def expired(self, at: datetime) -> bool:
        """Whether the lease has run out at ``at`` (by the holder's clock)."""
        return at >= self.expires_at


class LockProvider(Protocol):
    """Mutual exclusion on names, with expiring leases and fencing tokens.

    Locks are not re-entrant: a second ``acquire`` of a held name waits, whoever asks.
    ``owner`` says who holds a lock (in errors and diagnostics); ``Lease.token`` is what
    tells two grants apart.
    """

    def acquire(self, name: str, *, owner: str, ttl: timedelta, wait: timedelta) -> Lease:
        """Take the lock ``name`` for at most ``ttl``, waiting up to ``wait`` for it.

        Raises :class:`LockTimeout` if it is still taken after ``wait`` (``wait=0`` tries
        once), and :class:`~orderkit.errors.InvalidRequest` for a ``ttl`` that is not
        positive or a negative ``wait``.
        """
        ...

    def release(self, lease: Lease) -> bool:
        """Give the lock back; ``False`` if the lease had expired or been superseded.

        A stale lease never releases the lock of a newer holder.
        """
        ...


def check_timing(ttl: timedelta, wait: timedelta) -> None:
    """Refuse a non-positive TTL or a negative wait."""
    if ttl <= timedelta(0) or wait < timedelta(0):
        raise InvalidRequest(f"a lock needs ttl > 0 and wait >= 0, got ttl={ttl}, wait={wait}")


def new_token() -> str:
    """A random token telling one grant of a lock from every other."""
    return uuid.uuid4().hex


class InProcessLocks:
    """Locks shared by the threads of one process: no server, no polling.

    Use it with :class:`~orderkit.inventory.LockedStore` when every caller lives
    in one process, and in tests. Waiters sleep on a condition variable until a lease is
    released or runs out.

    >>> from datetime import timedelta
    >>> locks = InProcessLocks()
    >>> lease = locks.acquire("stock:TEA-01", owner="web-1", ttl=timedelta(seconds=5),
    ...                       wait=timedelta(0))
    >>> locks.release(lease), locks.release(lease)
    (True, False)
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._held: dict[str, tuple[Lease, float]] = {}
        self._fencing = itertools.count(1)

    def acquire(self, name: str, *, owner: str, ttl: timedelta, wait: timedelta) -> Lease:
        """See :meth:`LockProvider.acquire`."""
        check_timing(ttl, wait)
        give_up = time.monotonic() + wait.total_seconds()
        with self._changed:
            while True:
                now = time.monotonic()
                holder = self._held.get(name)
                if holder is None or holder[1] <= now:
                    lease = Lease(
                        name, owner, new_token(), next(self._fencing), datetime.now(UTC) + ttl
                    )
                    self._held[name] = (lease, now + ttl.total_seconds())
                    return lease
                if now >= give_up:
                    raise LockTimeout(name, owner, wait)
                self._changed.wait(min(give_up, holder[1]) - now)

    def release(self, lease: Lease) -> bool:
        """See :meth:`LockProvider.release`."""
        with self._changed:
            holder = self._held.get(lease.name)
            if holder is None or holder[0].token != lease.token:
                return False
            del self._held[lease.name]
            self._changed.notify_all()
            return holder[1] > time.monotonic()


class PollingLocks(ABC):
    """A lock provider whose server offers only a non-blocking try: it retries with backoff.

    Subclasses implement :meth:`_try_acquire` and :meth:`release`. Pauses start at
    :data:`FIRST_PAUSE` seconds, double up to :data:`LONGEST_PAUSE`, and are jittered so
    waiters do not retry in step.
    """

    def acquire(self, name: str, *, owner: str, ttl: timedelta, wait: timedelta) -> Lease:
        """See :meth:`LockProvider.acquire`."""
        check_timing(ttl, wait)
        give_up = time.monotonic() + wait.total_seconds()
        pause = FIRST_PAUSE
        while True:
            lease = self._try_acquire(name, owner, ttl)
            if lease is not None:
                return lease
            left = give_up - time.monotonic()
            if left <= 0:
                raise LockTimeout(name, owner, wait)
            time.sleep(min(left, random.uniform(pause / 2, pause)))
            pause = min(pause * 2, LONGEST_PAUSE)

    @abstractmethod
    def _try_acquire(self, name: str, owner: str, ttl: timedelta) -> Lease | None:
        """Take the lock if it is free, in one attempt; ``None`` if it is taken."""

    @abstractmethod
    def release(self, lease: Lease) -> bool:
        """See :meth:`LockProvider.release`."""
