from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from orderkit.clock import UtcDateTime
from orderkit.money import Money
from orderkit.order._types import Amount, NonEmptyStr, Quantity

__all__ = [
    "Address",
    "ChannelRef",
    "Customer",
    "OrderLine",
    "Package",
    "PackageItem",
    "Payment",
    "Shipment",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def replace(self, **changes: Any) -> Self:
        """A copy with ``changes`` applied and every rule checked again.

        Unlike pydantic's ``model_copy(update=...)``, which skips validation, this
        refuses a change that would make the model invalid.
        """
        return self.model_validate({**dict(self), **changes})


class ChannelRef(_Frozen):
    """Where an order came from: the channel's name and its own id for the order.

    Two payloads with the same ``ChannelRef`` are the same order, whichever export or
    webhook delivered them.

    >>> ChannelRef(channel="pinduoduo", external_id="231122-0123456789").key
    'pinduoduo:231122-0123456789'
    """

    channel: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)
    external_id: NonEmptyStr

    @property
    def key(self) -> str:
        """``channel:external_id``, a stable de-duplication key."""
        return f"{self.channel}:{self.external_id}"


class Customer(_Frozen):
    """The buyer as the channel reports them; every field is optional."""

    customer_id: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    tier: str | None = None


class Address(_Frozen):
    """A postal address; ``country`` is an ISO 3166-1 alpha-2 code."""

    country: str = Field(pattern=r"^[A-Z]{2}$")
    province: str | None = None
    city: str | None = None
    district: str | None = None
    street: str | None = None
    postal_code: str | None = None
    recipient: str | None = None
    phone: str | None = None


class OrderLine(_Frozen):
    """One SKU on an order: quantity, unit price, the discount and tax on the line.

    ``discount`` and ``tax`` are totals for the whole line, not per unit. ``tax`` is
    charged on top of the line; for tax-inclusive channels leave it out. Gift lines
    (``is_gift``) usually carry a zero price.

    >>> line = OrderLine(line_id="1", sku="TEA-01", quantity=3,
    ...                  unit_price=Money("19.90", "CNY"), discount=Money("5.00", "CNY"))
    >>> line.subtotal, line.total
    (Money('59.70', 'CNY'), Money('54.70', 'CNY'))
    """

    line_id: NonEmptyStr
    sku: NonEmptyStr
    title: str = ""
    quantity: Quantity
    unit_price: Amount
    discount: Amount | None = None
    tax: Amount | None = None
    is_gift: bool = False

    # A field validator, not a model one: pydantic runs "after" model validators again
    # whenever a line is passed into an order, and this check is the costly part.
    @field_validator("discount", "tax")
    @classmethod
    def _check(cls, value: Money | None, info: ValidationInfo) -> Money | None:
        price: Money | None = info.data.get("unit_price")
        if value is None or price is None:
            return value
        if value.currency != price.currency:
            raise ValueError(
                f"{info.field_name} is in {value.currency} but the unit price in {price.currency}"
            )
        quantity = info.data.get("quantity")
        # Both amounts are non-negative and the quantity positive, so a discount no larger
        # than the unit price fits the subtotal without multiplying.
        if info.field_name == "discount" and quantity is not None and value > price:
            subtotal = price * quantity
            if value > subtotal:
                raise ValueError(
                    f"discount {value} exceeds the line subtotal {subtotal} "
                    f"of line {info.data.get('line_id')!r}"
                )
        return value

    @property
    def currency(self) -> str:
        """The line's currency (its unit price's)."""
        return self.unit_price.currency

    @property
    def subtotal(self) -> Money:
        """Unit price times quantity, before discount and tax."""
        return self.unit_price * self.quantity

    @property
    def total(self) -> Money:
        """What the buyer pays for the line: subtotal less discount plus tax."""
        zero = Money.zero(self.currency)
        return self.subtotal - (self.discount or zero) + (self.tax or zero)


class Payment(_Frozen):
    """A captured payment: method (``alipay``, ``bank_transfer`` …), amount and time."""

    payment_id: NonEmptyStr
    method: NonEmptyStr
    amount: Amount
    paid_at: UtcDateTime


class PackageItem(_Frozen):
    """A quantity of one order line inside a package."""

    line_id: NonEmptyStr
    quantity: Quantity


class Package(_Frozen):
    """One parcel with its own tracking number."""

    tracking_number: NonEmptyStr
    carrier: NonEmptyStr
    items: tuple[PackageItem, ...] = Field(min_length=1)


class Shipment(_Frozen):
    """One outbound from a warehouse: one or more packages, shipped at one time."""

    shipment_id: NonEmptyStr
    shipped_at: UtcDateTime
    warehouse: str | None = None
    packages: tuple[Package, ...] = Field(min_length=1)
