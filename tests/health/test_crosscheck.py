"""Four-way cross-check: order, WMS stock, payment callback, courier waybill (MISSION H9).

A strategy builds quadruples on which the four systems agree (addresses and phones
written differently but meaning the same); the cross-check must find nothing there,
and exactly the injected conflict when one field is perturbed. Worked examples cover
each code, address normalisation, phone masking and the policy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from orderkit.errors import ConfigError, NaiveDatetime
from orderkit.health._crosscheck import (
    Conflict,
    ConflictCode,
    CrossCheckPolicy,
    PaymentCallback,
    Severity,
    Waybill,
    cross_check,
    mask_phone,
)
from orderkit.money import Money
from orderkit.order import (
    Address,
    ChannelRef,
    Order,
    OrderLine,
    Package,
    PackageItem,
    Payment,
    Shipment,
)
from orderkit.testing import strategies as oks

T0 = datetime(2026, 11, 11, 10, tzinfo=UTC)
SECOND = timedelta(seconds=1)
PHONE = "13800138000"
HOME = Address(
    country="CN",
    province="浙江省",
    city="杭州市",
    district="西湖区",
    street="文三路 88 号",
    recipient="王五",
    phone=PHONE,
)


class Quad(NamedTuple):
    order: Order
    stock: dict[str, int]
    payment: PaymentCallback | None
    waybill: Waybill | None
    now: datetime

    def check(self, policy: CrossCheckPolicy | None = None) -> list[Conflict]:
        extra = {} if policy is None else {"policy": policy}
        return cross_check(
            self.order, self.stock, self.payment, self.waybill, now=self.now, **extra
        )

    def codes(self) -> list[ConflictCode]:
        return [c.code for c in self.check()]


def tea_order(**changes: object) -> Order:
    order = Order(
        order_id="SO-1",
        channel=ChannelRef(channel="tmall", external_id="1"),
        created_at=T0,
        currency="CNY",
        shipping_address=HOME,
        lines=[OrderLine(line_id="1", sku="TEA", quantity=2, unit_price=Money("50.00", "CNY"))],
        payments=[
            Payment(payment_id="P-1", method="alipay", amount=Money("100.00", "CNY"), paid_at=T0)
        ],
    )
    return order.replace(**changes)


def tea() -> Quad:
    """A paid, unshipped order of two TEA with a waybill drafted: all four agree."""
    callback = PaymentCallback(
        amount=Money("100.00", "CNY"), status="TRADE_SUCCESS", paid_at=T0 + SECOND, payment_id="P-1"
    )
    waybill = Waybill(tracking_number="SF100", address=HOME, created_at=T0 + 2 * SECOND)
    return Quad(tea_order(), {"TEA": 5}, callback, waybill, T0 + 3 * SECOND)


def shipment(tracking: str, quantity: int = 2) -> Shipment:
    package = Package(
        tracking_number=tracking, carrier="SF", items=(PackageItem(line_id="1", quantity=quantity),)
    )
    return Shipment(shipment_id="S-1", shipped_at=T0 + SECOND, packages=(package,))


def test_h9_a_consistent_quadruple_has_no_conflict() -> None:
    assert tea().check() == []


def test_h9_paid_but_out_of_stock() -> None:
    [conflict] = tea()._replace(stock={"TEA": 1}).check()
    assert conflict == Conflict(
        ConflictCode.PAID_OUT_OF_STOCK,
        Severity.CRITICAL,
        "paid: SKU TEA has 1 available, 2 to ship",
    )
    assert str(conflict) == "[critical] paid_out_of_stock: paid: SKU TEA has 1 available, 2 to ship"


def test_h9_unpaid_and_out_of_stock_is_only_a_warning() -> None:
    quad = tea()._replace(
        order=tea_order(payments=()), payment=None, waybill=None, stock={"TEA": 0}
    )
    assert [(c.code, c.severity) for c in quad.check()] == [
        (ConflictCode.OUT_OF_STOCK, Severity.WARNING)
    ]


def test_h9_only_what_is_still_to_ship_needs_stock() -> None:
    partly = tea()._replace(
        order=tea_order(shipments=(shipment("SF100", quantity=1),)), stock={"TEA": 1}
    )
    assert partly.check() == []
    fully = tea()._replace(order=tea_order(shipments=(shipment("SF100"),)), stock={})
    assert fully.check() == []


def test_h9_shipped_without_payment_names_what_was_dispatched() -> None:
    quad = tea()._replace(
        order=tea_order(payments=(), shipments=(shipment("SF100"),)), payment=None
    )
    [conflict] = quad.check()
    assert conflict.code is ConflictCode.SHIPPED_WITHOUT_PAYMENT
    assert conflict.message == (
        "shipment S-1, waybill SF100 for an unpaid order of CNY 100.00 "
        "(no payment recorded; the gateway: no callback)"
    )


def test_h9_a_free_order_ships_without_payment() -> None:
    free = OrderLine(line_id="1", sku="TEA", quantity=2, unit_price=Money("0.00", "CNY"))
    quad = tea()._replace(order=tea_order(payments=(), lines=(free,)), payment=None)
    assert quad.check() == []


def test_h9_payment_missing_when_the_gateway_does_not_confirm() -> None:
    failed = tea().payment
    assert failed is not None
    quad = tea()._replace(payment=failed.model_copy(update={"status": "TRADE_CLOSED"}))
    [conflict] = quad.check()
    assert conflict.code is ConflictCode.PAYMENT_MISSING
    assert (
        conflict.message == "the order records P-1 CNY 100.00; the gateway: status 'TRADE_CLOSED'"
    )


def test_h9_amount_expected_from_the_matching_payment_then_the_recorded_total() -> None:
    deposit = Payment(payment_id="D-1", method="alipay", amount=Money("30.00", "CNY"), paid_at=T0)
    balance = Payment(payment_id="B-1", method="alipay", amount=Money("70.00", "CNY"), paid_at=T0)
    callback = PaymentCallback(
        amount=Money("30.00", "CNY"), status="SUCCESS", paid_at=T0, payment_id="D-1"
    )
    quad = tea()._replace(order=tea_order(payments=(deposit, balance)), payment=callback)
    assert quad.check() == []
    anonymous = quad._replace(payment=callback.model_copy(update={"payment_id": None}))
    [conflict] = anonymous.check()
    assert conflict.code is ConflictCode.PAYMENT_AMOUNT_MISMATCH
    assert conflict.message == (
        "the gateway confirms CNY 30.00, the order expects CNY 100.00 (recorded payments)"
    )


def test_h9_a_payment_in_another_currency_is_an_amount_mismatch() -> None:
    callback = PaymentCallback(amount=Money("100.00", "USD"), status="SUCCESS", paid_at=T0)
    assert tea()._replace(payment=callback).codes() == [ConflictCode.PAYMENT_AMOUNT_MISMATCH]


def test_h9_address_parts_are_compared_ignoring_case_width_spacing_and_region_suffixes() -> None:
    written_differently = HOME.replace(
        province="浙江", city=" 杭州 ", district="西湖区", street="文三路８８号", phone=None
    )
    quad = tea()._replace(
        waybill=Waybill(tracking_number="SF1", address=written_differently, created_at=T0)
    )
    assert quad.check() == []
    english = Address(country="US", city="New York", street="5th Ave. 100")
    order = tea_order(shipping_address=english.replace(city="new  york", street="5TH AVE 100"))
    assert (
        tea()
        ._replace(
            order=order, waybill=Waybill(tracking_number="SF1", address=english, created_at=T0)
        )
        .check()
        == []
    )


def test_h9_address_mismatch_lists_every_differing_part_and_ignores_missing_ones() -> None:
    elsewhere = HOME.replace(city="宁波市", district=None, street="中山路 1 号")
    quad = tea()._replace(waybill=Waybill(tracking_number="SF1", address=elsewhere, created_at=T0))
    [conflict] = quad.check()
    assert conflict.code is ConflictCode.WAYBILL_ADDRESS_MISMATCH
    assert conflict.message == (
        "waybill SF1: city '宁波市' on the waybill, '杭州市' on the order; "
        "street '中山路 1 号' on the waybill, '文三路 88 号' on the order"
    )


def test_h9_phone_mismatch_is_reported_with_masked_numbers() -> None:
    waybill = Waybill(tracking_number="SF1", address=HOME, phone="13912345678", created_at=T0)
    [conflict] = tea()._replace(waybill=waybill).check()
    assert conflict.code is ConflictCode.WAYBILL_PHONE_MISMATCH
    assert (
        conflict.message
        == "waybill SF1: phone 139****5678 on the waybill, 138****8000 on the order"
    )


@pytest.mark.parametrize("same", ["+86 138-0013-8000", "138****8000", "0086 13800138000"])
def test_h9_country_prefixes_and_masked_waybill_phones_still_match(same: str) -> None:
    waybill = Waybill(tracking_number="SF1", address=HOME, phone=same, created_at=T0)
    assert tea()._replace(waybill=waybill).check() == []


def test_h9_the_customer_phone_stands_in_for_a_missing_address_phone() -> None:
    order = tea_order(shipping_address=HOME.replace(phone=None), customer={"phone": "13700000000"})
    assert tea()._replace(order=order).codes() == [ConflictCode.WAYBILL_PHONE_MISMATCH]


def test_h9_a_waybill_is_checked_against_packages_only_once_everything_shipped() -> None:
    shipped = tea()._replace(order=tea_order(shipments=(shipment("SF999"),)))
    assert shipped.codes() == [ConflictCode.WAYBILL_TRACKING_UNKNOWN]
    partly = tea()._replace(order=tea_order(shipments=(shipment("SF999", quantity=1),)))
    assert partly.check() == []


def test_h9_timestamps_before_the_order_or_after_now() -> None:
    quad = tea()
    assert quad.payment is not None
    assert quad.waybill is not None
    early = quad._replace(
        payment=quad.payment.model_copy(update={"paid_at": T0 - timedelta(minutes=6)}),
        waybill=quad.waybill.model_copy(update={"created_at": T0 + timedelta(minutes=6)}),
    )
    assert [str(c) for c in early.check()] == [
        "[error] payment_before_order: paid 2026-11-11 09:54:00, order created 2026-11-11 10:00:00",
        "[warning] future_timestamp: waybill SF100 created 2026-11-11 10:06:00, "
        "after now (2026-11-11 10:00:03)",
    ]
    within_skew = quad._replace(
        payment=quad.payment.model_copy(update={"paid_at": T0 - timedelta(minutes=4)})
    )
    assert within_skew.check() == []


def test_h9_conflicts_come_worst_first() -> None:
    quad = tea()._replace(order=tea_order(payments=()), payment=None, stock={})
    assert [(c.severity, c.code) for c in quad.check()] == [
        (Severity.CRITICAL, ConflictCode.SHIPPED_WITHOUT_PAYMENT),
        (Severity.ERROR, ConflictCode.SKU_NOT_IN_WMS),
    ]


def test_h9_policy_sets_paid_statuses_skew_and_severities() -> None:
    policy = CrossCheckPolicy.from_dict(
        {
            "paid_statuses": ["Settled"],
            "clock_skew": 0,
            "severities": {"payment_missing": "warning"},
        }
    )
    [conflict] = tea().check(policy)
    assert (conflict.code, conflict.severity) == (ConflictCode.PAYMENT_MISSING, Severity.WARNING)
    payment = tea().payment
    assert payment is not None
    settled = tea()._replace(payment=payment.model_copy(update={"status": "SETTLED"}))
    assert settled.check(policy) == []
    with pytest.raises(ConfigError):
        CrossCheckPolicy.from_dict({"severities": {"no_such_code": "error"}})


def test_h9_now_must_be_aware() -> None:
    with pytest.raises(NaiveDatetime):
        cross_check(tea_order(), {}, None, None, now=datetime(2026, 11, 11))


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13800138000", "138****8000"),
        ("+86 138 0013 8000", "138****8000"),
        ("0571-8888-6666", "571****6666"),
        ("8888-6666", "****66"),
        ("138****8000", "****00"),
        ("12", "****"),
        ("", "****"),
    ],
)
def test_mask_phone_never_shows_the_whole_number(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


# properties over generated quadruples

PLACES = [
    ("浙江省", "杭州市", "西湖区"),
    ("广东省", "深圳市", "南山区"),
    ("北京市", "北京市", "朝阳区"),
    ("广西壮族自治区", "南宁市", "青秀区"),
]
STREETS = ["文三路 88 号", "科技园南路 1 号", "No. 5 Jianguo Rd"]


def _same_place_written_differently(draw: st.DrawFn, address: Address) -> Address:
    def variant(text: str | None) -> str | None:
        if text is None:
            return None
        return draw(st.sampled_from([text, f" {text} ", text.upper(), text.replace(" ", "")]))

    province = address.province or ""
    short = province.removesuffix("省").removesuffix("壮族自治区")
    return address.replace(
        province=draw(st.sampled_from([province, short])),
        city=variant(address.city),
        street=variant(address.street),
    )


@st.composite
def quadruples(draw: st.DrawFn) -> Quad:
    """An order, stock, callback and waybill that agree, with cosmetic differences."""
    created = draw(oks.aware_datetimes())
    count = draw(st.integers(1, 3))
    lines = tuple(draw(oks.order_lines("CNY", line_id=str(i + 1))) for i in range(count))
    province, city, district = draw(st.sampled_from(PLACES))
    phone = "1" + draw(st.text("0123456789", min_size=10, max_size=10))
    address = Address(
        country="CN",
        province=province,
        city=city,
        district=draw(st.none() | st.just(district)),
        street=draw(st.sampled_from(STREETS)),
        phone=phone,
    )
    shipped = draw(st.sampled_from(["none", "first line", "all"]))
    chosen = {"none": (), "first line": lines[:1], "all": lines}[shipped]
    shipments: tuple[Shipment, ...] = ()
    if chosen:
        items = tuple(PackageItem(line_id=line.line_id, quantity=line.quantity) for line in chosen)
        package = Package(tracking_number="SF" + phone[-6:], carrier="SF", items=items)
        shipments = (Shipment(shipment_id="S-1", shipped_at=created, packages=(package,)),)
    order = Order(
        order_id="SO-1",
        channel=ChannelRef(channel="tmall", external_id="1"),
        created_at=created,
        currency="CNY",
        shipping_address=address,
        lines=lines,
        shipments=shipments,
    )
    paid_at = created + draw(st.integers(0, 3)) * SECOND
    order = order.replace(
        payments=(Payment(payment_id="P-1", method="alipay", amount=order.total, paid_at=paid_at),)
    )
    need: dict[str, int] = {}
    for line in lines:
        if line not in chosen:
            need[line.sku] = need.get(line.sku, 0) + line.quantity
    stock = {sku: n + draw(st.integers(0, 5)) for sku, n in need.items()}
    callback = PaymentCallback(
        amount=order.total,
        status=draw(st.sampled_from(["SUCCESS", "trade_success", "Paid"])),
        paid_at=paid_at,
        payment_id=draw(st.sampled_from(["P-1", None])),
    )
    waybill_phone = draw(
        st.sampled_from([None, phone, f"+86 {phone}", f"{phone[:3]}****{phone[-4:]}"])
    )
    waybill = Waybill(
        tracking_number="SF" + phone[-6:],
        address=_same_place_written_differently(draw, address),
        phone=waybill_phone,
        created_at=paid_at + SECOND,
    )
    return Quad(order, stock, callback, waybill, waybill.created_at + SECOND)


def _short_stock(quad: Quad) -> Quad:
    sku = sorted(quad.stock)[0]
    need = sum(line.quantity for line in quad.order.lines if line.sku == sku) - sum(
        item.quantity
        for s in quad.order.shipments
        for p in s.packages
        for item in p.items
        if quad.order.line(item.line_id).sku == sku
    )
    return quad._replace(stock={**quad.stock, sku: need - 1})


def _without_sku(quad: Quad) -> Quad:
    return quad._replace(stock=dict(sorted(quad.stock.items())[1:]))


def _callback(quad: Quad, **changes: object) -> PaymentCallback:
    assert quad.payment is not None
    return quad.payment.model_copy(update=changes)


def _waybill(quad: Quad, **changes: object) -> Waybill:
    assert quad.waybill is not None
    return quad.waybill.model_copy(update=changes)


def _other_phone(quad: Quad) -> Quad:
    phone = quad.order.shipping_address.phone if quad.order.shipping_address else None
    assert phone is not None
    flipped = phone[:-1] + str((int(phone[-1]) + 1) % 10)
    return quad._replace(waybill=_waybill(quad, phone=flipped))


def _other_city(quad: Quad) -> Quad:
    address = _waybill(quad).address
    return quad._replace(waybill=_waybill(quad, address=address.replace(city="拉萨市")))


Perturbation = Callable[[Quad], Quad]
PERTURBATIONS: list[tuple[Perturbation, ConflictCode]] = [
    (_short_stock, ConflictCode.PAID_OUT_OF_STOCK),
    (_without_sku, ConflictCode.SKU_NOT_IN_WMS),
    (lambda q: q._replace(payment=None), ConflictCode.PAYMENT_MISSING),
    (lambda q: q._replace(payment=_callback(q, status="REFUNDED")), ConflictCode.PAYMENT_MISSING),
    (lambda q: q._replace(order=q.order.replace(payments=())), ConflictCode.PAYMENT_NOT_RECORDED),
    (
        lambda q: q._replace(payment=_callback(q, amount=q.order.total + Money("0.01", "CNY"))),
        ConflictCode.PAYMENT_AMOUNT_MISMATCH,
    ),
    (
        lambda q: q._replace(payment=_callback(q, paid_at=q.order.created_at - timedelta(hours=1))),
        ConflictCode.PAYMENT_BEFORE_ORDER,
    ),
    (
        lambda q: q._replace(order=q.order.replace(payments=()), payment=None),
        ConflictCode.SHIPPED_WITHOUT_PAYMENT,
    ),
    (_other_city, ConflictCode.WAYBILL_ADDRESS_MISMATCH),
    (_other_phone, ConflictCode.WAYBILL_PHONE_MISMATCH),
    (
        lambda q: q._replace(waybill=_waybill(q, tracking_number="YT0000")),
        ConflictCode.WAYBILL_TRACKING_UNKNOWN,
    ),
    (
        lambda q: q._replace(
            waybill=_waybill(q, created_at=q.order.created_at - timedelta(hours=1))
        ),
        ConflictCode.WAYBILL_BEFORE_ORDER,
    ),
    (
        lambda q: q._replace(waybill=_waybill(q, created_at=q.now + timedelta(hours=1))),
        ConflictCode.FUTURE_TIMESTAMP,
    ),
]


def _applies(quad: Quad, code: ConflictCode) -> bool:
    """Whether the perturbation for ``code`` can bite on this quadruple."""
    if code in {ConflictCode.PAID_OUT_OF_STOCK, ConflictCode.SKU_NOT_IN_WMS}:
        return bool(quad.stock)
    if code is ConflictCode.SHIPPED_WITHOUT_PAYMENT:
        return bool(quad.order.total)
    if code is ConflictCode.WAYBILL_TRACKING_UNKNOWN:
        return bool(quad.order.shipments) and not quad.stock
    return True


@given(quadruples())
def test_h9_agreeing_systems_have_no_conflict(quad: Quad) -> None:
    assert quad.check() == []


@given(quadruples(), st.sampled_from(PERTURBATIONS))
def test_h9_one_perturbed_field_gives_exactly_its_conflict(
    quad: Quad, perturbation: tuple[Perturbation, ConflictCode]
) -> None:
    perturb, code = perturbation
    assume(_applies(quad, code))
    conflicts = perturb(quad).check()
    assert [c.code for c in conflicts] == [code]
    phone = quad.order.shipping_address.phone if quad.order.shipping_address else None
    assert phone is not None
    assert all(phone not in c.message for c in conflicts)
