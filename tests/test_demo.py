"""The end-to-end demo behind `make demo` and the command line."""

from __future__ import annotations

import io
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orderkit.__main__ import main
from orderkit._demo import run
from orderkit.money import Money
from orderkit.order import order_json_schema


def test_demo_builds_prices_stores_and_relays(tmp_path: Path) -> None:
    out = io.StringIO()
    orders = run(out, tmp_path, now=datetime(2026, 11, 22, tzinfo=UTC))
    text = out.getvalue()
    assert [o.channel.key for o in orders] == [
        "shopify:5550012345",
        "pinduoduo:261111-508321472290617",
    ]
    assert [o.total for o in orders] == [Money("81.96", "USD"), Money("231.80", "CNY")]
    assert [o.discount_total for o in orders] == [Money("10.00", "USD"), Money("25.00", "CNY")]
    assert all(o.balance_due == Money.zero(o.currency) for o in orders)
    assert text.count("matches the channel's own total") == 2
    assert "DIFFERS" not in text
    assert "Stored 2 orders" in text
    assert "repeated import of 2 payloads" in text
    assert "delivered 2 events" in text
    assert "discount USD 10.00 matches the channel's USD 10.00" in text
    assert "discount CNY 25.00 matches the channel's CNY 25.00" in text
    assert "shop-300-40: not_matched - subtotal 256.80 < threshold 300.00: 43.20 short" in text
    db = sqlite3.connect(tmp_path / "orderkit-demo.sqlite3")
    assert db.execute("SELECT count(*) FROM orders").fetchone() == (2,)
    assert db.execute("SELECT count(*), sum(delivered) FROM outbox").fetchone() == (2, 2)


def test_pinduoduo_times_are_read_as_beijing_time(tmp_path: Path) -> None:
    orders = run(io.StringIO(), tmp_path)
    assert orders[1].created_at == datetime(2026, 11, 10, 16, 3, 12, tzinfo=UTC)


def test_cli_demo_and_schema(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["demo", "--workdir", str(tmp_path / "kept")]) == 0
    assert "outbox relay delivered 2 events" in capsys.readouterr().out
    assert (tmp_path / "kept" / "orderkit-demo.sqlite3").is_file()
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == order_json_schema()


def test_cli_refuses_unknown_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["dance"])
    assert caught.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_demo_walks_an_order_and_shows_refusals(tmp_path: Path) -> None:
    out = io.StringIO()
    run(out, tmp_path, now=datetime(2026, 11, 22, tzinfo=UTC))
    text = out.getvalue()
    assert "ship      refused, TransitionRefused" in text
    assert "ship needs tracking_number=..." in text
    assert "pay       refused, InvalidTransition" in text
    assert "final state signed at version 6; 6 transition records stored" in text
    db = sqlite3.connect(tmp_path / "orderkit-demo.sqlite3")
    assert db.execute("SELECT state, version FROM order_state").fetchall() == [("signed", 6)]


def test_demo_reserves_refuses_the_oversell_and_releases(tmp_path: Path) -> None:
    out = io.StringIO()
    run(out, tmp_path, now=datetime(2026, 11, 22, tzinfo=UTC))
    text = out.getvalue()
    assert "push to pinduoduo: 50 -> 30" in text
    assert "push to douyin: 48 -> 30" in text
    assert "requested 40, available 30; nothing was reserved" in text
    assert "#1042 cancelled: released 4 units back to stock" in text
    assert "counters match the journal: yes" in text
    stock = sqlite3.connect(tmp_path / "orderkit-stock.sqlite3")
    assert stock.execute("SELECT sum(reserved) FROM stock").fetchone() == (3,)


def test_demo_scores_the_orders_and_walks_one_alert(tmp_path: Path) -> None:
    """H1: both paid, stocked orders score 100; the slipping order pages once, then resolves."""
    out = io.StringIO()
    run(out, tmp_path, now=datetime(2026, 11, 22, 8, tzinfo=UTC))
    text = out.getvalue()
    assert text.count(": 100 (healthy)") == 2
    assert "status inactive inactive  pending  pending   firing   firing inactive" in text
    assert "10:00  pending: score 63.4 < threshold 65" in text
    assert "12:00    fired: score 60.4 < threshold 65 for 2h >= for 2h: fired" in text
    assert "13:00     none: score 67.9 < clear_at 70: still firing" in text
    assert "14:00 resolved: score 94.5 >= clear_at 70: resolved" in text


def test_demo_ingests_through_the_adapters_and_masks_buyers(tmp_path: Path) -> None:
    """C1, C2, C6: both payloads map through the shipped field maps; no raw PII is printed."""
    out = io.StringIO()
    run(out, tmp_path, now=datetime(2026, 11, 22, tzinfo=UTC))
    text = out.getvalue()
    assert "buyer 张**, 138****5678; ship to 浙江-杭州-西湖区 ****" in text
    assert "ship to Illinois-Chicago ****" in text
    for raw in ("+13125551212", "3125551212", "Ada", "12 Analytical Way", "~AgAAAA"):
        assert raw not in text


def test_demo_pushes_tracking_through_retries_once(tmp_path: Path) -> None:
    """C3, C4: 503 waits tier 1 (30 s), a 429's Retry-After of 200 s beats tier 2; a repeat
    push is skipped."""
    out = io.StringIO()
    run(out, tmp_path, now=datetime(2026, 11, 22, tzinfo=UTC))
    text = out.getvalue()
    assert "attempt 4 at 2026-11-22 00:07:30+00:00, after 5 min" in text
    assert "waited 0:00:30 (no real sleep in the demo)\n      waited 0:03:20" in text
    assert "push 1: pushed after 3 attempt(s)" in text
    assert "push 2: skipped_duplicate after 0 attempt(s)" in text
