from __future__ import annotations

from collections.abc import Callable
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
)
from typing import Any, ClassVar, Final, Self, TypeAlias

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from orderkit.errors import CurrencyMismatch, InvalidAmount, NotRounded
from orderkit.money._currency import MINOR_UNITS, Rounding, normalize_code, quantum

__all__ = ["AmountLike", "Money"]

AmountLike: TypeAlias = Decimal | int | str
"""What :class:`Money` accepts as an amount: never a ``float``."""

_AMOUNT_PATTERN: Final = r"^-?\d+(\.\d+)?$"
_DIGITS: Final = 60
_EXACT: Final = Context(
    prec=_DIGITS,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, Inexact, Overflow, DivisionByZero],
)
"""Arithmetic on money is exact or refused, whatever the host's decimal context says."""
_WIDE: Final = Context(prec=_DIGITS, traps=[InvalidOperation, Overflow, DivisionByZero])
_KEEPS_EXPONENT: Final = Context(
    prec=_DIGITS, traps=[InvalidOperation, Inexact, Rounded, Overflow, DivisionByZero]
)
"""Refuses any rounding, so a product by an int keeps the amount's exponent or raises."""
_TOO_LONG: Final = f"more than {_DIGITS} significant digits cannot be kept exact"


def to_decimal(value: object) -> Decimal:
    """Convert an exact amount to ``Decimal``; floats, NaN and infinities are refused."""
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or "_" in text:
            raise InvalidAmount(value, "write amounts with ASCII digits and no separators")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise InvalidAmount(value, "not a decimal number") from None
    elif isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise InvalidAmount(value, "a bool is not an amount")
    elif isinstance(value, int):
        return Decimal(value)
    elif isinstance(value, float):
        raise InvalidAmount(
            value, "floats are inexact; pass Decimal('19.99'), the string '19.99' or an int"
        )
    else:
        raise InvalidAmount(value, f"expected Decimal, int or str, got {type(value).__name__}")
    if not result.is_finite():
        raise InvalidAmount(value, "NaN and infinities are not amounts")
    return result


def _padded(value: Decimal, code: str, source: object) -> tuple[Decimal, bool]:
    """``value`` with at least the minor unit's decimals (never rounded), and whether it
    fits the minor unit."""
    try:
        padded = _WIDE.quantize(value, quantum(code))
    except InvalidOperation:
        raise InvalidAmount(source, _TOO_LONG) from None
    return (padded, True) if padded == value else (value, False)


def _exact(operation: Callable[[Decimal, Decimal], Decimal], a: Decimal, b: Decimal) -> Decimal:
    """``operation(a, b)`` in the exact context; an inexact result is refused."""
    try:
        return operation(a, b)
    except (Inexact, Overflow):
        raise InvalidAmount(f"{operation.__name__}({a}, {b})", _TOO_LONG) from None


class Money:
    """An exact amount of one currency.

    The amount is a :class:`~decimal.Decimal`; the currency an ISO 4217 code whose minor
    unit (2 for CNY, 0 for JPY, 3 for KWD) governs :meth:`round` and
    :attr:`minor_units`. Amounts are shown with at least the minor unit's decimals
    (``Money(98, "CNY")`` is ``98.00``); finer amounts are kept exactly until rounded.
    Floats are refused. Arithmetic and ordering across currencies raise
    :class:`~orderkit.errors.CurrencyMismatch`; equality across currencies is simply
    ``False``.

    >>> price = Money("19.99", "CNY")
    >>> price * 3 - Money(5, "CNY")
    Money('54.97', 'CNY')
    >>> (price * Decimal("0.15")).round()
    Money('3.00', 'CNY')
    >>> Money.from_minor(1999, "CNY") == price
    True

    .. versionadded:: 0.1
    """

    __slots__ = ("_amount", "_currency", "_rounded")
    __match_args__: ClassVar = ("amount", "currency")

    _amount: Decimal
    _currency: str
    _rounded: bool | None

    def __init__(self, amount: AmountLike, currency: str) -> None:
        code = normalize_code(currency)
        self._amount, self._rounded = _padded(to_decimal(amount), code, amount)
        self._currency = code

    @classmethod
    def _make(cls, amount: Decimal, currency: str, rounded: bool | None = None) -> Self:
        money = cls.__new__(cls)
        money._amount = amount
        money._currency = currency
        money._rounded = rounded
        return money

    def _both_rounded(self, other: Money) -> bool | None:
        """True when both amounts fit the minor unit (so do their sum and difference)."""
        return True if self._rounded and other._rounded else None

    @classmethod
    def zero(cls, currency: str) -> Self:
        """Zero in ``currency``: the start value for ``sum(amounts, Money.zero("CNY"))``."""
        code = normalize_code(currency)
        return cls._make(quantum(code) * 0, code, rounded=True)

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Self:
        """Build from an integer count of minor units (cents, fen, fils).

        >>> Money.from_minor(1999, "USD"), Money.from_minor(1999, "JPY")
        (Money('19.99', 'USD'), Money('1999', 'JPY'))
        """
        if isinstance(units, bool) or not isinstance(units, int):
            raise InvalidAmount(units, "minor units must be an int")
        code = normalize_code(currency)
        return cls._make(_exact(_EXACT.multiply, Decimal(units), quantum(code)), code, rounded=True)

    @property
    def amount(self) -> Decimal:
        """The exact amount."""
        return self._amount

    @property
    def currency(self) -> str:
        """The ISO 4217 code, upper case."""
        return self._currency

    @property
    def is_rounded(self) -> bool:
        """Whether the amount fits the currency's minor unit exactly."""
        rounded = self._rounded
        if rounded is None:
            exact = _WIDE.quantize(self._amount, quantum(self._currency))
            rounded = self._rounded = exact == self._amount
        return rounded

    @property
    def minor_units(self) -> int:
        """The amount as an integer count of minor units; raises ``NotRounded`` if it is not."""
        digits = MINOR_UNITS[self._currency]
        if not self.is_rounded:
            raise NotRounded(self._amount, self._currency, digits)
        return int(_WIDE.scaleb(self._amount, digits))

    def round(self, rounding: Rounding = Rounding.HALF_UP) -> Money:
        """Round to the minor unit, half-up unless another mode is named.

        >>> Money("2.345", "EUR").round(), Money("2.345", "EUR").round(Rounding.HALF_EVEN)
        (Money('2.35', 'EUR'), Money('2.34', 'EUR'))
        """
        q = quantum(self._currency)
        rounded = self._amount.quantize(q, rounding=rounding.value, context=_WIDE)
        return self._make(rounded, self._currency, rounded=True)

    def _same(self, other: Money, operation: str) -> None:
        if other._currency != self._currency:
            raise CurrencyMismatch(self._currency, other._currency, operation)

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "add")
        amount = _exact(_EXACT.add, self._amount, other._amount)
        return self._make(amount, self._currency, self._both_rounded(other))

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "subtract")
        amount = _exact(_EXACT.subtract, self._amount, other._amount)
        return self._make(amount, self._currency, self._both_rounded(other))

    def __mul__(self, factor: int | Decimal) -> Money:
        if type(factor) is int:
            try:
                product = _KEEPS_EXPONENT.multiply(self._amount, factor)
                return self._make(product, self._currency, self._rounded)
            except (Rounded, Overflow):
                pass
        if isinstance(factor, Money):
            return NotImplemented
        product = _exact(_EXACT.multiply, self._amount, to_decimal(factor))
        return self._make(_padded(product, self._currency, factor)[0], self._currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return self._make(-self._amount, self._currency, self._rounded)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return self._make(abs(self._amount), self._currency, self._rounded)

    def __bool__(self) -> bool:
        return bool(self._amount)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._currency == other._currency and self._amount == other._amount

    def __hash__(self) -> int:
        return hash((self._amount, self._currency))

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self._amount < other._amount

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self._amount <= other._amount

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self._amount > other._amount

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self._amount >= other._amount

    def __repr__(self) -> str:
        return f"Money('{self._amount:f}', '{self._currency}')"

    def __str__(self) -> str:
        return f"{self._currency} {self._amount:f}"

    def __reduce__(self) -> tuple[type[Money], tuple[str, str]]:
        return (Money, (f"{self._amount:f}", self._currency))

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def from_fields(amount: core_schema.CoreSchema) -> core_schema.CoreSchema:
            fields = core_schema.typed_dict_schema(
                {
                    "amount": core_schema.typed_dict_field(amount),
                    "currency": core_schema.typed_dict_field(core_schema.str_schema()),
                },
                extra_behavior="forbid",
            )
            build = core_schema.no_info_plain_validator_function(
                lambda f: cls(f["amount"], f["currency"])
            )
            return core_schema.chain_schema([fields, build])

        text = core_schema.str_schema(pattern=_AMOUNT_PATTERN)
        python_amount = core_schema.union_schema(
            [text, core_schema.is_instance_schema(Decimal), core_schema.int_schema(strict=True)]
        )
        return core_schema.json_or_python_schema(
            json_schema=from_fields(text),
            python_schema=core_schema.union_schema(
                [core_schema.is_instance_schema(cls), from_fields(python_amount)]
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda money: {"amount": f"{money.amount:f}", "currency": money.currency}
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "object",
            "title": "Money",
            "description": "An exact amount: a decimal string and an ISO 4217 currency code.",
            "properties": {
                "amount": {"type": "string", "pattern": _AMOUNT_PATTERN, "examples": ["19.99"]},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "examples": ["CNY"]},
            },
            "required": ["amount", "currency"],
            "additionalProperties": False,
        }
