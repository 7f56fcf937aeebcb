"""Workloads, timing and the oversell check shared by the inventory benchmarks."""

from __future__ import annotations

import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from orderkit.errors import InsufficientStock
from orderkit.inventory import Line, ReservationStore

__all__ = ["AT", "Result", "Workload", "measure", "orderkit_run"]

AT = datetime(2026, 11, 11, tzinfo=UTC)


@dataclass(frozen=True)
class Workload:
    """One benchmark shape: lines per reservation, SKUs in play, worker threads, attempts."""

    lines: int
    skus: int
    workers: int
    ops: int

    def baskets(self) -> list[list[str]]:
        """The SKUs of every attempt, drawn once with a fixed seed."""
        if self.skus == 1:
            return [["HOT"] * self.lines for _ in range(self.ops)]
        rng = random.Random(7)
        names = [f"SKU-{i:04d}" for i in range(self.skus)]
        return [rng.sample(names, self.lines) for _ in range(self.ops)]

    def stock(self) -> dict[str, int]:
        """On hand per SKU: three quarters of the demand, so a quarter is refused."""
        demand: dict[str, int] = {}
        for basket in self.baskets():
            for sku in basket:
                demand[sku] = demand.get(sku, 0) + 1
        return {sku: (3 * units) // 4 for sku, units in demand.items()}


@dataclass(frozen=True)
class Result:
    """Throughput, latency percentiles and the oversell count of one run."""

    ops_per_s: float
    p50_ms: float
    p99_ms: float
    oversold: int


def measure(
    attempt: Callable[[int, list[str]], bool], workload: Workload, reserved: Callable[[], int]
) -> Result:
    """Run every attempt of ``workload`` on its worker threads, timing each call.

    ``oversold`` counts units reserved beyond the stock plus any disagreement between the
    successes reported and the units the store holds: both must be zero.
    """
    baskets = workload.baskets()
    latencies: list[float] = []
    wins = [0]
    lock = threading.Lock()

    def worker(offset: int) -> None:
        mine: list[float] = []
        won = 0
        for n in range(offset, workload.ops, workload.workers):
            start = time.perf_counter()
            won += attempt(n, baskets[n])
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)
            wins[0] += won

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workload.workers)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    held = reserved()
    oversold = max(held - sum(workload.stock().values()), 0) + abs(held - wins[0] * workload.lines)
    latencies.sort()
    return Result(
        workload.ops / elapsed,
        statistics.median(latencies) * 1000,
        latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000,
        oversold,
    )


def orderkit_run(store: ReservationStore, workload: Workload) -> Result:
    """Reserve through an orderkit store: journal, idempotency record, typed refusals."""
    for sku, quantity in workload.stock().items():
        store.set_on_hand(sku, quantity, at=AT)
    prefix = uuid.uuid4().hex[:8]

    def attempt(n: int, basket: list[str]) -> bool:
        try:
            store.reserve(f"{prefix}-{n}", [Line(sku, 1) for sku in basket], at=AT)
        except InsufficientStock:
            return False
        return True

    return measure(attempt, workload, lambda: sum(s.reserved for s in store.stocks()))
