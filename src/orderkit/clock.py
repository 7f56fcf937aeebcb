"""Time as a parameter: the :class:`Clock` protocol and timezone-aware datetimes.

Every time-dependent rule in orderkit takes a :class:`Clock` (or an explicit ``now``)
instead of calling :func:`datetime.now` itself, so tests drive time with
:class:`orderkit.testing.FakeClock` and nothing sleeps. All datetimes are
timezone-aware and kept in UTC inside the library.

.. versionadded:: 0.1
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Protocol, TypeAlias, runtime_checkable

from pydantic import AfterValidator, AwareDatetime

from orderkit.errors import NaiveDatetime

__all__ = ["Clock", "SystemClock", "UtcDateTime", "require_aware"]


@runtime_checkable
class Clock(Protocol):
    """Anything that tells the current time as a timezone-aware datetime."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The real wall clock, in UTC.

    >>> SystemClock().now().tzinfo
    datetime.timezone.utc
    """

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)


def require_aware(value: datetime, what: str = "datetime") -> datetime:
    """Return ``value`` converted to UTC; a naive datetime raises ``NaiveDatetime``.

    >>> from datetime import timedelta, timezone
    >>> require_aware(datetime(2026, 11, 11, 8, 0, tzinfo=timezone(timedelta(hours=8))))
    datetime.datetime(2026, 11, 11, 0, 0, tzinfo=datetime.timezone.utc)
    """
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetime(value.isoformat(), what)
    return value.astimezone(UTC)


UtcDateTime: TypeAlias = Annotated[AwareDatetime, AfterValidator(require_aware)]
"""A pydantic field type: a timezone-aware datetime, normalised to UTC."""
