"""The exception hierarchy.

Every error orderkit raises derives from :class:`OrderkitError`. Each capability has
its own sub-root, and leaf errors also derive from the natural builtin, so callers can
catch either ``CurrencyMismatch`` or plain ``ValueError``::

    OrderkitError
    ├── ConfigError (ValueError)          rule sets, policies, field maps that fail validation
    ├── NaiveDatetime (ValueError)        a datetime without a timezone
    ├── MoneyError
    │   ├── UnknownCurrency (ValueError)  a currency code that is not ISO 4217
    │   ├── InvalidAmount (ValueError)    floats, NaN, infinities, unparsable text
    │   ├── CurrencyMismatch (ValueError) arithmetic or comparison across currencies
    │   ├── NotRounded (ValueError)       minor units asked of an unrounded amount
    │   └── AllocationError (ValueError)  an amount that cannot be split as asked
    ├── TransitionError                   order and after-sales lifecycles
    │   ├── InvalidTransition (ValueError) the event is not allowed from the current state
    │   ├── TransitionRefused (ValueError) a guard refused, with its reason
    │   ├── UnknownState (ValueError)      the subject holds a state the workflow lacks
    │   ├── ConcurrentModification         the subject moved since the caller read it
    │   └── PolicyError                    lifecycle policies (orderkit.lifecycle.policies.errors)
    ├── ReservationError                  inventory reservation
    │   ├── InvalidRequest (ValueError)    a malformed line, quantity or key
    │   ├── InsufficientStock (ValueError) one or more lines short, each named
    │   ├── SkuFrozen (ValueError)         a line's SKU is frozen (MISSION I6)
    │   ├── DuplicateOperation (ValueError) an operation key reused for another payload
    │   ├── UnknownReservation (LookupError) no reservation with that id
    │   ├── ReservationClosed (ValueError) the reservation is no longer active
    │   ├── ExceedsReservation (ValueError) committing more than is still reserved
    │   ├── OnHandBelowReserved (ValueError) a count that would leave stock oversold
    │   ├── LockTimeout (TimeoutError)     a lock stayed taken past the caller's wait
    │   └── StaleLease                     a write under an expired or superseded lease
    ├── PricingError                      the discount engine
    │   ├── RuleSetInvalid (ConfigError)   every problem of a rule set, each naming rule and field
    │   ├── InvalidReturn (ValueError)     returning units a quote never sold, or twice
    │   └── InvalidPricingInput (ValueError) a negative price, a line id given twice, no lines
    ├── HealthError                       health scores, alerts, risk routing, fraud rules, metrics
    │   ├── ScorecardInvalid (ConfigError) every problem of a scorecard, each naming its field
    │   ├── InvalidSignal (ValueError)     a signal its dimension's normaliser cannot read
    │   ├── NoSignals (ValueError)         a renormalised score with no signal present at all
    │   ├── InvalidEvaluation (ValueError) an alert score that is NaN or infinite
    │   │   └── EvaluationOutOfOrder      an alert evaluated earlier than its last evaluation
    │   ├── InvalidAlertState (ValueError) a stored alert state that is unreadable or inconsistent
    │   ├── SignOffRefused (ValueError)    a sign-off that cannot count (blank, extra, other order)
    │   │   └── DuplicateApprover          the same person signing an approval twice (L11)
    │   ├── LateEvent (ValueError)         an order event older than the velocity tolerance (H7)
    │   ├── InvalidVelocityState (ValueError) a velocity snapshot unreadable or for other rules
    │   ├── InvalidChurnInput (ValueError) orders placed after the instant a churn check is for
    │   ├── InvalidMetricInput (ValueError) metric data that cannot be measured (H3-H6)
    │   └── NoLeadTimeHistory (LookupError) an ETA asked of a promise model with no samples (H6)
    ├── ChannelError                      channel adapters (``retryable`` says whether to retry)
    │   ├── SignatureMismatch (ValueError) a webhook or request signature that does not verify
    │   ├── MappingFailed (ValueError)     every problem of a payload, each naming its path
    │   ├── FieldMapInvalid (ConfigError)  every problem of a field map, each naming its field
    │   ├── ChannelRequestFailed           a failed call: transient, rate-limited, auth, permanent
    │   └── InvalidChannelInput (ValueError) an unreadable cursor, address or export row
    └── EventError
        └── HandlerFailed                 one or more event handlers raised

Every error carries its context as attributes (``CurrencyMismatch.left``/``.right``,
``UnknownCurrency.code`` ...) and a message that says what to do.

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from orderkit.events import HandlerFailure

__all__ = [
    "AllocationError",
    "ChannelError",
    "ChannelRequestFailed",
    "ConcurrentModification",
    "ConfigError",
    "CurrencyMismatch",
    "DuplicateApprover",
    "DuplicateOperation",
    "EvaluationOutOfOrder",
    "EventError",
    "ExceedsReservation",
    "FieldMapInvalid",
    "FieldMapProblem",
    "HandlerFailed",
    "HealthError",
    "InsufficientStock",
    "InvalidAlertState",
    "InvalidAmount",
    "InvalidChannelInput",
    "InvalidChurnInput",
    "InvalidEvaluation",
    "InvalidMetricInput",
    "InvalidPricingInput",
    "InvalidRequest",
    "InvalidReturn",
    "InvalidSignal",
    "InvalidTransition",
    "InvalidVelocityState",
    "LateEvent",
    "LockTimeout",
    "MappingFailed",
    "MappingProblem",
    "MoneyError",
    "NaiveDatetime",
    "NoLeadTimeHistory",
    "NoSignals",
    "NotRounded",
    "OnHandBelowReserved",
    "OrderkitError",
    "PricingError",
    "ReservationClosed",
    "ReservationError",
    "RuleProblem",
    "RuleSetInvalid",
    "ScorecardInvalid",
    "ScorecardProblem",
    "Shortage",
    "SignOffRefused",
    "SignatureMismatch",
    "SkuFrozen",
    "StaleLease",
    "TransitionError",
    "TransitionRefused",
    "UnknownCurrency",
    "UnknownReservation",
    "UnknownState",
]


class OrderkitError(Exception):
    """Root of every error raised by orderkit."""


class ConfigError(OrderkitError, ValueError):
    """A configuration object (rule set, policy, field map) failed validation."""


class NaiveDatetime(OrderkitError, ValueError):
    """A datetime without a timezone where orderkit needs an instant."""

    def __init__(self, value: object, what: str) -> None:
        self.value = value
        self.what = what
        super().__init__(
            f"{what} {value} has no timezone: attach one (e.g. tzinfo=UTC), "
            "orderkit never guesses the zone of a naive datetime"
        )


class MoneyError(OrderkitError):
    """Root of the errors raised by :mod:`orderkit.money`."""


class UnknownCurrency(MoneyError, ValueError):
    """A currency code that orderkit does not know.

    Pass an ISO 4217 alphabetic code such as ``"CNY"`` or ``"USD"``, or register the
    currency first with :func:`orderkit.money.register_currency`.
    """

    def __init__(self, code: object) -> None:
        self.code = code
        super().__init__(
            f"unknown currency {code!r}: use an ISO 4217 code such as 'CNY' or 'USD', "
            "or call orderkit.money.register_currency() first"
        )


class InvalidAmount(MoneyError, ValueError):
    """An amount that cannot be exact money: a float, NaN, an infinity or bad text."""

    def __init__(self, value: object, why: str) -> None:
        self.value = value
        super().__init__(f"invalid amount {value!r}: {why}")


class CurrencyMismatch(MoneyError, ValueError):
    """Arithmetic or ordering across two different currencies."""

    def __init__(self, left: str, right: str, operation: str) -> None:
        self.left = left
        self.right = right
        self.operation = operation
        super().__init__(
            f"cannot {operation} {left} and {right}: convert one amount first, "
            "orderkit never converts currencies implicitly"
        )


class NotRounded(MoneyError, ValueError):
    """An amount with more decimals than its currency's minor unit allows."""

    def __init__(self, amount: object, currency: str, minor_unit: int) -> None:
        self.amount = amount
        self.currency = currency
        self.minor_unit = minor_unit
        super().__init__(
            f"{currency} {amount} has more than {minor_unit} decimal place(s): "
            "call .round() with an explicit rounding mode first"
        )


class AllocationError(MoneyError, ValueError):
    """An amount cannot be split over the weights (and caps) given."""


class TransitionError(OrderkitError):
    """Root of the errors raised by the order and after-sales lifecycles."""


class InvalidTransition(TransitionError, ValueError):
    """An event that the workflow does not allow from the subject's current state."""

    def __init__(self, subject_id: str, state: str, event: str, allowed: Sequence[str]) -> None:
        self.subject_id = subject_id
        self.state = state
        self.event = event
        self.allowed = tuple(allowed)
        choices = ", ".join(self.allowed) or "none: the state is terminal"
        super().__init__(
            f"{subject_id}: cannot {event!r} from state {state!r}; allowed from there: {choices}"
        )


class TransitionRefused(TransitionError, ValueError):
    """A guard refused the transition; ``reason`` says why and what would make it pass."""

    def __init__(self, subject_id: str, state: str, event: str, reason: str) -> None:
        self.subject_id = subject_id
        self.state = state
        self.event = event
        self.reason = reason
        super().__init__(f"{subject_id}: {event!r} refused in state {state!r}: {reason}")


class UnknownState(TransitionError, ValueError):
    """The subject's state field holds a value that is not a state of the workflow."""

    def __init__(self, subject_id: str, state: object, workflow: str) -> None:
        self.subject_id = subject_id
        self.state = state
        self.workflow = workflow
        super().__init__(f"{subject_id}: {state!r} is not a state of workflow {workflow!r}")


class ConcurrentModification(TransitionError):
    """Compare-and-set failed: the subject's version is not the one the caller expected.

    Re-read the subject and decide again; another worker moved it first.
    """

    def __init__(self, subject_id: str, expected: int, actual: int) -> None:
        self.subject_id = subject_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"{subject_id}: expected version {expected} but it is at {actual}; "
            "another worker changed it first, re-read and retry"
        )


class ReservationError(OrderkitError):
    """Root of the errors raised by inventory reservation."""


class InvalidRequest(ReservationError, ValueError):
    """A reservation request or stock operation with malformed input."""


class Shortage(NamedTuple):
    """One short line of a refused reservation."""

    sku: str
    location: str
    requested: int
    available: int


class InsufficientStock(ReservationError, ValueError):
    """Not enough available stock; ``shortages`` names every short line."""

    def __init__(self, reservation_id: str, shortages: Sequence[Shortage]) -> None:
        self.reservation_id = reservation_id
        self.shortages = tuple(shortages)
        detail = ", ".join(
            f"{s.sku}@{s.location} requested {s.requested}, available {s.available}"
            for s in self.shortages
        )
        super().__init__(f"{reservation_id}: insufficient stock: {detail}; nothing was reserved")


class SkuFrozen(ReservationError, ValueError):
    """A line's SKU is frozen: new reservations are refused until it is unfrozen (I6)."""

    def __init__(self, reservation_id: str, frozen: Sequence[tuple[str, str]]) -> None:
        self.reservation_id = reservation_id
        self.frozen = tuple(frozen)
        names = ", ".join(f"{sku}@{location}" for sku, location in self.frozen)
        super().__init__(f"{reservation_id}: frozen: {names}; nothing was reserved")


class DuplicateOperation(ReservationError, ValueError):
    """An operation key (or reservation id) already used for a different payload."""

    def __init__(self, op_key: str) -> None:
        self.op_key = op_key
        super().__init__(
            f"operation key {op_key!r} was already used for a different request: "
            "retry with the same payload, or use a new key"
        )


class UnknownReservation(ReservationError, LookupError):
    """No reservation with this id exists in the store."""

    def __init__(self, reservation_id: str) -> None:
        self.reservation_id = reservation_id
        super().__init__(f"no reservation {reservation_id!r}")


class ReservationClosed(ReservationError, ValueError):
    """The reservation is released, expired or fully committed; it cannot do that now."""

    def __init__(self, reservation_id: str, status: str, operation: str) -> None:
        self.reservation_id = reservation_id
        self.status = status
        self.operation = operation
        super().__init__(f"cannot {operation} reservation {reservation_id!r}: it is {status}")


class ExceedsReservation(ReservationError, ValueError):
    """A commit asks for more of a line than is still reserved."""

    def __init__(self, reservation_id: str, sku: str, location: str, asked: int, left: int):
        self.reservation_id = reservation_id
        self.sku, self.location, self.asked, self.left = sku, location, asked, left
        super().__init__(
            f"{reservation_id}: cannot commit {asked} of {sku}@{location}, only {left} reserved"
        )


class OnHandBelowReserved(ReservationError, ValueError):
    """A stock count below what is already reserved; choose an oversold policy to accept it."""

    def __init__(self, sku: str, location: str, on_hand: int, reserved: int) -> None:
        self.sku, self.location, self.on_hand, self.reserved = sku, location, on_hand, reserved
        super().__init__(
            f"{sku}@{location}: on hand {on_hand} is below the {reserved} already reserved; "
            "release reservations first or pass oversold=OversoldPolicy.CAP"
        )


class LockTimeout(ReservationError, TimeoutError):
    """A lock stayed taken for as long as the caller was willing to wait."""

    def __init__(self, name: str, owner: str, wait: timedelta) -> None:
        self.name = name
        self.owner = owner
        self.wait = wait
        super().__init__(
            f"{owner} could not take lock {name!r} within {wait.total_seconds():g} s; "
            "nothing was changed, retry later or wait longer"
        )


class StaleLease(ReservationError):
    """A write came under a lease that expired or that a newer holder superseded.

    Nothing of the operation was written. Retrying is safe (operations are idempotent by
    key); if it keeps happening, the lock TTL is shorter than the operation takes.
    """

    def __init__(self, resource: str, fencing: int) -> None:
        self.resource = resource
        self.fencing = fencing
        super().__init__(
            f"{resource}: the lease with fencing token {fencing} expired or was superseded "
            "before the write; nothing was written, retry (and keep the lock TTL above the "
            "operation time)"
        )


class PricingError(OrderkitError):
    """Root of the errors raised by the discount engine."""


class RuleProblem(NamedTuple):
    """One thing wrong in a rule set: which rule, which field, and what."""

    rule: str
    """The rule's id (or ``rules[i]`` when it has none); empty for the set itself."""
    field: str
    """The dotted path of the field inside the rule (or the set)."""
    message: str


class RuleSetInvalid(PricingError, ConfigError):
    """A rule set failed validation; ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: Sequence[RuleProblem]) -> None:
        self.problems = tuple(problems)
        lines = [
            f"  {p.rule or '(rule set)'}{': ' + p.field if p.field else ''}: {p.message}"
            for p in self.problems
        ]
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"invalid rule set ({count} {noun}):\n" + "\n".join(lines))


class InvalidPricingInput(PricingError, ValueError):
    """An amount or list of lines that a pricing calculation cannot take as given."""


class InvalidReturn(PricingError, ValueError):
    """A return or refund asked for something the quote cannot give back."""


class HealthError(OrderkitError):
    """Root of the errors raised by :mod:`orderkit.health` (scores, alerts, risk, metrics)."""


class ScorecardProblem(NamedTuple):
    """One thing wrong in a scorecard: the field path and what is wrong with it."""

    field: str
    """The dotted path, with dimensions named, e.g. ``dimensions[qc_pass_rate].weight``."""
    message: str


class ScorecardInvalid(HealthError, ConfigError):
    """A scorecard failed validation; ``problems`` lists every problem found (MISSION H1)."""

    def __init__(self, problems: Sequence[ScorecardProblem]) -> None:
        self.problems = tuple(problems)
        lines = [f"  {p.field or '(scorecard)'}: {p.message}" for p in self.problems]
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"invalid scorecard ({count} {noun}):\n" + "\n".join(lines))


class InvalidSignal(HealthError, ValueError):
    """A signal that its dimension's normaliser cannot read: a wrong type, or NaN (H1)."""

    def __init__(self, dimension: str, value: object, expected: str) -> None:
        self.dimension = dimension
        self.value = value
        self.expected = expected
        super().__init__(
            f"signal {dimension!r} is {value!r}, expected {expected}; "
            "pass None (or leave it out) when the signal is not known"
        )


class NoSignals(HealthError, ValueError):
    """A renormalised score asked of signals that cover none of the card's dimensions (H1)."""

    def __init__(self, card: str) -> None:
        self.card = card
        super().__init__(
            f"scorecard {card!r}: no dimension has a signal, so there is nothing to "
            "renormalise over; supply at least one signal or use missing='neutral'"
        )


class InvalidEvaluation(HealthError, ValueError):
    """An alert evaluation that cannot be taken as given, e.g. a NaN score (MISSION H1)."""


class EvaluationOutOfOrder(InvalidEvaluation):
    """An alert evaluated at an instant earlier than its last evaluation (MISSION H1).

    Evaluate each order's scores in time order; a late sample cannot be replayed into a
    state that has already moved past it.
    """

    def __init__(self, at: datetime, last_evaluated_at: datetime) -> None:
        self.at = at
        self.last_evaluated_at = last_evaluated_at
        super().__init__(
            f"evaluation at {at.isoformat()} is earlier than the last one at "
            f"{last_evaluated_at.isoformat()}: evaluate in time order, or drop the late sample"
        )


class InvalidAlertState(HealthError, ValueError):
    """A stored alert state that cannot be parsed or contradicts itself (MISSION H1)."""


class SignOffRefused(HealthError, ValueError):
    """A sign-off that cannot count towards an order's approval (MISSION L11)."""

    def __init__(self, order_id: str, approver: str, reason: str) -> None:
        self.order_id = order_id
        self.approver = approver
        self.reason = reason
        super().__init__(f"{order_id}: sign-off by {approver!r} refused: {reason}")


class DuplicateApprover(SignOffRefused):
    """The same person signed an approval twice; dual sign-off needs distinct people (L11)."""

    def __init__(self, order_id: str, approver: str) -> None:
        super().__init__(order_id, approver, "already signed")


class LateEvent(HealthError, ValueError):
    """An order event older than the velocity monitor's watermark allows (MISSION H7).

    Nothing was counted. Feed events in time order, or within ``late_tolerance`` of the
    newest event seen.
    """

    def __init__(
        self, order_id: str, at: datetime, watermark: datetime, tolerance: timedelta
    ) -> None:
        self.order_id = order_id
        self.at = at
        self.watermark = watermark
        self.tolerance = tolerance
        super().__init__(
            f"order {order_id} at {at.isoformat()} is more than {tolerance} older than the "
            f"newest event seen ({watermark.isoformat()}); it was not counted"
        )


class InvalidVelocityState(HealthError, ValueError):
    """A velocity snapshot that cannot be read, or that was taken under other rules (H7)."""


class InvalidChurnInput(HealthError, ValueError):
    """Churn inputs that contradict each other, e.g. an order after ``now`` (MISSION H8)."""


class InvalidMetricInput(HealthError, ValueError):
    """Metric data that cannot be measured (MISSION H3-H6).

    For example a negative count, a shipment before its order, no systems to compare, or
    an unshipped order judged without ``now``.
    """


class NoLeadTimeHistory(HealthError, LookupError):
    """A delivery promise asked of a model holding no lead-time samples at all (MISSION H6).

    Add historical samples first (:meth:`orderkit.health.PromiseModel.add`).
    """


class ChannelError(OrderkitError):
    """Root of the errors raised by channel adapters.

    ``retryable`` tells the transport whether the same call may succeed later.
    """

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        self.retryable = retryable
        super().__init__(message)


class SignatureMismatch(ChannelError, ValueError):
    """A request or webhook whose signature does not verify, or that is outside its window.

    ``reason`` says which (``"missing header X-Shopify-Hmac-Sha256"``, ``"digest differs"``,
    ``"timestamp 2026-11-11T08:00:00+00:00 is 12 min old, window 5 min"``); it never
    contains the secret, the expected digest or the body.
    """

    def __init__(self, channel: str, reason: str) -> None:
        self.channel = channel
        self.reason = reason
        super().__init__(f"{channel} signature rejected: {reason}")


class MappingProblem(NamedTuple):
    """One thing wrong in a channel payload: where, what was there, and why it cannot map."""

    path: str
    """The dotted path in the payload, e.g. ``line_items[2].price``."""
    raw: str
    """The value found, as text (masked when the field holds personal data), or ``<missing>``."""
    message: str


class MappingFailed(ChannelError, ValueError):
    """A channel payload that cannot become a canonical order; ``problems`` lists them all."""

    def __init__(self, channel: str, problems: Sequence[MappingProblem]) -> None:
        self.channel = channel
        self.problems = tuple(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"  {p.path}: {p.message} (got {p.raw})" for p in self.problems]
        super().__init__(f"{channel} payload does not map ({count} {noun}):\n" + "\n".join(lines))


class ChannelRequestFailed(ChannelError):
    """A call to a channel's API failed; ``kind`` says how to react.

    ``kind`` is ``transient`` (retry later), ``rate_limited`` (retry after
    ``retry_after``), ``auth_expired`` (refresh the token, then retry) or ``permanent``
    (do not retry). ``status`` is the HTTP status (``None`` when no response came) and
    ``code`` the platform's own error code, when it sent one.
    """

    def __init__(
        self,
        channel: str,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: timedelta | None = None,
    ) -> None:
        self.channel = channel
        self.kind = kind
        self.status = status
        self.code = code
        self.retry_after = retry_after
        super().__init__(
            f"{channel} request failed ({kind}): {message}",
            retryable=kind in ("transient", "rate_limited"),
        )


class InvalidChannelInput(ChannelError, ValueError):
    """Input a channel helper cannot take: an unreadable cursor, address or export row."""


class FieldMapProblem(NamedTuple):
    """One thing wrong in a field map: the field's dotted path and what is wrong with it."""

    field: str
    """E.g. ``lines.fields.unit_price.convert`` or ``status.table.TRADE_CLOSED``."""
    message: str


class FieldMapInvalid(ChannelError, ConfigError):
    """A field map failed validation; ``problems`` lists every problem found (MISSION C2)."""

    def __init__(self, problems: Sequence[FieldMapProblem]) -> None:
        self.problems = tuple(problems)
        lines = [f"  {p.field or '(field map)'}: {p.message}" for p in self.problems]
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"invalid field map ({count} {noun}):\n" + "\n".join(lines))


class EventError(OrderkitError):
    """Root of the errors raised by :mod:`orderkit.events`."""


class HandlerFailed(EventError):
    """One or more subscribers raised while an event was delivered.

    ``failures`` lists each failing handler with its exception; the first exception is
    also chained as ``__cause__``.
    """

    def __init__(self, event_type: str, failures: Sequence[HandlerFailure]) -> None:
        self.event_type = event_type
        self.failures = tuple(failures)
        names = ", ".join(f.handler for f in self.failures)
        super().__init__(f"{len(self.failures)} handler(s) failed on {event_type!r}: {names}")
