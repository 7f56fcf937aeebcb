"""Douyin shop (Doudian, 抖店) as a channel adapter (MISSION C1, C2, C3, C4, I2).

:class:`DouyinAdapter` is sans-I/O: drive it with ``Channel(adapter, httpx.Client())``
or ``AsyncChannel(adapter, httpx.AsyncClient())``. Every call is a signed POST to
``https://openapi-fxg.jinritemai.com/<method with dots as slashes>``: the common
parameters in the query, the business parameters as the ``param_json`` body.

- Orders: ``order.searchList`` over ``update_time`` windows (Unix seconds, oldest
  first), up to 100 a page; each next page resumes from the last order's update time,
  skipping the orders of that second already handed over. ``order.orderDetail``
  fetches one order by ``shop_order_id``.
- Tracking (C4): ``order.logisticsAdd`` ships the whole order; the answer "订单已发货"
  (``isv.business-failed:60110``) is :attr:`~orderkit.channels.PushStatus.ALREADY_DONE`.
- Stock (I2): ``sku.syncStock`` per level, absolute (``incremental: false``).
- Push messages: :meth:`DouyinAdapter.webhook_verifier` checks ``event-sign``;
  :func:`push_messages` splits a push into one event per ``msg_id``.

Amounts are integer fen and times Unix seconds; the map is ``maps/douyin.json``.

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from datetime import timedelta
from functools import cache
from importlib import resources
from typing import Final, Literal

import httpx
from attrs import field, frozen
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from orderkit.channels._douyin_wire import (
    ALREADY_SHIPPED,
    SUCCESS,
    Resume,
    classify_doudian,
    data_field,
    envelope,
    push_messages,
    unix_seconds,
)
from orderkit.channels._exchange import Exchange, request_failed
from orderkit.channels._fieldmap import FieldMap
from orderkit.channels._fieldmapper import FieldMapper
from orderkit.channels._protocols import OrderMapper
from orderkit.channels._sign_doudian import DoudianSigner
from orderkit.channels._types import (
    ChannelOrder,
    Classification,
    OrderPage,
    PushResult,
    PushStatus,
    StockLevel,
    SyncCursor,
    TrackingUpdate,
)
from orderkit.channels._webhooks import DoudianPushVerifier
from orderkit.clock import Clock, SystemClock
from orderkit.errors import InvalidChannelInput

__all__ = [
    "DouyinAdapter",
    "DouyinConfig",
    "douyin_field_map",
    "douyin_mapper",
    "push_messages",
]

CHANNEL: Final = "douyin"
BASE_URL: Final = "https://openapi-fxg.jinritemai.com"


class DouyinConfig(BaseModel):
    """One shop's connection: app credentials, the shop's access token, paging, SKU ids.

    ``sku_ids`` maps a SKU (the merchant code, ``code``) to Doudian's ``sku_id`` for stock
    pushes; other SKUs are sent by ``code``. Secrets never show in the repr.

    >>> config = DouyinConfig(
    ...     app_key="7000000000000000001", app_secret="s3cr3t", access_token="t0k3n")
    >>> config.base_url, config.page_size, "s3cr3t" in repr(config), "t0k3n" in repr(config)
    ('https://openapi-fxg.jinritemai.com', 100, False, False)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    app_key: str = Field(pattern=r"^\d{1,32}$")
    app_secret: SecretStr
    access_token: SecretStr
    base_url: str = Field(default=BASE_URL, pattern=r"^https?://")
    sign_method: Literal["md5", "hmac-sha256"] = "hmac-sha256"
    window: timedelta = Field(default=timedelta(hours=1), ge=timedelta(seconds=1))
    page_size: int = Field(default=100, ge=1, le=100)
    sku_ids: dict[str, int] = Field(default_factory=dict)


@cache
def douyin_field_map() -> FieldMap:
    """The shipped field map, ``orderkit/channels/maps/douyin.json`` (MISSION C2).

    >>> douyin_field_map().status.table["2"]
    <OrderState.PAID: 'paid'>
    """
    text = resources.files("orderkit.channels").joinpath("maps/douyin.json").read_text()
    return FieldMap.from_json(text)


@cache
def douyin_mapper() -> FieldMapper:
    """The compiled shipped map: Doudian order JSON to canonical orders.

    >>> douyin_mapper()
    FieldMapper(channel='douyin')
    """
    return FieldMapper(douyin_field_map())


def _numeric(what: str, value: str) -> str:
    if not value.isascii() or not value.isdigit():
        raise InvalidChannelInput(f"a Doudian {what} is a number, got {value!r}")
    return value


@frozen
class DouyinAdapter:
    """Doudian's open API as a sans-I/O :class:`~orderkit.channels.Adapter`.

    ``clock`` gives the signed ``timestamp`` (Doudian allows 10 minutes of skew).

    >>> config = DouyinConfig(app_key="7000000000000000001", app_secret="s", access_token="t")
    >>> DouyinAdapter(config).channel
    'douyin'
    """

    config: DouyinConfig
    mapper: OrderMapper = field(factory=douyin_mapper)
    clock: Clock = field(factory=SystemClock, repr=False)
    channel: str = field(default=CHANNEL, init=False)
    _signer: DoudianSigner = field(init=False, repr=False, eq=False)

    @_signer.default
    def _make_signer(self) -> DoudianSigner:
        secret = self.config.app_secret.get_secret_value()
        return DoudianSigner(self.config.app_key, secret, self.config.sign_method, CHANNEL)

    def request(self, method: str, params: Mapping[str, object]) -> httpx.Request:
        """The signed POST for API ``method`` (``order.searchList``) with ``params``."""
        token = self.config.access_token.get_secret_value()
        signed = self._signer.signed_request(method, params, self.clock.now(), token)
        url = f"{self.config.base_url.rstrip('/')}/{method.replace('.', '/')}"
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        return httpx.Request(
            "POST", url, params=signed.params, content=signed.body, headers=headers
        )

    def _call(
        self, method: str, params: Mapping[str, object]
    ) -> Generator[httpx.Request, httpx.Response, httpx.Response]:
        response = yield self.request(method, params)
        body = envelope(response)
        if not response.is_success or body is None or body["code"] != SUCCESS:
            raise request_failed(self.channel, response, self.classify)
        return response

    def fetch_orders(self, cursor: SyncCursor) -> Exchange[OrderPage]:
        """One page of the orders updated in the cursor's window, oldest update first.

        The next page resumes from the last order's update time (see ``Resume``).
        """
        since, until = cursor.window(self.config.window)
        first, last = unix_seconds(since), unix_seconds(until) - 1
        if first > last:
            return OrderPage((), cursor.after(None, self.config.window))
        resume = Resume.parse(cursor.page, first)
        size = self.config.page_size
        params = {
            "update_time_start": resume.start,
            "update_time_end": last,
            "order_by": "update_time",
            "order_asc": True,
            "page": resume.page,
            "size": size,
        }
        response = yield from self._call("order.searchList", params)
        found = data_field(self.channel, response, "shop_order_list", (list, type(None))) or []
        total = data_field(self.channel, response, "total", int)
        fresh = [raw for raw in found if str(raw.get("order_id")) not in resume.ids]
        orders = tuple(self.mapper.map(raw) for raw in fresh)
        more = (resume.page + 1) * size < total and bool(found)
        following = resume.after(fresh).token() if more else None
        return OrderPage(orders, cursor.after(following, self.config.window))

    def fetch_order(self, external_id: str) -> Exchange[ChannelOrder]:
        """``order.orderDetail`` for one shop order id, mapped."""
        params = {"shop_order_id": _numeric("order id", external_id)}
        response = yield from self._call("order.orderDetail", params)
        return self.mapper.map(data_field(self.channel, response, "shop_order_detail", dict))

    def push_tracking(self, update: TrackingUpdate) -> Exchange[PushResult]:
        """``order.logisticsAdd`` with the carrier's ``company_code`` (C4).

        Doudian ships whole orders only here, so ``line_ids`` are refused.
        """
        if update.channel.channel != self.channel:
            raise InvalidChannelInput(f"a {update.channel.channel} order is not a Douyin one")
        if update.line_ids:
            raise InvalidChannelInput("order.logisticsAdd ships whole orders: leave line_ids empty")
        params = {
            "order_id": _numeric("order id", update.channel.external_id),
            "company_code": update.carrier,
            "logistics_code": update.tracking_number,
        }
        response = yield self.request("order.logisticsAdd", params)
        body = envelope(response) or {}
        if body.get("sub_code") == ALREADY_SHIPPED:
            return PushResult(update.dedup_key, PushStatus.ALREADY_DONE, 1)
        if not response.is_success or body.get("code") != SUCCESS:
            raise request_failed(self.channel, response, self.classify)
        return PushResult(update.dedup_key, PushStatus.PUSHED, 1)

    def push_stock(self, levels: Sequence[StockLevel]) -> Exchange[PushResult]:
        """``sku.syncStock`` per level, absolute (I2); every level is checked before
        anything is sent, so a failed push is safe to repeat."""
        bodies = [self._stock_body(level) for level in levels]
        for body in bodies:
            yield from self._call("sku.syncStock", body)
        return PushResult(f"{self.channel}:stock", PushStatus.PUSHED, 1)

    def _stock_body(self, level: StockLevel) -> dict[str, object]:
        if level.quantity < 0:
            raise InvalidChannelInput(
                f"nothing sent: SKU {level.sku!r} has a negative quantity {level.quantity}"
            )
        sku_id = self.config.sku_ids.get(level.sku)
        body: dict[str, object] = {"stock_num": level.quantity, "incremental": False}
        body.update({"code": level.sku} if sku_id is None else {"sku_id": sku_id})
        if level.location is not None:
            body["out_warehouse_id"] = level.location
        return body

    def classify(self, failure: httpx.Response | httpx.HTTPError) -> Classification:
        """Doudian's ``sub_code`` and ``code``, else the HTTP status: 60000 waits, an
        expired token is auth-expired, 20000, 20001 and 90000 are transient, every other
        code permanent."""
        return classify_doudian(failure)

    def webhook_verifier(self) -> DoudianPushVerifier:
        """The verifier of this app's push messages (``app-id`` and ``event-sign``)."""
        secret = self.config.app_secret.get_secret_value()
        return DoudianPushVerifier(self.config.app_key, secret, CHANNEL)
