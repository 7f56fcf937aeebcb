"""The ledger state in SQL tables, and a reserve that takes stock with conditional updates.

:class:`SqlState` keeps the :class:`~orderkit.inventory._ledger.LedgerState` in five
tables (``stock``, ``reservations``, ``reservation_lines``, ``operations``,
``journal``) through any DB-API cursor, or connection with an ``execute`` shortcut,
that takes ``qmark`` placeholders. The statements are portable SQL (``ON CONFLICT``
upserts, ``NOT frozen``, ``EXISTS``), so a backend supplies the DDL and one
transaction per operation that serialises writers from its first read (SQLite's
``BEGIN IMMEDIATE``): release, commit, counts and expiry read a row and write it back.
:class:`SqlLedger` is the :class:`~orderkit.inventory._ledger.Ledger` whose reserve
takes every line with one ``UPDATE ... WHERE on_hand - reserved >= n``: the database,
not Python, decides whether stock is available. A reserve is the hot path, so it runs
the fewest statements that keep the reference semantics: one read for its replay,
duplicate, expiry and stock checks (a refusal ends there), one update per line, then
the inserts of the reservation, its journal entry (after reading the last number) and
its outcome.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from operator import attrgetter
from typing import Any, NamedTuple, Protocol

from pydantic import TypeAdapter

from orderkit.errors import DuplicateOperation, ReservationError
from orderkit.inventory._ledger import Ledger, refusal, shortfall
from orderkit.inventory._types import (
    Change,
    JournalEntry,
    JournalKind,
    Line,
    Reservation,
    ReservationStatus,
    Stock,
    StockChange,
    StockKey,
    fingerprint,
    lines_print,
    merge_lines,
)

__all__ = [
    "Database",
    "ReserveChecks",
    "Rows",
    "SqlLedger",
    "SqlState",
    "decode_outcome",
    "encode_outcome",
    "refusal",
]

_STOCK = "SELECT sku, location, on_hand, reserved, frozen, updated_at_ms FROM stock"
_COUNTS_OF = (
    "SELECT on_hand, reserved, frozen, updated_at_ms FROM stock WHERE sku = ? AND location = ?"
)
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
_RESERVE_CHECKS = (
    "SELECT o.fingerprint, o.result,"
    " EXISTS (SELECT 1 FROM reservations WHERE reservation_id = ?),"
    " EXISTS (SELECT 1 FROM reservation_lines WHERE expires_at_ms <= ?){rooms}"
    " FROM (SELECT ? AS op_key) AS q LEFT JOIN operations AS o ON o.op_key = q.op_key"
)
_ROOM = (
    ", COALESCE((SELECT CASE WHEN frozen THEN -1 ELSE on_hand - reserved END"
    " FROM stock WHERE sku = ? AND location = ?), 0)"
)
_ROOMS_READ = 64
"""The most lines whose stock the checks read; the updates alone decide for more."""
_ADD_RESERVATION = "INSERT INTO reservations (reservation_id, status, reservation) VALUES (?, ?, ?)"
_PUT_RESERVATION = (
    "INSERT INTO reservations (reservation_id, status, reservation) VALUES (?, ?, ?)"
    " ON CONFLICT (reservation_id) DO UPDATE SET"
    " status = excluded.status, reservation = excluded.reservation"
)
_DUE = (
    "SELECT r.reservation_id, r.reservation FROM reservation_lines l"
    " JOIN reservations r ON r.reservation_id = l.reservation_id WHERE l.expires_at_ms <= ?"
)

_ACTIVE = ReservationStatus.ACTIVE
_BY_KEY = attrgetter("sku", "location")

_OUTCOME: TypeAdapter[Reservation | StockChange] = TypeAdapter(Reservation | StockChange)
_STOCK_CHANGE: TypeAdapter[StockChange] = TypeAdapter(StockChange)


def encode_outcome(result: object) -> str:
    """An operation's result as JSON, for the ``operations`` table.

    Written by the adapter of the result's own type: the same text as through the union
    :func:`decode_outcome` reads, without matching ``result`` against the union first.
    """
    if isinstance(result, Reservation):
        return result.to_json()
    if isinstance(result, StockChange):
        return _STOCK_CHANGE.dump_json(result).decode()
    raise TypeError(f"cannot record an outcome of type {type(result).__name__}")


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
    """A DB-API cursor, or a connection with the ``execute`` shortcut (``sqlite3``)."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Rows:
        """Run one statement."""
        ...


class ReserveChecks(NamedTuple):
    """What a reserve must know before it takes stock, read in one statement."""

    outcome: tuple[str, object] | None
    """The fingerprint and result recorded for the operation key, if any."""
    exists: bool
    """Whether a reservation with the id already exists."""
    due: bool
    """Whether any active reservation, on any key, is due to expire."""
    rooms: tuple[int, ...]
    """What each line's key can still give (-1 when frozen), if the lines were read."""


def _stock(row: Sequence[Any]) -> Stock:
    sku, location, on_hand, reserved, frozen, updated_at_ms = row
    return Stock(sku, location, on_hand, reserved, bool(frozen), updated_at_ms)


@cache
def _reserve_checks(lines: int) -> str:
    return _RESERVE_CHECKS.format(rooms=_ROOM * lines)


class SqlState:
    """The ledger state in SQL tables; every call runs inside the caller's transaction.

    ``reservation_lines`` holds the keys of the active reservations that expire, with
    their expiry, so the lazy expiry of a reserve reads only what is due on its keys.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def get_stock(self, key: StockKey) -> Stock | None:
        """The stock record of ``key``, or ``None``."""
        row = self.db.execute(_COUNTS_OF, key).fetchone()
        return None if row is None else _stock((*key, *row))

    def get_stocks(self, keys: Sequence[StockKey]) -> list[Stock]:
        """The stock records of ``keys`` in one statement, in order; an uncounted key is 0."""
        skus = list(dict.fromkeys(key.sku for key in keys))
        locations = list(dict.fromkeys(key.location for key in keys))
        # Both lists, not row values: SQLite searches the primary key for IN lists but
        # scans the table for (sku, location) IN (VALUES ...).
        rows = self.db.execute(
            f"{_STOCK} WHERE sku IN ({', '.join('?' * len(skus))})"
            f" AND location IN ({', '.join('?' * len(locations))})",
            [*skus, *locations],
        ).fetchall()
        found = {(row[0], row[1]): _stock(row) for row in rows}
        return [found.get(key) or Stock(key.sku, key.location, 0, 0) for key in keys]

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

    def reserve_checks(
        self, op_key: str, reservation_id: str, at_ms: int, lines: Sequence[Line]
    ) -> ReserveChecks:
        """The outcome of ``op_key``, whether ``reservation_id`` exists, whether any hold
        is due, and what the key of each of ``lines`` can still give (up to 64 lines)."""
        read = lines if len(lines) <= _ROOMS_READ else ()
        keys = [part for x in read for part in (x.sku, x.location)]
        print_, result, exists, due, *rooms = self.db.execute(
            _reserve_checks(len(read)), (reservation_id, at_ms, *keys, op_key)
        ).fetchone()
        outcome = None if print_ is None else (print_, decode_outcome(result))
        return ReserveChecks(outcome, bool(exists), bool(due), tuple(rooms))

    def take(self, lines: Sequence[Line], at_ms: int) -> int:
        """Add each line to its key's reserved count, stopping at the first that is refused.

        Returns how many lines were taken, all of them on success. Lines taken before a
        refused one stay taken: the caller rolls its transaction back.
        """
        for taken, line in enumerate(lines):
            params = (line.quantity, at_ms, line.sku, line.location, line.quantity)
            if self.db.execute(_TAKE, params).rowcount != 1:
                return taken
        return len(lines)

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
        self._hold_keys(reservation)

    def add_reservation(self, reservation: Reservation) -> str:
        """Insert a reservation whose id is new, and its keys while it is active and expires.

        Returns the reservation's JSON, which is also its outcome as a result.
        """
        text = reservation.to_json()
        rid = reservation.reservation_id
        self.db.execute(_ADD_RESERVATION, (rid, reservation.status.value, text))
        self._hold_keys(reservation)
        return text

    def _hold_keys(self, reservation: Reservation) -> None:
        expires = reservation.expires_at_ms
        if reservation.status is not _ACTIVE or expires is None:
            return
        for line in reservation.lines:
            self.db.execute(
                "INSERT INTO reservation_lines (reservation_id, sku, location, expires_at_ms)"
                " VALUES (?, ?, ?, ?)",
                (reservation.reservation_id, line.sku, line.location, expires),
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
        self.put_encoded_outcome(op_key, fingerprint, encode_outcome(result))

    def put_encoded_outcome(self, op_key: str, fingerprint: str, text: str) -> None:
        """Record an operation's fingerprint and result, already encoded."""
        self.db.execute(
            "INSERT INTO operations (op_key, fingerprint, result) VALUES (?, ?, ?)",
            (op_key, fingerprint, text),
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


def _merged(lines: Iterable[Line]) -> tuple[Line, ...]:
    """``merge_lines(lines)``, keeping the given lines if no two share a key.

    The common order names each key once, and sorting its lines is then all the merge
    does: this skips rebuilding (and validating again) lines equal to the given ones,
    when they are :class:`Line` itself and not a subclass, which would compare unequal.
    """
    ordered = sorted(lines, key=_BY_KEY)
    keys = set(map(_BY_KEY, ordered))
    if len(keys) == len(ordered) and all(type(x) is Line for x in ordered):
        return tuple(ordered)
    return merge_lines(ordered)


def _print(reservation_id: str, merged: tuple[Line, ...], ttl_ms: int | None) -> str:
    return fingerprint("reserve", reservation_id, lines_print(merged), ttl_ms)


class SqlLedger(Ledger):
    """The ledger over :class:`SqlState`, whose reserve lets the database take the stock.

    A reserve reads, in one statement, its recorded outcome, whether its id is taken,
    whether anything is due and what the key of each line can still give (for orders of
    up to 64 lines). The caller's transaction holds the write lock from its first read,
    so that read is what the updates would see: a frozen or short line is refused
    there, naming every offending line, without writing anything. Otherwise each line
    is one conditional ``UPDATE``, in key order, and the database decides. When
    something is due, the lazy expiry of its keys runs first and the updates decide
    alone: if one finds its key frozen or short, the stock of that line and the lines
    after it is read in one statement to name every offending line (the lines taken
    before it were neither). The caller rolls the transaction back.
    """

    def __init__(self, state: SqlState) -> None:
        super().__init__(state)
        self.sql = state

    def reserve(
        self,
        reservation_id: str,
        lines: Iterable[Line],
        at_ms: int,
        ttl_ms: int | None,
        op_key: str,
    ) -> Reservation:
        """Hold every line or none, as :meth:`Ledger.reserve` does."""
        merged = _merged(lines)
        checks = self.sql.reserve_checks(op_key, reservation_id, at_ms, merged)
        if checks.outcome is not None:
            if checks.outcome[0] != _print(reservation_id, merged, ttl_ms):
                raise DuplicateOperation(op_key)
            if isinstance(checks.outcome[1], Reservation):
                return checks.outcome[1]
        if checks.exists:
            raise DuplicateOperation(op_key)
        if checks.due:
            self.expire(at_ms, [x.key for x in merged])
        elif any(room < x.quantity for room, x in zip(checks.rooms, merged, strict=False)):
            raise shortfall(reservation_id, merged, checks.rooms)
        taken = self.sql.take(merged, at_ms)
        if taken < len(merged):
            raise self._refusal(reservation_id, merged, taken)
        expires = at_ms + ttl_ms if ttl_ms is not None else None
        held = Reservation(reservation_id, _ACTIVE, merged, (), at_ms, at_ms, expires)
        text = self.sql.add_reservation(held)
        changes = tuple(Change(x.sku, x.location, 0, x.quantity) for x in merged)
        self._journal(JournalKind.RESERVE, at_ms, op_key, reservation_id, changes)
        self.sql.put_encoded_outcome(op_key, _print(reservation_id, merged, ttl_ms), text)
        return held

    def _refusal(
        self, reservation_id: str, merged: tuple[Line, ...], taken: int
    ) -> ReservationError:
        rest = merged[taken:]
        return refusal(reservation_id, rest, self.sql.get_stocks([x.key for x in rest]))
