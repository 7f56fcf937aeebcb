from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from transitions import EventData, Machine

from orderkit.lifecycle._spec import Action, Effect, FireContext, Transition

__all__ = ["MachineCursor", "build_machine", "first_refusal"]


@dataclass(slots=True)
class MachineCursor:
    """The model handed to the ``transitions`` Machine: a state plus what a firing collects."""

    state: StrEnum
    subject: Any
    subject_id: str
    event: str
    actor: str
    reason: str
    at: datetime
    data: Mapping[str, Any]
    source: str = ""
    effects: list[Effect] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)

    def context(self, dest: StrEnum) -> FireContext:
        return FireContext(
            self.subject,
            self.subject_id,
            self.event,
            self.source or self.state.value,
            dest.value,
            self.actor,
            self.reason,
            self.at,
            self.data,
        )


def first_refusal(t: Transition[Any, Any], context: FireContext) -> str | None:
    """The first guard refusal of ``t`` in ``context``, or ``None`` if all pass."""
    for guard in t.guards:
        refusal = guard(context)
        if refusal is not None:
            return refusal
    return None


def _cursor(event_data: EventData) -> MachineCursor:
    cursor: MachineCursor = event_data.model  # type: ignore[assignment]
    if not cursor.source:
        cursor.source = cursor.state.value
    return cursor


def _condition(t: Transition[Any, Any]) -> Any:
    def check(event_data: EventData) -> bool:
        cursor = _cursor(event_data)
        refusal = first_refusal(t, cursor.context(t.dest))
        if refusal is not None:
            cursor.refusals.append(refusal)
        return refusal is None

    return check


def _producer(actions: Sequence[Action], dest: StrEnum) -> Any:
    def produce(event_data: EventData) -> None:
        cursor = _cursor(event_data)
        context = cursor.context(dest)
        for action in actions:
            cursor.effects.extend(action(context))

    return produce


def build_machine(
    states: type[StrEnum],
    transitions: Sequence[Transition[Any, Any]],
    initial: StrEnum,
    on_enter: Mapping[Any, Sequence[Action]],
) -> Machine:
    """One shared ``transitions`` Machine for a definition; no model is ever registered.

    Transition actions run as ``before`` callbacks and state actions as ``on_enter``,
    so effects come in the same order as :meth:`Workflow.fire` produces them.
    """
    state_defs = [
        {"name": s, "on_enter": [_producer(on_enter[s], s)]} if on_enter.get(s) else {"name": s}
        for s in states
    ]
    transition_defs = [
        {
            "trigger": t.event.value,
            "source": list(t.source),
            "dest": t.dest,
            "conditions": [_condition(t)],
            "before": [_producer(t.actions, t.dest)] if t.actions else [],
        }
        for t in transitions
    ]
    return Machine(
        model=None,
        states=state_defs,
        transitions=transition_defs,
        initial=initial,
        auto_transitions=False,
        send_event=True,
    )
