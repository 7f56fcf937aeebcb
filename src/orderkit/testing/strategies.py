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

from datetime import datetime, timedelta, timezone

from hypothesis import strategies as st

from orderkit.events import Event, EventPayload, OrderCancelled, OrderPaid, OrderShipped
from orderkit.money import Money
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
    "channel_refs",
    "currencies",
    "customers",
    "events",
    "money",
    "order_lines",
    "orders",
    "payments",
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
