from __future__ import annotations

from enum import StrEnum

from orderkit.lifecycle._guards import effect, requires
from orderkit.lifecycle._spec import Effect, FireContext, Transition
from orderkit.lifecycle._workflow import Workflow

__all__ = ["ORDER_FLOW", "OrderEvent", "OrderState"]


class OrderState(StrEnum):
    """The states of the default order lifecycle (MISSION L1, L11, L13)."""

    PENDING_PAYMENT = "pending_payment"
    DEPOSIT_PAID = "deposit_paid"
    BALANCE_DUE = "balance_due"
    PAID = "paid"
    AWAITING_APPROVAL = "awaiting_approval"
    RESERVED = "reserved"
    SPLIT = "split"
    IN_QC = "in_qc"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERY_EXCEPTION = "delivery_exception"
    SIGNED = "signed"
    CANCELLED = "cancelled"
    CLOSED = "closed"


class OrderEvent(StrEnum):
    """The events that move an order; states never change any other way (MISSION L2)."""

    PAY = "pay"
    PAY_DEPOSIT = "pay_deposit"
    OPEN_BALANCE = "open_balance"
    PAY_BALANCE = "pay_balance"
    HOLD_FOR_APPROVAL = "hold_for_approval"
    APPROVE = "approve"
    RESERVE = "reserve"
    SPLIT = "split"
    START_QC = "start_qc"
    PACK = "pack"
    SHIP = "ship"
    REPORT_EXCEPTION = "report_exception"
    RESOLVE_EXCEPTION = "resolve_exception"
    SIGN = "sign"
    CANCEL = "cancel"
    CLOSE = "close"


def qc_passed(context: FireContext) -> str | None:
    if context.data.get("qc_passed") is True:
        return None
    return "pack needs qc_passed=True: the QC result is missing or failed"


def distinct_children(context: FireContext) -> str | None:
    children = context.data.get("children") or ()
    if len(children) >= 2 and len(set(children)) == len(children):
        return None
    return "split needs children=[...] with at least two distinct child order ids"


def child_orders(context: FireContext) -> list[Effect]:
    return [
        Effect(kind="order.create_child", data={"parent_id": context.subject_id, "child_id": c})
        for c in context.data["children"]
    ]


def reason_given(context: FireContext) -> str | None:
    return None if context.reason.strip() else "cancel needs a reason"


S, E = OrderState, OrderEvent
_CANCELLABLE = (
    S.PENDING_PAYMENT,
    S.DEPOSIT_PAID,
    S.BALANCE_DUE,
    S.PAID,
    S.AWAITING_APPROVAL,
    S.RESERVED,
    S.IN_QC,
)

ORDER_FLOW: Workflow[OrderState, OrderEvent] = Workflow(
    "order",
    states=OrderState,
    events=OrderEvent,
    initial=S.PENDING_PAYMENT,
    terminal=(S.CANCELLED, S.CLOSED),
    id_field="order_id",
    transitions=[
        Transition(E.PAY, S.PENDING_PAYMENT, S.PAID, guards=[requires("payment_id")]),
        Transition(
            E.PAY_DEPOSIT, S.PENDING_PAYMENT, S.DEPOSIT_PAID, guards=[requires("payment_id")]
        ),
        Transition(
            E.OPEN_BALANCE,
            S.DEPOSIT_PAID,
            S.BALANCE_DUE,
            actions=[effect("customer.notify", template="balance_due")],
        ),
        Transition(E.PAY_BALANCE, S.BALANCE_DUE, S.PAID, guards=[requires("payment_id")]),
        Transition(
            E.HOLD_FOR_APPROVAL,
            S.PAID,
            S.AWAITING_APPROVAL,
            actions=[effect("approval.request", "route")],
        ),
        Transition(E.APPROVE, S.AWAITING_APPROVAL, S.PAID, guards=[requires("approved_by")]),
        Transition(E.RESERVE, S.PAID, S.RESERVED, guards=[requires("reservation_id")]),
        Transition(
            E.SPLIT, S.RESERVED, S.SPLIT, guards=[distinct_children], actions=[child_orders]
        ),
        Transition(E.START_QC, S.RESERVED, S.IN_QC, role="warehouse"),
        Transition(E.PACK, S.IN_QC, S.PACKED, guards=[qc_passed], role="warehouse"),
        Transition(
            E.SHIP,
            S.PACKED,
            S.SHIPPED,
            guards=[requires("tracking_number", "carrier")],
            role="warehouse",
        ),
        Transition(
            E.REPORT_EXCEPTION, S.SHIPPED, S.DELIVERY_EXCEPTION, guards=[requires("exception_code")]
        ),
        Transition(E.RESOLVE_EXCEPTION, S.DELIVERY_EXCEPTION, S.SHIPPED),
        Transition(E.SIGN, (S.SHIPPED, S.DELIVERY_EXCEPTION), S.SIGNED),
        Transition(E.CLOSE, (S.SIGNED, S.SPLIT), S.CLOSED),
        Transition(E.CANCEL, _CANCELLABLE, S.CANCELLED, guards=[reason_given]),
    ],
    on_enter={
        S.PAID: [effect("stock.reserve")],
        S.SHIPPED: [
            effect("channel.write_tracking", "tracking_number", "carrier"),
            effect("customer.notify", "tracking_number", template="shipped"),
            effect("finance.create_receivable"),
        ],
        S.DELIVERY_EXCEPTION: [effect("ops.alert", "exception_code")],
        S.SIGNED: [effect("customer.notify", template="signed")],
        S.CANCELLED: [effect("stock.release"), effect("customer.notify", template="cancelled")],
    },
)
"""The default order lifecycle. Copy its parts to build your own variant."""
