"""TOP trades to canonical orders: the shipped field map and its mapper (MISSION C2)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from orderkit.channels._fieldmap import FieldMap
from orderkit.channels._router_mapping import RouterOrderMapper

__all__ = ["TaobaoOrderMapper", "taobao_field_map"]


@cache
def taobao_field_map() -> FieldMap:
    """The shipped TOP trade map, ``orderkit/channels/maps/taobao.json`` (MISSION C2).

    >>> taobao_field_map().status.table["WAIT_SELLER_SEND_GOODS"]
    <OrderState.PAID: 'paid'>
    """
    text = resources.files("orderkit.channels").joinpath("maps/taobao.json").read_text("utf-8")
    return FieldMap.from_json(text)


class TaobaoOrderMapper(RouterOrderMapper):
    """Maps a TOP ``trade`` to a canonical order (MISSION C1, C2).

    Times are GMT+8; the line discount is ``price × num - total_fee``; the order-level
    discount makes the total TOP's ``payment`` exactly. A trade is paid once it has a
    ``pay_time``: its ``alipay_no`` is then the payment (``@alipay_no`` in the map).

    >>> TaobaoOrderMapper()
    TaobaoOrderMapper(channel='taobao')
    """

    def __init__(self, field_map: FieldMap | None = None) -> None:
        super().__init__(field_map or taobao_field_map())

    def derived(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """``@alipay_no``: the Alipay trade number of a paid trade."""
        return {"@alipay_no": payload.get("alipay_no") if payload.get("pay_time") else None}
