"""Webhook verification and de-duplication (MISSION C1): Shopify webhooks, Doudian pushes.

Known answers are recomputed here from the documented recipe with hashlib/hmac/base64;
then tampered bodies, wrong secrets, missing headers, stale and future timestamps and
header case; Hypothesis: any change to the body is refused, and the de-duplicator lets
exactly the first delivery of each event through.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit.channels import (
    DoudianPushVerifier,
    ShopifyWebhookVerifier,
    VerifiedEvent,
    WebhookDeduplicator,
    WebhookVerifier,
)
from orderkit.errors import ConfigError, InvalidChannelInput, NaiveDatetime, SignatureMismatch
from orderkit.testing import FakeClock

NOW = datetime(2026, 11, 11, 1, 30, tzinfo=UTC)
SHOPIFY_SECRET = "shpss_0123456789abcdef"
ORDER_BODY = (
    b'{"id":450789469,"name":"#1001","email":"bob.norman@mail.example.com",'
    b'"currency":"USD","total_price":"598.94","financial_status":"paid",'
    b'"line_items":[{"id":466157049,"sku":"IPOD2008GREEN","quantity":1,"price":"199.00"}]}'
)


def shopify_hmac(body: bytes, secret: str = SHOPIFY_SECRET) -> str:
    """base64(HMAC-SHA256(secret, raw body)), as Shopify documents it."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify_headers(body: bytes = ORDER_BODY, /, **extra: str) -> dict[str, str]:
    return {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": shopify_hmac(body),
        "X-Shopify-Shop-Domain": "demo.myshopify.com",
        "X-Shopify-API-Version": "2026-07",
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
        "X-Shopify-Triggered-At": "2026-11-11T01:29:27.877041743Z",
        **extra,
    }


# --- Shopify ---------------------------------------------------------------------


def test_a_shopify_delivery_verifies_to_its_event() -> None:
    """C1: base64 HMAC-SHA256 over the raw body; X-Shopify-Event-Id is the de-dup id."""
    event = ShopifyWebhookVerifier(SHOPIFY_SECRET).verify(shopify_headers(), ORDER_BODY, NOW)
    assert event == VerifiedEvent(
        "shopify",
        "98880550-7158-44d4-b7cd-2c97c8a091b5",
        "orders/create",
        ORDER_BODY,
        datetime(2026, 11, 11, 1, 29, 27, 877041, tzinfo=UTC),
    )
    assert event.json()["total_price"] == "598.94"


def test_shopify_sign_builds_the_documented_header() -> None:
    assert ShopifyWebhookVerifier(SHOPIFY_SECRET).sign(ORDER_BODY) == shopify_hmac(ORDER_BODY)


@pytest.mark.parametrize("case", [str.lower, str.upper, str.title])
def test_shopify_header_names_are_case_insensitive(case: Callable[[str], str]) -> None:
    headers = {case(name): value for name, value in shopify_headers().items()}
    event = ShopifyWebhookVerifier(SHOPIFY_SECRET).verify(headers, ORDER_BODY, NOW)
    assert (event.event_id, event.topic) == (
        "98880550-7158-44d4-b7cd-2c97c8a091b5",
        "orders/create",
    )


def test_shopify_event_id_falls_back_to_webhook_id_then_body_digest() -> None:
    verifier = ShopifyWebhookVerifier(SHOPIFY_SECRET)
    headers = shopify_headers()
    del headers["X-Shopify-Event-Id"]
    assert verifier.verify(headers, ORDER_BODY, NOW).event_id == headers["X-Shopify-Webhook-Id"]
    del headers["X-Shopify-Webhook-Id"], headers["X-Shopify-Triggered-At"]
    event = verifier.verify(headers, ORDER_BODY, NOW)
    assert event.event_id == hashlib.sha256(ORDER_BODY).hexdigest()
    assert event.sent_at is None


@pytest.mark.parametrize(
    ("body", "secret", "reason"),
    [
        (ORDER_BODY.replace(b"598.94", b"0.94"), SHOPIFY_SECRET, "digest differs"),
        (ORDER_BODY + b" ", SHOPIFY_SECRET, "digest differs"),
        (ORDER_BODY, "shpss_other", "digest differs"),
    ],
    ids=["tampered", "reserialised", "wrong-secret"],
)
def test_a_tampered_body_or_another_secret_is_refused(
    body: bytes, secret: str, reason: str
) -> None:
    with pytest.raises(SignatureMismatch) as caught:
        ShopifyWebhookVerifier(secret).verify(shopify_headers(), body, NOW)
    assert (caught.value.channel, caught.value.reason) == ("shopify", reason)
    for secret_part in (SHOPIFY_SECRET, "shpss_other", shopify_hmac(body, secret)):
        assert secret_part not in str(caught.value)


def test_a_missing_hmac_header_is_named() -> None:
    headers = shopify_headers()
    del headers["X-Shopify-Hmac-Sha256"]
    with pytest.raises(SignatureMismatch, match="missing header X-Shopify-Hmac-Sha256"):
        ShopifyWebhookVerifier(SHOPIFY_SECRET).verify(headers, ORDER_BODY, NOW)


def test_a_hmac_header_in_hex_or_with_odd_characters_is_refused() -> None:
    verifier = ShopifyWebhookVerifier(SHOPIFY_SECRET)
    hex_digest = hmac.new(SHOPIFY_SECRET.encode(), ORDER_BODY, hashlib.sha256).hexdigest()
    for value in (hex_digest, "é" * 44, "\udcff"):
        with pytest.raises(SignatureMismatch, match="digest differs"):
            verifier.verify(shopify_headers(**{"X-Shopify-Hmac-Sha256": value}), ORDER_BODY, NOW)


class TestShopifyReplayWindow:
    """C1: with ``max_age`` set, X-Shopify-Triggered-At must be recent (and not ahead)."""

    verifier = ShopifyWebhookVerifier(SHOPIFY_SECRET, max_age=timedelta(minutes=15))
    sent = datetime(2026, 11, 11, 1, 29, 27, 877041, tzinfo=UTC)

    def test_a_recent_delivery_verifies_with_its_time_in_utc(self) -> None:
        assert self.verifier.verify(shopify_headers(), ORDER_BODY, NOW).sent_at == self.sent
        headers = shopify_headers(**{"X-Shopify-Triggered-At": "2026-11-11T09:29:27.877041+08:00"})
        sent_at = self.verifier.verify(headers, ORDER_BODY, NOW).sent_at
        assert sent_at == self.sent
        assert sent_at is not None
        assert sent_at.tzinfo is UTC

    def test_a_stale_delivery_is_refused(self) -> None:
        late = self.sent + timedelta(minutes=20)
        with pytest.raises(SignatureMismatch, match="is 20 min old, window 15 min"):
            self.verifier.verify(shopify_headers(), ORDER_BODY, late)

    def test_a_delivery_from_the_future_is_refused(self) -> None:
        early = self.sent - timedelta(minutes=6)
        with pytest.raises(SignatureMismatch, match="is 6 min ahead, window 5 min"):
            self.verifier.verify(shopify_headers(), ORDER_BODY, early)

    def test_without_the_timestamp_header_the_window_cannot_hold(self) -> None:
        headers = shopify_headers()
        del headers["X-Shopify-Triggered-At"]
        with pytest.raises(SignatureMismatch, match="missing header X-Shopify-Triggered-At"):
            self.verifier.verify(headers, ORDER_BODY, NOW)

    @pytest.mark.parametrize("stamp", ["yesterday", "2026-11-11T01:29:27"])
    def test_an_unreadable_or_naive_timestamp_is_refused(self, stamp: str) -> None:
        headers = shopify_headers(**{"X-Shopify-Triggered-At": stamp})
        with pytest.raises(SignatureMismatch, match="not an ISO time"):
            self.verifier.verify(headers, ORDER_BODY, NOW)

    def test_a_naive_now_is_refused(self) -> None:
        with pytest.raises(NaiveDatetime):
            self.verifier.verify(shopify_headers(), ORDER_BODY, datetime(2026, 11, 11))


def test_a_parsed_body_is_refused_with_advice() -> None:
    with pytest.raises(InvalidChannelInput, match="read the request body before any parsing"):
        ShopifyWebhookVerifier(SHOPIFY_SECRET).verify(
            shopify_headers(),
            ORDER_BODY.decode(),  # type: ignore[arg-type]
            NOW,
        )
    event = ShopifyWebhookVerifier(SHOPIFY_SECRET).verify(
        shopify_headers(),
        bytearray(ORDER_BODY),  # type: ignore[arg-type]
        NOW,
    )
    assert event.body == ORDER_BODY


# --- Doudian push ----------------------------------------------------------------

APP_KEY = "7000000000000000001"
DOUDIAN_SECRET = "dd-0a1b2c3d4e5f"
PUSH_BODY = (
    '[{"tag":"101","msg_id":"7012345678901234567",'
    '"data":"{\\"p_id\\":4781320682406083640,\\"s_ids\\":[4781320682406083640],'
    '\\"shop_id\\":12345,\\"order_status\\":2,\\"order_type\\":0,'
    '\\"biz\\":2,\\"pay_amount\\":5990,\\"receiver\\":\\"杭州\\"}"}]'
).encode()


def event_sign(body: bytes = PUSH_BODY, secret: str = DOUDIAN_SECRET) -> str:
    """hex(MD5(app_key + raw body + app_secret)), as Doudian documents its pushes."""
    return hashlib.md5(APP_KEY.encode() + body + secret.encode()).hexdigest()


def push_headers(body: bytes = PUSH_BODY, /, **extra: str) -> dict[str, str]:
    return {"app-id": APP_KEY, "event-sign": event_sign(body), **extra}


def test_a_doudian_push_verifies_to_its_event() -> None:
    """C1: event-sign = MD5(app_key + raw body + app_secret); the body digest de-duplicates."""
    event = DoudianPushVerifier(APP_KEY, DOUDIAN_SECRET).verify(push_headers(), PUSH_BODY, NOW)
    assert event == VerifiedEvent("doudian", hashlib.sha256(PUSH_BODY).hexdigest(), "", PUSH_BODY)
    assert event.json()[0]["tag"] == "101"


@pytest.mark.parametrize(
    "headers",
    [
        {"App-Id": APP_KEY, "Event-Sign": event_sign()},
        {"APP-ID": APP_KEY, "EVENT-SIGN": event_sign().upper()},
        {"app-id": f" {APP_KEY} ", "event-sign": f"{event_sign()}\n"},
    ],
    ids=["title", "upper", "padded"],
)
def test_doudian_headers_are_case_insensitive(headers: dict[str, str]) -> None:
    verifier = DoudianPushVerifier(APP_KEY, DOUDIAN_SECRET)
    assert verifier.verify(headers, PUSH_BODY, NOW).body == PUSH_BODY


@pytest.mark.parametrize(
    ("headers", "body", "verifier", "reason"),
    [
        (push_headers(), PUSH_BODY.replace(b"5990", b"1"), None, "digest differs"),
        (push_headers(), PUSH_BODY, DoudianPushVerifier(APP_KEY, "other"), "digest differs"),
        (push_headers(**{"app-id": "7000000000000000002"}), PUSH_BODY, None, "another app"),
        ({"event-sign": event_sign()}, PUSH_BODY, None, "missing header app-id"),
        ({"app-id": APP_KEY}, PUSH_BODY, None, "missing header event-sign"),
    ],
    ids=["tampered", "wrong-secret", "other-app", "no-app-id", "no-sign"],
)
def test_a_bad_doudian_push_is_refused(
    headers: dict[str, str], body: bytes, verifier: DoudianPushVerifier | None, reason: str
) -> None:
    verifier = verifier or DoudianPushVerifier(APP_KEY, DOUDIAN_SECRET)
    with pytest.raises(SignatureMismatch, match=reason) as caught:
        verifier.verify(headers, body, NOW)
    assert DOUDIAN_SECRET not in str(caught.value)
    assert event_sign(body) not in str(caught.value)


# --- every verifier --------------------------------------------------------------

VERIFIERS: list[WebhookVerifier] = [
    ShopifyWebhookVerifier(SHOPIFY_SECRET),
    DoudianPushVerifier(APP_KEY, DOUDIAN_SECRET),
]


def _deliver(verifier: WebhookVerifier, body: bytes, signed_body: bytes) -> VerifiedEvent:
    if isinstance(verifier, ShopifyWebhookVerifier):
        return verifier.verify(shopify_headers(signed_body), body, NOW)
    return verifier.verify(push_headers(signed_body), body, NOW)


@pytest.mark.parametrize("verifier", VERIFIERS, ids=lambda v: type(v).__name__)
def test_every_verifier_is_a_webhook_verifier_and_hides_its_secret(
    verifier: WebhookVerifier,
) -> None:
    assert isinstance(verifier, WebhookVerifier)
    assert SHOPIFY_SECRET not in repr(verifier)
    assert DOUDIAN_SECRET not in repr(verifier)


@pytest.mark.parametrize("verifier", VERIFIERS, ids=lambda v: type(v).__name__)
@given(body=st.binary(max_size=200), other=st.binary(max_size=200))
def test_any_change_to_the_body_is_refused(
    verifier: WebhookVerifier, body: bytes, other: bytes
) -> None:
    """C1: a verified event's body is exactly the signed bytes."""
    assert _deliver(verifier, body, body).body == body
    if other != body:
        with pytest.raises(SignatureMismatch, match="digest differs"):
            _deliver(verifier, other, body)


# --- de-duplication --------------------------------------------------------------


def delivery(event_id: str, channel: str = "shopify") -> VerifiedEvent:
    return VerifiedEvent(channel, event_id, "orders/create", b"{}")


def test_each_event_is_claimed_once_until_its_ttl_passes() -> None:
    """C1/C8: at-least-once deliveries are processed once."""
    clock = FakeClock(NOW)
    seen = WebhookDeduplicator(clock, ttl=timedelta(hours=1))
    assert [seen.claim(delivery("a")), seen.claim(delivery("a"))] == [True, False]
    assert seen.claim(delivery("a", channel="doudian")) is True
    clock.advance(timedelta(minutes=59))
    assert seen.claim(delivery("a")) is False
    clock.advance(timedelta(minutes=1))
    assert seen.claim(delivery("a")) is True
    assert len(seen) == 1


def test_a_released_event_is_claimed_again() -> None:
    seen = WebhookDeduplicator(FakeClock(NOW))
    assert seen.claim(delivery("a"))
    seen.release(delivery("a"))
    seen.release(delivery("never-seen"))
    assert seen.claim(delivery("a"))


def test_memory_is_bounded_forgetting_the_oldest_first() -> None:
    seen = WebhookDeduplicator(FakeClock(NOW), max_events=3)
    for event_id in "abcde":
        assert seen.claim(delivery(event_id))
    assert len(seen) == 3
    assert [seen.claim(delivery(e)) for e in "cde"] == [False, False, False]
    assert seen.claim(delivery("a")) is True
    assert repr(seen) == (
        "WebhookDeduplicator(ttl=datetime.timedelta(days=2), max_events=3, held=3)"
    )


def test_each_claim_expires_on_its_own_even_if_the_clock_went_back() -> None:
    clock = FakeClock(NOW)
    seen = WebhookDeduplicator(clock, ttl=timedelta(minutes=10))
    seen.claim(delivery("a"))
    clock.set(NOW - timedelta(hours=1))
    seen.claim(delivery("b"))
    clock.set(NOW + timedelta(minutes=5))
    assert seen.claim(delivery("b")) is True
    assert seen.claim(delivery("a")) is False


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"ttl": timedelta(0)}, "ttl must be positive"), ({"max_events": 0}, "max_events")],
)
def test_a_useless_deduplicator_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        WebhookDeduplicator(**kwargs)  # type: ignore[arg-type]


@given(st.lists(st.sampled_from("abcdefgh"), max_size=40))
def test_exactly_the_first_delivery_of_each_event_is_claimed(ids: list[str]) -> None:
    seen = WebhookDeduplicator(FakeClock(NOW))
    claimed = [seen.claim(delivery(event_id)) for event_id in ids]
    assert claimed == [event_id not in ids[:i] for i, event_id in enumerate(ids)]
