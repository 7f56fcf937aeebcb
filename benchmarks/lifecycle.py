"""The full happy path per order, side by side with the peers (issue: order lifecycle).

Each order walks create -> pay -> reserve -> ship -> sign, one guard and one action per
step, in four implementations:

- orderkit: one ``Workflow`` built once; orders are plain objects holding a state.
- transitions, idiomatic: a ``Machine`` per order (the pattern most codebases use).
- python-statemachine: a ``StateMachine`` instance per order.
- dict dispatch: a bare ``{(state, event): (dest, guard, action)}`` loop, the floor.

Printed: microseconds per order (best of five rounds) and KiB retained per hydrated
order beyond the order object itself (tracemalloc, 2,000 orders).
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from statemachine import State, StateMachine
from transitions import Machine

from benchmarks._timing import per_call_ns, print_table
from orderkit.lifecycle import Effect, FireContext, Transition, Workflow

STEPS = ("create", "pay", "reserve", "ship", "sign")
STATES = ("new", "created", "paid", "reserved", "shipped", "signed")
AT = datetime(2026, 11, 11, tzinfo=UTC)
CONTEXT: dict[str, Any] = {"token": "t-1"}


class St(StrEnum):
    NEW = "new"
    CREATED = "created"
    PAID = "paid"
    RESERVED = "reserved"
    SHIPPED = "shipped"
    SIGNED = "signed"


class Ev(StrEnum):
    CREATE = "create"
    PAY = "pay"
    RESERVE = "reserve"
    SHIP = "ship"
    SIGN = "sign"


def _has_token(context: FireContext) -> str | None:
    return None if context.data.get("token") else "missing token"


def _note(context: FireContext) -> tuple[Effect, ...]:
    return (Effect(kind="order.note", data={"step": context.event}),)


FLOW = Workflow(
    "bench",
    states=St,
    events=Ev,
    initial=St.NEW,
    terminal=[St.SIGNED],
    id_field="order_id",
    transitions=[
        Transition(Ev(step), St(STATES[i]), St(STATES[i + 1]), guards=[_has_token], actions=[_note])
        for i, step in enumerate(STEPS)
    ],
)


class Order:
    """What a host hydrates from its database: an id, a state and a version."""

    __slots__ = ("effects", "order_id", "state", "version")

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        self.state = "new"
        self.version = 0
        self.effects: list[str] = []


def run_orderkit() -> Order:
    order = Order("SO-1")
    for step in STEPS:
        FLOW.fire(order, step, actor="bench", at=AT, **CONTEXT)
    return order


class TransitionsOrder:
    """The idiomatic ``transitions`` model: a Machine decorates each order."""

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        self.effects: list[str] = []
        self.machine = Machine(
            model=self,
            states=list(STATES),
            transitions=[
                {
                    "trigger": step,
                    "source": STATES[i],
                    "dest": STATES[i + 1],
                    "conditions": [self.has_token],
                    "after": [self.note],
                }
                for i, step in enumerate(STEPS)
            ],
            initial="new",
        )

    def has_token(self, token: str = "") -> bool:
        return bool(token)

    def note(self, token: str = "") -> None:
        self.effects.append("order.note")


def run_transitions() -> TransitionsOrder:
    order = TransitionsOrder("SO-1")
    for step in STEPS:
        order.trigger(step, **CONTEXT)  # type: ignore[attr-defined]
    return order


class StatemachineOrder(StateMachine):
    """The same path in python-statemachine: one instance per order."""

    new = State(initial=True)
    created = State()
    paid = State()
    reserved = State()
    shipped = State()
    signed = State(final=True)

    create = new.to(created, cond="has_token", on="note")
    pay = created.to(paid, cond="has_token", on="note")
    reserve = paid.to(reserved, cond="has_token", on="note")
    ship = reserved.to(shipped, cond="has_token", on="note")
    sign = shipped.to(signed, cond="has_token", on="note")

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        self.effects: list[str] = []
        super().__init__()

    def has_token(self, token: str = "") -> bool:
        return bool(token)

    def note(self, token: str = "") -> None:
        self.effects.append("order.note")


def run_statemachine() -> StatemachineOrder:
    order = StatemachineOrder("SO-1")
    for step in STEPS:
        order.send(step, **CONTEXT)
    return order


def _guard(context: dict[str, Any]) -> bool:
    return bool(context.get("token"))


def _act(order: Order, step: str) -> None:
    order.effects.append("order.note")


DISPATCH: dict[
    tuple[str, str], tuple[str, Callable[[dict[str, Any]], bool], Callable[[Order, str], None]]
] = {(STATES[i], step): (STATES[i + 1], _guard, _act) for i, step in enumerate(STEPS)}


def run_dispatch() -> Order:
    order = Order("SO-1")
    for step in STEPS:
        dest, guard, action = DISPATCH[(order.state, step)]
        if not guard(CONTEXT):
            raise ValueError(step)
        order.state = dest
        order.version += 1
        action(order, step)
    return order


def _retained_kib(make: Callable[[int], object], count: int = 2000) -> float:
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    kept = [make(i) for i in range(count)]
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    size = sum(s.size_diff for s in after.compare_to(before, "filename"))
    del kept
    return size / count / 1024


def _hydrate_orderkit(i: int) -> Order:
    order = Order(f"SO-{i}")
    FLOW.fire(order, "create", actor="bench", at=AT, **CONTEXT)
    return order


def _hydrate_plain(i: int) -> Order:
    order = Order(f"SO-{i}")
    order.state, order.version = St.CREATED, 1
    return order


def _hydrate_transitions(i: int) -> TransitionsOrder:
    order = TransitionsOrder(f"SO-{i}")
    order.trigger("create", **CONTEXT)  # type: ignore[attr-defined]
    return order


def _hydrate_statemachine(i: int) -> StatemachineOrder:
    order = StatemachineOrder(f"SO-{i}")
    order.send("create", **CONTEXT)
    return order


def main() -> None:
    """Print the timing and memory table."""
    assert run_orderkit().state == St.SIGNED
    assert run_transitions().state == "signed"  # type: ignore[attr-defined]
    assert run_dispatch().state == "signed"
    assert run_statemachine().signed.is_active
    runs = {
        "orderkit Workflow (shared)": run_orderkit,
        "transitions, Machine per order": run_transitions,
        "python-statemachine per order": run_statemachine,
        "dict dispatch (floor)": run_dispatch,
    }
    micros = {name: per_call_ns(fn) / 1000 for name, fn in runs.items()}
    plain = _retained_kib(_hydrate_plain)
    memory = {
        "orderkit Workflow (shared)": _retained_kib(_hydrate_orderkit) - plain,
        "transitions, Machine per order": _retained_kib(_hydrate_transitions) - plain,
        "python-statemachine per order": _retained_kib(_hydrate_statemachine) - plain,
        "dict dispatch (floor)": 0.0,
    }
    ours = micros["orderkit Workflow (shared)"]
    print_table(
        "Order lifecycle, happy path of 5 transitions (guard + action each): "
        "us per order; ratio = peer / orderkit",
        ["implementation", "us/order", "ratio", "KiB/order beyond the order"],
        [
            [name, f"{us:,.1f}", f"{us / ours:.1f}x", f"{memory[name]:.2f}"]
            for name, us in micros.items()
        ],
    )


if __name__ == "__main__":
    main()
