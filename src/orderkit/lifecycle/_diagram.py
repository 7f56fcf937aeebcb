from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orderkit.errors import ConfigError

if TYPE_CHECKING:
    from orderkit.lifecycle._workflow import Workflow

__all__ = ["graphviz_source", "mermaid"]


def _label(row: dict[str, Any]) -> str:
    label = str(row["event"])
    if row["guards"]:
        label += f" [{', '.join(row['guards'])}]"
    if row["role"]:
        label += f" ({row['role']})"
    return label


def mermaid(workflow: Workflow[Any, Any]) -> str:
    """The workflow as a Mermaid ``stateDiagram-v2``, one line per (source, event, dest)."""
    lines = ["stateDiagram-v2", f"    [*] --> {workflow.initial.value}"]
    lines += [f"    {r['source']} --> {r['dest']}: {_label(r)}" for r in workflow.table()]
    lines += [f"    {s.value} --> [*]" for s in workflow.states if s in workflow.terminal]
    return "\n".join(lines) + "\n"


def graphviz_source(workflow: Workflow[Any, Any]) -> str:
    """The workflow as Graphviz DOT, drawn by ``transitions``' diagram extension.

    Needs the ``graphviz`` package (``pip install orderkit[diagrams]``); rendering the
    source to an image also needs the Graphviz binaries.
    """
    try:
        from transitions.extensions import GraphMachine
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ConfigError("Graphviz diagrams need `pip install orderkit[diagrams]`") from error
    try:
        machine = GraphMachine(
            states=[s.value for s in workflow.states],
            transitions=[
                {"trigger": _label(r), "source": r["source"], "dest": r["dest"]}
                for r in workflow.table()
            ],
            initial=workflow.initial.value,
            auto_transitions=False,
            graph_engine="graphviz",
            title=workflow.name,
        )
        return str(machine.get_graph().source)
    except ImportError as error:
        raise ConfigError("Graphviz diagrams need `pip install orderkit[diagrams]`") from error
