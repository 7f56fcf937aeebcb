from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from orderkit.clock import require_aware
from orderkit.errors import InvalidRequest
from orderkit.inventory._types import (
    DEFAULT_LOCATION,
    JournalEntry,
    Line,
    OversoldPolicy,
    Reservation,
    Stock,
    StockChange,
    StockKey,
)

__all__ = ["BaseStore", "ReservationStore", "to_ms"]


def to_ms(at: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime (the stores' time unit, I1)."""
    return int(require_aware(at, "at").timestamp() * 1000)


class ReservationStore(Protocol):
    """The reservation contract every backend implements (see ``docs/inventory.md``).

    Every operation is atomic: it happens fully, with its journal entry, or not at all.
    Operations carry an operation key; the same key with the same payload returns the
    first outcome and applies nothing, with another payload it raises
    :class:`~orderkit.errors.DuplicateOperation`.
    """

    def reserve(
        self,
        reservation_id: str,
        lines: Iterable[Line],
        *,
        at: datetime,
        ttl: timedelta | None = None,
        op_key: str | None = None,
    ) -> Reservation:
        """Hold every line (same SKU lines summed) or none; key ``reserve:<id>`` by default."""
        ...

    def release(
        self, reservation_id: str, *, at: datetime, op_key: str | None = None
    ) -> Reservation:
        """Give back what is still held (cancel); released or expired ones come back as they are."""
        ...

    def commit(
        self,
        reservation_id: str,
        *,
        at: datetime,
        lines: Iterable[Line] | None = None,
        op_key: str | None = None,
    ) -> Reservation:
        """Ship: on hand and reserved both drop. ``lines`` commits part (needs ``op_key``)."""
        ...

    def extend(
        self, reservation_id: str, *, until: datetime, at: datetime, op_key: str | None = None
    ) -> Reservation:
        """Move an active reservation's expiry."""
        ...

    def expire(self, *, at: datetime) -> list[Reservation]:
        """Release every active reservation whose expiry is at or before ``at``."""
        ...

    def set_on_hand(
        self,
        sku: str,
        quantity: int,
        *,
        at: datetime,
        location: str = DEFAULT_LOCATION,
        op_key: str | None = None,
        oversold: OversoldPolicy = OversoldPolicy.REFUSE,
    ) -> StockChange:
        """A stock count or channel snapshot; below the reserved quantity follows ``oversold``."""
        ...

    def adjust(
        self,
        sku: str,
        delta: int,
        *,
        at: datetime,
        op_key: str,
        location: str = DEFAULT_LOCATION,
        oversold: OversoldPolicy = OversoldPolicy.REFUSE,
    ) -> StockChange:
        """A receipt or write-off, applied once per ``op_key``."""
        ...

    def freeze(self, sku: str, *, at: datetime, location: str = DEFAULT_LOCATION) -> Stock:
        """Refuse new reservations of this SKU at this location (MISSION I6)."""
        ...

    def unfreeze(self, sku: str, *, at: datetime, location: str = DEFAULT_LOCATION) -> Stock:
        """Accept reservations again."""
        ...

    def stock(self, sku: str, location: str = DEFAULT_LOCATION) -> Stock:
        """The counters of one key (zeros if never counted)."""
        ...

    def stocks(self) -> list[Stock]:
        """Every stock record, sorted by key."""
        ...

    def reservation(self, reservation_id: str) -> Reservation:
        """A reservation by id; :class:`~orderkit.errors.UnknownReservation` if none."""
        ...

    def journal(self, after: int = 0) -> list[JournalEntry]:
        """Journal entries with ``seq > after``, in order."""
        ...


class BaseStore(ABC):
    """Turns the keyword API into millisecond primitives that each backend implements."""

    def reserve(
        self,
        reservation_id: str,
        lines: Iterable[Line],
        *,
        at: datetime,
        ttl: timedelta | None = None,
        op_key: str | None = None,
    ) -> Reservation:
        """See :meth:`ReservationStore.reserve`."""
        held = tuple(lines)
        if not reservation_id or not held:
            raise InvalidRequest("a reservation needs an id and at least one line")
        ttl_ms = None if ttl is None else int(ttl.total_seconds() * 1000)
        if ttl_ms is not None and ttl_ms <= 0:
            raise InvalidRequest(f"ttl must be positive, got {ttl}")
        return self._reserve(
            reservation_id, held, to_ms(at), ttl_ms, op_key or f"reserve:{reservation_id}"
        )

    def release(
        self, reservation_id: str, *, at: datetime, op_key: str | None = None
    ) -> Reservation:
        """See :meth:`ReservationStore.release`."""
        return self._release(reservation_id, to_ms(at), op_key or f"release:{reservation_id}")

    def commit(
        self,
        reservation_id: str,
        *,
        at: datetime,
        lines: Iterable[Line] | None = None,
        op_key: str | None = None,
    ) -> Reservation:
        """See :meth:`ReservationStore.commit`."""
        part = None if lines is None else tuple(lines)
        if part is not None and op_key is None:
            raise InvalidRequest("a partial commit needs its own op_key (one per shipment)")
        return self._commit(reservation_id, part, to_ms(at), op_key or f"commit:{reservation_id}")

    def extend(
        self, reservation_id: str, *, until: datetime, at: datetime, op_key: str | None = None
    ) -> Reservation:
        """See :meth:`ReservationStore.extend`."""
        until_ms = to_ms(until)
        return self._extend(
            reservation_id, until_ms, to_ms(at), op_key or f"extend:{reservation_id}:{until_ms}"
        )

    def expire(self, *, at: datetime) -> list[Reservation]:
        """See :meth:`ReservationStore.expire`."""
        return self._expire(to_ms(at))

    def set_on_hand(
        self,
        sku: str,
        quantity: int,
        *,
        at: datetime,
        location: str = DEFAULT_LOCATION,
        op_key: str | None = None,
        oversold: OversoldPolicy = OversoldPolicy.REFUSE,
    ) -> StockChange:
        """See :meth:`ReservationStore.set_on_hand`."""
        if type(quantity) is not int or quantity < 0:
            raise InvalidRequest(f"{sku}: on hand must be an int >= 0, got {quantity!r}")
        return self._set_on_hand(
            _key(sku, location), quantity, to_ms(at), op_key, OversoldPolicy(oversold)
        )

    def adjust(
        self,
        sku: str,
        delta: int,
        *,
        at: datetime,
        op_key: str,
        location: str = DEFAULT_LOCATION,
        oversold: OversoldPolicy = OversoldPolicy.REFUSE,
    ) -> StockChange:
        """See :meth:`ReservationStore.adjust`."""
        if type(delta) is not int or not op_key:
            raise InvalidRequest(f"{sku}: adjust needs an int delta and an op_key")
        return self._adjust(_key(sku, location), delta, to_ms(at), op_key, OversoldPolicy(oversold))

    def freeze(self, sku: str, *, at: datetime, location: str = DEFAULT_LOCATION) -> Stock:
        """See :meth:`ReservationStore.freeze`."""
        return self._set_frozen(_key(sku, location), True, to_ms(at))

    def unfreeze(self, sku: str, *, at: datetime, location: str = DEFAULT_LOCATION) -> Stock:
        """See :meth:`ReservationStore.unfreeze`."""
        return self._set_frozen(_key(sku, location), False, to_ms(at))

    def stock(self, sku: str, location: str = DEFAULT_LOCATION) -> Stock:
        """See :meth:`ReservationStore.stock`."""
        return self._stock(_key(sku, location))

    @abstractmethod
    def stocks(self) -> list[Stock]:
        """See :meth:`ReservationStore.stocks`."""

    @abstractmethod
    def reservation(self, reservation_id: str) -> Reservation:
        """See :meth:`ReservationStore.reservation`."""

    @abstractmethod
    def journal(self, after: int = 0) -> list[JournalEntry]:
        """See :meth:`ReservationStore.journal`."""

    @abstractmethod
    def _reserve(
        self,
        reservation_id: str,
        lines: tuple[Line, ...],
        at_ms: int,
        ttl_ms: int | None,
        op_key: str,
    ) -> Reservation: ...

    @abstractmethod
    def _release(self, reservation_id: str, at_ms: int, op_key: str) -> Reservation: ...

    @abstractmethod
    def _commit(
        self, reservation_id: str, lines: tuple[Line, ...] | None, at_ms: int, op_key: str
    ) -> Reservation: ...

    @abstractmethod
    def _extend(
        self, reservation_id: str, until_ms: int, at_ms: int, op_key: str
    ) -> Reservation: ...

    @abstractmethod
    def _expire(self, at_ms: int) -> list[Reservation]: ...

    @abstractmethod
    def _set_on_hand(
        self,
        key: StockKey,
        quantity: int,
        at_ms: int,
        op_key: str | None,
        oversold: OversoldPolicy,
    ) -> StockChange: ...

    @abstractmethod
    def _adjust(
        self, key: StockKey, delta: int, at_ms: int, op_key: str, oversold: OversoldPolicy
    ) -> StockChange: ...

    @abstractmethod
    def _set_frozen(self, key: StockKey, frozen: bool, at_ms: int) -> Stock: ...

    @abstractmethod
    def _stock(self, key: StockKey) -> Stock: ...


def _key(sku: str, location: str) -> StockKey:
    if not isinstance(sku, str) or not sku.strip() or not isinstance(location, str) or not location:
        raise InvalidRequest(
            f"a stock key needs a non-empty SKU and location, got {sku!r}@{location!r}"
        )
    return StockKey(sku, location)
