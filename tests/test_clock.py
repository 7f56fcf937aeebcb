"""Time is a parameter: Clock, aware datetimes, the fake clock and its fixture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError

from orderkit.clock import Clock, SystemClock, UtcDateTime, require_aware
from orderkit.errors import NaiveDatetime, OrderkitError
from orderkit.testing import FakeClock


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert isinstance(SystemClock(), Clock)


def test_require_aware_converts_to_utc_and_refuses_naive() -> None:
    plus8 = timezone(timedelta(hours=8))
    assert require_aware(datetime(2026, 1, 1, 8, tzinfo=plus8)) == datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(NaiveDatetime, match=r"paid_at .* has no timezone") as caught:
        require_aware(datetime(2026, 1, 1), "paid_at")
    assert isinstance(caught.value, OrderkitError)
    assert isinstance(caught.value, ValueError)


def test_utc_datetime_field() -> None:
    class Stamp(BaseModel):
        at: UtcDateTime

    assert Stamp(at="2026-11-11T08:00:00+08:00").at == datetime(2026, 11, 11, tzinfo=UTC)
    with pytest.raises(ValidationError):
        Stamp(at="2026-11-11T08:00:00")


def test_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(datetime(2026, 11, 11, tzinfo=UTC))
    assert isinstance(clock, Clock)
    assert clock.now() == clock.now() == datetime(2026, 11, 11, tzinfo=UTC)
    assert clock.advance(timedelta(minutes=5)) == datetime(2026, 11, 11, 0, 5, tzinfo=UTC)
    clock.set(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="forward only"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError, match="no timezone"):
        clock.set(datetime(2026, 1, 1))


def test_plugin_fixture_gives_a_fresh_fake_clock(fake_clock: FakeClock) -> None:
    assert fake_clock.now() == FakeClock.DEFAULT_START
    fake_clock.advance(timedelta(hours=48))
    assert fake_clock.now() - FakeClock.DEFAULT_START == timedelta(hours=48)
