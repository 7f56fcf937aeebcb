"""The bare-client floors and the lock-then-check peer for ``benchmarks/inventory.py``.

Each floor issues the same conditional update as the orderkit backend, on a stock table
of the same shape (a row per SKU and location, with its frozen flag and the time of its
last change), in a loop, with no journal, no idempotency record and no reservation
row: the cost of the atomic primitive alone. The lock-then-check peer works on the same
table.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.inventory_run import AT, Result, Workload, measure

__all__ = ["lock_then_check", "postgres_floor", "redis_floor", "sqlite_floor"]

_TABLE = (
    "CREATE TABLE stock (sku TEXT NOT NULL, location TEXT NOT NULL, on_hand INT NOT NULL,"
    " reserved INT NOT NULL, frozen BOOLEAN NOT NULL, updated_at_ms BIGINT NOT NULL,"
    " PRIMARY KEY (sku, location), CHECK (0 <= reserved AND reserved <= on_hand))"
)
_FILL = "INSERT INTO stock VALUES ({p}, 'default', {p}, 0, FALSE, 0)"
_TAKE = (
    "UPDATE stock SET reserved = reserved + 1, updated_at_ms = {p}"
    " WHERE sku = {p} AND location = 'default' AND NOT frozen AND on_hand - reserved >= 1"
)
_SUM = "SELECT sum(reserved) FROM stock"
_AT_MS = int(AT.timestamp() * 1000)


def _per_thread(connect: Callable[[], Any]) -> Callable[[], Any]:
    local = threading.local()

    def connection() -> Any:
        if not hasattr(local, "connection"):
            local.connection = connect()
        return local.connection

    return connection


def sqlite_floor(workload: Workload) -> Result:
    """``BEGIN IMMEDIATE``, one conditional UPDATE per line, ``COMMIT``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "floor.sqlite3"
        setup = sqlite3.connect(path, isolation_level=None)
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute(_TABLE)
        setup.executemany(_FILL.format(p="?"), workload.stock().items())
        connection = _per_thread(
            lambda: sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
        )
        take = _TAKE.format(p="?")

        def attempt(n: int, basket: list[str]) -> bool:
            db = connection()
            db.execute("BEGIN IMMEDIATE")
            for sku in sorted(basket):
                if db.execute(take, (_AT_MS, sku)).rowcount == 0:
                    db.execute("ROLLBACK")
                    return False
            db.execute("COMMIT")
            return True

        result = measure(attempt, workload, lambda: int(setup.execute(_SUM).fetchone()[0]))
        setup.close()
        return result


def _postgres_table(dsn: str, workload: Workload) -> tuple[Any, str]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    setup = psycopg.connect(dsn, autocommit=True)
    setup.execute(f"CREATE SCHEMA {schema}")
    setup.execute(f"SET search_path = {schema}")
    setup.execute(_TABLE)
    setup.execute("CREATE TABLE reservation (id TEXT, sku TEXT, quantity INT)")
    with setup.cursor() as cursor:
        cursor.executemany(_FILL.format(p="%s"), list(workload.stock().items()))
    return setup, schema


def _postgres_attempts(
    dsn: str, workload: Workload, body: Callable[[Any, int, list[str]], bool]
) -> Result:
    import psycopg

    setup, schema = _postgres_table(dsn, workload)
    connection = _per_thread(lambda: psycopg.connect(dsn, options=f"-c search_path={schema}"))

    def attempt(n: int, basket: list[str]) -> bool:
        db = connection()
        with db.transaction():
            won = body(db, n, sorted(basket))
            if not won:
                raise psycopg.Rollback
        return won

    try:
        return measure(attempt, workload, lambda: int(setup.execute(_SUM).fetchone()[0]))
    finally:
        setup.execute(f"DROP SCHEMA {schema} CASCADE")
        setup.close()


def postgres_floor(dsn: str) -> Callable[[Workload], Result]:
    """One transaction per attempt, one conditional UPDATE per line."""
    take = _TAKE.format(p="%s")

    def body(db: Any, n: int, basket: list[str]) -> bool:
        return all(db.execute(take, (_AT_MS, sku)).rowcount == 1 for sku in basket)

    return lambda workload: _postgres_attempts(dsn, workload, body)


def lock_then_check(dsn: str) -> Callable[[Workload], Result]:
    """The peer pattern: ``SELECT ... FOR UPDATE``, check in Python, UPDATE, INSERT."""

    def body(db: Any, n: int, basket: list[str]) -> bool:
        rows = db.execute(
            "SELECT sku, on_hand, reserved, frozen FROM stock"
            " WHERE sku = ANY(%s) AND location = 'default' ORDER BY sku FOR UPDATE",
            (basket,),
        ).fetchall()
        free = {sku: 0 if frozen else on_hand - reserved for sku, on_hand, reserved, frozen in rows}
        if any(free.get(sku, 0) < basket.count(sku) for sku in basket):
            return False
        for sku in basket:
            db.execute(
                "UPDATE stock SET reserved = reserved + 1, updated_at_ms = %s"
                " WHERE sku = %s AND location = 'default'",
                (_AT_MS, sku),
            )
            db.execute("INSERT INTO reservation VALUES (%s, %s, 1)", (f"r{n}", sku))
        return True

    return lambda workload: _postgres_attempts(dsn, workload, body)


_REDIS_TAKE = """
local need = {}
for _, key in ipairs(KEYS) do need[key] = (need[key] or 0) + 1 end
for key, n in pairs(need) do
  local v = redis.call('HMGET', key, 'on_hand', 'reserved')
  if tonumber(v[1]) - tonumber(v[2]) < n then return 0 end
end
for key, n in pairs(need) do redis.call('HINCRBY', key, 'reserved', n) end
return 1
"""


def redis_floor(url: str) -> Callable[[Workload], Result]:
    """One EVALSHA per attempt of a minimal check-then-increment script."""
    import redis

    def floor(workload: Workload) -> Result:
        client = redis.Redis.from_url(url)
        tag = uuid.uuid4().hex[:8]
        for sku, quantity in workload.stock().items():
            client.hset(f"{{{tag}}}:{sku}", mapping={"on_hand": quantity, "reserved": 0})
        script = client.register_script(_REDIS_TAKE)

        def attempt(n: int, basket: list[str]) -> bool:
            return bool(script(keys=[f"{{{tag}}}:{sku}" for sku in basket]))

        def reserved() -> int:
            keys = [f"{{{tag}}}:{sku}" for sku in workload.stock()]
            return sum(int(client.hget(k, "reserved") or 0) for k in keys)

        try:
            return measure(attempt, workload, reserved)
        finally:
            client.close()

    return floor
