"""Personal data kept out of logs, reprs and messages (MISSION C6).

:class:`PiiKind` names each kind of personal value and masks it; :class:`Masked` carries
one value whose ``repr`` and ``str`` only ever show it masked; :func:`mask_order` masks a
whole canonical order for logging.
"""

from __future__ import annotations

import re
from enum import StrEnum

import attrs

from orderkit import _pii
from orderkit.channels._address import mask_address_line
from orderkit.order import Order

__all__ = ["Masked", "PiiKind", "mask_order", "mask_text"]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_LIKE = re.compile(r"\+?\d[\d -]{5,}\d")


class PiiKind(StrEnum):
    """A kind of personal value, and how it is masked.

    >>> PiiKind.PHONE.mask("+86 138 0013 8000"), PiiKind.NAME.mask("张三")
    ('138****8000', '张*')
    >>> PiiKind.EMAIL.mask("jane@example.com"), PiiKind.ID.mask("oX3a9-wechat-77f1")
    ('j***@example.com', 'oX3****77f1')
    >>> PiiKind.ADDRESS.mask("浙江省杭州市西湖区文三路 90 号")
    '浙江-杭州-西湖区 ****'

    Every mask is idempotent: masking a masked value changes nothing.
    """

    PHONE = "phone"
    """``138****0000`` from 11 digits or more, ``****00`` from 4 to 10, else ``****``."""
    NAME = "name"
    """``张*``, ``张**``, ``J*** S****``."""
    EMAIL = "email"
    """``j***@example.com``."""
    ADDRESS = "address"
    """An address or street line: its ``province-city-district`` key, if any, and ``****``."""
    ID = "id"
    """An account, device or card id: the first 3 and last 4 of 8 or more characters."""

    def mask(self, value: str) -> str:
        """``value`` masked the way this kind is."""
        return _MASKERS[self](value)


_MASKERS = {
    PiiKind.PHONE: _pii.mask_phone,
    PiiKind.NAME: _pii.mask_name,
    PiiKind.EMAIL: _pii.mask_email,
    PiiKind.ADDRESS: mask_address_line,
    PiiKind.ID: _pii.mask_key,
}


@attrs.frozen(repr=False)
class Masked:
    """A personal value that only ever prints masked; :meth:`reveal` gives it back.

    >>> phone = Masked(PiiKind.PHONE, "13800138000")
    >>> phone, str(phone), f"call {phone}"
    (Masked(phone, '138****8000'), '138****8000', 'call 138****8000')
    >>> phone.reveal()
    '13800138000'
    """

    kind: PiiKind
    _value: str = attrs.field(alias="value")

    def reveal(self) -> str:
        """The raw value: for the code that needs it, never for a log."""
        return self._value

    def __str__(self) -> str:
        return self.kind.mask(self._value)

    def __repr__(self) -> str:
        return f"Masked({self.kind.value}, {str(self)!r})"


def mask_text(text: str) -> str:
    """Free text (a buyer's note) with the e-mails and phone numbers in it masked.

    Names and street lines cannot be recognised in free text: keep such text out of logs.

    >>> mask_text("请联系 13800138000 或 li.lei@example.com")
    '请联系 138****8000 或 l***@example.com'
    """
    text = _EMAIL.sub(lambda m: _pii.mask_email(m.group()), text)
    return _PHONE_LIKE.sub(lambda m: _pii.mask_phone(m.group()), text)


def _masked(kind: PiiKind, value: str | None) -> str | None:
    return None if value is None else kind.mask(value)


def mask_order(order: Order) -> Order:
    """A copy of ``order`` fit for logs: buyer, recipient, phones, street, note masked.

    The province, city and district, the amounts, lines and ids are kept; metadata
    values and the note go through :func:`mask_text`.

    >>> from datetime import UTC, datetime
    >>> from orderkit.money import Money
    >>> from orderkit.order import Address, ChannelRef, Customer, OrderLine
    >>> order = Order(
    ...     order_id="SO-1", channel=ChannelRef(channel="douyin", external_id="6920"),
    ...     created_at=datetime(2026, 11, 11, tzinfo=UTC), currency="CNY",
    ...     lines=[OrderLine(line_id="1", sku="TEA-01", quantity=1,
    ...                      unit_price=Money("59.00", "CNY"))],
    ...     customer=Customer(name="王小明", phone="13800138000"),
    ...     shipping_address=Address(country="CN", province="浙江", city="杭州",
    ...                              district="西湖区", street="文三路 90 号",
    ...                              recipient="王小明", phone="13800138000"),
    ... )
    >>> masked = mask_order(order)
    >>> masked.customer.name, masked.customer.phone, masked.shipping_address.street
    ('王**', '138****8000', '****')
    >>> mask_order(masked) == masked
    True
    """
    customer = order.customer
    changes: dict[str, object] = {
        "customer": customer.replace(
            customer_id=_masked(PiiKind.ID, customer.customer_id),
            name=_masked(PiiKind.NAME, customer.name),
            email=_masked(PiiKind.EMAIL, customer.email),
            phone=_masked(PiiKind.PHONE, customer.phone),
        ),
        "note": mask_text(order.note),
        "metadata": {key: mask_text(value) for key, value in order.metadata.items()},
    }
    if (address := order.shipping_address) is not None:
        changes["shipping_address"] = address.replace(
            street=_masked(PiiKind.ADDRESS, address.street),
            recipient=_masked(PiiKind.NAME, address.recipient),
            phone=_masked(PiiKind.PHONE, address.phone),
        )
    return order.replace(**changes)
