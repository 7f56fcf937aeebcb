from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import Generic, TypeVar

from orderkit.inventory._ledger import Ledger
from orderkit.inventory._store import BaseStore
from orderkit.inventory._types import (
    Line,
    OversoldPolicy,
    Reservation,
    Stock,
    StockChange,
    StockKey,
)

__all__ = ["LedgerStore"]

L = TypeVar("L", bound=Ledger)
T = TypeVar("T")


class LedgerStore(BaseStore, Generic[L]):
    """A store whose operations run the shared :class:`Ledger` in one atomic step.

    A backend supplies :meth:`_write`: run one ledger operation so that it is applied
    whole or, when it raises, not at all (a lock over buffered state, a database
    transaction, a set of record locks).
    """

    @abstractmethod
    def _write(self, operation: Callable[[L], T]) -> T:
        """Run ``operation`` on this store's ledger as one atomic step."""

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
