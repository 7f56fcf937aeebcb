"""Pinduoduo orders to canonical orders: the shipped field map and its mapper (C2)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Final

from orderkit.channels._fieldmap import FieldMap
from orderkit.channels._router_mapping import RouterOrderMapper

__all__ = ["STATUS_PATH", "PinduoduoOrderMapper", "pinduoduo_field_map"]

STATUS_PATH: Final = "order_status/refund_status"
"""Where :class:`PinduoduoOrderMapper` puts the status it derives, and the map reads it."""


@cache
def pinduoduo_field_map() -> FieldMap:
    """The shipped Pinduoduo order map, ``orderkit/channels/maps/pinduoduo.json`` (C2).

    >>> pinduoduo_field_map().status.table["2/1"]
    <OrderState.SHIPPED: 'shipped'>
    """
    path = resources.files("orderkit.channels").joinpath("maps/pinduoduo.json")
    return FieldMap.from_json(path.read_text("utf-8"))


class PinduoduoOrderMapper(RouterOrderMapper):
    """Maps a Pinduoduo order (``order_sn_list`` item or ``order_info``) (MISSION C1, C2).

    The status is read from :data:`STATUS_PATH`, ``"<order_status>/<refund_status>"``: 1
    to ship, 2 shipped, 3 signed; a refund status of 4 (refunded) closes the order. Times are
    GMT+8 text; amounts are yuan, and the order-level discount makes the total
    ``pay_amount`` exactly.

    >>> PinduoduoOrderMapper().derived({"order_status": 2, "refund_status": 1})
    {'order_status/refund_status': '2/1'}
    """

    def __init__(self, field_map: FieldMap | None = None) -> None:
        super().__init__(field_map or pinduoduo_field_map())

    def derived(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The :data:`STATUS_PATH` key, unset when either status is missing."""
        order, refund = payload.get("order_status"), payload.get("refund_status")
        return {STATUS_PATH: None if order is None or refund is None else f"{order}/{refund}"}
