"""Churn warning (MISSION H8): "a customer's reorder gap > 2.3 x the average and a negative
note". Worked examples for each condition and each source of the average, then a
property against a direct reading of the rule.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderkit.errors import ConfigError, InvalidChurnInput, NaiveDatetime
from orderkit.health._churn import DEFAULT_NEGATIVE_PHRASES, ChurnPolicy, churn_warning

NOW = datetime(2026, 11, 11, tzinfo=UTC)
DAY = timedelta(days=1)


def every(days: int, count: int, last_days_ago: int) -> list[datetime]:
    """``count`` orders ``days`` apart, the last one ``last_days_ago`` days before NOW."""
    last = NOW - last_days_ago * DAY
    return [last - i * days * DAY for i in reversed(range(count))]


def test_a_long_gap_and_a_negative_note_warn_and_explain_themselves() -> None:
    check = churn_warning(every(10, 4, 24), NOW, None, ["包装破损，质量差"])
    assert check.warning
    assert (check.gap, check.average, check.average_source) == (24 * DAY, 10 * DAY, "customer")
    assert check.ratio == Decimal("2.40")
    assert (check.matched_phrase, check.matched_note) == ("质量差", "包装破损，质量差")
    assert str(check) == (
        "churn warning: no order for 24 days, 2.4 x the customer's average gap of 10 days "
        "(> 2.3); note matches '质量差'"
    )


def test_a_gap_of_exactly_2_3_averages_is_not_long() -> None:
    check = churn_warning(every(10, 3, 23), NOW, None, ["never again"])
    assert not check.warning
    assert check.reasons[0] == (
        "no order for 23 days, 2.3 x the customer's average gap of 10 days (<= 2.3)"
    )


def test_a_long_gap_without_a_negative_note_does_not_warn() -> None:
    check = churn_warning(every(10, 3, 60), NOW, None, ["great tea, thanks", "准时送达"])
    assert not check.warning
    assert check.ratio == 6
    assert check.reasons[-1] == "no negative phrase in 2 note(s)"


def test_a_negative_note_after_a_short_gap_does_not_warn() -> None:
    check = churn_warning(every(10, 3, 5), NOW, None, ["Delivery was TOO SLOW"])
    assert not check.warning
    assert check.matched_phrase == "too slow"


def test_fewer_than_two_gaps_use_the_segment_average() -> None:
    check = churn_warning(every(3, 2, 30), NOW, 10 * DAY, ["I want a refund"])
    assert check.warning
    assert (check.average, check.average_source) == (10 * DAY, "segment")
    assert check.ratio == 3
    assert "the segment's average gap of 10 days" in check.reasons[0]


def test_without_an_average_there_is_no_warning_and_it_says_why() -> None:
    check = churn_warning(every(3, 2, 300), NOW, None, ["refund"])
    assert not check.warning
    assert (check.average, check.ratio) == (None, None)
    assert "1 gap(s), 2 needed, and no segment average" in check.reasons[0]
    never = churn_warning([], NOW, 10 * DAY, ["refund"])
    assert (never.warning, never.gap) == (False, None)
    assert never.reasons[0] == "no orders to measure a gap from"


def test_orders_at_the_same_instant_make_a_zero_average() -> None:
    same = [NOW - 5 * DAY] * 3
    check = churn_warning(same, NOW, None, ["差评"])
    assert check.warning
    assert check.ratio is None
    assert "average gap is zero" in check.reasons[0]


def test_phrases_match_ignoring_case_and_width() -> None:
    check = churn_warning(every(10, 3, 60), NOW, None, ["ＮＥＶＥＲ　ＡＧＡＩＮ!"])
    assert check.matched_phrase == "never again"


def test_the_policy_is_data() -> None:
    policy = ChurnPolicy.from_dict(
        {"gap_ratio": "1.5", "min_gaps": 1, "negative_phrases": ["再也不来"]}
    )
    check = churn_warning(every(10, 2, 16), NOW, None, ["再也不来了", "refund"], policy)
    assert check.warning
    assert (check.average_source, check.matched_phrase) == ("customer", "再也不来")
    assert "质量差" in DEFAULT_NEGATIVE_PHRASES
    assert "disappointed" in DEFAULT_NEGATIVE_PHRASES


@pytest.mark.parametrize(
    "data",
    [{"gap_ratio": 0}, {"min_gaps": 0}, {"negative_phrases": []}, {"negative_phrases": [" "]}],
)
def test_bad_policies_are_refused(data: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        ChurnPolicy.from_dict(data)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(InvalidChurnInput, match="after now"):
        churn_warning([NOW + DAY], NOW)
    with pytest.raises(InvalidChurnInput, match="positive"):
        churn_warning([NOW], NOW, timedelta(0))
    with pytest.raises(NaiveDatetime):
        churn_warning([datetime(2026, 11, 1)], NOW)


def test_zoned_times_are_instants() -> None:
    beijing = timezone(timedelta(hours=8))
    orders = [at.astimezone(beijing) for at in every(10, 3, 24)]
    check = churn_warning(orders, NOW.astimezone(beijing), None, ["失望"])
    assert (check.warning, check.gap) == (True, 24 * DAY)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 400 * 24), max_size=8),
    st.none() | st.integers(1, 90 * 24),
    st.lists(st.sampled_from(["ok", "太慢了", "fine", "Refund please"]), max_size=3),
)
def test_the_warning_is_the_rule_read_directly(
    hours_ago: list[int], segment_hours: int | None, notes: list[str]
) -> None:
    orders = [NOW - timedelta(hours=h) for h in hours_ago]
    segment = None if segment_hours is None else timedelta(hours=segment_hours)
    check = churn_warning(orders, NOW, segment, notes)
    negative = any(n in ("太慢了", "Refund please") for n in notes)
    if not orders:
        assert not check.warning
        return
    ordered = sorted(orders)
    gap = (NOW - ordered[-1]) // timedelta(hours=1)
    gaps = len(ordered) - 1
    if gaps >= 2:
        span = (ordered[-1] - ordered[0]) // timedelta(hours=1)
        long_gap = gap * 10 * gaps > 23 * span
    else:
        long_gap = segment_hours is not None and gap * 10 > 23 * segment_hours
    assert check.warning == (long_gap and negative)
