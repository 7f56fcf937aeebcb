"""Pinduoduo, through the open platform's router (POP), as a channel adapter.

:class:`PinduoduoAdapter` is sans-I/O (MISSION C1): drive it with ``Channel(adapter,
httpx.Client())`` or ``AsyncChannel(adapter, httpx.AsyncClient())``. Every call is a
form POST to ``https://gw-api.pinduoduo.com/api/router`` with ``type`` (the API),
``client_id``, ``access_token``, ``timestamp`` (Unix seconds), ``data_type=JSON`` and
``version``, signed by :class:`~orderkit.channels.PddSigner` (upper-case MD5).

- Orders: ``pdd.order.number.list.increment.get`` over ``updated_at`` windows of at
  most 30 minutes, pages read from the last to the first as the platform requires. Not
  ``pdd.order.list.get``: that one filters on the confirm (成交) time, so it misses
  every later change (shipped, signed, refunded). One order with
  ``pdd.order.information.get``; both mapped by ``maps/pinduoduo.json`` (C2).
- Tracking (C4): ``pdd.logistics.online.send``. Pinduoduo documents no dedicated
  "already shipped" code (a refusal is a 50001 business error), so a refused send is
  checked against the order: already shipped or signed is
  :attr:`~orderkit.channels.PushStatus.ALREADY_DONE`.
- Stock (I2): ``pdd.goods.quantity.update`` with ``update_type=1`` (the full quantity).
- Errors (C3): 70031 and 52101 wait, 10019 (access_token expired) and 20032 need a new
  token, 50000, 50002, 52001, 52002, 52102, 52103 and 70033 are transient, the rest
  (50001 business errors included) permanent.

Receiver name, phone and street come encrypted; the map keeps only their masked forms
(``receiver_name_mask``, ``receiver_phone_mask``, ``address_mask``) and decrypts
nothing. Pinduoduo pushes messages over its own channel, not signed webhooks: there is
no webhook verifier.

.. versionadded:: 0.1
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import cache
from typing import Any, Final

import httpx
from attrs import field, frozen
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from orderkit.channels._exchange import Exchange
from orderkit.channels._pinduoduo_mapping import (
    STATUS_PATH,
    PinduoduoOrderMapper,
    pinduoduo_field_map,
)
from orderkit.channels._protocols import OrderMapper
from orderkit.channels._router import (
    ErrorTable,
    Gateway,
    ListingSku,
    gateway_error,
    page_after,
    page_number,
    resolve_listings,
    seconds_window,
)
from orderkit.channels._sign_pdd import PddSigner
from orderkit.channels._types import (
    ChannelOrder,
    Classification,
    ErrorKind,
    OrderPage,
    PushResult,
    PushStatus,
    StockLevel,
    SyncCursor,
    TrackingUpdate,
)
from orderkit.clock import Clock, SystemClock
from orderkit.errors import ChannelRequestFailed, InvalidChannelInput

__all__ = [
    "ERRORS",
    "ListingSku",
    "PinduoduoAdapter",
    "PinduoduoConfig",
    "PinduoduoOrderMapper",
    "SHIPPED_STATUSES",
    "STATUS_PATH",
    "pinduoduo_field_map",
]

CHANNEL: Final = "pinduoduo"
SHIPPED_STATUSES: Final = frozenset({"2", "3"})
"""``order_status`` values of an order that needs no shipping: 2 shipped, 3 signed."""

_ORDER_SN: Final = re.compile(r"\d{6,8}-\d{6,}")
_TRANSIENT = ErrorKind.TRANSIENT
ERRORS: Final = ErrorTable(
    codes={
        "70031": ErrorKind.RATE_LIMITED,
        "52101": ErrorKind.RATE_LIMITED,
        "10019": ErrorKind.AUTH_EXPIRED,
        "20032": ErrorKind.AUTH_EXPIRED,
        **dict.fromkeys(["50000", "50002", "52001", "52002", "52102", "52103"], _TRANSIENT),
        "70033": _TRANSIENT,
    },
    sub_codes={},
)
"""Pinduoduo's documented error codes (返回错误码说明) and their kinds."""


class PinduoduoConfig(BaseModel):
    """One shop's Pinduoduo connection: app credentials, access token, paging, stock.

    ``window`` is at most 30 minutes and ``page_size`` at most 100 (the platform's
    limits). ``carriers`` maps a carrier name to Pinduoduo's numeric ``logistics_id``
    (a carrier given as digits is sent as it is); ``listings`` maps each SKU to its
    goods (``goods_id``) and ``sku_id`` or ``outer_id``. Secrets never show in a repr.

    >>> PinduoduoConfig(client_id="c", client_secret="s", access_token="t").api_url
    'https://gw-api.pinduoduo.com/api/router'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    access_token: SecretStr
    api_url: str = Field(default="https://gw-api.pinduoduo.com/api/router", pattern=r"^https?://")
    api_version: str = Field(default="V1", min_length=1)
    window: timedelta = Field(
        default=timedelta(minutes=30), gt=timedelta(0), le=timedelta(minutes=30)
    )
    page_size: int = Field(default=100, ge=1, le=100)
    carriers: dict[str, int] = Field(default_factory=dict)
    listings: dict[str, ListingSku] = Field(default_factory=dict)


@cache
def _default_mapper() -> PinduoduoOrderMapper:
    return PinduoduoOrderMapper()


def _order_sn(external_id: str) -> str:
    if not (external_id.isascii() and _ORDER_SN.fullmatch(external_id)):
        raise InvalidChannelInput(
            f"a Pinduoduo order_sn looks like 231111-123456789012345, got {external_id!r}"
        )
    return external_id


@frozen
class PinduoduoAdapter:
    """Pinduoduo as a sans-I/O :class:`~orderkit.channels.Adapter`; the clock stamps calls.

    >>> adapter = PinduoduoAdapter(PinduoduoConfig(client_id="c", client_secret="s",
    ...                                            access_token="tok-9"))
    >>> adapter.channel, "tok-9" in repr(adapter)
    ('pinduoduo', False)
    """

    config: PinduoduoConfig
    mapper: OrderMapper = field(factory=_default_mapper)
    clock: Clock = field(factory=SystemClock, repr=False)
    channel: str = field(default=CHANNEL, init=False)
    _gateway: Gateway = field(init=False, repr=False)

    @_gateway.default
    def _connect(self) -> Gateway:
        config = self.config
        signer = PddSigner(
            config.client_id, config.client_secret.get_secret_value(), channel=self.channel
        )
        token = config.access_token.get_secret_value()
        return Gateway(self.channel, config.api_url, signer, token, self.clock, ERRORS)

    def _params(self, **business: object) -> dict[str, object]:
        return {"version": self.config.api_version, **business}

    def fetch_orders(self, cursor: SyncCursor) -> Exchange[OrderPage]:
        """One page of the orders updated in the cursor's window (Unix seconds), any
        shipping, after-sales and lucky-draw status."""
        size = self.config.window
        bounds = seconds_window(cursor, size)
        if bounds is None:
            return OrderPage((), cursor.after(None, size))
        params = self._params(
            start_updated_at=bounds[0],
            end_updated_at=bounds[1],
            order_status=5,
            refund_status=5,
            is_lucky_flag=0,
            page=page_number(cursor),
            page_size=self.config.page_size,
        )
        api, key = "pdd.order.number.list.increment.get", "order_sn_increment_get_response"
        answer = yield from self._gateway.call(api, params, key)
        total = int(answer.get("total_count") or 0)
        hand_over, after = page_after(cursor, total, self.config.page_size, size)
        if not hand_over:
            return OrderPage((), after)
        orders = answer.get("order_sn_list") or []
        return OrderPage(tuple(self.mapper.map(order) for order in orders), after)

    def fetch_order(self, external_id: str) -> Exchange[ChannelOrder]:
        """``pdd.order.information.get`` for one order, mapped."""
        answer = yield from self._order_info(_order_sn(external_id))
        return self.mapper.map(answer)

    def _order_info(self, order_sn: str) -> Exchange[Mapping[str, Any]]:
        params = self._params(order_sn=order_sn)
        api, key = "pdd.order.information.get", "order_info_get_response"
        answer = yield from self._gateway.call(api, params, key)
        info: Mapping[str, Any] = answer.get("order_info") or {}
        return info

    def push_tracking(self, update: TrackingUpdate) -> Exchange[PushResult]:
        """``pdd.logistics.online.send`` (C4) for the whole order: ``order_sn``, the
        carrier's ``logistics_id`` and ``tracking_number`` (the call ships orders, not
        lines). A permanent refusal of an order already shipped or signed is success."""
        if update.channel.channel != self.channel:
            raise InvalidChannelInput(f"a {update.channel.channel} order is not a Pinduoduo one")
        order_sn = _order_sn(update.channel.external_id)
        params = self._params(
            order_sn=order_sn,
            logistics_id=self._logistics_id(update.carrier),
            tracking_number=update.tracking_number,
        )
        response = yield self._gateway.request("pdd.logistics.online.send", params)
        error = gateway_error(response)
        if error is not None and ERRORS.kind(error) is ErrorKind.PERMANENT:
            order = yield from self._order_info(order_sn)
            if str(order.get("order_status")) in SHIPPED_STATUSES:
                return PushResult(update.dedup_key, PushStatus.ALREADY_DONE, 1)
            raise self._gateway.failed(response)
        answer = self._gateway.answer(response, "logistics_online_send_response")
        if answer.get("is_success") is not True:
            raise ChannelRequestFailed(
                self.channel, ErrorKind.PERMANENT.value, "is_success is not true"
            )
        return PushResult(update.dedup_key, PushStatus.PUSHED, 1)

    def _logistics_id(self, carrier: str) -> int:
        if carrier in self.config.carriers:
            return self.config.carriers[carrier]
        if carrier.isascii() and carrier.isdigit():
            return int(carrier)
        raise InvalidChannelInput(
            f"carrier {carrier!r} has no Pinduoduo logistics_id: add it to carriers"
        )

    def push_stock(self, levels: Sequence[StockLevel]) -> Exchange[PushResult]:
        """``pdd.goods.quantity.update`` per level, ``update_type=1`` (I2); every SKU is
        resolved before anything is sent, and a full quantity is safe to send again."""
        api, key = "pdd.goods.quantity.update", "goods_quantity_update_response"
        for listing, level in resolve_listings(self.channel, self.config.listings, [*levels]):
            params = self._params(
                goods_id=listing.item_id,
                sku_id=listing.sku_id,
                outer_id=None if listing.sku_id else listing.outer_id,
                quantity=level.quantity,
                update_type=1,
            )
            yield from self._gateway.call(api, params, key)
        return PushResult(f"{self.channel}:stock", PushStatus.PUSHED, 1)

    def classify(self, failure: httpx.Response | httpx.HTTPError) -> Classification:
        """Pinduoduo's ``error_response`` by its ``error_code`` (:data:`ERRORS`), else the
        HTTP status and rate-limit headers."""
        return ERRORS.classify(failure)
