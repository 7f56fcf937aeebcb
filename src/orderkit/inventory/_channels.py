"""What each sales channel may show, and the corrections its snapshots need (MISSION I2).

The seed's incident: Pinduoduo showed 50, Douyin 48, while the warehouse really held
32, and both channels oversold. :func:`publishable` derives every channel's sellable
quantity from the one stock record; :func:`reconcile` compares the snapshots pulled
from the channels (every 90 s by default) with it and lists the pushes that fix drift.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt

from orderkit.clock import UtcDateTime, require_aware
from orderkit.inventory._types import Stock

__all__ = [
    "AvailabilityPolicy",
    "ChannelRule",
    "ChannelSnapshot",
    "Correction",
    "publishable",
    "reconcile",
]


class ChannelRule(BaseModel):
    """How much of the available stock one channel may offer.

    ``buffer`` units are held back first, then ``share`` (a fraction) of the rest is
    offered, rounded down, and never more than ``cap``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    buffer: NonNegativeInt = 0
    share: Decimal = Field(default=Decimal(1), gt=0, le=1)
    cap: NonNegativeInt | None = None


class AvailabilityPolicy(BaseModel):
    """The channels to publish to and how often their snapshots are pulled (I2).

    >>> policy = AvailabilityPolicy(channels={"pinduoduo": ChannelRule(buffer=2),
    ...                                       "douyin": ChannelRule(share=Decimal("0.5"))})
    >>> policy.snapshot_interval
    datetime.timedelta(seconds=90)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    channels: dict[str, ChannelRule]
    snapshot_interval: timedelta = timedelta(seconds=90)
    tolerance: NonNegativeInt = 0


def publishable(stock: Stock, policy: AvailabilityPolicy) -> dict[str, int]:
    """The quantity each channel may show for one stock record (zero while frozen).

    >>> from orderkit.inventory import Stock
    >>> policy = AvailabilityPolicy(channels={"pinduoduo": ChannelRule(buffer=2),
    ...                                       "douyin": ChannelRule(cap=20)})
    >>> publishable(Stock("TEA-01", "default", on_hand=32, reserved=0), policy)
    {'douyin': 20, 'pinduoduo': 30}
    """
    shown = {}
    for channel, rule in sorted(policy.channels.items()):
        base = max(stock.available - rule.buffer, 0)
        quantity = int((Decimal(base) * rule.share).to_integral_value(ROUND_FLOOR))
        shown[channel] = quantity if rule.cap is None else min(quantity, rule.cap)
    return shown


class ChannelSnapshot(BaseModel):
    """What a channel showed for a SKU when it was pulled."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: str
    sku: str
    quantity: int
    taken_at: UtcDateTime


@dataclass(frozen=True, slots=True)
class Correction:
    """A quantity to push to a channel: what it shows, what it should show, and why."""

    channel: str
    sku: str
    shown: int | None
    should_show: int
    stale: bool

    @property
    def drift(self) -> int | None:
        """How far the channel is off (positive: it offers more than it may)."""
        return None if self.shown is None else self.shown - self.should_show


def reconcile(
    stock: Stock,
    snapshots: Iterable[ChannelSnapshot],
    policy: AvailabilityPolicy,
    *,
    now: datetime,
) -> list[Correction]:
    """The pushes that bring every channel back to what it may show.

    A channel is corrected when its latest snapshot drifts beyond ``tolerance``, when
    its snapshot is older than two pull intervals (``stale``), or when it has none.

    >>> from datetime import UTC
    >>> stock = Stock("TEA-01", "default", on_hand=32, reserved=0)
    >>> policy = AvailabilityPolicy(channels={"pinduoduo": ChannelRule(), "douyin": ChannelRule()})
    >>> at = datetime(2026, 11, 11, tzinfo=UTC)
    >>> seen = [ChannelSnapshot(channel="pinduoduo", sku="TEA-01", quantity=50, taken_at=at),
    ...         ChannelSnapshot(channel="douyin", sku="TEA-01", quantity=48, taken_at=at)]
    >>> [(c.channel, c.shown, c.should_show) for c in reconcile(stock, seen, policy, now=at)]
    [('douyin', 48, 32), ('pinduoduo', 50, 32)]
    """
    now = require_aware(now, "now")
    latest: dict[str, ChannelSnapshot] = {}
    for snap in snapshots:
        if snap.sku == stock.sku and snap.channel in policy.channels:
            held = latest.get(snap.channel)
            if held is None or snap.taken_at > held.taken_at:
                latest[snap.channel] = snap
    corrections = []
    for channel, should in publishable(stock, policy).items():
        last = latest.get(channel)
        stale = last is None or now - last.taken_at > 2 * policy.snapshot_interval
        shown = None if last is None else last.quantity
        if stale or shown is None or abs(shown - should) > policy.tolerance:
            corrections.append(Correction(channel, stock.sku, shown, should, stale))
    return corrections
