"""Locks as PostgreSQL session advisory locks, ended by the server when their TTL runs out.

Needs the ``postgres`` extra (``pip install orderkit[postgres]``) and PostgreSQL 14 or
later; ``psycopg`` is imported only when a :class:`PostgresAdvisoryLocks` is made.
"""

from __future__ import annotations

import hashlib
import math
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from orderkit.inventory._locks import Lease, PollingLocks, new_token

if TYPE_CHECKING:
    from psycopg import Connection, sql
    from psycopg_pool import ConnectionPool

__all__ = ["PostgresAdvisoryLocks"]

_TRY = (
    "SELECT nextval(%s::regclass), set_config('idle_session_timeout', %s, false)"
    " WHERE pg_try_advisory_lock(%s)"
)
_UNLOCK = "SELECT pg_advisory_unlock(%s)"
_RESET = "RESET idle_session_timeout"


class PostgresAdvisoryLocks(PollingLocks):
    """Locks shared by every process that reaches one PostgreSQL database (MISSION I3).

    ``database`` is a libpq DSN (a pool of up to ``max_size`` connections is made for it,
    and :meth:`close` closes it) or a ``psycopg_pool.ConnectionPool`` you own. A lease is
    ``pg_try_advisory_lock`` on a connection kept for the lease alone, keyed by a stable
    64-bit hash of the schema and the name, so locks under different schemas never meet.

    While the lease lasts, its connection's ``idle_session_timeout`` is the TTL: if the
    holder does not release in time, the server closes the session and the lock goes
    with it, as it does when the holder crashes. A connection that fails during a lock
    statement is closed, never returned to the pool holding a lock. Fencing tokens come
    from the sequence ``<schema>.lock_fencing``, created on first use; shared by every
    name, it gives each name increasing tokens.

    Every held lease keeps one pooled connection until it is released, so release every
    lease and size the pool for the locks held at once; getting a connection follows the
    pool's own timeout. Acquiring polls with backoff.
    """

    def __init__(
        self,
        database: str | ConnectionPool,
        *,
        schema: str = "orderkit_locks",
        max_size: int = 32,
    ) -> None:
        from psycopg_pool import ConnectionPool

        self._owned = isinstance(database, str)
        self._pool = (
            ConnectionPool(
                database, min_size=1, max_size=max_size, kwargs={"autocommit": True}, open=True
            )
            if isinstance(database, str)
            else database
        )
        self._schema = schema
        self._held: dict[str, Connection[Any]] = {}
        self._guard = threading.Lock()
        try:
            self._sequence = self._create_schema()
        except BaseException:
            self.close()
            raise

    def _create_schema(self) -> str:
        from psycopg import sql

        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._key("create schema"),))
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(self._name()))
            conn.execute(
                sql.SQL("CREATE SEQUENCE IF NOT EXISTS {}").format(self._name("lock_fencing"))
            )
            return self._name("lock_fencing").as_string(conn)

    def _name(self, *table: str) -> sql.Identifier:
        from psycopg import sql

        return sql.Identifier(self._schema, *table)

    def _key(self, name: str) -> int:
        digest = hashlib.blake2b(f"{self._schema}\0{name}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big", signed=True)

    def _try_acquire(self, name: str, owner: str, ttl: timedelta) -> Lease | None:
        started = datetime.now(UTC)
        ttl_ms = max(1, math.ceil(ttl.total_seconds() * 1000))
        conn = self._pool.getconn()
        try:
            row = conn.execute(_TRY, (self._sequence, str(ttl_ms), self._key(name))).fetchone()
            _commit(conn)
        except BaseException:
            conn.close()
            self._pool.putconn(conn)
            raise
        if row is None:
            self._pool.putconn(conn)
            return None
        lease = Lease(name, owner, new_token(), int(row[0]), started + ttl)
        with self._guard:
            self._held[lease.token] = conn
        return lease

    def release(self, lease: Lease) -> bool:
        """See :meth:`~orderkit.inventory.LockProvider.release`.

        ``False`` also when the server had already closed the lease's session.
        """
        import psycopg

        with self._guard:
            conn = self._held.pop(lease.token, None)
        if conn is None:
            return False
        try:
            row = conn.execute(_UNLOCK, (self._key(lease.name),)).fetchone()
            conn.execute(_RESET)
            _commit(conn)
        except psycopg.OperationalError:
            return False
        except BaseException:
            conn.close()
            raise
        finally:
            self._pool.putconn(conn)
        return row is not None and bool(row[0])

    def close(self) -> None:
        """Close the pool if it was made from a DSN."""
        if self._owned:
            self._pool.close()

    def __enter__(self) -> PostgresAdvisoryLocks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _commit(conn: Connection[Any]) -> None:
    if not conn.autocommit:
        conn.commit()
