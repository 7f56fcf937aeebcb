"""The ledger state in SQL tables, and a reserve that takes stock with conditional updates.

:class:`SqlState` keeps the :class:`~orderkit.inventory._ledger.LedgerState` in five
tables (``stock``, ``reservations``, ``reservation_lines``, ``operations``,
``journal``) through any DB-API connection with ``qmark`` placeholders and a
``Connection.execute`` shortcut. The statements are portable SQL (``ON CONFLICT``
upserts, savepoints, ``NOT frozen``), so a backend supplies the DDL and one
transaction per operation that serialises writers from its first read (SQLite's
``BEGIN IMMEDIATE``): release, commit, counts and expiry read a row and write it back.
:class:`SqlLedger` is the :class:`~orderkit.inventory._ledger.Ledger` whose reserve
takes every line with one ``UPDATE ... WHERE on_hand - reserved >= n``: the database,
not Python, decides whether stock is available.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from pydantic import TypeAdapter

from orderkit.inventory._ledger import Ledger, refusal
from orderkit.inventory._types import (
    Change,
    JournalEntry,
    Line,
    Reservation,
    ReservationStatus,
    Stock,
    StockChange,
    StockKey,
)

__all__ = [
    "Database",
    "Rows",
    "SqlLedger",
    "SqlState",
    "decode_outcome",
    "encode_outcome",
    "refusal",
]

_STOCK = "SELECT sku, location, on_hand, reserved, frozen, updated_at_ms FROM stock"
_PUT_STOCK = (
    "INSERT INTO stock (sku, location, on_hand, reserved, frozen, updated_at_ms)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sku, location) DO UPDATE SET"
    " on_hand = excluded.on_hand, reserved = excluded.reserved,"
    " frozen = excluded.frozen, updated_at_ms = excluded.updated_at_ms"
)
_TAKE = (
    "UPDATE stock SET reserved = reserved + ?, updated_at_ms = ?"
    " WHERE sku = ? AND location = ? AND NOT frozen AND on_hand - reserved >= ?"
)
_PUT_RESERVATION = (
    "INSERT INTO reservations (reservation_id, status, reservation) VALUES (?, ?, ?)"
    " ON CONFLICT (reservation_id) DO UPDATE SET"
    " status = excluded.status, reservation = excluded.reservation"
)
_DUE = (
    "SELECT r.reservation_id, r.reservation FROM reservation_lines l"
    " JOIN reservations r ON r.reservation_id = l.reservation_id WHERE l.expires_at_ms <= ?"
)

_OUTCOME: TypeAdapter[Reservation | StockChange] = TypeAdapter(Reservation | StockChange)


def encode_outcome(result: object) -> str:
    """An operation's result as JSON, for the ``operations`` table."""
    if not isinstance(result, Reservation | StockChange):
        raise TypeError(f"cannot record an outcome of type {type(result).__name__}")
    return _OUTCOME.dump_json(result).decode()


def decode_outcome(text: str | bytes) -> Reservation | StockChange:
    """Parse a result written by :func:`encode_outcome`."""
    return _OUTCOME.validate_json(text)


class Rows(Protocol):
    """What a DB-API cursor returns after ``execute``."""

    @property
    def rowcount(self) -> int:
        """Rows changed by the last statement."""
        ...

    def fetchone(self) -> Any:
        """The next row, or ``None``."""
        ...

    def fetchall(self) -> list[Any]:
        """The remaining rows."""
        ...


class Database(Protocol):
    """A DB-API connection with the ``execute`` shortcut (``sqlite3``, ``psycopg``)."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Rows:
        """Run one statement."""
        ...


def _stock(row: Sequence[Any]) -> Stock:
    sku, location, on_hand, reserved, frozen, updated_at_ms = row
    return Stock(sku, location, on_hand, reserved, bool(frozen), updated_at_ms)


class SqlState:
    """The ledger state in SQL tables; every call runs inside the caller's transaction.

    ``reservation_lines`` holds the keys of the active reservations that expire, with
    their expiry, so the lazy expiry of a reserve reads only what is due on its keys.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def get_stock(self, key: StockKey) -> Stock | None:
        """The stock record of ``key``, or ``None``."""
        row = self.db.execute(f"{_STOCK} WHERE sku = ? AND location = ?", key).fetchone()
        return None if row is None else _stock(row)

    def put_stock(self, stock: Stock) -> None:
        """Write a stock record."""
        self.db.execute(
            _PUT_STOCK,
            (
                stock.sku,
                stock.location,
                stock.on_hand,
                stock.reserved,
                stock.frozen,
                stock.updated_at_ms,
            ),
        )

    def take(self, lines: Iterable[Line], at_ms: int) -> bool:
        """Reserve every line with a conditional update, or none (``False``)."""
        self.db.execute("SAVEPOINT take")
        for line in lines:
            params = (line.quantity, at_ms, line.sku, line.location, line.quantity)
            if self.db.execute(_TAKE, params).rowcount != 1:
                self.db.execute("ROLLBACK TO SAVEPOINT take")
                return False
        self.db.execute("RELEASE SAVEPOINT take")
        return True

    def get_reservation(self, reservation_id: str) -> Reservation | None:
        """A reservation by id, or ``None``."""
        row = self.db.execute(
            "SELECT reservation FROM reservations WHERE reservation_id = ?", (reservation_id,)
        ).fetchone()
        return None if row is None else Reservation.from_json(row[0])

    def put_reservation(self, reservation: Reservation) -> None:
        """Write a reservation, and its keys while it is active and expires."""
        rid = reservation.reservation_id
        self.db.execute(_PUT_RESERVATION, (rid, reservation.status.value, reservation.to_json()))
        self.db.execute("DELETE FROM reservation_lines WHERE reservation_id = ?", (rid,))
        expires = reservation.expires_at_ms
        if reservation.status is not ReservationStatus.ACTIVE or expires is None:
            return
        for line in reservation.lines:
            self.db.execute(
                "INSERT INTO reservation_lines (reservation_id, sku, location, expires_at_ms)"
                " VALUES (?, ?, ?, ?)",
                (rid, line.sku, line.location, expires),
            )

    def due(self, at_ms: int, keys: Iterable[StockKey] | None) -> list[Reservation]:
        """Active reservations expiring at or before ``at_ms`` (holding ``keys``, if given)."""
        if keys is None:
            rows = self.db.execute(_DUE, (at_ms,)).fetchall()
        else:
            by_key = f"{_DUE} AND l.sku = ? AND l.location = ?"
            rows = [row for k in keys for row in self.db.execute(by_key, (at_ms, *k)).fetchall()]
        return [Reservation.from_json(body) for body in dict(rows).values()]

    def get_outcome(self, op_key: str) -> tuple[str, object] | None:
        """The fingerprint and result recorded for ``op_key``."""
        row = self.db.execute(
            "SELECT fingerprint, result FROM operations WHERE op_key = ?", (op_key,)
        ).fetchone()
        return None if row is None else (row[0], decode_outcome(row[1]))

    def put_outcome(self, op_key: str, fingerprint: str, result: object) -> None:
        """Record an operation's fingerprint and result."""
        self.db.execute(
            "INSERT INTO operations (op_key, fingerprint, result) VALUES (?, ?, ?)",
            (op_key, fingerprint, encode_outcome(result)),
        )

    def append(self, entry: JournalEntry) -> None:
        """Add a journal entry."""
        self.db.execute(
            "INSERT INTO journal (seq, entry) VALUES (?, ?)", (entry.seq, entry.to_json())
        )

    def last_seq(self) -> int:
        """The last journal sequence number (0 when empty)."""
        seq: int = self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM journal").fetchone()[0]
        return seq

    def stocks(self) -> list[Stock]:
        """Every stock record, sorted by key."""
        rows = self.db.execute(f"{_STOCK} ORDER BY sku, location").fetchall()
        return [_stock(row) for row in rows]

    def entries(self, after: int) -> list[JournalEntry]:
        """Journal entries with ``seq > after``, in order."""
        rows = self.db.execute(
            "SELECT entry FROM journal WHERE seq > ? ORDER BY seq", (after,)
        ).fetchall()
        return [JournalEntry.from_json(row[0]) for row in rows]


class SqlLedger(Ledger):
    """The ledger over :class:`SqlState`, whose reserve lets the database take the stock.

    Each line is one conditional ``UPDATE``, in key order. If one finds its key frozen or
    short, the lines taken so far are rolled back to a savepoint and the stock is read
    again (after the lazy expiry, as the reference does) to name every offending line.
    """

    def __init__(self, state: SqlState) -> None:
        super().__init__(state)
        self.sql = state

    def _take(
        self, reservation_id: str, merged: tuple[Line, ...], at_ms: int
    ) -> tuple[Change, ...]:
        if not self.sql.take(merged, at_ms):
            raise refusal(reservation_id, merged, [self._stock(x.key) for x in merged])
        return tuple(Change(x.sku, x.location, 0, x.quantity) for x in merged)
