"""L10: a carrier signature before the warehouse outbound raises an alert and holds settlement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit.errors import ConfigError
from orderkit.lifecycle.policies import (
    ArbitrationPolicy,
    Delivery,
    SettlementHolds,
    arbitrate,
)

OUT = datetime(2026, 2, 8, 18, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def _delivery(order_id: str, customer_id: str, signed_at: datetime) -> Delivery:
    return Delivery(
        order_id=order_id,
        customer_id=customer_id,
        outbound_at=OUT,
        signed_at=signed_at,
        tracking_number=f"SF{order_id}",
    )


def test_signed_before_outbound_alerts_and_holds_the_customer() -> None:
    """L10: the seed's dispute: "signed" while the warehouse still shows "awaiting outbound"."""
    early = _delivery("SO-1", "C-9", OUT - timedelta(minutes=20))
    result = arbitrate([early, _delivery("SO-2", "C-1", OUT + timedelta(hours=20))])
    [alert] = result.alerts
    assert alert.delivery == early
    assert alert.early_by == timedelta(minutes=20)
    assert result.holds.blocks("C-9")
    assert not result.holds.blocks("C-1")
    assert result.holds.customers == {"C-9": ("SO-1",)}


def test_default_tolerance_is_zero_at_the_boundary() -> None:
    """L10: signed at the outbound instant is fine; a microsecond earlier is not."""
    assert arbitrate([_delivery("SO-1", "C-9", OUT)]).alerts == ()
    assert len(arbitrate([_delivery("SO-1", "C-9", OUT - TICK)]).alerts) == 1


def test_tolerance_absorbs_clock_differences() -> None:
    """L10: a configured tolerance lets small differences pass, inclusive."""
    policy = ArbitrationPolicy.from_dict({"tolerance": "PT2M"})
    assert (
        arbitrate([_delivery("SO-1", "C-9", OUT - timedelta(minutes=2))], policy=policy).alerts
        == ()
    )
    late = _delivery("SO-1", "C-9", OUT - timedelta(minutes=2) - TICK)
    assert len(arbitrate([late], policy=policy).alerts) == 1
    with pytest.raises(ConfigError, match="tolerance"):
        ArbitrationPolicy.from_dict({"tolerance": -1})


def test_later_orders_consult_the_holds() -> None:
    """L10: holds accumulate across runs and are released when the dispute is settled."""
    first = arbitrate([_delivery("SO-1", "C-9", OUT - timedelta(hours=1))])
    second = arbitrate([_delivery("SO-5", "C-9", OUT - timedelta(hours=1))], holds=first.holds)
    assert second.holds.customers == {"C-9": ("SO-1", "SO-5")}
    again = arbitrate([_delivery("SO-5", "C-9", OUT - timedelta(hours=1))], holds=second.holds)
    assert again.holds == second.holds
    released = second.holds.release("C-9")
    assert not released.blocks("C-9")
    assert second.holds.blocks("C-9")
    assert SettlementHolds.model_validate_json(second.holds.model_dump_json()) == second.holds


def test_no_deliveries_keep_the_holds() -> None:
    """L10: nothing to arbitrate changes nothing."""
    holds = SettlementHolds(customers={"C-9": ("SO-1",)})
    assert arbitrate([], holds=holds).holds == holds


offsets = st.integers(min_value=-600, max_value=600)


@given(st.lists(st.tuples(st.sampled_from(["C-1", "C-2", "C-3"]), offsets), max_size=12))
def test_a_customer_is_held_iff_one_of_its_parcels_was_signed_early(
    parcels: list[tuple[str, int]],
) -> None:
    """L10: holds are exactly the customers with a signature before the outbound."""
    deliveries = [
        _delivery(f"SO-{i}", customer, OUT + timedelta(seconds=offset))
        for i, (customer, offset) in enumerate(parcels)
    ]
    result = arbitrate(deliveries)
    assert set(result.holds.customers) == {c for c, offset in parcels if offset < 0}
    assert len(result.alerts) == sum(1 for _, offset in parcels if offset < 0)
