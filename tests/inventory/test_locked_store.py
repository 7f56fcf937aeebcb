"""LockedStore over DictRepository with each lock provider: the contract, and what locks add."""

from __future__ import annotations

import random
import sqlite3
import threading
from collections import Counter
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from orderkit.errors import InsufficientStock, LockTimeout, ReservationClosed, StaleLease
from orderkit.inventory import (
    InProcessLocks,
    JournalEntry,
    Lease,
    Line,
    LockProvider,
    Reservation,
    ReservationStatus,
    Stock,
    StockKey,
    check,
)
from orderkit.inventory._locked import DictRepository, LockedStore, stock_lock
from orderkit.testing.inventory import T0, ReservationStoreContract, StoreFactory
from tests.inventory.test_locks import PROVIDERS, LockSpec, lock_spec, locks

__all__ = ["lock_spec", "locks"]

_TABLES = """
CREATE TABLE IF NOT EXISTS stock (
    sku TEXT, location TEXT, on_hand INTEGER, reserved INTEGER, frozen INTEGER,
    updated_at_ms INTEGER, PRIMARY KEY (sku, location));
CREATE TABLE IF NOT EXISTS reservations (
    reservation_id TEXT PRIMARY KEY, due_at_ms INTEGER, body TEXT);
CREATE TABLE IF NOT EXISTS outcomes (op_key TEXT PRIMARY KEY, fingerprint TEXT, outcome TEXT);
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, entry TEXT);
"""
_STOCK = "SELECT sku, location, on_hand, reserved, frozen, updated_at_ms FROM stock"


def _stock(row: tuple[Any, ...]) -> Stock:
    sku, location, on_hand, reserved, frozen, updated_at_ms = row
    return Stock(sku, location, on_hand, reserved, bool(frozen), updated_at_ms)


class SqliteRepository:
    """A host's own tables, read and written with plain statements and no locking.

    This is what LockedStore is for: it makes such tables a correct reservation store
    for every process that opens them with the same lock server. Fencing tokens are
    ignored, which the protocol allows while operations end within the lock TTL.
    """

    def __init__(self, path: Path) -> None:
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_TABLES)

    def close(self) -> None:
        self._db.close()

    def _rows(self, sql: str, *params: object) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def get_stock(self, key: StockKey) -> Stock | None:
        rows = self._rows(f"{_STOCK} WHERE sku = ? AND location = ?", *key)
        return _stock(rows[0]) if rows else None

    def put_stock(self, stock: Stock, *, fencing: int | None = None) -> None:
        self._rows(
            "INSERT OR REPLACE INTO stock VALUES (?, ?, ?, ?, ?, ?)",
            *(stock.sku, stock.location, stock.on_hand, stock.reserved),
            *(stock.frozen, stock.updated_at_ms),
        )

    def stocks(self) -> list[Stock]:
        return [_stock(row) for row in self._rows(_STOCK)]

    def get_reservation(self, reservation_id: str) -> Reservation | None:
        rows = self._rows("SELECT body FROM reservations WHERE reservation_id = ?", reservation_id)
        return Reservation.from_json(rows[0][0]) if rows else None

    def put_reservation(self, reservation: Reservation, *, fencing: int | None = None) -> None:
        active = reservation.status is ReservationStatus.ACTIVE
        self._rows(
            "INSERT OR REPLACE INTO reservations VALUES (?, ?, ?)",
            reservation.reservation_id,
            reservation.expires_at_ms if active else None,
            reservation.to_json(),
        )

    def due(self, at_ms: int, keys: Collection[StockKey] | None = None) -> list[Reservation]:
        rows = self._rows("SELECT body FROM reservations WHERE due_at_ms <= ?", at_ms)
        return [Reservation.from_json(body) for (body,) in rows]

    def get_outcome(self, op_key: str) -> tuple[str, str] | None:
        rows = self._rows("SELECT fingerprint, outcome FROM outcomes WHERE op_key = ?", op_key)
        return (rows[0][0], rows[0][1]) if rows else None

    def put_outcome(
        self, op_key: str, fingerprint: str, outcome: str, *, fencing: int | None = None
    ) -> None:
        self._rows("INSERT INTO outcomes VALUES (?, ?, ?)", op_key, fingerprint, outcome)

    def append(self, entry: JournalEntry, *, fencing: int | None = None) -> None:
        self._rows("INSERT INTO journal VALUES (?, ?)", entry.seq, entry.to_json())

    def last_seq(self) -> int:
        seq: int = self._rows("SELECT coalesce(max(seq), 0) FROM journal")[0][0]
        return seq

    def entries(self, after: int = 0) -> list[JournalEntry]:
        rows = self._rows("SELECT entry FROM journal WHERE seq > ? ORDER BY seq", after)
        return [JournalEntry.from_json(entry) for (entry,) in rows]


def _open_shared(path: Path, spec: LockSpec) -> LockedStore:
    return LockedStore(SqliteRepository(path), spec.open())


class TestLockedStoreContract(ReservationStoreContract):
    """The conformance suite over the in-memory repository, once per lock provider."""

    @pytest.fixture
    def store_factory(self, locks: LockProvider) -> StoreFactory:
        return lambda: LockedStore(DictRepository(), locks)


@pytest.mark.parametrize("lock_spec", PROVIDERS[1:], indirect=True)
class TestLockedStoreOnHostTables(ReservationStoreContract):
    """The conformance suite over SQLite tables and server locks, across processes too."""

    @pytest.fixture
    def store_factory(self, tmp_path: Path, locks: LockProvider) -> Iterator[StoreFactory]:
        opened: list[SqliteRepository] = []

        def make() -> LockedStore:
            opened.append(SqliteRepository(tmp_path / f"host-{len(opened)}.sqlite3"))
            return LockedStore(opened[-1], locks)

        yield make
        for repository in opened:
            repository.close()

    @pytest.fixture
    def process_factory(self, tmp_path: Path, lock_spec: LockSpec) -> StoreFactory:
        return partial(_open_shared, tmp_path / "shared.sqlite3", lock_spec)


class RecordingLocks(InProcessLocks):
    """In-process locks that remember every name they granted."""

    def __init__(self) -> None:
        super().__init__()
        self.granted: list[str] = []

    def acquire(self, name: str, *, owner: str, ttl: timedelta, wait: timedelta) -> Lease:
        lease = super().acquire(name, owner=owner, ttl=ttl, wait=wait)
        self.granted.append(name)
        return lease


def test_lazy_expiry_takes_the_locks_of_every_key_it_touches() -> None:
    locks = RecordingLocks()
    store = LockedStore(DictRepository(), locks)
    store.set_on_hand("A", 5, at=T0)
    store.set_on_hand("B", 5, at=T0)
    store.reserve("R1", [Line("A", 5), Line("B", 2)], at=T0, ttl=timedelta(minutes=1))
    locks.granted.clear()
    store.reserve("R2", [Line("A", 5)], at=T0 + timedelta(minutes=2))
    assert stock_lock(StockKey("B")) in locks.granted
    assert store.reservation("R1").status is ReservationStatus.EXPIRED
    assert (store.stock("A").reserved, store.stock("B").reserved) == (5, 0)
    assert check(store) == []


def test_an_operation_that_outlives_its_locks_writes_nothing() -> None:
    store = LockedStore(DictRepository(), InProcessLocks(), lock_ttl=timedelta(microseconds=1))
    with pytest.raises(StaleLease):
        store.set_on_hand("A", 5, at=T0)
    assert (store.stocks(), store.journal()) == ([], [])


def test_a_held_lock_times_out_the_operation_and_leaves_no_trace() -> None:
    locks = InProcessLocks()
    store = LockedStore(DictRepository(), locks, wait=timedelta(0))
    store.set_on_hand("A", 5, at=T0)
    held = locks.acquire(
        stock_lock(StockKey("A")), owner="stocktake", ttl=timedelta(minutes=1), wait=timedelta(0)
    )
    with pytest.raises(LockTimeout):
        store.reserve("R1", [Line("A", 1)], at=T0)
    locks.release(held)
    assert store.stock("A").reserved == 0
    assert len(store.journal()) == 1
    assert store.reserve("R1", [Line("A", 1)], at=T0).status is ReservationStatus.ACTIVE


def test_the_repository_refuses_an_older_fencing_token_and_rolls_back() -> None:
    repository = DictRepository()
    counted = Stock("A", "default", 5, 0)
    repository.put_stock(counted, fencing=7)

    def late_write() -> None:
        with repository.transaction():
            repository.put_stock(Stock("B", "default", 1, 0), fencing=1)
            repository.put_stock(Stock("A", "default", 9, 0), fencing=6)

    with pytest.raises(StaleLease) as caught:
        late_write()
    assert caught.value.fencing == 6
    assert repository.stocks() == [counted]
    repository.put_stock(Stock("A", "default", 9, 0), fencing=8)
    assert repository.get_stock(StockKey("A")) == Stock("A", "default", 9, 0)


def test_mixed_operations_on_shared_keys_from_many_threads_stay_consistent(
    locks: LockProvider,
) -> None:
    store = LockedStore(DictRepository(), locks)
    skus, threads, rounds = ("A", "B", "C"), 6, 20
    for sku in skus:
        store.set_on_hand(sku, 40, at=T0)
    start = threading.Barrier(threads)
    ids: list[str] = []

    def worker(n: int) -> None:
        pick = random.Random(n)
        start.wait()
        for i in range(rounds):
            rid, at = f"t{n}-{i}", T0 + timedelta(minutes=i)
            lines = [Line(sku, pick.randint(1, 3)) for sku in pick.sample(skus, 2)]
            try:
                store.reserve(rid, lines, at=at, ttl=timedelta(minutes=pick.choice([1, 5])))
            except InsufficientStock:
                continue
            ids.append(rid)
            action = pick.choice(["keep", "release", "commit", "expire", "count"])
            try:
                if action == "release":
                    store.release(rid, at=at)
                elif action == "commit":
                    store.commit(rid, at=at)
            except ReservationClosed:
                continue
            if action == "expire":
                store.expire(at=at + timedelta(minutes=2))
            elif action == "count":
                store.adjust(lines[0].sku, 1, at=at, op_key=f"receipt-{rid}")

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    held: Counter[StockKey] = Counter()
    for rid in ids:
        reservation = store.reservation(rid)
        if reservation.status is ReservationStatus.ACTIVE:
            held.update(reservation.remaining())
    assert {s.key: s.reserved for s in store.stocks()} == {k: held[k] for k in map(StockKey, skus)}
    assert all(0 <= s.reserved <= s.on_hand for s in store.stocks())
    assert check(store) == []
    assert [e.seq for e in store.journal()] == list(range(1, len(store.journal()) + 1))
