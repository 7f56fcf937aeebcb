"""RedisStore on a real Redis server: the contract, plus what Lua scripts must guarantee."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
import redis
from redis.crc import key_slot

from orderkit.errors import (
    DuplicateOperation,
    ExceedsReservation,
    InsufficientStock,
    InvalidRequest,
    OnHandBelowReserved,
    ReservationError,
    Shortage,
    SkuFrozen,
)
from orderkit.inventory import Line, MemoryStore, ReservationStatus, ReservationStore, check
from orderkit.inventory._redis import RedisStore
from orderkit.testing.inventory import T0, ReservationStoreContract, StoreFactory, hammer

pytestmark = pytest.mark.redis

NewNamespace = Callable[[], str]


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    with redis.Redis.from_url(redis_url) as client:
        yield client


@pytest.fixture
def new_namespace(client: redis.Redis) -> Iterator[NewNamespace]:
    """Hand out unique namespaces; delete every key written under them afterwards."""
    made: list[str] = []

    def new() -> str:
        made.append(f"test-{uuid.uuid4().hex}")
        return made[-1]

    yield new
    for namespace in made:
        keys = list(client.scan_iter(match=f"{{{namespace}}}:*"))
        if keys:
            client.delete(*keys)


@pytest.fixture
def store(client: redis.Redis, new_namespace: NewNamespace) -> RedisStore:
    return RedisStore(client, namespace=new_namespace())


class TestRedisStore(ReservationStoreContract):
    """Every contract test, 16 threads x 20 attempts on the hot SKU, 4 spawned processes."""

    threads = 16
    attempts_per_thread = 20

    @pytest.fixture
    def store_factory(self, client: redis.Redis, new_namespace: NewNamespace) -> StoreFactory:
        return lambda: RedisStore(client, namespace=new_namespace())

    @pytest.fixture
    def process_factory(self, redis_url: str, new_namespace: NewNamespace) -> StoreFactory:
        return partial(RedisStore, redis_url, namespace=new_namespace())


def _run_threads(count: int, target: Callable[[int], None]) -> None:
    barrier = threading.Barrier(count)

    def start(n: int) -> None:
        barrier.wait()
        target(n)

    threads = [threading.Thread(target=start, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _snapshot(client: redis.Redis, namespace: str) -> dict[Any, Any]:
    """Every key of a namespace with its serialized value."""
    return {key: client.dump(key) for key in client.scan_iter(match=f"{{{namespace}}}:*")}


def test_multi_line_reservations_from_threads_hold_all_lines_or_none(store: RedisStore) -> None:
    store.set_on_hand("HOT", 100, at=T0)
    store.set_on_hand("COLD", 60, at=T0)
    wins: list[int] = []

    def worker(n: int) -> None:
        lines = [Line("HOT", 1), Line("COLD", 1)][:: 1 if n % 2 else -1]
        for i in range(20):
            try:
                store.reserve(f"t{n}-{i}", lines, at=T0)
            except InsufficientStock:
                continue
            wins.append(i)

    _run_threads(16, worker)
    assert len(wins) == 60
    assert store.stock("HOT").reserved == store.stock("COLD").reserved == 60
    assert check(store) == []


def test_one_reservation_under_competing_keys_is_held_once(store: RedisStore) -> None:
    store.set_on_hand("A", 50, at=T0)
    outcomes: list[object] = []

    def worker(n: int) -> None:
        try:
            outcomes.append(store.reserve("R1", [Line("A", 5)], at=T0, op_key=f"client-{n}"))
        except DuplicateOperation as refused:
            outcomes.append(type(refused))

    _run_threads(8, worker)
    assert outcomes.count(DuplicateOperation) == 7
    assert store.stock("A").reserved == 5
    assert [e.kind.value for e in store.journal()] == ["set_on_hand", "reserve"]


def test_refusals_write_nothing_not_even_lazy_expiry(
    client: redis.Redis, store: RedisStore
) -> None:
    store.set_on_hand("A", 5, at=T0)
    store.set_on_hand("B", 1, at=T0)
    store.reserve("OLD", [Line("A", 2)], at=T0, ttl=timedelta(minutes=1))
    store.reserve("SHIP", [Line("B", 1)], at=T0)
    later = T0 + timedelta(minutes=5)
    before = _snapshot(client, store.namespace)

    with pytest.raises(InsufficientStock) as caught:
        store.reserve("NEW", [Line("A", 4), Line("B", 1)], at=later)
    assert caught.value.shortages == (Shortage("B", "default", 1, 0),)
    assert _snapshot(client, store.namespace) == before

    refusals: list[tuple[type[ReservationError], Callable[[], object]]] = [
        (
            ExceedsReservation,
            lambda: store.commit("SHIP", at=later, lines=[Line("B", 2)], op_key="p"),
        ),
        (OnHandBelowReserved, lambda: store.set_on_hand("B", 0, at=later, op_key="count-1")),
        (DuplicateOperation, lambda: store.reserve("SHIP", [Line("A", 1)], at=later, op_key="k")),
    ]
    for error, refused in refusals:
        with pytest.raises(error):
            refused()
        assert _snapshot(client, store.namespace) == before
    store.freeze("B", at=T0)
    frozen = _snapshot(client, store.namespace)
    with pytest.raises(SkuFrozen):
        store.reserve("NEW", [Line("A", 4), Line("B", 1)], at=later)
    assert _snapshot(client, store.namespace) == frozen
    assert store.reservation("OLD").status is ReservationStatus.ACTIVE


class CountingRedis(redis.Redis):
    """A client that counts the commands it sends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: Counter[str] = Counter()

    def execute_command(self, *args: Any, **options: Any) -> Any:
        self.sent[str(args[0])] += 1
        return super().execute_command(*args, **options)  # type: ignore[no-untyped-call]


def test_scripts_are_loaded_once_then_run_by_sha(
    redis_url: str, new_namespace: NewNamespace
) -> None:
    with CountingRedis.from_url(redis_url) as client:
        assert isinstance(client, CountingRedis)
        client.script_flush()
        for store in (RedisStore(client, namespace=new_namespace()) for _ in range(2)):
            store.set_on_hand("A", 50, at=T0)
            for i in range(10):
                store.reserve(f"R{i}", [Line("A", 1)], at=T0)
                store.release(f"R{i}", at=T0)
        operations = 2 * 21
        assert client.sent["SCRIPT LOAD"] == 3
        assert client.sent["EVALSHA"] == operations + client.sent["SCRIPT LOAD"]
        assert set(client.sent) == {"SCRIPT FLUSH", "SCRIPT LOAD", "EVALSHA"}


def test_namespaces_are_isolated(redis_url: str, new_namespace: NewNamespace) -> None:
    with (
        RedisStore(redis_url, namespace=new_namespace()) as east,
        RedisStore(redis_url, namespace=new_namespace()) as west,
    ):
        east.set_on_hand("A", 5, at=T0)
        west.set_on_hand("A", 7, at=T0)
        east.reserve("R1", [Line("A", 5)], at=T0)
        west.reserve("R1", [Line("A", 2)], at=T0)
        west.freeze("A", at=T0)
        assert (east.stock("A").available, east.stock("A").frozen) == (0, False)
        assert (west.stock("A").reserved, west.stock("A").frozen) == (2, True)
        assert east.reservation("R1").lines == (Line("A", 5),)
        assert [e.seq for e in east.journal()] == [1, 2]
        assert [e.seq for e in west.journal()] == [1, 2, 3]
        assert check(east) == check(west) == []


def test_every_key_of_a_store_lies_in_one_cluster_slot(
    client: redis.Redis, store: RedisStore
) -> None:
    store.set_on_hand("A", 5, at=T0)
    store.set_on_hand("B", 5, at=T0, location="hangzhou")
    store.reserve("R1", [Line("A", 1), Line("B", 1, "hangzhou")], at=T0, ttl=timedelta(hours=1))
    store.adjust("A", 1, at=T0, op_key="receipt")
    keys = list(client.scan_iter(match=f"{{{store.namespace}}}:*"))
    assert len(keys) == 8
    assert {key_slot(key) for key in keys} == {key_slot(store.namespace.encode())}


def test_a_client_decoding_responses_reads_the_same(
    redis_url: str, new_namespace: NewNamespace
) -> None:
    with redis.Redis.from_url(redis_url, decode_responses=True) as text_client:
        store = RedisStore(text_client, namespace=new_namespace())
        store.set_on_hand("茶-01", 3, at=T0, location="杭州")
        held = store.reserve("SO/1", [Line("茶-01", 2, "杭州")], at=T0)
        assert store.reservation("SO/1") == held
        with pytest.raises(InsufficientStock, match="requested 2, available 1"):
            store.reserve("SO/2", [Line("茶-01", 2, "杭州")], at=T0)
        assert [s.key for s in store.stocks()] == [("茶-01", "杭州")]
        assert check(store) == []


def test_a_retried_reserve_returns_its_first_outcome_after_later_changes(
    store: RedisStore,
) -> None:
    store.set_on_hand("A", 5, at=T0)
    first = store.reserve("R1", [Line("A", 2)], at=T0, ttl=timedelta(minutes=5))
    store.release("R1", at=T0)
    again = store.reserve(
        "R1", [Line("A", 2)], at=T0 + timedelta(minutes=1), ttl=timedelta(minutes=5)
    )
    assert again == first
    assert store.reservation("R1").status is ReservationStatus.RELEASED


def _outcomes(target: ReservationStore) -> list[object]:
    """The results, or refusal messages, of a fixed run over SKUs and locations to escape."""
    skus = ["🍵-01", 'quo"te', "back\\slash", "new\nline", "slash/x", "ctl\x01"]
    later = T0 + timedelta(minutes=5)
    calls: list[Callable[[], object]] = []
    for n, sku in enumerate(skus):
        place = ("default", "杭州", 'lo"c')[n % 3]
        calls += [
            partial(target.set_on_hand, sku, 2**52, at=T0, location=place),
            partial(target.reserve, f"R{n}", [Line(sku, 2**51, place)], at=T0, ttl=later - T0),
            partial(target.reserve, f"S{n}", [Line(sku, 2**51 + 1, place)], at=T0),
            partial(target.commit, f"R{n}", at=T0, lines=[Line(sku, 1, place)], op_key=f"p{n}"),
            partial(target.freeze, sku, at=T0, location=place),
            partial(target.reserve, f"F{n}", [Line(sku, 1, place)], at=later),
        ]
    calls += [partial(target.expire, at=later), target.stocks, target.journal]
    outcomes: list[object] = []
    for call in calls:
        try:
            outcomes.append(call())
        except ReservationError as refused:
            outcomes.append(str(refused))
    return outcomes


def test_escaped_text_and_large_counts_read_back_like_the_reference(store: RedisStore) -> None:
    """Requests travel as JSON and the scripts write their results as JSON text."""
    assert _outcomes(store) == _outcomes(MemoryStore())
    assert check(store) == []


def test_journal_reads_back_in_pages(store: RedisStore) -> None:
    for i in range(1100):
        store.adjust("A", 1, at=T0, op_key=f"receipt-{i}")
    entries = store.journal()
    assert [e.seq for e in entries] == list(range(1, 1101))
    assert store.journal(after=1000) == entries[1000:]
    assert store.stock("A").on_hand == 1100


def test_bad_namespaces_and_inexact_integers_are_refused(
    client: redis.Redis, store: RedisStore
) -> None:
    with pytest.raises(InvalidRequest):
        RedisStore(client, namespace="a{b}")
    with pytest.raises(InvalidRequest):
        store.set_on_hand("A", 2**53, at=T0)
    with pytest.raises(InvalidRequest):
        store.reserve("R1", [Line("A", 2**60)], at=T0)
    assert store.journal() == []


def test_threads_each_with_their_own_store_never_oversell(
    redis_url: str, new_namespace: NewNamespace
) -> None:
    namespace = new_namespace()
    with RedisStore(redis_url, namespace=namespace) as store:
        store.set_on_hand("HOT", 100, at=T0)
    wins: list[int] = []

    def worker(n: int) -> None:
        with RedisStore(redis_url, namespace=namespace) as own:
            wins.append(hammer(own, f"c{n}", 25))

    _run_threads(8, worker)
    with RedisStore(redis_url, namespace=namespace) as store:
        assert sum(wins) == 100
        assert store.stock("HOT").reserved == 100
        assert check(store) == []
