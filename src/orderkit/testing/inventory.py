"""The reservation-store conformance suite: one contract, every backend.

Subclass :class:`ReservationStoreContract` in your own tests and provide a
``store_factory`` fixture that returns a callable making a fresh, empty, isolated store
on each call. The suite checks the sequential semantics, compares random operation
sequences with the reference :class:`~orderkit.inventory.MemoryStore`, and hammers a
hot SKU from many threads. Give ``process_factory`` a picklable factory (for example
``functools.partial(SQLiteStore, path)``) to add the same check across processes::

    import pytest
    from orderkit.testing.inventory import ReservationStoreContract

    class TestMyStore(ReservationStoreContract):
        @pytest.fixture
        def store_factory(self):
            return lambda: MyStore(...)

.. versionadded:: 0.1
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from orderkit.errors import (
    DuplicateOperation,
    ExceedsReservation,
    InsufficientStock,
    InvalidRequest,
    OnHandBelowReserved,
    ReservationClosed,
    ReservationError,
    SkuFrozen,
    UnknownReservation,
)
from orderkit.inventory import (
    Line,
    MemoryStore,
    OversoldPolicy,
    ReservationStatus,
    ReservationStore,
    check,
)

__all__ = [
    "ReservationStoreContract",
    "StoreFactory",
    "T0",
    "hammer",
]

StoreFactory = Callable[[], ReservationStore]
T0 = datetime(2026, 11, 11, tzinfo=UTC)
_SKUS = ("A", "B", "C")


def hammer(store: ReservationStore, prefix: str, attempts: int) -> int:
    """Try ``attempts`` one-unit reservations of SKU ``HOT``; return how many succeeded."""
    won = 0
    for i in range(attempts):
        try:
            store.reserve(f"{prefix}-{i}", [Line("HOT", 1)], at=T0)
        except InsufficientStock:
            continue
        won += 1
    return won


def _process_worker(factory: StoreFactory, prefix: str, attempts: int, results: Any) -> None:
    results.put(hammer(factory(), prefix, attempts))


def _live_reserved(store: ReservationStore, ids: list[str]) -> int:
    total = 0
    for rid in ids:
        try:
            held = store.reservation(rid)
        except UnknownReservation:
            continue
        total += sum(held.remaining().values())
    return total


class ReservationStoreContract:
    """The behaviour every :class:`~orderkit.inventory.ReservationStore` must show."""

    threads = 8
    attempts_per_thread = 25
    hot_stock = 100

    @pytest.fixture
    def store_factory(self) -> StoreFactory:
        """Override: return a callable that makes a fresh, empty, isolated store."""
        raise NotImplementedError("override the store_factory fixture")

    @pytest.fixture
    def process_factory(self) -> StoreFactory | None:
        """Override with a picklable factory sharing one store's data, to test processes."""
        return None

    @pytest.fixture
    def store(self, store_factory: StoreFactory) -> ReservationStore:
        """A fresh store for one test."""
        return store_factory()

    # -- reserve ------------------------------------------------------------------

    def test_reserve_merges_lines_and_holds_them(self, store: ReservationStore) -> None:
        store.set_on_hand("A", 10, at=T0)
        store.set_on_hand("B", 5, at=T0)
        held = store.reserve("R1", [Line("B", 2), Line("A", 3), Line("A", 1)], at=T0)
        assert held.lines == (Line("A", 4), Line("B", 2))
        assert held.status is ReservationStatus.ACTIVE
        assert (store.stock("A").reserved, store.stock("A").available) == (4, 6)
        assert store.reservation("R1") == held

    def test_refusal_names_every_short_line_and_leaves_no_trace(
        self, store: ReservationStore
    ) -> None:
        store.set_on_hand("A", 3, at=T0)
        store.set_on_hand("B", 1, at=T0)
        store.set_on_hand("C", 9, at=T0)
        before = (store.stocks(), store.journal())
        with pytest.raises(InsufficientStock) as caught:
            store.reserve("R1", [Line("A", 4), Line("B", 2), Line("C", 1)], at=T0)
        assert [(s.sku, s.requested, s.available) for s in caught.value.shortages] == [
            ("A", 4, 3),
            ("B", 2, 1),
        ]
        assert (store.stocks(), store.journal()) == before
        with pytest.raises(UnknownReservation):
            store.reservation("R1")

    def test_unknown_sku_has_nothing_available(self, store: ReservationStore) -> None:
        stock = store.stock("NEVER")
        assert (stock.on_hand, stock.reserved, stock.available) == (0, 0, 0)
        with pytest.raises(InsufficientStock):
            store.reserve("R1", [Line("NEVER", 1)], at=T0)

    def test_frozen_sku_is_refused_first(self, store: ReservationStore) -> None:
        store.set_on_hand("A", 5, at=T0)
        store.freeze("A", at=T0)
        store.freeze("A", at=T0)
        with pytest.raises(SkuFrozen) as caught:
            store.reserve("R1", [Line("A", 1), Line("B", 1)], at=T0)
        assert caught.value.frozen == (("A", "default"),)
        assert store.stock("A").available == 0
        store.unfreeze("A", at=T0)
        assert store.reserve("R1", [Line("A", 1)], at=T0).status is ReservationStatus.ACTIVE

    def test_locations_are_separate_stock(self, store: ReservationStore) -> None:
        store.set_on_hand("A", 1, at=T0, location="hangzhou")
        store.set_on_hand("A", 5, at=T0, location="shanghai")
        with pytest.raises(InsufficientStock):
            store.reserve("R1", [Line("A", 2, "hangzhou")], at=T0)
        store.reserve("R2", [Line("A", 2, "shanghai")], at=T0)
        assert store.stock("A", "shanghai").reserved == 2
        assert store.stock("A", "hangzhou").reserved == 0

    def test_bad_requests_are_refused(self, store: ReservationStore) -> None:
        with pytest.raises(InvalidRequest):
            store.reserve("R1", [], at=T0)
        with pytest.raises(InvalidRequest):
            store.set_on_hand("A", -1, at=T0)
        with pytest.raises(InvalidRequest):
            store.reserve("R1", [Line("A", 1)], at=T0, ttl=timedelta(0))
        assert store.journal() == []

    # -- idempotency --------------------------------------------------------------

    def test_same_key_same_payload_applies_once(self, store: ReservationStore) -> None:
        store.set_on_hand("A", 10, at=T0)
        first = store.reserve("R1", [Line("A", 3)], at=T0)
        again = store.reserve("R1", [Line("A", 3)], at=T0 + timedelta(seconds=5))
        assert again == first
        assert store.stock("A").reserved == 3
        assert len(store.journal()) == 2

    def test_same_key_other_payload_is_refused(self, store: ReservationStore) -> None:
        store.set_on_hand("A", 10, at=T0)
        store.reserve("R1", [Line("A", 3)], at=T0)
        with pytest.raises(DuplicateOperation):
            store.reserve("R1", [Line("A", 4)], at=T0)
        with pytest.raises(DuplicateOperation):
            store.reserve("R1", [Line("A", 3)], at=T0, op_key="another-key")
        assert store.stock("A").reserved == 3

    def test_adjust_is_applied_once_per_key(self, store: ReservationStore) -> None:
        store.adjust("A", 5, at=T0, op_key="receipt-1")
        store.adjust("A", 5, at=T0, op_key="receipt-1")
        store.adjust("A", 2, at=T0, op_key="receipt-2")
        assert store.stock("A").on_hand == 7
        with pytest.raises(DuplicateOperation):
            store.adjust("A", 6, at=T0, op_key="receipt-1")

    # -- release, commit, expire ----------------------------------------------------

    def test_release_gives_back_once(self, store: ReservationStore) -> None:
        store.set_on_hand("A", 10, at=T0)
        store.reserve("R1", [Line("A", 4)], at=T0)
        released = store.release("R1", at=T0)
        assert released.status is ReservationStatus.RELEASED
        assert store.release("R1", at=T0, op_key="second-cancel") == released
        assert store.stock("A").reserved == 0
        with pytest.raises(UnknownReservation):
            store.release("R404", at=T0)
        with pytest.raises(ReservationClosed):
            store.commit("R1", at=T0)

    def test_commit_ships_and_partial_commits_split(self, store: ReservationStore) -> None:
        store.set_on_hand("A", 10, at=T0)
        store.set_on_hand("B", 10, at=T0)
        store.reserve("R1", [Line("A", 4), Line("B", 2)], at=T0)
        with pytest.raises(InvalidRequest):
            store.commit("R1", at=T0, lines=[Line("A", 1)])
        part = store.commit("R1", at=T0, lines=[Line("A", 3)], op_key="parcel-1")
        assert part.status is ReservationStatus.ACTIVE
        assert part.remaining() == {("A", "default"): 1, ("B", "default"): 2}
        with pytest.raises(ExceedsReservation):
            store.commit("R1", at=T0, lines=[Line("A", 2)], op_key="parcel-2")
        done = store.commit("R1", at=T0, op_key="parcel-2")
        assert done.status is ReservationStatus.COMMITTED
        assert done.committed == (Line("A", 4), Line("B", 2))
        assert (store.stock("A").on_hand, store.stock("A").reserved) == (6, 0)
        with pytest.raises(ReservationClosed):
            store.release("R1", at=T0)

    def test_ttl_holds_expire_by_sweep_and_lazily(self, store: ReservationStore) -> None:
        store.set_on_hand("A", 5, at=T0)
        store.reserve("R1", [Line("A", 5)], at=T0, ttl=timedelta(minutes=15))
        assert store.expire(at=T0 + timedelta(minutes=14)) == []
        store.extend("R1", until=T0 + timedelta(minutes=30), at=T0)
        assert store.expire(at=T0 + timedelta(minutes=20)) == []
        store.reserve("R2", [Line("A", 5)], at=T0 + timedelta(minutes=31))
        assert store.reservation("R1").status is ReservationStatus.EXPIRED
        assert store.stock("A").reserved == 5
        store.set_on_hand("B", 1, at=T0)
        store.reserve("R3", [Line("B", 1)], at=T0, ttl=timedelta(minutes=1))
        swept = store.expire(at=T0 + timedelta(minutes=2))
        assert [r.reservation_id for r in swept] == ["R3"]
        assert store.stock("B").reserved == 0
        with pytest.raises(ReservationClosed):
            store.extend("R3", until=T0 + timedelta(hours=1), at=T0)

    # -- counts ---------------------------------------------------------------------

    def test_counts_below_reserved_follow_the_policy(self, store: ReservationStore) -> None:
        store.set_on_hand("A", 10, at=T0)
        store.reserve("R1", [Line("A", 8)], at=T0)
        with pytest.raises(OnHandBelowReserved):
            store.set_on_hand("A", 5, at=T0)
        with pytest.raises(OnHandBelowReserved):
            store.adjust("A", -3, at=T0, op_key="shrink")
        assert store.stock("A").on_hand == 10
        capped = store.set_on_hand("A", 5, at=T0, oversold=OversoldPolicy.CAP)
        assert (capped.stock.on_hand, capped.stock.reserved, capped.oversold) == (8, 8, 3)

    # -- journal ----------------------------------------------------------------------

    def test_journal_is_contiguous_and_replays_to_the_counters(
        self, store: ReservationStore
    ) -> None:
        store.set_on_hand("A", 10, at=T0)
        store.reserve("R1", [Line("A", 2)], at=T0, ttl=timedelta(minutes=1))
        store.reserve("R2", [Line("A", 3)], at=T0)
        store.commit("R2", at=T0)
        store.freeze("A", at=T0)
        store.expire(at=T0 + timedelta(minutes=5))
        entries = store.journal()
        assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
        assert [e.kind.value for e in entries] == [
            "set_on_hand",
            "reserve",
            "reserve",
            "commit",
            "freeze",
            "expire",
        ]
        assert store.journal(after=4) == entries[4:]
        assert check(store) == []

    # -- the reference model -------------------------------------------------------------

    reference_examples = 25

    def test_matches_the_reference_model(self, store_factory: StoreFactory) -> None:
        machine = type("AgainstReference", (_AgainstReference,), {"make": store_factory})
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=self.reference_examples, stateful_step_count=25, deadline=None
            ),
        )

    # -- concurrency --------------------------------------------------------------------

    def test_hot_sku_is_never_oversold_by_threads(self, store: ReservationStore) -> None:
        store.set_on_hand("HOT", self.hot_stock, at=T0)
        barrier = threading.Barrier(self.threads)
        wins: list[int] = []

        def worker(n: int) -> None:
            barrier.wait()
            wins.append(hammer(store, f"t{n}", self.attempts_per_thread))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(self.threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ids = [f"t{n}-{i}" for n in range(self.threads) for i in range(self.attempts_per_thread)]
        expected = min(self.hot_stock, self.threads * self.attempts_per_thread)
        assert sum(wins) == expected
        assert store.stock("HOT").reserved == expected == _live_reserved(store, ids)
        assert check(store) == []

    def test_concurrent_retries_of_one_reservation_apply_once(
        self, store: ReservationStore
    ) -> None:
        store.set_on_hand("A", 50, at=T0)
        barrier = threading.Barrier(self.threads)
        results: list[object] = []

        def retry() -> None:
            barrier.wait()
            results.append(store.reserve("R1", [Line("A", 5)], at=T0))

        threads = [threading.Thread(target=retry) for _ in range(self.threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(results) == self.threads
        assert all(r == results[0] for r in results)
        assert store.stock("A").reserved == 5
        assert [e.kind.value for e in store.journal()] == ["set_on_hand", "reserve"]

    def test_hot_sku_is_never_oversold_by_processes(
        self, process_factory: StoreFactory | None
    ) -> None:
        if process_factory is None:
            pytest.skip("this store is not shared between processes")
        store = process_factory()
        store.set_on_hand("HOT", self.hot_stock, at=T0)
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        workers = 4
        procs = [
            context.Process(
                target=_process_worker,
                args=(process_factory, f"p{n}", self.hot_stock // 2, results),
            )
            for n in range(workers)
        ]
        for proc in procs:
            proc.start()
        wins = [results.get(timeout=120) for _ in procs]
        for proc in procs:
            proc.join(timeout=60)
            assert proc.exitcode == 0
        ids = [f"p{n}-{i}" for n in range(workers) for i in range(self.hot_stock // 2)]
        assert sum(wins) == self.hot_stock
        assert store.stock("HOT").reserved == self.hot_stock == _live_reserved(store, ids)
        assert check(store) == []


def _operations() -> st.SearchStrategy[tuple[Any, ...]]:
    sku = st.sampled_from(_SKUS)
    rid = st.sampled_from([f"R{i}" for i in range(4)])
    lines = st.lists(st.builds(Line, sku, st.integers(1, 4)), min_size=1, max_size=3)
    minutes = st.integers(0, 40)
    return st.one_of(
        st.tuples(
            st.just("set_on_hand"), sku, st.integers(0, 12), st.sampled_from(list(OversoldPolicy))
        ),
        st.tuples(st.just("adjust"), sku, st.integers(-4, 6), st.sampled_from(["k1", "k2"])),
        st.tuples(st.just("reserve"), rid, lines, st.sampled_from([None, 10, 30]), minutes),
        st.tuples(st.just("release"), rid, minutes),
        st.tuples(st.just("commit"), rid, minutes),
        st.tuples(st.just("expire"), minutes),
        st.tuples(st.just("freeze"), sku, st.booleans()),
    )


class _AgainstReference(RuleBasedStateMachine):
    """Random operations on the store under test and on the reference, side by side."""

    make: Callable[[], ReservationStore]

    def __init__(self) -> None:
        super().__init__()
        self.store = type(self).make()
        self.reference = MemoryStore()

    @rule(call=_operations())
    def apply(self, call: tuple[Any, ...]) -> None:
        assert _outcome(call, self.store) == _outcome(call, self.reference), call

    @invariant()
    def same_counters_within_bounds(self) -> None:
        stocks = self.store.stocks()
        assert stocks == self.reference.stocks()
        assert all(0 <= s.reserved <= s.on_hand for s in stocks)

    def teardown(self) -> None:
        assert [(e.kind, e.changes) for e in self.store.journal()] == [
            (e.kind, e.changes) for e in self.reference.journal()
        ]
        assert check(self.store) == []


def _later(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


_CALLS: dict[str, Callable[[ReservationStore, list[Any]], object]] = {
    "set_on_hand": lambda s, a: s.set_on_hand(a[0], a[1], at=T0, oversold=a[2]),
    "adjust": lambda s, a: s.adjust(a[0], a[1], at=T0, op_key=f"{a[2]}:{a[0]}"),
    "reserve": lambda s, a: s.reserve(
        a[0], a[1], at=_later(a[3]), ttl=None if a[2] is None else timedelta(minutes=a[2])
    ),
    "release": lambda s, a: s.release(a[0], at=_later(a[1])),
    "commit": lambda s, a: s.commit(a[0], at=_later(a[1])),
    "expire": lambda s, a: s.expire(at=_later(a[0])),
    "freeze": lambda s, a: s.freeze(a[0], at=T0) if a[1] else s.unfreeze(a[0], at=T0),
}


def _outcome(call: tuple[Any, ...], store: ReservationStore) -> object:
    """Run one generated operation; return its result or the type of its refusal."""
    name, *args = call
    try:
        return _CALLS[name](store, args)
    except ReservationError as error:
        return type(error)
