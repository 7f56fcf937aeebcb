"""L7: the human review gate: proposals take effect only when a named reviewer confirms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit.errors import NaiveDatetime, TransitionError
from orderkit.lifecycle import Effect
from orderkit.lifecycle.policies import (
    Accuracy,
    ActorRequired,
    AlreadyDecided,
    ProposalStatus,
    ReviewGate,
    ReviewState,
    UnknownProposal,
)

T0 = datetime(2026, 11, 11, 10, tzinfo=UTC)
CANCEL = Effect(kind="order.cancel", data={"subject_id": "SO-1", "reason": "unpaid"})


def _gate(confirmed: int = 924, overturned: int = 76) -> ReviewGate:
    history = {"cancel": Accuracy(confirmed=confirmed, overturned=overturned)}
    return ReviewGate(ReviewState(accuracy=history))


def test_accuracy_is_shown_with_one_decimal() -> None:
    """L7: 924 confirmed and 76 overturned read "cancel: 92.4 % correct"."""
    gate = _gate()
    gate.propose("cancel", "SO-1", [CANCEL], reason="unpaid", at=T0)
    [review] = gate.pending()
    assert review.label == "cancel: 92.4 % correct"
    assert review.accuracy.rate == Fraction(231, 250)
    assert review.accuracy.percent == Decimal("92.4")


@pytest.mark.parametrize(
    ("confirmed", "overturned", "text"),
    [
        (0, 0, "no history yet"),
        (1, 0, "100.0 % correct"),
        (0, 3, "0.0 % correct"),
        (2, 1, "66.7 % correct"),
        (1, 2, "33.3 % correct"),
        (1999, 1, "100.0 % correct"),
        (1, 1999, "0.1 % correct"),
        (1, 1999 + 2000, "0.0 % correct"),
        (1, 7, "12.5 % correct"),
    ],
)
def test_accuracy_formatting(confirmed: int, overturned: int, text: str) -> None:
    """L7: exact shares, rounded half up to one decimal for display."""
    assert str(Accuracy(confirmed=confirmed, overturned=overturned)) == text


def test_confirm_puts_the_effects_into_force_and_counts() -> None:
    """L7: only a named reviewer's confirmation makes the action effective."""
    gate = _gate()
    proposal = gate.propose("cancel", "SO-1", [CANCEL], reason="unpaid 35 min", at=T0)
    assert proposal.status is ProposalStatus.PENDING
    assert proposal.proposal_id == "cancel:SO-1"
    decided = gate.confirm(
        proposal.proposal_id, reviewer=" Chen Jie ", at=T0 + timedelta(minutes=3)
    )
    assert decided.status is ProposalStatus.CONFIRMED
    assert decided.reviewer == "Chen Jie"
    assert decided.decided_at == T0 + timedelta(minutes=3)
    assert decided.effects == (CANCEL,)
    assert gate.get(proposal.proposal_id) == decided
    assert gate.pending() == []
    assert gate.accuracy("cancel") == Accuracy(confirmed=925, overturned=76)


def test_overturn_counts_against_the_decision_type() -> None:
    """L7: an overturned proposal never takes effect and lowers the accuracy."""
    gate = _gate(confirmed=1, overturned=0)
    gate.propose("cancel", "SO-1", [CANCEL], reason="unpaid", at=T0)
    decided = gate.overturn("cancel:SO-1", reviewer="Chen Jie", at=T0, note="paid by transfer")
    assert decided.status is ProposalStatus.OVERTURNED
    assert decided.note == "paid by transfer"
    assert str(gate.accuracy("cancel")) == "50.0 % correct"
    assert str(gate.accuracy("refund")) == "no history yet"


def test_deciding_twice_is_an_error() -> None:
    """L7: a decision is final; the second one is refused and changes nothing."""
    gate = _gate()
    gate.propose("cancel", "SO-1", [CANCEL], reason="unpaid", at=T0)
    gate.confirm("cancel:SO-1", reviewer="Chen Jie", at=T0)
    before = gate.state
    with pytest.raises(AlreadyDecided, match="already confirmed by Chen Jie") as caught:
        gate.overturn("cancel:SO-1", reviewer="Wang Fang", at=T0)
    assert caught.value.status == "confirmed"
    assert isinstance(caught.value, TransitionError)
    with pytest.raises(AlreadyDecided):
        gate.confirm("cancel:SO-1", reviewer="Chen Jie", at=T0)
    assert gate.state == before


@pytest.mark.parametrize("reviewer", ["", "   "])
def test_reviewer_must_be_named(reviewer: str) -> None:
    """L7: an anonymous confirmation is refused and the proposal stays pending."""
    gate = _gate()
    gate.propose("cancel", "SO-1", [CANCEL], reason="unpaid", at=T0)
    with pytest.raises(ActorRequired, match="reviewer"):
        gate.confirm("cancel:SO-1", reviewer=reviewer, at=T0)
    with pytest.raises(ActorRequired):
        gate.overturn("cancel:SO-1", reviewer=reviewer, at=T0)
    assert gate.get("cancel:SO-1").status is ProposalStatus.PENDING
    assert gate.accuracy("cancel") == Accuracy(confirmed=924, overturned=76)


def test_naive_decision_time_is_refused_without_a_trace() -> None:
    """L7: bad input never half-applies."""
    gate = _gate()
    gate.propose("cancel", "SO-1", [CANCEL], reason="unpaid", at=T0)
    with pytest.raises(NaiveDatetime):
        gate.confirm("cancel:SO-1", reviewer="Chen Jie", at=datetime(2026, 11, 11))
    assert gate.get("cancel:SO-1").status is ProposalStatus.PENDING


def test_unknown_proposal() -> None:
    """L7: deciding a proposal the gate does not hold is a lookup error."""
    with pytest.raises(UnknownProposal, match="'cancel:SO-9'") as caught:
        _gate().confirm("cancel:SO-9", reviewer="Chen Jie", at=T0)
    assert isinstance(caught.value, LookupError)


def test_proposing_again_returns_the_existing_proposal() -> None:
    """L7, L8: a policy that runs every minute neither duplicates nor re-asks."""
    gate = _gate()
    first = gate.propose("cancel", "SO-1", [CANCEL], reason="unpaid", at=T0)
    again = gate.propose("cancel", "SO-1", [CANCEL], reason="unpaid", at=T0 + timedelta(minutes=1))
    assert again == first
    gate.overturn("cancel:SO-1", reviewer="Chen Jie", at=T0)
    assert gate.propose("cancel", "SO-1", [CANCEL], reason="x", at=T0).status is (
        ProposalStatus.OVERTURNED
    )
    reopened = gate.propose(
        "cancel", "SO-1", [CANCEL], reason="still unpaid", at=T0, proposal_id="cancel:SO-1:2"
    )
    assert reopened.status is ProposalStatus.PENDING


def test_pending_lists_oldest_first_with_each_decision_types_accuracy() -> None:
    """L7: every pending proposal is shown with its own decision type's accuracy."""
    gate = _gate()
    gate.propose("refund", "RMA-1", [Effect(kind="refund.pay")], reason="qc ok", at=T0)
    gate.propose("cancel", "SO-1", [CANCEL], reason="unpaid", at=T0 - timedelta(minutes=1))
    assert [r.label for r in gate.pending()] == [
        "cancel: 92.4 % correct",
        "refund: no history yet",
    ]


def test_state_is_plain_data_that_round_trips() -> None:
    """L7: the host persists the gate's state as JSON and restores it."""
    gate = _gate()
    gate.propose("cancel", "SO-1", [CANCEL], reason="unpaid", at=T0)
    gate.propose("cancel", "SO-2", [CANCEL], reason="unpaid", at=T0)
    gate.confirm("cancel:SO-2", reviewer="Chen Jie", at=T0)
    saved = gate.state.model_dump_json()
    restored = ReviewGate(ReviewState.model_validate_json(saved))
    assert restored.state == gate.state
    restored.confirm("cancel:SO-1", reviewer="Chen Jie", at=T0)
    with pytest.raises(AlreadyDecided):
        restored.confirm("cancel:SO-2", reviewer="Chen Jie", at=T0)
    assert gate.get("cancel:SO-1").status is ProposalStatus.PENDING


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=10**6))
def test_percent_is_the_exact_share_rounded_half_up(confirmed: int, overturned: int) -> None:
    """L7: the shown figure is within half a tenth of the exact share."""
    accuracy = Accuracy(confirmed=confirmed, overturned=overturned)
    if confirmed + overturned == 0:
        assert accuracy.percent is None
        return
    assert accuracy.percent is not None
    exact = Fraction(100 * confirmed, confirmed + overturned)
    shown = Fraction(accuracy.percent)
    assert -Fraction(1, 20) < shown - exact <= Fraction(1, 20)
    assert accuracy.percent.as_tuple().exponent == -1
