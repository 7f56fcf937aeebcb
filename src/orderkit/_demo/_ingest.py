"""The demo's ingestion: two platforms' payloads through the reference adapters' field maps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TextIO

from dateutil import parser

from orderkit.channels import ChannelOrder, mask_order
from orderkit.channels.pinduoduo import PinduoduoOrderMapper
from orderkit.channels.shopify import ShopifyOrderMapper
from orderkit.money import Money
from orderkit.order import Order, Payment

__all__ = ["ingest", "print_buyer"]


def _with_transactions(mapped: ChannelOrder, transactions: list[Mapping[str, Any]]) -> Order:
    """Shopify's order JSON carries no payments: they come from its transactions endpoint."""
    order = mapped.order
    payments = [
        Payment(
            payment_id=str(t["id"]),
            method=t["gateway"],
            amount=Money(t["amount"], order.currency),
            paid_at=parser.isoparse(t["processed_at"]),
        )
        for t in transactions
        if t["kind"] == "sale" and t["status"] == "success"
    ]
    return order.replace(payments=payments)


def ingest(shopify_doc: Mapping[str, Any], pdd_doc: Mapping[str, Any]) -> list[Order]:
    """The Shopify order (with its transactions) and every Pinduoduo order, as canonical."""
    shopify = _with_transactions(
        ShopifyOrderMapper().map(shopify_doc["order"]), shopify_doc["transactions"]
    )
    mapper = PinduoduoOrderMapper()
    listed = pdd_doc["order_list_get_response"]["order_list"]
    return [shopify, *(mapper.map(raw).order for raw in listed)]


def print_buyer(out: TextIO, order: Order) -> None:
    """Who bought and where it goes, masked as it would be in a log (MISSION C6)."""
    masked = mask_order(order)
    buyer, to = masked.customer, masked.shipping_address
    where = "-" if to is None else "-".join(p for p in (to.province, to.city, to.district) if p)
    street = "" if to is None else f" {to.street}"
    name = buyer.name or (to.recipient if to is not None else None)
    phone = buyer.phone or (to.phone if to is not None else None)
    who = ", ".join(part for part in (name, phone) if part) or "-"
    print(f"    buyer {who}; ship to {where}{street}", file=out)
