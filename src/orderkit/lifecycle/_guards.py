from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import to_jsonable_python

from orderkit.lifecycle._spec import Effect, FireContext, Guard

__all__ = ["effect", "requires"]


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def _dump(value: Any) -> Any:
    """JSON data for values pydantic knows how to serialise (``Money``, models)."""
    kind = type(value)
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    return adapter.dump_python(value, mode="json")


def requires(*keys: str) -> Guard:
    """A guard that refuses unless every one of ``keys`` was passed to ``fire`` non-empty.

    >>> guard = requires("tracking_number", "carrier")
    >>> guard.__name__
    'requires(tracking_number, carrier)'
    """

    def guard(context: FireContext) -> str | None:
        missing = [k for k in keys if context.data.get(k) in (None, "", [], ())]
        if missing:
            return f"{context.event} needs {', '.join(f'{k}=...' for k in missing)}"
        return None

    guard.__name__ = f"requires({', '.join(keys)})"
    return guard


def effect(kind: str, *keys: str, **constants: str) -> Callable[[FireContext], Iterable[Effect]]:
    """An action producing one effect of ``kind``, carrying ``keys`` from the fire context.

    The subject id is always included as ``subject_id``; values are converted to JSON
    data (enums to their values, :class:`~orderkit.money.Money` to its JSON form).

    >>> effect("customer.notify", template="shipped").__name__
    'customer.notify'
    """

    def action(context: FireContext) -> Iterable[Effect]:
        data: dict[str, Any] = {"subject_id": context.subject_id, **constants}
        data.update({k: to_jsonable_python(context.data.get(k), fallback=_dump) for k in keys})
        return (Effect(kind=kind, data=data),)

    action.__name__ = kind
    return action
