"""orderkit: typed, embeddable order domain logic.

The top level re-exports the names most host code needs; each capability lives in its
own subpackage (:mod:`orderkit.money`, :mod:`orderkit.order`, :mod:`orderkit.events`,
:mod:`orderkit.clock`, :mod:`orderkit.errors`, :mod:`orderkit.testing`).

>>> from orderkit import Money, allocate
>>> allocate(Money("100.00", "CNY"), {"a": 2, "b": 1})
{'a': Money('66.67', 'CNY'), 'b': Money('33.33', 'CNY')}
"""

from importlib.metadata import version as _version

from orderkit.clock import Clock, SystemClock
from orderkit.errors import CurrencyMismatch, OrderkitError
from orderkit.events import Event, EventBus, EventType, InProcessBus
from orderkit.money import Money, Rounding, allocate, allocate_capped
from orderkit.order import (
    Address,
    ChannelRef,
    Customer,
    Order,
    OrderLine,
    Package,
    PackageItem,
    Payment,
    Shipment,
)

__version__ = _version("orderkit")

__all__ = [
    "Address",
    "ChannelRef",
    "Clock",
    "CurrencyMismatch",
    "Customer",
    "Event",
    "EventBus",
    "EventType",
    "InProcessBus",
    "Money",
    "Order",
    "OrderLine",
    "OrderkitError",
    "Package",
    "PackageItem",
    "Payment",
    "Rounding",
    "Shipment",
    "SystemClock",
    "__version__",
    "allocate",
    "allocate_capped",
]
