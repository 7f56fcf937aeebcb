"""The orderkit pytest plugin, registered through the ``pytest11`` entry point.

Fixtures:

- ``fake_clock``: a fresh :class:`~orderkit.testing.FakeClock` at 2026-01-01 00:00 UTC.
"""

from __future__ import annotations

import pytest

from orderkit.testing._clock import FakeClock

__all__ = ["fake_clock"]


@pytest.fixture
def fake_clock() -> FakeClock:
    """A :class:`~orderkit.testing.FakeClock` starting at 2026-01-01 00:00 UTC."""
    return FakeClock()
