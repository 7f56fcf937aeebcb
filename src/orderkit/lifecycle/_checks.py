from __future__ import annotations

from collections import deque
from collections.abc import Collection, Mapping
from enum import StrEnum
from typing import Any

from orderkit.lifecycle._spec import Transition

__all__ = ["definition_problems"]

Index = Mapping[Any, Mapping[Any, list[Transition[Any, Any]]]]


def definition_problems(
    states: type[StrEnum],
    events: type[StrEnum],
    by_source: Index,
    initial: StrEnum,
    terminal: Collection[StrEnum],
) -> list[str]:
    """Everything wrong with a workflow definition, in one list."""
    problems: list[str] = []
    seen = {initial}
    queue = deque([initial])
    while queue:
        for options in by_source.get(queue.popleft(), {}).values():
            for t in options:
                if t.dest not in seen:
                    seen.add(t.dest)
                    queue.append(t.dest)
    problems += [
        f"state {s.value!r} is unreachable from {initial.value!r}" for s in states if s not in seen
    ]
    for s in states:
        if s in terminal and by_source.get(s):
            problems.append(f"terminal state {s.value!r} has outgoing transitions")
        if s not in terminal and not by_source.get(s):
            problems.append(f"state {s.value!r} is a dead end but not declared terminal")
    used = {event for options in by_source.values() for event in options}
    problems += [f"event {e.value!r} has no transition" for e in events if e not in used]
    for source, by_event in by_source.items():
        for event, options in by_event.items():
            if any(not t.guards for t in options[:-1]):
                problems.append(
                    f"{event.value!r} from {source.value!r}: a guardless transition "
                    "shadows the ones after it"
                )
    return problems
