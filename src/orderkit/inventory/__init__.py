"""Atomic inventory reservation behind storage-agnostic interfaces (MISSION I1-I6).

Every backend implements :class:`ReservationStore`: whole-order reservations that
succeed for every line or none, idempotent by operation key, with release, commit
(including partial commits for split shipments), TTL holds, stock counts, freezing, and
a journal written in the same atomic step. :func:`replay` rebuilds counters from the
journal and :func:`check` reports drift. :class:`MemoryStore` is the in-process
reference; see ``docs/inventory.md`` for the SQLite, PostgreSQL and Redis backends.

.. versionadded:: 0.1
"""

from orderkit.inventory._channels import (
    AvailabilityPolicy,
    ChannelRule,
    ChannelSnapshot,
    Correction,
    publishable,
    reconcile,
)
from orderkit.inventory._fallback import (
    Availability,
    AvailabilitySource,
    DoubleCheck,
    StockSource,
    StockUnavailable,
)
from orderkit.inventory._lock_postgres import PostgresAdvisoryLocks
from orderkit.inventory._lock_redis import RedisLocks
from orderkit.inventory._locked import DictRepository, LockedStore, StockRepository
from orderkit.inventory._locks import InProcessLocks, Lease, LockProvider
from orderkit.inventory._memory import MemoryStore
from orderkit.inventory._postgres import PostgresStore
from orderkit.inventory._redis import RedisStore
from orderkit.inventory._replay import Drift, check, replay
from orderkit.inventory._sqlite import SQLiteStore
from orderkit.inventory._store import BaseStore, ReservationStore
from orderkit.inventory._types import (
    DEFAULT_LOCATION,
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
    merge_lines,
)

__all__ = [
    "Availability",
    "AvailabilityPolicy",
    "AvailabilitySource",
    "BaseStore",
    "Change",
    "ChannelRule",
    "ChannelSnapshot",
    "Correction",
    "DEFAULT_LOCATION",
    "DictRepository",
    "DoubleCheck",
    "Drift",
    "InProcessLocks",
    "JournalEntry",
    "JournalKind",
    "Lease",
    "Line",
    "LockProvider",
    "LockedStore",
    "MemoryStore",
    "OversoldPolicy",
    "PostgresAdvisoryLocks",
    "PostgresStore",
    "RedisLocks",
    "RedisStore",
    "Reservation",
    "ReservationStatus",
    "ReservationStore",
    "SQLiteStore",
    "Stock",
    "StockChange",
    "StockKey",
    "StockRepository",
    "StockSource",
    "StockUnavailable",
    "check",
    "merge_lines",
    "publishable",
    "reconcile",
    "replay",
]
