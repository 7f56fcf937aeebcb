"""Fraud velocity rules (MISSION H7): the seed's three rules, windows, bounds and restarts.

Worked examples for each rule, then Hypothesis properties: the incremental windows agree
with a brute-force recount over the whole history for every event, and a monitor
restored from a snapshot taken at any point gives the same hits as one that never
stopped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderkit.errors import ConfigError, InvalidVelocityState, LateEvent, NaiveDatetime
from orderkit.health._velocity import (
    Hit,
    PaymentSwitching,
    SameDeviceSpread,
    SamePhoneBurst,
    VelocityEvent,
    VelocityMonitor,
    VelocityRules,
    WindowUsage,
    mask_key,
)

T0 = datetime(2026, 11, 11, 20, tzinfo=UTC)
PHONE = "13812340000"


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def feed(monitor: VelocityMonitor, events: Sequence[VelocityEvent]) -> list[list[Hit]]:
    return [monitor.observe(event) for event in events]


def phone_orders(addresses: Sequence[str], every: float = 10) -> list[VelocityEvent]:
    return [
        VelocityEvent(f"SO-{i}", minutes(every * i), phone=PHONE, address=address)
        for i, address in enumerate(addresses)
    ]


# --- SamePhoneBurst: >= 5 orders within 1 h to >= 3 addresses --------------------------


def test_fifth_order_from_one_phone_to_three_addresses_is_flagged() -> None:
    hits = feed(VelocityMonitor(), phone_orders(["a", "b", "c", "a", "b"]))
    assert [len(h) for h in hits] == [0, 0, 0, 0, 1]
    hit = hits[-1][0]
    assert (hit.rule, hit.kind, hit.key_field, hit.key) == (
        "same_phone_burst",
        "same_phone_burst",
        "phone",
        "138****0000",
    )
    assert (hit.orders, hit.distinct, hit.window) == (5, 3, timedelta(hours=1))
    assert hit.order_ids == ("SO-0", "SO-1", "SO-2", "SO-3", "SO-4")
    assert (hit.order_id, hit.at) == ("SO-4", minutes(40))


def test_every_later_order_of_the_burst_is_flagged_too() -> None:
    hits = feed(VelocityMonitor(), phone_orders(["a", "b", "c", "a", "b", "c", "a"], every=5))
    assert [len(h) for h in hits] == [0, 0, 0, 0, 1, 1, 1]
    assert hits[-1][0].orders == 7


def test_two_addresses_are_not_scattered() -> None:
    hits = feed(VelocityMonitor(), phone_orders(["home", "office"] * 3))
    assert not any(hits)


def test_orders_spread_over_more_than_an_hour_are_not_a_burst() -> None:
    hits = feed(VelocityMonitor(), phone_orders(["a", "b", "c", "d", "e"], every=16))
    assert not any(hits)


def test_the_window_includes_its_start() -> None:
    events = phone_orders(["a", "b", "c", "d", "e"], every=15)
    assert events[-1].at - events[0].at == timedelta(hours=1)
    assert len(feed(VelocityMonitor(), events)[-1]) == 1


# --- SameDeviceSpread: >= 8 orders within 7 days to >= 5 cities -------------------------


def device_orders(cities: Sequence[str], every: timedelta) -> list[VelocityEvent]:
    return [
        VelocityEvent(f"D-{i}", T0 + every * i, device="idfa-7f3a9c", city=city)
        for i, city in enumerate(cities)
    ]


def test_eighth_order_from_one_device_to_five_cities_is_flagged() -> None:
    cities = ["杭州", "上海", "苏州", "南京", "宁波", "杭州", "上海", "苏州"]
    hits = feed(VelocityMonitor(), device_orders(cities, timedelta(hours=20)))
    assert [len(h) for h in hits] == [0] * 7 + [1]
    hit = hits[-1][0]
    assert (hit.rule, hit.key, hit.orders, hit.distinct) == (
        "same_device_spread",
        "idf****3a9c",
        8,
        5,
    )
    assert hit.spread_field == "city"


def test_four_cities_or_more_than_seven_days_do_not_flag_a_device() -> None:
    four = ["杭州", "上海", "苏州", "南京"] * 2
    assert not any(feed(VelocityMonitor(), device_orders(four, timedelta(hours=20))))
    five = ["杭州", "上海", "苏州", "南京", "宁波", "杭州", "上海", "苏州"]
    assert not any(feed(VelocityMonitor(), device_orders(five, timedelta(hours=25))))


# --- PaymentSwitching: >= 3 payment methods within 24 h ---------------------------------


def test_a_third_payment_method_within_a_day_is_flagged() -> None:
    methods = ["alipay", "alipay", "wechat_pay", "card_visa"]
    events = [
        VelocityEvent(f"P-{i}", T0 + timedelta(hours=5 * i), customer="C-88", payment_method=m)
        for i, m in enumerate(methods)
    ]
    hits = feed(VelocityMonitor(), events)
    assert [len(h) for h in hits] == [0, 0, 0, 1]
    assert (hits[-1][0].rule, hits[-1][0].distinct) == ("payment_switching", 3)


def test_payment_switching_can_watch_devices() -> None:
    rules = VelocityRules(rules=(PaymentSwitching(key="device"),))
    events = [
        VelocityEvent(f"P-{i}", minutes(i), device="dev-1", customer=f"C-{i}", payment_method=m)
        for i, m in enumerate(["alipay", "wechat_pay", "cod"])
    ]
    hits = feed(VelocityMonitor(rules), events)
    assert hits[-1][0].key_field == "device"


def test_orders_missing_a_rules_fields_are_skipped_by_that_rule() -> None:
    events = [VelocityEvent(f"N-{i}", minutes(i), phone=PHONE) for i in range(6)]
    events += [VelocityEvent(f"M-{i}", minutes(10 + i), address=f"a{i}") for i in range(6)]
    monitor = VelocityMonitor()
    assert not any(feed(monitor, events))
    assert monitor.usage()["same_phone_burst"].keys == 0


# --- hits explain themselves -----------------------------------------------------------


def test_a_hit_reads_as_a_sentence_with_the_phone_masked() -> None:
    hit = feed(VelocityMonitor(), phone_orders(["a", "b", "c", "a", "b"]))[-1][0]
    assert str(hit) == (
        "same_phone_burst: phone 138****0000 placed 5 orders to 3 addresses within 1 h "
        "(rule: >= 5 orders, >= 3 addresses): SO-0, SO-1, SO-2, SO-3, SO-4"
    )
    assert PHONE not in str(hit)
    data = json.loads(json.dumps(hit.to_dict()))
    assert data["key"] == "138****0000"
    assert data["window"] == 3600
    assert data["at"] == "2026-11-11T20:40:00+00:00"


@pytest.mark.parametrize(
    ("value", "masked"),
    [("idfa-7f3a9c", "idf****3a9c"), ("C-1024", "C****4"), ("abcd", "a****d"), ("ab", "****")],
)
def test_mask_key_keeps_only_the_ends(value: str, masked: str) -> None:
    assert mask_key(value) == masked


def test_phones_in_hits_are_masked_from_their_digits() -> None:
    events = [
        VelocityEvent(f"SO-{i}", minutes(i), phone="+86 138-1234-0000", address=f"a{i}")
        for i in range(5)
    ]
    assert feed(VelocityMonitor(), events)[-1][0].key == "138****0000"


def test_a_hit_lists_at_most_max_listed_orders_but_counts_all() -> None:
    rules = VelocityRules(rules=(SamePhoneBurst(),), max_listed=3)
    hit = feed(VelocityMonitor(rules), phone_orders(["a", "b", "c"] * 3, every=1))[-1][0]
    assert hit.orders == 9
    assert hit.order_ids == ("SO-6", "SO-7", "SO-8")


# --- time: late, naive and zoned events ---------------------------------------------------


def test_a_late_event_within_tolerance_is_counted_in_its_place() -> None:
    events = phone_orders(["a", "b", "c", "d"], every=10)
    late = VelocityEvent("SO-late", minutes(26), phone=PHONE, address="e")
    monitor = VelocityMonitor()
    feed(monitor, events)
    hit = monitor.observe(late)[0]
    assert hit.order_ids == ("SO-0", "SO-1", "SO-2", "SO-late", "SO-3")
    assert hit.at == minutes(30)


def test_an_event_older_than_the_tolerance_is_refused_and_changes_nothing() -> None:
    monitor = VelocityMonitor()
    feed(monitor, phone_orders(["a", "b"], every=30))
    before = monitor.state()
    with pytest.raises(LateEvent) as refused:
        monitor.observe(VelocityEvent("SO-old", minutes(24), phone=PHONE, address="c"))
    assert (refused.value.order_id, refused.value.watermark) == ("SO-old", minutes(30))
    assert "not counted" in str(refused.value)
    assert monitor.state() == before


def test_naive_times_are_refused_and_zoned_ones_read_as_instants() -> None:
    monitor = VelocityMonitor()
    with pytest.raises(NaiveDatetime):
        monitor.observe(VelocityEvent("SO-1", datetime(2026, 11, 11, 20), phone=PHONE))
    beijing = timezone(timedelta(hours=8))
    events = [
        VelocityEvent(f"SO-{i}", minutes(i).astimezone(beijing), phone=PHONE, address=f"a{i}")
        for i in range(5)
    ]
    hit = feed(monitor, events)[-1][0]
    assert hit.at == minutes(4)
    assert hit.at.tzinfo is UTC


# --- memory bounds -----------------------------------------------------------------------


def test_keys_whose_window_emptied_are_dropped_as_new_keys_arrive() -> None:
    monitor = VelocityMonitor(VelocityRules(rules=(SamePhoneBurst(),)))
    for i in range(600):
        monitor.observe(VelocityEvent(f"SO-{i}", minutes(i), phone=f"1380000{i:04d}", address="a"))
    assert monitor.usage()["same_phone_burst"].keys <= 62
    assert monitor.usage()["same_phone_burst"].evicted == 0


def test_a_busy_key_below_the_thresholds_holds_at_most_twice_its_window() -> None:
    monitor = VelocityMonitor(VelocityRules(rules=(SameDeviceSpread(),)))
    for i in range(2000):
        at = T0 + timedelta(hours=i)
        assert not monitor.observe(VelocityEvent(f"SO-{i}", at, device="dev-1", city="hz"))
    assert monitor.usage()["same_device_spread"].events <= 2 * (7 * 24 + 1)


def test_past_max_keys_the_least_recently_queued_key_is_dropped() -> None:
    monitor = VelocityMonitor(VelocityRules(rules=(SamePhoneBurst(),), max_keys=2))
    for i, phone in enumerate(["13800000001", "13800000002", "13800000003"]):
        monitor.observe(VelocityEvent(f"SO-{i}", minutes(i), phone=phone, address="a"))
    assert monitor.usage() == {"same_phone_burst": WindowUsage(keys=2, events=2, evicted=1)}
    state: Any = monitor.state()
    kept = [track[0] for track in state["windows"]["same_phone_burst"]["keys"]]
    assert kept == ["13800000002", "13800000003"]


# --- configuration -----------------------------------------------------------------------


def test_rules_load_from_plain_data() -> None:
    rules = VelocityRules.from_dict(
        {
            "rules": [
                {"kind": "same_phone_burst", "min_distinct": 4},
                {
                    "kind": "payment_switching",
                    "id": "device_payments",
                    "key": "device",
                    "window": "PT6H",
                },
            ],
            "max_keys": 5000,
            "late_tolerance": 120,
        }
    )
    burst, payments = rules.rules
    assert isinstance(burst, SamePhoneBurst)
    assert (burst.min_orders, burst.min_distinct) == (5, 4)
    assert isinstance(payments, PaymentSwitching)
    assert (payments.key, payments.window) == ("device", timedelta(hours=6))
    assert rules.late_tolerance == timedelta(minutes=2)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rules": [{"kind": "same_phone_burst"}, {"kind": "same_phone_burst"}]}, "unique"),
        ({"late_tolerance": 3600}, "shorter than the shortest window"),
        ({"rules": [{"kind": "same_device_spread", "min_orders": 3}]}, "exceeds min_orders"),
        ({"rules": [{"kind": "ip_burst"}]}, "kind"),
        ({"rules": [{"kind": "same_phone_burst", "key": "device"}]}, "key"),
    ],
)
def test_bad_rules_are_refused_naming_the_problem(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        VelocityRules.from_dict(data)


# --- snapshots ---------------------------------------------------------------------------


def roundtrip(monitor: VelocityMonitor) -> VelocityMonitor:
    return VelocityMonitor.restore(monitor.rules, json.loads(json.dumps(monitor.state())))


def test_a_restored_monitor_finishes_the_burst() -> None:
    events = phone_orders(["a", "b", "c", "a", "b"])
    monitor = VelocityMonitor()
    feed(monitor, events[:3])
    restored = roundtrip(monitor)
    assert restored.watermark == minutes(20)
    assert [len(h) for h in feed(restored, events[3:])] == [0, 1]


def test_a_fresh_monitor_round_trips() -> None:
    restored = roundtrip(VelocityMonitor())
    assert restored.watermark is None
    assert restored.usage() == VelocityMonitor().usage()


def test_snapshots_under_other_rules_or_malformed_are_refused() -> None:
    monitor = VelocityMonitor()
    feed(monitor, phone_orders(["a", "b"]))
    snapshot = monitor.state()
    other = VelocityRules(rules=(SamePhoneBurst(min_orders=6),))
    with pytest.raises(InvalidVelocityState, match="other rules"):
        VelocityMonitor.restore(other, snapshot)
    with pytest.raises(InvalidVelocityState, match="format"):
        VelocityMonitor.restore(monitor.rules, {**snapshot, "format": 99})
    broken: dict[str, Any] = json.loads(json.dumps(snapshot))
    broken["windows"]["same_phone_burst"]["keys"][0][-1].reverse()
    with pytest.raises(InvalidVelocityState, match="time order"):
        VelocityMonitor.restore(monitor.rules, broken)
    del broken["windows"]["payment_switching"]
    with pytest.raises(InvalidVelocityState, match="unreadable"):
        VelocityMonitor.restore(monitor.rules, broken)


# --- properties: incremental windows against a brute-force recount ----------------------

SMALL = VelocityRules(
    rules=(
        SamePhoneBurst(window=timedelta(minutes=10), min_orders=3, min_distinct=2),
        SameDeviceSpread(window=timedelta(minutes=30), min_orders=4, min_distinct=3),
        PaymentSwitching(window=timedelta(minutes=20), min_orders=2, min_distinct=2),
    ),
    late_tolerance=timedelta(minutes=3),
    max_listed=3,
)

Outcome = str | list[tuple[Any, ...]]


@st.composite
def order_streams(draw: st.DrawFn) -> list[VelocityEvent]:
    steps = draw(
        st.lists(
            st.one_of(
                st.sampled_from([0, 1, 30, 60, 179, 180, 181, 600, 1200]),
                st.integers(-200, -1),
                st.integers(-400, 900),
            ),
            min_size=1,
            max_size=60,
        )
    )
    events = []
    at = T0
    for i, step in enumerate(steps):
        at += timedelta(seconds=step)
        pick = st.sampled_from
        events.append(
            VelocityEvent(
                f"SO-{i}",
                at,
                phone=draw(pick([None, "13800000001", "13900000002"])),
                device=draw(pick([None, "dev-a", "dev-b"])),
                customer=draw(pick(["C1", "C2"])),
                address=draw(pick([None, "a1", "a2", "a3"])),
                city=draw(pick(["hz", "sh", "sz", "nj", "nb"])),
                payment_method=draw(pick(["alipay", "wechat_pay", "", "card"])),
            )
        )
    return events


def outcome(monitor: VelocityMonitor, event: VelocityEvent) -> Outcome:
    try:
        hits = monitor.observe(event)
    except LateEvent:
        return "late"
    return [(h.rule, h.order_id, h.at, h.orders, h.distinct, h.order_ids) for h in hits]


def recount(rules: VelocityRules, events: Sequence[VelocityEvent]) -> list[Outcome]:
    """Every event judged from scratch against the whole history admitted so far."""
    seen: list[VelocityEvent] = []
    watermark: datetime | None = None
    outcomes: list[Outcome] = []
    for event in events:
        if watermark is not None and watermark - event.at > rules.late_tolerance:
            outcomes.append("late")
            continue
        watermark = event.at if watermark is None else max(watermark, event.at)
        seen.append(event)
        hits = []
        for rule in rules.rules:
            key, value = getattr(event, rule.key), getattr(event, rule.spread)
            if not key or not value:
                continue
            window = sorted(
                (
                    e
                    for e in seen
                    if getattr(e, rule.key) == key
                    and getattr(e, rule.spread)
                    and e.at >= watermark - rule.window
                ),
                key=lambda e: e.at,
            )
            distinct = len({getattr(e, rule.spread) for e in window})
            if len(window) >= rule.min_orders and distinct >= rule.min_distinct:
                ids = tuple(e.order_id for e in window)[-rules.max_listed :]
                hits.append((rule.id, event.order_id, watermark, len(window), distinct, ids))
        outcomes.append(hits)
    return outcomes


@settings(max_examples=300, deadline=None)
@given(order_streams())
def test_incremental_windows_agree_with_a_recount_for_every_event(
    events: list[VelocityEvent],
) -> None:
    monitor = VelocityMonitor(SMALL)
    assert [outcome(monitor, e) for e in events] == recount(SMALL, events)


@settings(max_examples=200, deadline=None)
@given(order_streams(), st.data())
def test_a_snapshot_at_any_point_gives_identical_hits(
    events: list[VelocityEvent], data: st.DataObject
) -> None:
    rules = data.draw(st.sampled_from([SMALL, SMALL.model_copy(update={"max_keys": 1})]))
    cut = data.draw(st.integers(0, len(events)))
    straight = VelocityMonitor(rules)
    expected = [outcome(straight, e) for e in events]
    first = VelocityMonitor(rules)
    got = [outcome(first, e) for e in events[:cut]]
    second = roundtrip(first)
    got += [outcome(second, e) for e in events[cut:]]
    assert got == expected
    assert second.usage() == straight.usage()
    assert second.state() == straight.state()
