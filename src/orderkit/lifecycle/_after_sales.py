"""The after-sales (return and exchange) lifecycle and return-reason analytics.

:func:`after_sales_flow` builds the return workflow of MISSION L3 over a
:class:`ReturnReasonCatalog` (the 12 standard codes of L4 unless the host extends it);
:data:`AFTER_SALES_FLOW` is the one built on the standard catalog. Every state names
the role responsible for moving it on. :func:`weekly_spikes` finds the reasons whose
count rose more than a :class:`SpikePolicy` allows week over week (L4).

>>> from datetime import datetime, UTC
>>> class Ticket:
...     def __init__(self):
...         self.return_id, self.state, self.version = "RMA-7", "pending_review", 0
>>> from orderkit.lifecycle import AFTER_SALES_FLOW, AfterSalesEvent, ReturnReason
>>> ticket = Ticket()
>>> record = AFTER_SALES_FLOW.fire(
...     ticket, AfterSalesEvent.RECORD_QC, actor="scanner-03",
...     at=datetime(2026, 2, 18, 9, 30, tzinfo=UTC),
...     qc_result="passed", reason_code=ReturnReason.FABRIC_DEFECT,
... )
>>> ticket.state, AFTER_SALES_FLOW.roles[ticket.state], record.effects[0].kind
(<AfterSalesState.PENDING_HANDLING: 'pending_handling'>, 'customer_service', 'return.qc_recorded')

.. versionadded:: 0.1
"""

from __future__ import annotations

from enum import StrEnum

import attrs

from orderkit.lifecycle._guards import effect, requires
from orderkit.lifecycle._returns import ReturnReasonCatalog
from orderkit.lifecycle._spec import Effect, FireContext, Transition
from orderkit.lifecycle._workflow import Workflow
from orderkit.money import Money

__all__ = ["AFTER_SALES_FLOW", "AfterSalesEvent", "AfterSalesState", "after_sales_flow"]


class AfterSalesState(StrEnum):
    """The states of a return or exchange request (MISSION L3)."""

    PENDING_REVIEW = "pending_review"
    PENDING_HANDLING = "pending_handling"
    RESHIPPED = "reshipped"
    REFUNDED = "refunded"
    CLOSED = "closed"
    REJECTED = "rejected"


class AfterSalesEvent(StrEnum):
    """The actions that move a return request; each has a responsible role (MISSION L3)."""

    RECORD_QC = "record_qc"
    REJECT = "reject"
    CREATE_RESHIPMENT = "create_reshipment"
    REFUND = "refund"
    APPROVE = "approve"


@attrs.frozen
class _Rules:
    """The guards and actions of one after-sales flow, bound to its reason catalog."""

    reasons: ReturnReasonCatalog

    @staticmethod
    def qc_result_valid(context: FireContext) -> str | None:
        result = context.data["qc_result"]
        if result in ("passed", "failed"):
            return None
        return f"record_qc needs qc_result='passed' or 'failed', got {result!r}"

    def known_reason(self, context: FireContext) -> str | None:
        code = context.data["reason_code"]
        if isinstance(code, str) and code in self.reasons:
            return None
        known = ", ".join(sorted(self.reasons.labels))
        return f"unknown reason_code {code!r}: use one of {known}, or extend the catalog"

    @staticmethod
    def reason_given(context: FireContext) -> str | None:
        return None if context.reason.strip() else "reject needs a reason for the customer"

    @staticmethod
    def refund_amount(context: FireContext) -> str | None:
        amount = context.data.get("amount")
        if isinstance(amount, Money) and amount > Money.zero(amount.currency) and amount.is_rounded:
            return None
        return f"refund needs amount=Money(...) above zero, rounded to its currency; got {amount!r}"

    @staticmethod
    def refund_request(context: FireContext) -> list[Effect]:
        amount: Money = context.data["amount"]
        data = {
            "subject_id": context.subject_id,
            "amount": f"{amount.amount:f}",
            "currency": amount.currency,
        }
        return [Effect(kind="finance.refund_request", data=data)]


_STANDARD = ReturnReasonCatalog()


def after_sales_flow(
    reasons: ReturnReasonCatalog = _STANDARD,
) -> Workflow[AfterSalesState, AfterSalesEvent]:
    """The after-sales workflow whose QC step accepts the codes of ``reasons`` (MISSION L3)."""
    s, e = AfterSalesState, AfterSalesEvent
    rules = _Rules(reasons)
    return Workflow(
        "after_sales",
        states=AfterSalesState,
        events=AfterSalesEvent,
        initial=s.PENDING_REVIEW,
        terminal=(s.CLOSED, s.REJECTED),
        id_field="return_id",
        roles={
            s.PENDING_REVIEW: "customer_service",
            s.PENDING_HANDLING: "customer_service",
            s.RESHIPPED: "finance",
            s.REFUNDED: "finance",
        },
        transitions=[
            Transition(
                e.RECORD_QC,
                s.PENDING_REVIEW,
                s.PENDING_HANDLING,
                guards=[
                    requires("qc_result", "reason_code"),
                    rules.qc_result_valid,
                    rules.known_reason,
                ],
                actions=[effect("return.qc_recorded", "qc_result", "reason_code")],
                role="warehouse",
            ),
            Transition(
                e.REJECT,
                (s.PENDING_REVIEW, s.PENDING_HANDLING),
                s.REJECTED,
                guards=[rules.reason_given],
                role="customer_service",
            ),
            Transition(
                e.CREATE_RESHIPMENT,
                s.PENDING_HANDLING,
                s.RESHIPPED,
                guards=[requires("outbound_id")],
                actions=[effect("wms.outbound", "outbound_id")],
                role="customer_service",
            ),
            Transition(
                e.REFUND,
                s.PENDING_HANDLING,
                s.REFUNDED,
                guards=[rules.refund_amount],
                actions=[rules.refund_request],
                role="customer_service",
            ),
            Transition(
                e.APPROVE,
                (s.RESHIPPED, s.REFUNDED),
                s.CLOSED,
                guards=[requires("approval_id")],
                actions=[effect("finance.refund", "approval_id")],
                role="finance",
            ),
        ],
        on_enter={
            s.RESHIPPED: [effect("customer.notify", "outbound_id", template="reshipped")],
            s.REJECTED: [effect("customer.notify", template="return_rejected")],
        },
    )


AFTER_SALES_FLOW = after_sales_flow()
"""The after-sales lifecycle over the 12 standard return reasons."""
