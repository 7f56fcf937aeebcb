"""The errors raised by the lifecycle policies, under :class:`~orderkit.errors.TransitionError`::

    TransitionError
    └── PolicyError
        ├── ActorRequired (ValueError)         a decision without the name of who took it
        ├── UnknownExceptionCode (ValueError)  a stale flag closed with a code not in the catalog
        ├── UnknownProposal (LookupError)      no proposal with that id in the review gate
        ├── AlreadyDecided (ValueError)        a proposal confirmed or overturned twice
        └── AddressChangeRefused (ValueError)  too late, order not open, or the same address

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from orderkit.errors import TransitionError

__all__ = [
    "ActorRequired",
    "AddressChangeRefusal",
    "AddressChangeRefused",
    "AlreadyDecided",
    "PolicyError",
    "UnknownExceptionCode",
    "UnknownProposal",
]


class PolicyError(TransitionError):
    """Root of the errors raised by :mod:`orderkit.lifecycle.policies`."""


class ActorRequired(PolicyError, ValueError):
    """A decision needs the name of the person who takes it (``what`` says which one)."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(f"{what} must name a person: pass a non-empty name")

    @classmethod
    def check(cls, name: str, what: str) -> str:
        """Return ``name`` stripped, or raise when it is empty or blank.

        >>> ActorRequired.check("  Li Min ", "reviewer")
        'Li Min'
        """
        stripped = name.strip() if isinstance(name, str) else ""
        if not stripped:
            raise cls(what)
        return stripped


class UnknownExceptionCode(PolicyError, ValueError):
    """A stale flag closed with a code that is not in the exception catalog."""

    def __init__(self, code: str, known: Iterable[str]) -> None:
        self.code = code
        self.known = tuple(sorted(known))
        super().__init__(
            f"unknown exception code {code!r}: use one of {', '.join(self.known)}, "
            "or add it to the catalog with ExceptionCatalog.extend()"
        )


class UnknownProposal(PolicyError, LookupError):
    """No proposal with this id is held by the review gate."""

    def __init__(self, proposal_id: str) -> None:
        self.proposal_id = proposal_id
        super().__init__(f"no proposal {proposal_id!r} in the review gate")


class AlreadyDecided(PolicyError, ValueError):
    """A proposal was already confirmed or overturned; a decision is final."""

    def __init__(self, proposal_id: str, status: str, reviewer: str | None) -> None:
        self.proposal_id = proposal_id
        self.status = status
        self.reviewer = reviewer
        super().__init__(
            f"proposal {proposal_id!r} was already {status} by {reviewer}: "
            "propose again under a new id to reopen the question"
        )


class AddressChangeRefusal(StrEnum):
    """Why an address change is refused."""

    SHIPPED = "shipped"
    """The parcel has left the warehouse; ask the carrier to redirect it instead."""
    NOT_OPEN = "not_open"
    """The order is cancelled, split or otherwise outside the policy's open states."""
    UNCHANGED = "unchanged"
    """The new address equals the old one."""


class AddressChangeRefused(PolicyError, ValueError):
    """An address change that cannot happen; ``reason`` says which rule refused it."""

    def __init__(
        self, order_id: str, state: str, reason: AddressChangeRefusal, detail: str
    ) -> None:
        self.order_id = order_id
        self.state = str(state)
        self.reason = reason
        super().__init__(f"{order_id}: address change refused in state {self.state!r}: {detail}")
