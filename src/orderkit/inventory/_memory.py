from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

from orderkit.errors import UnknownReservation
from orderkit.inventory._ledger import Ledger
from orderkit.inventory._ledger_store import LedgerStore
from orderkit.inventory._types import (
    JournalEntry,
    Reservation,
    ReservationStatus,
    Stock,
    StockKey,
)

__all__ = ["DictState", "MemoryStore"]

T = TypeVar("T")


class DictState:
    """Ledger state in dictionaries, with writes buffered until :meth:`apply`.

    A failed operation is simply :meth:`discard`-ed, so it leaves no trace.
    """

    def __init__(self) -> None:
        self.stocks: dict[StockKey, Stock] = {}
        self.reservations: dict[str, Reservation] = {}
        self.outcomes: dict[str, tuple[str, object]] = {}
        self.entries: list[JournalEntry] = []
        self.expiring: dict[str, int] = {}
        self.discard()

    def discard(self) -> None:
        """Forget the buffered writes."""
        self._stocks: dict[StockKey, Stock] = {}
        self._reservations: dict[str, Reservation] = {}
        self._outcomes: dict[str, tuple[str, object]] = {}
        self._entries: list[JournalEntry] = []
        self._expiring: dict[str, int | None] = {}

    def apply(self) -> None:
        """Make the buffered writes visible, then start a new buffer."""
        self.stocks.update(self._stocks)
        self.reservations.update(self._reservations)
        self.outcomes.update(self._outcomes)
        self.entries.extend(self._entries)
        for rid, expires in self._expiring.items():
            if expires is None:
                self.expiring.pop(rid, None)
            else:
                self.expiring[rid] = expires
        self.discard()

    def get_stock(self, key: StockKey) -> Stock | None:
        return self._stocks.get(key) or self.stocks.get(key)

    def put_stock(self, stock: Stock) -> None:
        self._stocks[stock.key] = stock

    def get_reservation(self, reservation_id: str) -> Reservation | None:
        return self._reservations.get(reservation_id) or self.reservations.get(reservation_id)

    def put_reservation(self, reservation: Reservation) -> None:
        self._reservations[reservation.reservation_id] = reservation
        timed = reservation.status is ReservationStatus.ACTIVE and reservation.expires_at_ms
        self._expiring[reservation.reservation_id] = reservation.expires_at_ms if timed else None

    def due(self, at_ms: int, keys: Iterable[StockKey] | None) -> list[Reservation]:
        wanted = None if keys is None else set(keys)
        expiring = {**self.expiring, **self._expiring}
        found = []
        for rid, expires in expiring.items():
            if expires is None or expires > at_ms:
                continue
            held = self.get_reservation(rid)
            if held is not None and (wanted is None or any(x.key in wanted for x in held.lines)):
                found.append(held)
        return found

    def get_outcome(self, op_key: str) -> tuple[str, object] | None:
        return self._outcomes.get(op_key) or self.outcomes.get(op_key)

    def put_outcome(self, op_key: str, fingerprint: str, result: object) -> None:
        self._outcomes[op_key] = (fingerprint, result)

    def append(self, entry: JournalEntry) -> None:
        self._entries.append(entry)

    def last_seq(self) -> int:
        if self._entries:
            return self._entries[-1].seq
        return self.entries[-1].seq if self.entries else 0


class MemoryStore(LedgerStore[Ledger]):
    """A thread-safe in-process store: the reference behaviour, and the fastest.

    State lives in this process only; use it for tests, single-process services and
    notebooks. Each operation runs under one lock on buffered state, so it is applied
    whole or, when it raises, not at all.

    >>> from datetime import datetime, UTC
    >>> from orderkit.inventory import Line, MemoryStore
    >>> store, now = MemoryStore(), datetime(2026, 11, 11, tzinfo=UTC)
    >>> store.set_on_hand("TEA-01", 32, at=now).stock.available
    32
    >>> store.reserve("SO-1", [Line("TEA-01", 30)], at=now).status
    <ReservationStatus.ACTIVE: 'active'>
    >>> store.stock("TEA-01").available
    2
    """

    def __init__(self) -> None:
        self._state = DictState()
        self._ledger = Ledger(self._state)
        self._lock = threading.Lock()

    def _write(self, operation: Callable[[Ledger], T]) -> T:
        with self._lock:
            try:
                result = operation(self._ledger)
            except BaseException:
                self._state.discard()
                raise
            self._state.apply()
            return result

    def _stock(self, key: StockKey) -> Stock:
        with self._lock:
            return self._state.get_stock(key) or Stock(key.sku, key.location, 0, 0)

    def stocks(self) -> list[Stock]:
        """Every stock record, sorted by key."""
        with self._lock:
            return [self._state.stocks[k] for k in sorted(self._state.stocks)]

    def reservation(self, reservation_id: str) -> Reservation:
        """A reservation by id."""
        with self._lock:
            held = self._state.reservations.get(reservation_id)
        if held is None:
            raise UnknownReservation(reservation_id)
        return held

    def journal(self, after: int = 0) -> list[JournalEntry]:
        """Journal entries with ``seq > after``."""
        with self._lock:
            return self._state.entries[after:]
