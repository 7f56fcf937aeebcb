"""Lock semantics, the same for every provider: in-process, PostgreSQL and Redis."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest
from psycopg_pool import ConnectionPool

from orderkit.errors import InvalidRequest, LockTimeout, ReservationError
from orderkit.inventory import InProcessLocks, Lease, LockProvider
from orderkit.inventory._lock_postgres import PostgresAdvisoryLocks
from orderkit.inventory._lock_redis import RedisLocks

LONG = timedelta(seconds=30)
NOW = timedelta(0)

PROVIDERS = [
    pytest.param("in_process"),
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("redis", marks=pytest.mark.redis),
]


def _namespace() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


_ADDRESS_FIXTURE = {"postgres": "postgres_dsn", "redis": "redis_url"}


@dataclass(frozen=True)
class LockSpec:
    """Which lock provider to open; picklable, so other processes can open the same one."""

    kind: str
    address: str = ""
    namespace: str = field(default_factory=_namespace)

    def open(self) -> LockProvider:
        """A provider on this spec's server and namespace (in-process: a fresh one)."""
        if self.kind == "postgres":
            return PostgresAdvisoryLocks(self.address, schema=self.namespace)
        if self.kind == "redis":
            return RedisLocks(self.address, prefix=f"{self.namespace}:")
        return InProcessLocks()


def close(provider: LockProvider) -> None:
    """Close a provider's connections, if it has any."""
    if isinstance(provider, PostgresAdvisoryLocks | RedisLocks):
        provider.close()


@pytest.fixture(params=PROVIDERS)
def lock_spec(request: pytest.FixtureRequest) -> LockSpec:
    """Each kind of lock provider, in a namespace of its own."""
    kind: str = request.param
    fixture = _ADDRESS_FIXTURE.get(kind)
    return LockSpec(kind, "" if fixture is None else request.getfixturevalue(fixture))


@pytest.fixture
def locks(lock_spec: LockSpec) -> Iterator[LockProvider]:
    """A lock provider of each kind, isolated from every other test's locks."""
    provider = lock_spec.open()
    yield provider
    close(provider)


def _take(
    locks: LockProvider,
    name: str,
    owner: str = "a",
    *,
    ttl: timedelta = LONG,
    wait: timedelta = NOW,
) -> Lease:
    return locks.acquire(name, owner=owner, ttl=ttl, wait=wait)


def test_a_lock_excludes_other_threads(locks: LockProvider) -> None:
    threads, rounds = 8, 15
    guard, start = threading.Lock(), threading.Barrier(threads)
    inside, peak, counter = [0], [0], [0]

    def worker(n: int) -> None:
        start.wait()
        for _ in range(rounds):
            lease = _take(locks, "shared", f"worker-{n}", wait=LONG)
            with guard:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            value = counter[0]
            os.sched_yield()  # any thread the lock wrongly let in runs here
            counter[0] = value + 1
            with guard:
                inside[0] -= 1
            assert locks.release(lease)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert (peak[0], counter[0]) == (1, threads * rounds)


def test_a_taken_lock_times_out_with_a_typed_error(locks: LockProvider) -> None:
    held = _take(locks, "x", "a")
    with pytest.raises(LockTimeout) as caught:
        _take(locks, "x", "b", wait=timedelta(milliseconds=50))
    assert isinstance(caught.value, ReservationError)
    assert isinstance(caught.value, TimeoutError)
    assert (caught.value.name, caught.value.owner) == ("x", "b")
    assert locks.release(held)
    assert locks.release(_take(locks, "x", "b"))


def test_an_expired_lease_lets_another_owner_in_and_cannot_release_it(
    locks: LockProvider,
) -> None:
    old = _take(locks, "x", "a", ttl=timedelta(milliseconds=100))
    new = _take(locks, "x", "b", wait=timedelta(seconds=10))
    assert new.fencing > old.fencing
    assert not locks.release(old)
    with pytest.raises(LockTimeout):
        _take(locks, "x", "c")
    assert locks.release(new)


def test_fencing_tokens_strictly_increase(locks: LockProvider) -> None:
    tokens = []
    for owner in "abcde":
        lease = _take(locks, "x", owner)
        tokens.append(lease.fencing)
        locks.release(lease)
    assert tokens == sorted(set(tokens))


def test_a_lease_describes_its_grant_and_is_released_once(locks: LockProvider) -> None:
    before = datetime.now(UTC)
    lease = _take(locks, "x", "web-1", ttl=timedelta(seconds=5))
    other = _take(locks, "y", "web-1")
    assert (lease.name, lease.owner) == ("x", "web-1")
    assert lease.token != other.token
    assert (
        before + timedelta(seconds=5)
        <= lease.expires_at
        <= datetime.now(UTC) + timedelta(seconds=5)
    )
    assert not lease.expired(datetime.now(UTC))
    assert locks.release(lease)
    assert not locks.release(lease)
    assert locks.release(other)


def test_bad_timing_is_refused(locks: LockProvider) -> None:
    with pytest.raises(InvalidRequest):
        _take(locks, "x", ttl=NOW)
    with pytest.raises(InvalidRequest):
        _take(locks, "x", wait=timedelta(seconds=-1))


@pytest.mark.parametrize("lock_spec", PROVIDERS[1:], indirect=True)
def test_namespaces_do_not_share_locks(lock_spec: LockSpec) -> None:
    first, second = (replace(lock_spec, namespace=_namespace()).open() for _ in range(2))
    try:
        one, two = _take(first, "x"), _take(second, "x")
        assert first.release(one)
        assert second.release(two)
    finally:
        close(first)
        close(second)


@pytest.mark.postgres
def test_postgres_locks_borrow_a_pool_without_autocommit(postgres_dsn: str) -> None:
    with ConnectionPool(postgres_dsn, min_size=1, max_size=4, open=True) as pool:
        with PostgresAdvisoryLocks(pool, schema=_namespace()) as locks:
            held = _take(locks, "x")
            with pytest.raises(LockTimeout):
                _take(locks, "x", "b")
            assert locks.release(held)
            assert locks.release(_take(locks, "x", "b"))
        with pool.connection() as conn:
            row = conn.execute("SELECT current_setting('idle_session_timeout')").fetchone()
        assert row == ("0",)
        assert not pool.closed


@pytest.mark.redis
def test_redis_locks_borrow_a_client(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    with RedisLocks(client, prefix=f"{_namespace()}:") as locks:
        assert locks.release(_take(locks, "x"))
    assert client.ping()
    client.close()
