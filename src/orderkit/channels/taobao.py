"""Taobao and Tmall, through the Taobao Open Platform (TOP) router, as a channel adapter.

:class:`TaobaoAdapter` is sans-I/O (MISSION C1): drive it with ``Channel(adapter,
httpx.Client())`` or ``AsyncChannel(adapter, httpx.AsyncClient())``. Every call is a
form POST to ``https://eco.taobao.com/router/rest`` with the system parameters
``method``, ``app_key``, ``session``, ``timestamp`` (GMT+8 ``yyyy-MM-dd HH:mm:ss``),
``v=2.0``, ``sign_method``, ``format=json`` and ``simplify=false`` (the documented,
unsimplified answers), signed by :class:`~orderkit.channels.TopSigner`.

- Orders: ``taobao.trades.sold.increment.get`` over ``modified`` windows of at most a
  day, pages read from the last to the first as TOP advises, mapped by
  ``maps/taobao.json`` (C2); one order with ``taobao.trade.fullinfo.get``.
- Tracking (C4): ``taobao.logistics.offline.send``; the sub-code
  ``isv.logistics-offline-service-error:B04`` (already shipped, or closed) is
  :attr:`~orderkit.channels.PushStatus.ALREADY_DONE`.
- Stock (I2): ``taobao.item.quantity.update`` with ``type=1`` (the full quantity).
- Errors (C3): codes 4-8 and ``isp.call-limited`` wait, code 27 needs a new session,
  code 10, 15 and ``isp.*`` sub-codes are transient, ``isv.*`` permanent.

TOP pushes messages (TMC) over its own channel, not signed webhooks: there is no
webhook verifier.

.. versionadded:: 0.1
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from functools import cache
from typing import Final, Literal

import httpx
from attrs import field, frozen
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from orderkit.channels._exchange import Exchange
from orderkit.channels._protocols import OrderMapper
from orderkit.channels._router import (
    ErrorTable,
    Gateway,
    GatewayError,
    ListingSku,
    gateway_error,
    page_after,
    page_number,
    resolve_listings,
    seconds_window,
)
from orderkit.channels._sign_top import TopSigner
from orderkit.channels._taobao_mapping import TaobaoOrderMapper, taobao_field_map
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
    "ALREADY_SHIPPED",
    "ERRORS",
    "ListingSku",
    "TaobaoAdapter",
    "TaobaoConfig",
    "TaobaoOrderMapper",
    "taobao_field_map",
]

CHANNEL: Final = "taobao"
TRADE_FIELDS: Final = ",".join(
    [
        "tid,status,type,created,modified,pay_time,alipay_no,payment,post_fee,total_fee",
        "discount_fee,adjust_fee,buyer_open_uid,buyer_message",
        "receiver_name,receiver_state,receiver_city,receiver_district,receiver_address",
        "receiver_zip,receiver_mobile",
        "orders.oid,orders.num_iid,orders.sku_id,orders.outer_iid,orders.outer_sku_id",
        "orders.title,orders.price,orders.num,orders.total_fee,orders.payment",
        "orders.discount_fee,orders.adjust_fee,orders.status,orders.refund_status",
    ]
)
"""The trade fields asked for: what ``maps/taobao.json`` reads, and a little context."""

ALREADY_SHIPPED: Final = frozenset({"isv.logistics-offline-service-error:B04"})
"""Sub-codes of ``taobao.logistics.offline.send`` meaning the trade needs no shipping:
"订单状态不对该物流订单已经发货或者已关闭，不能重复发货" (already shipped, or closed)."""

_BAN: Final = re.compile(r"ban will last for (\d+) more seconds")


def _ban_wait(error: GatewayError) -> timedelta | None:
    """TOP's call limits say the wait in ``sub_msg``: "This ban will last for 2 more seconds"."""
    found = _BAN.search(error.message)
    return None if found is None else timedelta(seconds=int(found[1]))


_LIMITED = ErrorKind.RATE_LIMITED
ERRORS: Final = ErrorTable(
    codes={
        **dict.fromkeys(["4", "5", "6", "7", "8"], _LIMITED),
        "10": ErrorKind.TRANSIENT,
        "15": ErrorKind.TRANSIENT,
        "520": ErrorKind.TRANSIENT,
        "27": ErrorKind.AUTH_EXPIRED,
    },
    sub_codes={
        "isp.call-limited": _LIMITED,
        "accesscontrol.limited-by-app-access-count": _LIMITED,
        "accesscontrol.limited-by-api-access-count": _LIMITED,
        "accesscontrol.limited-by-app-api-access-count": _LIMITED,
        "session-expired": ErrorKind.AUTH_EXPIRED,
    },
    prefixes=(("isp.", ErrorKind.TRANSIENT), ("isv.", ErrorKind.PERMANENT)),
    wait=_ban_wait,
)
"""TOP's error codes (the platform and business error tables) and their kinds."""


class TaobaoConfig(BaseModel):
    """One shop's TOP connection: app credentials, the seller's session, paging, stock.

    ``window`` is at most a day (TOP's limit for incremental syncs), ``page_size`` at
    most 100. ``trade_types`` lists the trade ``type`` values to fetch (TOP returns only
    its four default types otherwise). ``carriers`` maps a carrier name to TOP's
    ``company_code`` (unlisted names are sent as they are); ``listings`` maps each SKU to
    its item (``num_iid``) and ``sku_id`` or ``outer_id``. Secrets never show in a repr.

    >>> TaobaoConfig(app_key="12345678", app_secret="s", session="6100e").api_url
    'https://eco.taobao.com/router/rest'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    app_key: str = Field(min_length=1)
    app_secret: SecretStr
    session: SecretStr
    api_url: str = Field(default="https://eco.taobao.com/router/rest", pattern=r"^https?://")
    sign_method: Literal["md5", "hmac", "hmac-sha256"] = "hmac-sha256"
    window: timedelta = Field(default=timedelta(hours=1), gt=timedelta(0), le=timedelta(days=1))
    page_size: int = Field(default=100, ge=1, le=100)
    trade_types: tuple[str, ...] = ()
    carriers: dict[str, str] = Field(default_factory=dict)
    listings: dict[str, ListingSku] = Field(default_factory=dict)


@cache
def _default_mapper() -> TaobaoOrderMapper:
    return TaobaoOrderMapper()


def _tid(external_id: str) -> str:
    if not (external_id.isascii() and external_id.isdigit()):
        raise InvalidChannelInput(f"a Taobao trade id (tid) is a number, got {external_id!r}")
    return external_id


@frozen
class TaobaoAdapter:
    """TOP as a sans-I/O :class:`~orderkit.channels.Adapter`; the clock stamps each call.

    >>> adapter = TaobaoAdapter(TaobaoConfig(app_key="1", app_secret="s", session="6100e"))
    >>> adapter.channel, "6100e" in repr(adapter)
    ('taobao', False)
    """

    config: TaobaoConfig
    mapper: OrderMapper = field(factory=_default_mapper)
    clock: Clock = field(factory=SystemClock, repr=False)
    channel: str = field(default=CHANNEL, init=False)
    _gateway: Gateway = field(init=False, repr=False)

    @_gateway.default
    def _connect(self) -> Gateway:
        config = self.config
        signer = TopSigner(
            config.app_key,
            config.app_secret.get_secret_value(),
            sign_method=config.sign_method,
            simplify=False,
            channel=self.channel,
        )
        token = config.session.get_secret_value()
        return Gateway(self.channel, config.api_url, signer, token, self.clock, ERRORS)

    def fetch_orders(self, cursor: SyncCursor) -> Exchange[OrderPage]:
        """One page of the trades modified in the cursor's window (GMT+8 seconds)."""
        size = self.config.window
        bounds = seconds_window(cursor, size)
        if bounds is None:
            return OrderPage((), cursor.after(None, size))
        params: dict[str, object] = {
            "fields": TRADE_FIELDS,
            "start_modified": bounds[0],
            "end_modified": bounds[1],
            "page_no": page_number(cursor),
            "page_size": self.config.page_size,
            "use_has_next": False,
        }
        if self.config.trade_types:
            params["type"] = ",".join(self.config.trade_types)
        api = "taobao.trades.sold.increment.get"
        answer = yield from self._gateway.call(api, params, "trades_sold_increment_get_response")
        total = int(answer.get("total_results") or 0)
        hand_over, after = page_after(cursor, total, self.config.page_size, size)
        if not hand_over:
            return OrderPage((), after)
        trades = (answer.get("trades") or {}).get("trade") or []
        return OrderPage(tuple(self.mapper.map(trade) for trade in trades), after)

    def fetch_order(self, external_id: str) -> Exchange[ChannelOrder]:
        """``taobao.trade.fullinfo.get`` for one trade, mapped."""
        params = {"fields": TRADE_FIELDS, "tid": _tid(external_id)}
        api = "taobao.trade.fullinfo.get"
        answer = yield from self._gateway.call(api, params, "trade_fullinfo_get_response")
        return self.mapper.map(answer.get("trade") or {})

    def push_tracking(self, update: TrackingUpdate) -> Exchange[PushResult]:
        """``taobao.logistics.offline.send`` (C4): the tracking number as ``out_sid`` and
        the carrier's ``company_code``; with ``line_ids``, only those sub-orders
        (``sub_tid``, ``is_split=1``). :data:`ALREADY_SHIPPED` is success."""
        if update.channel.channel != self.channel:
            raise InvalidChannelInput(f"a {update.channel.channel} order is not a Taobao one")
        params: dict[str, object] = {
            "tid": _tid(update.channel.external_id),
            "out_sid": update.tracking_number,
            "company_code": self.config.carriers.get(update.carrier, update.carrier),
        }
        if update.line_ids:
            params.update(sub_tid=",".join(update.line_ids), is_split=1)
        response = yield self._gateway.request("taobao.logistics.offline.send", params)
        error = gateway_error(response)
        if error is not None and error.sub_code in ALREADY_SHIPPED:
            return PushResult(update.dedup_key, PushStatus.ALREADY_DONE, 1)
        answer = self._gateway.answer(response, "logistics_offline_send_response")
        if (answer.get("shipping") or {}).get("is_success") is not True:
            raise ChannelRequestFailed(
                self.channel, ErrorKind.PERMANENT.value, "shipping.is_success is not true"
            )
        return PushResult(update.dedup_key, PushStatus.PUSHED, 1)

    def push_stock(self, levels: Sequence[StockLevel]) -> Exchange[PushResult]:
        """``taobao.item.quantity.update`` per level, ``type=1`` (I2); every SKU is
        resolved before anything is sent, and a full quantity is safe to send again."""
        api, key = "taobao.item.quantity.update", "item_quantity_update_response"
        for listing, level in resolve_listings(self.channel, self.config.listings, [*levels]):
            params = {
                "num_iid": listing.item_id,
                "sku_id": listing.sku_id,
                "outer_id": None if listing.sku_id else listing.outer_id,
                "quantity": level.quantity,
                "type": 1,
            }
            yield from self._gateway.call(api, params, key)
        return PushResult(f"{self.channel}:stock", PushStatus.PUSHED, 1)

    def classify(self, failure: httpx.Response | httpx.HTTPError) -> Classification:
        """TOP's ``error_response`` by :data:`ERRORS`, else the HTTP status and headers; a
        call limit waits as long as its "ban will last for N more seconds" says."""
        return ERRORS.classify(failure)
