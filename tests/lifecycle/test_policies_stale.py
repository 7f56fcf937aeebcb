"""L5: the stale-order breaker flags after 48 h and closes only with a known exception code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit.errors import ConfigError, NaiveDatetime, TransitionError
from orderkit.lifecycle import ORDER_FLOW, OrderEvent, TransitionRecord
from orderkit.lifecycle.policies import (
    ActorRequired,
    ExceptionCatalog,
    ExceptionCode,
    StaleFlag,
    StalePolicy,
    UnknownExceptionCode,
    find_stale,
    resolve_flag,
)
from orderkit.testing import FakeClock

T0 = datetime(2026, 11, 11, tzinfo=UTC)


def _flag(subject_id: str = "SO-1", idle: timedelta = timedelta(hours=50)) -> StaleFlag:
    [flag] = find_stale([(subject_id, T0)], now=T0 + idle)
    return flag


def test_exactly_48_hours_idle_is_stale_one_microsecond_less_is_not() -> None:
    """L5: the threshold is inclusive: 48 h without a change flags the order."""
    changes = [("SO-1", T0)]
    assert find_stale(changes, now=T0 + timedelta(hours=48) - timedelta(microseconds=1)) == []
    [flag] = find_stale(changes, now=T0 + timedelta(hours=48))
    assert flag.subject_id == "SO-1"
    assert flag.since == T0
    assert flag.idle == timedelta(hours=48)
    assert flag.flagged_at == T0 + timedelta(hours=48)
    assert flag.red is True


def test_flag_carries_the_reassign_effect() -> None:
    """L5: a flagged order is reassigned, to customer service by default."""
    flag = _flag()
    assert flag.effect.kind == "order.reassign"
    assert flag.effect.data == {"subject_id": "SO-1", "to": "customer_service", "reason": "stale"}
    [other] = find_stale(
        [("SO-1", T0)], now=T0 + timedelta(hours=3), policy=StalePolicy(after=timedelta(hours=2))
    )
    assert other.effect.data["to"] == "customer_service"
    custom = StalePolicy.from_dict({"after": "PT2H", "reassign_to": "escalation_desk"})
    [moved] = find_stale([("SO-1", T0)], now=T0 + timedelta(hours=2), policy=custom)
    assert moved.effect.data["to"] == "escalation_desk"


def test_latest_change_per_subject_counts() -> None:
    """L5: any state change resets the clock; records may come in any order."""
    now = T0 + timedelta(hours=60)
    changes = [("SO-1", T0 + timedelta(hours=20)), ("SO-1", T0), ("SO-2", T0)]
    assert [f.subject_id for f in find_stale(changes, now=now)] == ["SO-2"]


def test_flags_from_transition_records_longest_idle_first() -> None:
    """L5, L2: transition records feed the breaker directly."""
    clock = FakeClock(T0)

    class Row:
        def __init__(self, order_id: str) -> None:
            self.order_id, self.state, self.version = order_id, "pending_payment", 0

    def pay(order_id: str) -> TransitionRecord:
        return ORDER_FLOW.fire(
            Row(order_id), OrderEvent.PAY, actor="gateway", at=clock.now(), payment_id="P"
        )

    clock.advance(timedelta(hours=1))
    records = [pay("SO-2"), pay("SO-1")]
    clock.advance(timedelta(hours=30))
    records.append(pay("SO-3"))
    clock.advance(timedelta(hours=20))
    flags = find_stale(((r.subject_id, r.at) for r in records), now=clock.now())
    assert [f.subject_id for f in flags] == ["SO-1", "SO-2"]
    assert flags[0].idle == timedelta(hours=50)


def test_naive_times_are_refused() -> None:
    """L5: time is aware: a naive ``now`` or change time raises NaiveDatetime."""
    with pytest.raises(NaiveDatetime, match="now"):
        find_stale([], now=datetime(2026, 11, 11))
    with pytest.raises(NaiveDatetime, match="last change of SO-1"):
        find_stale([("SO-1", datetime(2026, 11, 11))], now=T0)


def test_twelve_presets_make_the_default_catalog() -> None:
    """L5: 12 preset exception codes, including the three the seed names."""
    catalog = ExceptionCatalog()
    assert len(ExceptionCode) == 12
    assert set(catalog.codes) == {code.value for code in ExceptionCode}
    for code in ("awaiting_restock", "vague_address", "customs_return"):
        assert code in catalog
        assert catalog.codes[code]


def test_resolve_with_a_known_code() -> None:
    """L5: closing a flag records the code, who closed it and when."""
    at = T0 + timedelta(hours=51)
    resolution = resolve_flag(
        _flag(), ExceptionCode.AWAITING_RESTOCK, by=" Zhou Lan ", at=at, note="PO-88 due Friday"
    )
    assert resolution.subject_id == "SO-1"
    assert resolution.code == "awaiting_restock"
    assert resolution.by == "Zhou Lan"
    assert resolution.at == at
    assert resolution.since == T0
    assert resolution.note == "PO-88 due Friday"


def test_unknown_code_is_a_typed_error() -> None:
    """L5: only catalog codes close a flag."""
    with pytest.raises(
        UnknownExceptionCode, match=r"'weather'.*ExceptionCatalog\.extend"
    ) as caught:
        resolve_flag(_flag(), "weather", by="Zhou Lan", at=T0)
    assert caught.value.code == "weather"
    assert "vague_address" in caught.value.known
    assert isinstance(caught.value, TransitionError)
    assert isinstance(caught.value, ValueError)


def test_resolver_must_be_named() -> None:
    """L5, L2: every closure says who closed it."""
    with pytest.raises(ActorRequired, match="by must name a person"):
        resolve_flag(_flag(), "vague_address", by="  ", at=T0)


def test_host_codes_extend_the_catalog() -> None:
    """L5: the catalog is data; hosts add their own codes without touching the presets."""
    catalog = ExceptionCatalog().extend({"warehouse_flooded": "warehouse flooded"})
    assert resolve_flag(_flag(), "warehouse_flooded", by="Li", at=T0, catalog=catalog).code == (
        "warehouse_flooded"
    )
    with pytest.raises(UnknownExceptionCode):
        resolve_flag(_flag(), "warehouse_flooded", by="Li", at=T0)
    with pytest.raises(ConfigError, match="already in the catalog: vague_address"):
        catalog.extend({"vague_address": "again"})
    with pytest.raises(ConfigError, match="codes"):
        catalog.extend({"Not A Code": "x"})
    loaded = ExceptionCatalog.from_dict({"codes": {"only_one": "a single code"}})
    assert list(loaded.codes) == ["only_one"]


def test_policy_validation() -> None:
    """L5: the threshold is a positive duration."""
    with pytest.raises(ConfigError, match="after"):
        StalePolicy.from_dict({"after": 0})
    with pytest.raises(ConfigError, match="reassign_to"):
        StalePolicy.from_dict({"reassign_to": " "})
    assert StalePolicy.from_dict({}).after == timedelta(hours=48)


changes = st.lists(
    st.tuples(
        st.sampled_from([f"SO-{i}" for i in range(6)]),
        st.integers(min_value=0, max_value=200).map(lambda h: T0 + timedelta(hours=h)),
    ),
    max_size=20,
)


@given(changes, st.data())
def test_find_stale_is_order_independent(
    pairs: list[tuple[str, datetime]], data: st.DataObject
) -> None:
    """L5: reordering the input never changes the flags."""
    now = T0 + timedelta(hours=100)
    shuffled = data.draw(st.permutations(pairs))
    assert find_stale(shuffled, now=now) == find_stale(pairs, now=now)


@given(changes)
def test_flagged_exactly_when_latest_change_is_old_enough(
    pairs: list[tuple[str, datetime]],
) -> None:
    """L5: a subject is flagged iff its latest change is at least 48 h old."""
    now = T0 + timedelta(hours=100)
    latest: dict[str, datetime] = {}
    for subject_id, at in pairs:
        latest[subject_id] = max(at, latest.get(subject_id, at))
    expected = {s for s, at in latest.items() if now - at >= timedelta(hours=48)}
    assert {f.subject_id for f in find_stale(pairs, now=now)} == expected
