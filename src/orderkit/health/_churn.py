"""Churn warning: a long reorder gap together with a negative note (MISSION H8).

A customer is at risk of churning when the time since their last order exceeds
``gap_ratio`` (2.3 by default) times their average reorder gap, and one of their notes
(reviews, service chats, order remarks) contains a negative phrase. Customers with too
short a history are measured against their segment's average instead.

>>> from datetime import UTC, datetime, timedelta
>>> orders = [datetime(2026, 9, d, tzinfo=UTC) for d in (1, 11, 21)]
>>> check = churn_warning(orders, now=datetime(2026, 11, 11, tzinfo=UTC),
...                       notes=["物流太慢了，不会再买"])
>>> check.warning, check.ratio, check.matched_phrase
(True, Decimal('5.10'), '不会再买')
>>> for reason in check.reasons:
...     print(reason)
no order for 51 days, 5.1 x the customer's average gap of 10 days (> 2.3)
note matches '不会再买'

.. versionadded:: 0.1
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Literal

import attrs
from pydantic import Field, StringConstraints

from orderkit.clock import require_aware
from orderkit.errors import InvalidChurnInput
from orderkit.health._risk import _plain
from orderkit.lifecycle.policies._models import PolicyConfig

__all__ = ["DEFAULT_NEGATIVE_PHRASES", "ChurnAssessment", "ChurnPolicy", "churn_warning"]

DEFAULT_NEGATIVE_PHRASES: tuple[str, ...] = (
    "质量差",
    "质量不好",
    "不会再买",
    "再也不买",
    "太慢",
    "退货",
    "退款",
    "差评",
    "失望",
    "投诉",
    "disappointed",
    "never again",
    "too slow",
    "refund",
    "poor quality",
    "terrible",
    "complaint",
    "won't buy",
)
"""The default negative phrases, Chinese and English; matched ignoring case and width."""

_US = timedelta(microseconds=1)
_CENT = Decimal("0.01")
_TENTH = Decimal("0.1")


class ChurnPolicy(PolicyConfig):
    """When a reorder gap and a note make a churn warning (MISSION H8).

    - ``gap_ratio``: warn when the gap since the last order exceeds this many average
      gaps (2.3);
    - ``min_gaps``: the gaps between a customer's own orders needed to use their own
      average (2, that is 3 orders); with fewer, the segment's average is used;
    - ``negative_phrases``: a note matches when it contains one of them, ignoring case
      and full- or half-width forms.
    """

    gap_ratio: Decimal = Field(default=Decimal("2.3"), gt=0)
    min_gaps: int = Field(default=2, ge=1)
    negative_phrases: tuple[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)], ...
    ] = Field(default=DEFAULT_NEGATIVE_PHRASES, min_length=1)


@attrs.frozen
class ChurnAssessment:
    """Whether a customer gets a churn warning, with the figures and the note that decided.

    ``gap`` is the time since the last order, ``average`` the average reorder gap it is
    compared with (from ``average_source``: the customer's own orders or the segment),
    ``ratio`` their quotient to the cent. Each is ``None`` when it cannot be known.
    ``reasons`` says in words why the warning is, or is not, given.
    """

    warning: bool
    gap: timedelta | None
    average: timedelta | None
    average_source: Literal["customer", "segment"] | None
    ratio: Decimal | None
    gap_ratio: Decimal
    matched_phrase: str | None
    matched_note: str | None
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        verdict = "churn warning" if self.warning else "no churn warning"
        return f"{verdict}: {'; '.join(self.reasons)}"


def _days(span: timedelta) -> str:
    days = (Decimal(span // _US) / Decimal(86_400_000_000)).quantize(_TENTH, ROUND_HALF_EVEN)
    return f"{_plain(days)} day{'' if days == 1 else 's'}"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _match(notes: Sequence[str], phrases: Sequence[str]) -> tuple[str, str] | None:
    folded = [(phrase, _fold(phrase)) for phrase in phrases]
    for note in notes:
        text = _fold(note)
        for phrase, needle in folded:
            if needle in text:
                return phrase, note
    return None


_DEFAULT_POLICY = ChurnPolicy()


def churn_warning(
    customer_orders: Sequence[datetime],
    now: datetime,
    segment_average: timedelta | None = None,
    notes: Sequence[str] = (),
    policy: ChurnPolicy = _DEFAULT_POLICY,
) -> ChurnAssessment:
    """Check one customer for churn at ``now`` (MISSION H8).

    ``customer_orders`` are the times of their orders, in any order; all must be aware
    and not after ``now`` (:class:`~orderkit.errors.InvalidChurnInput` otherwise). The
    warning needs both: a gap since the last order longer than ``policy.gap_ratio``
    times the average gap (the customer's own with at least ``policy.min_gaps`` gaps,
    else ``segment_average``), and a note containing a negative phrase.
    """
    now = require_aware(now, "now")
    orders = sorted(require_aware(at, "customer_orders[]") for at in customer_orders)
    if orders and orders[-1] > now:
        raise InvalidChurnInput(
            f"an order at {orders[-1].isoformat()} is after now ({now.isoformat()}): "
            "check the clock or pass only orders placed by then"
        )
    if segment_average is not None and segment_average <= timedelta(0):
        raise InvalidChurnInput(f"segment_average must be positive, got {segment_average}")

    reasons: list[str] = []
    gap = now - orders[-1] if orders else None
    gaps = len(orders) - 1
    average: timedelta | None
    source: Literal["customer", "segment"] | None
    if gaps >= policy.min_gaps:
        average, source = (orders[-1] - orders[0]) / gaps, "customer"
    elif segment_average is not None:
        average, source = segment_average, "segment"
    else:
        average, source = None, None

    ratio = None
    long_gap = False
    if gap is None:
        reasons.append("no orders to measure a gap from")
    elif average is None:
        reasons.append(
            f"no order for {_days(gap)}, but no average to compare with: the customer has "
            f"{max(gaps, 0)} gap(s), {policy.min_gaps} needed, and no segment average was given"
        )
    else:
        gap_us, average_us = Decimal(gap // _US), Decimal(average // _US)
        long_gap = gap_us > policy.gap_ratio * average_us
        whose = "the customer's" if source == "customer" else "the segment's"
        if average_us:
            ratio = (gap_us / average_us).quantize(_CENT, ROUND_HALF_EVEN)
            measure = f"{_plain(ratio)} x {whose} average gap of {_days(average)}"
        else:
            measure = f"{whose} average gap is zero"
        sign = ">" if long_gap else "<="
        reasons.append(f"no order for {_days(gap)}, {measure} ({sign} {_plain(policy.gap_ratio)})")

    found = _match(notes, policy.negative_phrases)
    if found is None:
        reasons.append(f"no negative phrase in {len(notes)} note(s)")
    else:
        reasons.append(f"note matches {found[0]!r}")
    return ChurnAssessment(
        warning=long_gap and found is not None,
        gap=gap,
        average=average,
        average_source=source,
        ratio=ratio,
        gap_ratio=policy.gap_ratio,
        matched_phrase=None if found is None else found[0],
        matched_note=None if found is None else found[1],
        reasons=tuple(reasons),
    )
