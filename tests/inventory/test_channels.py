"""Channel availability and snapshot drift (MISSION I2) and the fallback cache (I4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from orderkit.errors import ChannelError
from orderkit.inventory import (
    AvailabilityPolicy,
    AvailabilitySource,
    ChannelRule,
    ChannelSnapshot,
    DoubleCheck,
    Line,
    MemoryStore,
    Stock,
    StockUnavailable,
    publishable,
    reconcile,
)
from orderkit.testing import FakeClock

T0 = datetime(2026, 11, 11, tzinfo=UTC)
BOTH = AvailabilityPolicy(channels={"pinduoduo": ChannelRule(), "douyin": ChannelRule()})


def _snap(channel: str, quantity: int, at: datetime = T0) -> ChannelSnapshot:
    return ChannelSnapshot(channel=channel, sku="TEA-01", quantity=quantity, taken_at=at)


def test_the_seed_incident_50_48_32_is_corrected_to_the_warehouse() -> None:
    store = MemoryStore()
    store.set_on_hand("TEA-01", 32, at=T0)
    fixes = reconcile(
        store.stock("TEA-01"), [_snap("pinduoduo", 50), _snap("douyin", 48)], BOTH, now=T0
    )
    assert [(c.channel, c.shown, c.should_show, c.drift) for c in fixes] == [
        ("douyin", 48, 32, 16),
        ("pinduoduo", 50, 32, 18),
    ]


def test_reservations_lower_what_every_channel_may_show() -> None:
    store = MemoryStore()
    store.set_on_hand("TEA-01", 32, at=T0)
    store.reserve("SO-1", [Line("TEA-01", 12)], at=T0)
    assert publishable(store.stock("TEA-01"), BOTH) == {"douyin": 20, "pinduoduo": 20}
    store.freeze("TEA-01", at=T0)
    assert publishable(store.stock("TEA-01"), BOTH) == {"douyin": 0, "pinduoduo": 0}


def test_buffer_share_and_cap() -> None:
    policy = AvailabilityPolicy(
        channels={
            "tmall": ChannelRule(buffer=5),
            "douyin": ChannelRule(share=Decimal("0.3")),
            "kuaishou": ChannelRule(buffer=1, cap=4),
        }
    )
    stock = Stock("TEA-01", "default", on_hand=30, reserved=3)
    assert publishable(stock, policy) == {"douyin": 8, "kuaishou": 4, "tmall": 22}
    assert publishable(Stock("T", "default", 2, 0), policy) == {
        "douyin": 0,
        "kuaishou": 1,
        "tmall": 0,
    }


def test_in_step_channels_need_nothing_but_stale_or_missing_ones_do() -> None:
    stock = Stock("TEA-01", "default", on_hand=32, reserved=0)
    assert reconcile(stock, [_snap("pinduoduo", 32), _snap("douyin", 32)], BOTH, now=T0) == []
    later = T0 + timedelta(seconds=181)
    fixes = reconcile(stock, [_snap("pinduoduo", 32)], BOTH, now=later)
    assert [(c.channel, c.shown, c.stale) for c in fixes] == [
        ("douyin", None, True),
        ("pinduoduo", 32, True),
    ]


def test_latest_snapshot_wins_and_tolerance_allows_small_drift() -> None:
    stock = Stock("TEA-01", "default", on_hand=32, reserved=0)
    policy = AvailabilityPolicy(channels={"douyin": ChannelRule()}, tolerance=1)
    snaps = [_snap("douyin", 40), _snap("douyin", 33, T0 + timedelta(seconds=90))]
    assert reconcile(stock, snaps, policy, now=T0 + timedelta(seconds=100)) == []


def test_policies_validate_as_data() -> None:
    with pytest.raises(ValidationError):
        AvailabilityPolicy(channels={"x": ChannelRule(share=Decimal("1.5"))})
    loaded = AvailabilityPolicy.model_validate(
        {"channels": {"douyin": {"buffer": 2}}, "snapshot_interval": 60}
    )
    assert loaded.snapshot_interval == timedelta(seconds=60)


@given(
    on_hand=st.integers(0, 500),
    reserved=st.integers(0, 500),
    buffer=st.integers(0, 50),
    share=st.decimals(min_value=Decimal("0.01"), max_value=1, places=2),
    cap=st.none() | st.integers(0, 100),
)
def test_no_channel_is_ever_offered_more_than_is_available(
    on_hand: int, reserved: int, buffer: int, share: Decimal, cap: int | None
) -> None:
    stock = Stock("S", "default", max(on_hand, reserved), reserved)
    policy = AvailabilityPolicy(channels={"c": ChannelRule(buffer=buffer, share=share, cap=cap)})
    shown = publishable(stock, policy)["c"]
    assert 0 <= shown <= stock.available


class _Wms:
    def __init__(self) -> None:
        self.quantity = 40
        self.failure: Exception | None = None

    def available(self, sku: str, location: str) -> int:
        if self.failure is not None:
            raise self.failure
        return self.quantity


def test_fallback_is_conservative_and_bounded_in_time() -> None:
    wms, clock = _Wms(), FakeClock(T0)
    check = DoubleCheck(wms, clock=clock, max_staleness=timedelta(minutes=5))
    assert check.available("TEA-01").source is AvailabilitySource.PRIMARY
    check.note_reserved("TEA-01", 3)
    check.note_reserved("TEA-01", 2)
    wms.failure = TimeoutError("read timed out")
    clock.advance(timedelta(minutes=4))
    answer = check.available("TEA-01")
    assert (answer.quantity, answer.source, answer.as_of) == (35, AvailabilitySource.CACHE, T0)
    clock.advance(timedelta(minutes=2))
    with pytest.raises(StockUnavailable, match="0:06:00 old"):
        check.available("TEA-01")


def test_fallback_resets_after_a_good_reading_and_lets_bugs_through() -> None:
    wms, clock = _Wms(), FakeClock(T0)
    check = DoubleCheck(wms, clock=clock)
    wms.failure = ChannelError("502 from the WMS", retryable=True)
    with pytest.raises(StockUnavailable, match="nothing is cached"):
        check.available("TEA-01")
    wms.failure = None
    check.available("TEA-01")
    check.note_reserved("TEA-01", 50)
    wms.failure = OSError("connection reset")
    assert check.available("TEA-01").quantity == 0
    wms.failure = KeyError("bug")
    with pytest.raises(KeyError):
        check.available("TEA-01")
