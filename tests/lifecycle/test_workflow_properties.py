"""Random event sequences against the declared table (MISSION L2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import event as event_note
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from transitions import MachineError

from orderkit.errors import InvalidTransition, TransitionRefused
from orderkit.lifecycle import ORDER_FLOW, OrderEvent, OrderState, TransitionRecord
from orderkit.lifecycle._machine import MachineCursor

T0 = datetime(2026, 11, 11, tzinfo=UTC)
LEGAL = {(r["source"], r["event"], r["dest"]) for r in ORDER_FLOW.table()}
FROM = {(r["source"], r["event"]) for r in ORDER_FLOW.table()}


def _mostly(value: object) -> st.SearchStrategy[object]:
    return st.sampled_from([value, value, value, None])


contexts = st.fixed_dictionaries(
    {
        "payment_id": _mostly("P1"),
        "reservation_id": _mostly("R1"),
        "approved_by": _mostly("supervisor"),
        "qc_passed": _mostly(True),
        "tracking_number": _mostly("SF100"),
        "carrier": _mostly("SF"),
        "exception_code": _mostly("ADDRESS_UNKNOWN"),
        "children": st.lists(st.sampled_from(["C1", "C2", "C3"]), max_size=3),
    }
)


@dataclass
class Row:
    order_id: str = "SO-1"
    state: str = "pending_payment"
    version: int = 0


class OrderFlowMachine(RuleBasedStateMachine):
    """Every accepted move is in the table; refusals change nothing; replay agrees."""

    def __init__(self) -> None:
        super().__init__()
        self.row = Row()
        self.records: list[TransitionRecord] = []
        self.now = datetime(2026, 11, 11, tzinfo=UTC)

    @rule(data=st.data(), context=contexts, reason=st.sampled_from(["", "buyer asked"]))
    def fire_an_allowed_event(
        self, data: st.DataObject, context: dict[str, Any], reason: str
    ) -> None:
        options = ORDER_FLOW.events_from(ORDER_FLOW.state_of(self.row)) or list(OrderEvent)
        self.fire(data.draw(st.sampled_from(options)), context, reason)

    @rule(
        event=st.sampled_from(list(OrderEvent)),
        context=contexts,
        reason=st.sampled_from(["", "buyer asked"]),
    )
    def fire(self, event: OrderEvent, context: dict[str, Any], reason: str) -> None:
        before = (str(self.row.state), self.row.version)
        self.now += timedelta(minutes=1)
        try:
            record = ORDER_FLOW.fire(
                self.row, event, actor="prop", reason=reason, at=self.now, **context
            )
        except InvalidTransition:
            assert (before[0], event.value) not in FROM
            assert (str(self.row.state), self.row.version) == before
            return
        except TransitionRefused:
            assert (before[0], event.value) in FROM
            assert (str(self.row.state), self.row.version) == before
            return
        assert (record.from_state, record.event, record.to_state) in LEGAL
        assert record.version_after == before[1] + 1 == self.row.version
        self.records.append(record)
        event_note(f"reached {record.to_state}")

    @invariant()
    def replay_equals_the_live_state(self) -> None:
        replay = ORDER_FLOW.replay(self.records)
        assert replay.ok
        assert (replay.state, replay.version) == (str(self.row.state), self.row.version)


OrderFlowMachine.TestCase.settings = settings(max_examples=80, stateful_step_count=25)
TestOrderFlow = OrderFlowMachine.TestCase


@settings(max_examples=100)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(list(OrderEvent)), contexts, st.sampled_from(["", "why"])),
        max_size=20,
    )
)
def test_the_transitions_machine_agrees_with_fire(
    steps: list[tuple[OrderEvent, dict[str, Any], str]],
) -> None:
    """The shared ``transitions`` Machine and the compiled dispatch make the same moves."""
    row = Row()
    cursor = MachineCursor(OrderState.PENDING_PAYMENT, row, "SO-1", "", "prop", "", T0, {})
    for event, context, reason in steps:
        fired: InvalidTransition | TransitionRefused | None
        try:
            record = ORDER_FLOW.fire(row, event, actor="prop", reason=reason, at=T0, **context)
        except (InvalidTransition, TransitionRefused) as error:
            fired = error
        else:
            fired = None
        cursor = MachineCursor(cursor.state, row, "SO-1", event.value, "prop", reason, T0, context)
        try:
            moved = ORDER_FLOW.machine.events[event.value].trigger(cursor)
        except MachineError:
            assert isinstance(fired, InvalidTransition)
            continue
        if not moved:
            assert isinstance(fired, TransitionRefused)
            assert fired.reason == "; ".join(cursor.refusals)
            continue
        assert fired is None
        assert cursor.state == record.to_state == row.state
        assert cursor.effects == list(record.effects)
