"""The fields every discount rule shares: identity, layer, targets and eligibility."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, TypeAlias

from dateutil import parser as date_parser
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from orderkit.clock import require_aware
from orderkit.discounts._cart import Cart, CartLine
from orderkit.discounts._scope import Miss

__all__ = [
    "Decimals",
    "FieldProblem",
    "Frozen",
    "Moment",
    "Percent",
    "Positive",
    "RuleBase",
    "Target",
]


class FieldProblem(ValueError):
    """A check across a rule's fields that fails, reported against the field it names."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _no_float(value: object) -> object:
    if isinstance(value, float):
        raise ValueError(
            f"write amounts and percentages as strings or integers, not floats: got {value!r}"
        )
    return value


_NAMED_OFFSET = re.compile(r"(?:UTC|GMT|Z)\s*[+-]\s*\d", re.IGNORECASE)
"""``UTC+8``, ``GMT+08:00``: python-dateutil reads these POSIX-style, as UTC-8."""


def _zone(name: str | None, offset: int | None) -> int | None:
    """The zones a window may name for python-dateutil: UTC, or a numeric offset."""
    if name is None or (name in {"UTC", "GMT"} and not offset):
        return offset
    raise ValueError(f"time zone name {name!r} is ambiguous: write a UTC offset, e.g. '+08:00'")


def _moment(value: object) -> object:
    if isinstance(value, str):
        if _NAMED_OFFSET.search(value):
            raise ValueError(
                f"{value!r}: write the offset alone, e.g. '+08:00'; python-dateutil reads "
                "'UTC+8' and 'GMT+8' as 8 hours behind UTC"
            )
        try:
            parsed = date_parser.isoparse(value)
        except ValueError:
            try:
                parsed = date_parser.parse(value, tzinfos=_zone)
            except OverflowError:
                raise ValueError(f"{value!r} is out of range for a date and time") from None
        if parsed.tzinfo is None:
            raise ValueError(f"{value!r} has no UTC offset: write one, e.g. '+08:00'")
        return parsed
    return value


Decimals: TypeAlias = Annotated[Decimal, BeforeValidator(_no_float), Field(allow_inf_nan=False)]
"""A decimal given as a string or an integer; floats are refused."""
Positive: TypeAlias = Annotated[Decimals, Field(gt=0)]
"""A positive amount in the rule set's currency, e.g. ``"40.00"``."""
Percent: TypeAlias = Annotated[Decimals, Field(gt=0, le=100)]
"""A percentage off, above 0 and at most 100: ``5`` is 5 % off (a "95 %" price)."""
Moment: TypeAlias = Annotated[datetime, BeforeValidator(_moment), AfterValidator(require_aware)]
"""An aware datetime; strings are parsed with python-dateutil and need a UTC offset."""


class Frozen(BaseModel):
    """A frozen model that refuses unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Target(Frozen):
    """Which lines a rule applies to.

    With neither ``skus`` nor ``categories``, every line; otherwise the lines whose SKU
    is listed or that share a category. ``channels``, when given, keeps only lines
    sold on those channels. Exclusions win over inclusions.
    """

    skus: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    exclude_skus: frozenset[str] = frozenset()
    exclude_categories: frozenset[str] = frozenset()

    def matches(self, line: CartLine, channel: str | None) -> bool:
        """Whether ``line`` (in a cart on ``channel``) is targeted."""
        if line.sku in self.exclude_skus or line.categories & self.exclude_categories:
            return False
        if self.channels and (line.channel or channel) not in self.channels:
            return False
        if not self.skus and not self.categories:
            return True
        return line.sku in self.skus or bool(line.categories & self.categories)


class RuleBase(Frozen):
    """Identity, precedence, targets and eligibility, shared by every kind of rule.

    ``layer`` names the precedence layer the rule competes in; ``priority`` orders rules
    inside it (higher first, then by ``id``). ``base`` says which amount the rule's
    spend conditions test: ``"current"`` (what earlier layers left) or ``"original"``
    (before any discount). ``max_discount`` caps what the rule takes off in one quote.
    ``exclusive`` rules combine with no other rule; finer exclusions are the rule set's
    ``conflicts``, matched against ``id`` and ``tags``. The date window includes
    ``starts_at`` and excludes ``ends_at``.
    """

    id: str = Field(min_length=1, pattern=r"^\S+$")
    name: str = ""
    layer: str
    priority: int = 0
    target: Target = Target()
    base: Literal["current", "original"] = "current"
    member_tiers: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    customers: frozenset[str] = frozenset()
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    max_uses: int | None = Field(default=None, ge=0)
    max_uses_per_customer: int | None = Field(default=None, ge=0)
    max_discount: Positive | None = None
    exclusive: bool = False
    tags: frozenset[str] = frozenset()

    @model_validator(mode="after")
    def _window(self) -> RuleBase:
        if self.starts_at and self.ends_at and self.starts_at >= self.ends_at:
            raise FieldProblem(
                "ends_at",
                f"the window is empty: ends_at {self.ends_at.isoformat()} is not after "
                f"starts_at {self.starts_at.isoformat()}",
            )
        return self

    @property
    def label(self) -> str:
        """The name, or the id when the rule has none."""
        return self.name or self.id

    def money_fields(self) -> dict[str, Decimal]:
        """Every amount the rule holds in currency, by field path, for validation."""
        return {} if self.max_discount is None else {"max_discount": self.max_discount}

    @property
    def restricted(self) -> bool:
        """Whether :meth:`ineligible` can refuse any cart (window, audience, uses, code)."""
        return bool(
            self.starts_at
            or self.ends_at
            or self.member_tiers
            or self.channels
            or self.customers
            or self.max_uses is not None
            or self.max_uses_per_customer is not None
            or self.required_code() is not None
        )

    def ineligible(self, cart: Cart) -> Miss | None:
        """Why the cart cannot use this rule at all, or ``None`` if it can."""
        if self.starts_at is not None and cart.at < self.starts_at:
            return Miss("not_started", (("starts_at", self.starts_at), ("at", cart.at)))
        if self.ends_at is not None and cart.at >= self.ends_at:
            return Miss("ended", (("ends_at", self.ends_at), ("at", cart.at)))
        if self.member_tiers and cart.member_tier not in self.member_tiers:
            return Miss("member_tier", (("tier", cart.member_tier), ("tiers", self.member_tiers)))
        if self.channels and cart.channel not in self.channels:
            return Miss("channel", (("channel", cart.channel), ("channels", self.channels)))
        if self.customers and cart.customer_id not in self.customers:
            return Miss("customer", (("customer", cart.customer_id),))
        return self._used_up(cart) or self._code_missing(cart)

    def _used_up(self, cart: Cart) -> Miss | None:
        if self.max_uses is None and self.max_uses_per_customer is None:
            return None
        used = cart.rule_uses.get(self.id, 0)
        if self.max_uses is not None and used >= self.max_uses:
            return Miss("used_up", (("uses", used), ("max_uses", self.max_uses)))
        mine = cart.customer_rule_uses.get(self.id, 0)
        if self.max_uses_per_customer is not None and mine >= self.max_uses_per_customer:
            return Miss(
                "used_up_by_customer",
                (("uses", mine), ("max_uses_per_customer", self.max_uses_per_customer)),
            )
        return None

    def _code_missing(self, cart: Cart) -> Miss | None:
        code = self.required_code()
        if code is not None and code not in cart.codes:
            return Miss("code_missing", (("code", code),))
        return None

    def required_code(self) -> str | None:
        """The code the buyer must present, for rules that have one."""
        return None
