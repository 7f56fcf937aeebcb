"""A reservation store over a host's own storage, made correct by locks (MISSION I3).

A host that keeps stock in its own database or ERP implements :class:`StockRepository`
(plain reads and writes, no concurrency control) and wraps it in :class:`LockedStore`
with a :class:`~orderkit.inventory.LockProvider`. The store runs the shared
:class:`~orderkit.inventory._ledger.Ledger` under locks on every record an operation
touches and writes the result only if the whole operation succeeded.
:class:`DictRepository` is the in-memory repository: the fake for a host's tests and a
template for a real one.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

from orderkit.errors import StaleLease, UnknownReservation
from orderkit.inventory._ledger import Ledger
from orderkit.inventory._locks import Lease, LockProvider, check_timing
from orderkit.inventory._sql import decode_outcome, encode_outcome
from orderkit.inventory._store import BaseStore
from orderkit.inventory._types import (
    JournalEntry,
    Line,
    OversoldPolicy,
    Reservation,
    ReservationStatus,
    Stock,
    StockChange,
    StockKey,
)

__all__ = [
    "DictRepository",
    "JOURNAL_LOCK",
    "LockedStore",
    "StockRepository",
    "op_lock",
    "reservation_lock",
    "reservation_locks",
    "stock_lock",
]

T = TypeVar("T")

JOURNAL_LOCK = "journal"
_LOCK_ORDER = ("stock:", "reservation:", "op:")
"""The order locks are taken in, by kind then name: stock first, so that an operation
waiting for a busy SKU holds no other lock meanwhile."""


class StockRepository(Protocol):
    """The storage :class:`LockedStore` reads and writes: a host's own tables.

    Implement it with plain statements; :class:`LockedStore` provides the locking. Every
    write takes ``fencing``, the fencing token of the lock held for that record (``None``
    when written without a lock). A repository that can should keep the highest token
    written per record and raise :class:`~orderkit.errors.StaleLease` for a lower
    one, in the same statement as the write (``UPDATE ... WHERE fencing <= %s``): that
    stops a holder whose lease ran out from overwriting a newer holder's work. Ignoring
    ``fencing`` is correct as long as every operation ends within the lock TTL.
    """

    def transaction(self) -> AbstractContextManager[object]:
        """Group one operation's writes: commit when the block ends, roll back if it raises.

        Without transactions, return ``contextlib.nullcontext()``: a refused write then
        leaves the earlier writes of the same operation in place.
        """
        ...

    def get_stock(self, key: StockKey) -> Stock | None:
        """The stock record of a (sku, location), or ``None`` if it was never written."""
        ...

    def put_stock(self, stock: Stock, *, fencing: int | None = None) -> None:
        """Insert or replace the stock record of ``stock.key``."""
        ...

    def stocks(self) -> list[Stock]:
        """Every stock record, in any order."""
        ...

    def get_reservation(self, reservation_id: str) -> Reservation | None:
        """A reservation by id (store it with :meth:`Reservation.to_json`)."""
        ...

    def put_reservation(self, reservation: Reservation, *, fencing: int | None = None) -> None:
        """Insert or replace a reservation."""
        ...

    def due(self, at_ms: int, keys: Collection[StockKey] | None = None) -> list[Reservation]:
        """Active reservations whose ``expires_at_ms`` is at or before ``at_ms``.

        ``keys`` narrows them to reservations with a line on one of those keys; it is a
        hint, so returning every due reservation is also correct.
        """
        ...

    def get_outcome(self, op_key: str) -> tuple[str, str] | None:
        """The fingerprint and outcome (both text) recorded for an operation key."""
        ...

    def put_outcome(
        self, op_key: str, fingerprint: str, outcome: str, *, fencing: int | None = None
    ) -> None:
        """Record an operation's fingerprint and outcome, once per key."""
        ...

    def append(self, entry: JournalEntry, *, fencing: int | None = None) -> None:
        """Add a journal entry; its ``seq`` is one more than :meth:`last_seq`."""
        ...

    def last_seq(self) -> int:
        """The ``seq`` of the last journal entry, 0 when there is none."""
        ...

    def entries(self, after: int = 0) -> list[JournalEntry]:
        """Journal entries with ``seq > after``, in order."""
        ...


def stock_lock(key: StockKey) -> str:
    """The lock name guarding a stock record."""
    return "stock:" + json.dumps(list(key))


def reservation_lock(reservation_id: str) -> str:
    """The lock name guarding a reservation record."""
    return f"reservation:{reservation_id}"


def op_lock(op_key: str) -> str:
    """The lock name guarding an operation key's outcome."""
    return f"op:{op_key}"


def reservation_locks(reservation: Reservation) -> set[str]:
    """The locks a write to ``reservation`` needs: its own and those of its keys."""
    return {
        reservation_lock(reservation.reservation_id),
        *(stock_lock(x.key) for x in reservation.lines),
    }


def _acquire_order(name: str) -> tuple[int, str]:
    return next(i for i, kind in enumerate(_LOCK_ORDER) if name.startswith(kind)), name


def _is_due(reservation: Reservation, at_ms: int) -> bool:
    expires = reservation.expires_at_ms
    return (
        reservation.status is ReservationStatus.ACTIVE and expires is not None and expires <= at_ms
    )


def _holds(reservation: Reservation, keys: Collection[StockKey] | None) -> bool:
    return keys is None or any(x.key in keys for x in reservation.lines)


class _MissingLocks(Exception):
    """The operation must write records whose locks it does not hold; retry with them."""

    def __init__(self, names: set[str]) -> None:
        super().__init__(sorted(names))
        self.names = names


class _Buffer:
    """The ledger's state during one locked operation.

    Reads fall through to the repository; writes stay here until :meth:`flush`. A write
    to a record whose lock is not held raises :class:`_MissingLocks`. Journal entries are
    numbered from 1 here and renumbered after the repository's last entry at flush.
    ``only`` limits :meth:`due` to one reservation (an expiry sweep takes them one by one).
    """

    def __init__(
        self, repository: StockRepository, held: Collection[str], only: str | None
    ) -> None:
        self.repository = repository
        self.held = held
        self.only = only
        self.stocks: dict[StockKey, Stock] = {}
        self.reservations: dict[str, Reservation] = {}
        self.outcomes: dict[str, tuple[str, object]] = {}
        self.entries: list[JournalEntry] = []

    def _require(self, names: set[str]) -> None:
        missing = names.difference(self.held)
        if missing:
            raise _MissingLocks(missing)

    def get_stock(self, key: StockKey) -> Stock | None:
        return self.stocks.get(key) or self.repository.get_stock(key)

    def put_stock(self, stock: Stock) -> None:
        self._require({stock_lock(stock.key)})
        self.stocks[stock.key] = stock

    def get_reservation(self, reservation_id: str) -> Reservation | None:
        return self.reservations.get(reservation_id) or self.repository.get_reservation(
            reservation_id
        )

    def put_reservation(self, reservation: Reservation) -> None:
        self._require(reservation_locks(reservation))
        self.reservations[reservation.reservation_id] = reservation

    def due(self, at_ms: int, keys: Iterable[StockKey] | None) -> list[Reservation]:
        wanted = None if keys is None else set(keys)
        found = {r.reservation_id: r for r in self.repository.due(at_ms, wanted)}
        found.update(self.reservations)
        return [
            r
            for rid, r in found.items()
            if _is_due(r, at_ms) and _holds(r, wanted) and self.only in (None, rid)
        ]

    def get_outcome(self, op_key: str) -> tuple[str, object] | None:
        if op_key in self.outcomes:
            return self.outcomes[op_key]
        stored = self.repository.get_outcome(op_key)
        return None if stored is None else (stored[0], decode_outcome(stored[1]))

    def put_outcome(self, op_key: str, fingerprint: str, result: object) -> None:
        self._require({op_lock(op_key)})
        self.outcomes[op_key] = (fingerprint, result)

    def append(self, entry: JournalEntry) -> None:
        self.entries.append(entry)

    def last_seq(self) -> int:
        return len(self.entries)

    @property
    def dirty(self) -> bool:
        """Whether the operation wrote anything."""
        return bool(self.stocks or self.reservations or self.outcomes or self.entries)

    def flush(self, leases: dict[str, Lease], journal: Lease) -> None:
        """Write everything in one repository transaction, each record with its fencing token.

        Raises :class:`StaleLease` without writing if a lease ran out during the operation.
        """
        now = datetime.now(UTC)
        for lease in (*leases.values(), journal):
            if lease.expired(now):
                raise StaleLease(f"lock {lease.name!r}", lease.fencing)
        repository = self.repository
        with repository.transaction():
            base = repository.last_seq()
            for entry in self.entries:
                repository.append(replace(entry, seq=base + entry.seq), fencing=journal.fencing)
            for key, stock in self.stocks.items():
                repository.put_stock(stock, fencing=leases[stock_lock(key)].fencing)
            for rid, reservation in self.reservations.items():
                repository.put_reservation(
                    reservation, fencing=leases[reservation_lock(rid)].fencing
                )
            for op_key, (fingerprint, result) in self.outcomes.items():
                repository.put_outcome(
                    op_key,
                    fingerprint,
                    encode_outcome(result),
                    fencing=leases[op_lock(op_key)].fencing,
                )


class LockedStore(BaseStore):
    """A :class:`~orderkit.inventory.ReservationStore` over a host's repository and locks.

    Each operation takes a lock per record it touches (one per (sku, location), one for
    the reservation, one for the operation key), always in the same order so two
    operations cannot deadlock; a reservation's locks cover all of its keys, and an
    expiry sweep locks one reservation at a time. The shared ledger then runs on buffered
    state; a write the locks do not cover (a lazily expired reservation holding another
    key) makes the operation start over with those locks too. If the operation succeeds,
    its writes and journal entries go to the repository in one
    :meth:`StockRepository.transaction` under a short journal lock that keeps ``seq``
    contiguous, each write with its fencing token; a refused operation writes nothing.
    The lock provider decides the reach: :class:`~orderkit.inventory.InProcessLocks`
    for one process, PostgreSQL advisory locks or Redis for several processes and
    machines.

    Prefer a native store (SQLite, PostgreSQL, Redis) whenever the stock can live there:
    it takes stock with one conditional update or script, while every operation here
    costs a lock round trip per record on top of the repository's reads and writes, and
    every write waits for the journal lock. Its correctness also rests on timing: each
    operation must end within ``lock_ttl``. The store will not write under a lease that
    has run out (it raises :class:`~orderkit.errors.StaleLease`); one that runs out
    during the write itself is caught only by a repository that checks fencing tokens
    (:class:`DictRepository` does). ``wait`` bounds the time one operation waits for all
    of its locks before raising :class:`~orderkit.errors.LockTimeout`; ``owner``
    names this store in lock errors (host name and process id by default).

    A host wires its own tables to a lock server shared by all its processes::

        store = LockedStore(ErpStockRepository(erp), RedisLocks("redis://cache:6379/0"))

    >>> from datetime import datetime, UTC
    >>> from orderkit.inventory import Line
    >>> from orderkit.inventory import InProcessLocks
    >>> store = LockedStore(DictRepository(), InProcessLocks())
    >>> now = datetime(2026, 11, 11, tzinfo=UTC)
    >>> store.set_on_hand("TEA-01", 32, at=now).stock.available
    32
    >>> store.reserve("SO-1", [Line("TEA-01", 30)], at=now).status
    <ReservationStatus.ACTIVE: 'active'>
    >>> store.stock("TEA-01").available
    2
    """

    def __init__(
        self,
        repository: StockRepository,
        locks: LockProvider,
        *,
        lock_ttl: timedelta = timedelta(seconds=30),
        wait: timedelta = timedelta(seconds=10),
        owner: str | None = None,
    ) -> None:
        check_timing(lock_ttl, wait)
        self._repository = repository
        self._locks = locks
        self._ttl = lock_ttl
        self._wait = wait
        self._owner = owner or f"{socket.gethostname()}:{os.getpid()}"

    def _take(self, name: str, deadline: float, held: ExitStack) -> Lease:
        left = timedelta(seconds=max(0.0, deadline - time.monotonic()))
        lease = self._locks.acquire(name, owner=self._owner, ttl=self._ttl, wait=left)
        held.callback(self._locks.release, lease)
        return lease

    def _locked(
        self, names: Iterable[str], operation: Callable[[Ledger], T], only: str | None = None
    ) -> T:
        wanted = set(names)
        deadline = time.monotonic() + self._wait.total_seconds()
        while True:
            with ExitStack() as held:
                leases = {
                    n: self._take(n, deadline, held) for n in sorted(wanted, key=_acquire_order)
                }
                state = _Buffer(self._repository, leases, only)
                try:
                    result = operation(Ledger(state))
                except _MissingLocks as missing:
                    wanted |= missing.names
                    continue
                if state.dirty:
                    state.flush(leases, self._take(JOURNAL_LOCK, deadline, held))
                return result

    def _on_reservation(self, reservation_id: str, op_key: str) -> set[str]:
        held = self._repository.get_reservation(reservation_id)
        names = {reservation_lock(reservation_id)} if held is None else reservation_locks(held)
        return {op_lock(op_key), *names}

    def _reserve(
        self,
        reservation_id: str,
        lines: tuple[Line, ...],
        at_ms: int,
        ttl_ms: int | None,
        op_key: str,
    ) -> Reservation:
        names = {reservation_lock(reservation_id), op_lock(op_key)}
        names.update(stock_lock(x.key) for x in lines)
        return self._locked(
            names, lambda ledger: ledger.reserve(reservation_id, lines, at_ms, ttl_ms, op_key)
        )

    def _release(self, reservation_id: str, at_ms: int, op_key: str) -> Reservation:
        return self._locked(
            self._on_reservation(reservation_id, op_key),
            lambda ledger: ledger.release(reservation_id, at_ms, op_key),
        )

    def _commit(
        self, reservation_id: str, lines: tuple[Line, ...] | None, at_ms: int, op_key: str
    ) -> Reservation:
        return self._locked(
            self._on_reservation(reservation_id, op_key),
            lambda ledger: ledger.commit(reservation_id, lines, at_ms, op_key),
        )

    def _extend(self, reservation_id: str, until_ms: int, at_ms: int, op_key: str) -> Reservation:
        return self._locked(
            self._on_reservation(reservation_id, op_key),
            lambda ledger: ledger.extend(reservation_id, until_ms, at_ms, op_key),
        )

    def _expire(self, at_ms: int) -> list[Reservation]:
        due = sorted(self._repository.due(at_ms), key=lambda r: r.reservation_id)
        return [expired for r in due for expired in self._expire_one(r, at_ms)]

    def _expire_one(self, reservation: Reservation, at_ms: int) -> list[Reservation]:
        keys = [x.key for x in reservation.lines]
        return self._locked(
            reservation_locks(reservation),
            lambda ledger: ledger.expire(at_ms, keys),
            only=reservation.reservation_id,
        )

    def _on_stock(self, key: StockKey, op_key: str | None) -> set[str]:
        return {stock_lock(key)} if op_key is None else {stock_lock(key), op_lock(op_key)}

    def _set_on_hand(
        self,
        key: StockKey,
        quantity: int,
        at_ms: int,
        op_key: str | None,
        oversold: OversoldPolicy,
    ) -> StockChange:
        return self._locked(
            self._on_stock(key, op_key),
            lambda ledger: ledger.set_on_hand(key, quantity, at_ms, op_key, oversold),
        )

    def _adjust(
        self, key: StockKey, delta: int, at_ms: int, op_key: str, oversold: OversoldPolicy
    ) -> StockChange:
        return self._locked(
            self._on_stock(key, op_key),
            lambda ledger: ledger.adjust(key, delta, at_ms, op_key, oversold),
        )

    def _set_frozen(self, key: StockKey, frozen: bool, at_ms: int) -> Stock:
        return self._locked(
            self._on_stock(key, None), lambda ledger: ledger.set_frozen(key, frozen, at_ms)
        )

    def _stock(self, key: StockKey) -> Stock:
        return self._repository.get_stock(key) or Stock(key.sku, key.location, 0, 0)

    def stocks(self) -> list[Stock]:
        """Every stock record, sorted by key."""
        return sorted(self._repository.stocks(), key=lambda s: s.key)

    def reservation(self, reservation_id: str) -> Reservation:
        """A reservation by id."""
        held = self._repository.get_reservation(reservation_id)
        if held is None:
            raise UnknownReservation(reservation_id)
        return held

    def journal(self, after: int = 0) -> list[JournalEntry]:
        """Journal entries with ``seq > after``."""
        return self._repository.entries(after)


class DictRepository:
    """A :class:`StockRepository` in dictionaries, safe to share between threads.

    It checks fencing tokens like a production repository should: each record remembers
    the highest token written to it, and a write with a lower one raises
    :class:`~orderkit.errors.StaleLease`. Inside :meth:`transaction` writes are
    held back until the block ends and dropped if it raises; other threads wait for the
    block to end. Finding due reservations scans them all: it is a fake, not a store.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._stocks: dict[StockKey, Stock] = {}
        self._reservations: dict[str, Reservation] = {}
        self._outcomes: dict[str, tuple[str, str]] = {}
        self._entries: list[JournalEntry] = []
        self._fences: dict[tuple[str, object], int] = {}
        self._pending: list[Callable[[], None]] | None = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """See :meth:`StockRepository.transaction`; a nested block joins the outer one."""
        with self._lock:
            if self._pending is not None:
                yield
                return
            self._pending = []
            try:
                yield
                for write in self._pending:
                    write()
            finally:
                self._pending = None

    def _write(
        self, record: tuple[str, object], fencing: int | None, write: Callable[[], None]
    ) -> None:
        with self._lock:
            if fencing is not None:
                if fencing < self._fences.get(record, fencing):
                    raise StaleLease(f"{record[0]} {record[1]!r}", fencing)
                # Kept even if the transaction rolls back: the token was granted, so any
                # lower one for this record belongs to a superseded lease either way.
                self._fences[record] = fencing
            if self._pending is None:
                write()
            else:
                self._pending.append(write)

    def get_stock(self, key: StockKey) -> Stock | None:
        """See :meth:`StockRepository.get_stock`."""
        with self._lock:
            return self._stocks.get(key)

    def put_stock(self, stock: Stock, *, fencing: int | None = None) -> None:
        """See :meth:`StockRepository.put_stock`."""
        self._write(
            ("stock", stock.key),
            fencing,
            functools.partial(self._stocks.__setitem__, stock.key, stock),
        )

    def stocks(self) -> list[Stock]:
        """See :meth:`StockRepository.stocks`."""
        with self._lock:
            return list(self._stocks.values())

    def get_reservation(self, reservation_id: str) -> Reservation | None:
        """See :meth:`StockRepository.get_reservation`."""
        with self._lock:
            return self._reservations.get(reservation_id)

    def put_reservation(self, reservation: Reservation, *, fencing: int | None = None) -> None:
        """See :meth:`StockRepository.put_reservation`."""
        rid = reservation.reservation_id
        self._write(
            ("reservation", rid),
            fencing,
            functools.partial(self._reservations.__setitem__, rid, reservation),
        )

    def due(self, at_ms: int, keys: Collection[StockKey] | None = None) -> list[Reservation]:
        """See :meth:`StockRepository.due`."""
        with self._lock:
            return [r for r in self._reservations.values() if _is_due(r, at_ms) and _holds(r, keys)]

    def get_outcome(self, op_key: str) -> tuple[str, str] | None:
        """See :meth:`StockRepository.get_outcome`."""
        with self._lock:
            return self._outcomes.get(op_key)

    def put_outcome(
        self, op_key: str, fingerprint: str, outcome: str, *, fencing: int | None = None
    ) -> None:
        """See :meth:`StockRepository.put_outcome`."""
        self._write(
            ("outcome", op_key),
            fencing,
            functools.partial(self._outcomes.__setitem__, op_key, (fingerprint, outcome)),
        )

    def append(self, entry: JournalEntry, *, fencing: int | None = None) -> None:
        """See :meth:`StockRepository.append`."""
        self._write(("journal", None), fencing, functools.partial(self._entries.append, entry))

    def last_seq(self) -> int:
        """See :meth:`StockRepository.last_seq`."""
        with self._lock:
            return self._entries[-1].seq if self._entries else 0

    def entries(self, after: int = 0) -> list[JournalEntry]:
        """See :meth:`StockRepository.entries`."""
        with self._lock:
            return [e for e in self._entries if e.seq > after]
