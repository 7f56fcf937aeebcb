"""The order health score (MISSION H1): normalisers, weights, caps, bands, missing signals,
scorecards as data, the default card, providers and streaming, with hand-computed worked
examples and hypothesis properties."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from orderkit.errors import (
    ConfigError,
    HealthError,
    InvalidSignal,
    NaiveDatetime,
    NoSignals,
    ScorecardInvalid,
)
from orderkit.health._default_card import DEFAULT_SCORECARD
from orderkit.health._score import HealthReport, gather_signals, score, score_many
from orderkit.health._scorecard import (
    DEFAULT_BANDS,
    BooleanNormaliser,
    Dimension,
    LatenessNormaliser,
    LinearNormaliser,
    Scorecard,
    SignalValue,
    Step,
    StepNormaliser,
)

NOW = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
DOCS = Path(__file__).parents[2] / "docs" / "health-score.md"

Signals = dict[str, SignalValue | None]


def card(*dimensions: Mapping[str, Any], **fields: Any) -> Scorecard:
    """A scorecard named ``t`` v1 with ``dimensions`` given as plain data."""
    return Scorecard.load({"name": "t", "version": "1", "dimensions": dimensions, **fields})


def linear(name: str, weight: float, worst: float = 0, best: float = 1) -> dict[str, Any]:
    return {
        "name": name,
        "weight": weight,
        "normaliser": {"kind": "linear", "worst": worst, "best": best},
    }


def boolean(name: str, weight: float) -> dict[str, Any]:
    return {"name": name, "weight": weight, "normaliser": {"kind": "boolean"}}


#: An order of the MISSION H1 manufacturer, every one of the 17 default signals known.
MTO_ORDER: Signals = {
    "payment_timeliness": NOW - timedelta(hours=30),
    "drawing_confirmation": 0.8,
    "supplier_kitting_rate": 0.9,
    "schedule_conflicts": 1,
    "stock_coverage": 0.95,
    "ship_by_slack": 10.0,
    "production_progress": 0.95,
    "qc_pass_rate": 0.97,
    "supplier_po_lateness": 5.0,
    "carrier_delay": 0.0,
    "cross_check_clean": True,
    "address_valid": True,
    "customer_response_latency": 30.0,
    "credit_utilisation": 0.8,
    "approval_wait": 2.0,
    "change_requests": 2,
    "warehouse_load": 0.9,
}


# --- worked examples ------------------------------------------------------------------


def test_h1_worked_example_with_the_default_card() -> None:
    """Each dimension by hand (normalised x weight %): payment 30 h overdue of 72,
    1 - 30/72 x 12 = 7.0; drawings 0.8 x 9 = 7.2; kitting (0.9-0.6)/0.4 x 9 = 6.75;
    one conflict 0.6 x 7 = 4.2; stock (0.95-0.5)/0.5 x 8 = 7.2; slack 10/24 x 7 = 2.916667;
    progress 0.25/0.3 x 6 = 5.0; QC 0.07/0.1 x 6 = 4.2; PO 5 h late of 120,
    115/120 x 5 = 4.791667; carrier on time 5; cross-check 5; address 4; response
    6 h past the 24 h grace of 72, 66/72 x 4 = 3.666667; credit (0.8-1)/(0.7-1) x 4 =
    2.666667; approval inside grace 3; two changes 0.5 x 3 = 1.5; warehouse
    (0.9-1.2)/(0.8-1.2) x 3 = 2.25. Sum 76.341667: watch (65 to 80)."""
    report = score(MTO_ORDER, DEFAULT_SCORECARD, NOW)
    assert report.score == 76.341667
    assert report.uncapped == report.score
    assert report.band == "watch"
    assert report.caps == ()
    assert report.missing == ()
    assert (report.card_name, report.card_version, report.policy) == (
        "default",
        "1",
        "renormalise",
    )
    points = {c.dimension: c.points for c in report.contributions}
    assert points["payment_timeliness"] == pytest.approx(7.0)
    assert points["customer_response_latency"] == pytest.approx(11 / 3)
    assert points["credit_utilisation"] == pytest.approx(8 / 3)
    assert points["warehouse_load"] == pytest.approx(2.25)
    assert sum(points.values()) == pytest.approx(76.341667, abs=1e-6)


def test_payment_overdue_more_than_three_days_caps_the_score_at_40() -> None:
    """80 h overdue: payment scores 0, so 76.341667 - 7.0 = 69.341667 before the cap
    (watch), and the H1 cap "payment overdue > 3 days => score <= 40" makes it at risk."""
    report = score(
        {**MTO_ORDER, "payment_timeliness": NOW - timedelta(hours=80)}, DEFAULT_SCORECARD, NOW
    )
    assert report.uncapped == 69.341667
    assert report.score == 40
    assert report.band == "at_risk"
    [cap] = report.caps
    assert cap.dimension == "payment_timeliness"
    assert cap.measure == pytest.approx(80)
    assert cap.reason == "payment overdue more than 3 days"
    assert str(cap) == ("at most 40: payment overdue more than 3 days (payment_timeliness 80 > 72)")


@pytest.mark.parametrize(
    ("overdue", "capped"), [(timedelta(hours=72), False), (timedelta(hours=72, seconds=1), True)]
)
def test_the_payment_cap_starts_strictly_after_72_hours(overdue: timedelta, capped: bool) -> None:
    report = score({"payment_timeliness": NOW - overdue}, DEFAULT_SCORECARD, NOW)
    assert report.uncapped == 0
    assert bool(report.caps) is capped


def test_a_cap_reads_hours_overdue_given_as_a_number_too() -> None:
    report = score({**MTO_ORDER, "payment_timeliness": 96}, DEFAULT_SCORECARD, NOW)
    assert report.score == 40
    assert report.caps[0].measure == 96


def test_a_cap_above_the_weighted_score_is_listed_but_changes_nothing() -> None:
    healthy_otherwise = {"payment_timeliness": 100.0, "address_valid": False}
    report = score(healthy_otherwise, DEFAULT_SCORECARD, NOW)
    assert report.uncapped == 0
    assert report.score == 0
    assert [c.reason for c in report.caps] == ["payment overdue more than 3 days"]


def test_the_lowest_of_several_caps_wins_and_a_missing_signal_triggers_none() -> None:
    capped = card(
        {
            **boolean("fraud_flag", 1),
            "normaliser": {"kind": "boolean", "good": False},
            "caps": [{"op": "==", "value": 1, "max_score": 10, "reason": "fraud suspected"}],
        },
        {
            **linear("kitting", 1),
            "caps": [
                {"op": "<", "value": 0.5, "max_score": 60, "reason": "kitting under half"},
                {"op": "<=", "value": 0.2, "max_score": 30, "reason": "kitting at most 0.2"},
            ],
        },
    )
    both = score({"fraud_flag": True, "kitting": 0.1}, capped, NOW)
    assert [c.reason for c in both.caps] == [
        "fraud suspected",
        "kitting under half",
        "kitting at most 0.2",
    ]
    assert (both.uncapped, both.score) == (5.0, 5.0)
    kitting_only = score({"kitting": 0.2}, capped, NOW)
    assert kitting_only.uncapped == 20
    assert kitting_only.score == 20
    high = score({"fraud_flag": False, "kitting": 0.4}, capped, NOW)
    assert (high.uncapped, high.score) == (70.0, 60.0)
    assert [c.cap.max_score for c in high.caps] == [60]


@pytest.mark.parametrize(
    ("op", "holds_at"),
    [(">", (3,)), (">=", (2, 3)), ("<", (1,)), ("<=", (1, 2)), ("==", (2,)), ("!=", (1, 3))],
)
def test_every_cap_comparison(op: str, holds_at: tuple[int, ...]) -> None:
    capped = card(
        {
            **linear("n", 1, 0, 4),
            "caps": [{"op": op, "value": 2, "max_score": 0, "reason": op}],
        }
    )
    held = tuple(n for n in (1, 2, 3) if score({"n": n}, capped, NOW).caps)
    assert held == holds_at


def test_bands_split_at_their_min_scores() -> None:
    one = card(linear("x", 1, 0, 100))
    bands = {x: score({"x": x}, one, NOW).band for x in (100, 80, 79.9, 65, 64.999, 0)}
    assert bands == {
        100: "healthy",
        80: "healthy",
        79.9: "watch",
        65: "watch",
        64.999: "at_risk",
        0: "at_risk",
    }


def test_float_noise_does_not_move_a_score_across_a_band_line() -> None:
    """Weights 1 : 2 : 7 and every signal at 0.65 is exactly 65, but the float sum is
    64.99999999999999; the score is rounded to 6 places, so it is 65, watch."""
    tenths = card(linear("a", 1), linear("b", 2), linear("c", 7))
    report = score({"a": 0.65, "b": 0.65, "c": 0.65}, tenths, NOW)
    assert report.score == 65
    assert report.band == "watch"


# --- missing signals ------------------------------------------------------------------

THREE = (linear("a", 2), linear("b", 1), boolean("c", 1))


def test_renormalise_rests_the_score_on_the_signals_present() -> None:
    """b (weight 1 of 4) is missing: a and c share 0.75 between them, 2/3 and 1/3, so
    a = 0.5 and c = true score 100 x (2/3 x 0.5 + 1/3 x 1) = 66.666667, watch."""
    report = score({"a": 0.5, "c": True}, card(*THREE), NOW)
    assert report.score == 66.666667
    assert report.band == "watch"
    assert report.missing == ("b",)
    assert report.policy == "renormalise"
    rows = {c.dimension: c for c in report.contributions}
    assert rows["a"].weight == pytest.approx(2 / 3)
    assert rows["c"].points == pytest.approx(100 / 3)
    assert (rows["b"].raw, rows["b"].normalised, rows["b"].weight, rows["b"].points) == (
        None,
        None,
        0.0,
        0.0,
    )


@pytest.mark.parametrize(("neutral", "expected"), [(None, 62.5), (0.2, 55.0), (1.0, 75.0)])
def test_neutral_scores_a_missing_signal_at_the_neutral_value(
    neutral: float | None, expected: float
) -> None:
    """b (a quarter of the weight) is missing: 100 x (0.5 x 0.5 + 0.25 x neutral + 0.25)."""
    fields: dict[str, Any] = {"missing": "neutral"}
    if neutral is not None:
        fields["neutral_value"] = neutral
    report = score({"a": 0.5, "c": True}, card(*THREE, **fields), NOW)
    assert report.score == expected
    assert report.policy == "neutral"
    b = report.contributions[1]
    assert (b.raw, b.normalised, b.weight) == (None, neutral or 0.5, 0.25)
    assert b.points == pytest.approx(25 * (neutral or 0.5))


def test_none_an_absent_key_are_both_missing_and_unknown_keys_are_ignored() -> None:
    three = card(*THREE)
    assert score({"a": 0.5, "b": None, "c": True, "extra": 7.0}, three, NOW) == score(
        {"a": 0.5, "c": True}, three, NOW
    )


def test_no_signal_at_all() -> None:
    with pytest.raises(NoSignals, match="'t'") as raised:
        score({}, card(*THREE), NOW)
    assert isinstance(raised.value, HealthError)
    assert raised.value.card == "t"
    assert score({}, card(*THREE, missing="neutral"), NOW).score == 50


# --- normalisers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("worst", "best", "signal", "expected"),
    [
        (0.6, 1.0, 0.6, 0.0),
        (0.6, 1.0, 1.0, 1.0),
        (0.6, 1.0, 0.1, 0.0),
        (0.6, 1.0, 7.0, 1.0),
        (0.5, 1.0, 0.75, 0.5),
        (1.0, 0.5, 0.625, 0.75),
        (1.0, 0.5, 2.0, 0.0),
        (1.0, 0.5, 0.0, 1.0),
        (0, 24, 6, 0.25),
        (0, 1, math.inf, 1.0),
        (0, 1, -math.inf, 0.0),
        (0, 1, True, 1.0),
    ],
)
def test_linear(worst: float, best: float, signal: float, expected: float) -> None:
    assert LinearNormaliser(worst=worst, best=best).normalise(signal, NOW) == expected


STEPS = StepNormaliser(
    steps=[Step(at=0, value=1), Step(at=1, value=0.6), Step(at=2, value=0.3), Step(at=4, value=0)],
    below=0.9,
)


@pytest.mark.parametrize(
    ("signal", "expected"),
    [(-1, 0.9), (-1e-9, 0.9), (0, 1.0), (0.99, 1.0), (1, 0.6), (3.5, 0.3), (4, 0.0), (1e9, 0.0)],
)
def test_step_takes_the_highest_step_at_or_below_the_signal(signal: float, expected: float) -> None:
    assert STEPS.normalise(signal, NOW) == expected


def test_step_below_defaults_to_zero() -> None:
    assert StepNormaliser(steps=[Step(at=0.5, value=1)]).normalise(0.4, NOW) == 0.0


PAYMENT = LatenessNormaliser(grace_hours=24, decay_hours=48)


@pytest.mark.parametrize(
    ("signal", "expected"),
    [
        (-500, 1.0),
        (0, 1.0),
        (24, 1.0),
        (36, 0.75),
        (72, 0.0),
        (1000, 0.0),
        (NOW + timedelta(days=3), 1.0),
        (NOW - timedelta(hours=24), 1.0),
        (NOW - timedelta(hours=60), 0.25),
        (NOW - timedelta(hours=72), 0.0),
        (datetime(2026, 11, 10, 5, 0, tzinfo=timezone(timedelta(hours=8))), 0.75),
    ],
)
def test_lateness_decays_from_the_grace_to_zero(signal: float | datetime, expected: float) -> None:
    """The last due datetime is 21:00 UTC on 9 Nov written at UTC+8: 36 h before NOW."""
    assert PAYMENT.normalise(signal, NOW) == expected


def test_lateness_without_grace_is_full_marks_until_due() -> None:
    due = LatenessNormaliser(decay_hours=72)
    assert due.normalise(NOW, NOW) == 1.0
    assert due.normalise(NOW - timedelta(hours=18), NOW) == 0.75


def test_boolean() -> None:
    assert BooleanNormaliser().normalise(True, NOW) == 1.0
    assert BooleanNormaliser().normalise(False, NOW) == 0.0
    assert BooleanNormaliser(good=False).normalise(False, NOW) == 1.0
    assert BooleanNormaliser().normalise(1, NOW) == 1.0
    assert BooleanNormaliser().normalise(0, NOW) == 0.0


@pytest.mark.parametrize(
    ("normaliser", "signal"),
    [
        (LinearNormaliser(worst=0, best=1), math.nan),
        (LinearNormaliser(worst=0, best=1), NOW),
        (LinearNormaliser(worst=0, best=1), "0.5"),
        (STEPS, math.nan),
        (STEPS, NOW),
        (PAYMENT, math.nan),
        (PAYMENT, "36"),
        (BooleanNormaliser(), "yes"),
        (BooleanNormaliser(), 2),
        (BooleanNormaliser(), math.nan),
    ],
)
def test_unreadable_signals_are_refused(normaliser: Any, signal: Any) -> None:
    with pytest.raises(InvalidSignal) as raised:
        normaliser.normalise(signal, NOW)
    assert isinstance(raised.value, ValueError)
    assert raised.value.expected == normaliser.expects


@pytest.mark.parametrize(
    ("dimension", "bad"), [("qc_pass_rate", "97%"), ("schedule_conflicts", math.nan)]
)
def test_score_names_the_dimension_of_an_unreadable_signal(dimension: str, bad: Any) -> None:
    with pytest.raises(InvalidSignal, match=f"signal '{dimension}'") as raised:
        score({**MTO_ORDER, dimension: bad}, DEFAULT_SCORECARD, NOW)
    assert raised.value.dimension == dimension


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(NaiveDatetime):
        score(MTO_ORDER, DEFAULT_SCORECARD, NOW.replace(tzinfo=None))
    with pytest.raises(NaiveDatetime, match="signal 'payment_timeliness' 2026-11-10T00:00:00"):
        score({"payment_timeliness": datetime(2026, 11, 10)}, DEFAULT_SCORECARD, NOW)


# --- scorecards as data ---------------------------------------------------------------


def test_weights_are_normalised_to_sum_to_one() -> None:
    three = card(*THREE)
    assert three.weights == {"a": 0.5, "b": 0.25, "c": 0.25}
    assert card(linear("a", 0.2), linear("b", 0.6)).weights == pytest.approx({"a": 0.25, "b": 0.75})


def _problem_fields(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ScorecardInvalid) as raised:
        Scorecard.load(data)
    assert isinstance(raised.value, ConfigError)
    return {p.field: p.message for p in raised.value.problems}


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"dimensions": []}, "dimensions", "at least 1"),
        ({"name": ""}, "name", "at least 1"),
        ({"version": ""}, "version", "at least 1"),
        ({"missing": "zero"}, "missing", "renormalise"),
        ({"neutral_value": 1.5}, "neutral_value", "less than or equal to 1"),
        (
            {"bands": [{"name": "ok", "min_score": 50}, {"name": "bad", "min_score": 60}]},
            "bands",
            "'bad' (60) follows 'ok' (50)",
        ),
        ({"bands": [{"name": "ok", "min_score": 50}]}, "bands", "must start at 0"),
        (
            {"bands": [{"name": "x", "min_score": 50}, {"name": "x", "min_score": 0}]},
            "bands",
            "unique",
        ),
        ({"bands": [{"name": "x", "min_score": 101}]}, "bands[0].min_score", "100"),
        ({"dimensions": [linear("a", 1), linear("a", 2)]}, "dimensions", "repeated: a"),
        ({"dimensions": [linear("kitting", 0)]}, "dimensions[kitting].weight", "greater than 0"),
        ({"dimensions": [linear("kitting", math.nan)]}, "dimensions[kitting].weight", "finite"),
        (
            {"dimensions": [linear("kitting", 1, 0.5, 0.5)]},
            "dimensions[kitting].normaliser.best",
            "must differ from worst",
        ),
        (
            {"dimensions": [{**linear("k", 1), "normaliser": {"kind": "sigmoid"}}]},
            "dimensions[k].normaliser",
            "'sigmoid'",
        ),
        (
            {
                "dimensions": [
                    {
                        "name": "changes",
                        "weight": 1,
                        "normaliser": {
                            "kind": "step",
                            "steps": [{"at": 2, "value": 0.5}, {"at": 1, "value": 0.8}],
                        },
                    }
                ]
            },
            "dimensions[changes].normaliser.steps",
            "ascending",
        ),
        (
            {
                "dimensions": [
                    {
                        "name": "late",
                        "weight": 1,
                        "normaliser": {"kind": "lateness", "decay_hours": 0},
                    }
                ]
            },
            "dimensions[late].normaliser.decay_hours",
            "greater than 0",
        ),
        (
            {
                "dimensions": [
                    {
                        **linear("k", 1),
                        "caps": [{"op": "~", "value": 1, "max_score": 120, "reason": ""}],
                    }
                ]
            },
            "dimensions[k].caps[0].max_score",
            "100",
        ),
        (
            {"dimensions": [{"weight": 1, "normaliser": {"kind": "boolean"}}]},
            "dimensions[0].name",
            "",
        ),
        ({"dimensions": [{**linear("k", 1), "colour": "red"}]}, "dimensions[k].colour", "Extra"),
    ],
)
def test_bad_config_names_the_field(change: dict[str, Any], field: str, says: str) -> None:
    problems = _problem_fields(
        {"name": "t", "version": "1", "dimensions": [linear("a", 1)], **change}
    )
    assert field in problems, problems
    assert says in problems[field]


def test_every_problem_is_reported_at_once() -> None:
    problems = _problem_fields(
        {
            "name": "t",
            "version": "1",
            "missing": "zero",
            "dimensions": [
                linear("kitting", -1),
                {
                    "name": "cap",
                    "weight": 1,
                    "normaliser": {"kind": "boolean"},
                    "caps": [{"op": "~", "value": 1, "max_score": 10, "reason": "x"}],
                },
            ],
        }
    )
    assert set(problems) == {
        "missing",
        "dimensions[kitting].weight",
        "dimensions[cap].caps[0].op",
    }


def test_the_message_lists_each_problem() -> None:
    with pytest.raises(
        ScorecardInvalid,
        match=r"invalid scorecard \(1 problem\):\n  "
        r"dimensions\[k\]\.weight: Input should be greater than 0",
    ):
        card(linear("k", 0))


def test_json_and_yaml_round_trip_the_default_card() -> None:
    data = DEFAULT_SCORECARD.model_dump(mode="json")
    assert Scorecard.from_json(json.dumps(data)) == DEFAULT_SCORECARD
    assert Scorecard.from_yaml(yaml.safe_dump(data, allow_unicode=True)) == DEFAULT_SCORECARD
    assert score(MTO_ORDER, Scorecard.load(data), NOW) == score(MTO_ORDER, DEFAULT_SCORECARD, NOW)


def test_bad_json_and_yaml_are_reported_as_scorecard_problems() -> None:
    with pytest.raises(ScorecardInvalid, match="not valid JSON"):
        Scorecard.from_json("{")
    with pytest.raises(ScorecardInvalid, match="not valid YAML"):
        Scorecard.from_yaml("a: [")


def test_a_card_built_in_python_scores_like_the_same_card_loaded() -> None:
    built = Scorecard(
        name="t",
        version="1",
        dimensions=(
            Dimension(name="a", weight=2, normaliser=LinearNormaliser(worst=0, best=1)),
            Dimension(name="b", weight=1, normaliser=LinearNormaliser(worst=0, best=1)),
            Dimension(name="c", weight=1, normaliser=BooleanNormaliser()),
        ),
    )
    assert built == card(*THREE)
    assert built.bands == DEFAULT_BANDS


# --- the default card -----------------------------------------------------------------


def test_the_default_card_has_the_17_dimensions_of_h1() -> None:
    names = [d.name for d in DEFAULT_SCORECARD.dimensions]
    assert len(names) == len(set(names)) == 17
    named_by_h1 = {
        "payment_timeliness",
        "drawing_confirmation",
        "supplier_kitting_rate",
        "schedule_conflicts",
    }
    assert named_by_h1 <= set(names)
    assert sum(d.weight for d in DEFAULT_SCORECARD.dimensions) == 100
    assert all(len(d.description) > 80 for d in DEFAULT_SCORECARD.dimensions)
    assert [(b.name, b.min_score) for b in DEFAULT_SCORECARD.bands] == [
        ("healthy", 80),
        ("watch", 65),
        ("at_risk", 0),
    ]
    assert DEFAULT_SCORECARD.missing == "renormalise"


def test_a_perfect_order_scores_100_and_a_hopeless_one_0() -> None:
    perfect = score(
        {name: _best_signal(name) for name in DEFAULT_SCORECARD.weights}, DEFAULT_SCORECARD, NOW
    )
    hopeless = score(
        {name: _worst_signal(name) for name in DEFAULT_SCORECARD.weights}, DEFAULT_SCORECARD, NOW
    )
    assert (perfect.score, perfect.band) == (100, "healthy")
    assert (hopeless.score, hopeless.band) == (0, "at_risk")


def _best_signal(name: str) -> SignalValue:
    normaliser = DEFAULT_SCORECARD.dimensions[
        list(DEFAULT_SCORECARD.weights).index(name)
    ].normaliser
    if isinstance(normaliser, LinearNormaliser):
        return normaliser.best
    if isinstance(normaliser, StepNormaliser):
        return normaliser.steps[0].at
    if isinstance(normaliser, LatenessNormaliser):
        return NOW + timedelta(days=1)
    return normaliser.good


def _worst_signal(name: str) -> SignalValue:
    normaliser = DEFAULT_SCORECARD.dimensions[
        list(DEFAULT_SCORECARD.weights).index(name)
    ].normaliser
    if isinstance(normaliser, LinearNormaliser):
        return normaliser.worst
    if isinstance(normaliser, StepNormaliser):
        return normaliser.steps[-1].at
    if isinstance(normaliser, LatenessNormaliser):
        return NOW - timedelta(days=30)
    return not normaliser.good


def _normaliser_text(dimension: Dimension) -> str:
    n = dimension.normaliser
    if isinstance(n, LinearNormaliser):
        return f"linear, 0 at {n.worst:g}, 1 at {n.best:g}"
    if isinstance(n, StepNormaliser):
        return "steps " + ", ".join(f"{s.at:g} → {s.value:g}" for s in n.steps)
    if isinstance(n, LatenessNormaliser):
        return f"lateness, {n.grace_hours:g} h grace, 0 at {n.grace_hours + n.decay_hours:g} h"
    return f"boolean, good = {str(n.good).lower()}"


def test_the_docs_table_matches_the_default_card() -> None:
    """docs/health-score.md lists every default dimension with its weight and normaliser."""
    rows = re.findall(r"^\| `(\w+)` \| (\d+) \| ([^|]+) \|", DOCS.read_text(), re.MULTILINE)
    assert [(name, int(weight), text.strip()) for name, weight, text in rows] == [
        (d.name, int(d.weight), _normaliser_text(d)) for d in DEFAULT_SCORECARD.dimensions
    ]


# --- the report -----------------------------------------------------------------------


def test_explain_prints_a_readable_table() -> None:
    report = score(
        {"a": 0.5, "c": False, "due": NOW - timedelta(hours=100)},
        card(
            *THREE,
            {
                "name": "due",
                "weight": 4,
                "normaliser": {"kind": "lateness", "decay_hours": 72},
                "caps": [{"op": ">", "value": 72, "max_score": 40, "reason": "overdue"}],
            },
        ),
        NOW,
    )
    assert str(report) == report.explain()
    assert report.explain() == (
        "dimension  signal                  value  weight  points\n"
        "a          0.5                     0.500   0.286   14.29\n"
        "b          -                           -   0.000    0.00\n"
        "c          false                   0.000   0.143    0.00\n"
        "due        2026-11-07 05:00+00:00  0.000   0.571    0.00\n"
        "score 14.3 (at_risk), card t v1\n"
        "capped at most 40: overdue (due 100 > 72)\n"
        "before caps 14.3\n"
        "missing (renormalised): b"
    )
    assert repr(report) == "HealthReport(score=14.285714, band='at_risk', card='t', version='1')"


def test_explain_names_the_neutral_value() -> None:
    report = score({"a": 1.0}, card(*THREE, missing="neutral", neutral_value=0.4), NOW)
    lines = report.explain().splitlines()
    assert lines[2] == "b          -       0.400   0.250   10.00"
    assert lines[-1] == "missing (neutral 0.4): b, c"


# --- providers and streaming ----------------------------------------------------------


class _Provider:
    def __init__(self, dimension: str, value: SignalValue | None) -> None:
        self.dimension = dimension
        self.value = value
        self.calls = 0

    def signal(self, order: str) -> SignalValue | None:
        self.calls += 1
        return self.value


def test_gather_signals_takes_the_first_value_per_dimension() -> None:
    model = _Provider("qc_pass_rate", None)
    rule = _Provider("qc_pass_rate", 0.97)
    late = _Provider("qc_pass_rate", 0.5)
    address = _Provider("address_valid", True)
    signals = gather_signals("SO-1", [model, rule, late, address])
    assert signals == {"qc_pass_rate": 0.97, "address_valid": True}
    assert (model.calls, rule.calls, late.calls) == (1, 1, 0)


def test_score_many_streams_reports_in_order() -> None:
    orders = ((f"SO-{n}", {**MTO_ORDER, "qc_pass_rate": 0.9 + n / 100}) for n in range(11))
    reports = score_many(orders, DEFAULT_SCORECARD, NOW)
    first_key, first = next(reports)
    assert (first_key, first) == (
        "SO-0",
        score({**MTO_ORDER, "qc_pass_rate": 0.9}, DEFAULT_SCORECARD, NOW),
    )
    rest = list(reports)
    assert [key for key, _ in rest] == [f"SO-{n}" for n in range(1, 11)]
    assert [r.score for _, r in rest] == sorted(r.score for _, r in rest)
    assert rest[-1][1].score == pytest.approx(first.score + 6.0)


def test_score_many_refuses_a_naive_now_before_reading_anything() -> None:
    with pytest.raises(NaiveDatetime):
        next(score_many(iter([("SO-1", MTO_ORDER)]), DEFAULT_SCORECARD, datetime(2026, 11, 11)))


# --- properties -----------------------------------------------------------------------

KINDS = ("linear", "step", "lateness", "boolean")


@st.composite
def cards_and_signals(draw: st.DrawFn) -> tuple[Scorecard, Signals]:
    """A random card of every normaliser kind, and signals for some of its dimensions."""
    count = draw(st.integers(1, 8))
    dimensions: list[dict[str, Any]] = []
    signals: Signals = {}
    finite = st.floats(-1e6, 1e6, allow_nan=False)
    for n in range(count):
        kind = draw(st.sampled_from(KINDS))
        name = f"d{n}"
        normaliser: dict[str, Any] = {"kind": kind}
        signal: st.SearchStrategy[SignalValue] = finite
        if kind == "linear":
            worst, best = draw(st.lists(finite, min_size=2, max_size=2, unique=True))
            normaliser |= {"worst": worst, "best": best}
        elif kind == "step":
            ats = draw(st.lists(finite, min_size=1, max_size=4, unique=True))
            values = st.floats(0, 1)
            normaliser["steps"] = [{"at": at, "value": draw(values)} for at in sorted(ats)]
            normaliser["below"] = draw(values)
        elif kind == "lateness":
            normaliser |= {
                "grace_hours": draw(st.floats(0, 100)),
                "decay_hours": draw(st.floats(0.01, 1000)),
            }
            signal = finite | st.datetimes(
                min_value=datetime(2020, 1, 1),
                max_value=datetime(2030, 1, 1),
                timezones=st.just(UTC),
            )
        else:
            normaliser["good"] = draw(st.booleans())
            signal = st.booleans()
        caps = draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "op": st.sampled_from([">", ">=", "<", "<=", "==", "!="]),
                        "value": finite,
                        "max_score": st.floats(0, 100),
                        "reason": st.just("r"),
                    }
                ),
                max_size=2,
            )
        )
        weight = draw(st.floats(0.001, 1000))
        dimensions.append({"name": name, "weight": weight, "normaliser": normaliser, "caps": caps})
        signals[name] = draw(st.none() | signal)
    policy = draw(st.sampled_from(["renormalise", "neutral"]))
    if policy == "renormalise" and all(v is None for v in signals.values()):
        signals["d0"] = draw(finite) if dimensions[0]["normaliser"]["kind"] != "boolean" else True
    return card(*dimensions, missing=policy, neutral_value=draw(st.floats(0, 1))), signals


@settings(max_examples=200, deadline=None)
@given(cards_and_signals())
def test_the_score_is_within_0_and_100_and_the_points_add_up(
    drawn: tuple[Scorecard, Signals],
) -> None:
    scorecard, signals = drawn
    report = score(signals, scorecard, NOW)
    assert 0 <= report.score <= report.uncapped <= 100
    assert math.isclose(sum(c.points for c in report.contributions), report.uncapped, abs_tol=1e-6)
    assert math.isclose(sum(c.weight for c in report.contributions), 1.0, rel_tol=1e-9)
    assert all(0 <= c.normalised <= 1 for c in report.contributions if c.normalised is not None)
    assert report.score == min([report.uncapped, *(c.cap.max_score for c in report.caps)])
    floors = {b.name: b.min_score for b in scorecard.bands}
    assert floors[report.band] <= report.score
    assert all(report.score < m for m in floors.values() if m > floors[report.band])


unit_signals = st.floats(-0.5, 1.5, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0.001, 1000), min_size=1, max_size=8),
    st.data(),
    st.sampled_from(["renormalise", "neutral"]),
)
def test_the_score_never_falls_when_a_signal_improves(
    weights: list[float], data: st.DataObject, policy: str
) -> None:
    """Each dimension is linear from 0 to 1, so raising its signal raises its normalised
    value; any other dimensions may be missing, under either policy."""
    scorecard = card(*(linear(f"d{n}", w) for n, w in enumerate(weights)), missing=policy)
    names = sorted(scorecard.weights)
    chosen = data.draw(st.sampled_from(names))
    missing = data.draw(st.sets(st.sampled_from(names))) - {chosen}
    signals: Signals = {n: None if n in missing else data.draw(unit_signals) for n in names}
    before = data.draw(unit_signals)
    improved: Signals = {**signals, chosen: data.draw(st.floats(before, 2.0))}
    signals[chosen] = before
    assert score(improved, scorecard, NOW).score >= score(signals, scorecard, NOW).score


@settings(max_examples=100, deadline=None)
@given(cards_and_signals())
def test_with_every_signal_present_renormalise_and_neutral_agree(
    drawn: tuple[Scorecard, Signals],
) -> None:
    scorecard, signals = drawn
    complete: Signals = {
        name: (True if value is None else value) if _is_boolean(scorecard, name) else (value or 0.0)
        for name, value in signals.items()
    }
    as_renormalised = scorecard.model_copy(update={"missing": "renormalise"})
    as_neutral = scorecard.model_copy(update={"missing": "neutral"})
    renormalised = score(complete, as_renormalised, NOW)
    neutral = score(complete, as_neutral, NOW)
    assert (renormalised.score, renormalised.uncapped) == (neutral.score, neutral.uncapped)
    assert renormalised.contributions == neutral.contributions


def _is_boolean(scorecard: Scorecard, name: str) -> bool:
    return any(
        d.name == name and isinstance(d.normaliser, BooleanNormaliser) for d in scorecard.dimensions
    )


def test_reports_are_plain_values() -> None:
    report = score(MTO_ORDER, DEFAULT_SCORECARD, NOW)
    assert isinstance(report, HealthReport)
    assert report == score(dict(MTO_ORDER), DEFAULT_SCORECARD, NOW)
    assert report.raw[0] == MTO_ORDER["payment_timeliness"]
