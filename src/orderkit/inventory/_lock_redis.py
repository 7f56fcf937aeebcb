"""Locks in Redis: ``SET key token NX PX ttl``, fencing by ``INCR``, compare-and-delete release.

Needs the ``redis`` extra (``pip install orderkit[redis]``); ``redis`` is imported only
when a :class:`RedisLocks` is made.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from orderkit.inventory._locks import Lease, PollingLocks, new_token

if TYPE_CHECKING:
    import redis

__all__ = ["RedisLocks"]

_ACQUIRE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
    return redis.call('INCR', KEYS[2])
end
return false
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLocks(PollingLocks):
    """Locks shared by every process that reaches one Redis server (MISSION I3).

    ``client`` is a ``redis.Redis`` or a ``redis://`` URL (then :meth:`close` closes the
    connection pool made for it). A lock is the key ``<prefix>lock:{<name>}`` holding the
    lease token, set with ``NX`` and a ``PX`` expiry equal to the TTL: Redis itself ends a
    lease whose holder died. The fencing token comes from ``INCR`` on
    ``<prefix>fence:{<name>}`` in the same script, so it is issued exactly when the lock
    is taken; these counters stay in Redis (one small key per lock name) to keep the
    tokens increasing. Release deletes the key only if it still holds the lease's token.
    The braces make both keys of a name hash to one Redis Cluster slot.

    Redis replicates asynchronously: after a failover a lock can be granted twice, and
    only fencing catches the older holder. Acquiring polls with backoff.
    """

    def __init__(self, client: redis.Redis | str, *, prefix: str = "orderkit:") -> None:
        import redis

        self._owned = isinstance(client, str)
        self._client = redis.Redis.from_url(client) if isinstance(client, str) else client
        self._prefix = prefix
        self._acquire = self._client.register_script(_ACQUIRE)
        self._release = self._client.register_script(_RELEASE)

    def _keys(self, name: str) -> list[str]:
        return [f"{self._prefix}lock:{{{name}}}", f"{self._prefix}fence:{{{name}}}"]

    def _try_acquire(self, name: str, owner: str, ttl: timedelta) -> Lease | None:
        started = datetime.now(UTC)
        token = new_token()
        ttl_ms = max(1, math.ceil(ttl.total_seconds() * 1000))
        fencing = self._acquire(keys=self._keys(name), args=[token, ttl_ms])
        if fencing is None:
            return None
        return Lease(name, owner, token, int(fencing), started + ttl)

    def release(self, lease: Lease) -> bool:
        """See :meth:`~orderkit.inventory.LockProvider.release`."""
        return bool(self._release(keys=self._keys(lease.name)[:1], args=[lease.token]))

    def close(self) -> None:
        """Close the client if it was made from a URL."""
        if self._owned:
            self._client.close()

    def __enter__(self) -> RedisLocks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
