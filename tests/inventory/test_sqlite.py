"""The embedded SQLite store: the contract, plus what only a shared file can show (I1, I3)."""

from __future__ import annotations

import itertools
import multiprocessing
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, Literal

import pytest

from orderkit.errors import (
    ConfigError,
    InsufficientStock,
    ReservationError,
    Shortage,
    UnknownReservation,
)
from orderkit.inventory import (
    Line,
    MemoryStore,
    Reservation,
    ReservationStatus,
    ReservationStore,
    check,
)
from orderkit.inventory._sql import SqlState, decode_outcome, encode_outcome
from orderkit.inventory._sqlite import SQLiteStore
from orderkit.testing.inventory import T0, ReservationStoreContract, StoreFactory, hammer


class TestSQLiteStore(ReservationStoreContract):
    """Every contract test on a file per store; processes share one file."""

    attempts_per_thread = 50

    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> Iterator[StoreFactory]:
        opened: list[SQLiteStore] = []
        names = itertools.count()

        def make() -> SQLiteStore:
            opened.append(SQLiteStore(tmp_path / f"store-{next(names)}.sqlite3"))
            return opened[-1]

        yield make
        for store in opened:
            store.close()

    @pytest.fixture
    def process_factory(self, tmp_path: Path) -> StoreFactory:
        return partial(SQLiteStore, tmp_path / "shared.sqlite3")


def _run_threads(count: int, target: Callable[[int], None]) -> None:
    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_threads_each_with_its_own_store_on_one_file_never_oversell(tmp_path: Path) -> None:
    path = tmp_path / "hot.sqlite3"
    with SQLiteStore(path) as store:
        store.set_on_hand("HOT", 100, at=T0)
    barrier = threading.Barrier(8)
    wins: list[int] = []

    def worker(n: int) -> None:
        with SQLiteStore(path) as own:
            barrier.wait()
            wins.append(hammer(own, f"c{n}", 25))

    _run_threads(8, worker)
    with SQLiteStore(path) as store:
        assert sum(wins) == 100
        assert store.stock("HOT").reserved == 100
        assert check(store) == []


def _open_together(path: Path, count: int) -> list[int]:
    barrier = threading.Barrier(count)
    opened: list[int] = []

    def open_it(n: int) -> None:
        barrier.wait()
        with SQLiteStore(path) as store:
            opened.append(len(store.stocks()))

    _run_threads(count, open_it)
    return opened


def test_stores_opening_a_new_file_together_all_succeed(tmp_path: Path) -> None:
    for trial in range(20):
        assert _open_together(tmp_path / f"new-{trial}.sqlite3", 8) == [0] * 8


def test_an_in_memory_store_is_shared_by_threads() -> None:
    with SQLiteStore(":memory:") as store:
        store.set_on_hand("HOT", 30, at=T0)
        wins: list[int] = []
        _run_threads(4, lambda n: wins.append(hammer(store, f"m{n}", 10)))
        assert sum(wins) == 30
        assert store.stock("HOT").reserved == 30
        assert check(store) == []


def _reserve_and_die(path: Path, step: str) -> None:
    """Reserve through the store, killing this process right after ``step``, before COMMIT."""
    original = getattr(SqlState, step)

    def die_after(self: SqlState, *args: Any) -> Any:
        result = original(self, *args)
        signal.raise_signal(signal.SIGKILL)
        return result

    setattr(SqlState, step, die_after)
    SQLiteStore(path).reserve("DOOMED", [Line("HOT", 3)], at=T0)


@pytest.mark.parametrize("step", ["take", "put_encoded_outcome"])
def test_a_process_killed_mid_reserve_leaves_no_trace_and_no_lock(
    tmp_path: Path, step: str
) -> None:
    path = tmp_path / "crash.sqlite3"
    with SQLiteStore(path) as store:
        store.set_on_hand("HOT", 10, at=T0)
        kept = store.reserve("KEPT", [Line("HOT", 2)], at=T0)
        before = (store.stocks(), store.journal())
    child = multiprocessing.get_context("spawn").Process(target=_reserve_and_die, args=(path, step))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == -signal.SIGKILL
    with SQLiteStore(path, timeout=5) as store:
        assert (store.stocks(), store.journal()) == before
        assert store.reservation("KEPT") == kept
        with pytest.raises(UnknownReservation):
            store.reservation("DOOMED")
        assert store.reserve("NEXT", [Line("HOT", 8)], at=T0).status is ReservationStatus.ACTIVE
        assert store.stock("HOT").reserved == 10
        assert check(store) == []


def test_a_refusal_after_some_lines_were_taken_reports_as_the_reference() -> None:
    def refuse(store: ReservationStore) -> tuple[tuple[Shortage, ...], ReservationStatus]:
        store.set_on_hand("A", 5, at=T0)
        store.set_on_hand("B", 1, at=T0)
        store.reserve("R0", [Line("A", 4)], at=T0, ttl=timedelta(minutes=1))
        with pytest.raises(InsufficientStock) as caught:
            store.reserve("R1", [Line("A", 3), Line("B", 2)], at=T0 + timedelta(minutes=2))
        return caught.value.shortages, store.reservation("R0").status

    with SQLiteStore(":memory:") as store:
        refused = refuse(store)
    assert refused == refuse(MemoryStore())
    assert refused == ((Shortage("B", "default", 2, 1),), ReservationStatus.ACTIVE)


@pytest.mark.parametrize(
    "lines",
    [
        [Line("A", 1), Line("B", 2), Line("C", 9)],
        [Line("A", 1), Line("B", 2), Line("F", 1)],
        [Line("D", 1), Line("C", 9)],
    ],
    ids=["short-after-taken", "frozen-after-taken", "first-short-and-never-counted"],
)
def test_every_refused_line_is_named_as_the_reference_names_it(lines: list[Line]) -> None:
    def refuse(store: ReservationStore) -> tuple[str, str]:
        for sku, on_hand in (("A", 5), ("B", 1), ("C", 3), ("F", 4)):
            store.set_on_hand(sku, on_hand, at=T0)
        store.freeze("F", at=T0)
        with pytest.raises(ReservationError) as caught:
            store.reserve("R1", lines, at=T0)
        assert check(store) == []
        return type(caught.value).__name__, str(caught.value)

    with SQLiteStore(":memory:") as store:
        assert refuse(store) == refuse(MemoryStore())


@pytest.mark.parametrize("count", [64, 65], ids=["rooms-read", "updates-decide"])
@pytest.mark.parametrize("frozen", [False, True], ids=["short", "frozen"])
def test_a_long_order_is_refused_and_held_as_the_reference(count: int, frozen: bool) -> None:
    """Up to 64 lines, the checks read every line's room; past that the updates decide."""
    lines = [Line(f"SKU-{n:03d}", 2) for n in range(count)]

    def outcomes(store: ReservationStore) -> tuple[str, Reservation]:
        for line in lines:
            store.set_on_hand(line.sku, 2, at=T0)
        store.set_on_hand("SKU-050", 1, at=T0)
        if frozen:
            store.freeze("SKU-060", at=T0)
        with pytest.raises(ReservationError) as caught:
            store.reserve("R1", lines, at=T0)
        assert check(store) == []
        held = store.reserve("R2", [x for x in lines if x.sku not in ("SKU-050", "SKU-060")], at=T0)
        return str(caught.value), held

    with SQLiteStore(":memory:") as store:
        assert outcomes(store) == outcomes(MemoryStore())


def test_a_refusal_the_checks_can_see_runs_no_update() -> None:
    statements: list[str] = []
    with SQLiteStore(":memory:") as store:
        store.set_on_hand("A", 5, at=T0)
        store.set_on_hand("B", 1, at=T0)
        store._db.set_trace_callback(statements.append)
        with pytest.raises(InsufficientStock):
            store.reserve("R1", [Line("A", 1), Line("B", 2)], at=T0)
        store._db.set_trace_callback(None)
        assert store.stock("A").reserved == 0
    assert statements[0] == "BEGIN IMMEDIATE"
    assert statements[-1] == "ROLLBACK"
    assert len(statements) == 3
    assert not [x for x in statements if x.startswith(("UPDATE", "INSERT"))]


def test_a_refusal_across_locations_reads_the_stock_of_each_line_s_own_location() -> None:
    def refuse(store: ReservationStore) -> str:
        for sku, location, on_hand in (
            ("A", "north", 5),
            ("A", "south", 1),
            ("B", "north", 2),
            ("B", "south", 30),
        ):
            store.set_on_hand(sku, on_hand, at=T0, location=location)
        with pytest.raises(InsufficientStock) as caught:
            store.reserve("R1", [Line("A", 9, "south"), Line("B", 9, "north")], at=T0)
        return str(caught.value)

    with SQLiteStore(":memory:") as store:
        message = refuse(store)
    assert message == refuse(MemoryStore())
    assert "requested 9, available 1" in message
    assert "requested 9, available 2" in message


def test_lines_naming_each_key_once_are_held_in_key_order_as_the_reference_holds_them() -> None:
    lines = [Line("B", 1), Line("A", 2, "x"), Line("A", 1)]

    def hold(store: ReservationStore) -> Reservation:
        for line in lines:
            store.set_on_hand(line.sku, 5, at=T0, location=line.location)
        return store.reserve("R1", lines, at=T0)

    with SQLiteStore(":memory:") as store:
        held = hold(store)
    assert held == hold(MemoryStore())
    assert [x.key for x in held.lines] == sorted(x.key for x in lines)


@pytest.mark.parametrize(("synchronous", "level"), [(None, 2), ("FULL", 2), ("NORMAL", 1)])
def test_synchronous_is_full_unless_normal_is_asked_for(
    tmp_path: Path, synchronous: Literal["FULL", "NORMAL"] | None, level: int
) -> None:
    path = tmp_path / "sync.sqlite3"
    opened = (
        SQLiteStore(path) if synchronous is None else SQLiteStore(path, synchronous=synchronous)
    )
    with opened as store:
        assert store._db.execute("PRAGMA synchronous").fetchone() == (level,)
        store.set_on_hand("A", 5, at=T0)
        held = store.reserve("R1", [Line("A", 2)], at=T0)
    with SQLiteStore(path) as store:
        assert store.reservation("R1") == held


def test_an_unknown_synchronous_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="synchronous"):
        SQLiteStore(tmp_path / "sync.sqlite3", synchronous="OFF")  # type: ignore[arg-type]


def test_a_writer_that_cannot_get_the_lock_in_time_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "busy.sqlite3"
    with SQLiteStore(path, timeout=0.05) as store:
        store.set_on_hand("A", 5, at=T0)
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            store.reserve("R1", [Line("A", 1)], at=T0)
        holder.execute("ROLLBACK")
        holder.close()
        assert store.stock("A").reserved == 0
        assert store.reserve("R1", [Line("A", 1)], at=T0).status is ReservationStatus.ACTIVE


def test_state_and_outcomes_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "durable.sqlite3"
    ttl = timedelta(minutes=5)
    with SQLiteStore(path) as store:
        store.set_on_hand("A", 5, at=T0)
        held = store.reserve("R1", [Line("A", 2)], at=T0, ttl=ttl)
        received = store.adjust("A", 1, at=T0, op_key="receipt-1")
        before = (store.stocks(), store.journal())
    with SQLiteStore(path) as store:
        assert (store.stocks(), store.journal()) == before
        assert store.reservation("R1") == held
        assert store.reserve("R1", [Line("A", 2)], at=T0, ttl=ttl) == held
        assert store.adjust("A", 1, at=T0, op_key="receipt-1") == received
        assert [r.reservation_id for r in store.expire(at=T0 + ttl)] == ["R1"]
        assert (store.stock("A").on_hand, store.stock("A").reserved) == (6, 0)


def test_the_database_itself_refuses_an_oversold_row_and_an_unknown_status(
    tmp_path: Path,
) -> None:
    path = tmp_path / "schema.sqlite3"
    with SQLiteStore(path) as store:
        store.set_on_hand("A", 5, at=T0)
        store.reserve("R1", [Line("A", 1)], at=T0)
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            db.execute("UPDATE stock SET reserved = on_hand + 1")
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            db.execute("UPDATE stock SET reserved = -1")
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            db.execute("UPDATE reservations SET status = 'lost'")
        for status in ReservationStatus:
            db.execute("UPDATE reservations SET status = ?", (status.value,))
    finally:
        db.rollback()
        db.close()


def test_outcomes_round_trip_through_json() -> None:
    with SQLiteStore(":memory:") as store:
        change = store.set_on_hand("A", 5, at=T0)
        store.set_on_hand("B", 1, at=T0, location="x")
        held = store.reserve("R1", [Line("B", 1, "x"), Line("A", 2)], at=T0, ttl=timedelta(1))
    assert decode_outcome(encode_outcome(change)) == change
    assert decode_outcome(encode_outcome(held)) == held
    with pytest.raises(TypeError, match="int"):
        encode_outcome(1)


def test_a_closed_store_refuses_to_work(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "closed.sqlite3") as store:
        store.set_on_hand("A", 5, at=T0)
    with pytest.raises(sqlite3.ProgrammingError):
        store.stock("A")
