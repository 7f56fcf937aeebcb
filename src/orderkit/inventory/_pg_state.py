"""The general path of a PostgresStore: the ledger over one locking transaction.

Every operation can run here; counts, freezes and sweeps always do, and a reserve,
release, commit or extend does when ``apply_operation`` leaves it to this path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, LiteralString

from orderkit.errors import ConfigError, DuplicateOperation
from orderkit.inventory._ledger import Ledger, refusal
from orderkit.inventory._pg_schema import compose
from orderkit.inventory._sql import decode_outcome, encode_outcome
from orderkit.inventory._types import (
    Change,
    JournalEntry,
    JournalKind,
    Line,
    Reservation,
    ReservationStatus,
    Stock,
    StockKey,
)

if TYPE_CHECKING:
    from psycopg import Cursor
    from psycopg.abc import Params

__all__ = ["STOCK", "PostgresLedger", "Transaction"]

STOCK: LiteralString = (
    "SELECT sku, location, on_hand, reserved, frozen, updated_at_ms FROM {s}.stock"
)
_LOCK_STOCK: LiteralString = STOCK + " WHERE sku = %s AND location = %s FOR UPDATE"
_LOCK_STOCKS: LiteralString = (
    STOCK + " WHERE (sku, location) IN (SELECT * FROM unnest(%s::text[], %s::text[]))"
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


def _key_columns(keys: Iterable[StockKey]) -> tuple[list[str], list[str]]:
    ordered = sorted(keys)
    return [k.sku for k in ordered], [k.location for k in ordered]


def _reservation_row(reservation: Reservation) -> tuple[Any, ...]:
    return (
        reservation.reservation_id,
        reservation.status.value,
        reservation.expires_at_ms,
        reservation.to_json(),
    )


class Transaction:
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
        return self._cursor.execute(compose(text, self._schema), params)

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
            self._reservations[reservation_id] = None if row is None else decode_reservation(row)
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
            compose(
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
        found = [decode_reservation(row) for row in rows.fetchall()]
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


def decode_reservation(row: Sequence[Any]) -> Reservation:
    """The reservation in a row's first column."""
    return Reservation.from_json(row[0])


class PostgresLedger(Ledger):
    """The ledger over one transaction, whose reserve lets PostgreSQL take the stock."""

    def __init__(self, state: Transaction) -> None:
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
        merged, print_, prior = self._reserve_request(reservation_id, lines, ttl_ms, op_key)
        if prior is not None:
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
