"""Reserve, release, commit and extend of a PostgresStore, in one statement each.

The reference ledger runs in Python over a :class:`Snapshot` (empty for a reserve; for
the others, the operation key's outcome and the reservation, read without locks in one
statement), and :class:`Recorder` keeps what it would write: the reservation, the
operation's outcome and the journal entry, whose changes are the stock moves. One
autocommit call of ``apply_operation`` (see :mod:`orderkit.inventory._pg_schema`) then
makes those writes, or says why not: the operation key has an outcome (the ledger runs
again over it, to replay it or refuse another payload), a reserve lacks stock (refused
from the stock the database read), or something only the locking general path can
settle (due reservations on a reserve's keys, a reservation id taken or changed since
it was read, stock taken in between), and then :func:`apply` returns ``None``. Refusals
and replays decided on a snapshot are what the general path would have said at the
moment of the read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, LiteralString

from orderkit.errors import ReservationError
from orderkit.inventory._ledger import Ledger, refusal
from orderkit.inventory._pg_schema import GENERAL_PATH, compose
from orderkit.inventory._sql import decode_outcome, encode_outcome
from orderkit.inventory._types import (
    Change,
    JournalEntry,
    Line,
    Reservation,
    ReservationStatus,
    Stock,
    StockKey,
)

if TYPE_CHECKING:
    from psycopg import Connection

__all__ = ["Operation", "Recorded", "Snapshot", "apply", "read_snapshot"]

Operation = Callable[[Ledger], Reservation]

_READ: LiteralString = """
    SELECT (SELECT ARRAY[fingerprint, result::text] FROM {s}.operations WHERE op_key = %s),
           (SELECT reservation::text FROM {s}.reservations WHERE reservation_id = %s)"""
_APPLY: LiteralString = (
    "SELECT {s}.apply_operation(%s, %s, %s::jsonb, %s::jsonb, %s::jsonb, %s::jsonb,"
    " %s::text[], %s::text[], %s::bigint[], %s::bigint[], %s::text[], %s::text[])"
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An operation key's recorded outcome and a reservation, as last committed."""

    outcome: tuple[str, object] | None = None
    reservation: Reservation | None = None
    reservation_json: str | None = None


def read_snapshot(conn: Connection[Any], schema: str, op_key: str, reservation_id: str) -> Snapshot:
    """Read ``op_key``'s outcome and the reservation in one statement, without locks."""
    row = conn.execute(compose(_READ, schema), (op_key, reservation_id)).fetchone()
    outcome, text = row if row is not None else (None, None)
    return Snapshot(
        None if outcome is None else (outcome[0], decode_outcome(outcome[1])),
        None if text is None else Reservation.from_json(text),
        text,
    )


class Recorder:
    """The :class:`~orderkit.inventory._ledger.LedgerState` over a snapshot, keeping writes.

    Stock is neither read nor written: every stock move of a reserve, release, commit or
    extend is a change in its journal entry, which ``apply_operation`` adds to the locked
    rows. Nothing is due here; ``apply_operation`` leaves a reserve with due reservations
    on its keys to the general path, which expires them first.
    """

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.reservation: Reservation | None = None
        self.outcome: tuple[str, str, object] | None = None
        self.entry: JournalEntry | None = None

    def get_stock(self, key: StockKey) -> Stock | None:
        """Never read: see the class docstring."""
        return None

    def put_stock(self, stock: Stock) -> None:
        """Never written: the journal entry carries the move."""

    def get_reservation(self, reservation_id: str) -> Reservation | None:
        """The reservation of the snapshot."""
        return self.snapshot.reservation

    def put_reservation(self, reservation: Reservation) -> None:
        """Keep the reservation to write."""
        self.reservation = reservation

    def due(self, at_ms: int, keys: Iterable[StockKey] | None) -> list[Reservation]:
        """None: see the class docstring."""
        return []

    def get_outcome(self, op_key: str) -> tuple[str, object] | None:
        """The outcome of the snapshot."""
        return self.snapshot.outcome

    def put_outcome(self, op_key: str, fingerprint: str, result: object) -> None:
        """Keep the outcome to record."""
        self.outcome = (op_key, fingerprint, result)

    def append(self, entry: JournalEntry) -> None:
        """Keep the journal entry to append (numbered by the database)."""
        self.entry = entry

    def last_seq(self) -> int:
        """Zero: the database numbers the entry."""
        return 0

    def moves(self) -> list[Change]:
        """The stock moves of the journal entry, in key order."""
        changes = () if self.entry is None else self.entry.changes
        return [c for c in changes if c.on_hand or c.reserved]

    def params(self) -> tuple[str | None, ...]:
        """The arguments of ``apply_operation`` for what the ledger wrote.

        The outcome is left out (``NULL``) when it is the reservation written, which
        ``apply_operation`` then records in its place. The moves go as one array per
        column, and the reservation's keys too while it is active and expires, written
        here as array literals, which cost less than lists for the driver to adapt.
        """
        if self.entry is None or self.reservation is None or self.outcome is None:
            raise RuntimeError(
                "the ledger wrote a journal entry without a reservation and an outcome"
            )
        op_key, print_, result = self.outcome
        after = self.reservation.to_json()
        outcome = encode_outcome(result)
        moves = self.moves()
        expiring = (
            self.reservation.lines
            if self.reservation.status is ReservationStatus.ACTIVE
            and self.reservation.expires_at_ms is not None
            else None
        )
        return (
            op_key,
            print_,
            None if outcome == after else outcome,
            self.snapshot.reservation_json,
            after,
            self.entry.to_json(),
            _texts(c.sku for c in moves),
            _texts(c.location for c in moves),
            _ints(c.on_hand for c in moves),
            _ints(c.reserved for c in moves),
            None if expiring is None else _texts(x.sku for x in expiring),
            None if expiring is None else _texts(x.location for x in expiring),
        )


def _texts(values: Iterable[str]) -> str:
    """A ``text[]`` literal of ``values``, each quoted."""
    quoted = (v.replace("\\", "\\\\").replace('"', '\\"') for v in values)
    return "{" + ",".join(f'"{v}"' for v in quoted) + "}"


def _ints(values: Iterable[int]) -> str:
    """A ``bigint[]`` literal of ``values``."""
    return "{" + ",".join(str(v) for v in values) + "}"


class _DeferredLedger(Ledger):
    """The ledger whose reserve leaves checking the stock to ``apply_operation``."""

    def _take(
        self, reservation_id: str, merged: tuple[Line, ...], at_ms: int
    ) -> tuple[Change, ...]:
        return tuple(Change(x.sku, x.location, 0, x.quantity) for x in merged)


@dataclass(frozen=True, slots=True)
class Recorded:
    """What the ledger returned and wrote for one operation over one snapshot."""

    operation: Operation
    snapshot: Snapshot
    result: Reservation
    writes: Recorder

    @classmethod
    def run(cls, operation: Operation, snapshot: Snapshot) -> Recorded:
        """Run ``operation`` over ``snapshot``, keeping its writes."""
        recorder = Recorder(snapshot)
        return cls(operation, snapshot, operation(_DeferredLedger(recorder)), recorder)


def _refusal(held: Reservation, moves: list[Change], stocks: str) -> ReservationError:
    """Why ``held`` cannot take ``moves``, from the stock ``apply_operation`` read."""
    rows = json.loads(stocks)
    return refusal(
        held.reservation_id,
        [Line(c.sku, c.reserved, c.location) for c in moves],
        [Stock(c.sku, c.location, *row) for c, row in zip(moves, rows, strict=True)],
    )


def apply(conn: Connection[Any], schema: str, recorded: Recorded) -> Reservation | None:
    """Apply what ``recorded`` wrote and return its result; ``None`` for the general path."""
    import psycopg

    if recorded.writes.entry is None:
        return recorded.result
    try:
        row = conn.execute(compose(_APPLY, schema), recorded.writes.params()).fetchone()
    except psycopg.DatabaseError as error:
        if error.sqlstate == GENERAL_PATH:
            return None
        raise
    said: list[str] | None = None if row is None else row[0]
    if said is None:
        return recorded.result
    if said[0] == "refused":
        raise _refusal(recorded.result, recorded.writes.moves(), said[1])
    if said[0] == "replay":
        replayed = Recorded.run(
            recorded.operation,
            replace(recorded.snapshot, outcome=(said[1], decode_outcome(said[2]))),
        )
        if replayed.writes.entry is None:
            return replayed.result
    return None
