"""Four-way cross-check: order, WMS stock, payment callback, courier waybill (MISSION H9).

:func:`cross_check` compares what four systems say about one order and lists every
:class:`Conflict` with a :class:`ConflictCode`, a :class:`Severity` and a message with
the values involved (phone numbers masked, see :func:`mask_phone`). The seed runs it
within 3 s of an order's creation: that is the host's scheduling (e.g. a subscriber of
the order-created event); the function itself is pure, a function of its inputs and
``now`` only.

.. versionadded:: 0.1
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

import attrs
from pydantic import AfterValidator, Field

from orderkit._pii import mask_phone_digits
from orderkit.clock import UtcDateTime, require_aware
from orderkit.lifecycle.policies._models import Duration, PolicyConfig, Record
from orderkit.order import Address, Amount, NonEmptyStr, Order

__all__ = [
    "Conflict",
    "ConflictCode",
    "CrossCheckPolicy",
    "PaymentCallback",
    "Severity",
    "Waybill",
    "cross_check",
    "mask_phone",
]


class Severity(StrEnum):
    """How bad a conflict is, worst first."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"


class ConflictCode(StrEnum):
    """What disagrees between the order and the WMS, the payment gateway or the courier."""

    PAID_OUT_OF_STOCK = "paid_out_of_stock"
    """Paid, but a SKU has less available than is still to ship."""
    OUT_OF_STOCK = "out_of_stock"
    """Not paid yet, and a SKU has less available than is still to ship."""
    SKU_NOT_IN_WMS = "sku_not_in_wms"
    """A SKU still to ship is absent from the WMS snapshot."""
    PAYMENT_MISSING = "payment_missing"
    """The order records a payment the gateway does not confirm (no callback, or not paid)."""
    PAYMENT_NOT_RECORDED = "payment_not_recorded"
    """The gateway confirms a payment the order does not record."""
    PAYMENT_AMOUNT_MISMATCH = "payment_amount_mismatch"
    """The gateway's amount differs from what the order expects."""
    PAYMENT_BEFORE_ORDER = "payment_before_order"
    """The callback's payment time is before the order was created."""
    SHIPPED_WITHOUT_PAYMENT = "shipped_without_payment"
    """A shipment or waybill exists for an order nobody reports paid."""
    WAYBILL_ADDRESS_MISMATCH = "waybill_address_mismatch"
    """The waybill goes to another place than the order's shipping address."""
    WAYBILL_PHONE_MISMATCH = "waybill_phone_mismatch"
    """The waybill's phone is not the order's."""
    WAYBILL_TRACKING_UNKNOWN = "waybill_tracking_unknown"
    """The order has shipped packages, none with the waybill's tracking number."""
    WAYBILL_BEFORE_ORDER = "waybill_before_order"
    """The waybill was created before the order."""
    FUTURE_TIMESTAMP = "future_timestamp"
    """A timestamp later than ``now`` (beyond the clock-skew allowance)."""


_SEVERITY: Mapping[ConflictCode, Severity] = {
    ConflictCode.PAID_OUT_OF_STOCK: Severity.CRITICAL,
    ConflictCode.OUT_OF_STOCK: Severity.WARNING,
    ConflictCode.SKU_NOT_IN_WMS: Severity.ERROR,
    ConflictCode.PAYMENT_MISSING: Severity.CRITICAL,
    ConflictCode.PAYMENT_NOT_RECORDED: Severity.WARNING,
    ConflictCode.PAYMENT_AMOUNT_MISMATCH: Severity.CRITICAL,
    ConflictCode.PAYMENT_BEFORE_ORDER: Severity.ERROR,
    ConflictCode.SHIPPED_WITHOUT_PAYMENT: Severity.CRITICAL,
    ConflictCode.WAYBILL_ADDRESS_MISMATCH: Severity.CRITICAL,
    ConflictCode.WAYBILL_PHONE_MISMATCH: Severity.ERROR,
    ConflictCode.WAYBILL_TRACKING_UNKNOWN: Severity.ERROR,
    ConflictCode.WAYBILL_BEFORE_ORDER: Severity.ERROR,
    ConflictCode.FUTURE_TIMESTAMP: Severity.WARNING,
}
_RANK = {severity: rank for rank, severity in enumerate(Severity)}


def _casefolded(statuses: frozenset[str]) -> frozenset[str]:
    return frozenset(s.strip().casefold() for s in statuses)


def _text(value: str) -> str:
    """``value`` in NFKC, case-folded, without whitespace and punctuation."""
    folded = unicodedata.normalize("NFKC", value).casefold()
    return "".join(c for c in folded if not (c.isspace() or unicodedata.category(c)[0] == "P"))


def _longest_first(suffixes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({_text(s) for s in suffixes} - {""}, key=lambda s: (-len(s), s)))


class CrossCheckPolicy(PolicyConfig):
    """What the cross-check accepts as paid, how much clocks may disagree, and severities.

    ``paid_statuses`` are the callback statuses that mean paid, compared ignoring case
    (Alipay's ``TRADE_SUCCESS``, WeChat Pay's ``SUCCESS`` …). ``clock_skew`` is how far
    timestamps of different systems may disagree. ``region_suffixes``: the longest one
    that fits is dropped from the end of province, city and district names before they
    are compared (``浙江省`` = ``浙江``). ``severities`` overrides the default severity of
    some codes.
    """

    paid_statuses: Annotated[frozenset[str], AfterValidator(_casefolded)] = frozenset(
        {"success", "succeeded", "paid", "captured", "trade_success", "trade_finished"}
    )
    clock_skew: Duration = timedelta(minutes=5)
    region_suffixes: Annotated[
        tuple[str, ...], AfterValidator(_longest_first), Field(validate_default=True)
    ] = (
        "特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "地区",
        "省", "市", "区", "县",
    )  # fmt: skip
    severities: dict[ConflictCode, Severity] = Field(default_factory=dict)

    def severity(self, code: ConflictCode) -> Severity:
        """The severity of ``code`` under this policy."""
        return self.severities.get(code, _SEVERITY[code])


class PaymentCallback(Record):
    """What the payment gateway's callback says about the order's payment."""

    amount: Amount
    status: NonEmptyStr
    paid_at: UtcDateTime
    payment_id: str | None = None
    """The order's ``Payment.payment_id`` this callback confirms, when known."""


class Waybill(Record):
    """The courier's waybill: tracking number, recipient address and phone, creation time.

    ``phone`` falls back to ``address.phone`` when not given.
    """

    tracking_number: NonEmptyStr
    address: Address
    phone: str | None = None
    created_at: UtcDateTime


@attrs.frozen
class Conflict:
    """One disagreement found by :func:`cross_check`."""

    code: ConflictCode
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"[{self.severity.value}] {self.code.value}: {self.message}"


def mask_phone(phone: str) -> str:
    """A phone number fit for logs: ``138****0000`` from 11 or more digits, else ``****00``.

    >>> mask_phone("+86 138-0013-8000"), mask_phone("88886666"), mask_phone("12")
    ('138****8000', '****66', '****')
    """
    return mask_phone_digits(phone)


def _same_phone(a: str, b: str) -> bool:
    """Equal once reduced to digits (``*`` a masked digit); extra leading digits on the
    longer number (a country or trunk prefix) are ignored when 7 or more digits remain."""
    x, y = re.sub(r"[^\d*]", "", a), re.sub(r"[^\d*]", "", b)
    short, long = sorted((x, y), key=len)
    if len(short) < 7:
        return x == y
    return all(p == q or "*" in (p, q) for p, q in zip(short, long[-len(short) :], strict=True))


def _region(value: str, suffixes: tuple[str, ...]) -> str:
    text = _text(value)
    for suffix in suffixes:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


_PARTS = ("country", "province", "city", "district", "street")
_REGIONS = frozenset({"province", "city", "district"})


def _address_differences(order: Address, waybill: Address, suffixes: tuple[str, ...]) -> list[str]:
    differences = []
    for part in _PARTS:
        mine, theirs = getattr(order, part), getattr(waybill, part)
        if not (mine and theirs):
            continue
        same = (
            _region(mine, suffixes) == _region(theirs, suffixes)
            if part in _REGIONS
            else _text(mine) == _text(theirs)
        )
        if not same:
            differences.append(f"{part} {theirs!r} on the waybill, {mine!r} on the order")
    return differences


def _to_ship(order: Order) -> Counter[str]:
    shipped: Counter[str] = Counter()
    for shipment in order.shipments:
        for package in shipment.packages:
            for item in package.items:
                shipped[item.line_id] += item.quantity
    need: Counter[str] = Counter()
    for line in order.lines:
        need[line.sku] += line.quantity - shipped[line.line_id]
    return +need


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S}"


def _stock(
    need: Counter[str], stock: Mapping[str, int], paid: bool
) -> Iterator[tuple[ConflictCode, str]]:
    short = ConflictCode.PAID_OUT_OF_STOCK if paid else ConflictCode.OUT_OF_STOCK
    for sku, quantity in sorted(need.items()):
        if sku not in stock:
            yield ConflictCode.SKU_NOT_IN_WMS, f"SKU {sku} ({quantity} to ship) is not in the WMS"
        elif stock[sku] < quantity:
            state = "paid" if paid else "unpaid"
            yield short, f"{state}: SKU {sku} has {stock[sku]} available, {quantity} to ship"


def _gateway(callback: PaymentCallback | None) -> str:
    return "no callback" if callback is None else f"status {callback.status!r}"


def _payment(
    order: Order, callback: PaymentCallback | None, confirmed: bool
) -> Iterator[tuple[ConflictCode, str]]:
    recorded = ", ".join(f"{p.payment_id} {p.amount}" for p in order.payments)
    if recorded and not confirmed:
        yield (
            ConflictCode.PAYMENT_MISSING,
            f"the order records {recorded}; the gateway: {_gateway(callback)}",
        )
    if callback is None or not confirmed:
        return
    if not recorded:
        yield (
            ConflictCode.PAYMENT_NOT_RECORDED,
            f"the gateway confirms {callback.amount}; the order records no payment",
        )
    matching = [p.amount for p in order.payments if p.payment_id == callback.payment_id]
    if matching:
        expected, what = matching[0], f"payment {callback.payment_id}"
    elif recorded:
        expected, what = order.paid_total, "recorded payments"
    else:
        expected, what = order.total, "order total"
    if callback.amount != expected:
        yield (
            ConflictCode.PAYMENT_AMOUNT_MISMATCH,
            f"the gateway confirms {callback.amount}, the order expects {expected} ({what})",
        )


def _waybill(
    order: Order, waybill: Waybill, need: Counter[str], policy: CrossCheckPolicy
) -> Iterator[tuple[ConflictCode, str]]:
    where = order.shipping_address
    name = f"waybill {waybill.tracking_number}"
    if where is not None:
        differences = _address_differences(where, waybill.address, policy.region_suffixes)
        if differences:
            yield ConflictCode.WAYBILL_ADDRESS_MISMATCH, f"{name}: {'; '.join(differences)}"
    ours = (where.phone if where else None) or order.customer.phone
    theirs = waybill.phone or waybill.address.phone
    if ours and theirs and not _same_phone(ours, theirs):
        yield (
            ConflictCode.WAYBILL_PHONE_MISMATCH,
            f"{name}: phone {mask_phone(theirs)} on the waybill, {mask_phone(ours)} on the order",
        )
    tracked = [p.tracking_number for s in order.shipments for p in s.packages]
    if tracked and not need and _text(waybill.tracking_number) not in map(_text, tracked):
        yield (
            ConflictCode.WAYBILL_TRACKING_UNKNOWN,
            f"{name} is none of the shipped order's packages ({', '.join(tracked)})",
        )


def _timestamps(
    order: Order,
    callback: PaymentCallback | None,
    waybill: Waybill | None,
    now: datetime,
    skew: timedelta,
) -> Iterator[tuple[ConflictCode, str]]:
    created = order.created_at
    stamps = [("order created", created)]
    if callback is not None:
        stamps.append(("paid", callback.paid_at))
        if callback.paid_at < created - skew:
            yield (
                ConflictCode.PAYMENT_BEFORE_ORDER,
                f"paid {_when(callback.paid_at)}, order created {_when(created)}",
            )
    if waybill is not None:
        stamps.append((f"waybill {waybill.tracking_number} created", waybill.created_at))
        if waybill.created_at < created - skew:
            yield (
                ConflictCode.WAYBILL_BEFORE_ORDER,
                f"waybill {waybill.tracking_number} created {_when(waybill.created_at)}, "
                f"order created {_when(created)}",
            )
    for what, at in stamps:
        if at > now + skew:
            yield ConflictCode.FUTURE_TIMESTAMP, f"{what} {_when(at)}, after now ({_when(now)})"


_DEFAULT_POLICY = CrossCheckPolicy()


def cross_check(
    order: Order,
    stock: Mapping[str, int],
    payment: PaymentCallback | None,
    waybill: Waybill | None,
    *,
    now: datetime,
    policy: CrossCheckPolicy = _DEFAULT_POLICY,
) -> list[Conflict]:
    """Every conflict between the order, the WMS, the payment gateway and the courier (H9).

    ``stock`` is the WMS snapshot, SKU → units available to this order (including any
    already reserved for it), compared with what is still to ship (ordered less
    shipped). ``payment`` and ``waybill`` are ``None`` while there is none. Paid means a
    callback with a paid status or a payment recorded on the order. Conflicts come
    worst first, then by code; an empty list means the four agree.
    """
    at = require_aware(now, "now")
    confirmed = payment is not None and payment.status.casefold() in policy.paid_statuses
    paid = confirmed or bool(order.payments)
    need = _to_ship(order)
    found = [*_payment(order, payment, confirmed), *_stock(need, stock, paid)]
    if waybill is not None:
        found += _waybill(order, waybill, need, policy)
    dispatched = [f"shipment {s.shipment_id}" for s in order.shipments]
    dispatched += [f"waybill {waybill.tracking_number}"] if waybill else []
    if dispatched and not paid and order.total:
        found.append(
            (
                ConflictCode.SHIPPED_WITHOUT_PAYMENT,
                f"{', '.join(dispatched)} for an unpaid order of {order.total} "
                f"(no payment recorded; the gateway: {_gateway(payment)})",
            )
        )
    found += _timestamps(order, payment, waybill, at, policy.clock_skew)
    conflicts = [Conflict(code, policy.severity(code), message) for code, message in found]
    return sorted(conflicts, key=lambda c: (_RANK[c.severity], c.code, c.message))
