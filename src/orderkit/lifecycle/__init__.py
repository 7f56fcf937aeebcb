"""Typed, declarative workflows on ``transitions`` (MISSION L1–L3).

A :class:`Workflow` is built once per definition; :meth:`Workflow.fire` moves any
object holding a state field and returns a :class:`TransitionRecord` for the host to
persist. Guards return a refusal reason; actions produce :class:`Effect` values (the
host performs them). :data:`ORDER_FLOW` is the default order lifecycle and
:data:`AFTER_SALES_FLOW` the return and exchange lifecycle, with the return-reason
catalog and its weekly spike detector.

>>> from datetime import datetime, UTC
>>> from orderkit.lifecycle import ORDER_FLOW, OrderEvent
>>> class Row:
...     def __init__(self):
...         self.order_id, self.state, self.version = "SO-1", "pending_payment", 0
>>> row = Row()
>>> record = ORDER_FLOW.fire(row, OrderEvent.PAY, actor="alipay-callback",
...                          at=datetime(2026, 11, 11, tzinfo=UTC), payment_id="P-9")
>>> row.state, row.version, [e.kind for e in record.effects]
(<OrderState.PAID: 'paid'>, 1, ['stock.reserve'])

.. versionadded:: 0.1
"""

from orderkit.lifecycle._after_sales import (
    AFTER_SALES_FLOW,
    AfterSalesEvent,
    AfterSalesState,
    after_sales_flow,
)
from orderkit.lifecycle._guards import effect, requires
from orderkit.lifecycle._order_flow import ORDER_FLOW, OrderEvent, OrderState
from orderkit.lifecycle._record import (
    Anomaly,
    AnomalyKind,
    AnomalyRate,
    Replay,
    TransitionRecord,
    anomaly_rate,
)
from orderkit.lifecycle._returns import (
    ReasonSpike,
    ReturnReason,
    ReturnReasonCatalog,
    SpikePolicy,
    weekly_spikes,
)
from orderkit.lifecycle._spec import Action, Effect, FireContext, Guard, Transition
from orderkit.lifecycle._workflow import Workflow

__all__ = [
    "AFTER_SALES_FLOW",
    "Action",
    "AfterSalesEvent",
    "AfterSalesState",
    "Anomaly",
    "AnomalyKind",
    "AnomalyRate",
    "Effect",
    "FireContext",
    "Guard",
    "ORDER_FLOW",
    "OrderEvent",
    "OrderState",
    "ReasonSpike",
    "Replay",
    "ReturnReason",
    "ReturnReasonCatalog",
    "SpikePolicy",
    "Transition",
    "TransitionRecord",
    "Workflow",
    "after_sales_flow",
    "anomaly_rate",
    "effect",
    "requires",
    "weekly_spikes",
]
