"""Intake risk (MISSION H2) and approval routing (MISSION L11).

L11: "credit score >= 90 and amount <= 50,000 -> automatic approval, otherwise dual
sign-off". Worked examples for the score and each routing condition, properties of the
score, the dual sign-off value, and the whole path through the order lifecycle's
approval hold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderkit.errors import (
    ConfigError,
    CurrencyMismatch,
    DuplicateApprover,
    HealthError,
    InvalidTransition,
    SignOffRefused,
)
from orderkit.health._risk import (
    Applicant,
    DualSignOff,
    LinearScale,
    RiskPolicy,
    RouteDecision,
    RoutingPolicy,
    apply_routing,
    apply_sign_off,
    assess,
    route,
)
from orderkit.lifecycle import ORDER_FLOW, OrderEvent, OrderState
from orderkit.money import Money

AT = datetime(2026, 11, 11, 9, 30, tzinfo=UTC)


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


GOLD = Applicant(
    customer_id="C-1",
    tier="gold",
    credit_limit=cny("200000"),
    outstanding=cny("40000"),
    return_rate=Decimal("0.02"),
)
SILVER = Applicant(
    customer_id="C-2",
    tier="silver",
    credit_limit=cny("100000"),
    outstanding=cny("50000"),
    return_rate=Decimal("0.08"),
)


# --- the credit score (H2) ---------------------------------------------------------------


def test_a_gold_customer_well_inside_the_limit_scores_97() -> None:
    assessment = assess(GOLD, cny("30000"))
    assert assessment.credit_score == Decimal("97.00")
    assert [(f.name, f.value, f.points, f.contribution) for f in assessment.factors] == [
        ("tier", "gold", Decimal(90), Decimal("27.00")),
        ("utilisation", "0.35", Decimal("100.00"), Decimal("40.00")),
        ("return_rate", "0.02", Decimal("100.00"), Decimal("30.00")),
    ]


def test_a_silver_customer_near_the_limit_scores_72_9() -> None:
    """Utilisation (20,000 + 50,000) / 100,000 = 0.7: 60 points; 8 % returns: 88 points;
    0.3 x 75 + 0.4 x 60 + 0.3 x 88 = 22.5 + 24 + 26.4 = 72.9."""
    assessment = assess(SILVER, cny("20000"))
    assert assessment.credit_score == Decimal("72.90")
    assert assessment.factor("utilisation").points == Decimal("60.00")
    assert assessment.factor("return_rate").points == Decimal("88.00")
    assert str(assessment) == (
        "credit score 72.9 for C-2 (order CNY 20000.00)\n"
        "  tier          silver    75 points x 0.3 = 22.5\n"
        "  utilisation   0.7       60 points x 0.4 = 24\n"
        "  return_rate   0.08      88 points x 0.3 = 26.4"
    )


def test_unknown_tier_no_history_and_no_credit_line_earn_their_policy_points() -> None:
    newcomer = Applicant(customer_id="C-3", credit_limit=cny("0"))
    assessment = assess(newcomer, cny("500"))
    assert [(f.value, f.points) for f in assessment.factors] == [
        ("unknown", Decimal(30)),
        ("no credit line", Decimal(0)),
        ("no history", Decimal(50)),
    ]
    assert assessment.credit_score == Decimal("24.00")


def test_an_order_over_the_limit_earns_no_utilisation_points() -> None:
    assert assess(SILVER, cny("60000")).factor("utilisation").points == 0


def test_money_in_another_currency_than_the_credit_line_is_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        assess(GOLD, Money("100", "USD"))
    usd_line = GOLD.model_copy(update={"credit_limit": Money("30000", "USD"), "outstanding": None})
    with pytest.raises(CurrencyMismatch):
        assess(usd_line, cny("100"))


def test_an_assessment_serialises_to_json() -> None:
    data = json.loads(json.dumps(assess(GOLD, cny("30000")).to_dict()))
    assert data["credit_score"] == "97.00"
    assert data["order_amount"] == {"amount": "30000.00", "currency": "CNY"}
    assert data["factors"][1]["name"] == "utilisation"


def test_the_policy_is_data() -> None:
    policy = RiskPolicy.from_dict(
        {
            "tier_points": {"platinum": 100, "gold": 95},
            "weights": {"tier": "0.5", "utilisation": "0.25", "return_rate": "0.25"},
            "return_rate": {"good": "0.10", "bad": "0.20"},
        }
    )
    assessment = assess(GOLD, cny("30000"), policy)
    assert assessment.credit_score == Decimal("97.50")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"weights": {"tier": "0.5"}}, "sum to 1"),
        ({"utilisation": {"good": "1", "bad": "1"}}, "must differ"),
        ({"tier_points": {"gold": 120}}, "less than or equal to 100"),
        ({"surprise": 1}, "Extra inputs"),
    ],
)
def test_bad_policies_are_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        RiskPolicy.from_dict(data)


def test_linear_scales_run_either_way() -> None:
    more_is_better = LinearScale(good=Decimal(100000), bad=Decimal(0))
    assert more_is_better.points(Decimal(25000)) == Decimal("25.00")
    assert more_is_better.points(Decimal(500000)) == Decimal("100.00")


applicants = st.builds(
    Applicant,
    customer_id=st.just("C-9"),
    tier=st.sampled_from([None, "vip", "gold", "silver", "regular", "new", "other"]),
    credit_limit=st.integers(0, 10**6).map(lambda n: cny(str(n))),
    outstanding=st.none() | st.integers(0, 10**6).map(lambda n: cny(str(n))),
    return_rate=st.none() | st.decimals(0, 1, places=3),
)
amounts = st.integers(0, 10**6).map(lambda n: cny(str(n)))


@settings(max_examples=200, deadline=None)
@given(applicants, amounts, amounts)
def test_the_score_is_the_sum_of_its_factors_and_more_debt_never_raises_it(
    applicant: Applicant, amount: Money, more: Money
) -> None:
    assessment = assess(applicant, amount)
    assert 0 <= assessment.credit_score <= 100
    assert assessment.credit_score == sum(f.contribution for f in assessment.factors)
    assert assess(applicant, amount + more).credit_score <= assessment.credit_score


@settings(max_examples=200, deadline=None)
@given(applicants, amounts, st.decimals(0, 1, places=3))
def test_more_returns_never_raise_the_score(
    applicant: Applicant, amount: Money, extra: Decimal
) -> None:
    if applicant.return_rate is None:
        return
    worse = applicant.model_copy(
        update={"return_rate": min(applicant.return_rate + extra, Decimal(1))}
    )
    assert assess(worse, amount).credit_score <= assess(applicant, amount).credit_score


# --- routing (L11) -----------------------------------------------------------------------


def test_a_good_score_and_a_small_amount_are_approved_automatically() -> None:
    routing = route(assess(GOLD, cny("30000")), cny("30000"))
    assert routing.decision is RouteDecision.AUTO_APPROVE
    assert not routing.needs_sign_off
    assert routing.reasons == ("credit score 97 >= 90", "amount CNY 30000.00 <= CNY 50000.00")


def test_a_low_score_needs_dual_sign_off_and_says_why() -> None:
    routing = route(assess(SILVER, cny("20000")), cny("20000"))
    assert routing.decision is RouteDecision.DUAL_SIGN_OFF
    assert routing.reasons == ("credit score 72.9 < 90",)
    assert str(routing) == "dual_sign_off: credit score 72.9 < 90"


def test_a_large_amount_needs_dual_sign_off_whatever_the_score() -> None:
    rich = GOLD.model_copy(update={"credit_limit": cny("1000000")})
    routing = route(assess(rich, cny("80000")), cny("80000"))
    assert routing.reasons == ("amount CNY 80000.00 > CNY 50000.00",)


def test_every_failed_condition_is_a_reason() -> None:
    routing = route(assess(SILVER, cny("20000")), cny("50000.01"))
    assert routing.reasons == ("credit score 72.9 < 90", "amount CNY 50000.01 > CNY 50000.00")


def test_the_thresholds_themselves_are_approved() -> None:
    exactly_90 = Applicant(
        customer_id="C-5", tier="gold", credit_limit=cny("100000"), return_rate=Decimal("0.05")
    )
    assessment = assess(exactly_90, cny("50000"))
    assert assessment.credit_score == 97
    policy = RoutingPolicy(min_credit_score=Decimal(97))
    assert route(assessment, cny("50000"), policy).decision is RouteDecision.AUTO_APPROVE


def test_routing_thresholds_are_data_in_their_own_currency() -> None:
    policy = RoutingPolicy.from_dict(
        {"min_credit_score": 80, "max_auto_amount": {"amount": "7000", "currency": "USD"}}
    )
    assessment = assess(SILVER.model_copy(update={"credit_limit": cny("10000000")}), cny("1"))
    assert route(assessment, Money("6999", "USD"), policy).decision is RouteDecision.AUTO_APPROVE
    with pytest.raises(CurrencyMismatch):
        route(assessment, cny("1"), policy)


def test_a_routing_serialises_for_the_approval_request() -> None:
    data = route(assess(SILVER, cny("20000")), cny("20000")).to_dict()
    assert json.loads(json.dumps(data)) == {
        "decision": "dual_sign_off",
        "reasons": ["credit score 72.9 < 90"],
        "credit_score": "72.90",
        "amount": {"amount": "20000.00", "currency": "CNY"},
    }


# --- dual sign-off -----------------------------------------------------------------------


def test_two_distinct_people_approve() -> None:
    sign_off = DualSignOff("SO-1")
    assert sign_off.approved_by is None
    sign_off = sign_off.sign(" li.min ")
    assert (sign_off.approvers, sign_off.approved_by) == (("li.min",), None)
    assert sign_off.sign("wang.fang").approved_by == ("li.min", "wang.fang")


def test_the_same_person_twice_is_refused() -> None:
    sign_off = DualSignOff("SO-1").sign("li.min")
    with pytest.raises(DuplicateApprover) as refused:
        sign_off.sign("LI.MIN")
    assert isinstance(refused.value, SignOffRefused | HealthError | ValueError)
    assert (refused.value.order_id, refused.value.approver) == ("SO-1", "LI.MIN")
    with pytest.raises(DuplicateApprover):
        DualSignOff("SO-1", ("a", "a"))


@pytest.mark.parametrize("approver", ["", "   "])
def test_an_approver_must_be_named(approver: str) -> None:
    with pytest.raises(SignOffRefused, match="must be named"):
        DualSignOff("SO-1").sign(approver)


def test_no_signature_after_enough_have_signed_and_more_can_be_required() -> None:
    done = DualSignOff("SO-1").sign("a").sign("b")
    with pytest.raises(SignOffRefused, match="only 2 sign-offs"):
        done.sign("c")
    three = DualSignOff("SO-2", required=3).sign("a").sign("b")
    assert three.approved_by is None
    assert three.sign("c").approved_by == ("a", "b", "c")
    with pytest.raises(ValueError, match="required"):
        DualSignOff("SO-3", required=1)


# --- the lifecycle's approval state --------------------------------------------------------


@dataclass
class OrderRow:
    order_id: str
    state: str = "pending_payment"
    version: int = 0


def paid(order_id: str) -> OrderRow:
    row = OrderRow(order_id)
    ORDER_FLOW.fire(row, OrderEvent.PAY, actor="wechat-pay", at=AT, payment_id="4200001")
    return row


def test_dual_sign_off_holds_the_order_until_two_people_approve() -> None:
    row = paid("SO-77")
    routing = route(assess(SILVER, cny("20000")), cny("20000"))
    held = apply_routing(row, routing, actor="intake", at=AT)
    assert held is not None
    assert row.state == OrderState.AWAITING_APPROVAL
    assert (held.event, held.reason) == ("hold_for_approval", "credit score 72.9 < 90")
    [request] = held.effects
    assert request.kind == "approval.request"
    assert request.data["route"] == routing.to_dict()

    sign_off = DualSignOff(row.order_id).sign("li.min")
    with pytest.raises(SignOffRefused, match="1 more approver"):
        apply_sign_off(row, sign_off, at=AT)
    assert row.state == OrderState.AWAITING_APPROVAL

    approved = apply_sign_off(row, sign_off.sign("wang.fang"), at=AT)
    assert row.state == OrderState.PAID
    assert (approved.event, approved.actor) == ("approve", "wang.fang")
    assert approved.reason == "signed off by li.min, wang.fang"
    ORDER_FLOW.fire(row, OrderEvent.RESERVE, actor="wms", at=AT, reservation_id="R-1")
    assert row.state == OrderState.RESERVED


def test_auto_approval_leaves_the_order_as_it_is() -> None:
    row = paid("SO-78")
    routing = route(assess(GOLD, cny("30000")), cny("30000"))
    assert apply_routing(row, routing, actor="intake", at=AT) is None
    assert (row.state, row.version) == (OrderState.PAID, 1)


def test_a_sign_off_for_another_order_is_refused() -> None:
    row = paid("SO-79")
    apply_routing(row, route(assess(SILVER, cny("20000")), cny("20000")), actor="intake", at=AT)
    with pytest.raises(SignOffRefused, match="for order SO-80"):
        apply_sign_off(row, DualSignOff("SO-80").sign("a").sign("b"), at=AT)
    assert row.state == OrderState.AWAITING_APPROVAL


def test_routing_an_unpaid_order_is_a_lifecycle_error() -> None:
    row = OrderRow("SO-81")
    with pytest.raises(InvalidTransition):
        apply_routing(row, route(assess(SILVER, cny("1")), cny("1")), actor="intake", at=AT)
