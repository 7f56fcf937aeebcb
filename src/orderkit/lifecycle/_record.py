from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any, NamedTuple

import attrs
from pydantic import NonNegativeInt, TypeAdapter

from orderkit.clock import UtcDateTime
from orderkit.lifecycle._spec import Effect

__all__ = ["Anomaly", "AnomalyKind", "AnomalyRate", "Replay", "TransitionRecord", "anomaly_rate"]


class TransitionRecord(NamedTuple):
    """The trace of one state change (MISSION L2): who, when, from what, to what, why.

    Records are immutable values for the host to persist, e.g. in the same transaction
    as the subject's new state, with ``WHERE version = version_before`` as the
    compare-and-set. :meth:`to_json` and :meth:`from_json` round-trip them, and
    ``from_json`` validates what it reads.
    """

    workflow: str
    subject_id: str
    event: str
    from_state: str
    to_state: str
    actor: str
    reason: str
    at: UtcDateTime
    version_before: NonNegativeInt
    version_after: NonNegativeInt
    effects: tuple[Effect, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data, field by field."""
        return dict(zip(self._fields, _ADAPTER.dump_python(self, mode="json"), strict=True))

    def to_json(self) -> str:
        """The record as a JSON object."""
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> TransitionRecord:
        """Parse and validate a record written by :meth:`to_json`."""
        return _ADAPTER.validate_python(json.loads(text))


_ADAPTER: TypeAdapter[TransitionRecord] = TypeAdapter(TransitionRecord)


class AnomalyKind(StrEnum):
    """What is wrong with a record in a stream."""

    GAP = "gap"
    """Versions skip: records are missing before this one."""
    OUT_OF_ORDER = "out_of_order"
    """The version or the time goes backwards."""
    STATE_JUMP = "state_jump"
    """The record starts from a state the subject was not in."""
    ILLEGAL = "illegal"
    """The move is not in the workflow's transition table."""
    FOREIGN = "foreign"
    """The record belongs to another subject or workflow."""


@attrs.frozen
class Anomaly:
    """One problem found while replaying, with the record's position in the stream."""

    index: int
    kind: AnomalyKind
    detail: str


@attrs.frozen
class Replay:
    """The state and version a record stream leads to, and what was wrong with it."""

    state: str
    version: int
    anomalies: tuple[Anomaly, ...]

    @property
    def ok(self) -> bool:
        """Whether the stream replayed without any anomaly."""
        return not self.anomalies


@attrs.frozen
class AnomalyRate:
    """The state-jump anomaly rate over many streams (MISSION L2, H5)."""

    records: int
    anomalous: int

    @property
    def rate(self) -> float:
        """Share of records with at least one anomaly (0.0 when there are none)."""
        return self.anomalous / self.records if self.records else 0.0


def anomaly_rate(replays: Iterable[tuple[Sequence[TransitionRecord], Replay]]) -> AnomalyRate:
    """Count records and anomalous records over ``(records, replay)`` pairs."""
    records = anomalous = 0
    for stream, result in replays:
        records += len(stream)
        anomalous += len({a.index for a in result.anomalies})
    return AnomalyRate(records=records, anomalous=anomalous)
