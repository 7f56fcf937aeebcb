"""Shopify order JSON to canonical orders: the shipped field map and its two converters.

The map is data, ``maps/shopify.json`` (MISSION C2). Its status table is keyed on
``"<financial_status>/<fulfillment_status>"``: the fulfillment part is ``unfulfilled``
when Shopify sends ``null``, and ``cancelled`` whenever ``cancelled_at`` is set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Final

from orderkit.channels._converters import BUILTIN_CONVERTERS, Converter, MappingScope, NoCurrency
from orderkit.channels._fieldmap import FieldMap
from orderkit.channels._fieldmapper import FieldMapper
from orderkit.channels._types import ChannelOrder
from orderkit.errors import MappingFailed, MappingProblem
from orderkit.money import Money, allocate

__all__ = ["STATUS_PATH", "ShopifyOrderMapper", "shopify_field_map", "status_key"]

STATUS_PATH: Final = "financial_status/fulfillment_status"
"""Where the mapper puts the combined status it derives, and where the map reads it."""

_sum_of_prices: Final = BUILTIN_CONVERTERS["sum"](field="price")


def status_key(payload: Mapping[str, Any]) -> str | None:
    """The status-table key of a Shopify order: financial and fulfillment status.

    >>> status_key({"financial_status": "paid", "fulfillment_status": None})
    'paid/unfulfilled'
    >>> status_key({"financial_status": "refunded", "cancelled_at": "2026-11-11T10:00:00Z"})
    'refunded/cancelled'
    """
    financial = payload.get("financial_status")
    if not isinstance(financial, str):
        return None
    if payload.get("cancelled_at") is not None:
        return f"{financial}/cancelled"
    return f"{financial}/{payload.get('fulfillment_status') or 'unfulfilled'}"


def line_tax() -> Converter:
    """A line's tax, read from the line object (path ``$``).

    The line's own ``tax_lines`` when it has them; otherwise (the older order shape) the
    order's ``tax_lines`` spread exactly over the lines by their amount after discounts.
    ``None`` when ``taxes_included`` is true: the tax is inside the prices already.
    """

    def convert(line: Any, scope: MappingScope) -> Money | None:
        order = scope.order
        if order.get("taxes_included") is True:
            return None
        if scope.currency is None:
            raise NoCurrency("the order's currency is unknown")
        own = line.get("tax_lines")
        if own is not None:
            try:
                result: Money = _sum_of_prices(own, scope)
            except ValueError as error:
                raise ValueError(f"tax_lines: {error}") from None
            return result
        order_tax: Money = _sum_of_prices(order.get("tax_lines") or [], scope)
        if not order_tax:
            return None
        items = order["line_items"]
        nets = [_net(item, scope.currency) for item in items]
        shares = allocate(order_tax, [net.amount for net in nets], keys=range(len(items)))
        return next(share for item, share in zip(items, shares, strict=True) if item is line)

    return convert


def _net(item: Mapping[str, Any], currency: str) -> Money:
    price = Money(item["price"], currency) * int(item["quantity"])
    discounts = item.get("discount_allocations") or []
    return price - sum((Money(d["amount"], currency) for d in discounts), Money.zero(currency))


def shipping() -> Converter:
    """The shipping fee: the sum of ``shipping_lines``, each after its own discounts
    (``discounted_price``) where the payload gives that, else its ``price``."""

    def convert(lines: Any, scope: MappingScope) -> Money:
        if scope.currency is None:
            raise NoCurrency("the order's currency is unknown")
        if not isinstance(lines, list):
            raise TypeError(f"expected a list, got {type(lines).__name__}")
        fee = Money.zero(scope.currency)
        for index, line in enumerate(lines):
            name = "discounted_price" if "discounted_price" in line else "price"
            if line.get(name) is None:
                raise ValueError(f"item [{index}] has no {name}")
            fee += Money(line[name], scope.currency)
        return fee

    return convert


CONVERTERS: Final = {"shopify_line_tax": line_tax, "shopify_shipping": shipping}


@cache
def shopify_field_map() -> FieldMap:
    """The shipped Shopify field map, ``orderkit/channels/maps/shopify.json``.

    >>> shopify_field_map().status.table["paid/fulfilled"]
    <OrderState.SHIPPED: 'shipped'>
    """
    text = resources.files("orderkit.channels").joinpath("maps/shopify.json").read_text()
    return FieldMap.from_json(text)


class ShopifyOrderMapper:
    """Maps a Shopify REST Admin API ``order`` object to a canonical order (MISSION C1, C2).

    ``field_map`` replaces the shipped map (its converters may name ``shopify_line_tax``
    and ``shopify_shipping``); the status is read from :data:`STATUS_PATH`, which the
    mapper derives with :func:`status_key`.

    >>> ShopifyOrderMapper()
    ShopifyOrderMapper(channel='shopify')
    """

    def __init__(self, field_map: FieldMap | None = None) -> None:
        self._mapper = FieldMapper(field_map or shopify_field_map(), CONVERTERS)
        self.channel: str = self._mapper.channel

    def __repr__(self) -> str:
        return f"ShopifyOrderMapper(channel={self.channel!r})"

    def map(self, payload: Mapping[str, Any]) -> ChannelOrder:
        """The order, its lifecycle state and the combined status, or ``MappingFailed``.

        A problem inside a list (a tax line without ``price``) names the item's field.
        """
        try:
            return self._mapper.map({**payload, STATUS_PATH: status_key(payload)})
        except MappingFailed as failed:
            raise MappingFailed(self.channel, [_item_path(p) for p in failed.problems]) from None


_ITEM: Final = re.compile(r"(?:(\w+): )?item \[(\d+)\] has no (\w+)")


def _item_path(problem: MappingProblem) -> MappingProblem:
    """The problem's path down to the item's field.

    ``line_items[0]`` with "tax_lines: item [1] has no price" becomes
    ``line_items[0].tax_lines[1].price``.
    """
    found = _ITEM.fullmatch(problem.message)
    if found is None:
        return problem
    inner, index, name = found.groups()
    path = f"{problem.path}.{inner}" if inner else problem.path
    return problem._replace(path=f"{path}[{index}].{name}")
