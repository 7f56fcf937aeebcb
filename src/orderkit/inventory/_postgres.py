"""The PostgreSQL backend: one database shared by processes on many machines (MISSION I3).

Needs the ``postgres`` extra (``pip install orderkit[postgres]``); ``psycopg`` is
imported only when a :class:`PostgresStore` is made.

Every operation is one READ COMMITTED transaction on a pooled connection, over tables
in the store's own schema: ``stock`` (``CHECK (0 <= reserved AND reserved <=
on_hand)``), ``reservations`` (JSON, status and expiry), ``reservation_lines`` (the keys
of the active reservations that expire, indexed by key for the lazy expiry of a
reserve), ``operations`` (fingerprint and result per operation key), ``journal`` and
``journal_head`` (the single row journal numbers come from), plus ``schema_version``.

Locks are taken in one order by every operation: the operation key (and the id of a
reservation being made, which no one else can see yet), then existing reservations by
id, then stock rows by key, then ``journal_head`` just before the commit. Operations
queue behind each other on shared rows but never deadlock, and journal numbers are
handed out in commit order with no gap, even when an operation rolls back (a
``SEQUENCE`` would leave one).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, LiteralString, TypeVar

from orderkit.errors import ConfigError, DuplicateOperation, UnknownReservation
from orderkit.inventory._ledger import Ledger
from orderkit.inventory._sql import decode_outcome, encode_outcome, refusal
from orderkit.inventory._store import BaseStore
from orderkit.inventory._types import (
    Change,
    JournalEntry,
    JournalKind,
    Line,
    OversoldPolicy,
    Reservation,
    ReservationStatus,
    Stock,
    StockChange,
    StockKey,
    fingerprint,
    lines_print,
    merge_lines,
)

if TYPE_CHECKING:
    from psycopg import Connection, Cursor, sql
    from psycopg.abc import Params

__all__ = ["PostgresStore"]

T = TypeVar("T")

_MIGRATIONS: tuple[tuple[LiteralString, ...], ...] = (
    (
        """CREATE TABLE {s}.stock (
            sku text COLLATE "C" NOT NULL,
            location text COLLATE "C" NOT NULL,
            on_hand bigint NOT NULL,
            reserved bigint NOT NULL,
            frozen boolean NOT NULL,
            updated_at_ms bigint NOT NULL,
            PRIMARY KEY (sku, location),
            CHECK (0 <= reserved AND reserved <= on_hand)
        )""",
        """CREATE TABLE {s}.reservations (
            reservation_id text COLLATE "C" PRIMARY KEY,
            status text NOT NULL
                CHECK (status IN ('active', 'released', 'committed', 'expired')),
            expires_at_ms bigint,
            reservation jsonb NOT NULL
        )""",
        """CREATE INDEX reservations_due ON {s}.reservations (expires_at_ms)
            WHERE status = 'active'""",
        """CREATE TABLE {s}.reservation_lines (
            reservation_id text COLLATE "C" NOT NULL
                REFERENCES {s}.reservations (reservation_id),
            sku text COLLATE "C" NOT NULL,
            location text COLLATE "C" NOT NULL,
            expires_at_ms bigint NOT NULL,
            PRIMARY KEY (reservation_id, sku, location)
        )""",
        """CREATE INDEX reservation_lines_by_key
            ON {s}.reservation_lines (sku, location, expires_at_ms)""",
        """CREATE TABLE {s}.operations (
            op_key text PRIMARY KEY,
            fingerprint text,
            result jsonb
        )""",
        """CREATE TABLE {s}.journal (
            seq bigint PRIMARY KEY CHECK (seq > 0),
            entry jsonb NOT NULL
        )""",
        """CREATE TABLE {s}.journal_head (
            single boolean PRIMARY KEY DEFAULT true CHECK (single),
            last_seq bigint NOT NULL
        )""",
        "INSERT INTO {s}.journal_head (last_seq) VALUES (0)",
    ),
)

_STOCK: LiteralString = (
    "SELECT sku, location, on_hand, reserved, frozen, updated_at_ms FROM {s}.stock"
)
_LOCK_STOCK: LiteralString = _STOCK + " WHERE sku = %s AND location = %s FOR UPDATE"
_LOCK_STOCKS: LiteralString = (
    _STOCK + " WHERE (sku, location) IN (SELECT * FROM unnest(%s::text[], %s::text[]))"
    " ORDER BY sku, location FOR UPDATE"
)
_HOLD: LiteralString = """
    UPDATE {s}.stock SET reserved = reserved + %(quantity)s, updated_at_ms = %(at)s
     WHERE sku = %(sku)s AND location = %(location)s
       AND NOT frozen AND on_hand - reserved >= %(quantity)s
    RETURNING sku, location, on_hand, reserved, frozen, updated_at_ms"""
_DUE: LiteralString = """
    SELECT reservation::text FROM {s}.reservations
     WHERE status = 'active' AND expires_at_ms <= %(at)s"""
_DUE_HOLDING: LiteralString = (
    _DUE
    + """ AND reservation_id IN (
        SELECT reservation_id FROM {s}.reservation_lines
         WHERE expires_at_ms <= %(at)s AND (sku, location) IN (
            SELECT * FROM unnest(%(skus)s::text[], %(locations)s::text[])))"""
)
_APPEND: LiteralString = """
    WITH head AS (
        UPDATE {s}.journal_head SET last_seq = last_seq + cardinality(%(e)s::jsonb[])
        RETURNING last_seq - cardinality(%(e)s::jsonb[]) AS base)
    INSERT INTO {s}.journal (seq, entry)
    SELECT base + n, entry || jsonb_build_object('seq', base + n)
      FROM head, unnest(%(e)s::jsonb[]) WITH ORDINALITY AS e(entry, n)"""
_PUT_RESERVATION: LiteralString = """
    INSERT INTO {s}.reservations (reservation_id, status, expires_at_ms, reservation)
    VALUES (%s, %s, %s, %s::jsonb)"""


@functools.cache
def _compose(text: LiteralString, schema: str) -> sql.Composed:
    """A statement with ``{s}`` naming the store's schema."""
    from psycopg import sql

    return sql.SQL(text).format(s=sql.Identifier(schema))


def _key_columns(keys: Iterable[StockKey]) -> tuple[list[str], list[str]]:
    ordered = sorted(keys)
    return [k.sku for k in ordered], [k.location for k in ordered]


class _Transaction:
    """The :class:`~orderkit.inventory._ledger.LedgerState` inside one transaction.

    Every row it reads is locked (``FOR UPDATE``) and cached, so the ledger works on
    rows no one else can change until the commit. A missing stock row is inserted empty
    to be locked too, and reported missing; the ledger always writes it afterwards or
    fails. An operation key is claimed by inserting its row first, so a concurrent
    retry waits for this transaction and then finds the outcome. Journal entries are
    numbered from 1 here and moved behind the journal head by :meth:`finish`, so the
    head's lock is held only while committing.
    """

    def __init__(self, cursor: Cursor[Any], schema: str) -> None:
        self._cursor = cursor
        self._schema = schema
        self._stocks: dict[StockKey, Stock | None] = {}
        self._reservations: dict[str, Reservation | None] = {}
        self._claimed: set[str] = set()
        self._entries: list[JournalEntry] = []

    def _run(self, text: LiteralString, params: Params = ()) -> Cursor[Any]:
        return self._cursor.execute(_compose(text, self._schema), params)

    def _cache(self, row: Sequence[Any]) -> Stock:
        stock = Stock(*row)
        self._stocks[stock.key] = stock
        return stock

    def get_stock(self, key: StockKey) -> Stock | None:
        """The locked stock row of ``key``, or ``None`` if it did not exist."""
        if key in self._stocks:
            return self._stocks[key]
        while True:
            row = self._run(_LOCK_STOCK, key).fetchone()
            if row is not None:
                return self._cache(row)
            created = self._run(
                "INSERT INTO {s}.stock (sku, location, on_hand, reserved, frozen, updated_at_ms)"
                " VALUES (%s, %s, 0, 0, false, 0) ON CONFLICT DO NOTHING RETURNING true",
                key,
            ).fetchone()
            if created:
                self._stocks[key] = None
                return None

    def put_stock(self, stock: Stock) -> None:
        """Write a stock row read by :meth:`get_stock`."""
        self._run(
            "UPDATE {s}.stock SET on_hand = %s, reserved = %s, frozen = %s, updated_at_ms = %s"
            " WHERE sku = %s AND location = %s",
            (stock.on_hand, stock.reserved, stock.frozen, stock.updated_at_ms, *stock.key),
        )
        self._stocks[stock.key] = stock

    def hold(self, reservation_id: str, lines: Sequence[Line], at_ms: int) -> None:
        """Add each line to ``reserved`` with one conditional ``UPDATE``, in key order.

        When the database refuses a line (frozen or short), the lines not yet held are
        locked and read, and the refusal names every blocked one. If none is blocked any
        more (stock was freed in between), the locked rows hold enough and it goes on.
        """
        pending = list(lines)
        while pending:
            line = pending[0]
            row = self._run(
                _HOLD,
                {
                    "quantity": line.quantity,
                    "at": at_ms,
                    "sku": line.sku,
                    "location": line.location,
                },
            ).fetchone()
            if row is None:
                stocks = [self.get_stock(x.key) or Stock(x.sku, x.location, 0, 0) for x in pending]
                if any(s.available < x.quantity for s, x in zip(stocks, pending, strict=True)):
                    raise refusal(reservation_id, pending, stocks)
                continue
            self._cache(row)
            pending.pop(0)

    def get_reservation(self, reservation_id: str) -> Reservation | None:
        """The locked reservation, or ``None``."""
        if reservation_id not in self._reservations:
            row = self._run(
                "SELECT reservation::text FROM {s}.reservations"
                " WHERE reservation_id = %s FOR UPDATE",
                (reservation_id,),
            ).fetchone()
            self._reservations[reservation_id] = None if row is None else _decode_reservation(row)
        return self._reservations[reservation_id]

    def add_reservation(self, reservation: Reservation) -> bool:
        """Insert a new reservation; ``False`` if its id is taken (after its writer commits)."""
        inserted = self._run(
            _PUT_RESERVATION + " ON CONFLICT DO NOTHING RETURNING true",
            _reservation_row(reservation),
        ).fetchone()
        if inserted:
            self._index(reservation)
            self._reservations[reservation.reservation_id] = reservation
        return bool(inserted)

    def put_reservation(self, reservation: Reservation) -> None:
        """Write a reservation, and its keys while it is active and expires."""
        self._run(
            _PUT_RESERVATION + " ON CONFLICT (reservation_id) DO UPDATE SET"
            " status = excluded.status, expires_at_ms = excluded.expires_at_ms,"
            " reservation = excluded.reservation",
            _reservation_row(reservation),
        )
        self._run(
            "DELETE FROM {s}.reservation_lines WHERE reservation_id = %s",
            (reservation.reservation_id,),
        )
        self._index(reservation)
        self._reservations[reservation.reservation_id] = reservation

    def _index(self, reservation: Reservation) -> None:
        if reservation.status is not ReservationStatus.ACTIVE:
            return
        if reservation.expires_at_ms is None:
            return
        self._cursor.executemany(
            _compose(
                "INSERT INTO {s}.reservation_lines"
                " (reservation_id, sku, location, expires_at_ms) VALUES (%s, %s, %s, %s)",
                self._schema,
            ),
            [
                (reservation.reservation_id, x.sku, x.location, reservation.expires_at_ms)
                for x in reservation.lines
            ],
        )

    def due(self, at_ms: int, keys: Iterable[StockKey] | None) -> list[Reservation]:
        """Lock the active reservations due at ``at_ms`` (holding ``keys``, if given).

        The stock rows they and ``keys`` touch are locked next, in key order, before the
        ledger moves any of them.
        """
        wanted = set(keys or ())
        if keys is None:
            rows = self._run(_DUE + " ORDER BY reservation_id FOR UPDATE", {"at": at_ms})
        else:
            skus, locations = _key_columns(wanted)
            rows = self._run(
                _DUE_HOLDING + " ORDER BY reservation_id FOR UPDATE",
                {"at": at_ms, "skus": skus, "locations": locations},
            )
        found = [_decode_reservation(row) for row in rows.fetchall()]
        if found:
            self._reservations.update((r.reservation_id, r) for r in found)
            wanted.update(x.key for r in found for x in r.lines)
            for row in self._run(_LOCK_STOCKS, _key_columns(wanted)).fetchall():
                self._cache(row)
        return found

    def get_outcome(self, op_key: str) -> tuple[str, object] | None:
        """The recorded outcome of ``op_key``; ``None`` after claiming the key."""
        while True:
            if self._run(
                "INSERT INTO {s}.operations (op_key) VALUES (%s)"
                " ON CONFLICT DO NOTHING RETURNING true",
                (op_key,),
            ).fetchone():
                self._claimed.add(op_key)
                return None
            row = self._run(
                "SELECT fingerprint, result::text FROM {s}.operations WHERE op_key = %s",
                (op_key,),
            ).fetchone()
            if row is not None:
                return row[0], decode_outcome(row[1])

    def put_outcome(self, op_key: str, fingerprint: str, result: object) -> None:
        """Record an operation's fingerprint and result."""
        self._run(
            "INSERT INTO {s}.operations (op_key, fingerprint, result)"
            " VALUES (%s, %s, %s::jsonb) ON CONFLICT (op_key) DO UPDATE"
            " SET fingerprint = excluded.fingerprint, result = excluded.result",
            (op_key, fingerprint, encode_outcome(result)),
        )
        self._claimed.discard(op_key)

    def append(self, entry: JournalEntry) -> None:
        """Buffer a journal entry (numbered by :meth:`last_seq`) until :meth:`finish`."""
        self._entries.append(entry)

    def last_seq(self) -> int:
        """How many entries this transaction has buffered: the ledger numbers from here."""
        return len(self._entries)

    def finish(self) -> None:
        """Drop keys claimed without an outcome, then number and write the journal."""
        if self._claimed:
            self._run("DELETE FROM {s}.operations WHERE op_key = ANY(%s)", (sorted(self._claimed),))
        if not self._entries:
            return
        appended = self._run(_APPEND, {"e": [e.to_json() for e in self._entries]}).rowcount
        if appended != len(self._entries):
            raise ConfigError(f"{self._schema}.journal_head has no row: the schema was altered")


def _decode_reservation(row: Sequence[Any]) -> Reservation:
    """The reservation in a row's first column."""
    return Reservation.from_json(row[0])


def _reservation_row(reservation: Reservation) -> tuple[Any, ...]:
    return (
        reservation.reservation_id,
        reservation.status.value,
        reservation.expires_at_ms,
        reservation.to_json(),
    )


class _PostgresLedger(Ledger):
    """The ledger over one transaction, whose reserve lets PostgreSQL take the stock."""

    def __init__(self, state: _Transaction) -> None:
        super().__init__(state)
        self.transaction = state

    def reserve(
        self,
        reservation_id: str,
        lines: Iterable[Line],
        at_ms: int,
        ttl_ms: int | None,
        op_key: str,
    ) -> Reservation:
        """Hold every line or none (see :meth:`ReservationStore.reserve`)."""
        merged = merge_lines(lines)
        print_ = fingerprint("reserve", reservation_id, lines_print(merged), ttl_ms)
        prior = self._replayed(op_key, print_)
        if isinstance(prior, Reservation):
            return prior
        expires = None if ttl_ms is None else at_ms + ttl_ms
        held = Reservation(
            reservation_id, ReservationStatus.ACTIVE, merged, (), at_ms, at_ms, expires
        )
        if not self.transaction.add_reservation(held):
            raise DuplicateOperation(op_key)
        self.expire(at_ms, [x.key for x in merged])
        self.transaction.hold(reservation_id, merged, at_ms)
        changes = tuple(Change(x.sku, x.location, 0, x.quantity) for x in merged)
        self._journal(JournalKind.RESERVE, at_ms, op_key, reservation_id, changes)
        self.state.put_outcome(op_key, print_, held)
        return held


def _read_committed(conn: Connection[Any]) -> None:
    from psycopg import IsolationLevel

    conn.isolation_level = IsolationLevel.READ_COMMITTED


class PostgresStore(BaseStore):
    """A reservation store in PostgreSQL, shared by every process that opens the schema.

    Safe to share between threads (it keeps a pool of up to ``pool_size`` connections),
    and between processes and machines that each open their own store on the same
    ``schema``. A reserve takes each line with ``UPDATE ... WHERE NOT frozen AND on_hand -
    reserved >= n`` in key order inside one transaction, so the database decides what is
    available; a refusal rolls everything back, lazy expiries included, and names every
    frozen or short line. A concurrent retry of an operation key waits for the first
    attempt, then returns its outcome. See the module docstring for the tables and the
    lock order.

    The schema and its tables are created on construction (``migrate=False`` leaves that
    to an explicit :meth:`migrate`, for hosts that run migrations at deploy time).
    Database failures (a lost connection, a server restart) raise ``psycopg`` errors. A
    transaction the server did not commit leaves nothing behind, and every operation is
    idempotent by its key, so retrying is safe even when the commit's fate is unknown.

    Example (against a running server)::

        from datetime import UTC, datetime
        from orderkit.inventory import Line, PostgresStore

        with PostgresStore("postgresql://shop@db.internal/shop", schema="inventory") as store:
            now = datetime.now(UTC)
            store.set_on_hand("TEA-01", 32, at=now)
            store.reserve("SO-1", [Line("TEA-01", 30)], at=now)
            assert store.stock("TEA-01").available == 2
    """

    SCHEMA_VERSION: ClassVar[int] = len(_MIGRATIONS)
    """The schema version this release creates and understands."""

    def __init__(
        self, dsn: str, *, schema: str = "orderkit", pool_size: int = 4, migrate: bool = True
    ) -> None:
        from psycopg_pool import ConnectionPool

        if not schema:
            raise ConfigError("PostgresStore needs a schema name")
        if pool_size < 1:
            raise ConfigError(f"pool_size must be at least 1, got {pool_size}")
        self.schema = schema
        """The PostgreSQL schema holding this store's tables."""
        self._pool = ConnectionPool(
            dsn,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            configure=_read_committed,
            check=ConnectionPool.check_connection,
            name=f"orderkit:{schema}",
            open=True,
        )
        if migrate:
            try:
                self.migrate()
            except BaseException:
                self._pool.close()
                raise

    def migrate(self) -> int:
        """Create the schema and its tables, or upgrade them; returns the schema version.

        Idempotent, and safe when several processes start at once (they queue on an
        advisory lock). ``schema_version`` records each version applied. A schema made
        by a newer release raises :class:`~orderkit.errors.ConfigError`.
        """
        target = self.SCHEMA_VERSION
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                (f"orderkit.inventory:{self.schema}",),
            )
            conn.execute(_compose("CREATE SCHEMA IF NOT EXISTS {s}", self.schema))
            conn.execute(
                _compose(
                    "CREATE TABLE IF NOT EXISTS {s}.schema_version ("
                    " version integer PRIMARY KEY,"
                    " applied_at timestamptz NOT NULL DEFAULT now())",
                    self.schema,
                )
            )
            row = conn.execute(
                _compose("SELECT coalesce(max(version), 0) FROM {s}.schema_version", self.schema)
            ).fetchone()
            current = 0 if row is None else int(row[0])
            if current > target:
                raise ConfigError(
                    f"schema {self.schema!r} is at version {current}, newer than the "
                    f"{target} this orderkit knows: upgrade orderkit"
                )
            for version in range(current + 1, target + 1):
                for statement in _MIGRATIONS[version - 1]:
                    conn.execute(_compose(statement, self.schema))
                conn.execute(
                    _compose("INSERT INTO {s}.schema_version (version) VALUES (%s)", self.schema),
                    (version,),
                )
        return target

    def close(self) -> None:
        """Close the pool's connections; the store cannot be used afterwards."""
        self._pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[_Transaction]:
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            state = _Transaction(cursor, self.schema)
            yield state
            state.finish()

    def _write(self, operation: Callable[[_PostgresLedger], T]) -> T:
        with self._transaction() as state:
            return operation(_PostgresLedger(state))

    def _read(self, text: LiteralString, params: Params = ()) -> list[tuple[Any, ...]]:
        with self._pool.connection() as conn:
            return conn.execute(_compose(text, self.schema), params).fetchall()

    def _reserve(
        self,
        reservation_id: str,
        lines: tuple[Line, ...],
        at_ms: int,
        ttl_ms: int | None,
        op_key: str,
    ) -> Reservation:
        return self._write(
            lambda ledger: ledger.reserve(reservation_id, lines, at_ms, ttl_ms, op_key)
        )

    def _release(self, reservation_id: str, at_ms: int, op_key: str) -> Reservation:
        return self._write(lambda ledger: ledger.release(reservation_id, at_ms, op_key))

    def _commit(
        self, reservation_id: str, lines: tuple[Line, ...] | None, at_ms: int, op_key: str
    ) -> Reservation:
        return self._write(lambda ledger: ledger.commit(reservation_id, lines, at_ms, op_key))

    def _extend(self, reservation_id: str, until_ms: int, at_ms: int, op_key: str) -> Reservation:
        return self._write(lambda ledger: ledger.extend(reservation_id, until_ms, at_ms, op_key))

    def _expire(self, at_ms: int) -> list[Reservation]:
        return self._write(lambda ledger: ledger.expire(at_ms))

    def _set_on_hand(
        self,
        key: StockKey,
        quantity: int,
        at_ms: int,
        op_key: str | None,
        oversold: OversoldPolicy,
    ) -> StockChange:
        return self._write(
            lambda ledger: ledger.set_on_hand(key, quantity, at_ms, op_key, oversold)
        )

    def _adjust(
        self, key: StockKey, delta: int, at_ms: int, op_key: str, oversold: OversoldPolicy
    ) -> StockChange:
        return self._write(lambda ledger: ledger.adjust(key, delta, at_ms, op_key, oversold))

    def _set_frozen(self, key: StockKey, frozen: bool, at_ms: int) -> Stock:
        return self._write(lambda ledger: ledger.set_frozen(key, frozen, at_ms))

    def _stock(self, key: StockKey) -> Stock:
        rows = self._read(_STOCK + " WHERE sku = %s AND location = %s", key)
        return Stock(*rows[0]) if rows else Stock(key.sku, key.location, 0, 0)

    def stocks(self) -> list[Stock]:
        """Every stock record, sorted by key."""
        return [Stock(*row) for row in self._read(_STOCK + " ORDER BY sku, location")]

    def reservation(self, reservation_id: str) -> Reservation:
        """A reservation by id."""
        rows = self._read(
            "SELECT reservation::text FROM {s}.reservations WHERE reservation_id = %s",
            (reservation_id,),
        )
        if not rows:
            raise UnknownReservation(reservation_id)
        return _decode_reservation(rows[0])

    def journal(self, after: int = 0) -> list[JournalEntry]:
        """Journal entries with ``seq > after``."""
        rows = self._read(
            "SELECT entry::text FROM {s}.journal WHERE seq > %s ORDER BY seq", (after,)
        )
        return [JournalEntry.from_json(row[0]) for row in rows]
