"""The PostgreSQL backend: one database shared by processes on many machines (MISSION I3).

Needs the ``postgres`` extra (``pip install orderkit[postgres]``); ``psycopg`` is
imported only when a :class:`PostgresStore` is made.

The store's tables live in its own schema (:mod:`orderkit.inventory._pg_schema`):
``stock`` (``CHECK (0 <= reserved AND reserved <= on_hand)``), ``reservations`` (JSON,
status and expiry), ``reservation_lines`` (the keys of the active reservations that
expire, indexed by key for the lazy expiry of a reserve), ``operations`` (fingerprint
and result per operation key), ``journal`` and ``journal_head`` (the single row journal
numbers come from), plus ``schema_version``.

A reserve is one autocommit statement calling ``apply_operation``, and a release,
commit or extend reads the reservation first and then makes the same call
(:mod:`orderkit.inventory._pg_apply`); counts, freezes, sweeps and whatever
``apply_operation`` leaves to the general path run as one READ COMMITTED transaction
over the same rows (:mod:`orderkit.inventory._pg_state`). Locks are taken in one order
by every operation: the operation key (and the id of a reservation being made, which no
one else can see yet), then existing reservations by id, then stock rows by key, then
``journal_head`` just before the commit. Operations queue behind each other on shared
rows but never deadlock, and journal numbers are handed out in commit order with no
gap, even when an operation rolls back (a ``SEQUENCE`` would leave one).
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, LiteralString, TypeVar

from orderkit.errors import ConfigError, UnknownReservation
from orderkit.inventory import _pg_schema
from orderkit.inventory._ledger import Ledger
from orderkit.inventory._ledger_store import LedgerStore
from orderkit.inventory._pg_apply import Operation, Recorded, Snapshot, apply, read_snapshot
from orderkit.inventory._pg_pool import open_pool
from orderkit.inventory._pg_schema import compose
from orderkit.inventory._pg_state import STOCK, PostgresLedger, Transaction, decode_reservation
from orderkit.inventory._types import (
    JournalEntry,
    Line,
    Reservation,
    Stock,
    StockKey,
)

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg.abc import Params

__all__ = ["PostgresStore"]

T = TypeVar("T")


class PostgresStore(LedgerStore[Ledger]):
    """A reservation store in PostgreSQL, shared by every process that opens the schema.

    Safe to share between threads (it keeps a pool of up to ``pool_size`` connections),
    and between processes and machines that each open their own store on the same
    ``schema``. A reserve takes each line with ``UPDATE ... WHERE NOT frozen AND on_hand -
    reserved >= n`` in key order, in one statement with its reservation, operation
    record and journal entry, so the database decides what is available; a refusal
    leaves nothing behind, lazy expiries included, and names every frozen or short line. A
    concurrent retry of an operation key waits for the first attempt, then returns its
    outcome. See the module docstring for the tables and the lock order.

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

    SCHEMA_VERSION: ClassVar[int] = _pg_schema.SCHEMA_VERSION
    """The schema version this release creates and understands."""

    def __init__(
        self, dsn: str, *, schema: str = "orderkit", pool_size: int = 4, migrate: bool = True
    ) -> None:
        if not schema:
            raise ConfigError("PostgresStore needs a schema name")
        if pool_size < 1:
            raise ConfigError(f"pool_size must be at least 1, got {pool_size}")
        self.schema = schema
        """The PostgreSQL schema holding this store's tables."""
        self._pool = open_pool(dsn, schema, pool_size)
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
        with self._pool.connection() as conn:
            return _pg_schema.migrate(conn, self.schema)

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

    def _general(self, conn: Connection[Any], operation: Callable[[Ledger], T]) -> T:
        with conn.transaction(), conn.cursor() as cursor:
            state = Transaction(cursor, self.schema)
            result = operation(PostgresLedger(state))
            state.finish()
            return result

    def _write(self, operation: Callable[[Ledger], T]) -> T:
        """Run ``operation`` in one READ COMMITTED transaction (the general path)."""
        with self._pool.connection() as conn:
            return self._general(conn, operation)

    def _applied(self, conn: Connection[Any], recorded: Recorded) -> Reservation:
        """Apply a recorded reservation operation in one statement, or take the general path."""
        done = apply(conn, self.schema, recorded)
        return self._general(conn, recorded.operation) if done is None else done

    def _change(self, operation: Operation, op_key: str, reservation_id: str) -> Reservation:
        """Release, commit or extend: read the reservation, then apply in one statement."""
        with self._pool.connection() as conn:
            snapshot = read_snapshot(conn, self.schema, op_key, reservation_id)
            return self._applied(conn, Recorded.run(operation, snapshot))

    def _read(self, text: LiteralString, params: Params = ()) -> list[tuple[Any, ...]]:
        with self._pool.connection() as conn:
            return conn.execute(compose(text, self.schema), params).fetchall()

    def _reserve(
        self,
        reservation_id: str,
        lines: tuple[Line, ...],
        at_ms: int,
        ttl_ms: int | None,
        op_key: str,
    ) -> Reservation:
        recorded = Recorded.run(
            lambda ledger: ledger.reserve(reservation_id, lines, at_ms, ttl_ms, op_key), Snapshot()
        )
        with self._pool.connection() as conn:
            return self._applied(conn, recorded)

    def _release(self, reservation_id: str, at_ms: int, op_key: str) -> Reservation:
        return self._change(
            lambda ledger: ledger.release(reservation_id, at_ms, op_key), op_key, reservation_id
        )

    def _commit(
        self, reservation_id: str, lines: tuple[Line, ...] | None, at_ms: int, op_key: str
    ) -> Reservation:
        return self._change(
            lambda ledger: ledger.commit(reservation_id, lines, at_ms, op_key),
            op_key,
            reservation_id,
        )

    def _extend(self, reservation_id: str, until_ms: int, at_ms: int, op_key: str) -> Reservation:
        return self._change(
            lambda ledger: ledger.extend(reservation_id, until_ms, at_ms, op_key),
            op_key,
            reservation_id,
        )

    def _stock(self, key: StockKey) -> Stock:
        rows = self._read(STOCK + " WHERE sku = %s AND location = %s", key)
        return Stock(*rows[0]) if rows else Stock(key.sku, key.location, 0, 0)

    def stocks(self) -> list[Stock]:
        """Every stock record, sorted by key."""
        return [Stock(*row) for row in self._read(STOCK + " ORDER BY sku, location")]

    def reservation(self, reservation_id: str) -> Reservation:
        """A reservation by id."""
        rows = self._read(
            "SELECT reservation::text FROM {s}.reservations WHERE reservation_id = %s",
            (reservation_id,),
        )
        if not rows:
            raise UnknownReservation(reservation_id)
        return decode_reservation(rows[0])

    def journal(self, after: int = 0) -> list[JournalEntry]:
        """Journal entries with ``seq > after``, in order."""
        rows = self._read(
            "SELECT entry::text FROM {s}.journal WHERE seq > %s ORDER BY seq", (after,)
        )
        return [JournalEntry.from_json(row[0]) for row in rows]
