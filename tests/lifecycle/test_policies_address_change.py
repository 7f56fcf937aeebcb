"""L9: address change after ordering: three effects in one command, all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit.errors import ConfigError, NaiveDatetime, UnknownState
from orderkit.lifecycle import OrderState
from orderkit.lifecycle.policies import (
    ActorRequired,
    AddressChange,
    AddressChangePolicy,
    AddressChangeRefusal,
    AddressChangeRefused,
    change_address,
)
from orderkit.order import Address
from orderkit.testing import strategies as oks

T0 = datetime(2026, 2, 6, 1, 23, tzinfo=UTC)
OLD = Address(country="CN", province="Zhejiang", city="Hangzhou", street="Wensan Rd 1")
NEW = OLD.replace(street="Wensan Rd 9", recipient="Li Min")
S = OrderState
OPEN = [S.PENDING_PAYMENT, S.DEPOSIT_PAID, S.BALANCE_DUE, S.PAID, S.AWAITING_APPROVAL]
OPEN += [S.RESERVED, S.IN_QC, S.PACKED]


def _change(
    state: str,
    new: Address = NEW,
    *,
    waybill: str | None = "SF1001",
    requested_by: str = "buyer",
    at: datetime = T0,
    policy: AddressChangePolicy | None = None,
) -> AddressChange:
    return change_address(
        state,
        OLD,
        new,
        order_id="SO-1",
        waybill=waybill,
        requested_by=requested_by,
        at=at,
        policy=policy or AddressChangePolicy(),
    )


def test_one_command_three_effects() -> None:
    """L9: flag + notify the warehouse operator, replace the waybill, recompute billing."""
    change = _change(S.PACKED)
    assert (change.order_id, change.old_address, change.new_address) == ("SO-1", OLD, NEW)
    assert (change.waybill, change.requested_by, change.at) == ("SF1001", "buyer", T0)
    flag, waybill, billing = change.effects
    assert flag.kind == "warehouse.flag_order"
    assert flag.data == {
        "subject_id": "SO-1",
        "reason": "address_changed",
        "notify": "warehouse_operator",
    }
    assert waybill.kind == "waybill.replace"
    assert waybill.data["void"] == "SF1001"
    assert waybill.data["ship_to"] == NEW.model_dump(mode="json", exclude_none=True)
    assert billing.kind == "billing.recompute"
    assert billing.data == {"subject_id": "SO-1", "reason": "address_changed"}


@pytest.mark.parametrize("state", OPEN)
def test_open_before_shipment(state: OrderState) -> None:
    """L9: any state before shipment accepts a change."""
    assert len(_change(state).effects) == 3


def test_no_waybill_yet_only_drafts_one() -> None:
    """L9: before a waybill exists there is nothing to void."""
    change = _change(S.PAID, waybill=None)
    assert change.effects[1].data["void"] is None


@pytest.mark.parametrize("state", [S.SHIPPED, S.DELIVERY_EXCEPTION, S.SIGNED, S.CLOSED])
def test_refused_once_shipped(state: OrderState) -> None:
    """L9: once the parcel has left, the change is refused with a reason."""
    with pytest.raises(AddressChangeRefused, match="redirect") as caught:
        _change(state)
    assert caught.value.reason is AddressChangeRefusal.SHIPPED
    assert caught.value.state == state
    assert caught.value.order_id == "SO-1"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("state", [S.CANCELLED, S.SPLIT])
def test_refused_when_not_open(state: OrderState) -> None:
    """L9: cancelled orders and split parents take no address change."""
    with pytest.raises(AddressChangeRefused) as caught:
        _change(state)
    assert caught.value.reason is AddressChangeRefusal.NOT_OPEN


def test_refused_when_unchanged() -> None:
    """L9: the same address again is no change."""
    with pytest.raises(AddressChangeRefused, match="the old one") as caught:
        _change(S.PAID, new=OLD.replace())
    assert caught.value.reason is AddressChangeRefusal.UNCHANGED


def test_bad_input_is_refused_with_no_effects() -> None:
    """L9: unknown state, anonymous request or naive time: nothing comes out."""
    with pytest.raises(UnknownState, match="'lost'"):
        _change("lost")
    with pytest.raises(ActorRequired, match="requested_by"):
        _change(S.PAID, requested_by=" ")
    with pytest.raises(NaiveDatetime):
        _change(S.PAID, at=datetime(2026, 2, 6))


def test_policy_narrows_the_open_states() -> None:
    """L9: a host may close the change earlier, never after shipment."""
    policy = AddressChangePolicy.from_dict(
        {"open_states": ["pending_payment", "paid"], "notify_role": "shift_lead"}
    )
    assert _change(S.PAID, policy=policy).effects[0].data["notify"] == "shift_lead"
    with pytest.raises(AddressChangeRefused, match="open only in paid, pending_payment"):
        _change(S.PACKED, policy=policy)
    with pytest.raises(ConfigError, match="cannot be open: shipped"):
        AddressChangePolicy.from_dict({"open_states": ["paid", "shipped"]})


@given(st.sampled_from(list(OrderState)), oks.addresses(), oks.addresses())
def test_all_or_nothing(state: OrderState, old: Address, new: Address) -> None:
    """L9: every call yields exactly three effects or raises; nothing in between."""
    if state in OPEN and old != new:
        change = change_address(
            state, old, new, order_id="SO-1", waybill="SF1", requested_by="buyer", at=T0
        )
        assert [e.kind for e in change.effects] == [
            "warehouse.flag_order",
            "waybill.replace",
            "billing.recompute",
        ]
        return
    with pytest.raises(AddressChangeRefused) as caught:
        change_address(state, old, new, order_id="SO-1", waybill="SF1", requested_by="b", at=T0)
    if state in (S.SHIPPED, S.DELIVERY_EXCEPTION, S.SIGNED, S.CLOSED):
        assert caught.value.reason is AddressChangeRefusal.SHIPPED
    elif state in OPEN:
        assert caught.value.reason is AddressChangeRefusal.UNCHANGED
    else:
        assert caught.value.reason is AddressChangeRefusal.NOT_OPEN
