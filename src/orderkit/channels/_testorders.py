"""Test orders recognised before they reach stock, finance or reports (MISSION C6)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import attrs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from orderkit._pii import mask_key, mask_phone
from orderkit.channels._identity import normalise_phone
from orderkit.errors import InvalidChannelInput
from orderkit.order import Order

__all__ = ["TestOrderRules", "TestOrderVerdict", "is_test_order"]

_TRUE = frozenset({"1", "true", "yes", "y"})


class TestOrderRules(BaseModel):
    """What marks an order as a test order; any one rule is enough.

    ``keywords`` are searched in the buyer's and the recipient's names and in the note:
    ASCII keywords as whole words, ignoring case (``test`` but not ``contest``), others
    as substrings. ``test_phones`` are compared once normalised. ``amount_floor`` flags
    orders whose total is at or below it (``None`` turns the rule off); ``metadata_flag``
    names a metadata key whose value ``1``, ``true``, ``yes`` or ``y`` marks a test.

    >>> rules = TestOrderRules.from_dict({"sku_prefixes": ["TEST-"],
    ...                                   "test_accounts": ["qa-buyer-01"]})
    >>> rules.keywords, rules.amount_floor
    (('测试', 'test'), Decimal('0.01'))
    """

    __test__ = False
    model_config = ConfigDict(frozen=True, extra="forbid")

    keywords: tuple[str, ...] = ("测试", "test")
    sku_prefixes: tuple[str, ...] = ()
    test_accounts: tuple[str, ...] = ()
    test_phones: tuple[str, ...] = ()
    """Phones of test buyers, kept normalised (``13800000000`` for ``+86 138 0000 0000``)."""
    amount_floor: Decimal | None = Field(default=Decimal("0.01"), ge=0)
    metadata_flag: str | None = "is_test"

    @field_validator("test_phones")
    @classmethod
    def _normalise_phones(cls, phones: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(normalise_phone(phone) for phone in phones)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TestOrderRules:
        """Rules from plain data (JSON, YAML); anything wrong raises ``InvalidChannelInput``."""
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'rules'}: {e['msg']}"
                for e in error.errors(include_input=False, include_url=False)
            )
            raise InvalidChannelInput(f"invalid test-order rules: {problems}") from None


@attrs.frozen
class TestOrderVerdict:
    """Whether an order is a test order and every rule that said so (masked).

    A verdict is truthy when the order is a test order.
    """

    __test__ = False

    reasons: tuple[str, ...]

    @property
    def is_test(self) -> bool:
        """Whether any rule matched."""
        return bool(self.reasons)

    def __bool__(self) -> bool:
        return self.is_test


def _is_test_phone(phone: str | None, rules: TestOrderRules) -> bool:
    try:
        return phone is not None and normalise_phone(phone) in rules.test_phones
    except InvalidChannelInput:
        return False


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    if keyword.isascii():
        return re.compile(rf"\b{re.escape(keyword)}\b", re.IGNORECASE)
    return re.compile(re.escape(keyword))


def _reasons(order: Order, rules: TestOrderRules) -> Iterator[str]:
    if order.is_test:
        yield "the order is marked is_test"
    address = order.shipping_address
    texts = {
        "buyer name": order.customer.name,
        "recipient": address.recipient if address else None,
        "note": order.note,
    }
    for keyword in rules.keywords:
        pattern = _keyword_pattern(keyword)
        for where, text in texts.items():
            if text and pattern.search(text):
                yield f"{where} contains {keyword!r}"
    for line in order.lines:
        prefix = next((p for p in rules.sku_prefixes if line.sku.startswith(p)), None)
        if prefix is not None:
            yield f"line {line.line_id!r} SKU {line.sku!r} starts with {prefix!r}"
    if order.customer.customer_id in rules.test_accounts:
        yield f"account {mask_key(order.customer.customer_id or '')} is a test account"
    phones = {order.customer.phone, address.phone if address else None}
    for phone in sorted(p for p in phones if p is not None and _is_test_phone(p, rules)):
        yield f"phone {mask_phone(phone)} is a test phone"
    if rules.amount_floor is not None and order.total.amount <= rules.amount_floor:
        yield f"total {order.total} is at or below the floor {rules.amount_floor}"
    flag = rules.metadata_flag
    if flag is not None and order.metadata.get(flag, "").strip().lower() in _TRUE:
        yield f"metadata {flag!r} is set"


def is_test_order(order: Order, rules: TestOrderRules | None = None) -> TestOrderVerdict:
    """The verdict on ``order`` under ``rules`` (the defaults when ``None``).

    An order whose own ``is_test`` is set is always a test order.

    >>> from datetime import UTC, datetime
    >>> from orderkit.money import Money
    >>> from orderkit.order import ChannelRef, Customer, OrderLine
    >>> order = Order(
    ...     order_id="SO-9", channel=ChannelRef(channel="pinduoduo", external_id="9"),
    ...     created_at=datetime(2026, 11, 11, tzinfo=UTC), currency="CNY",
    ...     lines=[OrderLine(line_id="1", sku="TEA-01", quantity=1,
    ...                      unit_price=Money("0.01", "CNY"))],
    ...     customer=Customer(name="测试账号"), note="internal test, do not ship",
    ... )
    >>> verdict = is_test_order(order)
    >>> bool(verdict)
    True
    >>> for reason in verdict.reasons:
    ...     print(reason)
    buyer name contains '测试'
    note contains 'test'
    total CNY 0.01 is at or below the floor 0.01
    """
    return TestOrderVerdict(tuple(_reasons(order, rules or TestOrderRules())))
