"""The embedded default backend: the reservation store in one SQLite file."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Literal, TypeVar

from orderkit.errors import ConfigError, UnknownReservation
from orderkit.inventory._ledger_store import LedgerStore
from orderkit.inventory._sql import SqlLedger, SqlState
from orderkit.inventory._types import (
    JournalEntry,
    Reservation,
    ReservationStatus,
    Stock,
    StockKey,
)

__all__ = ["SQLiteStore"]

T = TypeVar("T")

_WAL_RETRY_SECONDS = 0.005

# An OR chain rather than IN: SQLite builds a temporary table for an IN list of more
# than two values on every row it checks.
_STATUSES = " OR ".join(f"status = '{s.value}'" for s in ReservationStatus)
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS stock (
        sku TEXT NOT NULL,
        location TEXT NOT NULL,
        on_hand INTEGER NOT NULL,
        reserved INTEGER NOT NULL,
        frozen INTEGER NOT NULL CHECK (frozen IN (0, 1)),
        updated_at_ms INTEGER NOT NULL,
        PRIMARY KEY (sku, location),
        CHECK (0 <= reserved AND reserved <= on_hand)
    )""",
    f"""CREATE TABLE IF NOT EXISTS reservations (
        reservation_id TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK ({_STATUSES}),
        reservation TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS reservation_lines (
        reservation_id TEXT NOT NULL REFERENCES reservations (reservation_id),
        sku TEXT NOT NULL,
        location TEXT NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        PRIMARY KEY (reservation_id, sku, location)
    )""",
    "CREATE INDEX IF NOT EXISTS reservation_lines_by_key"
    " ON reservation_lines (sku, location, expires_at_ms)",
    "CREATE INDEX IF NOT EXISTS reservation_lines_by_expiry ON reservation_lines (expires_at_ms)",
    """CREATE TABLE IF NOT EXISTS operations (
        op_key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        result TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS journal (
        seq INTEGER PRIMARY KEY CHECK (seq > 0),
        entry TEXT NOT NULL
    )""",
)


def _use_wal(db: sqlite3.Connection, timeout: float) -> None:
    """Switch to WAL, retrying while another connection is switching the same new file.

    Changing the journal mode fails at once with ``SQLITE_BUSY`` instead of calling the
    busy handler, so connections opening a new database together retry up to ``timeout``.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                raise
            time.sleep(_WAL_RETRY_SECONDS)
        else:
            return


def _create_tables(ledger: SqlLedger) -> None:
    for statement in _SCHEMA:
        ledger.sql.db.execute(statement)


class SQLiteStore(LedgerStore[SqlLedger]):
    """The embedded default: a reservation store in one SQLite file (standard library only).

    Safe to share between threads, and between processes on one machine that each open
    their own store on the same file. Every operation is one ``BEGIN IMMEDIATE``
    transaction, so it holds SQLite's single write lock from its first read to its
    commit; a reserve takes each line with a conditional ``UPDATE ... WHERE on_hand -
    reserved >= n`` and the ``stock`` table's ``CHECK (0 <= reserved AND reserved <=
    on_hand)`` backs the invariant. The database runs in WAL mode, so other processes
    read while one writes, and a process that dies mid-operation leaves neither a
    partial operation nor a held lock.

    The store keeps one connection (and one cursor, which every statement reuses),
    guarded by a lock, rather than one per thread: SQLite admits one writer per database
    anyway, and the lock hands the connection to the next thread as soon as it is free
    instead of leaving threads to poll SQLite's busy handler, which sleeps between
    tries; it also lets :meth:`close` release everything and ``":memory:"`` be shared
    by threads. Other processes, and other stores on the same file, wait for the write
    lock up to ``timeout`` seconds, then get :class:`sqlite3.OperationalError`. Open
    the store after forking, never before: a connection must not cross a ``fork``.

    ``synchronous`` is SQLite's setting of the same name for this connection. With
    ``"FULL"``, the default, every operation is on disk when it returns: the commit
    waits for ``fsync``, and neither a process crash nor a power cut loses it. With
    ``"NORMAL"``, SQLite syncs the write-ahead log only when it copies it into the
    database file, so a commit returns without waiting for the disk (several times the
    throughput on a single hot SKU). Operations stay atomic and the file stays
    consistent, and a crash of the process loses nothing; but a power cut or an
    operating-system crash may lose the operations committed since the last sync:
    their reservations, journal entries and idempotency records vanish together, as if
    they had never run.

    >>> from datetime import datetime, UTC
    >>> from orderkit.inventory import Line
    >>> now = datetime(2026, 11, 11, tzinfo=UTC)
    >>> with SQLiteStore(":memory:") as store:
    ...     _ = store.set_on_hand("TEA-01", 32, at=now)
    ...     _ = store.reserve("SO-1", [Line("TEA-01", 30)], at=now)
    ...     store.stock("TEA-01").available
    2
    """

    def __init__(
        self,
        path: str | Path,
        *,
        timeout: float = 30.0,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ConfigError(f"synchronous must be 'FULL' or 'NORMAL', got {synchronous!r}")
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._cursor = self._db.cursor()
        self._state = SqlState(self._cursor)
        self._ledger = SqlLedger(self._state)
        try:
            _use_wal(self._db, timeout)
            self._db.execute(f"PRAGMA synchronous = {synchronous}")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._write(_create_tables)
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        """Close the connection; the store cannot be used afterwards."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _write(self, operation: Callable[[SqlLedger], T]) -> T:
        with self._lock:
            self._cursor.execute("BEGIN IMMEDIATE")
            try:
                done = operation(self._ledger)
                self._cursor.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._cursor.execute("ROLLBACK")
                raise
            return done

    def _read(self, query: Callable[[SqlState], T]) -> T:
        with self._lock:
            return query(self._state)

    def _stock(self, key: StockKey) -> Stock:
        found = self._read(lambda state: state.get_stock(key))
        return found or Stock(key.sku, key.location, 0, 0)

    def stocks(self) -> list[Stock]:
        """Every stock record, sorted by key."""
        return self._read(SqlState.stocks)

    def reservation(self, reservation_id: str) -> Reservation:
        """A reservation by id."""
        held = self._read(lambda state: state.get_reservation(reservation_id))
        if held is None:
            raise UnknownReservation(reservation_id)
        return held

    def journal(self, after: int = 0) -> list[JournalEntry]:
        """Journal entries with ``seq > after``."""
        return self._read(lambda state: state.entries(after))
