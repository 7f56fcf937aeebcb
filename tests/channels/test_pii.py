"""PII masking for logs, reprs and messages (MISSION C6)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit import _pii
from orderkit.channels._pii import Masked, PiiKind, mask_order, mask_text
from orderkit.health import mask_key, mask_phone
from orderkit.money import Money
from orderkit.order import Address, ChannelRef, Customer, Order, OrderLine
from orderkit.testing.strategies import orders

PHONE = "13912345678"
NAME = "欧阳小明"
STREET = "文三路 90 号 3 幢 201 室"

mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
decorated = st.sampled_from(["{}", "+86 {}", "0086-{}", "86{}", "({})"])


def an_order() -> Order:
    return Order(
        order_id="SO-1",
        channel=ChannelRef(channel="douyin", external_id="6920001"),
        created_at=datetime(2026, 11, 11, tzinfo=UTC),
        currency="CNY",
        lines=[OrderLine(line_id="1", sku="TEA-01", quantity=1, unit_price=Money("59.00", "CNY"))],
        customer=Customer(
            customer_id="dy-buyer-778899",
            name=NAME,
            email="ouyang@example.com",
            phone=PHONE,
            tier="gold",
        ),
        shipping_address=Address(
            country="CN",
            province="浙江",
            city="杭州",
            district="西湖区",
            street=STREET,
            postal_code="310012",
            recipient=NAME,
            phone=PHONE,
        ),
        note=f"请先电话 {PHONE} 联系",
        metadata={"contact": f"+86 {PHONE}", "source": "live"},
    )


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        (PiiKind.PHONE, "13800000000", "138****0000"),
        (PiiKind.PHONE, "+86 138-0013-8000", "138****8000"),
        (PiiKind.PHONE, "8888-6666", "****66"),
        (PiiKind.PHONE, "123", "****"),
        (PiiKind.NAME, "张三", "张*"),
        (PiiKind.NAME, "张小明", "张**"),
        (PiiKind.NAME, "欧阳小明", "欧阳**"),
        (PiiKind.NAME, "李", "*"),
        (PiiKind.NAME, "John Smith", "J*** S****"),
        (PiiKind.NAME, "  ", "****"),
        (PiiKind.EMAIL, "john.smith@example.com", "j***@example.com"),
        (PiiKind.EMAIL, "@example.com", "****"),
        (PiiKind.ADDRESS, "浙江省杭州市西湖区文三路 90 号", "浙江-杭州-西湖区 ****"),
        (PiiKind.ADDRESS, STREET, "****"),
        (PiiKind.ID, "oX3a9-wechat-77f1", "oX3****77f1"),
        (PiiKind.ID, "C-1024", "C****4"),
        (PiiKind.ID, "ab", "****"),
    ],
)
def test_c6_each_kind_masks_as_documented(kind: PiiKind, value: str, masked: str) -> None:
    assert kind.mask(value) == masked


@given(mobiles, mobiles, decorated)
def test_c6_a_masked_mobile_never_depends_on_its_middle_digits(
    phone: str, other: str, form: str
) -> None:
    """C6: only the first 3 and last 4 digits survive, whatever the middle four were."""
    twin = phone[:3] + other[3:7] + phone[7:]
    masked = PiiKind.PHONE.mask(form.format(phone))
    assert masked == PiiKind.PHONE.mask(form.format(twin)) == f"{phone[:3]}****{phone[-4:]}"


@given(st.sampled_from(list(PiiKind)), st.text(max_size=30) | mobiles)
def test_c6_masking_is_idempotent(kind: PiiKind, value: str) -> None:
    once = kind.mask(value)
    assert kind.mask(once) == once


@given(st.text(min_size=1, max_size=30))
def test_c6_the_shared_rules_keep_the_health_masks(value: str) -> None:
    """The health monitors mask with the same rules (one implementation)."""
    assert mask_phone(value) == _pii.mask_phone_digits(value)
    assert mask_key(value) == _pii.mask_key(value)


def test_c6_masked_values_print_masked_and_reveal_on_demand() -> None:
    value = Masked(PiiKind.NAME, NAME)
    assert NAME not in repr(value)
    assert NAME not in f"{value} {value!s} {[value]}"
    assert str(value) == "欧阳**"
    assert value.reveal() == NAME
    assert value == Masked(PiiKind.NAME, NAME)
    assert value != Masked(PiiKind.NAME, "欧阳小红")


def test_c6_mask_text_hides_phones_and_emails_in_free_text() -> None:
    assert mask_text(f"call {PHONE} or +86 139-1234-5678, mail a.b@example.cn") == (
        "call 139****5678 or 139****5678, mail a***@example.cn"
    )
    assert mask_text("order 2 boxes by 11/11") == "order 2 boxes by 11/11"


def test_c6_mask_order_hides_every_personal_field() -> None:
    masked = mask_order(an_order())
    text = repr(masked) + masked.model_dump_json()
    for raw in (PHONE, NAME, "小明", "文三路", "ouyang@", "buyer-778899"):
        assert raw not in text
    assert masked.customer == Customer(
        customer_id="dy-****8899",
        name="欧阳**",
        email="o***@example.com",
        phone="139****5678",
        tier="gold",
    )
    address = masked.shipping_address
    assert address is not None
    assert (address.province, address.city, address.district) == ("浙江", "杭州", "西湖区")
    assert (address.street, address.recipient, address.phone) == ("****", "欧阳**", "139****5678")
    assert address.postal_code == "310012"
    assert masked.note == "请先电话 139****5678 联系"
    assert masked.metadata == {"contact": "139****5678", "source": "live"}
    assert masked.lines == an_order().lines
    assert masked.total == an_order().total


@given(orders(max_lines=2))
def test_c6_mask_order_is_idempotent_and_keeps_the_money(order: Order) -> None:
    masked = mask_order(order)
    assert mask_order(masked) == masked
    assert masked.total == order.total
    assert masked.channel == order.channel
