"""What the Taobao (TOP) and Pinduoduo field maps share (MISSION C2, C6).

The converters of :data:`ROUTER_CONVERTERS` read a whole order or line (path ``$``):
the SKU among several codes, the discounts that make the total the amount paid, and a
mainland address from the platform's parts. :class:`RouterOrderMapper` compiles a map
with them and names, in each problem, the field a converter found wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from orderkit.channels._address import normalise_cn_address
from orderkit.channels._converters import Converter, ConverterFactory, MappingScope, NoCurrency
from orderkit.channels._fieldmap import FieldMap, getter, parse_path
from orderkit.channels._fieldmapper import FieldMapper
from orderkit.channels._types import ChannelOrder
from orderkit.errors import InvalidChannelInput, MappingFailed, MappingProblem
from orderkit.money import Money
from orderkit.order import Address

__all__ = [
    "ROUTER_CONVERTERS",
    "RouterOrderMapper",
    "cn_address",
    "first_of",
    "line_remainder",
    "paid_remainder",
]


def _reader(path: str) -> Callable[[Any], Any]:
    return getter(parse_path(path))


def _money(raw: Any, scope: MappingScope, path: str) -> Money:
    if scope.currency is None:
        raise NoCurrency("the order's currency is unknown")
    if raw is None:
        raise ValueError(f"{path}: required")
    try:
        return Money(raw, scope.currency)
    except (ValueError, TypeError, ArithmeticError) as error:
        raise ValueError(f"{path}: {error}") from None


def _quantity(raw: Any, path: str) -> int:
    try:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise TypeError("expected a whole number")
        return int(raw)
    except (ValueError, TypeError):
        raise ValueError(f"{path}: expected a whole number") from None


def first_of(*, fields: list[str]) -> Converter:
    """The first of ``fields`` (paths in the object) that is set and not empty, as text:
    a line's merchant SKU code, else the platform's own ids."""
    readers = [_reader(name) for name in fields]

    def convert(obj: Any, scope: MappingScope) -> str:
        for read in readers:
            value = read(obj)
            if value not in (None, ""):
                if isinstance(value, bool) or not isinstance(value, str | int):
                    raise ValueError(f"{fields[0]}: expected text")
                return str(value)
        raise ValueError(f"{fields[0]}: none of {', '.join(fields)} is set")

    return convert


def line_remainder(*, price: str, quantity: str, total: str) -> Converter:
    """A line's discount: price times quantity less the line's own total (TOP's
    ``total_fee`` holds item discounts and the seller's price adjustment)."""
    read_price, read_quantity, read_total = _reader(price), _reader(quantity), _reader(total)

    def convert(line: Any, scope: MappingScope) -> Money:
        gross = _money(read_price(line), scope, price) * _quantity(read_quantity(line), quantity)
        discount = gross - _money(read_total(line), scope, total)
        if discount < Money.zero(discount.currency):
            raise ValueError(f"{total}: exceeds {price} × {quantity} (a raised price)")
        return discount

    return convert


def paid_remainder(
    *, lines: str, price: str, quantity: str, shipping: str, paid: str, total: str | None = None
) -> Converter:
    """The order-level discount: the lines (their ``total``, else price times quantity)
    plus shipping, less what the buyer paid. It makes the order's total the platform's
    paid amount exactly; coupons and platform subsidies are only given as sums."""
    read_lines, read_shipping, read_paid = _reader(lines), _reader(shipping), _reader(paid)
    read_price, read_quantity = _reader(price), _reader(quantity)
    read_total = None if total is None else _reader(total)

    def line_due(item: Any, at: str, scope: MappingScope) -> Money:
        if read_total is not None:
            return _money(read_total(item), scope, f"{at}.{total}")
        unit = _money(read_price(item), scope, f"{at}.{price}")
        return unit * _quantity(read_quantity(item), f"{at}.{quantity}")

    def convert(order: Any, scope: MappingScope) -> Money:
        items = read_lines(order)
        if not isinstance(items, list) or not items:
            raise ValueError(f"{lines}: required")
        due = _money(read_shipping(order), scope, shipping)
        for index, item in enumerate(items):
            due += line_due(item, f"{lines}[{index}]", scope)
        discount = due - _money(read_paid(order), scope, paid)
        if discount < Money.zero(discount.currency):
            raise ValueError(f"{paid}: exceeds the lines plus {shipping} by {-discount}")
        return discount

    return convert


_ADDRESS_PARTS: Final = ("street", "recipient", "phone", "postal_code")


def cn_address(*, province: str, city: str, district: str, **parts: str) -> Converter:
    """A mainland address from the platform's own parts, the region names normalised as
    :func:`~orderkit.channels.normalise_cn_address` writes them (``浙江省`` is ``浙江``);
    names it does not know stay as sent. ``parts`` names the street, recipient, phone and
    postal code paths; the values are kept as opaque text, masked or encrypted ones too."""
    unknown = sorted(set(parts) - set(_ADDRESS_PARTS))
    if unknown:
        raise ValueError(f"unknown address parts {unknown}; known: {', '.join(_ADDRESS_PARTS)}")
    regions = {"province": province, "city": city, "district": district}
    paths = {**regions, **parts}
    readers = {name: _reader(path) for name, path in paths.items()}

    def convert(order: Any, scope: MappingScope) -> Address:
        found = {name: _text(read(order), paths[name]) for name, read in readers.items()}
        for name in ("province", "city"):
            if not found[name]:
                raise ValueError(f"{paths[name]}: required")
        try:
            key = normalise_cn_address("".join(found[name] or "" for name in regions))
            found.update(province=key.province, city=key.city, district=key.district)
        except InvalidChannelInput:
            pass
        return Address(country="CN", **found)

    return convert


def _text(raw: Any, path: str) -> str | None:
    if isinstance(raw, str):
        return raw.strip() or None
    if raw is None:
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    raise ValueError(f"{path}: expected text, got {type(raw).__name__}")


ROUTER_CONVERTERS: Final[Mapping[str, ConverterFactory]] = {
    "cn_address": cn_address,
    "first_of": first_of,
    "line_remainder": line_remainder,
    "paid_remainder": paid_remainder,
}
"""The converters the Taobao and Pinduoduo field maps name besides the built-in ones."""


class RouterOrderMapper:
    """A field map compiled with :data:`ROUTER_CONVERTERS`, read from the payload plus the
    fields :meth:`derived` adds (named ``@...``, so none hides a platform field)."""

    def __init__(self, field_map: FieldMap) -> None:
        self._mapper = FieldMapper(field_map, ROUTER_CONVERTERS)
        self.channel: str = self._mapper.channel

    def __repr__(self) -> str:
        return f"{type(self).__name__}(channel={self.channel!r})"

    def derived(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Fields computed from the payload for the map to read; none by default."""
        return {}

    def map(self, payload: Mapping[str, Any]) -> ChannelOrder:
        """The order, its lifecycle state and the raw status, or ``MappingFailed``.

        A converter reading the whole order or line (path ``$``) names the field it
        found wrong: the problem's path goes down to that field.
        """
        try:
            return self._mapper.map({**payload, **self.derived(payload)})
        except MappingFailed as failed:
            problems = [_down_to_field(problem) for problem in failed.problems]
            raise MappingFailed(self.channel, problems) from None


_FIELD_MESSAGE: Final = re.compile(r"([A-Za-z_@][\w@/]*(?:\.[\w@/]+|\[\d+\])*): (.+)", re.S)
_WHOLE: Final = re.compile(r"\$|.*\[\d+\]")
"""The path of a ``$`` spec: the order itself, or one item of a list."""


def _down_to_field(problem: MappingProblem) -> MappingProblem:
    """``$`` with "receiver_state: required" becomes ``receiver_state``, "required";
    ``orders.order[1]`` with "total_fee: ..." becomes ``orders.order[1].total_fee``."""
    found = _FIELD_MESSAGE.fullmatch(problem.message)
    if found is None or _WHOLE.fullmatch(problem.path) is None:
        return problem
    field, message = found.groups()
    path = field if problem.path == "$" else f"{problem.path}.{field}"
    return problem._replace(path=path, message=message)
