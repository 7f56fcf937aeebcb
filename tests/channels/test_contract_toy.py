"""The conformance kit run on the minishop example adapter, and on broken copies of it (C7).

``TestMinishop`` is what an adapter author writes. The classes without the ``Test``
prefix break one thing each; running the kit's checks on them proves the kit catches it
and names the payload, page or failure, and the field (MISSION C1, C2, C3, C6, C7).
"""

from __future__ import annotations

import hashlib
import re
import runpy
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderkit.channels import (
    Adapter,
    Channel,
    ChannelOrder,
    ErrorKind,
    PushStatus,
    ShopifyWebhookVerifier,
    StockLevel,
    TrackingUpdate,
    WebhookVerifier,
)
from orderkit.errors import ChannelRequestFailed, MappingFailed, MappingProblem
from orderkit.money import Money
from orderkit.order import ChannelRef
from orderkit.testing import _channels_webhooks as forgeries
from orderkit.testing.channels import AdapterContract

ROOT = Path(__file__).parents[2]
EXAMPLE = runpy.run_path(str(ROOT / "examples" / "channel_adapter.py"))
Minishop = EXAMPLE["Minishop"]
MinishopWebhooks = EXAMPLE["MinishopWebhooks"]
MAPPER = EXAMPLE["MAPPER"]
TOKEN = "tok_test_5f2c9e"
SECRET = "whsec_test_8d41a7"


def _payload(number: int, created: str, updated: str, status: str, **rest: Any) -> dict[str, Any]:
    return {
        "id": str(number),
        "number": f"MS-{number}",
        "created": created,
        "updated": updated,
        "currency": "CNY",
        "status": status,
        **rest,
    }


def _item(line: str, sku: str, qty: int, price: int, **rest: int) -> dict[str, Any]:
    return {"id": line, "sku": sku, "title": f"{sku} title", "qty": qty, "price_fen": price, **rest}


PAYLOADS = [
    _payload(
        1001, "2026-11-11T08:00:00+08:00", "2026-11-11T08:05:00+08:00", "paid",
        buyer={"name": "王小明", "phone": "+86 138-0013-8000"},
        ship_to={"country": "CN", "province": "浙江省", "city": "杭州市",
                 "street": "西湖区文三路 90 号", "name": "王小明", "phone": "13800138000"},
        items=[_item("1", "TEA-01", 2, 5900, discount_fen=500), _item("2", "CUP-02", 1, 3900)],
        shipping_fen=800, total_fen=16000,
    ),
    _payload(
        1002, "2026-11-11T09:30:00+08:00", "2026-11-11T10:00:00+08:00", "shipped",
        buyer={"name": "Jane Smith", "phone": "+1 (502) 459-2181"},
        ship_to={"country": "US", "province": "KY", "city": "Louisville",
                 "street": "1 Main Street", "name": "Jane Smith", "phone": "+1 (502) 459-2181"},
        items=[_item("1", "SCARF", 1, 19900)],
        shipping_fen=0, total_fen=19900,
    ),
    _payload(
        1003, "2026-11-11T10:00:00+08:00", "2026-11-11T21:00:00+08:00", "unpaid",
        buyer={"name": "李雷", "phone": "13912345678"},
        ship_to={"country": "CN", "province": "上海市", "city": "上海市",
                 "street": "浦东新区世纪大道 100 号", "name": "韩梅梅", "phone": "13987654321"},
        items=[_item("1", "A", 3, 1990), _item("2", "B", 1, 990, discount_fen=90),
               _item("3", "C", 2, 2500)],
        shipping_fen=1200, total_fen=13070,
    ),
    _payload(
        1004, "2026-11-11T11:00:00+08:00", "2026-11-11T11:01:00+08:00", "cancelled",
        buyer={"name": "赵六", "phone": "13700001111"},
        ship_to={"country": "CN", "province": "广东省", "city": "深圳市",
                 "street": "南山区科技园 8 栋", "name": "赵六", "phone": "13700001111"},
        items=[_item("1", "TEA-01", 1, 5900)],
        shipping_fen=0, total_fen=5900,
    ),
]  # fmt: skip


def _error(status: int, code: str, **headers: str) -> httpx.Response:
    body = {"error": {"code": code, "message": f"{code} (test)"}}
    return httpx.Response(status, json=body, headers=headers)


def minishop_api(payloads: Sequence[Mapping[str, Any]], page_size: int = 2) -> httpx.MockTransport:
    """Minishop's ``GET /orders``: updated in ``[updated_from, updated_to)``, ``page_size``
    per page, oldest first, the offset of the next page as the ``next`` token."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _error(401, "token_expired")
        if request.url.path != "/orders":
            return _error(404, "not_found")
        params = request.url.params
        since, until = (datetime.fromisoformat(params[k]) for k in ("updated_from", "updated_to"))
        matching = sorted(
            (p for p in payloads if since <= datetime.fromisoformat(p["updated"]) < until),
            key=lambda p: datetime.fromisoformat(p["updated"]),
        )
        offset = int(params["next"] or 0)
        more = offset + page_size < len(matching)
        page = matching[offset : offset + page_size]
        return httpx.Response(
            200, json={"orders": page, "next": str(offset + page_size) if more else None}
        )

    return httpx.MockTransport(handler)


class TestMinishop(AdapterContract):
    """The minishop example passes the whole kit."""

    payloads: Sequence[Mapping[str, Any]] = PAYLOADS
    page_size = 2

    def make_adapter(self) -> Adapter:
        adapter: Adapter = Minishop(TOKEN)
        return adapter

    def order_payloads(self) -> Sequence[Mapping[str, Any]]:
        return self.payloads

    def platform_total(self, payload: Mapping[str, Any]) -> Money:
        return Money.from_minor(payload["total_fen"], payload["currency"])

    def orders_api(self, payloads: Sequence[Mapping[str, Any]]) -> httpx.MockTransport:
        return minishop_api(payloads, self.page_size)

    def make_verifier(self) -> WebhookVerifier | None:
        verifier: WebhookVerifier = MinishopWebhooks(SECRET)
        return verifier

    def sign_webhook(self, body: bytes, at: datetime) -> Mapping[str, str]:
        signed: dict[str, str] = MinishopWebhooks(SECRET).sign(body, at)
        return {**signed, "X-Minishop-Topic": "orders/paid"}

    def failures(self) -> Sequence[tuple[httpx.Response, ErrorKind]]:
        return [
            (_error(429, "rate_limited", **{"Retry-After": "30"}), ErrorKind.RATE_LIMITED),
            (_error(401, "token_expired"), ErrorKind.AUTH_EXPIRED),
            (_error(503, "busy"), ErrorKind.TRANSIENT),
            (httpx.Response(502, text="<html>Bad Gateway</html>"), ErrorKind.TRANSIENT),
            (_error(400, "bad_request"), ErrorKind.PERMANENT),
        ]

    def pii(self, payload: Mapping[str, Any]) -> Sequence[str]:
        buyer, ship_to = payload["buyer"], payload["ship_to"]
        return [buyer["name"], buyer["phone"], ship_to["street"], ship_to["name"], ship_to["phone"]]

    def secrets(self) -> Sequence[str]:
        return [TOKEN, SECRET]


def test_an_empty_contract_says_which_method_to_define() -> None:
    with pytest.raises(NotImplementedError, match=r"define make_adapter\(\)"):
        AdapterContract().test_every_payload_maps_completely()


class LineDropper:
    """Loses the last line of every order with more than one."""

    channel = "minishop"

    def map(self, payload: Mapping[str, Any]) -> ChannelOrder:
        mapped: ChannelOrder = MAPPER.map(payload)
        lines = mapped.order.lines
        return mapped._replace(order=mapped.order.replace(lines=lines[:-1] or lines))


class DropsALine(TestMinishop):
    def make_adapter(self) -> Adapter:
        adapter: Adapter = attrs.evolve(Minishop(TOKEN), mapper=LineDropper())
        return adapter


def test_the_kit_catches_a_mapper_that_drops_a_line() -> None:
    """C2: 160.00 paid for MS-1001, but without its cup line the order comes to 121.00."""
    with pytest.raises(AssertionError) as caught:
        DropsALine().test_every_payload_maps_completely()
    report = str(caught.value)
    assert report.startswith("mapping completeness: 2 problems")
    assert "payload[0] (id 1001): total CNY 121.00" in report
    assert "!= platform total CNY 160.00, off by CNY -39.00" in report
    assert "payload[2] (id 1003)" in report


class LaxWebhooks:
    """Checks that a signature is there, never what it signs."""

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Any:
        if "X-Minishop-Signature" not in headers:
            return MinishopWebhooks(SECRET).verify(headers, body, now)
        return EXAMPLE["ch"].VerifiedEvent("minishop", hashlib.sha256(body).hexdigest(), "", body)


class AcceptsTampered(TestMinishop):
    def make_verifier(self) -> WebhookVerifier | None:
        return LaxWebhooks()


def test_the_kit_catches_a_verifier_that_accepts_tampered_bodies() -> None:
    contract = AcceptsTampered()
    contract.test_a_signed_webhook_verifies()
    with pytest.raises(AssertionError, match=r"tampered body is refused: 1 problem\n.*accepted it"):
        contract.test_a_tampered_webhook_is_refused()
    with pytest.raises(AssertionError, match="accepted it"):
        contract.test_a_stale_webhook_is_refused()


class NeverStale(TestMinishop):
    def make_verifier(self) -> WebhookVerifier | None:
        verifier: WebhookVerifier = MinishopWebhooks(SECRET, max_age=timedelta(days=30))
        return verifier


def test_the_kit_catches_a_verifier_without_a_replay_window() -> None:
    with pytest.raises(AssertionError, match="a 1:00:00 old timestamp is refused"):
        NeverStale().test_a_stale_webhook_is_refused()


class Telltale:
    """Refuses what it should, but says too much about why."""

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Any:
        try:
            return MinishopWebhooks(SECRET).verify(headers, body, now)
        except EXAMPLE["SignatureMismatch"] as refused:
            expected = MinishopWebhooks(SECRET).sign(body, now)["X-Minishop-Signature"]
            raise EXAMPLE["SignatureMismatch"]("minishop", f"expected {expected}") from refused


class SaysTooMuch(TestMinishop):
    def make_verifier(self) -> WebhookVerifier | None:
        return Telltale()


def test_the_kit_catches_a_reason_that_shows_the_expected_digest() -> None:
    """The digest for another body's signature is the good one: a forger's answer key."""
    with pytest.raises(AssertionError, match="shows a signature value"):
        SaysTooMuch().test_a_forged_signature_is_refused(
            "another body's signature", forgeries.another_bodys_signature
        )


class CallsRateLimitsTransient(TestMinishop):
    def failures(self) -> Sequence[tuple[httpx.Response, ErrorKind]]:
        return [(_error(429, "rate_limited", **{"Retry-After": "30"}), ErrorKind.TRANSIENT)]


def test_the_kit_catches_a_misdeclared_classification() -> None:
    with pytest.raises(AssertionError) as caught:
        CallsRateLimitsTransient().test_failures_are_classified_as_declared()
    report = str(caught.value)
    assert 'failures[0] (HTTP 429 \'{"error"' in report
    assert "classified rate_limited, declared transient" in report
    assert "fetch_orders raised rate_limited" in report


class Careless(Minishop):  # type: ignore[misc,valid-type]
    """Reads every answer as a success."""

    def _call(self, method: str, path: str, params: Any = None, json: Any = None) -> Any:
        response = yield httpx.Request(method, self.base_url + path, params=params, json=json)
        return response.json()

    def classify(self, failure: httpx.Response | httpx.HTTPError) -> Any:
        if isinstance(failure, httpx.HTTPError):
            return EXAMPLE["ch"].Classification(ErrorKind.PERMANENT, None, "no retries")
        return super().classify(failure)


class CarelessAdapter(TestMinishop):
    def make_adapter(self) -> Adapter:
        adapter: Adapter = Careless(TOKEN)
        return adapter


def test_the_kit_catches_an_adapter_that_parses_error_answers() -> None:
    with pytest.raises(AssertionError) as caught:
        CarelessAdapter().test_failures_are_classified_as_declared()
    report = str(caught.value)
    assert "failures[0] (HTTP 429" in report
    assert "fetch_orders gave KeyError, not ChannelRequestFailed" in report
    assert "fetch_orders gave JSONDecodeError" in report


def test_the_kit_catches_timeouts_that_are_not_retried() -> None:
    with pytest.raises(AssertionError) as caught:
        CarelessAdapter().test_transport_errors_are_transient()
    assert "ConnectTimeout: classify() says permanent, not retryable" in str(caught.value)


def _first_page_only(payloads: Sequence[Mapping[str, Any]]) -> httpx.MockTransport:
    inner = minishop_api(payloads)

    def handler(request: httpx.Request) -> httpx.Response:
        answer = inner.handle_request(request)
        answer.read()
        return httpx.Response(200, json={**answer.json(), "next": None})

    return httpx.MockTransport(handler)


class LosesNextToken(TestMinishop):
    def orders_api(self, payloads: Sequence[Mapping[str, Any]]) -> httpx.MockTransport:
        return _first_page_only(payloads)


def test_the_kit_catches_a_sync_that_skips_pages() -> None:
    """MS-1004 is the third order of the first six-hour window: it needs a second page."""
    with pytest.raises(AssertionError, match=r"payload\[3\] \(id 1004\): never came back"):
        LosesNextToken().test_every_order_comes_back_once_through_pages()


def _always_the_first_page(payloads: Sequence[Mapping[str, Any]]) -> httpx.MockTransport:
    inner = minishop_api(payloads)

    def handler(request: httpx.Request) -> httpx.Response:
        first = request.url.copy_set_param("next", "")
        return inner.handle_request(httpx.Request("GET", first, headers=request.headers))

    return httpx.MockTransport(handler)


class RepeatsAPage(TestMinishop):
    def orders_api(self, payloads: Sequence[Mapping[str, Any]]) -> httpx.MockTransport:
        return _always_the_first_page(payloads)


def test_the_kit_catches_a_sync_that_loops() -> None:
    with pytest.raises(AssertionError) as caught:
        RepeatsAPage().test_every_order_comes_back_once_through_pages()
    report = str(caught.value)
    assert "page 1: returned the cursor it was given: it loops" in report
    assert "payload[0] (id 1001): came back 2 times" in report


class KeyErrorMapper:
    """A hand-written mapper that indexes the payload without checking."""

    channel = "minishop"

    def map(self, payload: Mapping[str, Any]) -> ChannelOrder:
        if not payload["items"][0]["price_fen"]:
            raise ValueError("no price")
        mapped: ChannelOrder = MAPPER.map(payload)
        return mapped


class IndexesBlindly(TestMinishop):
    def make_adapter(self) -> Adapter:
        adapter: Adapter = attrs.evolve(Minishop(TOKEN), mapper=KeyErrorMapper())
        return adapter


def test_the_kit_catches_a_mapper_that_raises_keyerror() -> None:
    with pytest.raises(AssertionError) as caught:
        IndexesBlindly().test_a_broken_payload_names_the_field_without_pii()
    report = str(caught.value)
    assert (
        "payload[0] without items[0].price_fen: raised KeyError instead of MappingFailed" in report
    )
    assert "payload[0] with items[0].price_fen null: raised ValueError" in report


class PhoneEcho:
    """Says which phone it could not read: the raw number, in the error."""

    channel = "minishop"

    def map(self, payload: Mapping[str, Any]) -> ChannelOrder:
        phone = payload["buyer"]["phone"]
        if isinstance(phone, str) and not re.fullmatch(r"[+\d\s()-]+", phone):
            raise MappingFailed("minishop", [MappingProblem("buyer.phone", phone, "unreadable")])
        mapped: ChannelOrder = MAPPER.map(payload)
        return mapped


class EchoesPhones(TestMinishop):
    def make_adapter(self) -> Adapter:
        adapter: Adapter = attrs.evolve(Minishop(TOKEN), mapper=PhoneEcho())
        return adapter


def test_the_kit_catches_raw_pii_in_mapping_errors() -> None:
    with pytest.raises(
        AssertionError, match=r"with buyer.phone garbled: MappingFailed shows raw PII"
    ):
        EchoesPhones().test_a_broken_payload_names_the_field_without_pii()


class NameInNote:
    """Keeps the buyer's name in the order note, which masking cannot recognise."""

    channel = "minishop"

    def map(self, payload: Mapping[str, Any]) -> ChannelOrder:
        mapped: ChannelOrder = MAPPER.map(payload)
        note = f"for {payload['buyer']['name']}"
        return mapped._replace(order=mapped.order.replace(note=note))


class NotesNames(TestMinishop):
    def make_adapter(self) -> Adapter:
        adapter: Adapter = attrs.evolve(Minishop(TOKEN), mapper=NameInNote())
        return adapter


def test_the_kit_catches_pii_that_masking_cannot_see() -> None:
    """C6: a name outside the customer and address fields survives masking."""
    with pytest.raises(AssertionError, match=r"payload\[0\] \(id 1001\): the masked order"):
        NotesNames().test_masked_orders_show_no_pii()


@settings(max_examples=25, deadline=None)
@given(
    page_size=st.integers(min_value=1, max_value=4),
    minutes=st.lists(st.integers(min_value=0, max_value=24 * 60 - 1), min_size=3, max_size=7),
)
def test_every_page_size_and_update_time_passes_the_sync_checks(
    page_size: int, minutes: list[int]
) -> None:
    """Orders updated anywhere in the day, on window edges too, come back once each (C1)."""
    start = datetime.fromisoformat(PAYLOADS[0]["created"])
    contract = TestMinishop()
    contract.page_size = page_size
    contract.payloads = [
        {
            **PAYLOADS[i % len(PAYLOADS)],
            "id": str(2000 + i),
            "updated": (start + timedelta(minutes=m)).isoformat(),
        }
        for i, m in enumerate(minutes)
    ]
    contract.test_every_order_comes_back_once_through_pages()


def _shop(request: httpx.Request) -> httpx.Response:
    """Minishop's one-order, shipment and stock endpoints; order 1002 has shipped already."""
    if request.url.path == "/orders/1001":
        return httpx.Response(200, json={"order": PAYLOADS[0]})
    if request.url.path == "/orders/1002/shipments":
        return _error(409, "already_shipped")
    if request.url.path == "/orders/9999":
        return _error(404, "not_found")
    return httpx.Response(200, json={"ok": True})


def test_the_example_fetches_one_order_and_pushes_tracking_and_stock() -> None:
    """C4: a second push for a shipped order is a success, not an error to retry."""
    with httpx.Client(transport=httpx.MockTransport(_shop)) as http:
        client = Channel(Minishop(TOKEN), http)
        assert client.fetch_order("1001").order.order_id == "MS-1001"
        pushes = [
            client.push_tracking(
                TrackingUpdate(ChannelRef(channel="minishop", external_id=i), "SF1", "SF")
            )
            for i in ("1001", "1002")
        ]
        assert [p.status for p in pushes] == [PushStatus.PUSHED, PushStatus.ALREADY_DONE]
        assert client.push_stock([StockLevel("TEA-01", 7)]).status is PushStatus.PUSHED
        with pytest.raises(ChannelRequestFailed) as caught:
            client.fetch_order("9999")
    assert (caught.value.kind, caught.value.status) == ("permanent", 404)


def test_the_guide_quotes_the_example_and_its_contract_verbatim() -> None:
    """docs/writing-an-adapter.md shows the code that runs, not a copy that drifts (C7)."""
    guide = (ROOT / "docs" / "writing-an-adapter.md").read_text(encoding="utf-8")
    sources = (ROOT / "examples" / "channel_adapter.py").read_text(encoding="utf-8")
    sources += Path(__file__).read_text(encoding="utf-8")
    quoted = re.findall(r"```python\n(.*?)```", guide, flags=re.DOTALL)
    assert len(quoted) == 5
    for block in quoted:
        assert block in sources, block.splitlines()[0]


class TokenInUrl(TestMinishop):
    """An API that takes its token in the URL path, and a repr that shows the URL."""

    def make_adapter(self) -> Adapter:
        adapter: Adapter = Minishop(TOKEN, base_url=f"https://api.minishop.example/{TOKEN}")
        return adapter


def test_the_kit_catches_a_secret_in_a_repr() -> None:
    with pytest.raises(AssertionError, match=r"repr\(Minishop\): shows secrets\(\)\[0\]"):
        TokenInUrl().test_reprs_hide_the_secrets()


class AsyncOnlyFirstPage(TestMinishop):
    """The first walk (the async one) loses the next token: the two walks disagree."""

    calls = 0

    def orders_api(self, payloads: Sequence[Mapping[str, Any]]) -> httpx.MockTransport:
        self.calls += 1
        return _first_page_only(payloads) if self.calls == 1 else minishop_api(payloads)


def test_the_kit_catches_async_pages_that_differ() -> None:
    with pytest.raises(AssertionError, match=r"async pages .* differ from the sync pages"):
        AsyncOnlyFirstPage().test_the_async_client_sees_the_same_pages()


class CaseSensitive:
    """Reads headers by their exact names, as if they were a plain dict."""

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Any:
        exact = {"X-Minishop-Timestamp": headers["X-Minishop-Timestamp"]}
        exact["X-Minishop-Signature"] = headers["X-Minishop-Signature"]
        return MinishopWebhooks(SECRET).verify(exact, body, now)


class ReadsExactHeaderNames(TestMinishop):
    def make_verifier(self) -> WebhookVerifier | None:
        return CaseSensitive()


def test_the_kit_catches_a_verifier_that_needs_exact_header_names() -> None:
    with pytest.raises(AssertionError, match="raised KeyError on lower-case header names"):
        ReadsExactHeaderNames().test_a_signed_webhook_verifies()


class ShopifyStyleWebhooks(TestMinishop):
    """The library's Shopify verifier: base64 digest, no signed timestamp."""

    stale_after = None

    def make_verifier(self) -> WebhookVerifier | None:
        return ShopifyWebhookVerifier(SECRET, channel="minishop")

    def sign_webhook(self, body: bytes, at: datetime) -> Mapping[str, str]:
        digest = ShopifyWebhookVerifier(SECRET).sign(body)
        return {"X-Shopify-Hmac-Sha256": digest, "X-Shopify-Event-Id": "evt-1"}


def test_the_webhook_checks_fit_other_signature_schemes() -> None:
    """The kit finds the signature headers itself, whatever the platform calls them."""
    contract = ShopifyStyleWebhooks()
    contract.test_a_signed_webhook_verifies()
    contract.test_a_tampered_webhook_is_refused()
    for forge in (
        forgeries.another_bodys_signature,
        forgeries.garbled_signature,
        forgeries.no_signature,
    ):
        contract.test_a_forged_signature_is_refused(forge.__name__, forge)
    contract.test_reprs_hide_the_secrets()
    with pytest.raises(pytest.skip.Exception, match="signs no timestamp"):
        contract.test_a_stale_webhook_is_refused()
