from __future__ import annotations

from collections.abc import Collection, Sequence

from orderkit.lifecycle._record import Anomaly, AnomalyKind, Replay, TransitionRecord

__all__ = ["replay_records"]


def replay_records(
    workflow: str,
    legal: Collection[tuple[str, str, str]],
    records: Sequence[TransitionRecord],
    state: str,
    version: int,
) -> Replay:
    """Walk ``records`` from ``state``/``version`` and list every anomaly on the way."""
    anomalies: list[Anomaly] = []
    subject = records[0].subject_id if records else None
    last_at = None
    for i, r in enumerate(records):
        found: list[tuple[AnomalyKind, str]] = []
        if r.subject_id != subject or r.workflow != workflow:
            found.append((AnomalyKind.FOREIGN, f"{r.workflow}/{r.subject_id} among {subject}"))
        if r.version_before > version:
            found.append((AnomalyKind.GAP, f"version {version} then {r.version_before}"))
        elif r.version_before < version:
            found.append((AnomalyKind.OUT_OF_ORDER, f"version {r.version_before} after {version}"))
        if last_at is not None and r.at < last_at:
            found.append((AnomalyKind.OUT_OF_ORDER, f"at {r.at:%Y-%m-%d %H:%M:%S} goes back"))
        if r.from_state != state:
            found.append((AnomalyKind.STATE_JUMP, f"from {r.from_state!r} but in {state!r}"))
        if (r.from_state, r.event, r.to_state) not in legal:
            found.append((AnomalyKind.ILLEGAL, f"{r.from_state} --{r.event}--> {r.to_state}"))
        anomalies += [Anomaly(i, kind, detail) for kind, detail in found]
        state, version, last_at = r.to_state, r.version_after, r.at
    return Replay(state=state, version=version, anomalies=tuple(anomalies))
