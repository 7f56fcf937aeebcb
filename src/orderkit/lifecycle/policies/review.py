"""The human review gate (MISSION L7).

A system-decided action (an auto-cancel, say) becomes a :class:`Proposal`; its effects
take effect only when a named reviewer confirms it. The gate keeps each decision type's
record of confirmed and overturned proposals and shows it with every pending proposal,
so the reviewer knows how far to trust the system ("cancel: 92.4 % correct").

>>> from datetime import UTC, datetime
>>> from orderkit.lifecycle import Effect
>>> at = datetime(2026, 11, 11, 10, tzinfo=UTC)
>>> gate = ReviewGate(ReviewState(accuracy={"cancel": Accuracy(confirmed=924, overturned=76)}))
>>> proposal = gate.propose("cancel", "SO-1", [Effect(kind="order.cancel")],
...                         reason="unpaid", at=at)
>>> [review.label for review in gate.pending()]
['cancel: 92.4 % correct']
>>> gate.confirm(proposal.proposal_id, reviewer="Chen Jie", at=at).status
<ProposalStatus.CONFIRMED: 'confirmed'>

The gate is in memory and not thread-safe: give each worker its own gate, or guard one
with a lock. Its whole state is plain data (:attr:`ReviewGate.state`), and every
proposal it returns is a value the host persists, e.g. one row per proposal.

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from math import floor

from pydantic import Field, NonNegativeInt

from orderkit.clock import UtcDateTime, require_aware
from orderkit.lifecycle import Effect
from orderkit.lifecycle.policies._models import Record, Slug
from orderkit.lifecycle.policies.errors import ActorRequired, AlreadyDecided, UnknownProposal
from orderkit.order import NonEmptyStr

__all__ = ["Accuracy", "PendingReview", "Proposal", "ProposalStatus", "ReviewGate", "ReviewState"]


class Accuracy(Record):
    """How often a decision type was right: proposals confirmed vs overturned.

    >>> str(Accuracy(confirmed=924, overturned=76)), str(Accuracy())
    ('92.4 % correct', 'no history yet')
    """

    confirmed: NonNegativeInt = 0
    overturned: NonNegativeInt = 0

    @property
    def rate(self) -> Fraction | None:
        """The exact share confirmed, or ``None`` without any decision yet."""
        total = self.confirmed + self.overturned
        return Fraction(self.confirmed, total) if total else None

    @property
    def percent(self) -> Decimal | None:
        """The share confirmed in percent, rounded half up to one decimal.

        >>> Accuracy(confirmed=2, overturned=1).percent
        Decimal('66.7')
        """
        rate = self.rate
        if rate is None:
            return None
        return Decimal(floor(rate * 1000 + Fraction(1, 2))).scaleb(-1)

    def record(self, *, confirmed: bool) -> Accuracy:
        """This record with one more confirmed (or overturned) decision."""
        if confirmed:
            return Accuracy(confirmed=self.confirmed + 1, overturned=self.overturned)
        return Accuracy(confirmed=self.confirmed, overturned=self.overturned + 1)

    def __str__(self) -> str:
        percent = self.percent
        return "no history yet" if percent is None else f"{percent} % correct"


class ProposalStatus(StrEnum):
    """Where a proposal stands."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    OVERTURNED = "overturned"


class Proposal(Record):
    """A system-decided action waiting for (or given) a reviewer's decision.

    ``effects`` are what the host performs once the proposal is confirmed, and only then.
    """

    proposal_id: NonEmptyStr
    decision: Slug
    subject_id: NonEmptyStr
    effects: tuple[Effect, ...]
    reason: NonEmptyStr
    proposed_at: UtcDateTime
    status: ProposalStatus = ProposalStatus.PENDING
    reviewer: str | None = None
    decided_at: UtcDateTime | None = None
    note: str = ""


class PendingReview(Record):
    """A pending proposal shown with its decision type's accuracy."""

    proposal: Proposal
    accuracy: Accuracy

    @property
    def label(self) -> str:
        """``"<decision>: <accuracy>"``, e.g. ``"cancel: 92.4 % correct"``."""
        return f"{self.proposal.decision}: {self.accuracy}"


class ReviewState(Record):
    """Everything a :class:`ReviewGate` holds, as plain data to persist and restore."""

    proposals: dict[str, Proposal] = Field(default_factory=dict)
    accuracy: dict[str, Accuracy] = Field(default_factory=dict)


class ReviewGate:
    """Holds proposals until a named reviewer confirms or overturns them.

    Start from a saved :class:`ReviewState` (or seed ``accuracy`` with the history the
    host already has); :attr:`state` gives it back. Not thread-safe.
    """

    def __init__(self, state: ReviewState | None = None) -> None:
        state = state or ReviewState()
        self._proposals = dict(state.proposals)
        self._accuracy = dict(state.accuracy)

    @property
    def state(self) -> ReviewState:
        """A snapshot of every proposal and every decision type's accuracy."""
        return ReviewState(proposals=dict(self._proposals), accuracy=dict(self._accuracy))

    def propose(
        self,
        decision: str,
        subject_id: str,
        effects: Iterable[Effect],
        *,
        reason: str,
        at: datetime,
        proposal_id: str | None = None,
    ) -> Proposal:
        """Hold ``effects`` for review and return the proposal.

        ``proposal_id`` defaults to ``"<decision>:<subject_id>"``. Proposing an id the gate
        already holds returns that proposal unchanged, decided or not, so a policy that
        runs every minute neither duplicates proposals nor re-asks a settled question.
        """
        proposal_id = proposal_id or f"{decision}:{subject_id}"
        if proposal_id in self._proposals:
            return self._proposals[proposal_id]
        proposal = Proposal(
            proposal_id=proposal_id,
            decision=decision,
            subject_id=subject_id,
            effects=tuple(effects),
            reason=reason,
            proposed_at=require_aware(at, "at"),
        )
        self._proposals[proposal_id] = proposal
        return proposal

    def get(self, proposal_id: str) -> Proposal:
        """The proposal with this id, else :class:`UnknownProposal`."""
        try:
            return self._proposals[proposal_id]
        except KeyError:
            raise UnknownProposal(proposal_id) from None

    def accuracy(self, decision: str) -> Accuracy:
        """The record of ``decision`` (empty when it has none)."""
        return self._accuracy.get(decision, Accuracy())

    def pending(self) -> list[PendingReview]:
        """Every undecided proposal with its accuracy, oldest first."""
        waiting = [p for p in self._proposals.values() if p.status is ProposalStatus.PENDING]
        waiting.sort(key=lambda p: (p.proposed_at, p.proposal_id))
        return [PendingReview(proposal=p, accuracy=self.accuracy(p.decision)) for p in waiting]

    def confirm(self, proposal_id: str, *, reviewer: str, at: datetime, note: str = "") -> Proposal:
        """Confirm: the proposal's effects now take effect (the host performs them)."""
        return self._decide(proposal_id, ProposalStatus.CONFIRMED, reviewer, at, note)

    def overturn(
        self, proposal_id: str, *, reviewer: str, at: datetime, note: str = ""
    ) -> Proposal:
        """Overturn: the proposal's effects never happen."""
        return self._decide(proposal_id, ProposalStatus.OVERTURNED, reviewer, at, note)

    def _decide(
        self, proposal_id: str, status: ProposalStatus, reviewer: str, at: datetime, note: str
    ) -> Proposal:
        proposal = self.get(proposal_id)
        if proposal.status is not ProposalStatus.PENDING:
            raise AlreadyDecided(proposal_id, proposal.status.value, proposal.reviewer)
        decided = proposal.model_validate(
            {
                **dict(proposal),
                "status": status,
                "reviewer": ActorRequired.check(reviewer, "reviewer"),
                "decided_at": require_aware(at, "at"),
                "note": note,
            }
        )
        confirmed = status is ProposalStatus.CONFIRMED
        self._accuracy[proposal.decision] = self.accuracy(proposal.decision).record(
            confirmed=confirmed
        )
        self._proposals[proposal_id] = decided
        return decided
