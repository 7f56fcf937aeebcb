"""Hypothesis strategies for orderkit's public models.

Import them into your own property-based tests::

    from hypothesis import given
    from orderkit.testing import strategies as oks

    @given(oks.orders())
    def test_my_exporter_round_trips(order):
        assert import_order(export_order(order)) == order

Every strategy produces valid instances and shrinks towards small, simple ones (one
line, quantity 1, zero amounts, the first currency). Pass ``currency=`` to pin one.

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from orderkit.discounts import Cart, CartLine, RuleSet
from orderkit.events import Event, EventPayload, OrderCancelled, OrderPaid, OrderShipped
from orderkit.money import Money, minor_unit
from orderkit.money._iso4217 import ISO_4217_MINOR_UNITS
from orderkit.order import (
    Address,
    ChannelRef,
    Customer,
    Order,
    OrderLine,
    Package,
    PackageItem,
    Payment,
    Shipment,
)

__all__ = [
    "addresses",
    "aware_datetimes",
    "carts",
    "channel_refs",
    "currencies",
    "customers",
    "events",
    "money",
    "order_lines",
    "orders",
    "payments",
    "rule_sets",
    "shipments",
]

_COMMON = ("CNY", "USD", "EUR", "JPY", "KWD", "GBP", "KRW", "BHD")
_IDS = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)


def currencies() -> st.SearchStrategy[str]:
    """ISO 4217 codes; shrinks towards CNY, with 0-, 2- and 3-decimal currencies early."""
    rest = sorted(set(ISO_4217_MINOR_UNITS) - set(_COMMON))
    return st.sampled_from((*_COMMON, *rest))


def money(
    currency: str | None = None, *, min_units: int = 0, max_units: int = 10**9
) -> st.SearchStrategy[Money]:
    """Rounded :class:`Money` between ``min_units`` and ``max_units`` minor units."""
    codes = st.just(currency) if currency else currencies()
    return st.builds(Money.from_minor, st.integers(min_units, max_units), codes)


def aware_datetimes() -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes in assorted fixed UTC offsets (2000–2100)."""
    offsets = st.integers(-12 * 4, 14 * 4).map(lambda q: timezone(timedelta(minutes=15 * q)))
    return st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=offsets)


def channel_refs() -> st.SearchStrategy[ChannelRef]:
    """Channel references on a few well-known channel names."""
    names = st.sampled_from(("shopify", "pinduoduo", "douyin", "tmall", "kuaishou", "wechat"))
    return st.builds(ChannelRef, channel=names, external_id=_IDS)


def customers() -> st.SearchStrategy[Customer]:
    """Customers with any subset of their optional fields."""
    text = st.none() | st.text(min_size=1, max_size=20)
    return st.builds(Customer, customer_id=text, name=text, phone=text, tier=text)


def addresses() -> st.SearchStrategy[Address]:
    """Addresses in a few countries, with optional parts."""
    text = st.none() | st.text(min_size=1, max_size=20)
    return st.builds(
        Address,
        country=st.sampled_from(("CN", "US", "DE", "JP")),
        province=text,
        city=text,
        street=text,
    )


@st.composite
def order_lines(draw: st.DrawFn, currency: str = "CNY", line_id: str = "1") -> OrderLine:
    """A valid line: positive quantity, discount never above the subtotal."""
    quantity = draw(st.integers(1, 20))
    price = draw(money(currency, max_units=10**7))
    discount = draw(st.none() | money(currency, max_units=price.minor_units * quantity))
    tax = draw(st.none() | money(currency, max_units=10**6))
    return OrderLine(
        line_id=line_id,
        sku=draw(_IDS.map(str.upper)),
        quantity=quantity,
        unit_price=price,
        discount=discount,
        tax=tax,
        is_gift=draw(st.booleans()),
    )


def payments(currency: str = "CNY") -> st.SearchStrategy[Payment]:
    """Captured payments in ``currency``."""
    methods = st.sampled_from(("alipay", "wechat_pay", "card", "bank_transfer"))
    return st.builds(
        Payment,
        payment_id=_IDS,
        method=methods,
        amount=money(currency),
        paid_at=aware_datetimes(),
    )


@st.composite
def shipments(draw: st.DrawFn, lines: tuple[OrderLine, ...]) -> Shipment:
    """A shipment of part of ``lines`` in one or two packages."""
    chosen = draw(st.lists(st.sampled_from(lines), min_size=1, unique_by=lambda x: x.line_id))
    items = [
        PackageItem(line_id=line.line_id, quantity=draw(st.integers(1, line.quantity)))
        for line in chosen
    ]
    cut = draw(st.integers(1, len(items)))
    groups = [items[:cut], items[cut:]] if cut < len(items) else [items]
    packages = [
        Package(
            tracking_number=draw(_IDS),
            carrier=draw(st.sampled_from(("SF", "JD", "YTO"))),
            items=tuple(group),
        )
        for group in groups
    ]
    return Shipment(
        shipment_id=draw(_IDS), shipped_at=draw(aware_datetimes()), packages=tuple(packages)
    )


@st.composite
def orders(draw: st.DrawFn, currency: str | None = None, max_lines: int = 5) -> Order:
    """Valid canonical orders: unique line ids, one currency, at most one shipment."""
    code = currency or draw(currencies())
    count = draw(st.integers(1, max_lines))
    lines = tuple(draw(order_lines(code, line_id=str(i + 1))) for i in range(count))
    return Order(
        order_id=draw(_IDS),
        channel=draw(channel_refs()),
        created_at=draw(aware_datetimes()),
        currency=code,
        customer=draw(customers()),
        shipping_address=draw(st.none() | addresses()),
        lines=lines,
        shipping_fee=draw(st.none() | money(code, max_units=10**5)),
        payments=tuple(draw(st.lists(payments(code), max_size=2))),
        shipments=tuple(draw(st.lists(shipments(lines), max_size=1))),
        is_test=draw(st.booleans()),
    )


def events() -> st.SearchStrategy[Event]:
    """Envelopes around orderkit's own payloads."""
    payloads: st.SearchStrategy[EventPayload] = st.one_of(
        st.builds(OrderCancelled, reason=st.text(min_size=1, max_size=30).filter(str.strip)),
        st.builds(OrderPaid, payment=payments()),
        orders(currency="CNY", max_lines=2).flatmap(
            lambda order: shipments(order.lines).map(lambda s: OrderShipped(shipment=s))
        ),
    )
    return st.builds(
        lambda payload, at, order_id: Event.of(payload, at=at, order_id=order_id),
        payloads,
        aware_datetimes(),
        st.none() | _IDS,
    )


_SKUS = ("TEA", "CUP", "DRESS", "SCARF", "COAT")
_CATEGORIES = ("tea", "ware", "apparel")
_TIERS = ("gold", "silver")
_SALES_CHANNELS = ("tmall", "douyin")
_CUSTOMER_IDS = ("c-1", "c-2")
_CODES = ("SHOP300", "RP10", "VIP")
_TAGS = ("coupon", "promo")
_RULE_IDS = tuple(f"r{n}" for n in range(8))
_LAYER_NAMES = ("member", "shop", "platform", "extra")
_DOUBLE_11 = datetime(2026, 11, 11, tzinfo=UTC)


def _hours(hours: int) -> datetime:
    return _DOUBLE_11 + timedelta(hours=hours)


def _rarely(draw: st.DrawFn, one_in: int = 4) -> bool:
    """True once in ``one_in`` draws; shrinks to False."""
    return draw(st.integers(0, one_in - 1)) == one_in - 1


@st.composite
def carts(
    draw: st.DrawFn,
    currency: str = "CNY",
    *,
    min_lines: int = 1,
    max_lines: int = 8,
    max_price: int = 300,
) -> Cart:
    """Carts to price with :func:`orderkit.discounts.price`, on the vocabulary of :func:`rule_sets`.

    Lines have unique short ids, SKUs and categories from a small catalogue, quantities
    of 1 to 5 and unit prices of 1 to ``max_price`` whole units of ``currency``. The
    buyer's tier, channel, customer id, presented codes, shipping fee, the moment (in
    hours around 2026-11-11 00:00 UTC) and usage counts of the rules ``r0`` to ``r7``
    vary too, so eligibility conditions both hold and fail. Shrinks towards one line
    of quantity 1 and an anonymous buyer.
    """
    scale = 10 ** minor_unit(currency)
    count = draw(st.integers(min_lines, max_lines))
    ids = draw(st.lists(_IDS, min_size=count, max_size=count, unique=True))
    lines = [
        CartLine(
            line_id=line_id,
            sku=draw(st.sampled_from(_SKUS)),
            quantity=draw(st.integers(1, 5)),
            unit_price=Money.from_minor(draw(st.integers(1, max_price)) * scale, currency),
            categories=draw(st.frozensets(st.sampled_from(_CATEGORIES), max_size=2)),
            channel=draw(st.none() | st.sampled_from(_SALES_CHANNELS)),
        )
        for line_id in ids
    ]
    fee = draw(st.none() | st.integers(0, 20))
    return Cart(
        currency=currency,
        at=_hours(draw(st.integers(-24, 24))),
        lines=tuple(lines),
        channel=draw(st.none() | st.sampled_from(_SALES_CHANNELS)),
        customer_id=draw(st.none() | st.sampled_from(_CUSTOMER_IDS)),
        member_tier=draw(st.none() | st.sampled_from(_TIERS)),
        codes=draw(st.frozensets(st.sampled_from(_CODES))),
        shipping_fee=None if fee is None else Money.from_minor(fee * scale, currency),
        rule_uses=draw(st.dictionaries(st.sampled_from(_RULE_IDS), st.integers(0, 2), max_size=2)),
        customer_rule_uses=draw(
            st.dictionaries(st.sampled_from(_RULE_IDS), st.integers(0, 2), max_size=2)
        ),
    )


def _units(low: int, high: int) -> st.SearchStrategy[str]:
    """Whole amounts written as strings: valid in every currency."""
    return st.integers(low, high).map(str)


def _rising(draw: st.DrawFn, size: int, low: int, high: int) -> list[str]:
    values = draw(st.lists(st.integers(low, high), min_size=size, max_size=size, unique=True))
    return [str(v) for v in sorted(values)]


def _percentage(draw: st.DrawFn) -> dict[str, Any]:
    return {"percent_off": draw(_units(1, 50) | st.just("100"))}


def _amount_off(draw: st.DrawFn) -> dict[str, Any]:
    return {"amount": draw(_units(1, 100))}


def _fixed_price(draw: st.DrawFn) -> dict[str, Any]:
    return {"price": draw(_units(0, 100))}


def _threshold(draw: st.DrawFn) -> dict[str, Any]:
    return {"threshold": draw(_units(50, 600)), "amount": draw(_units(1, 100))}


def _tiered(draw: st.DrawFn) -> dict[str, Any]:
    size = draw(st.integers(1, 3))
    thresholds = _rising(draw, size, 50, 800)
    amounts = _rising(draw, size, 1, 150)
    return {
        "tiers": [{"threshold": t, "amount": a} for t, a in zip(thresholds, amounts, strict=True)]
    }


def _every(draw: st.DrawFn) -> dict[str, Any]:
    fields: dict[str, Any] = {"step": draw(_units(20, 200)), "amount": draw(_units(1, 30))}
    if _rarely(draw, 2):
        fields["max_times"] = draw(st.integers(1, 3))
    return fields


def _buy_x_get_y(draw: st.DrawFn) -> dict[str, Any]:
    fields: dict[str, Any] = {"buy": draw(st.integers(1, 3)), "get": draw(st.integers(1, 2))}
    if _rarely(draw):
        fields["percent_off"] = "50"
    return fields


def _gift(draw: st.DrawFn) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "gift_sku": draw(st.sampled_from(("GIFT-MUG", "GIFT-SCARF"))),
        "gift_quantity": draw(st.integers(1, 2)),
    }
    if _rarely(draw, 2):
        fields["gift_value"] = draw(_units(0, 60))
    if _rarely(draw):
        fields["min_quantity"] = draw(st.integers(1, 6))
    return fields


def _member_tier(draw: st.DrawFn) -> dict[str, Any]:
    tiers = draw(st.lists(st.sampled_from(_TIERS), min_size=1, max_size=2, unique=True))
    return {"percent_off_by_tier": {tier: draw(_units(1, 20)) for tier in tiers}}


def _coupon(draw: st.DrawFn) -> dict[str, Any]:
    value = (
        {"percent_off": draw(_units(1, 30))}
        if draw(st.booleans())
        else {"amount": draw(_units(1, 80))}
    )
    return {"code": draw(st.sampled_from(_CODES)), **value}


def _red_packet(draw: st.DrawFn) -> dict[str, Any]:
    fields: dict[str, Any] = {"amount": draw(_units(1, 30))}
    if _rarely(draw):
        fields["code"] = draw(st.sampled_from(_CODES))
    return fields


def _shipping(draw: st.DrawFn) -> dict[str, Any]:
    value = draw(st.sampled_from(("free", "amount", "percent_off")))
    if value == "amount":
        return {"amount": draw(_units(1, 20))}
    if value == "percent_off":
        return {"percent_off": draw(_units(1, 100))}
    return {}


_KIND_FIELDS: dict[str, Callable[[st.DrawFn], dict[str, Any]]] = {
    "percentage": _percentage,
    "amount_off": _amount_off,
    "fixed_price": _fixed_price,
    "threshold": _threshold,
    "tiered": _tiered,
    "every": _every,
    "buy_x_get_y": _buy_x_get_y,
    "gift": _gift,
    "member_tier": _member_tier,
    "coupon": _coupon,
    "red_packet": _red_packet,
    "shipping": _shipping,
}
_RULE_KINDS = tuple(_KIND_FIELDS)
_MIN_SPEND_KINDS = frozenset(
    {"percentage", "amount_off", "gift", "coupon", "red_packet", "shipping"}
)


def _kind_fields(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """The fields particular to one kind of rule, and sometimes a minimum spend."""
    fields = _KIND_FIELDS[kind](draw)
    if kind in _MIN_SPEND_KINDS and _rarely(draw, 2):
        fields["min_spend"] = draw(_units(50, 500))
    return fields


def _target(draw: st.DrawFn) -> dict[str, Any]:
    """All lines (half the time), or lines by SKU, category or channel, or exclusions."""
    if not _rarely(draw, 2):
        return {}
    names = ("skus", "categories", "channels", "exclude_skus", "exclude_categories")
    choice = draw(st.sampled_from(names))
    pools = {
        "skus": _SKUS,
        "categories": _CATEGORIES,
        "channels": _SALES_CHANNELS,
        "exclude_skus": _SKUS,
        "exclude_categories": _CATEGORIES,
    }
    values = draw(st.lists(st.sampled_from(pools[choice]), min_size=1, max_size=2, unique=True))
    return {choice: values}


def _condition(draw: st.DrawFn) -> dict[str, Any]:
    """At most one eligibility condition, absent two times in three."""
    if not _rarely(draw, 3):
        return {}
    choice = draw(st.sampled_from(("member_tiers", "channels", "customers", "window", "uses")))
    if choice == "member_tiers":
        return {"member_tiers": [draw(st.sampled_from(_TIERS))]}
    if choice == "channels":
        return {"channels": [draw(st.sampled_from(_SALES_CHANNELS))]}
    if choice == "customers":
        return {"customers": [draw(st.sampled_from(_CUSTOMER_IDS))]}
    if choice == "window":
        start = draw(st.integers(-24, 12))
        end = start + draw(st.integers(1, 24))
        return {"starts_at": _hours(start).isoformat(), "ends_at": _hours(end).isoformat()}
    field = draw(st.sampled_from(("max_uses", "max_uses_per_customer")))
    return {field: draw(st.integers(0, 3))}


@st.composite
def rule_sets(
    draw: st.DrawFn,
    currency: str = "CNY",
    *,
    kinds: Collection[str] | None = None,
    min_rules: int = 0,
    max_rules: int = 8,
    min_layers: int = 2,
    max_layers: int = 4,
    policies: Collection[str] = ("best", "stack", "first"),
    bases: Collection[str] = ("current", "original"),
    targeted: bool = True,
    exclusivity: bool = True,
) -> RuleSet:
    """Valid :class:`~orderkit.discounts.RuleSet` instances in ``currency``, for :func:`carts`.

    ``min_layers`` to ``max_layers`` layers (named ``member``, ``shop``, ``platform``,
    ``extra`` in that order), each with a policy from ``policies``; ``min_rules`` to
    ``max_rules`` rules with ids ``r0``, ``r1`` ..., of the ``kinds`` given (by default
    every kind: ``percentage``, ``amount_off``, ``fixed_price``, ``threshold``,
    ``tiered``, ``every``, ``buy_x_get_y``, ``gift``, ``member_tier``, ``coupon``,
    ``red_packet``, ``shipping``), with whole amounts, a base from ``bases``, and
    sometimes a ``max_discount`` or an eligibility condition. With ``targeted``, some
    rules target SKUs, categories or channels; with ``exclusivity``, some are exclusive,
    carry tags and appear in ``conflicts``. Shrinks towards ``min_rules`` rules.
    """
    unknown = set(kinds or ()) - set(_RULE_KINDS)
    if unknown:
        raise ValueError(f"unknown rule kinds {sorted(unknown)}; known: {list(_RULE_KINDS)}")
    chosen_kinds = sorted(_RULE_KINDS if kinds is None else kinds, key=_RULE_KINDS.index)
    layer_count = draw(st.integers(min_layers, max_layers))
    layers = [
        {"name": name, "policy": draw(st.sampled_from(sorted(policies)))}
        for name in _LAYER_NAMES[:layer_count]
    ]
    names = [layer["name"] for layer in layers]
    rules: list[dict[str, Any]] = []
    for n in range(draw(st.integers(min_rules, max_rules))):
        kind = draw(st.sampled_from(chosen_kinds))
        rule: dict[str, Any] = {
            "id": f"r{n}",
            "kind": kind,
            "layer": draw(st.sampled_from(names)),
            "priority": draw(st.integers(0, 2)),
            "base": draw(st.sampled_from(sorted(bases))),
            **_kind_fields(draw, kind),
            **_condition(draw),
        }
        if targeted:
            rule["target"] = _target(draw)
        if _rarely(draw):
            rule["max_discount"] = draw(_units(1, 60))
        if exclusivity:
            rule["exclusive"] = _rarely(draw, 8)
            rule["tags"] = draw(st.lists(st.sampled_from(_TAGS), max_size=2, unique=True))
        rules.append(rule)
    conflicts: list[tuple[str, str]] = []
    if exclusivity and rules:
        ids = [rule["id"] for rule in rules]
        known = sorted({*ids, *(tag for rule in rules for tag in rule["tags"])})
        pairs = draw(
            st.lists(st.tuples(st.sampled_from(known), st.sampled_from(known)), max_size=2)
        )
        conflicts = [(a, b) for a, b in pairs if a != b or a not in ids]
    return RuleSet.load(
        {
            "currency": currency,
            "rounding": draw(st.sampled_from(("ROUND_HALF_UP", "ROUND_HALF_EVEN", "ROUND_DOWN"))),
            "layers": layers,
            "rules": rules,
            "conflicts": conflicts,
        }
    )
