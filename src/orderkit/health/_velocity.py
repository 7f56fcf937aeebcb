"""Fraud velocity: sliding-window rules over an order stream (MISSION H7).

A rule watches one key of each order (phone, device or customer) and counts, within a
window, the orders of each key and the distinct values of a second field (address,
city or payment method). An order is flagged when its key's window holds at least
``min_orders`` orders spread over at least ``min_distinct`` values:

- :class:`SamePhoneBurst`: one phone, 5 orders within 1 h, to 3 or more addresses;
- :class:`SameDeviceSpread`: one device, 8 orders within 7 days, to 5 or more cities;
- :class:`PaymentSwitching`: one customer (or device), 3 or more payment methods
  within 24 h.

:class:`VelocityMonitor` keeps the windows incrementally: per rule and key, the orders
in time order and a count of each value, updated as orders enter and leave, so each
order costs amortised O(1) per rule. See ``docs/health-risk.md`` for the window, memory
and restart semantics.

>>> from datetime import UTC, datetime, timedelta
>>> monitor = VelocityMonitor()
>>> start = datetime(2026, 11, 11, 20, 0, tzinfo=UTC)
>>> hits = [
...     monitor.observe(VelocityEvent(f"SO-{i}", start + timedelta(minutes=10 * i),
...                                   phone="13812340000", address=f"addr-{i % 3}"))
...     for i in range(5)
... ]
>>> [len(h) for h in hits]
[0, 0, 0, 0, 1]
>>> hit = hits[-1][0]
>>> hit.rule, hit.key, hit.orders, hit.distinct, hit.order_ids[0]
('same_phone_burst', '138****0000', 5, 3, 'SO-0')

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from itertools import islice, pairwise
from typing import Annotated, Any, Literal, NamedTuple, Self, TypeAlias

from pydantic import Field, JsonValue, model_validator

from orderkit import _pii
from orderkit.clock import require_aware
from orderkit.errors import InvalidVelocityState, LateEvent
from orderkit.health._crosscheck import mask_phone
from orderkit.lifecycle.policies._models import Duration, PolicyConfig, PositiveDuration, Slug

__all__ = [
    "Hit",
    "PaymentSwitching",
    "SameDeviceSpread",
    "SamePhoneBurst",
    "VelocityEvent",
    "VelocityMonitor",
    "VelocityRule",
    "VelocityRules",
    "WindowUsage",
    "mask_key",
]

_FORMAT = 1
_PLURALS = {"address": "addresses", "city": "cities", "payment_method": "payment methods"}


class VelocityEvent(NamedTuple):
    """One order as the velocity rules see it; a rule skips an order missing its fields."""

    order_id: str
    at: datetime
    phone: str | None = None
    device: str | None = None
    customer: str | None = None
    address: str | None = None
    """A normalised address key (e.g. ``浙江-杭州-西湖区|文三路 90 号``), not free text."""
    city: str | None = None
    payment_method: str | None = None


class _WindowRule(PolicyConfig):
    """Flag an order when its ``key`` placed ``min_orders`` or more orders within
    ``window`` (the order included) to ``min_distinct`` or more values of ``spread``.
    """

    window: PositiveDuration
    min_orders: int = Field(ge=1)
    min_distinct: int = Field(ge=1)

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        if self.min_distinct > self.min_orders:
            raise ValueError(
                f"min_distinct {self.min_distinct} exceeds min_orders {self.min_orders}: "
                "each order brings one value, the rule could fire only later than it says"
            )
        return self


class SamePhoneBurst(_WindowRule):
    """One phone, 5 orders within 1 h, to 3 or more addresses: "scattered" (MISSION H7).

    Three distinct address keys is the default reading of "scattered addresses": two can
    be home and office, a third within the hour is rare for a real buyer.
    """

    kind: Literal["same_phone_burst"] = "same_phone_burst"
    id: Slug = "same_phone_burst"
    key: Literal["phone"] = "phone"
    spread: Literal["address"] = "address"
    window: PositiveDuration = timedelta(hours=1)
    min_orders: int = Field(default=5, ge=1)
    min_distinct: int = Field(default=3, ge=1)


class SameDeviceSpread(_WindowRule):
    """One device, 8 orders within 7 days, to 5 or more cities (MISSION H7)."""

    kind: Literal["same_device_spread"] = "same_device_spread"
    id: Slug = "same_device_spread"
    key: Literal["device"] = "device"
    spread: Literal["city"] = "city"
    window: PositiveDuration = timedelta(days=7)
    min_orders: int = Field(default=8, ge=1)
    min_distinct: int = Field(default=5, ge=1)


class PaymentSwitching(_WindowRule):
    """One customer (or device, with ``key="device"``) paying with 3 or more distinct
    payment methods within 24 h (MISSION H7: "frequent payment-method switching").

    Three orders with three methods in a day is the default: one method change is
    ordinary (a card declined, a wallet topped up), a second within the day is not.
    """

    kind: Literal["payment_switching"] = "payment_switching"
    id: Slug = "payment_switching"
    key: Literal["customer", "device"] = "customer"
    spread: Literal["payment_method"] = "payment_method"
    window: PositiveDuration = timedelta(hours=24)
    min_orders: int = Field(default=3, ge=1)
    min_distinct: int = Field(default=3, ge=1)


VelocityRule: TypeAlias = Annotated[
    SamePhoneBurst | SameDeviceSpread | PaymentSwitching, Field(discriminator="kind")
]
"""One velocity rule, told apart by its ``kind``."""


def _default_rules() -> tuple[VelocityRule, ...]:
    return (SamePhoneBurst(), SameDeviceSpread(), PaymentSwitching())


class VelocityRules(PolicyConfig):
    """The rules a :class:`VelocityMonitor` runs and the bounds it keeps (MISSION H7).

    - ``rules``: the three H7 rules by default; ids must be unique.
    - ``max_keys``: the most keys each rule tracks. Keys whose window has emptied are
      dropped as new keys arrive; at the bound, the key longest in the expiry queue
      (roughly the least recently active) is dropped with its window, and counted in
      :meth:`VelocityMonitor.usage`.
    - ``late_tolerance``: how much older than the newest event seen an event may be and
      still be counted; older ones raise :class:`~orderkit.errors.LateEvent`. It must be
      shorter than every window.
    - ``max_listed``: the most order ids a hit lists (the newest ones); its counts
      always cover the whole window.
    """

    rules: tuple[VelocityRule, ...] = Field(default_factory=_default_rules, min_length=1)
    max_keys: int = Field(default=100_000, ge=1)
    late_tolerance: Duration = timedelta(minutes=5)
    max_listed: int = Field(default=50, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = sorted(rule.id for rule in self.rules)
        twice = sorted({a for a, b in pairwise(ids) if a == b})
        if twice:
            raise ValueError(f"rule ids must be unique, repeated: {', '.join(twice)}")
        shortest = min(rule.window for rule in self.rules)
        if self.late_tolerance >= shortest:
            raise ValueError(
                f"late_tolerance {self.late_tolerance} must be shorter than the shortest "
                f"window ({shortest})"
            )
        return self


def mask_key(value: str) -> str:
    """A device or customer id with its middle hidden, for hits and logs (MISSION C6).

    Eight characters or more keep the first 3 and the last 4; four to seven keep the
    first and the last; shorter ones are hidden whole. Phones are masked by
    :func:`~orderkit.health._crosscheck.mask_phone` instead (``138****0000``).

    >>> mask_key("idfa-7f3a9c"), mask_key("dev-42"), mask_key("abc")
    ('idf****3a9c', 'd****2', '****')
    """
    return _pii.mask_key(value)


def _span(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds % size == 0 and window.microseconds == 0:
            return f"{seconds // size} {unit}"
    return f"{window.total_seconds():g} s"


class Hit(NamedTuple):
    """A flagged order and why: the rule, the masked key, the window and what it held."""

    rule: str
    kind: str
    key_field: str
    key: str
    """The key, masked: phones as ``138****0000``, other keys with :func:`mask_key`."""
    order_id: str
    """The order whose arrival found the window over the rule's thresholds."""
    at: datetime
    """The end of the window: the newest event time seen."""
    window: timedelta
    orders: int
    spread_field: str
    distinct: int
    min_orders: int
    min_distinct: int
    order_ids: tuple[str, ...]
    """The orders in the window, oldest first; the newest ``max_listed`` when it holds more."""

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-ready data."""
        data: dict[str, JsonValue] = self._asdict()
        data.update(
            at=self.at.isoformat(),
            window=self.window.total_seconds(),
            order_ids=list(self.order_ids),
        )
        return data

    def __str__(self) -> str:
        things = _PLURALS[self.spread_field]
        return (
            f"{self.rule}: {self.key_field} {self.key} placed {self.orders} orders to "
            f"{self.distinct} {things} within {_span(self.window)} (rule: >= {self.min_orders} "
            f"orders, >= {self.min_distinct} {things}): {', '.join(self.order_ids)}"
        )


class WindowUsage(NamedTuple):
    """What one rule holds: keys tracked, events held, live keys dropped at the bound."""

    keys: int
    events: int
    evicted: int


_Track: TypeAlias = list[Any]
"""One key's window as a single list, the cheapest container to create and reach:
``[head, counts, value, key, check_at, event, event, ...]``.

The events from index ``head`` on are in time order. ``counts`` is ``None`` while every
event held carries the spread value ``value``, else a dict of each value's count.
Events that left the window are dropped lazily: when the counts reach the rule's
thresholds (dropping can only lower them), and whenever the number held reaches a
power of two, so a busy key that never reaches the thresholds holds at most twice its
window. ``check_at`` is the newest event's time when the track was last queued for an
expiry check.
"""
_HEAD, _COUNTS, _VALUE, _KEY, _CHECK_AT, _FIRST = range(6)
_AT = VelocityEvent._fields.index("at")
_COMPACT = 32
_SPARE = 1024
_NEVER = datetime.max.replace(tzinfo=UTC)


def _distinct(track: _Track) -> int:
    counts = track[_COUNTS]
    return 1 if counts is None else len(counts)


class _Window:
    """A compiled rule: where its fields sit in an event, its bounds and its keys.

    ``queue`` holds every track once, roughly by ``check_at``; ``due`` is when the
    front one's ``check_at`` leaves the window. When a new key comes after that, the
    tracks at the front whose ``check_at`` has left the window are looked at: a track
    whose newest event has left too is dropped (its list kept in ``spare``, up to a
    point, for the next new key), any other goes to the back with its newest event's
    time. At the bound, the front track is dropped.
    """

    __slots__ = (
        "due",
        "evicted",
        "key_index",
        "keys",
        "listed",
        "mask",
        "max_keys",
        "min_distinct",
        "min_orders",
        "queue",
        "rule",
        "span",
        "spare",
        "value_index",
    )

    def __init__(self, rule: VelocityRule, rules: VelocityRules) -> None:
        self.rule = rule
        self.key_index = VelocityEvent._fields.index(rule.key)
        self.value_index = VelocityEvent._fields.index(rule.spread)
        self.span = rule.window
        self.min_orders = rule.min_orders
        self.min_distinct = rule.min_distinct
        self.max_keys = rules.max_keys
        self.listed = rules.max_listed
        self.mask = mask_phone if rule.key == "phone" else mask_key
        self.keys: dict[str, _Track] = {}
        self.queue: deque[_Track] = deque()
        self.spare: list[_Track] = []
        self.evicted = 0
        self.due = _NEVER

    def make_room(self, now: datetime) -> None:
        """Drop the expired tracks at the front of the queue, then one if at the bound."""
        keys, queue = self.keys, self.queue
        cutoff = now - self.span
        while queue and queue[0][_CHECK_AT] < cutoff:
            track = queue.popleft()
            newest: datetime = track[-1][_AT]
            if newest < cutoff:
                del keys[track[_KEY]]
                if len(self.spare) < _SPARE:
                    track.clear()
                    self.spare.append(track)
            else:
                track[_CHECK_AT] = newest
                queue.append(track)
        if len(keys) >= self.max_keys:
            del keys[queue.popleft()[_KEY]]
            self.evicted += 1
        self.due = queue[0][_CHECK_AT] + self.span if queue else _NEVER

    def trim(self, track: _Track, now: datetime) -> int:
        """Drop the events that left the window; the number of events left."""
        cutoff = now - self.span
        head: int = track[_HEAD]
        if track[head][_AT] < cutoff:
            counts = track[_COUNTS]
            while track[head][_AT] < cutoff:
                if counts is not None:
                    value = track[head][self.value_index]
                    left = counts[value] - 1
                    if left:
                        counts[value] = left
                    else:
                        del counts[value]
                head += 1
            if head > _COMPACT and 2 * head > len(track):
                del track[_FIRST:head]
                head = _FIRST
            track[_HEAD] = head
        return len(track) - head

    def settle(self, track: _Track, now: datetime) -> bool:
        """Whether the thresholds hold once the events that left the window are dropped.

        Called when the events held, those that left included, reach the thresholds.
        """
        return self.trim(track, now) >= self.min_orders and _distinct(track) >= self.min_distinct

    def hit(self, key: str, track: _Track, order_id: str, now: datetime) -> Hit:
        rule = self.rule
        newest = [e.order_id for e in islice(reversed(track), len(track) - track[_HEAD])]
        del newest[self.listed :]
        newest.reverse()
        return Hit(
            rule.id,
            rule.kind,
            rule.key,
            self.mask(key),
            order_id,
            now,
            self.span,
            len(track) - track[_HEAD],
            rule.spread,
            _distinct(track),
            self.min_orders,
            self.min_distinct,
            tuple(newest),
        )

    def usage(self) -> WindowUsage:
        events = sum(len(track) - track[_HEAD] for track in self.keys.values())
        return WindowUsage(len(self.keys), events, self.evicted)

    def state(self) -> list[JsonValue]:
        """The tracks in queue order: ``[key, check_at, [[at, value, order_id], ...]]``."""
        value = self.value_index
        return [
            [
                track[_KEY],
                track[_CHECK_AT].isoformat(),
                [[e.at.isoformat(), e[value], e.order_id] for e in track[track[_HEAD] :]],
            ]
            for track in self.queue
        ]

    def load(self, stored: list[Any], watermark: datetime) -> None:
        """Rebuild the tracks from :meth:`state`; malformed data raises ``ValueError``."""
        rule = self.rule
        for key, check_at, entries in stored:
            events = [
                VelocityEvent(str(oid), _instant(at), **{rule.key: key, rule.spread: value})
                for at, value, oid in entries
            ]
            if not events or key in self.keys:
                raise ValueError(f"{rule.id}: key {key!r} has no events or appears twice")
            if any(a.at > b.at for a, b in pairwise(events)) or events[-1].at > watermark:
                raise ValueError(f"{rule.id}: events out of time order or after the watermark")
            values = [e[self.value_index] for e in events]
            counts = dict(Counter(values))
            track = [_FIRST, counts if len(counts) > 1 else None, values[0], key]
            track += [_instant(check_at), *events]
            self.keys[key] = track
            self.queue.append(track)
        self.due = self.queue[0][_CHECK_AT] + self.span if self.queue else _NEVER


class VelocityMonitor:
    """Runs :class:`VelocityRules` over an order stream, one :meth:`observe` per order.

    Windows end at the newest event time seen (the watermark) and include their start:
    a window of 1 h at 21:00 holds the orders from 20:00 to 21:00. An event up to
    ``late_tolerance`` older than the watermark is counted in its place; an older one
    raises :class:`~orderkit.errors.LateEvent` and changes nothing. Feed each order
    once. :meth:`state` and :meth:`restore` carry the windows across a restart.
    """

    def __init__(self, rules: VelocityRules | None = None) -> None:
        self.rules = rules or VelocityRules()
        self._windows = tuple(_Window(rule, self.rules) for rule in self.rules.rules)
        self._plan = tuple(
            (w, w.keys.get, w.key_index, w.value_index, w.min_orders, w.min_distinct)
            for w in self._windows
        )
        self._tolerance = self.rules.late_tolerance
        self._watermark: datetime | None = None

    @property
    def watermark(self) -> datetime | None:
        """The newest event time seen, or ``None`` before the first event."""
        return self._watermark

    def observe(self, event: VelocityEvent) -> list[Hit]:  # noqa: PLR0912 - the hot path, inlined
        """Count ``event`` in every rule's window; return the hits it completes or extends.

        Every order arriving while its key's window is over a rule's thresholds is a
        hit, so a burst of seven orders flags the fifth, sixth and seventh.
        """
        at = event.at
        now = self._watermark
        if at.tzinfo is not UTC or now is None or at < now:
            at, now = self._admit(event)
            late = at < now
        else:
            now = self._watermark = at
            late = False
        fields: tuple[Any, ...] = event
        hits: list[Hit] = []
        for window, find, key_index, value_index, min_orders, min_distinct in self._plan:
            key = fields[key_index]
            value = fields[value_index]
            if not key or not value:
                continue
            track = find(key)
            if track is None:
                if window.due < now or len(window.keys) >= window.max_keys:
                    window.make_room(now)
                queue = window.queue
                if not queue:
                    window.due = at + window.span
                spare = window.spare
                if spare:
                    track = spare.pop()
                    track += (_FIRST, None, value, key, at, event)
                else:
                    track = [_FIRST, None, value, key, at, event]
                window.keys[key] = track
                queue.append(track)
                if min_orders > 1:
                    continue
            else:
                if late:
                    _insert(track, event, at)
                else:
                    track.append(event)
                counts = track[_COUNTS]
                if counts is not None:
                    counts[value] = counts.get(value, 0) + 1
                elif value != track[_VALUE]:
                    track[_COUNTS] = {track[_VALUE]: len(track) - track[_HEAD] - 1, value: 1}
            held = len(track) - track[_HEAD]
            if held >= min_orders:
                counts = track[_COUNTS]
                if (1 if counts is None else len(counts)) < min_distinct:
                    if not held & (held - 1):
                        window.trim(track, now)
                elif window.settle(track, now):
                    hits.append(window.hit(key, track, event.order_id, now))
        return hits

    def _admit(self, event: VelocityEvent) -> tuple[datetime, datetime]:
        """The event's instant in UTC and the watermark after it; a late event raises."""
        at = require_aware(event.at, "at")
        now = self._watermark
        if now is None or at > now:
            now = self._watermark = at
        elif now - at > self._tolerance:
            raise LateEvent(event.order_id, at, now, self._tolerance)
        return at, now

    def usage(self) -> dict[str, WindowUsage]:
        """Per rule id: keys tracked, events held for them, live keys dropped at the bound.

        Events held may include some that already left the window; they are dropped
        the next time their key comes close to the rule's thresholds.
        """
        return {w.rule.id: w.usage() for w in self._windows}

    def state(self) -> dict[str, JsonValue]:
        """A JSON-ready snapshot of every window, for :meth:`restore` after a restart.

        It holds the rules it was taken under and the raw (unmasked) keys and values:
        store it as carefully as the orders themselves.
        """
        now = self._watermark
        return {
            "format": _FORMAT,
            "rules": self.rules.model_dump(mode="json"),
            "watermark": None if now is None else now.isoformat(),
            "windows": {
                w.rule.id: {"evicted": w.evicted, "keys": w.state()} for w in self._windows
            },
        }

    @classmethod
    def restore(cls, rules: VelocityRules, snapshot: Mapping[str, Any]) -> VelocityMonitor:
        """A monitor that continues exactly where the one that took ``snapshot`` stopped.

        The snapshot must come from :meth:`state` under the same ``rules``; anything
        else raises :class:`~orderkit.errors.InvalidVelocityState`.
        """
        if snapshot.get("format") != _FORMAT:
            raise InvalidVelocityState(
                f"unknown snapshot format {snapshot.get('format')!r}, expected {_FORMAT}"
            )
        if snapshot.get("rules") != rules.model_dump(mode="json"):
            raise InvalidVelocityState(
                "the snapshot was taken under other rules: restore it with the same rules, "
                "or start a fresh monitor for the new ones"
            )
        monitor = cls(rules)
        try:
            watermark = snapshot["watermark"]
            if watermark is None:
                return monitor
            monitor._watermark = _instant(watermark)
            for window in monitor._windows:
                stored = snapshot["windows"][window.rule.id]
                window.evicted = int(stored["evicted"])
                window.load(stored["keys"], monitor._watermark)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise InvalidVelocityState(f"unreadable snapshot: {error}") from error
        return monitor


def _insert(track: _Track, event: VelocityEvent, at: datetime) -> None:
    """Put a late event in time order, after the events of the same instant."""
    index = len(track)
    head = track[_HEAD]
    while index > head and track[index - 1][_AT] > at:
        index -= 1
    track.insert(index, event)


def _instant(text: object) -> datetime:
    if not isinstance(text, str):
        raise TypeError(f"expected an ISO 8601 string, got {text!r}")
    return require_aware(datetime.fromisoformat(text), "snapshot time")
