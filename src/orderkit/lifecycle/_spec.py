from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, NamedTuple, TypeAlias, TypeVar

import attrs
from pydantic import JsonValue

from orderkit.errors import ConfigError

__all__ = ["Action", "Effect", "FireContext", "Guard", "Transition"]

S = TypeVar("S", bound=StrEnum)
E = TypeVar("E", bound=StrEnum)


_KIND = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


@dataclass(frozen=True, slots=True)
class Effect:
    """Something the host must do because of a transition, as data (never done here).

    ``kind`` names the command or event in dotted lower case
    (``"channel.write_tracking"``); ``data`` holds its JSON-ready arguments.

    >>> Effect("customer.notify", {"template": "shipped"})
    Effect(kind='customer.notify', data={'template': 'shipped'})
    """

    kind: str
    data: Mapping[str, JsonValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _valid_kind(self.kind):
            raise ConfigError(f"effect kind {self.kind!r} must be dotted lower case, like 'a.b'")


@functools.lru_cache(maxsize=1024)
def _valid_kind(kind: str) -> bool:
    return isinstance(kind, str) and _KIND.fullmatch(kind) is not None


class FireContext(NamedTuple):
    """What guards and actions see: the subject, the move, who asked, when and why."""

    subject: Any
    subject_id: str
    event: str
    source: str
    dest: str
    actor: str
    reason: str
    at: datetime
    data: Mapping[str, Any]


Guard: TypeAlias = Callable[[FireContext], str | None]
"""Returns ``None`` to allow the transition, or the reason it is refused."""

Action: TypeAlias = Callable[[FireContext], Iterable[Effect]]
"""Produces the effects of a transition or of entering a state; performs no I/O."""


def _guards(value: Iterable[Guard]) -> tuple[Guard, ...]:
    return tuple(value)


def _actions(value: Iterable[Action]) -> tuple[Action, ...]:
    return tuple(value)


def _states(value: Any) -> tuple[Any, ...]:
    if isinstance(value, StrEnum):
        return (value,)
    return tuple(value)


@attrs.frozen
class Transition(Generic[S, E]):
    """One allowed move: ``event`` takes the subject from any of ``source`` to ``dest``.

    ``guards`` run in order and the first refusal wins; ``actions`` produce effects when
    the move happens; ``role`` names who is responsible for firing it (MISSION L3).
    """

    event: E
    source: tuple[S, ...] = attrs.field(converter=_states)
    dest: S
    guards: tuple[Guard, ...] = attrs.field(default=(), converter=_guards)
    actions: tuple[Action, ...] = attrs.field(default=(), converter=_actions)
    role: str | None = None


def describe(callables: Iterable[Callable[..., Any]]) -> list[str]:
    """Readable names of guards or actions, for tables and diagrams."""
    return [getattr(c, "__name__", None) or type(c).__name__ for c in callables]
