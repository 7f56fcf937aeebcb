"""Tracking pushes go out once per package and channel, retried (MISSION C3, C4); stock (I2)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit.channels._ledger import InMemoryPushLedger, PushLedger
from orderkit.channels._protocols import AsyncChannelClient, ChannelClient
from orderkit.channels._push import (
    fan_out_tracking,
    fan_out_tracking_async,
    push_stock,
    push_stock_async,
    push_tracking,
    push_tracking_async,
)
from orderkit.channels._types import PushResult, PushStatus, StockLevel, TrackingUpdate
from orderkit.errors import ChannelRequestFailed, InvalidChannelInput
from orderkit.order import ChannelRef
from tests.channels.fake_client import (
    AsyncFakeChannel,
    FakeChannel,
    Script,
    Waits,
    already_shipped,
    ok,
    refused,
    throttled,
    unavailable,
)

SHOPIFY = ChannelRef(channel="shopify", external_id="450789469")
DOUYIN = ChannelRef(channel="douyin", external_id="4781234567890123456")
PDD = ChannelRef(channel="pinduoduo", external_id="231122-0123456789")
LEVELS = (StockLevel("SKU-RED-M", 32), StockLevel("SKU-RED-L", 0))


def update(ref: ChannelRef = SHOPIFY) -> TrackingUpdate:
    return TrackingUpdate(ref, "SF1234567890", "SF Express")


def status_of(ledger: PushLedger, key: str) -> PushStatus | None:
    recorded = ledger.get(key)
    return None if recorded is None else recorded.status


def test_clients_satisfy_the_protocols() -> None:
    assert isinstance(FakeChannel("shopify", Script()), ChannelClient)
    assert isinstance(AsyncFakeChannel("shopify", Script()), AsyncChannelClient)
    assert isinstance(InMemoryPushLedger(), PushLedger)


def test_a_push_is_sent_once_and_recorded() -> None:
    client, ledger = FakeChannel("shopify", Script(ok())), InMemoryPushLedger()
    result = push_tracking(client, update(), ledger, sleep=Waits())
    assert result == PushResult("shopify:450789469:SF1234567890", PushStatus.PUSHED, 1)
    assert ledger.get(result.key) == result
    (request,) = client.script.requests
    assert json.loads(request.content) == {
        "order_id": "450789469",
        "tracking_number": "SF1234567890",
        "carrier": "SF Express",
    }


def test_a_duplicate_push_sends_nothing() -> None:
    """C4: de-duplicated on our side by channel + order + tracking number."""
    client, ledger = FakeChannel("shopify", Script(ok())), InMemoryPushLedger()
    push_tracking(client, update(), ledger, sleep=Waits())
    again = push_tracking(client, update(), ledger, sleep=Waits())
    assert again == PushResult(update().dedup_key, PushStatus.SKIPPED_DUPLICATE, 0)
    assert len(client.script.requests) == 1
    assert status_of(ledger, again.key) is PushStatus.PUSHED


def test_transient_failures_are_retried_at_the_tiers() -> None:
    """C3: 503, then 429 asking for 3 minutes, then success."""
    waits = Waits()
    client = FakeChannel("shopify", Script(unavailable(), throttled("180"), ok()))
    result = push_tracking(client, update(), InMemoryPushLedger(), sleep=waits)
    assert (result.status, result.attempts) == (PushStatus.PUSHED, 3)
    assert waits.seconds == [30, 180]


def test_already_shipped_is_a_success_and_later_pushes_skip() -> None:
    client, ledger = (
        FakeChannel("shopify", Script(unavailable(), already_shipped())),
        InMemoryPushLedger(),
    )
    result = push_tracking(client, update(), ledger, sleep=Waits())
    assert (result.status, result.attempts, result.error) == (PushStatus.ALREADY_DONE, 2, None)
    assert push_tracking(client, update(), ledger).status is PushStatus.SKIPPED_DUPLICATE
    assert len(client.script.requests) == 2


def test_a_permanent_failure_is_recorded_then_raised_without_retrying() -> None:
    client, ledger = FakeChannel("shopify", Script(refused())), InMemoryPushLedger()
    waits = Waits()
    with pytest.raises(ChannelRequestFailed, match="permanent"):
        push_tracking(client, update(), ledger, sleep=waits)
    error = "shopify request failed (permanent): HTTP 400, platform code invalid_carrier"
    assert ledger.get(update().dedup_key) == PushResult(
        update().dedup_key, PushStatus.FAILED, 1, error
    )
    assert waits.seconds == []


def test_exhausted_retries_fail_with_the_attempt_count_when_results_are_asked() -> None:
    waits = Waits()
    client = FakeChannel("shopify", Script(*(unavailable() for _ in range(4))))
    result = push_tracking(
        client, update(), InMemoryPushLedger(), sleep=waits, raise_on_failure=False
    )
    assert (result.status, result.attempts) == (PushStatus.FAILED, 4)
    assert result.error == "shopify request failed (transient): HTTP 503"
    assert waits.seconds == [30, 120, 300]


def test_a_transport_failure_is_reported_without_the_url() -> None:
    connect_error = httpx.ConnectError("refused: https://api.example.test/?access_token=s3cret")
    client = FakeChannel("shopify", Script(*(connect_error for _ in range(4))))
    result = push_tracking(
        client, update(), InMemoryPushLedger(), sleep=Waits(), raise_on_failure=False
    )
    assert (result.status, result.attempts, result.error) == (PushStatus.FAILED, 4, "ConnectError")


def test_a_failure_does_not_block_a_later_push() -> None:
    client, ledger = FakeChannel("shopify", Script(refused(), ok())), InMemoryPushLedger()
    assert (
        push_tracking(client, update(), ledger, raise_on_failure=False).status is PushStatus.FAILED
    )
    assert push_tracking(client, update(), ledger).status is PushStatus.PUSHED
    assert status_of(ledger, update().dedup_key) is PushStatus.PUSHED


def test_the_ledger_never_replaces_a_success_with_a_failure() -> None:
    ledger = InMemoryPushLedger()
    key = update().dedup_key
    ledger.record(PushResult(key, PushStatus.FAILED, 4, "HTTP 503"))
    ledger.record(PushResult(key, PushStatus.ALREADY_DONE, 1))
    ledger.record(PushResult(key, PushStatus.FAILED, 1, "HTTP 400"))
    assert ledger.get(key) == PushResult(key, PushStatus.ALREADY_DONE, 1)
    assert ledger.get("shopify:other:SF1") is None


def test_an_update_for_another_channel_is_refused_before_sending() -> None:
    client = FakeChannel("douyin", Script())
    with pytest.raises(InvalidChannelInput, match="'shopify' given to the 'douyin' client"):
        push_tracking(client, update(SHOPIFY), InMemoryPushLedger())
    assert client.script.requests == []
    with pytest.raises(InvalidChannelInput, match="blank tracking number for shopify:450789469"):
        push_tracking(
            FakeChannel("shopify", Script()),
            TrackingUpdate(SHOPIFY, " ", "SF"),
            InMemoryPushLedger(),
        )


def test_stock_pushes_are_retried_and_never_deduplicated() -> None:
    """I2: setting the same level twice is harmless, so both pushes go out."""
    waits = Waits()
    client = FakeChannel("pinduoduo", Script(unavailable(), ok(), ok()))
    first = push_stock(client, LEVELS, sleep=waits)
    assert first == PushResult("pinduoduo:stock:SKU-RED-M,SKU-RED-L", PushStatus.PUSHED, 2)
    assert push_stock(client, LEVELS, sleep=waits).status is PushStatus.PUSHED
    assert waits.seconds == [30]
    assert json.loads(client.script.requests[-1].content) == [
        {"sku": "SKU-RED-M", "quantity": 32},
        {"sku": "SKU-RED-L", "quantity": 0},
    ]
    with pytest.raises(InvalidChannelInput, match="no stock levels"):
        push_stock(client, [])


def test_fan_out_pushes_to_every_channel_even_when_one_fails() -> None:
    """C4: one channel's failure does not stop the others; each outcome is reported."""
    clients = {
        "shopify": FakeChannel("shopify", Script(ok())),
        "douyin": FakeChannel("douyin", Script(refused())),
        "pinduoduo": FakeChannel("pinduoduo", Script(unavailable(), already_shipped())),
    }
    ledger, waits = InMemoryPushLedger(), Waits()
    results = fan_out_tracking(
        [SHOPIFY, DOUYIN, PDD, SHOPIFY], clients, "SF1234567890", "SF Express", ledger, sleep=waits
    )
    assert [(r.key, r.status, r.attempts) for r in results] == [
        ("shopify:450789469:SF1234567890", PushStatus.PUSHED, 1),
        ("douyin:4781234567890123456:SF1234567890", PushStatus.FAILED, 1),
        ("pinduoduo:231122-0123456789:SF1234567890", PushStatus.ALREADY_DONE, 2),
    ]
    assert all(ledger.get(r.key) == r for r in results)
    assert waits.seconds == [30]


def test_fan_out_without_a_client_for_a_channel_sends_nothing() -> None:
    shopify = FakeChannel("shopify", Script(ok()))
    with pytest.raises(InvalidChannelInput, match=r"no client for channel\(s\) douyin, pinduoduo"):
        fan_out_tracking(
            [SHOPIFY, DOUYIN, PDD], {"shopify": shopify}, "SF1", "SF", InMemoryPushLedger()
        )
    assert shopify.script.requests == []


def test_fan_out_with_a_client_for_another_channel_sends_nothing() -> None:
    shopify = FakeChannel("shopify", Script(ok()))
    clients = {"shopify": shopify, "douyin": FakeChannel("douyin-test", Script(ok()))}
    with pytest.raises(InvalidChannelInput, match="given for douyin serves another channel"):
        fan_out_tracking([SHOPIFY, DOUYIN], clients, "SF1", "SF", InMemoryPushLedger())
    assert shopify.script.requests == []


def test_async_pushes_retry_and_deduplicate() -> None:
    waits, ledger = Waits(), InMemoryPushLedger()
    client = AsyncFakeChannel("shopify", Script(throttled("45"), ok(), unavailable(), ok()))

    async def scenario() -> list[PushResult]:
        pushed = await push_tracking_async(client, update(), ledger, sleep=waits.async_sleep)
        again = await push_tracking_async(client, update(), ledger, sleep=waits.async_sleep)
        stock = await push_stock_async(client, LEVELS, sleep=waits.async_sleep)
        return [pushed, again, stock]

    pushed, again, stock = asyncio.run(scenario())
    assert (pushed.status, pushed.attempts) == (PushStatus.PUSHED, 2)
    assert again.status is PushStatus.SKIPPED_DUPLICATE
    assert (stock.status, stock.attempts) == (PushStatus.PUSHED, 2)
    assert waits.seconds == [45, 30]
    assert len(client.script.requests) == 4


def test_async_fan_out_reports_each_channel() -> None:
    clients = {
        "shopify": AsyncFakeChannel("shopify", Script(unavailable(), ok())),
        "douyin": AsyncFakeChannel("douyin", Script(*(unavailable() for _ in range(4)))),
    }
    waits = Waits()
    results = asyncio.run(
        fan_out_tracking_async(
            [SHOPIFY, DOUYIN], clients, "SF1", "SF", InMemoryPushLedger(), sleep=waits.async_sleep
        )
    )
    assert [(r.status, r.attempts) for r in results] == [
        (PushStatus.PUSHED, 2),
        (PushStatus.FAILED, 4),
    ]
    assert sorted(waits.seconds) == [30, 30, 120, 300]
    refusing = AsyncFakeChannel("douyin", Script(refused()))
    with pytest.raises(ChannelRequestFailed, match="permanent"):
        asyncio.run(push_tracking_async(refusing, update(DOUYIN), InMemoryPushLedger()))


ANSWERS = {
    "ok": ok,
    "already_shipped": already_shipped,
    "unavailable": unavailable,
    "throttled": lambda: throttled("60"),
    "refused": refused,
}


@given(st.lists(st.sampled_from(sorted(ANSWERS)), min_size=4, max_size=4))
def test_any_script_sends_at_most_four_attempts_and_a_success_is_final(names: list[str]) -> None:
    client = FakeChannel("shopify", Script(*(ANSWERS[name]() for name in names)))
    ledger, waits = InMemoryPushLedger(), Waits()
    result = push_tracking(client, update(), ledger, sleep=waits, raise_on_failure=False)
    sent = len(client.script.requests)
    assert result.attempts == sent <= 4
    assert len(waits.seconds) == sent - 1
    last = names[sent - 1]
    expected = {"ok": PushStatus.PUSHED, "already_shipped": PushStatus.ALREADY_DONE}
    assert result.status is expected.get(last, PushStatus.FAILED)
    assert ledger.get(result.key) == result
    if result.status is not PushStatus.FAILED:
        assert push_tracking(client, update(), ledger).status is PushStatus.SKIPPED_DUPLICATE
        assert len(client.script.requests) == sent
