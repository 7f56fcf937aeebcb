from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orderkit.clock import require_aware

__all__ = ["FakeClock"]


class FakeClock:
    """A clock that only moves when told to; satisfies :class:`orderkit.clock.Clock`.

    >>> clock = FakeClock(datetime(2026, 11, 11, tzinfo=UTC))
    >>> clock.advance(timedelta(hours=48))
    datetime.datetime(2026, 11, 13, 0, 0, tzinfo=datetime.timezone.utc)
    >>> clock.now() == clock.advance()
    True
    """

    DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)

    def __init__(self, start: datetime | None = None) -> None:
        self._now = require_aware(start or self.DEFAULT_START, "start")

    def now(self) -> datetime:
        """The clock's current instant, in UTC."""
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (forwards or backwards)."""
        self._now = require_aware(when, "when")

    def advance(self, delta: timedelta = timedelta(0)) -> datetime:
        """Move forward by ``delta`` and return the new now; a negative delta is refused."""
        if delta < timedelta(0):
            raise ValueError(f"advance() moves forward only, got {delta}; use set() to go back")
        self._now += delta
        return self._now
