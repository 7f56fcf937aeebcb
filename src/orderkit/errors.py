"""The exception hierarchy.

Every error orderkit raises derives from :class:`OrderkitError`. Each capability has
its own sub-root, and leaf errors also derive from the natural builtin, so callers can
catch either ``CurrencyMismatch`` or plain ``ValueError``::

    OrderkitError
    ├── ConfigError (ValueError)          rule sets, policies, field maps that fail validation
    ├── MoneyError
    │   ├── UnknownCurrency (ValueError)  a currency code that is not ISO 4217
    │   ├── InvalidAmount (ValueError)    floats, NaN, infinities, unparsable text
    │   ├── CurrencyMismatch (ValueError) arithmetic or comparison across currencies
    │   ├── NotRounded (ValueError)       minor units asked of an unrounded amount
    │   └── AllocationError (ValueError)  an amount that cannot be split as asked
    ├── TransitionError                   order and after-sales lifecycles
    ├── ReservationError                  inventory reservation
    ├── PricingError                      the discount engine
    ├── ChannelError                      channel adapters (``retryable`` says whether to retry)
    └── EventError
        └── HandlerFailed                 one or more event handlers raised

Every error carries its context as attributes (``CurrencyMismatch.left``/``.right``,
``UnknownCurrency.code`` ...) and a message that says what to do.

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orderkit.events import HandlerFailure

__all__ = [
    "AllocationError",
    "ChannelError",
    "ConfigError",
    "CurrencyMismatch",
    "EventError",
    "HandlerFailed",
    "InvalidAmount",
    "MoneyError",
    "NotRounded",
    "OrderkitError",
    "PricingError",
    "ReservationError",
    "TransitionError",
    "UnknownCurrency",
]


class OrderkitError(Exception):
    """Root of every error raised by orderkit."""


class ConfigError(OrderkitError, ValueError):
    """A configuration object (rule set, policy, field map) failed validation."""


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


class ReservationError(OrderkitError):
    """Root of the errors raised by inventory reservation."""


class PricingError(OrderkitError):
    """Root of the errors raised by the discount engine."""


class ChannelError(OrderkitError):
    """Root of the errors raised by channel adapters.

    ``retryable`` tells the transport whether the same call may succeed later.
    """

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        self.retryable = retryable
        super().__init__(message)


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
