"""The declarative field map (MISSION C2): which payload path feeds which canonical field.

A :class:`FieldMap` is plain data, validated by pydantic; :class:`FieldMapper` compiles
it. Paths are dotted with list indices (``customer.default_address.phone``,
``line_items[0].sku``); ``$`` is the object itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Final, Self, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from orderkit._loading import Loadable
from orderkit.errors import FieldMapInvalid, FieldMapProblem
from orderkit.lifecycle import OrderState

__all__ = [
    "AddressFields",
    "AddressSection",
    "CustomerFields",
    "CustomerSection",
    "FieldMap",
    "FieldSpec",
    "LineFields",
    "LinesSection",
    "MappingConfig",
    "OrderFields",
    "PaymentFields",
    "PaymentsSection",
    "StatusSection",
    "getter",
    "parse_path",
]

Step: TypeAlias = str | int
_STEP: Final = re.compile(r"([^.\[\]\s]+)((?:\[\d+\])*)")
_INDEX: Final = re.compile(r"\[(\d+)\]")


def parse_path(text: str) -> tuple[Step, ...]:
    """The steps of a dotted path; ``$`` (the object itself) has none.

    >>> parse_path("line_items[0].discount_allocations[1].amount")
    ('line_items', 0, 'discount_allocations', 1, 'amount')
    """
    if text == "$":
        return ()
    steps: list[Step] = []
    for part in text.split("."):
        match = _STEP.fullmatch(part)
        if match is None:
            raise ValueError(
                f"bad path {text!r}: write dotted names with list indices, "
                "e.g. customer.default_address.phone or line_items[0].sku, or $"
            )
        steps.append(match[1])
        steps.extend(int(index) for index in _INDEX.findall(match[2]))
    return tuple(steps)


def getter(steps: tuple[Step, ...]) -> Callable[[Any], Any]:
    """A function reading ``steps`` from an object; ``None`` where anything is missing.

    >>> read = getter(parse_path("customer.phone"))
    >>> read({"customer": {"phone": "13800138000"}}), read({"customer": None})
    ('13800138000', None)
    """
    if not steps:
        return lambda obj: obj
    if len(steps) == 1 and isinstance(key := steps[0], str):

        def get_key(obj: Any) -> Any:
            if type(obj) is dict:
                return obj.get(key)
            try:
                return obj[key]
            except (KeyError, TypeError, IndexError):
                return None

        return get_key
    if len(steps) == 2:
        first, second = steps

        def get_pair(obj: Any) -> Any:
            try:
                return obj[first][second]
            except (KeyError, TypeError, IndexError):
                return None

        return get_pair

    def get(obj: Any) -> Any:
        try:
            for step in steps:
                obj = obj[step]
        except (KeyError, TypeError, IndexError):
            return None
        return obj

    return get


def _checked(path: str) -> str:
    parse_path(path)
    return path


PathText: TypeAlias = Annotated[str, AfterValidator(_checked)]
Scalar: TypeAlias = str | int | bool


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldSpec(_Spec):
    """Where one canonical field comes from and how its raw value converts.

    Give ``path`` (relative to the order, or to the line or payment for those sections)
    or a constant ``const``. ``convert`` names a converter (the field's usual one when
    left out) and ``args`` are its arguments. A missing or ``null`` value is a problem
    unless ``default`` is declared: ``default: null`` leaves the canonical field unset,
    any other default is converted like a found value. ``pii`` masks the raw value in
    problems.

    >>> spec = FieldSpec(path="created_time", convert="timestamp", args={"zone": "Asia/Shanghai"})
    >>> spec.has_default, spec.pii
    (False, False)
    """

    path: PathText | None = None
    const: Scalar | None = None
    convert: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    default: Scalar | None = None
    pii: bool = False

    @model_validator(mode="after")
    def _source(self) -> Self:
        if (self.path is None) == (self.const is None):
            raise ValueError("give exactly one of path or const")
        return self

    @property
    def has_default(self) -> bool:
        """Whether the map declared a default for a missing value."""
        return "default" in self.model_fields_set


def _spec_or_fields(value: Any) -> str:
    is_spec = isinstance(value, FieldSpec) or (
        isinstance(value, Mapping) and ("path" in value or "const" in value)
    )
    return "spec" if is_spec else "fields"


class CustomerFields(_Spec):
    """The buyer, field by field; every field is optional."""

    customer_id: FieldSpec | None = None
    name: FieldSpec | None = None
    email: FieldSpec | None = None
    phone: FieldSpec | None = None
    tier: FieldSpec | None = None


class AddressFields(_Spec):
    """The shipping address, field by field; ``country`` (ISO 3166-1 alpha-2) is required."""

    country: FieldSpec
    province: FieldSpec | None = None
    city: FieldSpec | None = None
    district: FieldSpec | None = None
    street: FieldSpec | None = None
    postal_code: FieldSpec | None = None
    recipient: FieldSpec | None = None
    phone: FieldSpec | None = None


CustomerSection: TypeAlias = Annotated[
    Annotated[FieldSpec, Tag("spec")] | Annotated[CustomerFields, Tag("fields")],
    Discriminator(_spec_or_fields),
]
"""The customer field by field, or one spec whose converter builds the whole customer."""

AddressSection: TypeAlias = Annotated[
    Annotated[FieldSpec, Tag("spec")] | Annotated[AddressFields, Tag("fields")],
    Discriminator(_spec_or_fields),
]
"""The address field by field, or one spec whose converter (a normaliser) builds it whole."""


class OrderFields(_Spec):
    """The order's own fields, paths relative to the order object."""

    order_id: FieldSpec
    external_id: FieldSpec
    created_at: FieldSpec
    currency: FieldSpec
    customer: CustomerSection | None = None
    shipping_address: AddressSection | None = None
    shipping_fee: FieldSpec | None = None
    note: FieldSpec | None = None
    is_test: FieldSpec | None = None
    metadata: dict[str, FieldSpec] = Field(default_factory=dict)


class LineFields(_Spec):
    """One line's fields, paths relative to the line item."""

    line_id: FieldSpec
    sku: FieldSpec
    quantity: FieldSpec
    unit_price: FieldSpec
    title: FieldSpec | None = None
    discount: FieldSpec | None = None
    tax: FieldSpec | None = None
    is_gift: FieldSpec | None = None


class LinesSection(_Spec):
    """The list of line items and each line's fields.

    ``order_discount`` (relative to the order) is a discount the platform gives only
    for the whole order; it is spread over the lines exactly, by each line's amount
    after its own discount, and never beyond it.
    """

    path: PathText
    fields: LineFields
    order_discount: FieldSpec | None = None


class PaymentFields(_Spec):
    """One payment's fields."""

    payment_id: FieldSpec
    method: FieldSpec
    amount: FieldSpec
    paid_at: FieldSpec


class PaymentsSection(_Spec):
    """Captured payments: a list at ``path``, or one payment read from the order itself.

    With no ``path`` and ``optional: true``, an order whose payment id is missing or
    empty (not paid yet) has no payment.
    """

    path: PathText | None = None
    optional: bool = False
    fields: PaymentFields


class StatusSection(_Spec):
    """The platform's status at ``path`` and its table of raw value to lifecycle state."""

    path: PathText
    table: dict[str, OrderState] = Field(min_length=1)

    @field_validator("table", mode="before")
    @classmethod
    def _text_keys(cls, table: Any) -> Any:
        if isinstance(table, Mapping):
            return {str(key): value for key, value in table.items()}
        return table


class MappingConfig(Loadable):
    """A mapping configuration whose problems are reported as :class:`FieldMapInvalid`."""

    @classmethod
    def _refused(cls, invalid: ValidationError, data: Mapping[str, Any]) -> Exception:
        return FieldMapInvalid(
            [FieldMapProblem(_dotted(e["loc"]), _message(e["msg"])) for e in invalid.errors()]
        )

    @classmethod
    def _unparsable(cls, reason: str) -> Exception:
        return FieldMapInvalid([FieldMapProblem("", reason)])


class FieldMap(_Spec, MappingConfig):
    """How one platform's order payload becomes a canonical order and its state (C2).

    >>> field_map = FieldMap.load({
    ...     "channel": "demo",
    ...     "order": {
    ...         "order_id": {"path": "no"}, "external_id": {"path": "id"},
    ...         "created_at": {"path": "at"}, "currency": {"const": "CNY"},
    ...     },
    ...     "lines": {"path": "items", "fields": {
    ...         "line_id": {"path": "id"}, "sku": {"path": "sku"},
    ...         "quantity": {"path": "qty"}, "unit_price": {"path": "price"},
    ...     }},
    ...     "status": {"path": "status", "table": {"1": "pending_payment", "2": "paid"}},
    ... })
    >>> field_map.status.table["2"]
    <OrderState.PAID: 'paid'>
    """

    channel: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)
    order: OrderFields
    lines: LinesSection
    payments: PaymentsSection | None = None
    status: StatusSection


_SECTIONS: Final = frozenset({"customer", "shipping_address"})


def _dotted(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as a dotted path, without the union tags it passes through."""
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1] += f"[{part}]"
        elif part not in ("spec", "fields") or not parts or parts[-1] not in _SECTIONS:
            parts.append(part)
    return ".".join(parts)


def _message(msg: str) -> str:
    return msg.removeprefix("Value error, ")
