"""One order per channel reference, however many exports or webhooks delivered it (C8).

Orders with the same ``order.channel.key`` are the same order. Identical copies are
exact duplicates; copies that differ are a conflict, reported by the paths of the fields
that differ (never their values), with each version's total and line count.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

import attrs

from orderkit.order import Order

__all__ = ["DedupeReport", "Deduplicated", "ExactDuplicate", "OrderConflict", "dedupe"]


class ExactDuplicate(NamedTuple):
    """A channel reference that arrived ``copies`` times, identical each time."""

    key: str
    copies: int


class OrderConflict(NamedTuple):
    """A channel reference whose copies differ.

    ``fields`` are the dotted paths that differ from the kept version (``note``,
    ``lines[0].quantity``, ``shipping_address.phone``); ``totals`` and ``line_counts``
    describe each distinct version, the kept one first.
    """

    key: str
    copies: int
    fields: tuple[str, ...]
    totals: tuple[str, ...]
    line_counts: tuple[int, ...]


@attrs.frozen
class DedupeReport:
    """What :func:`dedupe` found: exact duplicates and conflicts, each sorted by key."""

    exact: tuple[ExactDuplicate, ...] = ()
    conflicts: tuple[OrderConflict, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.exact or self.conflicts)

    def __str__(self) -> str:
        lines = [f"{d.key}: {d.copies} identical copies" for d in self.exact]
        lines += [
            f"{c.key}: {c.copies} copies in {len(c.totals)} versions differing in "
            f"{', '.join(c.fields)}\n  totals {c.totals[0]} (kept), {', '.join(c.totals[1:])}; "
            f"line counts {', '.join(map(str, c.line_counts))}"
            for c in self.conflicts
        ]
        return "\n".join(lines) or "no duplicates"


class Deduplicated(NamedTuple):
    """The orders left, one per channel reference and sorted by it, and the report."""

    orders: tuple[Order, ...]
    report: DedupeReport


def _canonical(order: Order) -> str:
    return json.dumps(order.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)


def _rank(version: tuple[str, Order]) -> tuple[int, int, str]:
    text, order = version
    return len(order.shipments), len(order.payments), text


def _differences(kept: Any, other: Any, path: str = "") -> Iterator[str]:
    if isinstance(kept, dict) and isinstance(other, dict):
        for key in sorted(kept.keys() | other.keys()):
            yield from _differences(kept.get(key), other.get(key), f"{path}.{key}" if path else key)
    elif isinstance(kept, list) and isinstance(other, list) and len(kept) == len(other):
        for i, (a, b) in enumerate(zip(kept, other, strict=True)):
            yield from _differences(a, b, f"{path}[{i}]")
    elif kept != other:
        yield path


def dedupe(orders: Iterable[Order]) -> Deduplicated:
    """Keep one order per ``order.channel.key`` and report the duplicates (MISSION C8).

    Of differing copies the one that has progressed furthest is kept: the most
    shipments, then the most payments; among equals, the same version whatever the
    arrival order (the greatest canonical JSON). The result does not depend on the
    order of ``orders``, and de-duplicating it again changes nothing.

    >>> from datetime import UTC, datetime
    >>> from orderkit.money import Money
    >>> from orderkit.order import ChannelRef, OrderLine
    >>> def order(external_id, quantity=1, note=""):
    ...     return Order(
    ...         order_id=f"SO-{external_id}", note=note,
    ...         channel=ChannelRef(channel="taobao", external_id=external_id),
    ...         created_at=datetime(2026, 11, 11, tzinfo=UTC), currency="CNY",
    ...         lines=[OrderLine(line_id="1", sku="TEA-01", quantity=quantity,
    ...                          unit_price=Money("59.00", "CNY"))])
    >>> result = dedupe([order("A"), order("B"), order("A"), order("B", 2, note="gift")])
    >>> [o.order_id for o in result.orders]
    ['SO-A', 'SO-B']
    >>> print(result.report)
    taobao:A: 2 identical copies
    taobao:B: 2 copies in 2 versions differing in lines[0].quantity, note
      totals CNY 118.00 (kept), CNY 59.00; line counts 1, 1
    """
    by_key: dict[str, list[Order]] = {}
    for order in orders:
        by_key.setdefault(order.channel.key, []).append(order)
    kept: list[Order] = []
    exact: list[ExactDuplicate] = []
    conflicts: list[OrderConflict] = []
    for key in sorted(by_key):
        copies = by_key[key]
        versions = sorted({_canonical(o): o for o in copies}.items(), key=_rank, reverse=True)
        kept.append(versions[0][1])
        if len(versions) == 1 and len(copies) > 1:
            exact.append(ExactDuplicate(key, len(copies)))
        elif len(versions) > 1:
            dumps = [order.model_dump(mode="json") for _, order in versions]
            fields = sorted({path for dump in dumps[1:] for path in _differences(dumps[0], dump)})
            conflicts.append(
                OrderConflict(
                    key,
                    len(copies),
                    tuple(fields),
                    tuple(str(order.total) for _, order in versions),
                    tuple(len(order.lines) for _, order in versions),
                )
            )
    return Deduplicated(tuple(kept), DedupeReport(tuple(exact), tuple(conflicts)))
