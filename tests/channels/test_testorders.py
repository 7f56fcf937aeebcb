"""Test-order filtering (MISSION C6)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from orderkit.channels._testorders import TestOrderRules, is_test_order
from orderkit.errors import InvalidChannelInput
from orderkit.money import Money
from orderkit.order import Address, ChannelRef, Customer, Order, OrderLine


def order(
    *,
    price: str = "59.00",
    sku: str = "TEA-01",
    customer: Customer | None = None,
    recipient: str | None = None,
    phone: str | None = None,
    **fields: Any,
) -> Order:
    return Order(
        order_id="SO-1",
        channel=ChannelRef(channel="tmall", external_id="3301"),
        created_at=datetime(2026, 11, 11, tzinfo=UTC),
        currency="CNY",
        lines=[OrderLine(line_id="1", sku=sku, quantity=1, unit_price=Money(price, "CNY"))],
        customer=customer or Customer(),
        shipping_address=Address(country="CN", recipient=recipient, phone=phone),
        **fields,
    )


def test_c6_an_ordinary_order_is_not_a_test_order() -> None:
    verdict = is_test_order(order(customer=Customer(name="Celeste Contest"), note="送人"))
    assert not verdict
    assert verdict.reasons == ()


def test_c6_the_seed_placeholder_buyer_is_caught_by_phone() -> None:
    """C6: the seed drops test orders such as recipient 张三 with phone 138****0000."""
    rules = TestOrderRules.from_dict({"test_phones": ["13800000000"]})
    verdict = is_test_order(order(recipient="张三", phone="+86 138 0000 0000"), rules)
    assert verdict.reasons == ("phone 138****0000 is a test phone",)
    assert "13800000000" not in str(verdict)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"is_test": True}, "the order is marked is_test"),
        ({"customer": Customer(name="测试买家")}, "buyer name contains '测试'"),
        ({"recipient": "TEST user"}, "recipient contains 'test'"),
        ({"note": "这是测试单，勿发"}, "note contains '测试'"),
        ({"note": "A/B test, do not ship"}, "note contains 'test'"),
        ({"price": "0.01"}, "total CNY 0.01 is at or below the floor 0.01"),
        ({"price": "0.00"}, "total CNY 0.00 is at or below the floor 0.01"),
        ({"metadata": {"is_test": "True"}}, "metadata 'is_test' is set"),
    ],
)
def test_c6_each_default_rule_gives_its_reason(changes: dict[str, Any], reason: str) -> None:
    verdict = is_test_order(order(**changes))
    assert verdict
    assert verdict.is_test
    assert verdict.reasons == (reason,)


def test_c6_configured_rules_and_every_matching_reason() -> None:
    rules = TestOrderRules.from_dict(
        {
            "keywords": ["内部"],
            "sku_prefixes": ["QA-"],
            "test_accounts": ["qa-buyer-0001"],
            "amount_floor": "1.00",
            "metadata_flag": "sandbox",
        }
    )
    verdict = is_test_order(
        order(
            price="0.50",
            sku="QA-TEA",
            customer=Customer(customer_id="qa-buyer-0001", name="内部员工"),
            metadata={"sandbox": "yes", "is_test": "1"},
        ),
        rules,
    )
    assert verdict.reasons == (
        "buyer name contains '内部'",
        "line '1' SKU 'QA-TEA' starts with 'QA-'",
        "account qa-****0001 is a test account",
        "total CNY 0.50 is at or below the floor 1.00",
        "metadata 'sandbox' is set",
    )


def test_c6_rules_can_be_switched_off() -> None:
    rules = TestOrderRules(keywords=(), amount_floor=None, metadata_flag=None)
    assert not is_test_order(order(price="0.00", note="test", metadata={"is_test": "1"}), rules)
    assert is_test_order(order(is_test=True), rules).reasons == ("the order is marked is_test",)


@pytest.mark.parametrize(
    "data",
    [{"keywords": "test"}, {"amount_floor": "-1"}, {"unknown": 1}, {"sku_prefixes": [1]}],
)
def test_c6_bad_rules_raise_a_channel_input_error(data: dict[str, Any]) -> None:
    with pytest.raises(InvalidChannelInput, match="invalid test-order rules"):
        TestOrderRules.from_dict(data)


def test_c6_a_bad_test_phone_is_refused_without_echoing_it() -> None:
    with pytest.raises(InvalidChannelInput, match="test_phones") as raised:
        TestOrderRules.from_dict({"test_phones": ["13800000000", "tel-ab-12"]})
    assert "ab-12" not in str(raised.value)


def test_c6_rules_are_data() -> None:
    rules = TestOrderRules.from_dict({"amount_floor": "0.10"})
    assert rules.amount_floor == Decimal("0.10")
    assert TestOrderRules.model_validate_json(rules.model_dump_json()) == rules
