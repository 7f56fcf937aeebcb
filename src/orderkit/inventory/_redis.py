"""The Redis backend: every operation is one Lua script, atomic on the server.

Needs the ``redis`` extra (``pip install orderkit[redis]``); ``redis`` is imported only
when a :class:`RedisStore` is made. The scripts live in ``lua/``: ``prelude.lua`` (the
key layout, buffered state and shared steps) is prepended to each operation's script.
An idempotent operation sends its fingerprint, which names the operation and its
payload, as the request; a script replies with its result as JSON (a new reservation,
which the caller already knows, as ``""``) or with a refusal as ``[kind, detail]``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from orderkit.errors import (
    DuplicateOperation,
    ExceedsReservation,
    InsufficientStock,
    InvalidRequest,
    OnHandBelowReserved,
    ReservationClosed,
    ReservationError,
    Shortage,
    SkuFrozen,
    UnknownReservation,
)
from orderkit.inventory._store import BaseStore
from orderkit.inventory._types import (
    JournalEntry,
    JournalKind,
    Line,
    OversoldPolicy,
    Reservation,
    ReservationStatus,
    Stock,
    StockChange,
    StockKey,
    fingerprint,
    lines_print,
    merge_lines,
)

if TYPE_CHECKING:
    import redis

__all__ = ["RedisStore"]

_SCRIPTS = (
    "commit",
    "count",
    "expire",
    "extend",
    "freeze",
    "release",
    "reserve",
    "stock",
    "stocks",
)
_EXACT = 2**53
_JOURNAL_PAGE = 1000

_STOCK: TypeAdapter[Stock] = TypeAdapter(Stock)
_STOCKS: TypeAdapter[list[Stock]] = TypeAdapter(list[Stock])
_STOCK_CHANGE: TypeAdapter[StockChange] = TypeAdapter(StockChange)
_RESERVATIONS: TypeAdapter[list[Reservation]] = TypeAdapter(list[Reservation])

_REFUSALS: dict[str, Callable[..., ReservationError]] = {
    "below": OnHandBelowReserved,
    "closed": ReservationClosed,
    "duplicate": DuplicateOperation,
    "exceeds": ExceedsReservation,
    "frozen": lambda rid, keys: SkuFrozen(rid, [(sku, location) for sku, location in keys]),
    "short": lambda rid, lines: InsufficientStock(rid, [Shortage(*line) for line in lines]),
    "unknown": UnknownReservation,
}


@cache
def _source(name: str) -> str:
    lua = files("orderkit.inventory").joinpath("lua")
    return lua.joinpath("prelude.lua").read_text() + lua.joinpath(f"{name}.lua").read_text()


def _exact(*numbers: int | None) -> None:
    for n in numbers:
        if n is not None and not -_EXACT < n < _EXACT:
            raise InvalidRequest(f"{n} is outside the integers Redis counts exactly (2**53)")


def _text(reply: Any) -> Any:
    """A script's reply with its strings decoded (a client may return them as bytes)."""
    if isinstance(reply, bytes):
        return reply.decode()
    if isinstance(reply, list):
        return [_text(item) for item in reply]
    return reply


class RedisStore(BaseStore):
    """A reservation store in Redis, shared by every process and machine that opens it.

    Each operation is one Lua script (loaded once per client, then run by ``EVALSHA``):
    it reads what it needs, works out every effect, including the lazy expiry of due
    holds on the keys it reserves, checks everything, and writes only when all checks
    pass, so a refused operation leaves no trace. Scripts run one at a time on the
    server, so the check ``on_hand - reserved >= n`` and the write are one atomic step
    across all clients, and each change appends its journal entry (a stream) in that
    same step. Counters are integers; quantities and times must stay below ``2**53``,
    the integers Lua counts exactly.

    All keys of one store share the hash tag ``{namespace}``. Redis Cluster runs a
    script on one node and refuses one whose keys span hash slots (``CROSSSLOT``) or
    live on another node, while a multi-SKU reservation must check and hold all its
    lines in one script. With a tag per SKU, the lines of one order would hash to
    different slots, and the order could only be split into per-SKU steps, which are no
    longer all-or-nothing (nor is the one journal with its contiguous ``seq``). A
    namespace is therefore the unit of sharding: give each warehouse (or tenant) its
    own namespace and the cluster spreads the namespaces over its nodes.

    Run :meth:`expire` periodically: a reserve also expires due holds lazily, but it
    looks through every due hold of the namespace to find those on its keys.

    Open it with a URL (the store owns that client, see :meth:`close`) or with a
    ``redis.Redis`` / ``redis.RedisCluster`` client of your own::

        store = RedisStore("redis://localhost:6379/0", namespace="warehouse-hz")
        store.set_on_hand("TEA-01", 32, at=now)
        store.reserve("SO-1", [Line("TEA-01", 30)], at=now, ttl=timedelta(minutes=15))
    """

    def __init__(
        self,
        client_or_url: redis.Redis | redis.RedisCluster | str,
        *,
        namespace: str = "orderkit",
    ) -> None:
        import redis

        if not namespace or "{" in namespace or "}" in namespace:
            raise InvalidRequest(f"a namespace must be non-empty without braces, got {namespace!r}")
        self.namespace = namespace
        self._owned = isinstance(client_or_url, str)
        self._client = (
            redis.Redis.from_url(client_or_url) if isinstance(client_or_url, str) else client_or_url
        )
        tag = f"{{{namespace}}}"
        self._keys = [tag]
        self._reservations, self._journal = f"{tag}:reservations", f"{tag}:journal"
        self._scripts = {name: self._client.register_script(_source(name)) for name in _SCRIPTS}

    def close(self) -> None:
        """Close the connections if this store opened them from a URL."""
        if self._owned:
            self._client.close()

    def __enter__(self) -> RedisStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, script: str, *args: str | int) -> Any:
        _exact(*[arg for arg in args if isinstance(arg, int)])
        reply = self._scripts[script](keys=self._keys, args=args)
        if isinstance(reply, list):
            kind, detail = _text(reply)
            raise _REFUSALS[kind](*detail)
        return reply

    def _reserve(
        self,
        reservation_id: str,
        lines: tuple[Line, ...],
        at_ms: int,
        ttl_ms: int | None,
        op_key: str,
    ) -> Reservation:
        merged = lines if len(lines) == 1 else merge_lines(lines)
        expires = None if ttl_ms is None else at_ms + ttl_ms
        _exact(ttl_ms, expires, *[x.quantity for x in merged])
        request = fingerprint("reserve", reservation_id, lines_print(merged), ttl_ms)
        prior = self._run("reserve", op_key, request, at_ms)
        if prior:
            return Reservation.from_json(prior)
        return Reservation(
            reservation_id, ReservationStatus.ACTIVE, merged, (), at_ms, at_ms, expires
        )

    def _release(self, reservation_id: str, at_ms: int, op_key: str) -> Reservation:
        request = fingerprint("release", reservation_id)
        return Reservation.from_json(self._run("release", op_key, request, at_ms))

    def _commit(
        self, reservation_id: str, lines: tuple[Line, ...] | None, at_ms: int, op_key: str
    ) -> Reservation:
        asked = None if lines is None else merge_lines(lines)
        _exact(*[x.quantity for x in asked or ()])
        request = fingerprint(
            "commit", reservation_id, None if asked is None else lines_print(asked)
        )
        return Reservation.from_json(self._run("commit", op_key, request, at_ms))

    def _extend(self, reservation_id: str, until_ms: int, at_ms: int, op_key: str) -> Reservation:
        _exact(until_ms)
        request = fingerprint("extend", reservation_id, until_ms)
        return Reservation.from_json(self._run("extend", op_key, request, at_ms))

    def _expire(self, at_ms: int) -> list[Reservation]:
        return _RESERVATIONS.validate_json(self._run("expire", at_ms))

    def _count(
        self,
        kind: JournalKind,
        key: StockKey,
        value: int,
        at_ms: int,
        op_key: str | None,
        oversold: OversoldPolicy,
    ) -> StockChange:
        _exact(value)
        journal_key = op_key or f"{kind.value}:{key.sku}@{key.location}"
        request = fingerprint(kind.value, list(key), value, oversold.value)
        idempotent = () if op_key is None else (op_key,)
        return _STOCK_CHANGE.validate_json(
            self._run("count", journal_key, request, at_ms, *idempotent)
        )

    def _set_on_hand(
        self,
        key: StockKey,
        quantity: int,
        at_ms: int,
        op_key: str | None,
        oversold: OversoldPolicy,
    ) -> StockChange:
        return self._count(JournalKind.SET_ON_HAND, key, quantity, at_ms, op_key, oversold)

    def _adjust(
        self, key: StockKey, delta: int, at_ms: int, op_key: str, oversold: OversoldPolicy
    ) -> StockChange:
        return self._count(JournalKind.ADJUST, key, delta, at_ms, op_key, oversold)

    def _set_frozen(self, key: StockKey, frozen: bool, at_ms: int) -> Stock:
        flag = "1" if frozen else "0"
        return _STOCK.validate_json(self._run("freeze", key.sku, key.location, flag, at_ms))

    def _stock(self, key: StockKey) -> Stock:
        return _STOCK.validate_json(self._run("stock", key.sku, key.location))

    def stocks(self) -> list[Stock]:
        """Every stock record, sorted by key (read in one atomic step)."""
        return sorted(_STOCKS.validate_json(self._run("stocks")), key=lambda s: s.key)

    def reservation(self, reservation_id: str) -> Reservation:
        """A reservation by id."""
        text = self._client.hget(self._reservations, reservation_id)
        if text is None:
            raise UnknownReservation(reservation_id)
        return Reservation.from_json(text)

    def journal(self, after: int = 0) -> list[JournalEntry]:
        """Journal entries with ``seq > after``, read from the stream page by page."""
        entries: list[JournalEntry] = []
        start = max(after, 0) + 1
        while True:
            page = self._client.xrange(self._journal, f"{start}-0", count=_JOURNAL_PAGE) or []
            texts = [text for _, fields in page if fields for text in fields.values()]
            entries.extend(JournalEntry.from_json(text) for text in texts)
            if len(page) < _JOURNAL_PAGE:
                return entries
            start = entries[-1].seq + 1
