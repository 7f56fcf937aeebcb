"""Shopify, through the REST Admin API, as a channel adapter (MISSION C1, C3, C4, I2).

:class:`ShopifyAdapter` is sans-I/O: drive it with ``Channel(adapter, httpx.Client())``
or ``AsyncChannel(adapter, httpx.AsyncClient())``. Every request carries
``X-Shopify-Access-Token`` and goes to ``https://{shop}.myshopify.com/admin/api/{version}/``.

- Orders: ``GET orders.json?status=any`` over ``updated_at`` windows, 250 a page; the
  next page is the ``page_info`` token of the ``Link: <...>; rel="next"`` header, kept
  as the cursor's ``page`` (only ``limit`` goes with it, as Shopify requires).
- Tracking (C4): the order's fulfillment orders, then one fulfillment of the open ones
  with ``tracking_info``; no open fulfillment order, or a 422 saying the order is
  already fulfilled, is :attr:`~orderkit.channels.PushStatus.ALREADY_DONE`.
- Stock (I2): ``inventory_levels/set.json`` per level, SKUs and locations resolved from
  the config's tables first.
- Webhooks: :meth:`ShopifyAdapter.webhook_verifier` checks ``X-Shopify-Hmac-Sha256``.

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from datetime import timedelta
from functools import cache
from typing import Any, Final

import httpx
from attrs import field, frozen
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from orderkit.channels._classify import classify_error, classify_response
from orderkit.channels._exchange import Exchange, request_failed
from orderkit.channels._protocols import OrderMapper
from orderkit.channels._shopify_mapping import STATUS_PATH, ShopifyOrderMapper
from orderkit.channels._shopify_wire import (
    already_fulfilled,
    error_text,
    json_field,
    next_page,
    numeric_id,
    open_lines,
)
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
from orderkit.channels._webhooks import ShopifyWebhookVerifier
from orderkit.errors import ConfigError, InvalidChannelInput

__all__ = ["STATUS_PATH", "ShopifyAdapter", "ShopifyConfig", "ShopifyOrderMapper"]

CHANNEL: Final = "shopify"


class ShopifyConfig(BaseModel):
    """One shop's connection: credentials, API version, paging and the stock tables.

    ``inventory_items`` maps SKU to Shopify ``inventory_item_id`` and ``locations`` maps
    a :class:`~orderkit.channels.StockLevel` location to ``location_id``; a level with no
    location goes to ``default_location``. ``leak_rate`` is the call bucket's refill per
    second (2 on standard plans). Secrets never show in the repr.

    >>> ShopifyConfig(shop="jsmith", access_token="shpat_x").api_base
    'https://jsmith.myshopify.com/admin/api/2025-01'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    shop: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)
    access_token: SecretStr
    client_secret: SecretStr | None = None
    api_version: str = Field(default="2025-01", pattern=r"^\d{4}-\d{2}$|^unstable$")
    base_url: str | None = Field(default=None, pattern=r"^https?://")
    window: timedelta = Field(default=timedelta(hours=6), gt=timedelta(0))
    page_size: int = Field(default=250, ge=1, le=250)
    notify_customer: bool = False
    leak_rate: float = Field(default=2.0, gt=0)
    inventory_items: dict[str, int] = Field(default_factory=dict)
    locations: dict[str, int] = Field(default_factory=dict)
    default_location: int | None = None

    @property
    def api_base(self) -> str:
        """The versioned Admin API root, without a trailing slash."""
        root = self.base_url or f"https://{self.shop}.myshopify.com"
        return f"{root.rstrip('/')}/admin/api/{self.api_version}"


@cache
def _default_mapper() -> ShopifyOrderMapper:
    return ShopifyOrderMapper()


@frozen
class ShopifyAdapter:
    """Shopify's REST Admin API as a sans-I/O :class:`~orderkit.channels.Adapter`.

    >>> adapter = ShopifyAdapter(ShopifyConfig(shop="jsmith", access_token="shpat_x"))
    >>> adapter.channel, "shpat_x" in repr(adapter)
    ('shopify', False)
    """

    config: ShopifyConfig
    mapper: OrderMapper = field(factory=_default_mapper)
    channel: str = field(default=CHANNEL, init=False)

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Request:
        headers = {
            "X-Shopify-Access-Token": self.config.access_token.get_secret_value(),
            "Accept": "application/json",
        }
        return httpx.Request(method, f"{self.config.api_base}/{path}", headers=headers, **kwargs)

    def _send(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, Any]:
        response = yield request
        if not response.is_success:
            raise request_failed(self.channel, response, self.classify)
        return response

    def fetch_orders(self, cursor: SyncCursor) -> Exchange[OrderPage]:
        """One page of the orders updated in the cursor's window (``updated_at`` inclusive)."""
        limit = str(self.config.page_size)
        if cursor.page is None:
            start, end = cursor.window(self.config.window)
            params = {
                "status": "any",
                "updated_at_min": start.isoformat(),
                "updated_at_max": end.isoformat(),
                "limit": limit,
            }
        else:
            params = {"limit": limit, "page_info": cursor.page}
        response = yield from self._send(self._request("GET", "orders.json", params=params))
        orders = tuple(self.mapper.map(raw) for raw in json_field(self.channel, response, "orders"))
        return OrderPage(orders, cursor.after(next_page(response), self.config.window))

    def fetch_order(self, external_id: str) -> Exchange[ChannelOrder]:
        """``GET orders/{id}.json``, mapped."""
        path = f"orders/{numeric_id(external_id)}.json"
        response = yield from self._send(self._request("GET", path))
        return self.mapper.map(json_field(self.channel, response, "order"))

    def push_tracking(self, update: TrackingUpdate) -> Exchange[PushResult]:
        """Fulfil the order's open fulfillment orders with the tracking number (C4).

        With ``line_ids`` only those lines' fulfillable quantities are fulfilled.
        """
        if update.channel.channel != self.channel:
            raise InvalidChannelInput(f"a {update.channel.channel} order is not a Shopify one")
        order_id = numeric_id(update.channel.external_id)
        path = f"orders/{order_id}/fulfillment_orders.json"
        response = yield from self._send(self._request("GET", path))
        groups = open_lines(json_field(self.channel, response, "fulfillment_orders"), update)
        if not groups:
            return PushResult(update.dedup_key, PushStatus.ALREADY_DONE, 1)
        fulfillment = {
            "line_items_by_fulfillment_order": groups,
            "tracking_info": {"number": update.tracking_number, "company": update.carrier},
            "notify_customer": self.config.notify_customer,
        }
        request = self._request("POST", "fulfillments.json", json={"fulfillment": fulfillment})
        response = yield request
        if already_fulfilled(response):
            return PushResult(update.dedup_key, PushStatus.ALREADY_DONE, 1)
        if not response.is_success:
            raise request_failed(self.channel, response, self.classify)
        return PushResult(update.dedup_key, PushStatus.PUSHED, 1)

    def push_stock(self, levels: Sequence[StockLevel]) -> Exchange[PushResult]:
        """Set ``available`` per level (I2); every SKU and location is resolved before
        anything is sent. Setting is absolute, so a failed push is safe to repeat."""
        bodies = self._stock_bodies(levels)
        for body in bodies:
            yield from self._send(self._request("POST", "inventory_levels/set.json", json=body))
        return PushResult(f"{self.channel}:stock", PushStatus.PUSHED, 1)

    def _stock_bodies(self, levels: Sequence[StockLevel]) -> list[dict[str, int]]:
        items, locations = self.config.inventory_items, self.config.locations
        missing: list[str] = []
        bodies: list[dict[str, int]] = []
        for level in levels:
            item = items.get(level.sku)
            where = (
                self.config.default_location
                if level.location is None
                else locations.get(level.location)
            )
            if item is None:
                missing.append(f"SKU {level.sku!r} has no inventory_item_id")
            if where is None and level.location is None:
                missing.append("a level without a location needs default_location")
            elif where is None:
                missing.append(f"location {level.location!r} has no location_id")
            if item is not None and where is not None:
                bodies.append(
                    {"location_id": where, "inventory_item_id": item, "available": level.quantity}
                )
        if missing:
            raise InvalidChannelInput("nothing sent: " + "; ".join(dict.fromkeys(missing)))
        return bodies

    def classify(self, failure: httpx.Response | httpx.HTTPError) -> Classification:
        """HTTP status and rate-limit headers (``Retry-After``, the call bucket), with the
        body's ``errors`` as the reason: 429 waits, 401 is an expired or revoked token,
        408 and 5xx are transient, 402, 403, 404, 422 and 423 permanent."""
        if isinstance(failure, httpx.HTTPError):
            return classify_error(failure)
        verdict = classify_response(failure, leak_rate=self.config.leak_rate)
        message = error_text(failure)
        return verdict._replace(reason=f"{verdict.reason}: {message}") if message else verdict

    def webhook_verifier(self, max_age: timedelta | None = None) -> ShopifyWebhookVerifier:
        """The verifier of this app's webhooks, keyed with ``client_secret``."""
        if self.config.client_secret is None:
            raise ConfigError("set ShopifyConfig.client_secret to verify Shopify webhooks")
        secret = self.config.client_secret.get_secret_value()
        return ShopifyWebhookVerifier(secret, max_age=max_age)
