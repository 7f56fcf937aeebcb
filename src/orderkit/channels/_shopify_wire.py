"""Shopify's wire details: ids, error bodies, the next-page link, open fulfillment orders."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Final

import httpx

from orderkit.channels._types import ErrorKind, TrackingUpdate
from orderkit.errors import ChannelRequestFailed, InvalidChannelInput

__all__ = ["already_fulfilled", "error_text", "json_field", "next_page", "numeric_id", "open_lines"]

_ALREADY_FULFILLED: Final = ("already fulfilled", "unfulfillable status")
"""Words of Shopify's 422 answers to a fulfillment of lines that are no longer open."""


def numeric_id(external_id: str) -> str:
    """The order id, checked to be a number before it goes into a URL path."""
    if not external_id.isascii() or not external_id.isdigit():
        raise InvalidChannelInput(f"a Shopify order id is a number, got {external_id!r}")
    return external_id


def error_text(response: httpx.Response) -> str:
    """The body's ``errors`` as one line: a string, a list, or field -> messages."""
    try:
        errors = response.json().get("errors")
    except (ValueError, AttributeError):
        return ""
    if isinstance(errors, dict):
        parts = [f"{key}: {_joined(value)}" for key, value in errors.items()]
        errors = "; ".join(parts)
    elif isinstance(errors, list):
        errors = _joined(errors)
    text = str(errors or "")
    return text if len(text) <= 200 else text[:199] + "…"


def _joined(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def json_field(channel: str, response: httpx.Response, key: str) -> Any:
    """``key`` of the JSON body, decimals exact; a body without it is a transient failure."""
    try:
        return json.loads(response.content, parse_float=Decimal)[key]
    except (ValueError, TypeError, KeyError):
        raise ChannelRequestFailed(
            channel,
            ErrorKind.TRANSIENT.value,
            f"HTTP {response.status_code} without the expected JSON {key!r}",
            status=response.status_code,
        ) from None


def next_page(response: httpx.Response) -> str | None:
    """The ``page_info`` token of the ``Link`` header's ``rel="next"`` URL, if any."""
    link = response.links.get("next")
    if link is None:
        return None
    token: str | None = httpx.URL(link["url"]).params.get("page_info")
    if not token:
        raise InvalidChannelInput("Shopify's next-page link has no page_info")
    return token


def open_lines(orders: list[dict[str, Any]], update: TrackingUpdate) -> list[dict[str, Any]]:
    """``line_items_by_fulfillment_order`` for the open fulfillment orders: whole ones, or
    with ``line_ids`` only those lines, each for its fulfillable quantity."""
    groups: list[dict[str, Any]] = []
    for order in orders:
        if order.get("status") != "open":
            continue
        if not update.line_ids:
            groups.append({"fulfillment_order_id": order["id"]})
            continue
        lines = [
            {"id": line["id"], "quantity": line["fulfillable_quantity"]}
            for line in order.get("line_items", ())
            if str(line.get("line_item_id")) in update.line_ids
            and line.get("fulfillable_quantity", 0) > 0
        ]
        if lines:
            groups.append(
                {"fulfillment_order_id": order["id"], "fulfillment_order_line_items": lines}
            )
    return groups


def already_fulfilled(response: httpx.Response) -> bool:
    """Whether a failed fulfillment says the lines were fulfilled already (a 422)."""
    if response.status_code != httpx.codes.UNPROCESSABLE_ENTITY:
        return False
    reason = error_text(response).lower()
    return any(words in reason for words in _ALREADY_FULFILLED)
