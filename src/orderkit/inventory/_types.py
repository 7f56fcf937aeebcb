from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from pydantic import TypeAdapter

from orderkit.errors import InvalidRequest

__all__ = [
    "DEFAULT_LOCATION",
    "Change",
    "JournalEntry",
    "JournalKind",
    "Line",
    "OversoldPolicy",
    "Reservation",
    "ReservationStatus",
    "Stock",
    "StockChange",
    "StockKey",
    "merge_lines",
]

DEFAULT_LOCATION = "default"


class StockKey(NamedTuple):
    """Where stock is counted: a SKU at a location (warehouse, store)."""

    sku: str
    location: str = DEFAULT_LOCATION


@dataclass(frozen=True, slots=True)
class Line:
    """A quantity of one SKU at one location, as asked for or as held.

    >>> Line("TEA-01", 2)
    Line(sku='TEA-01', quantity=2, location='default')
    """

    sku: str
    quantity: int
    location: str = DEFAULT_LOCATION

    def __post_init__(self) -> None:
        if not isinstance(self.sku, str) or not self.sku.strip():
            raise InvalidRequest(f"a line needs a non-empty SKU, got {self.sku!r}")
        if not isinstance(self.location, str) or not self.location.strip():
            raise InvalidRequest(f"a line needs a non-empty location, got {self.location!r}")
        if type(self.quantity) is not int or self.quantity <= 0:
            raise InvalidRequest(
                f"{self.sku}: quantity must be a positive int, got {self.quantity!r}"
            )

    @property
    def key(self) -> StockKey:
        """The (sku, location) this line draws on."""
        return StockKey(self.sku, self.location)


def merge_lines(lines: Iterable[Line]) -> tuple[Line, ...]:
    """Sum lines per (sku, location) and sort them by key: the order locks are taken in.

    >>> merge_lines([Line("B", 1), Line("A", 2), Line("B", 3)])
    (Line(sku='A', quantity=2, location='default'), Line(sku='B', quantity=4, location='default'))
    """
    totals: dict[StockKey, int] = {}
    for line in lines:
        totals[line.key] = totals.get(line.key, 0) + line.quantity
    return tuple(Line(k.sku, q, k.location) for k, q in sorted(totals.items()))


@dataclass(frozen=True, slots=True)
class Stock:
    """The counters of one (sku, location) (MISSION I1): ``0 <= reserved <= on_hand``."""

    sku: str
    location: str
    on_hand: int
    reserved: int
    frozen: bool = False
    updated_at_ms: int = 0

    @property
    def available(self) -> int:
        """What can still be reserved: ``on_hand - reserved`` (zero while frozen)."""
        return 0 if self.frozen else self.on_hand - self.reserved

    @property
    def key(self) -> StockKey:
        """The (sku, location) of this record."""
        return StockKey(self.sku, self.location)


class ReservationStatus(StrEnum):
    """Where a reservation stands."""

    ACTIVE = "active"
    RELEASED = "released"
    COMMITTED = "committed"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Reservation:
    """Stock held for one order: what was reserved, what has been committed since."""

    reservation_id: str
    status: ReservationStatus
    lines: tuple[Line, ...]
    committed: tuple[Line, ...] = ()
    created_at_ms: int = 0
    updated_at_ms: int = 0
    expires_at_ms: int | None = None

    def remaining(self) -> dict[StockKey, int]:
        """Quantities still held per key (reserved minus committed), zeros left out."""
        done = {line.key: line.quantity for line in self.committed}
        left = {line.key: line.quantity - done.get(line.key, 0) for line in self.lines}
        return {k: q for k, q in left.items() if q}

    def to_json(self) -> str:
        """The reservation as JSON (stored by the SQL and Redis backends)."""
        return _RESERVATION.dump_json(self).decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> Reservation:
        """Parse a reservation written by :meth:`to_json`."""
        return _RESERVATION.validate_json(text)


class OversoldPolicy(StrEnum):
    """What a stock count below the reserved quantity does."""

    REFUSE = "refuse"
    """Raise :class:`~orderkit.errors.OnHandBelowReserved` and change nothing (default)."""
    CAP = "cap"
    """Keep on hand at the reserved quantity and report the shortfall as ``oversold``."""


@dataclass(frozen=True, slots=True)
class StockChange:
    """The stock after a count or an adjustment, and any shortfall it revealed."""

    stock: Stock
    oversold: int = 0


class JournalKind(StrEnum):
    """What a journal entry records."""

    RESERVE = "reserve"
    RELEASE = "release"
    COMMIT = "commit"
    EXPIRE = "expire"
    EXTEND = "extend"
    SET_ON_HAND = "set_on_hand"
    ADJUST = "adjust"
    FREEZE = "freeze"
    UNFREEZE = "unfreeze"


@dataclass(frozen=True, slots=True)
class Change:
    """How one (sku, location) moved in one journal entry."""

    sku: str
    location: str
    on_hand: int = 0
    reserved: int = 0


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One change to the store, written in the same atomic step as the change itself."""

    seq: int
    at_ms: int
    kind: JournalKind
    op_key: str
    reservation_id: str | None = None
    changes: tuple[Change, ...] = field(default=())
    frozen: bool | None = None

    def to_json(self) -> str:
        """The entry as JSON."""
        return _ENTRY.dump_json(self).decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> JournalEntry:
        """Parse an entry written by :meth:`to_json`."""
        return _ENTRY.validate_json(text)


_RESERVATION: TypeAdapter[Reservation] = TypeAdapter(Reservation)
_ENTRY: TypeAdapter[JournalEntry] = TypeAdapter(JournalEntry)


_FINGERPRINT = json.JSONEncoder(separators=(",", ":"), default=str)


def lines_print(lines: Iterable[Line]) -> list[list[object]]:
    """Lines as plain lists for a fingerprint."""
    return [[x.sku, x.location, x.quantity] for x in lines]


def fingerprint(operation: str, *parts: Any) -> str:
    """A stable text form of an operation's payload, to tell retries from reuse."""
    return _FINGERPRINT.encode([operation, *parts])
