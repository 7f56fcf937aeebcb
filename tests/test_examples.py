"""The scripts in examples/ run and do what their docstrings say."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from orderkit.money import Money

EXAMPLES = Path(__file__).parents[1] / "examples"


def test_host_outbox_tells_the_warehouse_once() -> None:
    main = runpy.run_path(str(EXAMPLES / "host_outbox.py"))["main"]
    assert main() == ["pick WX-88012"]


def test_split_discount_adds_up_and_respects_line_amounts() -> None:
    shares = runpy.run_path(str(EXAMPLES / "split_discount.py"))["main"]()
    assert shares == {
        "tea": Money("14.91", "CNY"),
        "sticker": Money("0.07", "CNY"),
        "cup": Money("5.02", "CNY"),
    }


def test_discounts_quote_prices_logs_and_claws_back() -> None:
    """627.80 of goods: member 5 % (31.39), the 500 tier (80), every-100 on the dress (15),
    the red packet (10) and free shipping (12); returning the coat breaks the 500 tier and
    the 399 gift: the kept items would cost 285.36 alone but paid 282.61, so 2.75 is kept."""
    quote, coat_back = runpy.run_path(str(EXAMPLES / "discounts_quote.py"))["main"]()
    assert quote.discount == Money("148.39", "CNY")
    assert quote.payable == Money("491.41", "CNY")
    assert [g.sku for g in quote.gifts] == ["SCARF-GIFT"]
    assert quote.log.entry("shop-300-40").reason == "not_best"
    assert coat_back.paid == Money("208.80", "CNY")
    assert coat_back.clawback == Money("2.75", "CNY")
    assert [g.sku for g in coat_back.gifts_to_return] == ["SCARF-GIFT"]


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_every_example_runs_as_a_script(script: str, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    assert capsys.readouterr().out.strip()


def test_lifecycle_sqlite_stores_only_the_winner() -> None:
    lines = runpy.run_path(str(EXAMPLES / "lifecycle_sqlite.py"))["main"]()
    assert lines == [
        "lost the race: SO-77: expected version 1 but it is at 2; another worker changed it "
        "first, re-read and retry",
        "stored 5 records; replay ends in 'shipped', ok=True",
        "row says 'shipped'",
    ]


def test_health_batch_ranks_and_explains() -> None:
    """H1: the order 96 h past its payment is capped at 40 whatever else it does well."""
    reports = runpy.run_path(str(EXAMPLES / "health_batch.py"))["main"]()
    assert list(reports) == ["SO-1001", "SO-1005", "SO-1002", "SO-1003", "SO-1004"]
    capped = reports["SO-1003"]
    assert capped.score == 40.0
    assert capped.uncapped > 65
    assert [cap.reason for cap in capped.caps] == ["payment overdue more than 3 days"]
    assert reports["SO-1001"].band == "healthy"
    assert reports["SO-1004"].score < 65
