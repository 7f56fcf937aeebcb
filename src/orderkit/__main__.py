"""Command line: ``python -m orderkit demo`` and ``python -m orderkit schema``."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from orderkit.order import order_json_schema


def main(argv: list[str] | None = None) -> int:
    """Run the command named in ``argv``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m orderkit")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the end-to-end demo on SQLite")
    demo.add_argument("--workdir", type=Path, help="keep the demo database here")
    commands.add_parser("schema", help="print the canonical order's JSON Schema")
    args = parser.parse_args(argv)
    if args.command == "schema":
        json.dump(order_json_schema(), sys.stdout, indent=2, ensure_ascii=False)
        print()
        return 0
    from orderkit._demo import run

    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        run(sys.stdout, args.workdir)
        return 0
    with tempfile.TemporaryDirectory(prefix="orderkit-demo-") as workdir:
        run(sys.stdout, Path(workdir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
