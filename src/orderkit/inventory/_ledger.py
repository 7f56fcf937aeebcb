"""The reservation algorithm over an abstract state, shared by the in-process stores.

:class:`MemoryStore` runs it over dictionaries under one lock and
:class:`LockedStore` over a host repository under a :class:`LockProvider`. The SQL and
Redis backends implement the same semantics natively, with one atomic primitive each;
the conformance suite holds all of them to this behaviour.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Protocol

from orderkit.errors import (
    DuplicateOperation,
    ExceedsReservation,
    InsufficientStock,
    OnHandBelowReserved,
    ReservationClosed,
    ReservationError,
    Shortage,
    SkuFrozen,
    UnknownReservation,
)
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

__all__ = ["Ledger", "LedgerState", "refusal", "shortfall"]

ACTIVE = ReservationStatus.ACTIVE


def refusal(
    reservation_id: str, lines: Sequence[Line], stocks: Sequence[Stock]
) -> ReservationError:
    """Why ``lines`` cannot be held from ``stocks``: frozen keys first, then every short line."""
    return shortfall(reservation_id, lines, [-1 if s.frozen else s.available for s in stocks])


def shortfall(reservation_id: str, lines: Sequence[Line], rooms: Sequence[int]) -> ReservationError:
    """Why ``lines`` cannot be held when each key can still give ``rooms`` (-1: frozen)."""
    frozen = [x.key for x, room in zip(lines, rooms, strict=True) if room < 0]
    if frozen:
        return SkuFrozen(reservation_id, frozen)
    return InsufficientStock(
        reservation_id,
        [
            Shortage(x.sku, x.location, x.quantity, room)
            for x, room in zip(lines, rooms, strict=True)
            if room < x.quantity
        ],
    )


class LedgerState(Protocol):
    """The storage a :class:`Ledger` reads and writes, inside one atomic step."""

    def get_stock(self, key: StockKey) -> Stock | None:
        """The stock record, or ``None`` if the key was never counted."""
        ...

    def put_stock(self, stock: Stock) -> None:
        """Store a stock record."""
        ...

    def get_reservation(self, reservation_id: str) -> Reservation | None:
        """A reservation by id."""
        ...

    def put_reservation(self, reservation: Reservation) -> None:
        """Store a reservation."""
        ...

    def due(self, at_ms: int, keys: Iterable[StockKey] | None) -> list[Reservation]:
        """Active reservations expiring at or before ``at_ms`` (holding ``keys``, if given)."""
        ...

    def get_outcome(self, op_key: str) -> tuple[str, object] | None:
        """The fingerprint and result recorded for an operation key."""
        ...

    def put_outcome(self, op_key: str, fingerprint: str, result: object) -> None:
        """Record an operation's fingerprint and result."""
        ...

    def append(self, entry: JournalEntry) -> None:
        """Add a journal entry; ``entry.seq`` is one more than the last."""
        ...

    def last_seq(self) -> int:
        """The sequence number of the last journal entry (0 when empty)."""
        ...


class Ledger:
    """The reservation operations over one :class:`LedgerState`, called inside a lock."""

    def __init__(self, state: LedgerState) -> None:
        self.state = state

    def _stock(self, key: StockKey) -> Stock:
        return self.state.get_stock(key) or Stock(key.sku, key.location, 0, 0)

    def _journal(
        self,
        kind: JournalKind,
        at_ms: int,
        op_key: str,
        reservation_id: str | None = None,
        changes: tuple[Change, ...] = (),
        frozen: bool | None = None,
    ) -> None:
        seq = self.state.last_seq() + 1
        self.state.append(JournalEntry(seq, at_ms, kind, op_key, reservation_id, changes, frozen))

    def _replayed(self, op_key: str | None, print_: str) -> object | None:
        if op_key is None:
            return None
        found = self.state.get_outcome(op_key)
        if found is None:
            return None
        if found[0] != print_:
            raise DuplicateOperation(op_key)
        return found[1]

    def _move(self, key: StockKey, at_ms: int, on_hand: int, reserved: int) -> Change:
        stock = self._stock(key)
        self.state.put_stock(
            replace(
                stock,
                on_hand=stock.on_hand + on_hand,
                reserved=stock.reserved + reserved,
                updated_at_ms=at_ms,
            )
        )
        return Change(key.sku, key.location, on_hand, reserved)

    def _reserve_request(
        self, reservation_id: str, lines: Iterable[Line], ttl_ms: int | None, op_key: str
    ) -> tuple[tuple[Line, ...], str, Reservation | None]:
        """The merged lines, the fingerprint, and the first outcome if this is a retry."""
        merged = merge_lines(lines)
        print_ = fingerprint("reserve", reservation_id, lines_print(merged), ttl_ms)
        prior = self._replayed(op_key, print_)
        return merged, print_, prior if isinstance(prior, Reservation) else None

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
        if self.state.get_reservation(reservation_id) is not None:
            raise DuplicateOperation(op_key)
        self.expire(at_ms, [x.key for x in merged])
        changes = self._take(reservation_id, merged, at_ms)
        expires = at_ms + ttl_ms if ttl_ms is not None else None
        held = Reservation(reservation_id, ACTIVE, merged, (), at_ms, at_ms, expires)
        self.state.put_reservation(held)
        self._journal(JournalKind.RESERVE, at_ms, op_key, reservation_id, changes)
        self.state.put_outcome(op_key, print_, held)
        return held

    def _take(
        self, reservation_id: str, merged: tuple[Line, ...], at_ms: int
    ) -> tuple[Change, ...]:
        """Add every line to its key's reserved count, or raise why not (nothing taken)."""
        stocks = [self._stock(x.key) for x in merged]
        if any(s.frozen or s.available < x.quantity for s, x in zip(stocks, merged, strict=True)):
            raise refusal(reservation_id, merged, stocks)
        return tuple(self._move(x.key, at_ms, 0, x.quantity) for x in merged)

    def _active(self, reservation_id: str, operation: str) -> Reservation:
        held = self.state.get_reservation(reservation_id)
        if held is None:
            raise UnknownReservation(reservation_id)
        if held.status is not ACTIVE:
            raise ReservationClosed(reservation_id, held.status.value, operation)
        return held

    def _end(
        self,
        held: Reservation,
        status: ReservationStatus,
        kind: JournalKind,
        at_ms: int,
        op_key: str,
    ) -> Reservation:
        changes = tuple(self._move(k, at_ms, 0, -q) for k, q in sorted(held.remaining().items()))
        ended = replace(held, status=status, updated_at_ms=at_ms)
        self.state.put_reservation(ended)
        self._journal(kind, at_ms, op_key, held.reservation_id, changes)
        return ended

    def release(self, reservation_id: str, at_ms: int, op_key: str) -> Reservation:
        """Give back what is still held; a released or expired one is returned unchanged."""
        print_ = fingerprint("release", reservation_id)
        prior = self._replayed(op_key, print_)
        if isinstance(prior, Reservation):
            return prior
        held = self.state.get_reservation(reservation_id)
        if held is None:
            raise UnknownReservation(reservation_id)
        if held.status in (ReservationStatus.RELEASED, ReservationStatus.EXPIRED):
            return held
        if held.status is ReservationStatus.COMMITTED:
            raise ReservationClosed(reservation_id, held.status.value, "release")
        ended = self._end(held, ReservationStatus.RELEASED, JournalKind.RELEASE, at_ms, op_key)
        self.state.put_outcome(op_key, print_, ended)
        return ended

    def commit(
        self, reservation_id: str, lines: Iterable[Line] | None, at_ms: int, op_key: str
    ) -> Reservation:
        """Ship held stock: on hand and reserved both drop; partial commits allowed."""
        asked = None if lines is None else merge_lines(lines)
        print_ = fingerprint(
            "commit",
            reservation_id,
            None if asked is None else lines_print(asked),
        )
        prior = self._replayed(op_key, print_)
        if isinstance(prior, Reservation):
            return prior
        held = self._active(reservation_id, "commit")
        left = held.remaining()
        wanted = left if asked is None else {x.key: x.quantity for x in asked}
        for key, quantity in sorted(wanted.items()):
            if quantity > left.get(key, 0):
                raise ExceedsReservation(
                    reservation_id, key.sku, key.location, quantity, left.get(key, 0)
                )
        changes = tuple(self._move(k, at_ms, -q, -q) for k, q in sorted(wanted.items()))
        done = {x.key: x.quantity for x in held.committed}
        for key, quantity in wanted.items():
            done[key] = done.get(key, 0) + quantity
        committed = tuple(Line(k.sku, q, k.location) for k, q in sorted(done.items()))
        status = (
            ACTIVE
            if any(left[k] > wanted.get(k, 0) for k in left)
            else (ReservationStatus.COMMITTED)
        )
        after = replace(held, committed=committed, status=status, updated_at_ms=at_ms)
        self.state.put_reservation(after)
        self._journal(JournalKind.COMMIT, at_ms, op_key, reservation_id, changes)
        self.state.put_outcome(op_key, print_, after)
        return after

    def extend(self, reservation_id: str, until_ms: int, at_ms: int, op_key: str) -> Reservation:
        """Move an active reservation's expiry to ``until_ms``."""
        print_ = fingerprint("extend", reservation_id, until_ms)
        prior = self._replayed(op_key, print_)
        if isinstance(prior, Reservation):
            return prior
        held = self._active(reservation_id, "extend")
        after = replace(held, expires_at_ms=until_ms, updated_at_ms=at_ms)
        self.state.put_reservation(after)
        self._journal(
            JournalKind.EXTEND,
            at_ms,
            op_key,
            reservation_id,
            tuple(Change(x.sku, x.location) for x in held.lines),
        )
        self.state.put_outcome(op_key, print_, after)
        return after

    def expire(self, at_ms: int, keys: Iterable[StockKey] | None = None) -> list[Reservation]:
        """Release every active reservation due at ``at_ms`` (holding ``keys``, if given)."""
        due = sorted(self.state.due(at_ms, keys), key=lambda r: r.reservation_id)
        return [
            self._end(
                r,
                ReservationStatus.EXPIRED,
                JournalKind.EXPIRE,
                at_ms,
                f"expire:{r.reservation_id}",
            )
            for r in due
        ]

    def count(
        self,
        key: StockKey,
        on_hand: int,
        at_ms: int,
        op_key: str | None,
        kind: JournalKind,
        oversold: OversoldPolicy,
    ) -> StockChange:
        """Set on hand to ``on_hand`` (a count or the result of an adjustment)."""
        stock = self._stock(key)
        short = max(stock.reserved - on_hand, 0)
        if short and oversold is OversoldPolicy.REFUSE:
            raise OnHandBelowReserved(key.sku, key.location, on_hand, stock.reserved)
        target = on_hand + short
        change = self._move(key, at_ms, target - stock.on_hand, 0)
        self._journal(
            kind, at_ms, op_key or f"{kind.value}:{key.sku}@{key.location}", None, (change,)
        )
        return StockChange(self._stock(key), short)

    def set_on_hand(
        self,
        key: StockKey,
        quantity: int,
        at_ms: int,
        op_key: str | None,
        oversold: OversoldPolicy,
    ) -> StockChange:
        """A stock count or channel snapshot sync (MISSION I1, I2)."""
        print_ = fingerprint("set_on_hand", list(key), quantity, oversold.value)
        prior = self._replayed(op_key, print_)
        if isinstance(prior, StockChange):
            return prior
        result = self.count(key, quantity, at_ms, op_key, JournalKind.SET_ON_HAND, oversold)
        if op_key is not None:
            self.state.put_outcome(op_key, print_, result)
        return result

    def adjust(
        self, key: StockKey, delta: int, at_ms: int, op_key: str, oversold: OversoldPolicy
    ) -> StockChange:
        """A receipt (+) or a write-off (-), applied once per operation key."""
        print_ = fingerprint("adjust", list(key), delta, oversold.value)
        prior = self._replayed(op_key, print_)
        if isinstance(prior, StockChange):
            return prior
        target = self._stock(key).on_hand + delta
        result = self.count(key, target, at_ms, op_key, JournalKind.ADJUST, oversold)
        self.state.put_outcome(op_key, print_, result)
        return result

    def set_frozen(self, key: StockKey, frozen: bool, at_ms: int) -> Stock:
        """Freeze or unfreeze a (sku, location) (MISSION I6); repeating it changes nothing."""
        stock = self._stock(key)
        if stock.frozen == frozen and self.state.get_stock(key) is not None:
            return stock
        after = replace(stock, frozen=frozen, updated_at_ms=at_ms)
        self.state.put_stock(after)
        kind = JournalKind.FREEZE if frozen else JournalKind.UNFREEZE
        self._journal(
            kind,
            at_ms,
            f"{kind.value}:{key.sku}@{key.location}",
            None,
            (Change(key.sku, key.location),),
            frozen,
        )
        return after
