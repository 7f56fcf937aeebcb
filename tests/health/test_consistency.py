"""Cross-system consistency: the count score and the record-level diff (MISSION H4).

The seed's warning threshold is 98.5: 985 orders in one system against 1000 in another
scores exactly 98.5 and does not warn; 984 does. Properties check the score's range and
its 100 iff the counts agree, and the diff against plain set arithmetic.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit.errors import ConfigError, InvalidMetricInput
from orderkit.health._consistency import (
    ConsistencyPolicy,
    MissingOrder,
    consistency_diff,
    consistency_score,
)


def test_h4_seed_threshold_98_5_is_not_a_warning_984_is() -> None:
    at_threshold = consistency_score({"oms": 1000, "wms": 985, "erp": 1000})
    assert at_threshold.score == 98.5
    assert not at_threshold.warning
    assert at_threshold.lowest == ("wms", 985)
    assert at_threshold.highest == ("erp", 1000)
    below = consistency_score({"oms": 1000, "wms": 984})
    assert below.warning
    assert str(below) == "consistency 98.40 (wms 984 / oms 1000): WARNING: below 98.5"


def test_h4_equal_counts_score_100() -> None:
    report = consistency_score({"oms": 1200, "wms": 1200, "erp": 1200})
    assert (report.score, report.warning) == (100.0, False)
    assert report.counts == (("erp", 1200), ("oms", 1200), ("wms", 1200))
    assert str(report) == "consistency 100.00 (erp 1200 / erp 1200): ok"


def test_h4_one_system_is_trivially_consistent() -> None:
    assert consistency_score({"oms": 7}).score == 100.0


def test_h4_zero_over_zero_has_no_score_and_no_warning() -> None:
    report = consistency_score({"oms": 0, "wms": 0})
    assert (report.score, report.warning) == (None, False)
    assert str(report) == "consistency n/a: no orders in any of 2 systems"


def test_h4_a_system_with_no_orders_while_others_have_some_scores_zero() -> None:
    report = consistency_score({"oms": 10, "wms": 0})
    assert (report.score, report.warning, report.lowest) == (0.0, True, ("wms", 0))


def test_h4_threshold_is_configuration() -> None:
    policy = ConsistencyPolicy.from_dict({"warn_below": 99.9})
    assert consistency_score({"oms": 1000, "wms": 998}, policy=policy).warning
    with pytest.raises(ConfigError):
        ConsistencyPolicy.from_dict({"warn_below": 101})


@pytest.mark.parametrize("counts", [{}, {"oms": 5, "wms": -1}])
def test_h4_no_system_or_a_negative_count_is_refused(counts: dict[str, int]) -> None:
    with pytest.raises(InvalidMetricInput):
        consistency_score(counts)


systems = st.text("abcdefghij", min_size=1, max_size=4)
counts = st.dictionaries(systems, st.integers(0, 10**6), min_size=1, max_size=6)


@given(counts, st.floats(0, 100))
def test_h4_score_range_and_warning(observed: dict[str, int], threshold: float) -> None:
    report = consistency_score(observed, policy=ConsistencyPolicy(warn_below=threshold))
    values = set(observed.values())
    if values == {0}:
        assert report.score is None
        assert not report.warning
        return
    assert report.score is not None
    assert 0.0 <= report.score <= 100.0
    assert (report.score == 100.0) == (len(values) == 1)
    exact = Fraction(100 * min(values), max(values))
    assert report.warning == (exact < Fraction(threshold))


@given(counts)
def test_h4_score_does_not_depend_on_the_order_systems_are_given(observed: dict[str, int]) -> None:
    reversed_order = dict(reversed(list(observed.items())))
    assert consistency_score(reversed_order) == consistency_score(observed)


# the record-level diff


def test_h4_diff_names_what_each_system_misses() -> None:
    diff = consistency_diff(
        {
            "oms": ["SO-1", "SO-2", "SO-3"],
            "wms": ["SO-1", "SO-3", "SO-3"],
            "erp": ["SO-1", "SO-2", "SO-3", "SO-4"],
        }
    )
    assert diff.systems == ("erp", "oms", "wms")
    assert diff.counts == (("erp", 4), ("oms", 3), ("wms", 2))
    assert diff.missing == (
        MissingOrder("SO-2", ("wms",), ("erp", "oms")),
        MissingOrder("SO-4", ("oms", "wms"), ("erp",)),
    )
    assert diff.missing_from("oms") == {"SO-4"}
    assert diff.missing_from("erp") == frozenset()
    assert str(diff) == "SO-2: missing from wms (in erp, oms)\nSO-4: missing from oms, wms (in erp)"


def test_h4_equal_counts_can_hide_different_orders() -> None:
    ids = {"oms": ["SO-1", "SO-2"], "wms": ["SO-1", "SO-3"]}
    diff = consistency_diff(ids)
    assert consistency_score(dict(diff.counts)).score == 100.0
    assert [m.order_id for m in diff.missing] == ["SO-2", "SO-3"]


def test_h4_diff_of_agreeing_systems_is_empty() -> None:
    diff = consistency_diff({"oms": ["A", "B"], "wms": ("B", "A")})
    assert diff.missing == ()
    assert str(diff) == "all 2 systems hold the same orders"


def test_h4_diff_needs_a_system() -> None:
    with pytest.raises(InvalidMetricInput):
        consistency_diff({})


ids_by_system = st.dictionaries(
    systems, st.lists(st.sampled_from([f"SO-{i}" for i in range(12)]), max_size=12), min_size=1
)


@given(ids_by_system)
def test_h4_diff_is_exact_set_arithmetic(ids: dict[str, list[str]]) -> None:
    diff = consistency_diff(ids)
    held = {system: set(values) for system, values in ids.items()}
    union = set().union(*held.values())
    for system, values in held.items():
        assert diff.missing_from(system) == union - values
    for entry in diff.missing:
        assert set(entry.present_in) == {s for s in held if entry.order_id in held[s]}
        assert set(entry.missing_from) == set(held) - set(entry.present_in)
    assert {m.order_id for m in diff.missing} == union - union.intersection(*held.values())
    assert dict(diff.counts) == {system: len(values) for system, values in held.items()}


@given(ids_by_system, st.data())
def test_h4_diff_is_symmetric_in_the_systems(
    ids: dict[str, list[str]], data: st.DataObject
) -> None:
    diff = consistency_diff(ids)
    assert consistency_diff(dict(data.draw(st.permutations(list(ids.items()))))) == diff
    names = data.draw(st.permutations(list(ids)))
    first, second = names[0], names[-1]
    swapped = consistency_diff({**ids, first: ids[second], second: ids[first]})
    assert swapped.missing_from(first) == diff.missing_from(second)
    assert swapped.missing_from(second) == diff.missing_from(first)
