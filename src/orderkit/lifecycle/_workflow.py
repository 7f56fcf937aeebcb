from __future__ import annotations

import threading
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from transitions import EventData, Machine

from orderkit.clock import require_aware
from orderkit.errors import (
    ConcurrentModification,
    ConfigError,
    InvalidTransition,
    TransitionRefused,
    UnknownState,
)
from orderkit.lifecycle._diagram import graphviz_source, mermaid
from orderkit.lifecycle._record import Anomaly, AnomalyKind, Replay, TransitionRecord
from orderkit.lifecycle._spec import Action, Effect, FireContext, Transition, describe

__all__ = ["Workflow"]

S = TypeVar("S", bound=StrEnum)
E = TypeVar("E", bound=StrEnum)

_STRIPES = 64


class _Cursor:
    """The model handed to ``transitions``: the state plus what one firing collects."""

    __slots__ = (
        "actor",
        "at",
        "data",
        "effects",
        "event",
        "reason",
        "refusals",
        "source",
        "state",
        "subject",
        "subject_id",
    )

    def __init__(
        self,
        state: StrEnum,
        subject: Any,
        subject_id: str,
        event: str,
        actor: str,
        reason: str,
        at: datetime,
        data: Mapping[str, Any],
    ) -> None:
        self.state = state
        self.source = state
        self.subject = subject
        self.subject_id = subject_id
        self.event = event
        self.actor = actor
        self.reason = reason
        self.at = at
        self.data = data
        self.effects: list[Effect] = []
        self.refusals: list[str] = []

    def context(self, dest: str) -> FireContext:
        return FireContext(
            self.subject,
            self.subject_id,
            self.event,
            self.source,
            dest,
            self.actor,
            self.reason,
            self.at,
            self.data,
        )


def _cursor(event_data: EventData) -> _Cursor:
    cursor: _Cursor = event_data.model  # type: ignore[assignment]
    return cursor


def _passes(t: Transition[Any, Any], cursor: _Cursor) -> bool:
    """Run ``t``'s guards in order; the first refusal is kept on the cursor."""
    context = cursor.context(t.dest.value)
    for guard in t.guards:
        refusal = guard(context)
        if refusal is not None:
            cursor.refusals.append(refusal)
            return False
    return True


class Workflow(Generic[S, E]):
    """A declarative state machine for a kind of subject (an order, a return).

    Built once per definition on one shared ``transitions.Machine`` (no model is ever
    registered), then :meth:`fire` moves any object whose ``state_field`` holds a state,
    under a compare-and-set on its ``version_field``. The definition is checked when it
    is built: unreachable states, non-terminal dead ends, terminal states with exits,
    unused events and shadowed transitions are refused with :class:`ConfigError`.

    See :mod:`orderkit.lifecycle` for a complete example.
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
        self._check_definition()
        self._locks = [threading.Lock() for _ in range(_STRIPES)]
        self._machine = self._build_machine()

    def _check_definition(self) -> None:
        problems: list[str] = []
        seen = {self.initial}
        queue = deque([self.initial])
        while queue:
            for options in self._from.get(queue.popleft(), {}).values():
                for t in options:
                    if t.dest not in seen:
                        seen.add(t.dest)
                        queue.append(t.dest)
        problems += [
            f"state {s.value!r} is unreachable from {self.initial.value!r}"
            for s in self.states
            if s not in seen
        ]
        for s in self.states:
            if s in self.terminal and self._from.get(s):
                problems.append(f"terminal state {s.value!r} has outgoing transitions")
            if s not in self.terminal and not self._from.get(s):
                problems.append(f"state {s.value!r} is a dead end but not declared terminal")
        used = {t.event for t in self.transitions}
        problems += [f"event {e.value!r} has no transition" for e in self.events if e not in used]
        for source, by_event in self._from.items():
            for event, options in by_event.items():
                if any(not t.guards for t in options[:-1]):
                    problems.append(
                        f"{event.value!r} from {source.value!r}: a guardless transition "
                        "shadows the ones after it"
                    )
        if problems:
            raise ConfigError(f"workflow {self.name!r} is invalid: " + "; ".join(problems))

    def _build_machine(self) -> Machine:
        state_defs = [
            {"name": s, "on_enter": [self._runner(actions)]}
            if (actions := self.on_enter.get(s))
            else {"name": s}
            for s in self.states
        ]
        transition_defs = [
            {
                "trigger": t.event.value,
                "source": list(t.source),
                "dest": t.dest,
                "conditions": [self._checker(t)],
                "after": [self._runner(t.actions)] if t.actions else [],
            }
            for t in self.transitions
        ]
        return Machine(
            model=None,
            states=state_defs,
            transitions=transition_defs,
            initial=self.initial,
            auto_transitions=False,
            send_event=True,
        )

    @staticmethod
    def _checker(t: Transition[S, E]) -> Any:
        def check(event_data: EventData) -> bool:
            return _passes(t, _cursor(event_data))

        return check

    @staticmethod
    def _runner(actions: Sequence[Action]) -> Any:
        def run(event_data: EventData) -> None:
            cursor = _cursor(event_data)
            context = cursor.context(cursor.state.value)
            for action in actions:
                cursor.effects.extend(action(context))

        return run

    def state_of(self, subject: Any) -> S:
        """The subject's current state; :class:`UnknownState` if it is not one of ours."""
        raw = getattr(subject, self.state_field)
        try:
            return self.states(raw)
        except ValueError:
            raise UnknownState(str(getattr(subject, self.id_field, "?")), raw, self.name) from None

    def events_from(self, state: S) -> list[E]:
        """Events the table allows from ``state``, guards not evaluated, in definition order."""
        return list(self._from.get(state, {}))

    def allowed_events(
        self, subject: Any, *, actor: str = "system", reason: str = "", at: datetime, **context: Any
    ) -> list[E]:
        """Events that would fire now: the table's events whose guards pass for ``subject``."""
        state = self.state_of(subject)
        cursor = _Cursor(
            state,
            subject,
            str(getattr(subject, self.id_field)),
            "",
            actor,
            reason,
            require_aware(at, "at"),
            context,
        )
        allowed = []
        for event, options in self._from.get(state, {}).items():
            cursor.event = event.value
            if any(_passes(t, cursor) for t in options):
                allowed.append(event)
        return allowed

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
        event is not allowed (:class:`InvalidTransition`), a guard refuses
        (:class:`TransitionRefused`) or ``expected_version`` is stale
        (:class:`ConcurrentModification`).
        """
        at = require_aware(at, "at")
        subject_id = str(getattr(subject, self.id_field))
        lock = self._locks[(id(subject) >> 4) % _STRIPES]
        with lock:
            state = self.state_of(subject)
            version: int = getattr(subject, self.version_field, 0)
            if expected_version is not None and expected_version != version:
                raise ConcurrentModification(subject_id, expected_version, version)
            try:
                name = self.events(event)
            except ValueError:
                name = None
            if name is None or name not in self._from.get(state, {}):
                allowed = [e.value for e in self.events_from(state)]
                raise InvalidTransition(subject_id, state.value, str(event), allowed)
            cursor = _Cursor(state, subject, subject_id, name.value, actor, reason, at, context)
            if not self._machine.events[name.value].trigger(cursor):
                raise TransitionRefused(
                    subject_id, state.value, name.value, "; ".join(cursor.refusals)
                )
            dest = self.states(cursor.state)
            record = TransitionRecord(
                workflow=self.name,
                subject_id=subject_id,
                event=name.value,
                from_state=state.value,
                to_state=dest.value,
                actor=actor,
                reason=reason,
                at=at,
                version_before=version,
                version_after=version + 1,
                effects=tuple(cursor.effects),
            )
            self._write(subject, dest, version + 1)
        return record

    def _write(self, subject: Any, state: S, version: int) -> None:
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
        state = (start or self.initial).value
        version = start_version
        legal = {(r["source"], r["event"], r["dest"]) for r in self.table()}
        anomalies: list[Anomaly] = []
        subject = records[0].subject_id if records else None
        last_at = None
        for i, r in enumerate(records):
            found: list[tuple[AnomalyKind, str]] = []
            if r.subject_id != subject or r.workflow != self.name:
                found.append((AnomalyKind.FOREIGN, f"{r.workflow}/{r.subject_id} among {subject}"))
            if r.version_before > version:
                found.append((AnomalyKind.GAP, f"version {version} then {r.version_before}"))
            elif r.version_before < version:
                found.append(
                    (AnomalyKind.OUT_OF_ORDER, f"version {r.version_before} after {version}")
                )
            if last_at is not None and r.at < last_at:
                found.append(
                    (
                        AnomalyKind.OUT_OF_ORDER,
                        f"at {r.at:%Y-%m-%d %H:%M:%S} after {last_at:%Y-%m-%d %H:%M:%S}",
                    )
                )
            if r.from_state != state:
                found.append((AnomalyKind.STATE_JUMP, f"from {r.from_state!r} but in {state!r}"))
            if (r.from_state, r.event, r.to_state) not in legal:
                found.append((AnomalyKind.ILLEGAL, f"{r.from_state} --{r.event}--> {r.to_state}"))
            anomalies += [Anomaly(i, kind, detail) for kind, detail in found]
            state, version, last_at = r.to_state, r.version_after, r.at
        return Replay(state=state, version=version, anomalies=tuple(anomalies))
