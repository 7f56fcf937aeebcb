"""Pre-sale deposits credited against the balance (MISSION D5)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from orderkit.errors import CurrencyMismatch, InvalidPricingInput
from orderkit.money import Money, Rounding, allocate_capped
from orderkit.money._money import to_decimal
from orderkit.order import Amount

__all__ = ["Presale", "PresaleBalance", "presale_balance"]


class Presale(BaseModel):
    """A pre-sale deposit and what it is worth at the balance stage.

    ``deposit`` is paid up front; at the balance stage it counts as ``deposit ×
    multiplier`` ("a deposit of 50 worth 100" has multiplier 2). The deposit is a
    non-negative amount rounded to its minor unit; the multiplier is at least 1 and,
    like every amount in orderkit, never a float.

    >>> Presale.model_validate({"deposit": {"amount": "50.00", "currency": "CNY"},
    ...                         "multiplier": "2"})
    Presale(deposit=Money('50.00', 'CNY'), multiplier=Decimal('2'))

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    deposit: Amount
    multiplier: Annotated[Decimal, Field(ge=1), BeforeValidator(to_decimal)] = Decimal(1)


@dataclass(frozen=True, slots=True)
class PresaleBalance:
    """The balance stage of a pre-sale, as worked out by :func:`presale_balance`.

    ``credit`` is the deposit times the multiplier, rounded half-up to the minor unit.
    At most ``price`` of it is used (``credit_used``), so ``balance_due`` is never
    negative; the rest is ``unused_credit``. ``balance_due + credit_used == price``.

    .. versionadded:: 0.1
    """

    price: Money
    deposit: Money
    credit: Money
    credit_used: Money
    unused_credit: Money
    balance_due: Money

    def split(self, weights: Mapping[str, Money]) -> dict[str, Money]:
        """The balance due per line, given each line's payable amount.

        The payable amounts must add up to ``price``. The balance is split in
        proportion to them with :func:`~orderkit.money.allocate_capped`, capped at each
        line's own amount: the parts sum exactly to ``balance_due`` and none is
        negative or above its line.

        >>> balance = presale_balance(
        ...     Money("299.00", "CNY"), Presale(deposit=Money("50.00", "CNY"), multiplier=2)
        ... )
        >>> balance.split({"phone": Money("199.00", "CNY"), "case": Money("100.00", "CNY")})
        {'phone': Money('132.44', 'CNY'), 'case': Money('66.56', 'CNY')}
        """
        total = sum(weights.values(), Money.zero(self.price.currency))
        if total != self.price:
            raise InvalidPricingInput(
                f"the lines add up to {total}, not to the pre-sale price {self.price}: "
                "pass every line's payable amount"
            )
        return allocate_capped(self.balance_due, weights, weights)


def presale_balance(price: Money, presale: Presale) -> PresaleBalance:
    """Credit a pre-sale deposit against the final ``price``.

    ``price`` is the order's final payable amount: non-negative, rounded to its minor
    unit (else :class:`~orderkit.errors.NotRounded`) and in the deposit's currency (else
    :class:`~orderkit.errors.CurrencyMismatch`).

    >>> deposit = Presale(deposit=Money("50.00", "CNY"), multiplier=2)
    >>> balance = presale_balance(Money("299.00", "CNY"), deposit)
    >>> balance.credit, balance.balance_due
    (Money('100.00', 'CNY'), Money('199.00', 'CNY'))
    >>> presale_balance(Money("80.00", "CNY"), deposit).unused_credit
    Money('20.00', 'CNY')

    .. versionadded:: 0.1
    """
    deposit = presale.deposit
    if price.currency != deposit.currency:
        raise CurrencyMismatch(price.currency, deposit.currency, "settle a pre-sale across")
    if price.minor_units < 0:
        raise InvalidPricingInput(f"the pre-sale price {price} is negative")
    credit = (deposit * presale.multiplier).round(Rounding.HALF_UP)
    credit_used = min(credit, price)
    return PresaleBalance(
        price=price,
        deposit=deposit,
        credit=credit,
        credit_used=credit_used,
        unused_credit=credit - credit_used,
        balance_due=price - credit_used,
    )
