"""A :class:`FieldMap` compiled once into tuples and closures, then applied per payload."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Final, NamedTuple

from pydantic import BaseModel, ValidationError

from orderkit.channels._converters import (
    BUILTIN_CONVERTERS,
    ConverterFactory,
    MappingScope,
    NoCurrency,
    text,
)
from orderkit.channels._fieldmap import FieldMap, FieldSpec, getter, parse_path
from orderkit.channels._types import ChannelOrder
from orderkit.errors import FieldMapInvalid, FieldMapProblem, MappingFailed, MappingProblem
from orderkit.lifecycle import OrderState
from orderkit.money import Money, allocate_capped
from orderkit.order import Address, ChannelRef, Customer, Order, OrderLine, Payment

__all__ = ["FieldMapper"]

_REQUIRED: Final = object()
_MISSING: Final = "<missing>"
_MASKED: Final = "<masked>"
_PERSONAL: Final = frozenset({"name", "email", "phone", "street", "recipient"})
_USUAL: Final = {
    "created_at": "timestamp",
    "paid_at": "timestamp",
    "currency": "currency",
    "shipping_fee": "money",
    "unit_price": "money",
    "discount": "money",
    "tax": "money",
    "amount": "money",
    "order_discount": "money",
    "quantity": "int",
    "is_test": "bool",
    "is_gift": "bool",
}
_APART: Final = ("currency", "customer", "shipping_address")
"""The order's fields compiled on their own: the currency goes first, parts are models."""
_CONVERTED = (ValueError, TypeError, ArithmeticError, LookupError)
_TEXT: Final = text()
"""The built-in ``str`` converter; it returns text unchanged, so text is not passed to it."""


class _Field(NamedTuple):
    target: str
    key: str | None
    """The path's only step, when it is a key: read with ``dict.get`` from a dict."""
    get: Callable[[Any], Any]
    convert: Callable[[Any, MappingScope], Any]
    default: object
    pii: bool
    where: str


_Fields = tuple[_Field, ...]


class _Payments(NamedTuple):
    """A list of payments at ``where``, or (``get`` is ``None``) one read from the order."""

    where: str
    get: Callable[[Any], Any] | None
    optional: bool
    fields: _Fields


class _Part(NamedTuple):
    """A model built from fields, or from one field whose converter builds it whole."""

    model: type[BaseModel]
    fields: _Fields
    whole: bool


def _shown(raw: Any, pii: bool) -> str:
    if pii:
        return _MASKED
    if isinstance(raw, Mapping | list | tuple):
        return f"<{type(raw).__name__} of {len(raw)}>"
    text = f"{raw:f}" if isinstance(raw, Decimal) else str(raw)
    return text if len(text) <= 80 else text[:79] + "…"


def _at(prefix: str, index: int | None, where: str) -> str:
    base = prefix if index is None else f"{prefix}[{index}]"
    return f"{base}.{where}" if base and where != "$" else base or where


def _problem(path: str, raw: Any, error: BaseException, pii: bool) -> MappingProblem:
    message = str(error) or type(error).__name__
    if pii and isinstance(raw, str | int | Decimal) and (secret := _shown(raw, False)):
        message = message.replace(secret, _MASKED)
    return MappingProblem(path, _shown(raw, pii), message)


def _collect(
    fields: _Fields,
    obj: Any,
    scope: MappingScope,
    problems: list[MappingProblem],
    prefix: str = "",
    index: int | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    is_dict = type(obj) is dict
    for target, key, get, convert, default, pii, where in fields:
        raw = obj.get(key) if is_dict and key is not None else get(obj)
        if raw is None:
            if default is _REQUIRED:
                problems.append(MappingProblem(_at(prefix, index, where), _MISSING, "required"))
                continue
            if default is None:
                continue
            raw = default
        if convert is _TEXT and type(raw) is str:
            values[target] = raw
            continue
        try:
            values[target] = convert(raw, scope)
        except NoCurrency:
            pass
        except _CONVERTED as error:
            problems.append(_problem(_at(prefix, index, where), raw, error, pii))
    return values


def _build(
    model: type[BaseModel],
    values: dict[str, Any],
    fields: _Fields,
    obj: Any,
    problems: list[MappingProblem],
    prefix: str = "",
    index: int | None = None,
) -> Any:
    try:
        return model(**values)
    except ValidationError as invalid:
        by_target = {field.target: field for field in fields}
        for error in invalid.errors():
            message = error["msg"].removeprefix("Value error, ")
            field = by_target.get(str(error["loc"][0])) if error["loc"] else None
            if field is None:
                problems.append(MappingProblem(_at(prefix, index, "$"), "<object>", message))
            else:
                raw = field.get(obj)
                path = _at(prefix, index, field.where)
                problems.append(MappingProblem(path, _shown(raw, field.pii), message))
        return None


class _Compiler:
    """Turns the map's specs into :class:`_Field` tuples, noting every problem."""

    def __init__(self, converters: Mapping[str, ConverterFactory]) -> None:
        self.converters = converters
        self.problems: list[FieldMapProblem] = []

    def field(self, target: str, spec: FieldSpec, at: str, *, pii: bool = False) -> _Field:
        name = spec.convert or _USUAL.get(target, "str")
        convert = self._converter(name, spec.args, at)
        key = None
        if spec.path is not None:
            steps = parse_path(spec.path)
            if len(steps) == 1 and isinstance(steps[0], str):
                key = steps[0]
            get = getter(steps)
            where = spec.path
        else:
            get = _constant(spec.const)
            where = f"({at}.const)"
        default = spec.default if spec.has_default else _REQUIRED
        pii = pii or spec.pii or target in _PERSONAL
        return _Field(target, key, get, convert, default, pii, where)

    def _converter(
        self, name: str, args: Mapping[str, Any], at: str
    ) -> Callable[[Any, MappingScope], Any]:
        factory = self.converters.get(name)
        if factory is None:
            known = ", ".join(sorted(self.converters))
            self.problems.append(
                FieldMapProblem(f"{at}.convert", f"unknown converter {name!r}; known: {known}")
            )
        else:
            try:
                return factory(**args)
            except _CONVERTED as error:
                self.problems.append(FieldMapProblem(f"{at}.args", f"{name}: {error}"))
        return _unusable

    def fields(self, section: BaseModel, at: str, *, apart: tuple[str, ...] = ()) -> _Fields:
        """The section's fields but those ``apart`` (compiled on their own)."""
        return tuple(
            self.field(name, spec, f"{at}.{name}")
            for name, spec in section
            if isinstance(spec, FieldSpec) and name not in apart
        )

    def part(self, model: type[BaseModel], section: BaseModel | None, at: str) -> _Part | None:
        if section is None:
            return None
        if not isinstance(section, FieldSpec):
            return _Part(model, self.fields(section, at), whole=False)
        if section.convert is None:
            self.problems.append(
                FieldMapProblem(f"{at}.convert", f"name the converter that builds the {at}")
            )
        return _Part(model, (self.field(at, section, at, pii=True),), whole=True)


def _net(line: dict[str, Any]) -> Money:
    """The line's amount after its own discount."""
    gross: Money = line["unit_price"] * line["quantity"]
    return gross - line["discount"] if "discount" in line else gross


def _constant(value: Any) -> Callable[[Any], Any]:
    return lambda obj: value


def _unusable(raw: Any, scope: MappingScope) -> Any:
    raise AssertionError("a field map with problems never compiles")  # pragma: no cover


class FieldMapper:
    """A :class:`FieldMap` compiled for speed: ``map(payload)`` gives a ``ChannelOrder``.

    ``converters`` adds host converters by name (or replaces built-in ones), e.g. an
    address normaliser. Every problem of the map, such as an unknown converter or bad
    converter arguments, raises :class:`~orderkit.errors.FieldMapInvalid` here, at once.
    Mapping collects every problem of a payload before raising
    :class:`~orderkit.errors.MappingFailed`; raw personal data is masked in it.
    """

    def __init__(
        self, field_map: FieldMap, converters: Mapping[str, ConverterFactory] | None = None
    ) -> None:
        self.field_map = field_map
        self.channel: str = field_map.channel
        build = _Compiler({**BUILTIN_CONVERTERS, **(converters or {})})
        order = field_map.order
        self._currency = (build.field("currency", order.currency, "order.currency"),)
        self._order = build.fields(order, "order", apart=_APART)
        self._order_and_currency = (*self._order, *self._currency)
        customer = build.part(Customer, order.customer, "order.customer")
        address = build.part(Address, order.shipping_address, "order.shipping_address")
        self._parts = tuple(
            (target, part)
            for target, part in (("customer", customer), ("shipping_address", address))
            if part is not None
        )
        self._metadata = tuple(
            build.field(key, spec, f"order.metadata.{key}") for key, spec in order.metadata.items()
        )
        lines = field_map.lines
        self._lines_where = lines.path
        self._lines_get = getter(parse_path(lines.path))
        self._line = build.fields(lines.fields, "lines.fields")
        self._discount: _Fields = (
            (build.field("order_discount", lines.order_discount, "lines.order_discount"),)
            if lines.order_discount is not None
            else ()
        )
        payments = field_map.payments
        self._payments: _Payments | None = None
        if payments is not None:
            self._payments = _Payments(
                payments.path or "",
                getter(parse_path(payments.path)) if payments.path is not None else None,
                payments.optional,
                build.fields(payments.fields, "payments.fields"),
            )
        status = field_map.status
        self._status = (status.path, getter(parse_path(status.path)), dict(status.table))
        self._status_known = ", ".join(sorted(status.table))
        if build.problems:
            raise FieldMapInvalid(build.problems)

    def __repr__(self) -> str:
        return f"FieldMapper(channel={self.channel!r})"

    def map(self, payload: Mapping[str, Any]) -> ChannelOrder:
        """The canonical order, its state and the raw status, or ``MappingFailed``."""
        problems: list[MappingProblem] = []
        code = _collect(self._currency, payload, MappingScope(payload, None), problems)
        scope = MappingScope(payload, code.get("currency"))
        values = _collect(self._order, payload, scope, problems)
        values["currency"] = scope.currency
        if self._metadata:
            values["metadata"] = _collect(self._metadata, payload, scope, problems)
        parts = [
            (target, part, _collect(part.fields, payload, scope, problems))
            for target, part in self._parts
        ]
        lines = self._line_values(payload, scope, problems)
        payments = self._payment_values(payload, scope, problems)
        state, raw_status = self._state(payload, problems)
        if problems:
            raise MappingFailed(self.channel, problems)
        built = [
            _build(OrderLine, line, self._line, item, problems, self._lines_where, i)
            for i, (item, line) in enumerate(lines)
        ]
        values["lines"] = tuple(built)
        if self._payments is not None:
            where, _, _, fields = self._payments
            values["payments"] = tuple(
                _build(Payment, payment, fields, item, problems, where, i)
                for item, payment, i in payments
            )
        for target, part, found in parts:
            if (value := self._part(part, found, payload, problems)) is not None:
                values[target] = value
        external_id = values.pop("external_id")
        values["channel"] = _build(
            ChannelRef,
            {"channel": self.channel, "external_id": external_id},
            self._order,
            payload,
            problems,
        )
        if problems:
            raise MappingFailed(self.channel, problems)
        order = _build(Order, values, self._order_and_currency, payload, problems)
        if problems:
            raise MappingFailed(self.channel, problems)
        return ChannelOrder(order, state, raw_status)

    def _line_values(
        self, payload: Mapping[str, Any], scope: MappingScope, problems: list[MappingProblem]
    ) -> list[tuple[Any, dict[str, Any]]]:
        items = self._lines_get(payload)
        if not isinstance(items, list | tuple) or not items:
            message = "required" if items is None else "expected a non-empty list of line items"
            raw = _MISSING if items is None else _shown(items, False)
            problems.append(MappingProblem(self._lines_where, raw, message))
            return []
        before = len(problems)
        prefix = self._lines_where
        lines = [
            (item, _collect(self._line, item, scope, problems, prefix, i))
            for i, item in enumerate(items)
        ]
        if self._discount and len(problems) == before:
            self._spread(payload, scope, [line for _, line in lines], problems)
        return lines

    def _spread(
        self,
        payload: Mapping[str, Any],
        scope: MappingScope,
        lines: list[dict[str, Any]],
        problems: list[MappingProblem],
    ) -> None:
        """Spread the order-level discount over the lines, capped at each line's net."""
        found = _collect(self._discount, payload, scope, problems)
        discount = found.get("order_discount")
        if not discount:
            return
        try:
            zero = Money.zero(discount.currency)
            nets = [max(_net(line), zero) for line in lines]
            shares = allocate_capped(discount, nets, nets, keys=list(range(len(lines))))
        except _CONVERTED as error:
            problems.append(_problem(self._discount[0].where, discount, error, False))
            return
        for line, share in zip(lines, shares, strict=True):
            if "discount" in line:
                line["discount"] += share
            elif share:
                line["discount"] = share

    def _payment_values(
        self, payload: Mapping[str, Any], scope: MappingScope, problems: list[MappingProblem]
    ) -> list[tuple[Any, dict[str, Any], int | None]]:
        """Each payment's object, its values and its index in the list (``None``: no list)."""
        if self._payments is None:
            return []
        where, get, optional, fields = self._payments
        if get is None:
            if optional and fields[0].get(payload) in (None, ""):
                return []
            return [(payload, _collect(fields, payload, scope, problems), None)]
        items = get(payload)
        if not isinstance(items, list | tuple):
            raw = _MISSING if items is None else _shown(items, False)
            problems.append(MappingProblem(where, raw, "expected a list of payments"))
            return []
        return [
            (item, _collect(fields, item, scope, problems, where, i), i)
            for i, item in enumerate(items)
        ]

    def _state(
        self, payload: Mapping[str, Any], problems: list[MappingProblem]
    ) -> tuple[OrderState, str]:
        where, get, table = self._status
        raw = get(payload)
        if raw is None:
            problems.append(MappingProblem(where, _MISSING, "required"))
            return OrderState.PENDING_PAYMENT, ""
        text = _shown(raw, False)
        state = table.get(text)
        if state is None:
            problems.append(
                MappingProblem(
                    where, text, f"unknown status {text!r}; the table knows {self._status_known}"
                )
            )
            return OrderState.PENDING_PAYMENT, text
        return state, text

    def _part(
        self,
        part: _Part,
        found: dict[str, Any],
        payload: Mapping[str, Any],
        problems: list[MappingProblem],
    ) -> Any:
        if not part.whole:
            return _build(part.model, found, part.fields, payload, problems) if found else None
        (whole,) = part.fields
        value = found.get(whole.target)
        if value is None or isinstance(value, part.model):
            return value
        if isinstance(value, Mapping):
            fields = tuple(whole._replace(target=name) for name in value)
            return _build(part.model, dict(value), fields, payload, problems)
        problems.append(
            MappingProblem(
                whole.where,
                _MASKED,
                f"the converter returned {type(value).__name__}; expected "
                f"{part.model.__name__}, a mapping of its fields or null",
            )
        )
        return None
