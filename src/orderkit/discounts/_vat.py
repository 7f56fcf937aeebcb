"""Cross-border VAT as a template: rates by category, gross or net prices (MISSION D5)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_05UP, Context, Decimal
from typing import Annotated, NamedTuple

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from orderkit.errors import InvalidPricingInput
from orderkit.money import Money, Rounding
from orderkit.money._money import to_decimal
from orderkit.order import NonEmptyStr

__all__ = ["VatBreakdown", "VatInput", "VatLine", "VatTemplate", "vat_breakdown"]

_Percent = Annotated[Decimal, Field(ge=0, lt=100, decimal_places=4), BeforeValidator(to_decimal)]


class VatTemplate(BaseModel):
    """A country's VAT as data: a standard rate, rates by category, gross or net prices.

    Rates are percentages (``20`` for 20 %) from 0 up to, not including, 100, with at
    most four decimal places, and never floats. A line whose category has no rate of
    its own, or no category, gets ``standard_rate``. With ``prices_include_vat`` the
    line amounts are gross (VAT included, as consumer prices in the EU and the UK);
    otherwise they are net. VAT is rounded per line, to the currency's minor unit, with
    ``rounding``.

    >>> germany = VatTemplate.model_validate(
    ...     {"name": "DE", "standard_rate": "19", "rates": {"books": "7"},
    ...      "prices_include_vat": True}
    ... )
    >>> germany.rate_for("books"), germany.rate_for("shoes"), germany.rate_for(None)
    (Decimal('7'), Decimal('19'), Decimal('19'))

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: NonEmptyStr
    standard_rate: _Percent
    rates: dict[str, _Percent] = Field(default_factory=dict)
    prices_include_vat: bool
    rounding: Rounding = Rounding.HALF_UP

    def rate_for(self, category: str | None) -> Decimal:
        """The percentage that applies to a line of ``category``."""
        if category is None:
            return self.standard_rate
        return self.rates.get(category, self.standard_rate)


class VatInput(NamedTuple):
    """One line to tax: its id, its amount (gross or net, as the template says), its category."""

    line_id: str
    amount: Money
    category: str | None = None


class VatLine(NamedTuple):
    """One taxed line; ``rate`` is the percentage applied, ``net + vat == gross``."""

    line_id: str
    rate: Decimal
    net: Money
    vat: Money
    gross: Money


@dataclass(frozen=True, slots=True)
class VatBreakdown:
    """The taxed lines, sorted by id, and their totals (each the sum of the lines).

    .. versionadded:: 0.1
    """

    lines: tuple[VatLine, ...]
    net: Money
    vat: Money
    gross: Money


def _net_of(gross: Money, rate: Decimal, rounding: Rounding) -> Money:
    """``gross / (1 + rate)`` rounded to the minor unit, exactly.

    The quotient is taken to at least two digits past the gross amount's last one with
    ``ROUND_05UP``, which leaves an inexact quotient off every tie and every multiple of
    the minor unit, so the one rounding to the minor unit that follows is exact in every
    mode. A divisor of at least 1 keeps the quotient no longer than the gross amount.
    """
    context = Context(prec=len(gross.amount.as_tuple().digits) + 2, rounding=ROUND_05UP)
    return Money(context.divide(gross.amount, 1 + rate), gross.currency).round(rounding)


def _taxed(line: VatInput, template: VatTemplate) -> VatLine:
    amount = line.amount
    if amount.minor_units < 0:
        raise InvalidPricingInput(f"line {line.line_id!r}: {amount} is negative")
    percent = template.rate_for(line.category)
    rate = percent.scaleb(-2)
    if template.prices_include_vat:
        net = _net_of(amount, rate, template.rounding)
        return VatLine(line.line_id, percent, net, amount - net, amount)
    vat = (amount * rate).round(template.rounding)
    return VatLine(line.line_id, percent, amount, vat, amount + vat)


def vat_breakdown(lines: Iterable[VatInput], template: VatTemplate) -> VatBreakdown:
    """Tax each line with ``template`` and add up the totals.

    From a gross amount, ``net`` is ``gross / (1 + rate)`` rounded and ``vat`` is the
    rest, so ``gross`` stays exactly what was given; from a net amount, ``vat`` is
    ``net × rate`` rounded and ``gross`` is their sum. Either way ``net + vat == gross``
    on every line and in the totals. Amounts are non-negative, rounded to their minor
    unit (else :class:`~orderkit.errors.NotRounded`) and in one currency (else
    :class:`~orderkit.errors.CurrencyMismatch`); line ids are unique and there is at
    least one line (else :class:`~orderkit.errors.InvalidPricingInput`).

    >>> uk = VatTemplate(name="UK", standard_rate=Decimal(20), prices_include_vat=True)
    >>> taxed = vat_breakdown([VatInput("1", Money("12.00", "GBP"))], uk)
    >>> taxed.net, taxed.vat, taxed.gross
    (Money('10.00', 'GBP'), Money('2.00', 'GBP'), Money('12.00', 'GBP'))

    .. versionadded:: 0.1
    """
    ordered = sorted(lines, key=lambda line: line.line_id)
    if not ordered:
        raise InvalidPricingInput("a VAT breakdown needs at least one line")
    twice = sorted(k for k, n in Counter(line.line_id for line in ordered).items() if n > 1)
    if twice:
        raise InvalidPricingInput(f"line ids must be unique, given more than once: {twice}")
    taxed = tuple(_taxed(line, template) for line in ordered)
    zero = Money.zero(ordered[0].amount.currency)
    return VatBreakdown(
        lines=taxed,
        net=sum((line.net for line in taxed), zero),
        vat=sum((line.vat for line in taxed), zero),
        gross=sum((line.gross for line in taxed), zero),
    )
