"""Reservation throughput per backend, beside the bare client and the peer pattern.

For every backend: single-line and 5-line reservations, one hot SKU and 1,000 SKUs,
1, 4 and 16 worker threads; ops/s, p50/p99 latency and the oversell count (must be 0).
Beside each row, the bare client issuing the same conditional update with no journal
and no idempotency (the floor), and the ratio orderkit / floor. On PostgreSQL, orderkit
also runs against the lock-then-check pattern of Saleor and Odoo at 16 workers on one
hot SKU. Servers are started on loopback for the run (PostgreSQL with fsync off, so
the figures measure contention, not the disk). The floors and the peer open one
connection per worker thread, so PostgresStore gets a pool of 16 connections too.
Each row runs orderkit and its floor in turn three times (the lock-then-check comparison
five times) and shows the best of each.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from tests.servers import ServerUnavailable, postgres_server, redis_server

from benchmarks._timing import print_table
from benchmarks.inventory_floors import (
    lock_then_check,
    postgres_floor,
    redis_floor,
    sqlite_floor,
)
from benchmarks.inventory_run import Result, Workload, orderkit_run
from orderkit.inventory import MemoryStore, RedisStore, ReservationStore, SQLiteStore

ROUNDS = 3
PEER_ROUNDS = 5
"""The comparison with lock-then-check is one row against a bar: it gets more turns."""

Factory = Callable[[], ReservationStore]
Side = Callable[[Workload], Result]
Floor = Side | None


def _cells(result: Result) -> list[str]:
    return [
        f"{result.ops_per_s:,.0f}",
        f"{result.p50_ms:.2f}",
        f"{result.p99_ms:.2f}",
        str(result.oversold),
    ]


def _best(runs: list[Result]) -> Result:
    """The fastest run, with its latencies; the oversell count of every run."""
    fastest = max(runs, key=lambda run: run.ops_per_s)
    return replace(fastest, oversold=sum(run.oversold for run in runs))


def _turns(sides: list[Side], workload: Workload, rounds: int = ROUNDS) -> list[Result]:
    """Each side on ``workload``, taking turns ``rounds`` times; the best run of each.

    Taking turns spreads the machine's slow and fast spells over every side, and the
    best of a few runs is the least disturbed one.
    """
    runs: list[list[Result]] = [[] for _ in sides]
    for _ in range(rounds):
        for side, mine in zip(sides, runs, strict=True):
            mine.append(side(workload))
    return [_best(mine) for mine in runs]


def _orderkit(make: Factory) -> Side:
    def side(workload: Workload) -> Result:
        store = make()
        try:
            return orderkit_run(store, workload)
        finally:
            close = getattr(store, "close", None)
            if close is not None:
                close()

    return side


def run_backend(name: str, make: Factory, ops: int, floor: Floor) -> None:
    """Print one backend's table, with its floor beside every row."""
    rows = []
    for lines in (1, 5):
        for skus in (1, 1000):
            for workers in (1, 4, 16):
                workload = Workload(lines, skus, workers, ops)
                ours, *bare_run = _turns([_orderkit(make), *filter(None, [floor])], workload)
                row = [f"{lines} line, {skus} SKU, {workers} w", *_cells(ours)]
                for bare in bare_run:
                    row += [f"{bare.ops_per_s:,.0f}", f"{ours.ops_per_s / bare.ops_per_s:.2f}x"]
                rows.append(row)
    header = ["workload", "ops/s", "p50 ms", "p99 ms", "oversold"]
    if floor is not None:
        header += ["floor ops/s", "orderkit/floor"]
    print_table(f"{name}, {ops} attempts per run", header, rows)


def peer(make: Factory, dsn: str) -> None:
    """orderkit against lock-then-check on PostgreSQL, 16 workers, one hot SKU."""
    ours, theirs = _turns(
        [_orderkit(make), lock_then_check(dsn)], Workload(1, 1, 16, 1600), PEER_ROUNDS
    )
    print_table(
        "PostgreSQL, 16 workers on one hot SKU: orderkit against lock-then-check",
        ["pattern", "ops/s", "p50 ms", "p99 ms", "oversold"],
        [
            ["orderkit PostgresStore", *_cells(ours)],
            ["SELECT FOR UPDATE, check, UPDATE", *_cells(theirs)],
            [
                "ratio orderkit / lock-then-check",
                f"{ours.ops_per_s / theirs.ops_per_s:.2f}x",
                "",
                "",
                "",
            ],
        ],
    )


def main() -> None:
    """Run every backend that can run on this machine."""
    print("Scale for context (MISSION I10): 280,000 orders/day is 3.2 orders/s on average.")
    run_backend("MemoryStore", MemoryStore, 4000, None)
    with tempfile.TemporaryDirectory() as folder:
        run_backend(
            "SQLiteStore",
            lambda: SQLiteStore(Path(folder) / f"{uuid.uuid4().hex}.db"),
            2000,
            sqlite_floor,
        )
    with ExitStack() as stack:
        try:
            url = stack.enter_context(redis_server())
        except ServerUnavailable as missing:
            print(f"\nRedisStore skipped: {missing}")
        else:
            run_backend(
                "RedisStore",
                lambda: RedisStore(url, namespace=uuid.uuid4().hex[:8]),
                1500,
                redis_floor(url),
            )
        try:
            dsn = stack.enter_context(postgres_server())
        except ServerUnavailable as missing:
            print(f"\nPostgresStore skipped: {missing}")
        else:
            from orderkit.inventory import PostgresStore

            def make() -> ReservationStore:
                return PostgresStore(dsn, schema=f"ok_{uuid.uuid4().hex[:8]}", pool_size=16)

            run_backend("PostgresStore", make, 600, postgres_floor(dsn))
            peer(make, dsn)
