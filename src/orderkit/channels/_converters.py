"""The named converters of a field map, and how a host adds its own (MISSION C2).

A converter factory takes the map's ``args`` as keyword arguments and returns a
:data:`Converter`: a function of the raw value and the :class:`MappingScope`. It raises
``ValueError`` or ``TypeError`` saying what is wrong, without repeating the value (the
mapper reports the value itself, masked when it is personal data).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, NamedTuple, TypeAlias

from dateutil.parser import isoparse
from dateutil.tz import gettz

from orderkit.channels._fieldmap import getter, parse_path
from orderkit.money import Money, minor_unit
from orderkit.money._money import to_decimal

__all__ = [
    "BUILTIN_CONVERTERS",
    "Converter",
    "ConverterFactory",
    "MappingScope",
    "NoCurrency",
]


class MappingScope(NamedTuple):
    """What a converter may read besides its value: the order object and its currency.

    ``currency`` is ``None`` when the order's currency itself did not map.
    """

    order: Mapping[str, Any]
    currency: str | None


Converter: TypeAlias = Callable[[Any, MappingScope], Any]
"""Turns one raw value into a canonical one, or raises ``ValueError``/``TypeError``."""

ConverterFactory: TypeAlias = Callable[..., Converter]
"""Builds a :data:`Converter` from a field map's ``args``, once, when the map compiles."""


class NoCurrency(ValueError):
    """A money value read while the order's currency is unknown (already reported)."""


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MAINLAND_MOBILE: Final = re.compile(r"(?:\+86|0086|86)?(1[3-9]\d{9})")
_PHONE: Final = re.compile(r"\+?\d{3,15}")
_PHONE_NOISE: Final = str.maketrans("", "", " -.()\u00a0")
_TRUE: Final = frozenset({"true", "1", "yes", "y"})
_FALSE: Final = frozenset({"false", "0", "no", "n"})


def _currency_reader(
    currency: str | None, currency_path: str | None
) -> Callable[[MappingScope], str]:
    if currency is not None and currency_path is not None:
        raise ValueError("give currency or currency_path, not both")
    if currency is not None:
        minor_unit(currency)
        code = currency.strip().upper()
        return lambda scope: code
    if currency_path is not None:
        read = getter(parse_path(currency_path))

        def from_path(scope: MappingScope) -> str:
            code = read(scope.order)
            if not isinstance(code, str):
                raise ValueError(f"no currency at {currency_path}")
            return code

        return from_path
    return _order_currency


def _order_currency(scope: MappingScope) -> str:
    if scope.currency is None:
        raise NoCurrency("the order's currency is unknown")
    return scope.currency


def money(*, currency: str | None = None, currency_path: str | None = None) -> Converter:
    """Money from a decimal string or number in major units (``"19.99"``), floats refused.

    The currency is the order's, unless ``currency`` (a code) or ``currency_path``
    (relative to the order) is given.

    >>> money()("19.99", MappingScope({}, "CNY"))
    Money('19.99', 'CNY')
    """
    read = _currency_reader(currency, currency_path)
    if read is _order_currency:

        def in_order_currency(raw: Any, scope: MappingScope) -> Money:
            if scope.currency is None:
                raise NoCurrency("the order's currency is unknown")
            return Money(raw, scope.currency)

        return in_order_currency
    return lambda raw, scope: Money(raw, read(scope))


def minor_units(*, currency: str | None = None, currency_path: str | None = None) -> Converter:
    """Money from an integer count of minor units (fen, cents): ``1999`` is 19.99 CNY.

    >>> minor_units(currency="JPY")(1999, MappingScope({}, None))
    Money('1999', 'JPY')
    """
    read = _currency_reader(currency, currency_path)
    return lambda raw, scope: Money.from_minor(_integer(raw), read(scope))


def _integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise TypeError("expected a whole number, not a bool")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        try:
            return int(raw.strip())
        except ValueError:
            raise ValueError("expected a whole number") from None
    if isinstance(raw, Decimal) and raw.is_finite() and raw == raw.to_integral_value():
        return int(raw)
    raise TypeError("expected a whole number")


def integer() -> Converter:
    """A whole number from an int, a digit string or an integral decimal; bools refused.

    >>> integer()("3", MappingScope({}, None))
    3
    """
    return lambda raw, scope: _integer(raw)


def decimal() -> Converter:
    """An exact :class:`~decimal.Decimal` from a string, int or decimal; floats refused."""
    return lambda raw, scope: to_decimal(raw)


def _text(raw: Any, scope: MappingScope | None = None) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        raise TypeError("expected text, not a bool")
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, Decimal):
        return f"{raw:f}"
    raise TypeError(f"expected text, got {type(raw).__name__}")


def text() -> Converter:
    """Text from a string, an int or a decimal (platform ids are often numbers).

    >>> text()(450789469, MappingScope({}, None))
    '450789469'
    """
    return _text


def currency() -> Converter:
    """An ISO 4217 code, checked and upper-cased."""

    def convert(raw: Any, scope: MappingScope) -> str:
        code = _text(raw).strip().upper()
        minor_unit(code)
        return code

    return convert


def boolean() -> Converter:
    """``true``/``false``, ``1``/``0`` or the strings ``true``, ``false``, ``yes``, ``no``.

    >>> boolean()("0", MappingScope({}, None))
    False
    """

    def convert(raw: Any, scope: MappingScope) -> bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int | Decimal) and raw in (0, 1):
            return raw == 1
        if isinstance(raw, str):
            word = raw.strip().lower()
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
        raise ValueError("expected true/false, 1/0 or yes/no")

    return convert


def _key(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return _text(raw)


def table(*, values: Mapping[Any, Any]) -> Converter:
    """Look the raw value up in ``values`` (keys compared as text); unknown values are named.

    >>> table(values={1: "wait_pay", 2: "paid"})(2, MappingScope({}, None))
    'paid'
    """
    known = {_key(key): value for key, value in values.items()}
    if not known:
        raise ValueError("the table is empty")
    listed = ", ".join(sorted(known))

    def convert(raw: Any, scope: MappingScope) -> Any:
        try:
            return known[raw if type(raw) is str else _key(raw)]
        except KeyError:
            raise ValueError(f"unknown value {_key(raw)!r}; the table knows {listed}") from None

    return convert


def phone() -> Converter:
    """A phone number without spaces, dashes, dots or brackets.

    Mainland China mobiles lose their ``+86``/``0086``/``86`` prefix and become the
    11-digit national number; other numbers keep a leading ``+``.

    >>> scope = MappingScope({}, None)
    >>> phone()("+86 138-0013-8000", scope), phone()("+1(502)-459-2181", scope)
    ('13800138000', '+15024592181')
    """

    def convert(raw: Any, scope: MappingScope) -> str:
        compact = _text(raw).translate(_PHONE_NOISE)
        if mobile := _MAINLAND_MOBILE.fullmatch(compact):
            return mobile[1]
        if _PHONE.fullmatch(compact):
            return compact
        raise ValueError("not a phone number")

    return convert


def timestamp(*, zone: str | None = None, unit: str | None = None) -> Converter:
    """An aware UTC datetime from ISO 8601 text or unix time (``unit``: ``s`` or ``ms``).

    Text with a UTC offset keeps it; naive text (``2026-11-11 20:15:31``) is read in
    ``zone``, an IANA name such as ``Asia/Shanghai`` for GMT+8 platforms, and is refused
    when no zone is declared.

    >>> timestamp(zone="Asia/Shanghai")("2026-11-11 20:15:31", MappingScope({}, None))
    datetime.datetime(2026, 11, 11, 12, 15, 31, tzinfo=datetime.timezone.utc)
    >>> timestamp(unit="ms")(1762863331000, MappingScope({}, None))
    datetime.datetime(2025, 11, 11, 12, 15, 31, tzinfo=datetime.timezone.utc)
    """
    tz = None
    if zone is not None and (tz := gettz(zone)) is None:
        raise ValueError(f"unknown time zone {zone!r}: use an IANA name such as Asia/Shanghai")
    if unit not in (None, "s", "ms"):
        raise ValueError(f"unit must be s or ms, not {unit!r}")
    per_second = 1000 if unit == "ms" else 1

    def convert(raw: Any, scope: MappingScope) -> datetime:
        if isinstance(raw, str) and not (unit and raw.strip().isdigit()):
            try:
                value = datetime.fromisoformat(raw)
            except ValueError:
                value = isoparse(raw)
            if value.tzinfo is None:
                if tz is None:
                    raise ValueError(
                        "no UTC offset: declare the platform's zone, e.g. zone: Asia/Shanghai"
                    )
                value = value.replace(tzinfo=tz)
            return value.astimezone(UTC)
        if unit is None:
            raise ValueError("expected ISO 8601 text; for unix time declare unit: s or ms")
        return _EPOCH + timedelta(milliseconds=_integer(raw) * 1000 // per_second)

    return convert


def total(*, field: str | None = None, each: str = "money", **each_args: Any) -> Converter:
    """The sum of a list: of each item's ``field``, converted by the ``each`` converter.

    Shopify's line discount is ``discount_allocations`` summed on ``amount``; an empty
    list sums to zero.

    >>> allocations = [{"amount": "3.34"}, {"amount": "1.00"}]
    >>> total(field="amount")(allocations, MappingScope({}, "USD"))
    Money('4.34', 'USD')
    """
    if each not in BUILTIN_CONVERTERS or each == "sum":
        raise ValueError(f"each must name a built-in converter, not {each!r}")
    item = BUILTIN_CONVERTERS[each](**each_args)
    read = getter(parse_path(field)) if field is not None else None

    def convert(raw: Any, scope: MappingScope) -> Any:
        if not isinstance(raw, list | tuple):
            raise TypeError(f"expected a list, got {type(raw).__name__}")
        result = None
        for index, element in enumerate(raw):
            value = element if read is None else read(element)
            if value is None:
                raise ValueError(f"item [{index}] has no {field}")
            value = item(value, scope)
            result = value if result is None else result + value
        return item(0, scope) if result is None else result

    return convert


BUILTIN_CONVERTERS: Final[Mapping[str, ConverterFactory]] = MappingProxyType(
    {
        "bool": boolean,
        "currency": currency,
        "decimal": decimal,
        "int": integer,
        "minor_units": minor_units,
        "money": money,
        "phone": phone,
        "str": text,
        "sum": total,
        "table": table,
        "timestamp": timestamp,
    }
)
"""The converters every field map can name; a host adds its own when compiling."""
