from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from orderkit.inventory._store import ReservationStore
from orderkit.inventory._types import JournalEntry, Stock, StockKey

__all__ = ["Drift", "check", "replay"]


def replay(journal: Iterable[JournalEntry]) -> dict[StockKey, Stock]:
    """The stock records a journal leads to, from nothing (MISSION I1)."""
    stocks: dict[StockKey, Stock] = {}
    for entry in journal:
        for change in entry.changes:
            key = StockKey(change.sku, change.location)
            stock = stocks.get(key) or Stock(key.sku, key.location, 0, 0)
            stocks[key] = replace(
                stock,
                on_hand=stock.on_hand + change.on_hand,
                reserved=stock.reserved + change.reserved,
                frozen=stock.frozen if entry.frozen is None else entry.frozen,
                updated_at_ms=entry.at_ms
                if change.on_hand or change.reserved or entry.frozen is not None
                else stock.updated_at_ms,
            )
    return stocks


@dataclass(frozen=True, slots=True)
class Drift:
    """A key whose stored counters differ from what its journal says."""

    key: StockKey
    stored: Stock | None
    journal: Stock | None


def check(store: ReservationStore) -> list[Drift]:
    """Compare the store's counters with its journal; report, never repair.

    An empty list means every counter equals the replay of the journal.
    """
    expected = replay(store.journal())
    stored = {s.key: s for s in store.stocks()}
    drifts = []
    for key in sorted({*expected, *stored}):
        want, have = expected.get(key), stored.get(key)
        same = (
            want is not None
            and have is not None
            and (
                (want.on_hand, want.reserved, want.frozen)
                == (have.on_hand, have.reserved, have.frozen)
            )
        )
        if not same:
            drifts.append(Drift(key, have, want))
    return drifts
