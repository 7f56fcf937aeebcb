"""Conformance checks on an adapter's mapper: completeness, exact money, re-ingest, PII."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeAlias

from orderkit.channels._pii import mask_order
from orderkit.channels._protocols import OrderMapper
from orderkit.channels._types import ChannelOrder
from orderkit.errors import MappingFailed
from orderkit.money import Money
from orderkit.order import Order
from orderkit.testing._channels_findings import Findings, leaks, payload_label

__all__ = [
    "Payloads",
    "PiiOf",
    "check_broken_payloads",
    "check_mapping",
    "check_masked_reprs",
    "check_reingest",
]

Payloads: TypeAlias = Sequence[Mapping[str, Any]]
Step: TypeAlias = str | int
PiiOf: TypeAlias = Callable[[Mapping[str, Any]], Sequence[str]]

MIN_PAYLOADS = 3


def _mapped(
    mapper: OrderMapper, index: int, payload: Mapping[str, Any], found: Findings
) -> ChannelOrder | None:
    try:
        return mapper.map(payload)
    except MappingFailed as failed:
        found.add(payload_label(index), f"does not map: {failed}")
    except Exception as error:
        found.add(
            payload_label(index),
            f"map() raised {type(error).__name__} ({error}); it may only raise MappingFailed",
        )
    return None


def check_mapping(
    mapper: OrderMapper,
    channel: str,
    payloads: Payloads,
    platform_total: Callable[[Mapping[str, Any]], Money],
) -> None:
    """Every payload maps to a complete order whose total is the platform's, exactly (C2)."""
    found = Findings("mapping completeness")
    found.expect(
        len(payloads) >= MIN_PAYLOADS,
        "order_payloads()",
        f"give at least {MIN_PAYLOADS} recorded payloads, got {len(payloads)}",
    )
    found.expect(mapper.channel == channel, "mapper", f"channel {mapper.channel!r} != {channel!r}")
    seen: dict[str, int] = {}
    for index, payload in enumerate(payloads):
        if (mapped := _mapped(mapper, index, payload, found)) is not None:
            order = mapped.order
            where = payload_label(index, order.channel.external_id)
            if (first := seen.setdefault(order.channel.external_id, index)) != index:
                found.add(where, f"has the same external id as payload[{first}]")
            found.expect(
                order.channel.channel == channel,
                where,
                f"channel ref says {order.channel.channel!r}, the adapter {channel!r}",
            )
            _check_lines(order, where, found)
            _check_total(order, platform_total(payload), where, found)
    found.raise_any()


def _check_lines(order: Order, where: str, found: Findings) -> None:
    for i, line in enumerate(order.lines):
        at = f"{where} lines[{i}]"
        found.expect(bool(line.sku.strip()), at, "sku is blank")
        found.expect(line.quantity > 0, at, f"quantity {line.quantity} is not positive")
        zero = Money.zero(line.currency)
        found.expect(line.unit_price >= zero, at, f"unit_price {line.unit_price} is negative")
        found.expect(
            line.unit_price > zero or line.is_gift,
            at,
            "unit_price is 0 on a line not marked is_gift: map the price, or is_gift",
        )


def _check_total(order: Order, platform: Money, where: str, found: Findings) -> None:
    if platform.currency != order.currency:
        found.add(where, f"currency {order.currency}, the platform total is in {platform}")
        return
    if order.total != platform:
        shipping = order.shipping_fee or Money.zero(order.currency)
        found.add(
            where,
            f"total {order.total} (subtotal {order.subtotal} - discounts {order.discount_total}"
            f" + tax {order.tax_total} + shipping {shipping}) != platform total {platform}, "
            f"off by {order.total - platform}: check the discount, tax and shipping fields",
        )


def _reread(payload: Mapping[str, Any]) -> Any:
    """The payload as it comes back from its JSON text: how stored payloads are replayed."""
    return json.loads(json.dumps(payload, default=str), parse_float=Decimal)


def check_reingest(mapper: OrderMapper, payloads: Payloads) -> None:
    """Mapping is pure: the same payload, again or re-read from JSON, gives the same order."""
    found = Findings("idempotent re-ingest")
    for index, payload in enumerate(payloads):
        before = copy.deepcopy(payload)
        if (first := _mapped(mapper, index, payload, found)) is not None:
            where = payload_label(index, first.order.channel.external_id)
            found.expect(payload == before, where, "map() changed the payload it was given")
            found.expect(mapper.map(payload) == first, where, "mapping it twice differs")
            found.expect(
                mapper.map(_reread(payload)) == first,
                where,
                "maps differently once re-read from its JSON text (floats? dates as objects?)",
            )
            again = Order.model_validate_json(first.order.model_dump_json())
            found.expect(again == first.order, where, "the order does not round-trip as JSON")
    found.raise_any()


def _leaves(node: Any, path: tuple[Step, ...] = ()) -> Iterator[tuple[tuple[Step, ...], Any]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            yield from _leaves(value, (*path, i))
    else:
        yield path, node


def _dotted(path: tuple[Step, ...]) -> str:
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)[1:]


def _broken(payload: Mapping[str, Any], path: tuple[Step, ...], value: object) -> Any:
    """A copy of ``payload`` with the leaf at ``path`` removed (``value`` is ``...``) or set."""
    broken = copy.deepcopy(dict(payload))
    parent: Any = broken
    for step in path[:-1]:
        parent = parent[step]
    if value is ...:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return broken


def check_broken_payloads(mapper: OrderMapper, payloads: Payloads, pii: PiiOf) -> None:
    """A missing or malformed field raises ``MappingFailed`` naming it, without raw PII (C6).

    Each field of each payload is removed in turn, then set to ``null``; each PII string
    is garbled (an unreadable phone) and replaced by a list. Whatever does not map must
    raise ``MappingFailed``, with a problem naming the field and no raw PII anywhere.
    """
    found = Findings("broken payloads")
    for index, payload in enumerate(payloads):
        where = payload_label(index)
        raw_pii = _checked_pii(payload, pii(payload), where, found)
        failed = 0
        for path, value in _leaves(payload):
            field = _dotted(path)
            changes: list[tuple[str, object]] = [(f"with {field} null", None)]
            if isinstance(path[-1], str):
                changes.append((f"without {field}", ...))
            if isinstance(value, str) and any(text and text in value for text in raw_pii):
                changes += [
                    (f"with {field} garbled", value + "#?"),
                    (f"with {field} a list", [value]),
                ]
            for case, change in changes:
                broken = _broken(payload, path, change)
                failed += _try_broken(mapper, broken, path, raw_pii, f"{where} {case}", found)
        found.expect(
            failed > 0,
            where,
            "maps whatever field is removed: required fields must not default silently",
        )
    found.raise_any()


def _checked_pii(payload: Any, raw: Sequence[str], where: str, found: Findings) -> list[str]:
    texts = [value for _, value in _leaves(payload) if isinstance(value, str)]
    for i, text in enumerate(raw):
        found.expect(
            any(text in value for value in texts),
            where,
            f"pii()[{i}] is not a string found in the payload; list its raw PII values",
        )
    return list(raw)


def _try_broken(
    mapper: OrderMapper,
    broken: Mapping[str, Any],
    path: tuple[Step, ...],
    raw_pii: Sequence[str],
    at: str,
    found: Findings,
) -> int:
    """1 when ``broken`` fails to map (noting what is wrong with how it fails), else 0."""
    field = _dotted(path)
    try:
        mapper.map(broken)
    except MappingFailed as failed:
        texts = [str(failed), repr(failed), *(f"{p.raw} {p.message}" for p in failed.problems)]
        if leaked := leaks(texts, raw_pii):
            found.add(at, f"MappingFailed shows raw PII (pii()[{leaked[0]}]): mask it")
        name = str(next(s for s in reversed(path) if isinstance(s, str)))
        found.expect(
            any(name in problem.path for problem in failed.problems),
            at,
            f"MappingFailed names {[p.path for p in failed.problems]}, not {field}",
        )
        return 1
    except Exception as error:
        found.add(at, f"raised {type(error).__name__} instead of MappingFailed naming {field}")
        return 1
    return 0


def check_masked_reprs(mapper: OrderMapper, payloads: Payloads, pii: PiiOf) -> None:
    """The masked order (what hosts log) shows none of a payload's raw PII (C6)."""
    found = Findings("PII in reprs")
    for index, payload in enumerate(payloads):
        raw_pii = list(pii(payload))
        if (mapped := _mapped(mapper, index, payload, found)) is not None:
            masked = mask_order(mapped.order)
            where = payload_label(index, mapped.order.channel.external_id)
            if leaked := leaks([repr(masked), str(masked), masked.model_dump_json()], raw_pii):
                found.add(
                    where,
                    f"the masked order still shows pii()[{leaked[0]}]: map personal data to "
                    "customer and shipping_address fields, never to metadata, titles or ids",
                )
    found.raise_any()
