"""The demo's inventory chapter: reserve the demo orders, refuse the seed's oversell."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TextIO

from orderkit.errors import InsufficientStock
from orderkit.inventory import (
    AvailabilityPolicy,
    ChannelRule,
    ChannelSnapshot,
    Line,
    ReservationStore,
    check,
    reconcile,
)
from orderkit.order import Order

__all__ = ["reserve_orders"]

_ON_HAND = {"TEE-BLK-M": 20, "MUG-12OZ": 10, "CAP-NAVY": 5, "TEA-LJ-250": 32, "CUP-GLASS": 8}
_CHANNELS = AvailabilityPolicy(channels={"pinduoduo": ChannelRule(), "douyin": ChannelRule()})


def reserve_orders(
    out: TextIO, store: ReservationStore, orders: Sequence[Order], start: datetime
) -> None:
    """Count stock, reserve every order, show the 50/48/32 story and a release."""
    for sku, quantity in _ON_HAND.items():
        store.set_on_hand(sku, quantity, at=start)
    for order in orders:
        lines = [Line(line.sku, line.quantity) for line in order.lines]
        held = store.reserve(order.order_id, lines, at=start)
        print(
            f"    reserved {held.reservation_id}: "
            f"{', '.join(f'{x.quantity} x {x.sku}' for x in held.lines)}",
            file=out,
        )
    tea = store.stock("TEA-LJ-250")
    shown = [
        ChannelSnapshot(channel="pinduoduo", sku=tea.sku, quantity=50, taken_at=start),
        ChannelSnapshot(channel="douyin", sku=tea.sku, quantity=48, taken_at=start),
    ]
    print(
        f"    {tea.sku}: warehouse on hand {tea.on_hand}, reserved {tea.reserved}; "
        "Pinduoduo shows 50, Douyin 48",
        file=out,
    )
    for fix in reconcile(tea, shown, _CHANNELS, now=start):
        print(f"    push to {fix.channel}: {fix.shown} -> {fix.should_show}", file=out)
    try:
        store.reserve("DOUYIN-6921", [Line(tea.sku, 40)], at=start + timedelta(minutes=1))
    except InsufficientStock as refused:
        print(f"    oversell refused: {refused}", file=out)
    released = store.release(orders[0].order_id, at=start + timedelta(minutes=2))
    print(
        f"    {released.reservation_id} cancelled: released "
        f"{sum(released.remaining().values())} units back to stock",
        file=out,
    )
    drift = check(store)
    print(
        f"    journal: {len(store.journal())} entries; counters match the journal: "
        f"{drift or 'yes'}",
        file=out,
    )
