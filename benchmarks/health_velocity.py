"""Fraud velocity rules over an order stream: events per second (issue: order health, H7).

A synthetic stream of 240,000 orders from a fixed seed, about 20 a second (3.3 hours),
built the way a host would receive them (every string a fresh object):

- 80,000 customers, each with a phone, a device, a home city, a home and an office
  address and two payment methods; a tenth of the orders come from 2,000 regulars;
- 95 % of orders go to the home address, 90 % pay with the first method;
- one order in 500 starts a fraud burst of one of the three H7 kinds: a fresh phone
  ordering 6 times in quick succession to scattered addresses, a fresh device ordering 10
  times to 10 cities, or a fresh customer paying 4 times with 4 methods.

Each row is a fresh :class:`~orderkit.health.VelocityMonitor` observing the whole
stream, best of five rounds, with the garbage collector on (the prepared stream itself
is frozen out of its way, as a live stream never holds 240,000 orders at once). The
bar: the three default rules together at 200,000 events/s or more on one core.
"""

from __future__ import annotations

import gc
import random
import time
from datetime import UTC, datetime, timedelta

from benchmarks._timing import print_table
from orderkit.health._velocity import (
    PaymentSwitching,
    SameDeviceSpread,
    SamePhoneBurst,
    VelocityEvent,
    VelocityMonitor,
    VelocityRules,
)

SEED = 1111
EVENTS = 240_000
CUSTOMERS = 80_000
REGULARS = 2_000
CITIES = 340
METHODS = ("alipay", "wechat_pay", "unionpay", "card_visa", "huabei", "cod")
START = datetime(2026, 11, 11, 20, tzinfo=UTC)
BAR = 200_000


def _customer(rng: random.Random, i: int) -> tuple[str, ...]:
    first, second = rng.sample(METHODS, 2)
    return (str(i), f"{i:08d}", f"{rng.randrange(CITIES)}", first, second)


def stream(count: int = EVENTS, seed: int = SEED) -> list[VelocityEvent]:
    """The synthetic order stream described in the module docstring."""
    rng = random.Random(seed)
    people = [_customer(rng, i) for i in range(CUSTOMERS)]
    events: list[VelocityEvent] = []
    at = START
    burst: list[VelocityEvent] = []
    while len(events) < count:
        at += timedelta(microseconds=rng.randrange(100_000))
        n = len(events)
        if burst:
            events.append(burst.pop()._replace(order_id=f"SO-{n}", at=at))
            continue
        if rng.random() < 1 / 500:
            burst = _burst(rng, n)
            continue
        i = rng.randrange(REGULARS) if rng.random() < 0.1 else rng.randrange(CUSTOMERS)
        cid, digits, city, first, second = people[i]
        place = "home" if rng.random() < 0.95 else "office"
        events.append(
            VelocityEvent(
                f"SO-{n}",
                at,
                phone=f"139{digits}",
                device=f"idfa-{digits}",
                customer=f"C{cid}",
                address=f"{city}|{place}-{cid}",
                city=f"city-{city}",
                payment_method=first if rng.random() < 0.9 else second,
            )
        )
    return events


def _burst(rng: random.Random, n: int) -> list[VelocityEvent]:
    kind = rng.randrange(3)
    base = VelocityEvent("", START, customer=f"F{n}", city="city-0", payment_method="alipay")
    if kind == 0:
        return [
            base._replace(phone=f"186{n:08d}", address=f"0|drop-{rng.randrange(10**6)}")
            for _ in range(6)
        ]
    if kind == 1:
        return [
            base._replace(device=f"emu-{n}", city=f"city-{c}", address=f"{c}|x")
            for c in rng.sample(range(CITIES), 10)
        ]
    return [base._replace(payment_method=m) for m in rng.sample(METHODS, 4)]


def _run(rules: VelocityRules, events: list[VelocityEvent]) -> tuple[float, int, int]:
    """Best-of-five seconds for one monitor over ``events``; hits; keys held at the end."""
    best, hits, keys = float("inf"), 0, 0
    for _ in range(5):
        monitor = VelocityMonitor(rules)
        observe = monitor.observe
        started = time.perf_counter()
        found = 0
        for event in events:
            found += len(observe(event))
        best = min(best, time.perf_counter() - started)
        hits, keys = found, sum(u.keys for u in monitor.usage().values())
    return best, hits, keys


def main() -> None:
    """Print events/s and us/event per rule and for the three together, against the bar."""
    events = stream()
    cases = {
        "same_phone_burst": VelocityRules(rules=(SamePhoneBurst(),)),
        "same_device_spread": VelocityRules(rules=(SameDeviceSpread(),)),
        "payment_switching": VelocityRules(rules=(PaymentSwitching(),)),
        "all three (default rules)": VelocityRules(),
    }
    gc.collect()
    gc.freeze()
    try:
        results = {name: _run(rules, events) for name, rules in cases.items()}
    finally:
        gc.unfreeze()
    rows = []
    for name, (seconds, hits, keys) in results.items():
        rate = len(events) / seconds
        barred = name.startswith("all")
        verdict = ("PASS" if rate >= BAR else "FAIL") if barred else ""
        rows.append(
            [
                name,
                f"{rate:,.0f}",
                f"{seconds / len(events) * 1e6:.2f}",
                f"{hits:,}",
                f"{keys:,}",
                f">= {BAR:,}" if barred else "",
                verdict,
            ]
        )
    print_table(
        f"Fraud velocity rules (H7) over {len(events):,} orders: events/s and us per event",
        ["rules", "events/s", "us/event", "hits", "keys held", "bar", ""],
        rows,
    )


if __name__ == "__main__":
    main()
