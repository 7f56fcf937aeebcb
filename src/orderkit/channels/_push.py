"""Idempotent writes to the channels: tracking numbers (MISSION C4) and stock levels (I2)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Protocol

from orderkit.channels._attempts import AsyncSleep, Sleep, run, run_async, settle
from orderkit.channels._ledger import PushLedger, already_pushed
from orderkit.channels._protocols import AsyncChannelClient, ChannelClient
from orderkit.channels._retry import RetryPolicy
from orderkit.channels._types import PushResult, PushStatus, StockLevel, TrackingUpdate
from orderkit.errors import InvalidChannelInput
from orderkit.order import ChannelRef

__all__ = [
    "fan_out_tracking",
    "fan_out_tracking_async",
    "push_stock",
    "push_stock_async",
    "push_tracking",
    "push_tracking_async",
]

_DEFAULT_POLICY = RetryPolicy()


def _tracking_key(client_channel: str, update: TrackingUpdate) -> str:
    if not update.tracking_number.strip():
        raise InvalidChannelInput(f"blank tracking number for {update.channel.key}")
    if update.channel.channel != client_channel:
        raise InvalidChannelInput(
            f"update for channel {update.channel.channel!r} given to the {client_channel!r} client"
        )
    return update.dedup_key


def _skipped(key: str) -> PushResult:
    return PushResult(key, PushStatus.SKIPPED_DUPLICATE, 0)


def push_tracking(
    client: ChannelClient,
    update: TrackingUpdate,
    ledger: PushLedger,
    *,
    policy: RetryPolicy = _DEFAULT_POLICY,
    sleep: Sleep = time.sleep,
    raise_on_failure: bool = True,
) -> PushResult:
    """Push a tracking number once per channel order and package (MISSION C4, C3).

    A key already recorded as pushed is skipped (``skipped_duplicate``, nothing sent).
    Retryable failures are retried through ``policy``, waiting with ``sleep``; the
    channel's "already shipped" answer is a success (``already_done``). The outcome is
    recorded in ``ledger``; a final failure is recorded as ``failed`` with the error
    text and the attempts made, then re-raised unless ``raise_on_failure`` is false.
    """
    key = _tracking_key(client.channel, update)
    if already_pushed(ledger, key):
        return _skipped(key)
    outcome, attempts = run(policy, sleep, lambda: client.push_tracking(update))
    return settle(key, outcome, attempts, ledger, raise_on_failure)


async def push_tracking_async(
    client: AsyncChannelClient,
    update: TrackingUpdate,
    ledger: PushLedger,
    *,
    policy: RetryPolicy = _DEFAULT_POLICY,
    sleep: AsyncSleep = asyncio.sleep,
    raise_on_failure: bool = True,
) -> PushResult:
    """:func:`push_tracking` through an :class:`AsyncChannelClient`."""
    key = _tracking_key(client.channel, update)
    if already_pushed(ledger, key):
        return _skipped(key)
    outcome, attempts = await run_async(policy, sleep, lambda: client.push_tracking(update))
    return settle(key, outcome, attempts, ledger, raise_on_failure)


def _stock_key(channel: str, levels: Sequence[StockLevel]) -> str:
    if not levels:
        raise InvalidChannelInput(f"no stock levels to push to {channel!r}")
    return f"{channel}:stock:{','.join(level.sku for level in levels)}"


def push_stock(
    client: ChannelClient,
    levels: Sequence[StockLevel],
    *,
    policy: RetryPolicy = _DEFAULT_POLICY,
    sleep: Sleep = time.sleep,
    raise_on_failure: bool = True,
) -> PushResult:
    """Publish stock levels (MISSION I2), retried through ``policy`` like tracking pushes.

    Setting the same level twice is harmless, so nothing is de-duplicated; the result's
    key is ``channel:stock:`` and the SKUs.
    """
    key = _stock_key(client.channel, levels)
    outcome, attempts = run(policy, sleep, lambda: client.push_stock(levels))
    return settle(key, outcome, attempts, None, raise_on_failure)


async def push_stock_async(
    client: AsyncChannelClient,
    levels: Sequence[StockLevel],
    *,
    policy: RetryPolicy = _DEFAULT_POLICY,
    sleep: AsyncSleep = asyncio.sleep,
    raise_on_failure: bool = True,
) -> PushResult:
    """:func:`push_stock` through an :class:`AsyncChannelClient`."""
    key = _stock_key(client.channel, levels)
    outcome, attempts = await run_async(policy, sleep, lambda: client.push_stock(levels))
    return settle(key, outcome, attempts, None, raise_on_failure)


class _Named(Protocol):
    @property
    def channel(self) -> str: ...


def _updates(
    refs: Sequence[ChannelRef], clients: Mapping[str, _Named], tracking_number: str, carrier: str
) -> list[TrackingUpdate]:
    """One update per distinct order, checked against the clients before anything is sent."""
    channels = sorted({ref.channel for ref in refs})
    missing = [name for name in channels if name not in clients]
    if missing:
        raise InvalidChannelInput(f"no client for channel(s) {', '.join(missing)}; nothing sent")
    misnamed = [name for name in channels if clients[name].channel != name]
    if misnamed:
        raise InvalidChannelInput(
            f"the client given for {', '.join(misnamed)} serves another channel; nothing sent"
        )
    distinct = {ref.key: ref for ref in refs}
    return [TrackingUpdate(ref, tracking_number, carrier) for ref in distinct.values()]


def fan_out_tracking(
    refs: Sequence[ChannelRef],
    clients: Mapping[str, ChannelClient],
    tracking_number: str,
    carrier: str,
    ledger: PushLedger,
    *,
    policy: RetryPolicy = _DEFAULT_POLICY,
    sleep: Sleep = time.sleep,
) -> list[PushResult]:
    """Push a shipment's tracking number to every channel the order came from (MISSION C4).

    ``refs`` are the order's channel references and ``clients`` the client of each
    channel by name. Each push goes through :func:`push_tracking`; a channel that fails
    is reported ``failed`` and does not stop the others. One result per distinct ref, in
    order. The pushes run one after the other: with a blocking ``sleep``, a failing
    channel delays the next (use the async variant, or re-queue with ``next_attempt_at``).
    """
    return [
        push_tracking(
            clients[update.channel.channel],
            update,
            ledger,
            policy=policy,
            sleep=sleep,
            raise_on_failure=False,
        )
        for update in _updates(refs, clients, tracking_number, carrier)
    ]


async def fan_out_tracking_async(
    refs: Sequence[ChannelRef],
    clients: Mapping[str, AsyncChannelClient],
    tracking_number: str,
    carrier: str,
    ledger: PushLedger,
    *,
    policy: RetryPolicy = _DEFAULT_POLICY,
    sleep: AsyncSleep = asyncio.sleep,
) -> list[PushResult]:
    """:func:`fan_out_tracking` through async clients, all channels at once."""
    pushes = (
        push_tracking_async(
            clients[update.channel.channel],
            update,
            ledger,
            policy=policy,
            sleep=sleep,
            raise_on_failure=False,
        )
        for update in _updates(refs, clients, tracking_number, carrier)
    )
    return list(await asyncio.gather(*pushes))
