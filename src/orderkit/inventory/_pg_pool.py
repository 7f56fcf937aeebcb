"""The connection pool of a PostgresStore: READ COMMITTED sessions, checked without a query.

Every connection is in autocommit mode, so a single statement needs no ``BEGIN`` or
``COMMIT`` round trip, and its session defaults to READ COMMITTED, which
``apply_operation`` relies on (it leaves any other level to the general path, whose
transactions ask for READ COMMITTED themselves). A connection taken from the pool is
checked without a round trip: an idle connection has nothing to read, while one the
server closed (a restart, ``pg_terminate_backend``) has its farewell or the end of the
stream waiting, and only then does the pool's own check run, find it broken and
replace it.
"""

from __future__ import annotations

import select
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg_pool import ConnectionPool

__all__ = ["open_pool"]


def open_pool(dsn: str, schema: str, size: int) -> ConnectionPool[Connection[Any]]:
    """An open pool of up to ``size`` connections for the store on ``schema``."""
    from psycopg_pool import ConnectionPool

    return ConnectionPool(
        dsn,
        min_size=1,
        max_size=size,
        kwargs={"autocommit": True},
        configure=_configure,
        check=_check,
        name=f"orderkit:{schema}",
        open=True,
    )


def _configure(conn: Connection[Any]) -> None:
    from psycopg import IsolationLevel

    conn.isolation_level = IsolationLevel.READ_COMMITTED
    conn.execute("SET default_transaction_isolation TO 'read committed'")


def _check(conn: Connection[Any]) -> None:
    from psycopg_pool import ConnectionPool

    if _readable(conn.fileno()):
        ConnectionPool.check_connection(conn)


def _readable(fd: int) -> bool:
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([fd], [], [], 0)[0])
