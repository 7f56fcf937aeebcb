"""The conformance kit for channel adapters: one contract, every channel (MISSION C7).

Subclass :class:`AdapterContract` in a test module, name the subclass ``Test...`` and
give it your adapter, a few recorded payloads and the platform's answers; pytest then
runs every check on it. A failing check lists each problem with the payload index (or
page, or failure) and the field, and says what to fix::

    from orderkit.testing.channels import AdapterContract

    class TestMyShop(AdapterContract):
        def make_adapter(self):
            return MyShop(token="test-token")

        def order_payloads(self):
            return [json.loads(p.read_text()) for p in sorted(RECORDED.glob("*.json"))]

        ...  # platform_total, orders_api, sign_webhook, make_verifier, failures, pii, secrets

The checks: mapping completeness and exact money (C2), idempotent re-ingest, webhook
signatures (good, tampered, forged, stale), pagination and cursor monotonicity (C1),
retry classification (C3) and PII kept out of errors and masked orders (C6).
docs/writing-an-adapter.md walks through one adapter and its contract.

.. versionadded:: 0.1
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
import pytest

from orderkit.channels._adapter import Adapter
from orderkit.channels._protocols import WebhookVerifier
from orderkit.channels._types import ErrorKind, OrderPage, SyncCursor
from orderkit.errors import ChannelError
from orderkit.money import Money
from orderkit.testing import _channels_mapping as mapping
from orderkit.testing import _channels_webhooks as webhooks
from orderkit.testing import _channels_wire as wire
from orderkit.testing._channels_findings import check_reprs

__all__ = ["AdapterContract"]

_FORGERIES = [
    ("another body's signature", webhooks.another_bodys_signature),
    ("a garbled signature", webhooks.garbled_signature),
    ("no signature", webhooks.no_signature),
]


class AdapterContract:
    """The checks every channel adapter passes; subclass it as ``class TestMyShop(...)``.

    Define the methods that raise ``NotImplementedError`` here. ``stale_after`` is how
    old a webhook the verifier must refuse (``None`` when the platform signs no
    timestamp); ``webhook_at`` is when the kit's deliveries are signed.
    """

    stale_after: ClassVar[timedelta | None] = timedelta(hours=1)
    webhook_at: ClassVar[datetime] = datetime(2026, 11, 11, 12, tzinfo=UTC)

    def make_adapter(self) -> Adapter:
        """A fresh adapter holding test credentials."""
        raise NotImplementedError("define make_adapter() returning your adapter")

    def order_payloads(self) -> Sequence[Mapping[str, Any]]:
        """At least 3 recorded order payloads, as the platform sends them."""
        raise NotImplementedError("define order_payloads() returning recorded payloads")

    def platform_total(self, payload: Mapping[str, Any]) -> Money:
        """What the buyer pays for ``payload``, by the platform's own total field."""
        raise NotImplementedError("define platform_total(payload) from the payload's total")

    def orders_api(self, payloads: Sequence[Mapping[str, Any]]) -> httpx.MockTransport:
        """The platform's order-list endpoint serving ``payloads``, paged as it pages them."""
        raise NotImplementedError("define orders_api(payloads) returning an httpx.MockTransport")

    def make_verifier(self) -> WebhookVerifier | None:
        """The webhook verifier with test secrets, or ``None`` for a channel without webhooks."""
        raise NotImplementedError("define make_verifier() (return None without webhooks)")

    def sign_webhook(self, body: bytes, at: datetime) -> Mapping[str, str]:
        """The headers the platform sends with ``body`` signed at ``at``."""
        raise NotImplementedError("define sign_webhook(body, at) returning the signed headers")

    def failures(self) -> Sequence[tuple[httpx.Response, ErrorKind]]:
        """The platform's error responses, each with the kind it must be classified as."""
        raise NotImplementedError("define failures() returning (response, ErrorKind) pairs")

    def pii(self, payload: Mapping[str, Any]) -> Sequence[str]:
        """The raw personal data in ``payload``: phones, names, street lines."""
        raise NotImplementedError("define pii(payload) returning its raw phones, names, streets")

    def secrets(self) -> Sequence[str]:
        """The test secrets and tokens given to the adapter and verifier."""
        raise NotImplementedError("define secrets() returning the test secrets and tokens")

    def sync_span(self) -> tuple[datetime, datetime]:
        """The sync that must fetch every payload: by default from the earliest order's
        creation to a day after the latest; override it when the API filters otherwise."""
        adapter = self.make_adapter()
        created = [adapter.mapper.map(p).order.created_at for p in self.order_payloads()]
        return min(created), max(created) + timedelta(days=1)

    def test_every_payload_maps_completely(self) -> None:
        """Every payload maps: skus, quantities, prices, one currency, the platform's total."""
        adapter = self.make_adapter()
        payloads = self.order_payloads()
        mapping.check_mapping(adapter.mapper, adapter.channel, payloads, self.platform_total)

    def test_reingest_is_idempotent(self) -> None:
        """Mapping a payload again, or re-read from its JSON, gives an equal order."""
        mapping.check_reingest(self.make_adapter().mapper, self.order_payloads())

    def test_a_signed_webhook_verifies(self) -> None:
        """A delivery signed by ``sign_webhook`` verifies to its body and an event id."""
        self._deliveries().check_good()

    def test_reprs_hide_the_secrets(self) -> None:
        """Neither the adapter's nor the verifier's repr shows a secret or token."""
        adapter, verifier = self.make_adapter(), self.make_verifier()
        check_reprs([adapter] if verifier is None else [adapter, verifier], self.secrets())

    def test_a_tampered_webhook_is_refused(self) -> None:
        """A body changed in transit raises ``SignatureMismatch``."""
        self._deliveries().check_refused("a tampered body", webhooks.tampered_body)

    @pytest.mark.parametrize(("case", "forge"), _FORGERIES, ids=[c for c, _ in _FORGERIES])
    def test_a_forged_signature_is_refused(self, case: str, forge: webhooks.Forge) -> None:
        """Another body's signature, a garbled one or none raises ``SignatureMismatch``."""
        self._deliveries().check_refused(case, forge)

    def test_a_stale_webhook_is_refused(self) -> None:
        """A delivery signed ``stale_after`` ago raises ``SignatureMismatch``."""
        if self.stale_after is None:
            pytest.skip("stale_after is None: the platform signs no timestamp")
        deliveries = self._deliveries()
        deliveries.check_refused(
            f"a {self.stale_after} old timestamp", webhooks.stale(self.stale_after)
        )

    def test_every_order_comes_back_once_through_pages(self) -> None:
        """A sync over ``sync_span`` returns each payload once; cursors only move forward."""
        start, found, expected = self._sync(wire.walk)
        wire.check_pages(start, found, expected)

    def test_the_async_client_sees_the_same_pages(self) -> None:
        """``AsyncChannel`` pages the same orders as ``Channel``."""
        _, found, _ = self._sync(wire.walk_async)
        _, expected_pages, _ = self._sync(wire.walk)
        got = [[o.order.channel.key for o in page.orders] for page in found]
        expected = [[o.order.channel.key for o in page.orders] for page in expected_pages]
        if got != expected:
            raise AssertionError(f"async pages {got} differ from the sync pages {expected}")

    def test_failures_are_classified_as_declared(self) -> None:
        """Each declared error response is classified as declared, through ``fetch_orders`` too."""
        start = SyncCursor.start(self.make_adapter().channel, *self.sync_span())
        wire.check_failures(self.make_adapter(), self.failures(), start, self.secrets())

    def test_transport_errors_are_transient(self) -> None:
        """Timeouts and dropped connections are transient and retryable."""
        start = SyncCursor.start(self.make_adapter().channel, *self.sync_span())
        wire.check_transport_errors(self.make_adapter(), start, self.secrets())

    def test_a_broken_payload_names_the_field_without_pii(self) -> None:
        """A missing or malformed field raises ``MappingFailed`` naming it, without raw PII."""
        mapping.check_broken_payloads(self.make_adapter().mapper, self.order_payloads(), self.pii)

    def test_masked_orders_show_no_pii(self) -> None:
        """The masked order a host logs shows none of the payload's raw PII."""
        mapping.check_masked_reprs(self.make_adapter().mapper, self.order_payloads(), self.pii)

    def _deliveries(self) -> webhooks.Deliveries:
        verifier = self.make_verifier()
        if verifier is None:
            pytest.skip("make_verifier() returned None: the channel has no webhooks")
        body = json.dumps(self.order_payloads()[0], default=str, ensure_ascii=False).encode()
        channel = self.make_adapter().channel
        return webhooks.Deliveries(
            verifier, self.sign_webhook, channel, body, self.webhook_at, self.secrets()
        )

    def _sync(
        self, walk: Callable[[Adapter, httpx.MockTransport, SyncCursor], list[OrderPage]]
    ) -> tuple[SyncCursor, list[OrderPage], list[str]]:
        adapter = self.make_adapter()
        payloads = self.order_payloads()
        expected = [adapter.mapper.map(p).order.channel.external_id for p in payloads]
        start = SyncCursor.start(adapter.channel, *self.sync_span())
        try:
            found = walk(adapter, self.orders_api(payloads), start)
        except ChannelError as error:
            raise AssertionError(
                f"pagination: the sync from {start.to_json()} raised {error!r}; check the "
                "requests fetch_orders makes against orders_api()"
            ) from error
        return start, found, expected
