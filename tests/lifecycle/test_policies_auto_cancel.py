"""L8: auto-cancel of unpaid orders after a timeout, never for delayed-settlement methods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit.errors import ConfigError, NaiveDatetime
from orderkit.lifecycle import ORDER_FLOW, OrderEvent, OrderState
from orderkit.lifecycle.policies import (
    AutoCancelPolicy,
    ProposalStatus,
    ReviewGate,
    auto_cancel,
)

T0 = datetime(2026, 11, 11, 20, 0, tzinfo=UTC)
DUE = timedelta(minutes=35)


def test_the_237_bank_transfer_orders_are_never_cancelled() -> None:
    """L8: the seed's incident: 237 good bank-transfer orders cancelled in one day.

    A day of bank-transfer orders, one every 6 minutes, still unpaid the next evening
    (transfers settle in one to three working days): none may be cancelled.
    """
    orders = [
        (f"PET-{n:03}", T0 - timedelta(hours=24) + n * timedelta(minutes=6), "bank_transfer")
        for n in range(237)
    ]
    assert auto_cancel(orders, now=T0 + timedelta(days=1)) == []
    gate = ReviewGate()
    assert auto_cancel(orders, now=T0 + timedelta(days=1), gate=gate) == []
    assert gate.pending() == []
    card = [("PET-999", T0 - timedelta(hours=24), "alipay")]
    cancelled = auto_cancel(orders + card, now=T0 + timedelta(days=1))
    assert [c.order_id for c in cancelled] == ["PET-999"]


def test_cancelled_at_exactly_timeout_plus_grace() -> None:
    """L8: 30 min to pay plus 5 min grace by default; the boundary cancels."""
    orders = [("SO-1", T0, "wechat_pay")]
    assert auto_cancel(orders, now=T0 + DUE - timedelta(microseconds=1)) == []
    [cancellation] = auto_cancel(orders, now=T0 + DUE)
    assert cancellation.order_id == "SO-1"
    assert cancellation.created_at == T0
    assert cancellation.due_at == T0 + DUE
    assert cancellation.effect.kind == "order.cancel"
    assert cancellation.effect.data == {"subject_id": "SO-1", "reason": cancellation.reason}


def test_orders_without_a_method_time_out_and_methods_compare_in_lower_case() -> None:
    """L8: no method chosen is no exemption; "Bank_Transfer " is bank transfer."""
    orders = [("SO-1", T0, None), ("SO-2", T0, " Bank_Transfer "), ("SO-3", T0, "wire_transfer")]
    assert [c.order_id for c in auto_cancel(orders, now=T0 + DUE)] == ["SO-1"]


def test_oldest_first() -> None:
    """L8: the longest-overdue order comes first."""
    orders = [("SO-2", T0, "alipay"), ("SO-1", T0 - timedelta(hours=1), "alipay")]
    assert [c.order_id for c in auto_cancel(orders, now=T0 + DUE)] == ["SO-1", "SO-2"]


def test_reason_satisfies_the_cancel_transition() -> None:
    """L8, L2: the cancellation reason goes straight into the order flow's cancel event."""

    class Row:
        order_id, state, version = "SO-1", OrderState.PENDING_PAYMENT, 0

    [cancellation] = auto_cancel([("SO-1", T0, "alipay")], now=T0 + DUE)
    record = ORDER_FLOW.fire(
        Row(), OrderEvent.CANCEL, actor="auto-cancel", reason=cancellation.reason, at=T0 + DUE
    )
    assert record.to_state == OrderState.CANCELLED
    assert record.reason == "not paid within 0:30:00"


def test_with_a_gate_cancellations_become_proposals() -> None:
    """L8, L7: a gate turns each cancellation into a proposal a supervisor confirms."""
    gate = ReviewGate()
    orders = [("SO-1", T0, "alipay"), ("SO-2", T0, "bank_transfer")]
    [proposal] = auto_cancel(orders, now=T0 + DUE, gate=gate)
    assert proposal.decision == "cancel"
    assert proposal.subject_id == "SO-1"
    assert proposal.status is ProposalStatus.PENDING
    assert [e.kind for e in proposal.effects] == ["order.cancel"]
    assert auto_cancel(orders, now=T0 + DUE + timedelta(minutes=1), gate=gate) == [proposal]
    assert len(gate.pending()) == 1
    gate.overturn(proposal.proposal_id, reviewer="Chen Jie", at=T0 + DUE)
    [again] = auto_cancel(orders, now=T0 + timedelta(hours=2), gate=gate)
    assert again.status is ProposalStatus.OVERTURNED
    assert gate.pending() == []


def test_policy_from_a_dict() -> None:
    """L8: timeout, grace and exemptions are configuration."""
    policy = AutoCancelPolicy.from_dict(
        {"timeout": "PT24H", "grace": 0, "exempt_methods": ["Cheque", "bank_transfer"]}
    )
    assert policy.exempt_methods == frozenset({"cheque", "bank_transfer"})
    orders = [("SO-1", T0, "alipay"), ("SO-2", T0, "cheque")]
    assert auto_cancel(orders, now=T0 + timedelta(hours=23), policy=policy) == []
    due = auto_cancel(orders, now=T0 + timedelta(hours=24), policy=policy)
    assert [c.order_id for c in due] == ["SO-1"]
    assert AutoCancelPolicy.from_dict(policy.model_dump(mode="json")) == policy
    with pytest.raises(ConfigError, match="timeout"):
        AutoCancelPolicy.from_dict({"timeout": 0})
    with pytest.raises(ConfigError, match="grace"):
        AutoCancelPolicy.from_dict({"grace": -60})
    with pytest.raises(ConfigError, match="unknown_field"):
        AutoCancelPolicy.from_dict({"unknown_field": 1})


def test_naive_times_are_refused() -> None:
    """L8: every time is aware."""
    with pytest.raises(NaiveDatetime, match="created_at of SO-1"):
        auto_cancel([("SO-1", datetime(2026, 11, 11), "alipay")], now=T0)
    with pytest.raises(NaiveDatetime, match="now"):
        auto_cancel([], now=datetime(2026, 11, 11))


methods = st.sampled_from(["alipay", "wechat_pay", "bank_transfer", "corporate_transfer", None])


@given(
    st.lists(st.tuples(st.integers(min_value=0, max_value=300), methods), max_size=30),
    st.integers(min_value=0, max_value=400),
)
def test_exempt_methods_are_never_cancelled(
    orders: list[tuple[int, str | None]], minutes: int
) -> None:
    """L8: whatever the time, a delayed-settlement order is never cancelled."""
    policy = AutoCancelPolicy()
    unpaid = [
        (f"SO-{i}", T0 + timedelta(minutes=m), method) for i, (m, method) in enumerate(orders)
    ]
    now = T0 + timedelta(minutes=minutes)
    cancelled = {c.order_id for c in auto_cancel(unpaid, now=now)}
    for order_id, created_at, method in unpaid:
        due = now - created_at >= DUE and not policy.exempt(method)
        assert (order_id in cancelled) == due
