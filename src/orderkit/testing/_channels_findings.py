"""What a conformance check found, gathered so one failure lists every fix at once."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["SHOWN", "Findings", "check_reprs", "leaks", "payload_label"]

SHOWN = 30
"""How many problems a failing check lists; the rest are counted."""


class Findings:
    """Problems found by one check; :meth:`raise_any` fails the check with all of them."""

    def __init__(self, check: str) -> None:
        self.check = check
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        """Note that ``where`` (``payload[1] lines[0]``) is wrong, and how to fix it."""
        self.problems.append(f"{where}: {message}")

    def expect(self, ok: bool, where: str, message: str) -> bool:
        """Note ``message`` unless ``ok``; return ``ok``."""
        if not ok:
            self.add(where, message)
        return ok

    def raise_any(self) -> None:
        """Raise ``AssertionError`` listing the problems (the first :data:`SHOWN`), if any."""
        if self.problems:
            count = len(self.problems)
            listed = [f"  - {problem}" for problem in self.problems[:SHOWN]]
            if count > SHOWN:
                listed.append(f"  ... and {count - SHOWN} more")
            noun = "problem" if count == 1 else "problems"
            raise AssertionError(f"{self.check}: {count} {noun}\n" + "\n".join(listed))


def payload_label(index: int, external_id: str | None = None) -> str:
    """``payload[1]``, or ``payload[1] (id 1002)`` once the payload's id is known."""
    return f"payload[{index}]" if external_id is None else f"payload[{index}] (id {external_id})"


def leaks(texts: Iterable[str], secrets: Iterable[str]) -> list[int]:
    """The positions in ``secrets`` of the values that appear in any of ``texts``."""
    joined = "\n".join(texts)
    return [i for i, secret in enumerate(secrets) if secret and secret in joined]


def check_reprs(objects: Iterable[object], secrets: Iterable[str]) -> None:
    """No secret shows in the ``repr`` or ``str`` of ``objects`` (adapter, verifier)."""
    found = Findings("secrets in reprs")
    secrets = list(secrets)
    for thing in objects:
        if leaked := leaks([repr(thing), str(thing)], secrets):
            found.add(
                f"repr({type(thing).__name__})",
                f"shows secrets()[{leaked[0]}]: keep secrets out of it, e.g. field(repr=False)",
            )
    found.raise_any()
