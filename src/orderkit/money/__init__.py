"""Exact money: :class:`Money`, currency minor units, rounding and exact allocation.

Amounts are :class:`~decimal.Decimal` paired with an ISO 4217 currency; floats never
enter. :func:`allocate` and :func:`allocate_capped` split an amount over weights so the
parts always sum to the whole.

.. versionadded:: 0.1
"""

from orderkit.money._allocate import Weight, allocate, allocate_capped
from orderkit.money._currency import Rounding, minor_unit, register_currency
from orderkit.money._money import AmountLike, Money

__all__ = [
    "AmountLike",
    "Money",
    "Rounding",
    "Weight",
    "allocate",
    "allocate_capped",
    "minor_unit",
    "register_currency",
]
