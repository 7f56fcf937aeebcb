"""What was already pushed to the channels, so a tracking number goes out once (MISSION C4)."""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

from orderkit.channels._types import PushResult, PushStatus

__all__ = ["InMemoryPushLedger", "PushLedger", "already_pushed"]

_DONE = frozenset({PushStatus.PUSHED, PushStatus.ALREADY_DONE})


@runtime_checkable
class PushLedger(Protocol):
    """The outcome of each push, by key (``TrackingUpdate.dedup_key``).

    A stored ``pushed`` or ``already_done`` outcome makes later pushes of the key skip;
    a ``failed`` one does not. Back it with the host's database to survive restarts.
    """

    def get(self, key: str) -> PushResult | None:
        """The outcome recorded for ``key``, if any."""
        ...

    def record(self, result: PushResult) -> None:
        """Store ``result`` under ``result.key``; a success is never replaced by a failure."""
        ...


class InMemoryPushLedger:
    """A thread-safe :class:`PushLedger` in a dict, for tests and single-process hosts.

    >>> ledger = InMemoryPushLedger()
    >>> ledger.record(PushResult("shopify:1001:SF123", PushStatus.PUSHED, 1))
    >>> ledger.record(PushResult("shopify:1001:SF123", PushStatus.FAILED, 4, "HTTP 503"))
    >>> ledger.get("shopify:1001:SF123").status
    <PushStatus.PUSHED: 'pushed'>
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[str, PushResult] = {}

    def get(self, key: str) -> PushResult | None:
        """The outcome recorded for ``key``, if any."""
        with self._lock:
            return self._results.get(key)

    def record(self, result: PushResult) -> None:
        """Store ``result`` under ``result.key``; a success is never replaced by a failure."""
        with self._lock:
            previous = self._results.get(result.key)
            if previous is None or previous.status not in _DONE:
                self._results[result.key] = result


def already_pushed(ledger: PushLedger, key: str) -> bool:
    """Whether ``ledger`` holds a success for ``key``."""
    previous = ledger.get(key)
    return previous is not None and previous.status in _DONE
