"""De-duplication of orders that arrive twice or from several exports (MISSION C8)."""

from __future__ import annotations

from datetime import UTC, datetime
from random import Random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from orderkit.channels._dedup import DedupeReport, ExactDuplicate, OrderConflict, dedupe
from orderkit.money import Money
from orderkit.order import (
    Address,
    ChannelRef,
    Customer,
    Order,
    OrderLine,
    Package,
    PackageItem,
    Shipment,
)
from orderkit.testing.strategies import orders

WHEN = datetime(2026, 11, 11, 8, 0, tzinfo=UTC)


def order(external_id: str = "A", channel: str = "tmall", lines: int = 1, **fields: Any) -> Order:
    return Order(
        order_id=f"SO-{external_id}",
        channel=ChannelRef(channel=channel, external_id=external_id),
        created_at=WHEN,
        currency="CNY",
        lines=[
            OrderLine(line_id=str(i), sku=f"TEA-{i}", quantity=1, unit_price=Money("59.00", "CNY"))
            for i in range(1, lines + 1)
        ],
        **fields,
    )


def shipped(base: Order) -> Order:
    package = Package(
        tracking_number="SF1234567890", carrier="SF", items=[PackageItem(line_id="1", quantity=1)]
    )
    return base.replace(shipments=[Shipment(shipment_id="S1", shipped_at=WHEN, packages=[package])])


def test_c8_no_duplicates_keeps_everything_sorted_by_key() -> None:
    result = dedupe([order("B"), order("A"), order("A", channel="douyin")])
    assert [o.channel.key for o in result.orders] == ["douyin:A", "tmall:A", "tmall:B"]
    assert result.report == DedupeReport()
    assert not result.report
    assert str(result.report) == "no duplicates"


def test_c8_exact_duplicates_from_two_exports_collapse() -> None:
    result = dedupe([order("A"), order("B"), order("A"), order("A")])
    assert result.orders == (order("A"), order("B"))
    assert result.report == DedupeReport(exact=(ExactDuplicate("tmall:A", 3),))
    assert str(result.report) == "tmall:A: 3 identical copies"


def test_c8_a_conflict_lists_the_fields_totals_and_line_counts_masked() -> None:
    export = order("A", customer=Customer(phone="13800138000"))
    webhook = shipped(
        order(
            "A",
            lines=2,
            customer=Customer(phone="13900139000"),
            shipping_address=Address(country="CN", street="文三路 90 号"),
        )
    )
    result = dedupe([export, webhook, export])
    assert result.orders == (webhook,)
    assert result.report == DedupeReport(
        conflicts=(
            OrderConflict(
                "tmall:A",
                3,
                ("customer.phone", "lines", "shipments", "shipping_address"),
                ("CNY 118.00", "CNY 59.00"),
                (2, 1),
            ),
        )
    )
    text = str(result.report) + repr(result.report)
    for raw in ("13800138000", "13900139000", "文三路"):
        assert raw not in text
    assert str(result.report) == (
        "tmall:A: 3 copies in 2 versions differing in customer.phone, lines, shipments, "
        "shipping_address\n  totals CNY 118.00 (kept), CNY 59.00; line counts 2, 1"
    )


def test_c8_the_most_advanced_copy_is_kept() -> None:
    """Shipments first, then payments: a later export never loses a shipment."""
    base = order("A", note="first export")
    later = shipped(order("A", note="later"))
    assert dedupe([later, base]).orders == (later,)
    assert dedupe([base, later]).orders == (later,)


def test_c8_nested_differences_name_the_path() -> None:
    one = order("A", lines=2)
    two = one.replace(lines=[one.lines[0], one.lines[1].replace(quantity=3)], note="gift")
    (conflict,) = dedupe([one, two]).report.conflicts
    assert conflict.fields == ("lines[1].quantity", "note")


def collide(orders_: list[Order], ids: list[str]) -> list[Order]:
    return [
        o.replace(channel=ChannelRef(channel="tmall", external_id=i))
        for o, i in zip(orders_, ids, strict=False)
    ]


batches = st.lists(orders(currency="CNY", max_lines=2), min_size=1, max_size=5).flatmap(
    lambda batch: st.lists(
        st.sampled_from(["1", "2", "3"]), min_size=len(batch), max_size=len(batch)
    ).map(lambda ids: collide(batch, ids) * 2)
)


@settings(max_examples=25)
@given(batches, st.randoms(use_true_random=False))
def test_c8_dedupe_does_not_depend_on_arrival_order(batch: list[Order], random: Random) -> None:
    shuffled = list(batch)
    random.shuffle(shuffled)
    assert dedupe(shuffled) == dedupe(batch)


@settings(max_examples=25)
@given(batches)
def test_c8_dedupe_is_idempotent(batch: list[Order]) -> None:
    result = dedupe(batch)
    assert len({o.channel.key for o in result.orders}) == len(result.orders)
    assert {o.channel.key for o in result.orders} == {o.channel.key for o in batch}
    again = dedupe(result.orders)
    assert again.orders == result.orders
    assert not again.report
    assert {c.key for c in result.report.conflicts}.isdisjoint(d.key for d in result.report.exact)
