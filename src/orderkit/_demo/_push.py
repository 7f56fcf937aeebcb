"""The demo's tracking push: a flaky Shopify API, the retry schedule, and a repeat skipped."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TextIO

import httpx

from orderkit.channels import (
    Channel,
    InMemoryPushLedger,
    PushResult,
    RetryPolicy,
    TrackingUpdate,
    push_tracking,
)
from orderkit.channels.shopify import ShopifyAdapter, ShopifyConfig
from orderkit.order import Order

__all__ = ["push_with_retries"]

_FULFILLMENT_ORDERS = {"fulfillment_orders": [{"id": 1046000900, "status": "open"}]}


def _flaky_shopify(failures: int) -> httpx.MockTransport:
    """Shopify's fulfillment endpoint failing ``failures`` times (503, then 429), then 201."""
    posted: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=_FULFILLMENT_ORDERS)
        posted.append(1)
        if len(posted) == 1:
            return httpx.Response(503, json={"errors": "Service Unavailable"})
        if len(posted) <= failures:
            return httpx.Response(429, headers={"Retry-After": "200"}, json={"errors": "slow"})
        return httpx.Response(201, json={"fulfillment": {"id": 255858046, "status": "success"}})

    return httpx.MockTransport(handler)


def push_with_retries(out: TextIO, order: Order, now: datetime) -> list[PushResult]:
    """Push ``order``'s tracking number through two failures, then push it again."""
    policy = RetryPolicy()
    now = now.replace(microsecond=0)
    print("    the retry schedule of a failing push, as data a host could re-queue with:", file=out)
    for line in str(policy.schedule(now)).splitlines():
        print(f"      {line}", file=out)

    def sleep(seconds: float) -> None:
        print(f"      waited {timedelta(seconds=seconds)} (no real sleep in the demo)", file=out)

    config = ShopifyConfig(shop="orderkit-demo", access_token="shpat_demo")
    update = TrackingUpdate(order.channel, "SF1234567890", "SF Express")
    ledger = InMemoryPushLedger()
    results = []
    with httpx.Client(transport=_flaky_shopify(failures=2)) as http:
        client = Channel(ShopifyAdapter(config), http)
        print(f"    pushing {update.tracking_number} to {order.channel.key}:", file=out)
        for attempt in (1, 2):
            result = push_tracking(client, update, ledger, policy=policy, sleep=sleep)
            print(
                f"      push {attempt}: {result.status.value} after {result.attempts} attempt(s)",
                file=out,
            )
            results.append(result)
    print(
        "      (the 503 waited tier 1, 30 s; the 429 asked for Retry-After 200 s, longer "
        "than tier 2's 2 min, and got it; the repeat sent nothing)",
        file=out,
    )
    return results
