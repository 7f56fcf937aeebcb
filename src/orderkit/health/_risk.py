"""Intake risk: a 0-100 credit score from tier, credit utilisation and returns (MISSION H2).

:func:`assess` scores an :class:`Applicant` placing an order under a :class:`RiskPolicy`
and returns a :class:`RiskAssessment` holding every factor's points and contribution, so
the score explains itself. :func:`route` turns the score and the order amount into an
approval decision with its reasons (MISSION L11): auto-approve, or dual sign-off through
the order lifecycle's approval hold (:func:`apply_routing`, :class:`DualSignOff`,
:func:`apply_sign_off`).

>>> from orderkit.money import Money
>>> applicant = Applicant(customer_id="C-1", tier="gold",
...                       credit_limit=Money("200000", "CNY"), outstanding=Money("40000", "CNY"),
...                       return_rate=Decimal("0.02"))
>>> assessment = assess(applicant, Money("30000", "CNY"))
>>> print(assessment)
credit score 97 for C-1 (order CNY 30000.00)
  tier          gold      90 points x 0.3 = 27
  utilisation   0.35     100 points x 0.4 = 40
  return_rate   0.02     100 points x 0.3 = 30

.. versionadded:: 0.1
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import Annotated, Any, Self, TypeAlias

import attrs
from pydantic import Field, JsonValue, model_validator

from orderkit.errors import CurrencyMismatch, DuplicateApprover, SignOffRefused
from orderkit.lifecycle import ORDER_FLOW, OrderEvent, TransitionRecord
from orderkit.lifecycle.policies._models import PolicyConfig, Record
from orderkit.money import Money
from orderkit.order import NonEmptyStr

__all__ = [
    "Applicant",
    "DualSignOff",
    "LinearScale",
    "RiskAssessment",
    "RiskFactor",
    "RiskPolicy",
    "RiskWeights",
    "RouteDecision",
    "Routing",
    "RoutingPolicy",
    "apply_routing",
    "apply_sign_off",
    "assess",
    "route",
]

_CENT = Decimal("0.01")
_RATIO = Decimal("0.0001")
_HUNDRED = Decimal(100)

Points: TypeAlias = Annotated[Decimal, Field(ge=0, le=100)]
"""Points on the 0-100 scale of a factor."""
Weight: TypeAlias = Annotated[Decimal, Field(ge=0, le=1)]
"""A factor's share of the credit score, between 0 and 1."""


def _plain(value: Decimal) -> str:
    """``value`` without trailing zeros or an exponent: ``Decimal("90.00")`` is ``"90"``."""
    return f"{value.normalize():f}"


class LinearScale(PolicyConfig):
    """Points falling linearly from 100 at ``good`` to 0 at ``bad``, clamped to 0-100.

    ``good`` may lie above or below ``bad``: a ratio where less is better has
    ``good < bad``.

    >>> LinearScale(good=Decimal("0.5"), bad=Decimal("1.0")).points(Decimal("0.7"))
    Decimal('60.00')
    """

    good: Decimal
    bad: Decimal

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if self.good == self.bad:
            raise ValueError(f"good and bad must differ, both are {self.good}")
        return self

    def points(self, value: Decimal) -> Decimal:
        """The points ``value`` earns, to the cent."""
        share = (self.bad - value) / (self.bad - self.good)
        return (min(max(share, Decimal(0)), Decimal(1)) * _HUNDRED).quantize(_CENT, ROUND_HALF_EVEN)


class RiskWeights(PolicyConfig):
    """Each factor's share of the credit score; the shares sum to 1."""

    tier: Weight = Decimal("0.3")
    utilisation: Weight = Decimal("0.4")
    return_rate: Weight = Decimal("0.3")

    @model_validator(mode="after")
    def _sum_to_one(self) -> Self:
        total = self.tier + self.utilisation + self.return_rate
        if total != 1:
            raise ValueError(f"weights must sum to 1, they sum to {total}")
        return self


def _default_tiers() -> dict[str, Decimal]:
    return {
        "vip": Decimal(100),
        "gold": Decimal(90),
        "silver": Decimal(75),
        "regular": Decimal(60),
        "new": Decimal(40),
    }


class RiskPolicy(PolicyConfig):
    """How an applicant's tier, credit utilisation and return rate become a credit score.

    - ``tier_points`` maps a customer tier to its points; a tier not listed (or none)
      earns ``unknown_tier_points``.
    - ``utilisation`` maps (order amount + outstanding) / credit limit to points: 100
      up to half the limit, falling to 0 at the full limit by default. Without a credit
      line (a zero limit) any order earns 0 points.
    - ``return_rate`` maps the share of past orders returned to points: 100 up to 5 %,
      0 from 30 % by default; a customer without history earns ``no_history_points``.
    - ``weights`` combine the three; the score is their weighted sum, to the cent.
    """

    tier_points: dict[str, Points] = Field(default_factory=_default_tiers)
    unknown_tier_points: Points = Decimal(30)
    utilisation: LinearScale = LinearScale(good=Decimal("0.5"), bad=Decimal("1.0"))
    return_rate: LinearScale = LinearScale(good=Decimal("0.05"), bad=Decimal("0.30"))
    no_history_points: Points = Decimal(50)
    weights: RiskWeights = RiskWeights()


class Applicant(Record):
    """Who places the order: tier, credit line, what they already owe, how often they return.

    ``outstanding`` defaults to nothing owed; ``return_rate`` is a share between 0 and 1,
    ``None`` for a customer without order history.
    """

    customer_id: NonEmptyStr
    tier: str | None = None
    credit_limit: Money
    outstanding: Money | None = None
    return_rate: Annotated[Decimal, Field(ge=0, le=1)] | None = None


@attrs.frozen
class RiskFactor:
    """One factor of a credit score: the measure, the points it earned, its weighted share."""

    name: str
    value: str
    points: Decimal
    weight: Decimal
    contribution: Decimal

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-ready data."""
        return {
            "name": self.name,
            "value": self.value,
            "points": str(self.points),
            "weight": str(self.weight),
            "contribution": str(self.contribution),
        }


@attrs.frozen
class RiskAssessment:
    """A credit score (0-100, to the cent) and the factors that sum to it (MISSION H2)."""

    customer_id: str
    order_amount: Money
    credit_score: Decimal
    factors: tuple[RiskFactor, ...]

    def factor(self, name: str) -> RiskFactor:
        """The factor called ``name`` (``tier``, ``utilisation`` or ``return_rate``)."""
        for factor in self.factors:
            if factor.name == name:
                return factor
        raise KeyError(name)

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-ready data."""
        return {
            "customer_id": self.customer_id,
            "order_amount": {
                "amount": f"{self.order_amount.amount:f}",
                "currency": self.order_amount.currency,
            },
            "credit_score": str(self.credit_score),
            "factors": [f.to_dict() for f in self.factors],
        }

    def __str__(self) -> str:
        lines = [
            f"credit score {_plain(self.credit_score)} for {self.customer_id} "
            f"(order {self.order_amount})"
        ]
        lines += [
            f"  {f.name:<12}  {f.value:<6} {_plain(f.points):>5} points x {_plain(f.weight)} "
            f"= {_plain(f.contribution)}"
            for f in self.factors
        ]
        return "\n".join(lines)


def _factor(name: str, value: str, points: Decimal, weight: Decimal) -> RiskFactor:
    contribution = (points * weight).quantize(_CENT, ROUND_HALF_EVEN)
    return RiskFactor(name, value, points, weight, contribution)


_DEFAULT_POLICY = RiskPolicy()


def assess(
    applicant: Applicant, order_amount: Money, policy: RiskPolicy = _DEFAULT_POLICY
) -> RiskAssessment:
    """Score ``applicant`` placing an order of ``order_amount`` (MISSION H2).

    The credit limit, the outstanding amount and the order must share a currency
    (:class:`~orderkit.errors.CurrencyMismatch` otherwise). The score is the sum of the
    factors' contributions, each rounded to the cent.
    """
    weights = policy.weights
    tier_points = policy.tier_points.get(applicant.tier or "", policy.unknown_tier_points)
    tier = _factor("tier", applicant.tier or "unknown", tier_points, weights.tier)

    owed = order_amount
    if applicant.outstanding is not None:
        owed += applicant.outstanding
    limit = applicant.credit_limit
    if limit.currency != owed.currency:
        raise CurrencyMismatch(limit.currency, owed.currency, "compare")
    if limit.amount > 0:
        ratio = (owed.amount / limit.amount).quantize(_RATIO, ROUND_HALF_EVEN)
        points = policy.utilisation.points(ratio)
        used = _factor("utilisation", _plain(ratio), points, weights.utilisation)
    else:
        points = Decimal(100) if owed.amount <= 0 else Decimal(0)
        used = _factor("utilisation", "no credit line", points, weights.utilisation)

    rate = applicant.return_rate
    if rate is None:
        points, shown = policy.no_history_points, "no history"
    else:
        points, shown = policy.return_rate.points(rate), _plain(rate)
    returns = _factor("return_rate", shown, points, weights.return_rate)
    factors = (tier, used, returns)
    return RiskAssessment(
        applicant.customer_id,
        order_amount,
        sum((f.contribution for f in factors), Decimal(0)),
        factors,
    )


class RouteDecision(StrEnum):
    """How an order is approved at intake (MISSION L11)."""

    AUTO_APPROVE = "auto_approve"
    DUAL_SIGN_OFF = "dual_sign_off"


class RoutingPolicy(PolicyConfig):
    """When an order is approved without people: a credit score of at least
    ``min_credit_score`` and an amount of at most ``max_auto_amount`` (in that amount's
    currency). Every other order needs dual sign-off (MISSION L11).
    """

    min_credit_score: Points = Decimal(90)
    max_auto_amount: Money = Money("50000", "CNY")


@attrs.frozen
class Routing:
    """The approval decision for one order and the conditions that decided it.

    For ``auto_approve``, ``reasons`` lists every condition met; for ``dual_sign_off``,
    each condition that failed, with its values (``"credit score 72.9 < 90"``).
    """

    decision: RouteDecision
    reasons: tuple[str, ...]
    credit_score: Decimal
    amount: Money

    @property
    def needs_sign_off(self) -> bool:
        """Whether people must approve the order."""
        return self.decision is RouteDecision.DUAL_SIGN_OFF

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-ready data, as carried by the lifecycle's ``approval.request`` effect."""
        return {
            "decision": self.decision.value,
            "reasons": list(self.reasons),
            "credit_score": str(self.credit_score),
            "amount": {"amount": f"{self.amount.amount:f}", "currency": self.amount.currency},
        }

    def __str__(self) -> str:
        return f"{self.decision.value}: {'; '.join(self.reasons)}"


_DEFAULT_ROUTING = RoutingPolicy()


def route(
    assessment: RiskAssessment, amount: Money, policy: RoutingPolicy = _DEFAULT_ROUTING
) -> Routing:
    """Route an order of ``amount`` with this credit ``assessment`` (MISSION L11).

    ``amount`` is what the approval covers, normally ``assessment.order_amount``; in
    another currency than ``policy.max_auto_amount`` it raises
    :class:`~orderkit.errors.CurrencyMismatch`.

    >>> from orderkit.money import Money
    >>> applicant = Applicant(customer_id="C-2", tier="gold",
    ...                       credit_limit=Money("200000", "CNY"), return_rate=Decimal("0.02"))
    >>> print(route(assess(applicant, Money("80000", "CNY")), Money("80000", "CNY")))
    dual_sign_off: amount CNY 80000.00 > CNY 50000.00
    """
    score, least = assessment.credit_score, policy.min_credit_score
    score_ok = score >= least
    amount_ok = amount <= policy.max_auto_amount
    conditions = (
        (score_ok, f"credit score {_plain(score)} {'>=' if score_ok else '<'} {_plain(least)}"),
        (amount_ok, f"amount {amount} {'<=' if amount_ok else '>'} {policy.max_auto_amount}"),
    )
    if score_ok and amount_ok:
        return Routing(RouteDecision.AUTO_APPROVE, tuple(t for _, t in conditions), score, amount)
    failed = tuple(text for ok, text in conditions if not ok)
    return Routing(RouteDecision.DUAL_SIGN_OFF, failed, score, amount)


def _distinct_approvers(
    instance: DualSignOff, _: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]
) -> None:
    seen: set[str] = set()
    for approver in value:
        if not approver.strip():
            raise SignOffRefused(instance.order_id, approver, "an approver must be named")
        if approver.casefold() in seen:
            raise DuplicateApprover(instance.order_id, approver)
        seen.add(approver.casefold())
    if len(seen) > instance.required:
        needed = f"only {instance.required} sign-offs are needed"
        raise SignOffRefused(instance.order_id, value[-1], needed)


@attrs.frozen
class DualSignOff:
    """The distinct people who signed an order's approval, until ``required`` have (L11).

    A value the host stores beside the order; :meth:`sign` returns the next value. The
    same person (compared case-insensitively) signing twice raises
    :class:`~orderkit.errors.DuplicateApprover`; a blank name, or a signature after
    enough have signed, :class:`~orderkit.errors.SignOffRefused`.

    >>> sign_off = DualSignOff("SO-9").sign("li.min")
    >>> sign_off.approved_by is None
    True
    >>> sign_off.sign("wang.fang").approved_by
    ('li.min', 'wang.fang')
    >>> sign_off.sign("Li.Min")
    Traceback (most recent call last):
    ...
    orderkit.errors.DuplicateApprover: SO-9: sign-off by 'Li.Min' refused: already signed
    """

    order_id: str
    approvers: tuple[str, ...] = attrs.field(default=(), validator=_distinct_approvers)
    required: int = attrs.field(default=2, validator=attrs.validators.ge(2), kw_only=True)

    @property
    def approved_by(self) -> tuple[str, ...] | None:
        """The approvers once ``required`` distinct people have signed, else ``None``."""
        return self.approvers if len(self.approvers) >= self.required else None

    def sign(self, approver: str) -> DualSignOff:
        """This sign-off with ``approver`` (surrounding whitespace removed) added."""
        return attrs.evolve(self, approvers=(*self.approvers, approver.strip()))


def apply_routing(
    subject: Any, routing: Routing, *, actor: str, at: datetime
) -> TransitionRecord | None:
    """Drive the order's approval state from ``routing`` (MISSION L11).

    A ``dual_sign_off`` decision fires ``hold_for_approval`` on ``subject`` (an order in
    ``paid``) with ``route=routing.to_dict()`` and the reasons as the record's reason,
    so the ``approval.request`` effect tells approvers why. ``auto_approve`` leaves the
    order as it is and returns ``None``.
    """
    if not routing.needs_sign_off:
        return None
    return ORDER_FLOW.fire(
        subject,
        OrderEvent.HOLD_FOR_APPROVAL,
        actor=actor,
        reason="; ".join(routing.reasons),
        at=at,
        route=routing.to_dict(),
    )


def apply_sign_off(subject: Any, sign_off: DualSignOff, *, at: datetime) -> TransitionRecord:
    """Approve ``subject`` (held in ``awaiting_approval``) once ``sign_off`` is complete.

    Fires ``approve`` with ``approved_by`` set to the approvers, the last of them as the
    actor. An incomplete sign-off, or one for another order, raises
    :class:`~orderkit.errors.SignOffRefused` and leaves the order as it is.
    """
    order_id = str(getattr(subject, ORDER_FLOW.id_field))
    last = sign_off.approvers[-1] if sign_off.approvers else ""
    if sign_off.order_id != order_id:
        raise SignOffRefused(order_id, last, f"the sign-off is for order {sign_off.order_id}")
    approved_by = sign_off.approved_by
    if approved_by is None:
        missing = sign_off.required - len(sign_off.approvers)
        raise SignOffRefused(order_id, last, f"{missing} more approver(s) must sign first")
    return ORDER_FLOW.fire(
        subject,
        OrderEvent.APPROVE,
        actor=last,
        reason=f"signed off by {', '.join(approved_by)}",
        at=at,
        approved_by=approved_by,
    )
