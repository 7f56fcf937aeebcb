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
