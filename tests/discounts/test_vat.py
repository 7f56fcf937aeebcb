"""Cross-border VAT as a template (MISSION D5)."""

from __future__ import annotations

from decimal import Context, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from orderkit.discounts._vat import VatBreakdown, VatInput, VatLine, VatTemplate, vat_breakdown
from orderkit.errors import CurrencyMismatch, InvalidPricingInput, NotRounded
from orderkit.money import Money, Rounding
from orderkit.testing import strategies as oks

UK = VatTemplate(name="UK", standard_rate=Decimal(20), prices_include_vat=True)
DE = VatTemplate(
    name="DE", standard_rate=Decimal(19), rates={"books": Decimal(7)}, prices_include_vat=True
)


def _eur(text: str) -> Money:
    return Money(text, "EUR")


def _gbp(text: str) -> Money:
    return Money(text, "GBP")


def _net_template(rate: str, rounding: Rounding = Rounding.HALF_UP) -> VatTemplate:
    return VatTemplate(
        name="net", standard_rate=Decimal(rate), prices_include_vat=False, rounding=rounding
    )


def test_uk_gross_12_is_10_net_and_2_vat() -> None:
    taxed = vat_breakdown([VatInput("1", _gbp("12.00"))], UK)
    line = VatLine("1", Decimal(20), _gbp("10.00"), _gbp("2.00"), _gbp("12.00"))
    assert taxed == VatBreakdown(
        lines=(line,), net=_gbp("10.00"), vat=_gbp("2.00"), gross=_gbp("12.00")
    )


def test_germany_taxes_books_at_7_and_the_rest_at_19() -> None:
    taxed = vat_breakdown(
        [
            VatInput("shoes", _eur("119.00"), "apparel"),
            VatInput("novel", _eur("10.70"), "books"),
            VatInput("mug", _eur("9.99")),
        ],
        DE,
    )
    assert taxed.lines == (
        VatLine("mug", Decimal(19), _eur("8.39"), _eur("1.60"), _eur("9.99")),
        VatLine("novel", Decimal(7), _eur("10.00"), _eur("0.70"), _eur("10.70")),
        VatLine("shoes", Decimal(19), _eur("100.00"), _eur("19.00"), _eur("119.00")),
    )
    assert (taxed.net, taxed.vat, taxed.gross) == (_eur("118.39"), _eur("21.30"), _eur("139.69"))


def test_net_prices_get_vat_added() -> None:
    taxed = vat_breakdown([VatInput("1", _eur("10.00"))], _net_template("19"))
    assert taxed.lines[0] == VatLine("1", Decimal(19), _eur("10.00"), _eur("1.90"), _eur("11.90"))


def test_vat_is_rounded_per_line() -> None:
    lines = [VatInput(str(i), _eur("0.10")) for i in range(3)]
    taxed = vat_breakdown(lines, _net_template("17"))
    assert [line.vat for line in taxed.lines] == [_eur("0.02")] * 3
    assert taxed.vat == _eur("0.06")


@pytest.mark.parametrize(
    ("rounding", "vat"), [(Rounding.HALF_UP, "0.03"), (Rounding.HALF_EVEN, "0.02")]
)
def test_net_mode_rounds_a_tie_with_the_templates_mode(rounding: Rounding, vat: str) -> None:
    taxed = vat_breakdown([VatInput("1", _eur("0.50"))], _net_template("5", rounding))
    assert taxed.vat == _eur(vat)


@pytest.mark.parametrize(
    ("rounding", "net", "vat"),
    [(Rounding.HALF_UP, "0.13", "0.02"), (Rounding.HALF_EVEN, "0.12", "0.03")],
)
def test_gross_mode_rounds_a_tie_with_the_templates_mode(
    rounding: Rounding, net: str, vat: str
) -> None:
    template = UK.model_copy(update={"rounding": rounding})
    taxed = vat_breakdown([VatInput("1", _gbp("0.15"))], template)
    assert (taxed.net, taxed.vat, taxed.gross) == (_gbp(net), _gbp(vat), _gbp("0.15"))


def test_zero_decimal_currency_rounds_to_whole_units() -> None:
    japan = VatTemplate(name="JP", standard_rate=Decimal(10), prices_include_vat=True)
    taxed = vat_breakdown([VatInput("1", Money(1000, "JPY"))], japan)
    assert (taxed.net, taxed.vat) == (Money(909, "JPY"), Money(91, "JPY"))


def test_template_loads_from_a_dict() -> None:
    template = VatTemplate.model_validate(
        {
            "name": "DE",
            "standard_rate": "19",
            "rates": {"books": "7"},
            "prices_include_vat": True,
            "rounding": "ROUND_HALF_UP",
        }
    )
    assert template == DE
    assert VatTemplate.model_validate_json(template.model_dump_json()) == DE


def test_rate_for_falls_back_to_the_standard_rate() -> None:
    assert DE.rate_for("books") == Decimal(7)
    assert DE.rate_for("toys") == Decimal(19)
    assert DE.rate_for(None) == Decimal(19)


@pytest.mark.parametrize(
    ("changes", "loc", "message"),
    [
        ({"standard_rate": 20.0}, ("standard_rate",), "float"),
        ({"standard_rate": "100"}, ("standard_rate",), "less than 100"),
        ({"standard_rate": "-1"}, ("standard_rate",), "greater than or equal to 0"),
        ({"standard_rate": "7.12345"}, ("standard_rate",), "4 decimal places"),
        ({"rates": {"books": 0.07}}, ("rates", "books"), "float"),
        ({"name": " "}, ("name",), "at least 1 character"),
        ({"vat_id": "DE123"}, ("vat_id",), "Extra inputs"),
    ],
)
def test_invalid_templates_are_refused_naming_the_field(
    changes: dict[str, object], loc: tuple[str, ...], message: str
) -> None:
    data = {"name": "DE", "standard_rate": "19", "prices_include_vat": True, **changes}
    with pytest.raises(ValidationError, match=message) as caught:
        VatTemplate.model_validate(data)
    assert [error["loc"] for error in caught.value.errors()] == [loc]


def test_mixed_currencies_are_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        vat_breakdown([VatInput("1", _eur("1.00")), VatInput("2", _gbp("1.00"))], UK)


def test_duplicate_line_ids_are_refused_and_named() -> None:
    lines = [VatInput(i, _gbp("1.00")) for i in ("b", "a", "b", "c", "a")]
    with pytest.raises(InvalidPricingInput, match=r"more than once: \['a', 'b'\]"):
        vat_breakdown(lines, UK)


def test_no_lines_are_refused() -> None:
    with pytest.raises(InvalidPricingInput, match="at least one line"):
        vat_breakdown([], UK)


def test_negative_and_unrounded_amounts_are_refused() -> None:
    with pytest.raises(InvalidPricingInput, match=r"'1'.*negative"):
        vat_breakdown([VatInput("1", _gbp("-1.00"))], UK)
    with pytest.raises(NotRounded):
        vat_breakdown([VatInput("1", _gbp("1.005"))], UK)


def _reference_net(gross: Money, percent: Decimal, rounding: Rounding) -> Money:
    """gross / (1 + rate) to 200 digits, far past any false tie for these amounts."""
    quotient = Context(prec=200).divide(gross.amount * 100, 100 + percent)
    return Money(quotient, gross.currency).round(rounding)


templates = st.builds(
    VatTemplate,
    name=st.just("any"),
    standard_rate=st.decimals(0, Decimal("99.9999"), places=4),
    rates=st.dictionaries(st.sampled_from(("books", "food")), st.decimals(0, 30, places=2)),
    prices_include_vat=st.booleans(),
    rounding=st.sampled_from(Rounding),
)


@st.composite
def _inputs(draw: st.DrawFn) -> list[VatInput]:
    currency = draw(oks.currencies())
    ids = draw(st.lists(st.text("abcdefgh", min_size=1, max_size=3), min_size=1, unique=True))
    categories = st.none() | st.sampled_from(("books", "food", "toys"))
    return [VatInput(i, draw(oks.money(currency)), draw(categories)) for i in ids]


@given(_inputs(), templates)
def test_net_plus_vat_is_gross_on_every_line_and_in_the_totals(
    inputs: list[VatInput], template: VatTemplate
) -> None:
    taxed = vat_breakdown(inputs, template)
    given_amounts = {line.line_id: line.amount for line in inputs}
    assert [line.line_id for line in taxed.lines] == sorted(given_amounts)
    zero = Money.zero(inputs[0].amount.currency)
    for line in taxed.lines:
        assert line.net + line.vat == line.gross
        assert line.vat >= zero
        assert line.net >= zero
        kept = line.gross if template.prices_include_vat else line.net
        assert kept == given_amounts[line.line_id]
    assert taxed.net + taxed.vat == taxed.gross
    assert taxed.net == sum((line.net for line in taxed.lines), zero)
    assert taxed.vat == sum((line.vat for line in taxed.lines), zero)


@given(_inputs(), templates.map(lambda t: t.model_copy(update={"prices_include_vat": True})))
def test_gross_mode_net_is_the_exactly_rounded_quotient(
    inputs: list[VatInput], template: VatTemplate
) -> None:
    by_id = {line.line_id: line for line in inputs}
    for line in vat_breakdown(inputs, template).lines:
        gross = by_id[line.line_id].amount
        assert line.rate == template.rate_for(by_id[line.line_id].category)
        assert line.net == _reference_net(gross, line.rate, template.rounding)
        exact = Fraction(gross.amount) / (1 + Fraction(line.rate) / 100)
        assert abs(Fraction(line.net.amount) - exact) < Fraction(
            Money.from_minor(1, gross.currency).amount
        )
