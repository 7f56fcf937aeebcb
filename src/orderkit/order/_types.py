from __future__ import annotations

from typing import Annotated, TypeAlias

from pydantic import AfterValidator, Field, Strict, StringConstraints, WithJsonSchema

from orderkit.money import Money

__all__ = ["Amount", "NonEmptyStr", "Quantity"]

NonEmptyStr: TypeAlias = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""A string that is not empty once surrounding whitespace is stripped."""


def _exact_non_negative(value: Money) -> Money:
    if value.amount < 0:
        raise ValueError(f"{value} is negative: amounts on an order are never negative")
    if not value.is_rounded:
        raise ValueError(f"{value} is finer than the currency's minor unit: round it first")
    return value


Amount: TypeAlias = Annotated[
    Money,
    AfterValidator(_exact_non_negative),
    WithJsonSchema(
        {
            "type": "object",
            "title": "Amount",
            "description": "A non-negative amount in the currency's minor unit.",
            "properties": {
                "amount": {"type": "string", "pattern": r"^\d+(\.\d+)?$", "examples": ["19.99"]},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "examples": ["CNY"]},
            },
            "required": ["amount", "currency"],
            "additionalProperties": False,
        }
    ),
]
"""A non-negative :class:`~orderkit.money.Money` rounded to its minor unit."""

Quantity: TypeAlias = Annotated[int, Strict(), Field(gt=0)]
"""A positive whole quantity; ``True`` and ``"2"`` are refused."""
