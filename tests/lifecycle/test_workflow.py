"""The workflow engine and the default order flow (MISSION L1, L2, L12, L13)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import attrs
import pytest
from pydantic import BaseModel, ConfigDict

from orderkit.errors import (
    ConcurrentModification,
    ConfigError,
    InvalidTransition,
    NaiveDatetime,
    TransitionRefused,
    UnknownState,
)
from orderkit.lifecycle import (
    AFTER_SALES_FLOW,
    ORDER_FLOW,
    AnomalyKind,
    Effect,
    FireContext,
    OrderEvent,
    OrderState,
    Transition,
    TransitionRecord,
    Workflow,
    anomaly_rate,
    requires,
)

T0 = datetime(2026, 11, 11, tzinfo=UTC)
E, S = OrderEvent, OrderState


@dataclass
class Row:
    order_id: str = "SO-1"
    state: str = "pending_payment"
    version: int = 0


def _walk(row: Row, *steps: tuple[OrderEvent, dict[str, Any]]) -> list[TransitionRecord]:
    return [
        ORDER_FLOW.fire(row, event, actor="tester", at=T0 + timedelta(minutes=i), **context)
        for i, (event, context) in enumerate(steps)
    ]


HAPPY: list[tuple[OrderEvent, dict[str, Any]]] = [
    (E.PAY, {"payment_id": "P1"}),
    (E.RESERVE, {"reservation_id": "R1"}),
    (E.START_QC, {}),
    (E.PACK, {"qc_passed": True}),
    (E.SHIP, {"tracking_number": "SF100", "carrier": "SF"}),
    (E.SIGN, {}),
    (E.CLOSE, {}),
]


def test_happy_path_records_every_step() -> None:
    row = Row()
    records = _walk(row, *HAPPY)
    assert row.state == S.CLOSED
    assert row.version == len(HAPPY)
    assert [(r.from_state, r.to_state) for r in records][:2] == [
        ("pending_payment", "paid"),
        ("paid", "reserved"),
    ]
    assert all(r.actor == "tester" and r.subject_id == "SO-1" for r in records)
    assert [r.version_after for r in records] == list(range(1, len(HAPPY) + 1))
    assert records[1].at == T0 + timedelta(minutes=1)


def test_entering_shipped_yields_the_l1_effects_as_data() -> None:
    row = Row()
    shipped = _walk(row, *HAPPY[:5])[-1]
    assert [e.kind for e in shipped.effects] == [
        "channel.write_tracking",
        "customer.notify",
        "finance.create_receivable",
    ]
    assert shipped.effects[0].data == {
        "subject_id": "SO-1",
        "tracking_number": "SF100",
        "carrier": "SF",
    }


def test_illegal_event_changes_nothing_and_lists_the_allowed_ones() -> None:
    row = Row()
    with pytest.raises(InvalidTransition) as caught:
        ORDER_FLOW.fire(row, E.SHIP, actor="x", at=T0)
    assert caught.value.allowed == ("pay", "pay_deposit", "cancel")
    assert (row.state, row.version) == ("pending_payment", 0)
    with pytest.raises(InvalidTransition, match="'teleport'"):
        ORDER_FLOW.fire(row, "teleport", actor="x", at=T0)


def test_terminal_states_allow_nothing() -> None:
    row = Row(state="closed")
    with pytest.raises(InvalidTransition, match="the state is terminal"):
        ORDER_FLOW.fire(row, E.PAY, actor="x", at=T0)


def test_guard_refusal_says_why_and_changes_nothing() -> None:
    row = Row(state="packed", version=4)
    with pytest.raises(TransitionRefused) as caught:
        ORDER_FLOW.fire(row, E.SHIP, actor="x", at=T0, carrier="SF")
    assert caught.value.reason == "ship needs tracking_number=..."
    assert (row.state, row.version) == ("packed", 4)


def test_cancel_needs_a_reason_and_releases_stock() -> None:
    row = Row(state="reserved")
    with pytest.raises(TransitionRefused, match="cancel needs a reason"):
        ORDER_FLOW.fire(row, E.CANCEL, actor="cs", at=T0)
    record = ORDER_FLOW.fire(row, E.CANCEL, actor="cs", reason="buyer asked", at=T0)
    assert record.reason == "buyer asked"
    assert [e.kind for e in record.effects] == ["stock.release", "customer.notify"]


def test_presale_path_deposit_then_balance() -> None:
    row = Row()
    records = _walk(
        row,
        (E.PAY_DEPOSIT, {"payment_id": "D1"}),
        (E.OPEN_BALANCE, {}),
        (E.PAY_BALANCE, {"payment_id": "B1"}),
    )
    assert [r.to_state for r in records] == ["deposit_paid", "balance_due", "paid"]
    assert records[1].effects[0].data["template"] == "balance_due"


def test_split_creates_child_orders_as_effects() -> None:
    row = Row(state="reserved")
    with pytest.raises(TransitionRefused, match="two distinct"):
        ORDER_FLOW.fire(row, E.SPLIT, actor="x", at=T0, children=["C1", "C1"])
    record = ORDER_FLOW.fire(row, E.SPLIT, actor="x", at=T0, children=["C1", "C2"])
    assert [e.data["child_id"] for e in record.effects] == ["C1", "C2"]


def test_stale_expected_version_is_refused() -> None:
    row = Row(state="paid", version=3)
    with pytest.raises(ConcurrentModification) as caught:
        ORDER_FLOW.fire(row, E.RESERVE, actor="x", at=T0, expected_version=2, reservation_id="R")
    assert (caught.value.expected, caught.value.actual) == (2, 3)
    assert row.state == "paid"
    ORDER_FLOW.fire(row, E.RESERVE, actor="x", at=T0, expected_version=3, reservation_id="R")
    assert row.version == 4


def test_concurrent_fire_with_the_same_version_lets_exactly_one_win() -> None:
    for _ in range(20):
        row = Row(state="paid", version=7)
        barrier = threading.Barrier(8)
        outcomes: list[str] = []

        def worker(
            n: int,
            row: Row = row,
            barrier: threading.Barrier = barrier,
            outcomes: list[str] = outcomes,
        ) -> None:
            barrier.wait()
            try:
                ORDER_FLOW.fire(
                    row, E.RESERVE, actor=f"w{n}", at=T0, expected_version=7, reservation_id="R"
                )
                outcomes.append("won")
            except ConcurrentModification:
                outcomes.append("lost")

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["lost"] * 7 + ["won"]
        assert (row.state, row.version) == (S.RESERVED, 8)


def test_naive_time_unknown_state_and_enum_values() -> None:
    with pytest.raises(NaiveDatetime):
        ORDER_FLOW.fire(Row(), E.PAY, actor="x", at=datetime(2026, 1, 1), payment_id="P")
    with pytest.raises(UnknownState, match="'lost'"):
        ORDER_FLOW.fire(Row(state="lost"), E.PAY, actor="x", at=T0, payment_id="P")
    row = Row()
    ORDER_FLOW.fire(row, "pay", actor="x", at=T0, payment_id="P")
    assert row.state == OrderState.PAID


class MutableOrder(BaseModel):
    order_id: str
    state: OrderState = OrderState.PENDING_PAYMENT
    version: int = 0


class FrozenOrder(BaseModel):
    model_config = ConfigDict(frozen=True)
    order_id: str
    state: OrderState = OrderState.PENDING_PAYMENT


@attrs.define(slots=True)
class SlottedOrder:
    order_id: str
    state: str = "pending_payment"
    version: int = 0


def test_fire_works_on_pydantic_attrs_and_frozen_subjects() -> None:
    mutable = MutableOrder(order_id="M")
    ORDER_FLOW.fire(mutable, E.PAY, actor="x", at=T0, payment_id="P")
    assert (mutable.state, mutable.version) == (OrderState.PAID, 1)
    slotted = SlottedOrder(order_id="A")
    ORDER_FLOW.fire(slotted, E.PAY, actor="x", at=T0, payment_id="P")
    assert (slotted.state, slotted.version) == (OrderState.PAID, 1)
    frozen = FrozenOrder(order_id="F")
    record = ORDER_FLOW.fire(frozen, E.PAY, actor="x", at=T0, payment_id="P")
    assert frozen.state == OrderState.PENDING_PAYMENT
    assert FrozenOrder(order_id="F", state=OrderState(record.to_state)).state == S.PAID


def test_allowed_events_evaluates_guards() -> None:
    row = Row(state="shipped")
    assert ORDER_FLOW.allowed_events(row, at=T0) == [E.SIGN]
    assert ORDER_FLOW.allowed_events(row, at=T0, exception_code="ADDR") == [
        E.REPORT_EXCEPTION,
        E.SIGN,
    ]
    assert ORDER_FLOW.events_from(S.SHIPPED) == [E.REPORT_EXCEPTION, E.SIGN]


def test_records_round_trip_as_json() -> None:
    for record in _walk(Row(), *HAPPY):
        assert TransitionRecord.from_json(record.to_json()) == record


class Door(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    LOCKED = "locked"


class Push(StrEnum):
    SHUT = "shut"
    OPEN = "open"
    LOCK = "lock"


def _door(transitions: Iterable[Transition[Door, Push]], terminal: Iterable[Door] = ()) -> Any:
    return Workflow(
        "door",
        states=Door,
        events=Push,
        transitions=list(transitions),
        initial=Door.OPEN,
        terminal=terminal,
        id_field="order_id",
    )


def test_definition_errors_are_all_named_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        _door([Transition(Push.SHUT, Door.OPEN, Door.CLOSED)])
    message = str(caught.value)
    assert "state 'locked' is unreachable" in message
    assert "state 'closed' is a dead end but not declared terminal" in message
    assert "event 'open' has no transition" in message
    assert "event 'lock' has no transition" in message


def test_terminal_exits_and_shadowed_transitions_are_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        _door(
            [
                Transition(Push.SHUT, Door.OPEN, Door.CLOSED),
                Transition(Push.SHUT, Door.OPEN, Door.LOCKED),
                Transition(Push.OPEN, Door.CLOSED, Door.OPEN),
                Transition(Push.LOCK, Door.CLOSED, Door.LOCKED),
            ],
            terminal=[Door.CLOSED, Door.LOCKED],
        )
    assert "terminal state 'closed' has outgoing transitions" in str(caught.value)
    assert "'shut' from 'open': a guardless transition shadows" in str(caught.value)


def test_guarded_alternatives_are_tried_in_order() -> None:
    def vip(context: FireContext) -> str | None:
        return None if context.data.get("vip") else "not a VIP"

    door = _door(
        [
            Transition(Push.SHUT, Door.OPEN, Door.LOCKED, guards=[vip]),
            Transition(Push.SHUT, Door.OPEN, Door.CLOSED, guards=[requires("key")]),
            Transition(Push.OPEN, Door.CLOSED, Door.OPEN),
            Transition(Push.LOCK, Door.CLOSED, Door.LOCKED),
        ],
        terminal=[Door.LOCKED],
    )
    row = SlottedOrder(order_id="d", state="open")
    with pytest.raises(TransitionRefused, match=r"not a VIP; shut needs key=\.\.\."):
        door.fire(row, Push.SHUT, actor="x", at=T0)
    assert door.fire(row, Push.SHUT, actor="x", at=T0, key="k").to_state == "closed"
    row.state = "open"
    assert door.fire(row, Push.SHUT, actor="x", at=T0, vip=True).to_state == "locked"


def test_a_failing_action_leaves_the_subject_unchanged() -> None:
    def explode(context: FireContext) -> list[Effect]:
        raise RuntimeError("boom")

    door = _door(
        [
            Transition(Push.SHUT, Door.OPEN, Door.CLOSED, actions=[explode]),
            Transition(Push.OPEN, Door.CLOSED, Door.OPEN),
            Transition(Push.LOCK, Door.CLOSED, Door.LOCKED),
        ],
        terminal=[Door.LOCKED],
    )
    row = SlottedOrder(order_id="d", state="open")
    with pytest.raises(RuntimeError, match="boom"):
        door.fire(row, Push.SHUT, actor="x", at=T0)
    assert (row.state, row.version) == ("open", 0)


def test_table_and_diagrams() -> None:
    rows = ORDER_FLOW.table()
    assert {
        "source": "packed",
        "event": "ship",
        "dest": "shipped",
        "guards": ["requires(tracking_number, carrier)"],
        "actions": [],
        "role": "warehouse",
    } in rows
    diagram = ORDER_FLOW.to_mermaid()
    assert diagram.startswith("stateDiagram-v2\n    [*] --> pending_payment\n")
    assert "    closed --> [*]" in diagram
    assert len([line for line in diagram.splitlines() if "-->" in line]) == len(rows) + 3
    dot = ORDER_FLOW.to_graphviz()
    assert dot.startswith("digraph order {")
    assert "packed -> shipped" in dot


def test_replay_rebuilds_the_state_and_finds_anomalies() -> None:
    records = _walk(Row(), *HAPPY)
    clean = ORDER_FLOW.replay(records)
    assert (clean.state, clean.version, clean.ok) == ("closed", len(HAPPY), True)

    gap = ORDER_FLOW.replay(records[:2] + records[3:])
    assert [(a.index, a.kind) for a in gap.anomalies] == [
        (2, AnomalyKind.GAP),
        (2, AnomalyKind.STATE_JUMP),
    ]
    swapped = ORDER_FLOW.replay([records[1], records[0], *records[2:]])
    assert AnomalyKind.OUT_OF_ORDER in {a.kind for a in swapped.anomalies}

    forged = records[0]._replace(to_state="shipped")
    illegal = ORDER_FLOW.replay([forged])
    assert [a.kind for a in illegal.anomalies] == [AnomalyKind.ILLEGAL]

    other = records[1]._replace(subject_id="SO-2")
    assert AnomalyKind.FOREIGN in {a.kind for a in ORDER_FLOW.replay([records[0], other]).anomalies}

    rate = anomaly_rate([(records, clean), (records[:2] + records[3:], gap)])
    assert (rate.records, rate.anomalous) == (len(HAPPY) * 2 - 1, 1)
    assert rate.rate == pytest.approx(1 / 13)


def test_replay_of_a_child_order_starts_where_it_was_created() -> None:
    child = Row(order_id="C1", state="reserved")
    records = _walk(child, (E.START_QC, {}), (E.PACK, {"qc_passed": True}))
    assert ORDER_FLOW.replay(records, start=S.RESERVED).ok
    assert not ORDER_FLOW.replay(records).ok


def test_docs_diagram_is_the_generated_one() -> None:
    page = (Path(__file__).parents[2] / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    assert f"```mermaid\n{ORDER_FLOW.to_mermaid()}```" in page
    assert f"```mermaid\n{AFTER_SALES_FLOW.to_mermaid()}```" in page
