from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, NamedTuple, TypeVar

from transitions import Machine

from orderkit.clock import require_aware
from orderkit.errors import (
    ConcurrentModification,
    ConfigError,
    InvalidTransition,
    TransitionRefused,
    UnknownState,
)
from orderkit.lifecycle._checks import definition_problems
from orderkit.lifecycle._diagram import graphviz_source, mermaid
from orderkit.lifecycle._machine import build_machine, first_refusal
from orderkit.lifecycle._record import Replay, TransitionRecord
from orderkit.lifecycle._replay import replay_records
from orderkit.lifecycle._spec import Action, Effect, FireContext, Transition, describe

__all__ = ["Workflow"]

S = TypeVar("S", bound=StrEnum)
E = TypeVar("E", bound=StrEnum)

_STRIPES = 64


class _Step(NamedTuple):
    """One compiled candidate move for a (state, event) pair."""

    transition: Transition[Any, Any]
    event: str
    dest: StrEnum
    dest_name: str
    actions: tuple[Action, ...]


class Workflow(Generic[S, E]):
    """A declarative state machine for a kind of subject (an order, a return).

    The definition is checked once, when built: unreachable states, non-terminal dead
    ends, terminal states with exits, unused events and shadowed transitions are all
    named in one :class:`~orderkit.errors.ConfigError`. It is compiled into a dispatch
    table for :meth:`fire`, and into one shared ``transitions`` Machine (:attr:`machine`,
    no model ever registered) that follows the same semantics for hosts that use
    ``transitions`` directly.

    :meth:`fire` moves any object whose ``state_field`` holds a state, under a
    compare-and-set on its ``version_field``. See :mod:`orderkit.lifecycle`.
    """

    def __init__(
        self,
        name: str,
        *,
        states: type[S],
        events: type[E],
        transitions: Sequence[Transition[S, E]],
        initial: S,
        terminal: Iterable[S],
        on_enter: Mapping[S, Sequence[Action]] | None = None,
        roles: Mapping[S, str] | None = None,
        id_field: str = "id",
        state_field: str = "state",
        version_field: str = "version",
    ) -> None:
        self.name = name
        self.states = states
        self.events = events
        self.transitions = tuple(transitions)
        self.initial = initial
        self.terminal = frozenset(terminal)
        self.on_enter: Mapping[S, tuple[Action, ...]] = {
            s: tuple(actions) for s, actions in (on_enter or {}).items()
        }
        self.roles: Mapping[S, str] = dict(roles or {})
        self.id_field, self.state_field, self.version_field = id_field, state_field, version_field
        self._from: dict[S, dict[E, list[Transition[S, E]]]] = defaultdict(dict)
        for t in self.transitions:
            for source in t.source:
                self._from[source].setdefault(t.event, []).append(t)
        problems = definition_problems(states, events, self._from, initial, self.terminal)
        if problems:
            raise ConfigError(f"workflow {name!r} is invalid: " + "; ".join(problems))
        self._state_names: dict[str, S] = {s.value: s for s in states}
        self._state_values: dict[str, str] = {s.value: s.value for s in states}
        self._steps: dict[tuple[str, str], tuple[_Step, ...]] = {
            (source.value, event.value): tuple(
                _Step(
                    t, event.value, t.dest, t.dest.value, t.actions + self.on_enter.get(t.dest, ())
                )
                for t in options
            )
            for source, by_event in self._from.items()
            for event, options in by_event.items()
        }
        self._legal = frozenset(
            (source.value, t.event.value, t.dest.value)
            for t in self.transitions
            for source in t.source
        )
        self._locks = [threading.Lock() for _ in range(_STRIPES)]
        self.machine: Machine = build_machine(states, self.transitions, initial, self.on_enter)

    def state_of(self, subject: Any) -> S:
        """The subject's current state; :class:`~orderkit.errors.UnknownState` if not ours."""
        raw = getattr(subject, self.state_field)
        state = self._state_names.get(raw) if isinstance(raw, str) else None
        if state is None:
            raise UnknownState(str(getattr(subject, self.id_field, "?")), raw, self.name)
        return state

    def events_from(self, state: S) -> list[E]:
        """Events the table allows from ``state``, guards not evaluated, in definition order."""
        return list(self._from.get(state, {}))

    def allowed_events(
        self, subject: Any, *, actor: str = "system", reason: str = "", at: datetime, **context: Any
    ) -> list[E]:
        """Events that would fire now: those whose guards pass for ``subject`` and ``context``."""
        state = self.state_of(subject)
        subject_id = str(getattr(subject, self.id_field))
        at = require_aware(at, "at")
        return [
            event
            for event, options in self._from.get(state, {}).items()
            if any(
                first_refusal(
                    t,
                    FireContext(
                        subject,
                        subject_id,
                        event.value,
                        state.value,
                        t.dest.value,
                        actor,
                        reason,
                        at,
                        context,
                    ),
                )
                is None
                for t in options
            )
        ]

    def fire(
        self,
        subject: Any,
        event: E | str,
        *,
        actor: str,
        reason: str = "",
        at: datetime,
        expected_version: int | None = None,
        **context: Any,
    ) -> TransitionRecord:
        """Move ``subject`` by ``event`` and return the record of the move.

        A mutable subject gets its new state and version written back; a frozen one is
        left as it is (build its successor from the record). Nothing changes when the
        event is not allowed (:class:`~orderkit.errors.InvalidTransition`), a guard
        refuses (:class:`~orderkit.errors.TransitionRefused`), ``expected_version`` is
        stale (:class:`~orderkit.errors.ConcurrentModification`) or an action raises.
        """
        at = require_aware(at, "at")
        subject_id = str(getattr(subject, self.id_field))
        with self._locks[(id(subject) >> 4) % _STRIPES]:
            raw = getattr(subject, self.state_field)
            source = self._state_values.get(raw) if isinstance(raw, str) else None
            if source is None:
                raise UnknownState(subject_id, raw, self.name)
            version: int = getattr(subject, self.version_field, 0)
            if expected_version is not None and expected_version != version:
                raise ConcurrentModification(subject_id, expected_version, version)
            steps = self._steps.get((source, event))
            if steps is None:
                allowed = [e.value for e in self.events_from(self._state_names[source])]
                raise InvalidTransition(subject_id, source, str(event), allowed)
            refusals = []
            for step in steps:
                ctx = FireContext(
                    subject,
                    subject_id,
                    step.event,
                    source,
                    step.dest_name,
                    actor,
                    reason,
                    at,
                    context,
                )
                for guard in step.transition.guards:
                    refusal = guard(ctx)
                    if refusal is not None:
                        refusals.append(refusal)
                        break
                else:
                    break
            else:
                raise TransitionRefused(subject_id, source, step.event, "; ".join(refusals))
            effects: list[Effect] = []
            for action in step.actions:
                effects.extend(action(ctx))
            record = TransitionRecord(
                self.name,
                subject_id,
                step.event,
                source,
                step.dest_name,
                actor,
                reason,
                at,
                version,
                version + 1,
                tuple(effects),
            )
            self._write(subject, step.dest, version + 1)
        return record

    def _write(self, subject: Any, state: StrEnum, version: int) -> None:
        try:
            setattr(subject, self.state_field, state)
        except (AttributeError, TypeError, ValueError):
            return
        if hasattr(subject, self.version_field):
            setattr(subject, self.version_field, version)

    def table(self) -> list[dict[str, Any]]:
        """The transition table as plain data: one row per (source, event, dest)."""
        return [
            {
                "source": source.value,
                "event": t.event.value,
                "dest": t.dest.value,
                "guards": describe(t.guards),
                "actions": describe(t.actions),
                "role": t.role,
            }
            for t in self.transitions
            for source in t.source
        ]

    def to_mermaid(self) -> str:
        """A Mermaid ``stateDiagram-v2`` of the workflow, for docs and notebooks."""
        return mermaid(self)

    def to_graphviz(self) -> str:
        """Graphviz DOT source via ``transitions``' diagram extension (``orderkit[diagrams]``)."""
        return graphviz_source(self)

    def replay(
        self, records: Sequence[TransitionRecord], *, start: S | None = None, start_version: int = 0
    ) -> Replay:
        """Rebuild the final state from ``records`` and list every anomaly in the stream."""
        first = (start or self.initial).value
        return replay_records(self.name, self._legal, records, first, start_version)
