"""Request signing and webhook verification (MISSION C1): verifications per second.

The bar: at least 100,000 per second on one core for each row. Run
``python -m benchmarks.channels_signing``. Rows:

- Shopify webhook: ``ShopifyWebhookVerifier.verify`` over a 3 KB order body with the
  seven headers Shopify sends (base64 HMAC-SHA256, event id, replay window on);
- Doudian push: ``DoudianPushVerifier.verify`` over a 0.6 KB push of eight messages;
- TOP sign: ``TopSigner.signed_request`` for an order list call (HMAC-SHA256, ten
  parameters), and the same with ``md5``;
- Pinduoduo sign: ``PddSigner.signed_request`` for ``pdd.order.list.get`` (ten
  parameters);
- Doudian sign: ``DoudianSigner.signed_request`` (``param_json`` built, HMAC-SHA256);
- Shopify query: ``ShopifyQueryVerifier.verify`` on an OAuth callback's five parameters.

Printed: microseconds per call (best of five rounds) and calls per second.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from benchmarks._timing import per_call_ns, print_table
from orderkit.channels import (
    DoudianPushVerifier,
    DoudianSigner,
    PddSigner,
    ShopifyQueryVerifier,
    ShopifyWebhookVerifier,
    TopSigner,
)

BAR = 100_000
NOW = datetime(2026, 11, 11, 1, 30, tzinfo=UTC)


def shopify_body() -> bytes:
    """A Shopify order webhook body of about 3 KB, shaped like the documented order."""
    line = {
        "id": 466157049,
        "variant_id": 39072856,
        "title": "IPod Nano - 8gb",
        "quantity": 1,
        "sku": "IPOD2008GREEN",
        "price": "199.00",
        "total_discount": "0.00",
        "tax_lines": [{"price": "3.98", "rate": 0.06, "title": "State Tax"}],
    }
    order = {
        "id": 450789469,
        "name": "#1001",
        "email": "bob.norman@mail.example.com",
        "created_at": "2026-11-11T09:20:00+08:00",
        "currency": "USD",
        "total_price": "598.94",
        "financial_status": "paid",
        "line_items": [line] * 12,
        "shipping_address": {"city": "Ottawa", "province": "Ontario", "zip": "K2P 1L4"},
    }
    return json.dumps(order).encode()


def cases() -> dict[str, Callable[[], object]]:
    """Each measured call, ready to run."""
    shopify = ShopifyWebhookVerifier("shpss_secret", max_age=timedelta(minutes=15))
    body = shopify_body()
    headers = {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": shopify.sign(body),
        "X-Shopify-Shop-Domain": "demo.myshopify.com",
        "X-Shopify-API-Version": "2026-07",
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
        "X-Shopify-Triggered-At": "2026-11-11T01:29:27.877041Z",
    }
    doudian = DoudianPushVerifier("7000000000000000001", "dd-secret")
    message = {"tag": "101", "msg_id": "7012345678901234567", "data": json.dumps({"p_id": 1})}
    push = json.dumps([message, {**message, "tag": "102"}] * 4).encode()
    push_headers = {"app-id": "7000000000000000001", "event-sign": doudian.sign(push)}
    business = {
        "fields": "tid,type,status,payment,orders",
        "status": "WAIT_SELLER_SEND_GOODS",
        "page_no": 1,
        "page_size": 100,
    }
    top, top_md5 = TopSigner("12345678", "secret"), TopSigner("12345678", "secret", "md5")
    pdd = PddSigner("client", "secret")
    pdd_params = {"order_status": 1, "refund_status": 5, "page": 1, "page_size": 100}
    pdd_params |= {"start_confirm_at": 1794300000, "end_confirm_at": 1794360000}
    dd_signer = DoudianSigner("7000000000000000001", "dd-secret")
    dd_params = {"page": 0, "size": 100, "create_time_start": 1794300000, "order_by": "create"}
    query = ShopifyQueryVerifier("shpss_secret")
    oauth = {
        "code": "a94a110d86d2452eb3e2af4cfb8a3828",
        "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvZGVtbw",
        "shop": "demo.myshopify.com",
        "timestamp": str(int(NOW.timestamp())),
    }
    oauth["hmac"] = query.sign(oauth)
    return {
        f"Shopify webhook verify ({len(body):,} B)": lambda: shopify.verify(headers, body, NOW),
        f"Doudian push verify ({len(push):,} B)": lambda: doudian.verify(push_headers, push, NOW),
        "TOP signed_request (hmac-sha256)": lambda: top.signed_request(
            "taobao.trades.sold.get", business, NOW, "session"
        ),
        "TOP signed_request (md5)": lambda: top_md5.signed_request(
            "taobao.trades.sold.get", business, NOW, "session"
        ),
        "Pinduoduo signed_request": lambda: pdd.signed_request(
            "pdd.order.list.get", pdd_params, NOW, "token"
        ),
        "Doudian signed_request": lambda: dd_signer.signed_request(
            "order.searchList", dd_params, NOW, "token"
        ),
        "Shopify query verify": lambda: query.verify(oauth, NOW),
    }


def main() -> None:
    """Print microseconds and calls per second for each row, against the bar."""
    rows = []
    for name, call in cases().items():
        ns = per_call_ns(call)
        rate = 1e9 / ns
        verdict = "PASS" if rate >= BAR else "FAIL"
        rows.append([name, f"{ns / 1000:.2f}", f"{rate:,.0f}", f">= {BAR:,}", verdict])
    print_table(
        "Signing and webhook verification (C1): us per call and calls/s, one core",
        ["call", "us/call", "calls/s", "bar", ""],
        rows,
    )


if __name__ == "__main__":
    main()
