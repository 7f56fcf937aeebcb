"""Double check with a fallback cache for a flaky third-party stock interface (MISSION I4).

The seed traced a 0.8 % transient oversell to a third-party stock interface that
failed now and then. :class:`DoubleCheck` asks the primary source; when it fails it
answers from the last good reading, minus every reservation made since, and refuses
once that reading is older than the staleness bound.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from orderkit.clock import Clock
from orderkit.errors import ChannelError, ReservationError
from orderkit.inventory._types import DEFAULT_LOCATION, StockKey

__all__ = [
    "Availability",
    "AvailabilitySource",
    "DoubleCheck",
    "StockSource",
    "StockUnavailable",
]


class StockSource(Protocol):
    """A stock interface outside orderkit (a WMS, a marketplace API)."""

    def available(self, sku: str, location: str) -> int:
        """The quantity the source says is available; raises when it cannot tell."""
        ...


class StockUnavailable(ReservationError, LookupError):
    """Neither the primary source nor a fresh enough cached reading can answer."""

    def __init__(self, sku: str, location: str, why: str) -> None:
        self.sku, self.location = sku, location
        super().__init__(f"{sku}@{location}: no trustworthy availability: {why}")


class AvailabilitySource(StrEnum):
    """Where an answer came from."""

    PRIMARY = "primary"
    CACHE = "cache"


@dataclass(frozen=True, slots=True)
class Availability:
    """An availability answer with its provenance and the time of its reading."""

    quantity: int
    source: AvailabilitySource
    as_of: datetime


@dataclass(slots=True)
class _Reading:
    quantity: int
    at: datetime
    reserved_since: int = 0


class DoubleCheck:
    """Primary stock with a conservative cache behind it.

    ``failures`` are the exceptions that mean "the source is down" (network errors,
    timeouts, :class:`~orderkit.errors.ChannelError`); anything else propagates.

    >>> from datetime import UTC
    >>> from orderkit.testing import FakeClock
    >>> class Flaky:
    ...     up = True
    ...     def available(self, sku, location):
    ...         if not self.up:
    ...             raise TimeoutError("WMS timed out")
    ...         return 40
    >>> wms, clock = Flaky(), FakeClock(datetime(2026, 11, 11, tzinfo=UTC))
    >>> check = DoubleCheck(wms, clock=clock)
    >>> check.available("TEA-01").quantity
    40
    >>> check.note_reserved("TEA-01", 3)
    >>> wms.up = False
    >>> answer = check.available("TEA-01")
    >>> answer.quantity, answer.source.value
    (37, 'cache')
    """

    def __init__(
        self,
        primary: StockSource,
        *,
        clock: Clock,
        max_staleness: timedelta = timedelta(minutes=5),
        failures: tuple[type[BaseException], ...] = (OSError, TimeoutError, ChannelError),
    ) -> None:
        self._primary = primary
        self._clock = clock
        self._max_staleness = max_staleness
        self._failures = failures
        self._readings: dict[StockKey, _Reading] = {}
        self._lock = threading.Lock()

    def available(self, sku: str, location: str = DEFAULT_LOCATION) -> Availability:
        """Ask the primary; on failure answer from the cache, conservatively."""
        key = StockKey(sku, location)
        now = self._clock.now()
        try:
            quantity = self._primary.available(sku, location)
        except self._failures as error:
            return self._from_cache(key, now, error)
        with self._lock:
            self._readings[key] = _Reading(max(quantity, 0), now)
        return Availability(max(quantity, 0), AvailabilitySource.PRIMARY, now)

    def _from_cache(self, key: StockKey, now: datetime, error: BaseException) -> Availability:
        with self._lock:
            reading = self._readings.get(key)
            if reading is None:
                raise StockUnavailable(
                    key.sku, key.location, f"source failed ({error}) and nothing is cached"
                ) from error
            age = now - reading.at
            if age > self._max_staleness:
                raise StockUnavailable(
                    key.sku,
                    key.location,
                    f"source failed ({error}) and the last reading is {age} old",
                ) from error
            quantity = max(reading.quantity - reading.reserved_since, 0)
            return Availability(quantity, AvailabilitySource.CACHE, reading.at)

    def note_reserved(self, sku: str, quantity: int, location: str = DEFAULT_LOCATION) -> None:
        """Count a reservation made since the last primary reading against the cache."""
        with self._lock:
            reading = self._readings.get(StockKey(sku, location))
            if reading is not None:
                reading.reserved_since += quantity
