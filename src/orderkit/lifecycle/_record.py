from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum

import attrs
from pydantic import BaseModel, ConfigDict, NonNegativeInt

from orderkit.clock import UtcDateTime
from orderkit.lifecycle._spec import Effect

__all__ = ["Anomaly", "AnomalyKind", "AnomalyRate", "Replay", "TransitionRecord", "anomaly_rate"]


class TransitionRecord(BaseModel):
    """The trace of one state change (MISSION L2): who, when, from what, to what, why.

    Records are values for the host to persist, e.g. in the same transaction as the
    subject's new state, with ``WHERE version = version_before`` as the compare-and-set.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

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
