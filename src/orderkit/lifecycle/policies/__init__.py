"""Operational policies of the order lifecycle (MISSION L5–L10, L13).

Pure functions and small values over transition records and the time: nothing here
reads the clock, performs I/O or keeps state beyond the in-memory :class:`ReviewGate`.
Time is always a parameter (``now``/``at``, timezone-aware); what must happen comes
back as :class:`~orderkit.lifecycle.Effect` values for the host to perform. Each
policy's configuration is a frozen pydantic model whose defaults are the seed's
figures, loadable with ``from_dict`` (bad data raises ``ConfigError``).

- :mod:`~orderkit.lifecycle.policies.stale`: stale-order breaker and exception codes (L5)
- :mod:`~orderkit.lifecycle.policies.escalation`: tiered escalation ladder (L6)
- :mod:`~orderkit.lifecycle.policies.review`: human review gate with accuracy (L7)
- :mod:`~orderkit.lifecycle.policies.auto_cancel`: unpaid-order timeout (L8)
- :mod:`~orderkit.lifecycle.policies.address_change`: all-or-nothing address change (L9)
- :mod:`~orderkit.lifecycle.policies.arbitration`: signed-before-outbound holds (L10)
- :mod:`~orderkit.lifecycle.policies.presale`: pre-sale ship-by warnings (L13)

.. versionadded:: 0.1
"""

from orderkit.lifecycle.policies.address_change import (
    AddressChange,
    AddressChangePolicy,
    change_address,
)
from orderkit.lifecycle.policies.arbitration import (
    Arbitration,
    ArbitrationAlert,
    ArbitrationPolicy,
    Delivery,
    SettlementHolds,
    arbitrate,
)
from orderkit.lifecycle.policies.auto_cancel import AutoCancelPolicy, Cancellation, auto_cancel
from orderkit.lifecycle.policies.errors import (
    ActorRequired,
    AddressChangeRefusal,
    AddressChangeRefused,
    AlreadyDecided,
    PolicyError,
    UnknownExceptionCode,
    UnknownProposal,
)
from orderkit.lifecycle.policies.escalation import (
    EscalationAlert,
    EscalationLadder,
    EscalationStatus,
    EscalationTier,
    escalation_status,
)
from orderkit.lifecycle.policies.presale import (
    PresalePolicy,
    PresaleUrgency,
    PresaleWarning,
    presale_warnings,
)
from orderkit.lifecycle.policies.review import (
    Accuracy,
    PendingReview,
    Proposal,
    ProposalStatus,
    ReviewGate,
    ReviewState,
)
from orderkit.lifecycle.policies.stale import (
    ExceptionCatalog,
    ExceptionCode,
    FlagResolution,
    StaleFlag,
    StalePolicy,
    find_stale,
    resolve_flag,
)

__all__ = [
    "Accuracy",
    "ActorRequired",
    "AddressChange",
    "AddressChangePolicy",
    "AddressChangeRefusal",
    "AddressChangeRefused",
    "AlreadyDecided",
    "Arbitration",
    "ArbitrationAlert",
    "ArbitrationPolicy",
    "AutoCancelPolicy",
    "Cancellation",
    "Delivery",
    "EscalationAlert",
    "EscalationLadder",
    "EscalationStatus",
    "EscalationTier",
    "ExceptionCatalog",
    "ExceptionCode",
    "FlagResolution",
    "PendingReview",
    "PolicyError",
    "PresalePolicy",
    "PresaleUrgency",
    "PresaleWarning",
    "Proposal",
    "ProposalStatus",
    "ReviewGate",
    "ReviewState",
    "SettlementHolds",
    "StaleFlag",
    "StalePolicy",
    "UnknownExceptionCode",
    "UnknownProposal",
    "arbitrate",
    "auto_cancel",
    "change_address",
    "escalation_status",
    "find_stale",
    "presale_warnings",
    "resolve_flag",
]
