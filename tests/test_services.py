"""Smoke tests proving that the service fixtures start real servers."""

import psycopg
import pytest
import redis
from psycopg import errors

RESERVE_SCRIPT = """
local available = tonumber(redis.call('GET', KEYS[1]) or '0')
local wanted = tonumber(ARGV[1])
if wanted > available then
    return -1
end
return redis.call('DECRBY', KEYS[1], wanted)
"""


@pytest.mark.postgres
def test_postgres_enforces_check_constraint(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TEMPORARY TABLE stock ("
            " sku text PRIMARY KEY,"
            " quantity integer NOT NULL CHECK (quantity >= 0))"
        )
        conn.execute("INSERT INTO stock (sku, quantity) VALUES ('SKU-1', 5)")
        with pytest.raises(errors.CheckViolation):
            conn.execute("UPDATE stock SET quantity = quantity - 6 WHERE sku = 'SKU-1'")
        conn.execute("UPDATE stock SET quantity = quantity - 5 WHERE sku = 'SKU-1'")
        row = conn.execute("SELECT quantity FROM stock WHERE sku = 'SKU-1'").fetchone()
    assert row == (0,)


@pytest.mark.redis
def test_redis_round_trip_and_lua_script(redis_url: str) -> None:
    key = "orderkit:test-services:stock:SKU-1"
    with redis.Redis.from_url(redis_url, decode_responses=True) as client:
        try:
            client.set(key, "5")
            assert client.get(key) == "5"
            reserve = client.register_script(RESERVE_SCRIPT)
            assert reserve(keys=[key], args=[3]) == 2
            assert reserve(keys=[key], args=[3]) == -1
            assert client.get(key) == "2"
        finally:
            client.delete(key)
