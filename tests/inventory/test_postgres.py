"""PostgresStore against the conformance suite, and what only a shared server can break.

Every store gets its own schema on the session's real server, dropped at the end.
"""

from __future__ import annotations

import functools
import random
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql
from psycopg.conninfo import make_conninfo

from orderkit.errors import (
    ConfigError,
    DuplicateOperation,
    InsufficientStock,
    ReservationError,
    SkuFrozen,
    UnknownReservation,
)
from orderkit.inventory import (
    Line,
    OversoldPolicy,
    PostgresStore,
    Reservation,
    ReservationStatus,
    check,
)
from orderkit.inventory._pg_apply import Recorded, Snapshot, apply
from orderkit.inventory._store import to_ms
from orderkit.testing.inventory import T0, ReservationStoreContract, StoreFactory

pytestmark = pytest.mark.postgres

LOCK_WAIT_SECONDS = 10.0


def _in(schema: str, text: str) -> sql.Composed:
    """A statement with ``{}`` naming ``schema``."""
    return sql.SQL(text).format(sql.Identifier(schema))


class Stores:
    """Opens stores on fresh schemas; :meth:`cleanup` closes them and drops the schemas."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.schemas: list[str] = []
        self.opened: list[PostgresStore] = []

    def schema(self) -> str:
        """A new schema name, dropped at cleanup."""
        name = f"orderkit_test_{uuid.uuid4().hex[:12]}"
        self.schemas.append(name)
        return name

    def open(self, schema: str | None = None) -> PostgresStore:
        """A store on ``schema``, or on a new one."""
        store = PostgresStore(self.dsn, schema=schema or self.schema())
        self.opened.append(store)
        return store

    def shared(self) -> StoreFactory:
        """A picklable factory of stores that all open one new schema."""
        return functools.partial(PostgresStore, self.dsn, schema=self.schema())

    def cleanup(self) -> None:
        """Close every store opened here and drop every schema named here."""
        for store in self.opened:
            store.close()
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            for name in self.schemas:
                conn.execute(_in(name, "DROP SCHEMA IF EXISTS {} CASCADE"))


@pytest.fixture
def stores(postgres_dsn: str) -> Iterator[Stores]:
    made = Stores(postgres_dsn)
    yield made
    made.cleanup()


@pytest.fixture
def admin(postgres_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        yield conn


class TestPostgresStore(ReservationStoreContract):
    """The shared contract, with 16 threads of 20 attempts on the hot SKU."""

    threads = 16
    attempts_per_thread = 20

    @pytest.fixture
    def store_factory(self, stores: Stores) -> StoreFactory:
        return stores.open

    @pytest.fixture
    def process_factory(self, stores: Stores) -> StoreFactory:
        return stores.shared()


def _blocked_by(admin: psycopg.Connection[Any], blocker: int) -> int:
    """The backend waiting for a lock that ``blocker`` holds (bounded polling)."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while time.monotonic() < deadline:
        row = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", (blocker,)
        ).fetchone()
        if row is not None:
            return int(row[0])
        time.sleep(0.01)
    pytest.fail(f"no backend waited on backend {blocker} within {LOCK_WAIT_SECONDS} s")


def test_killed_connections_leave_no_phantom_or_lost_reservation(
    stores: Stores, admin: psycopg.Connection[Any]
) -> None:
    store = stores.open()
    store.set_on_hand("A", 10, at=T0)
    store.set_on_hand("B", 5, at=T0)
    outsider = psycopg.connect(stores.dsn)
    outsider.execute(
        _in(
            store.schema,
            "UPDATE {}.stock SET reserved = reserved + 2 WHERE sku = 'B'"
            " AND location = 'default' AND NOT frozen AND on_hand - reserved >= 2",
        )
    )
    failures: list[BaseException] = []

    def reserve() -> None:
        try:
            store.reserve("R1", [Line("B", 1), Line("A", 3)], at=T0)
        except psycopg.OperationalError as error:
            failures.append(error)

    thread = threading.Thread(target=reserve)
    thread.start()
    mid_reserve = _blocked_by(admin, outsider.info.backend_pid)
    admin.execute("SELECT pg_terminate_backend(%s)", (mid_reserve,))
    thread.join()
    admin.execute("SELECT pg_terminate_backend(%s)", (outsider.info.backend_pid,))
    outsider.close()

    assert len(failures) == 1
    assert [(s.sku, s.reserved) for s in store.stocks()] == [("A", 0), ("B", 0)]
    assert [e.kind.value for e in store.journal()] == ["set_on_hand", "set_on_hand"]
    with pytest.raises(UnknownReservation):
        store.reservation("R1")
    retried = store.reserve("R1", [Line("B", 1), Line("A", 3)], at=T0)
    assert store.reserve("R1", [Line("A", 3), Line("B", 1)], at=T0) == retried
    assert [(s.sku, s.reserved) for s in store.stocks()] == [("A", 3), ("B", 1)]
    assert check(store) == []


def test_stores_on_different_schemas_do_not_see_each_other(stores: Stores) -> None:
    left, right = stores.open(), stores.open()
    left.set_on_hand("A", 10, at=T0)
    left.reserve("R1", [Line("A", 4)], at=T0)
    assert right.stock("A").on_hand == 0
    assert right.stocks() == []
    assert right.journal() == []
    with pytest.raises(UnknownReservation):
        right.reservation("R1")
    right.set_on_hand("A", 1, at=T0)
    assert right.reserve("R1", [Line("A", 1)], at=T0).lines == (Line("A", 1),)
    assert (left.stock("A").reserved, right.stock("A").reserved) == (4, 1)
    assert [e.seq for e in left.journal()] == [e.seq for e in right.journal()] == [1, 2]


def test_a_second_store_on_one_schema_shares_its_data(stores: Stores) -> None:
    first = stores.open()
    first.set_on_hand("A", 10, at=T0)
    second = stores.open(first.schema)
    assert second.migrate() == first.migrate() == PostgresStore.SCHEMA_VERSION
    second.reserve("R1", [Line("A", 4)], at=T0)
    assert first.stock("A").reserved == 4
    assert first.reservation("R1") == second.reservation("R1")


def test_stores_opening_a_new_schema_together_create_it_once(stores: Stores) -> None:
    schema, openers = stores.schema(), 6
    barrier = threading.Barrier(openers)
    opened: list[PostgresStore] = []

    def open_() -> None:
        barrier.wait()
        opened.append(stores.open(schema))

    threads = [threading.Thread(target=open_) for _ in range(openers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(opened) == openers
    opened[0].set_on_hand("A", 1, at=T0)
    assert [s.stock("A").on_hand for s in opened] == [1] * openers


def test_migrate_records_versions_and_refuses_newer_schemas(
    stores: Stores, admin: psycopg.Connection[Any]
) -> None:
    store = stores.open()
    versions = _in(store.schema, "SELECT version FROM {}.schema_version ORDER BY version")
    applied = [(v,) for v in range(1, PostgresStore.SCHEMA_VERSION + 1)]
    assert admin.execute(versions).fetchall() == applied
    admin.execute(
        _in(store.schema, "INSERT INTO {}.schema_version (version) VALUES (%s)"),
        (PostgresStore.SCHEMA_VERSION + 1,),
    )
    with pytest.raises(ConfigError, match="newer"):
        store.migrate()
    with pytest.raises(ConfigError, match="newer"):
        stores.open(store.schema)


def test_a_schema_name_that_needs_quoting_is_used_exactly_as_given(
    stores: Stores, admin: psycopg.Connection[Any]
) -> None:
    name = f'Lager "Nord" 库存 {uuid.uuid4().hex[:6]}'
    stores.schemas.append(name)
    store = stores.open(name)
    store.set_on_hand("A", 3, at=T0)
    store.reserve("R1", [Line("A", 2)], at=T0)
    with pytest.raises(InsufficientStock):
        store.reserve("R2", [Line("A", 2)], at=T0)
    store.release("R1", at=T0)
    assert store.stock("A").reserved == 0
    assert [e.kind.value for e in store.journal()] == ["set_on_hand", "reserve", "release"]
    found = admin.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", (name,)
    ).fetchone()
    assert found is not None
    assert found[0] > 0


def test_bad_settings_are_refused(postgres_dsn: str) -> None:
    with pytest.raises(ConfigError):
        PostgresStore(postgres_dsn, schema="")
    with pytest.raises(ConfigError):
        PostgresStore(postgres_dsn, pool_size=0)


def test_the_table_itself_refuses_an_oversell(
    stores: Stores, admin: psycopg.Connection[Any]
) -> None:
    store = stores.open()
    store.set_on_hand("A", 3, at=T0)
    with pytest.raises(errors.CheckViolation):
        admin.execute(_in(store.schema, "UPDATE {}.stock SET reserved = 4 WHERE sku = 'A'"))
    assert store.stock("A").reserved == 0


def test_a_version_1_schema_is_upgraded_in_place(
    stores: Stores, admin: psycopg.Connection[Any]
) -> None:
    old = stores.open()
    old.set_on_hand("A", 5, at=T0)
    old.reserve("R1", [Line("A", 2)], at=T0)
    old.close()
    admin.execute(_in(old.schema, "DROP FUNCTION {}.apply_operation"))
    admin.execute(_in(old.schema, "DELETE FROM {}.schema_version WHERE version > 1"))
    upgraded = stores.open(old.schema)
    assert upgraded.reserve("R2", [Line("A", 3)], at=T0).status is ReservationStatus.ACTIVE
    versions = admin.execute(_in(old.schema, "SELECT version FROM {}.schema_version"))
    assert sorted(versions.fetchall()) == [(v,) for v in range(1, PostgresStore.SCHEMA_VERSION + 1)]
    assert [e.kind.value for e in upgraded.journal()] == ["set_on_hand", "reserve", "reserve"]
    assert check(upgraded) == []


def test_pooled_connections_the_server_closed_are_replaced_unseen(
    stores: Stores, admin: psycopg.Connection[Any]
) -> None:
    name = f"orderkit-test-{uuid.uuid4().hex[:12]}"
    store = PostgresStore(make_conninfo(stores.dsn, application_name=name), schema=stores.schema())
    stores.opened.append(store)
    store.set_on_hand("A", 5, at=T0)
    ours = "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
    assert admin.execute(ours, (name,)).fetchall()
    admin.execute("SELECT pg_terminate_backend(pid) FROM (" + ours + ") AS idle", (name,))
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while admin.execute(ours, (name,)).fetchall():
        assert time.monotonic() < deadline, "the terminated backends did not exit"
        time.sleep(0.01)
    assert store.reserve("R1", [Line("A", 2)], at=T0).status is ReservationStatus.ACTIVE
    assert store.stock("A").reserved == 2


def test_a_release_racing_a_change_it_did_not_read_applies_to_the_change(
    stores: Stores, admin: psycopg.Connection[Any]
) -> None:
    store = stores.open()
    store.set_on_hand("A", 5, at=T0)
    store.reserve("R1", [Line("A", 2)], at=T0)
    later = int((T0 + timedelta(hours=1)).timestamp() * 1000)
    outsider = psycopg.connect(stores.dsn)
    outsider.execute(
        _in(
            store.schema,
            "UPDATE {}.reservations SET expires_at_ms = %(at)s,"
            " reservation = jsonb_set(reservation, '{{expires_at_ms}}', to_jsonb(%(at)s))"
            " WHERE reservation_id = 'R1'",
        ),
        {"at": later},
    )
    released: list[Reservation] = []
    thread = threading.Thread(target=lambda: released.append(store.release("R1", at=T0)))
    thread.start()
    _blocked_by(admin, outsider.info.backend_pid)
    outsider.commit()
    outsider.close()
    thread.join()

    assert [(r.status, r.expires_at_ms) for r in released] == [(ReservationStatus.RELEASED, later)]
    assert store.reservation("R1") == released[0]
    assert store.stock("A").reserved == 0
    assert [e.kind.value for e in store.journal()] == ["set_on_hand", "reserve", "release"]


def test_stock_taken_after_a_reserve_read_it_is_refused_with_nothing_held(
    stores: Stores, admin: psycopg.Connection[Any]
) -> None:
    store = stores.open()
    store.set_on_hand("A", 5, at=T0)
    store.set_on_hand("B", 5, at=T0)
    outsider = psycopg.connect(stores.dsn)
    outsider.execute(_in(store.schema, "UPDATE {}.stock SET reserved = 5 WHERE sku = 'B'"))
    refused: list[InsufficientStock] = []

    def reserve() -> None:
        try:
            store.reserve("R1", [Line("A", 1), Line("B", 1)], at=T0)
        except InsufficientStock as error:
            refused.append(error)

    thread = threading.Thread(target=reserve)
    thread.start()
    _blocked_by(admin, outsider.info.backend_pid)
    outsider.commit()
    outsider.close()
    thread.join()

    assert [[(s.sku, s.requested, s.available) for s in e.shortages] for e in refused] == [
        [("B", 1, 0)]
    ]
    assert [(s.sku, s.reserved) for s in store.stocks()] == [("A", 0), ("B", 5)]
    with pytest.raises(UnknownReservation):
        store.reservation("R1")
    assert [e.kind.value for e in store.journal()] == ["set_on_hand", "set_on_hand"]


def test_a_missing_journal_head_refuses_every_write(
    stores: Stores, admin: psycopg.Connection[Any]
) -> None:
    store = stores.open()
    store.set_on_hand("A", 5, at=T0)
    admin.execute(_in(store.schema, "DELETE FROM {}.journal_head"))
    with pytest.raises(ConfigError, match="journal_head"):
        store.reserve("R1", [Line("A", 1)], at=T0)
    with pytest.raises(ConfigError, match="journal_head"):
        store.set_on_hand("A", 6, at=T0)
    assert store.stock("A") == store.stocks()[0]
    assert (store.stock("A").on_hand, store.stock("A").reserved) == (5, 0)


def test_apply_operation_leaves_other_isolation_levels_to_the_general_path(
    stores: Stores, admin: psycopg.Connection[Any]
) -> None:
    store = stores.open()
    with admin.transaction():
        admin.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        said = admin.execute(
            _in(
                store.schema,
                "SELECT {}.apply_operation('k', 'print', '{{}}', NULL, '{{}}', '{{}}',"
                " '{{}}', '{{}}', '{{}}', '{{}}', NULL, NULL)",
            )
        ).fetchone()
    assert said == (["general"],)
    assert _count(admin, store.schema, "operations") == 0


def _reserve_once(
    conn: psycopg.Connection[Any],
    store: PostgresStore,
    reservation_id: str,
    lines: list[Line],
    *,
    minutes: int = 0,
    ttl_ms: int | None = None,
) -> Reservation | None:
    """A reserve in one ``apply_operation`` call; ``None`` if it is left to the general path."""
    at_ms = to_ms(T0 + timedelta(minutes=minutes))
    key = f"reserve:{reservation_id}"
    recorded = Recorded.run(
        lambda ledger: ledger.reserve(reservation_id, lines, at_ms, ttl_ms, key), Snapshot()
    )
    return apply(conn, store.schema, recorded)


def _count(conn: psycopg.Connection[Any], schema: str, table: str) -> int:
    row = conn.execute(
        sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_apply_operation_refuses_and_replays_reserves_itself_and_writes_nothing(
    stores: Stores, admin: psycopg.Connection[Any]
) -> None:
    store = stores.open()
    store.set_on_hand("A", 5, at=T0)
    store.set_on_hand("B", 1, at=T0)
    with pytest.raises(InsufficientStock) as short:
        _reserve_once(admin, store, "R1", [Line("B", 2), Line("A", 6), Line("C", 1)])
    assert [(s.sku, s.requested, s.available) for s in short.value.shortages] == [
        ("A", 6, 5),
        ("B", 2, 1),
        ("C", 1, 0),
    ]
    assert _count(admin, store.schema, "operations") == 0
    assert _count(admin, store.schema, "reservations") == 0

    held = _reserve_once(admin, store, "R1", [Line("A", 2), Line("B", 1)])
    assert held is not None
    assert held == store.reservation("R1")
    assert _reserve_once(admin, store, "R1", [Line("B", 1), Line("A", 2)]) == held
    with pytest.raises(DuplicateOperation):
        _reserve_once(admin, store, "R1", [Line("A", 1)])
    store.freeze("A", at=T0)
    with pytest.raises(SkuFrozen):
        _reserve_once(admin, store, "R2", [Line("A", 1)])
    assert [(s.sku, s.reserved) for s in store.stocks()] == [("A", 2), ("B", 1)]
    assert [e.kind.value for e in store.journal()] == [
        "set_on_hand",
        "set_on_hand",
        "reserve",
        "freeze",
    ]
    assert check(store) == []


def test_apply_operation_leaves_a_reserve_on_keys_with_due_reservations_to_the_general_path(
    stores: Stores, admin: psycopg.Connection[Any]
) -> None:
    store = stores.open()
    store.set_on_hand("A", 5, at=T0)
    store.set_on_hand("B", 5, at=T0)
    store.reserve("R1", [Line("A", 4)], at=T0, ttl=timedelta(minutes=1))
    assert _reserve_once(admin, store, "R2", [Line("B", 1), Line("A", 1)], minutes=2) is None
    assert _reserve_once(admin, store, "R3", [Line("A", 2)], minutes=2) is None
    assert _count(admin, store.schema, "operations") == 1
    assert store.reserve("R3", [Line("A", 2)], at=T0 + timedelta(minutes=2)).lines == (
        Line("A", 2),
    )
    assert store.reservation("R1").status is ReservationStatus.EXPIRED
    assert [(s.sku, s.reserved) for s in store.stocks()] == [("A", 2), ("B", 0)]
    assert check(store) == []


def test_keys_that_need_quoting_go_through_apply_operation(
    stores: Stores, admin: psycopg.Connection[Any]
) -> None:
    store = stores.open()
    keys = [
        ('a"b', "default"),
        ("c\\d", "x,y"),
        ("{e}", "NULL"),
        (" f ", "été"),
    ]
    for sku, location in keys:
        store.set_on_hand(sku, 3, at=T0, location=location)
    lines = [Line(sku, 2, location) for sku, location in keys]
    held = _reserve_once(admin, store, "R1", lines, ttl_ms=60_000)
    assert held is not None
    assert held == store.reservation("R1")
    indexed = admin.execute(
        _in(store.schema, "SELECT sku, location FROM {}.reservation_lines ORDER BY sku, location")
    ).fetchall()
    assert indexed == sorted(keys)
    assert {(s.sku, s.location): s.reserved for s in store.stocks()} == dict.fromkeys(keys, 2)
    store.release("R1", at=T0)
    assert {(s.sku, s.location): s.reserved for s in store.stocks()} == dict.fromkeys(keys, 0)
    assert check(store) == []


def _churn(store: PostgresStore, worker: int, steps: int) -> list[str]:
    """Random multi-line orders, cancels, shipments, expiries, freezes and counts.

    Returns the reservation ids it tried.
    """
    rng = random.Random(worker)
    keys = [(sku, location) for sku in "ABCD" for location in ("east", "west")]
    ids: list[str] = []
    for step in range(steps):
        at = T0 + timedelta(minutes=step)
        roll = rng.random()
        try:
            if roll < 0.55:
                rid = f"w{worker}-{step}"
                ids.append(rid)
                picked = rng.sample(keys, rng.randint(1, 4))
                lines = [Line(sku, rng.randint(1, 3), location) for sku, location in picked]
                ttl = rng.choice([None, timedelta(minutes=2)])
                store.reserve(rid, lines, at=at, ttl=ttl)
            elif roll < 0.7 and ids:
                store.release(rng.choice(ids), at=at)
            elif roll < 0.8 and ids:
                store.commit(rng.choice(ids), at=at)
            elif roll < 0.88:
                store.expire(at=at)
            elif roll < 0.92:
                sku, location = rng.choice(keys)
                toggle = store.freeze if rng.random() < 0.5 else store.unfreeze
                toggle(sku, at=at, location=location)
            else:
                sku, location = rng.choice(keys)
                policy = rng.choice(list(OversoldPolicy))
                store.set_on_hand(
                    sku, rng.randint(0, 12), at=at, location=location, oversold=policy
                )
        except ReservationError:
            continue
    return ids


def test_mixed_concurrent_work_keeps_counters_journal_and_holds_in_step(
    stores: Stores,
) -> None:
    store = stores.open()
    for sku in "ABCD":
        for location in ("east", "west"):
            store.set_on_hand(sku, 10, at=T0, location=location)
    workers, steps = 8, 40
    barrier = threading.Barrier(workers)
    tried: list[str] = []
    crashes: list[BaseException] = []

    def work(n: int) -> None:
        barrier.wait()
        try:
            tried.extend(_churn(store, n, steps))
        except BaseException as error:
            crashes.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert crashes == []
    entries = store.journal()
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert check(store) == []
    held: dict[tuple[str, str], int] = {}
    for rid in tried:
        try:
            reservation: Reservation = store.reservation(rid)
        except UnknownReservation:
            continue
        if reservation.status is ReservationStatus.ACTIVE:
            for key, quantity in reservation.remaining().items():
                held[key] = held.get(key, 0) + quantity
    assert {s.key: s.reserved for s in store.stocks() if s.reserved} == held
    assert all(0 <= s.reserved <= s.on_hand for s in store.stocks())
