"""Which spreadsheet columns hold which order fields, and the field map built from it (C8)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Self

from dateutil.tz import gettz
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from orderkit.channels._address import normalise_cn_address
from orderkit.channels._converters import Converter, MappingScope
from orderkit.channels._fieldmap import FieldMap, MappingConfig
from orderkit.lifecycle import OrderState
from orderkit.order import Address

__all__ = ["CONVERTERS", "LINE_FIELDS", "ORDER_FIELDS", "PERSONAL", "CsvColumns", "CsvExport"]

ORDER_FIELDS: Final = (
    "order_id",
    "channel",
    "created_at",
    "currency",
    "buyer_name",
    "buyer_phone",
    "address",
    "status",
)
"""The columns that describe the whole order: every row of one order must agree on them."""
LINE_FIELDS: Final = ("sku", "title", "quantity", "unit_price", "discount")
PERSONAL: Final = frozenset({"buyer_name", "buyer_phone", "address"})
_CHANNEL: Final = r"^[a-z0-9][a-z0-9_.-]*$"


class CsvColumns(BaseModel):
    """The header name of each column; leave out the columns an export does not have.

    ``discount`` is the line's total discount, ``address`` a one-line mainland China
    address (split into province, city and district).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    order_id: str
    created_at: str
    sku: str
    quantity: str
    unit_price: str
    status: str
    channel: str | None = None
    currency: str | None = None
    title: str | None = None
    discount: str | None = None
    buyer_name: str | None = None
    buyer_phone: str | None = None
    address: str | None = None

    def named(self) -> dict[str, str]:
        """Field name to header name, for the columns given."""
        return {name: header for name, header in self if header is not None}


def cn_address() -> Converter:
    """A one-line mainland China address as an :class:`~orderkit.order.Address` (C6)."""

    def convert(raw: Any, scope: MappingScope) -> Address:
        if not isinstance(raw, str):
            raise TypeError(f"expected text, got {type(raw).__name__}")
        return normalise_cn_address(raw).to_address()

    return convert


CONVERTERS: Final = {"cn_address": cn_address}


class CsvExport(MappingConfig):
    """How to read one backend's spreadsheet export of orders: one row per line.

    The channel and the currency come from a column or are the same for the whole file
    (give exactly one of each). Naive times are read in ``zone``; ``statuses`` maps the
    status column's values to lifecycle states.

    >>> export = CsvExport.from_dict({
    ...     "channel": "erp-a", "currency": "CNY",
    ...     "columns": {"order_id": "订单号", "created_at": "下单时间", "sku": "商家编码",
    ...                 "quantity": "数量", "unit_price": "单价", "status": "状态"},
    ...     "statuses": {"已付款": "paid", "已发货": "shipped"},
    ... })
    >>> export.field_map("erp-a").status.table["已发货"]
    <OrderState.SHIPPED: 'shipped'>
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    columns: CsvColumns
    statuses: dict[str, OrderState] = Field(min_length=1)
    channel: str | None = Field(default=None, pattern=_CHANNEL, max_length=64)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    zone: str = "Asia/Shanghai"
    delimiter: str = Field(default=",", min_length=1, max_length=1)

    @field_validator("zone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        if gettz(zone) is None:
            raise ValueError(f"unknown time zone {zone!r}: use an IANA name such as Asia/Shanghai")
        return zone

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        for name in ("channel", "currency"):
            if (getattr(self, name) is None) == (getattr(self.columns, name) is None):
                raise ValueError(f"give {name} or columns.{name}, exactly one of them")
        return self

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CsvExport:
        """Validate a config given as plain data; every problem is reported at once.

        The same as :meth:`load`; :meth:`from_json` and :meth:`from_yaml` read text.
        """
        return cls.load(data)

    def field_map(self, channel: str) -> FieldMap:
        """The field map of one order grouped from its rows (see ``read_csv``)."""

        def path(name: str, **spec: Any) -> dict[str, Any]:
            return {"path": name, **spec}

        return FieldMap.load(
            {
                "channel": channel,
                "order": {
                    "order_id": path("order_id"),
                    "external_id": path("order_id"),
                    "created_at": path("created_at", args={"zone": self.zone}),
                    "currency": path("currency"),
                    "customer": {
                        "name": path("buyer_name", default=None),
                        "phone": path("buyer_phone", convert="phone", default=None),
                    },
                    "shipping_address": path("address", convert="cn_address", default=None),
                },
                "lines": {
                    "path": "lines",
                    "fields": {
                        "line_id": path("line_id"),
                        "sku": path("sku"),
                        "title": path("title", default=""),
                        "quantity": path("quantity"),
                        "unit_price": path("unit_price"),
                        "discount": path("discount", default=None),
                    },
                },
                "status": {"path": "status", "table": dict(self.statuses)},
            }
        )
