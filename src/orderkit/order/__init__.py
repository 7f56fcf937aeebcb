"""The canonical order: frozen pydantic models that every channel payload maps to.

:class:`Order` holds its :class:`OrderLine` items, the :class:`Customer`, the shipping
:class:`Address`, :class:`Payment` records and :class:`Shipment` records (each with one
or more :class:`Package`), plus a :class:`ChannelRef` that recognises the same order
arriving from two exports. JSON round-trips exactly; :func:`order_json_schema` is the
published schema.

.. versionadded:: 0.1
"""

from orderkit.order._order import Order, order_json_schema
from orderkit.order._parts import (
    Address,
    ChannelRef,
    Customer,
    OrderLine,
    Package,
    PackageItem,
    Payment,
    Shipment,
)
from orderkit.order._types import Amount, NonEmptyStr, Quantity

__all__ = [
    "Address",
    "Amount",
    "ChannelRef",
    "Customer",
    "NonEmptyStr",
    "Order",
    "OrderLine",
    "Package",
    "PackageItem",
    "Payment",
    "Quantity",
    "Shipment",
    "order_json_schema",
]
