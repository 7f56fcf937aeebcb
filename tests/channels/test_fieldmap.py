"""Declarative field maps: loading, validation, mapping and its problems (MISSION C1, C2, C6)."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orderkit.channels import Converter, FieldMap, FieldMapper, MappingScope, OrderMapper
from orderkit.errors import ConfigError, FieldMapInvalid, MappingFailed, MappingProblem
from orderkit.lifecycle import OrderState
from orderkit.money import Money
from orderkit.order import Address

DATA = Path(__file__).parent / "data"
PHONE = "13800138000"


def small_map(**changes: Any) -> dict[str, Any]:
    """A small map over a flat payload; ``changes`` replace whole top-level sections."""
    data: dict[str, Any] = {
        "channel": "demo",
        "order": {
            "order_id": {"path": "no"},
            "external_id": {"path": "id"},
            "created_at": {"path": "created", "args": {"zone": "Asia/Shanghai"}},
            "currency": {"const": "CNY"},
            "customer": {"phone": {"path": "buyer.mobile", "convert": "phone"}},
            "shipping_fee": {"path": "postage", "default": "0"},
            "note": {"path": "memo", "default": None},
        },
        "lines": {
            "path": "items",
            "fields": {
                "line_id": {"path": "id"},
                "sku": {"path": "sku"},
                "quantity": {"path": "qty"},
                "unit_price": {"path": "price"},
            },
        },
        "status": {"path": "status", "table": {1: "pending_payment", 2: "paid"}},
    }
    data.update(changes)
    return data


def small_payload() -> dict[str, Any]:
    return {
        "no": "D-1",
        "id": 1001,
        "created": "2026-11-11 08:00:00",
        "buyer": {"mobile": "+86 138 0013 8000"},
        "items": [
            {"id": "a", "sku": "TEA", "qty": 2, "price": "19.90"},
            {"id": "b", "sku": "CUP", "qty": 1, "price": Decimal("5.5")},
            {"id": "c", "sku": "LID", "qty": "1", "price": 3},
        ],
        "status": 2,
    }


def problems_of(mapper: FieldMapper, payload: Mapping[str, Any]) -> tuple[MappingProblem, ...]:
    with pytest.raises(MappingFailed) as caught:
        mapper.map(payload)
    assert caught.value.channel == mapper.channel
    return caught.value.problems


def test_a_small_payload_maps_with_declared_defaults() -> None:
    mapper = FieldMapper(FieldMap.load(small_map()))
    mapped = mapper.map(small_payload())
    order = mapped.order
    assert order.channel.key == "demo:1001"
    assert order.created_at == datetime(2026, 11, 11, 0, 0, tzinfo=UTC)
    assert order.customer.phone == PHONE
    assert order.shipping_fee == Money(0, "CNY")
    assert order.note == ""
    assert [line.quantity for line in order.lines] == [2, 1, 1]
    assert order.total == Money("48.30", "CNY")
    assert (mapped.state, mapped.raw_status) == (OrderState.PAID, "2")
    assert isinstance(mapper, OrderMapper)
    assert repr(mapper) == "FieldMapper(channel='demo')"


def test_a_missing_required_field_is_a_problem_never_a_default() -> None:
    payload = small_payload()
    del payload["items"][1]["price"]
    (problem,) = problems_of(FieldMapper(FieldMap.load(small_map())), payload)
    assert problem == MappingProblem("items[1].price", "<missing>", "required")


def test_every_problem_of_a_payload_is_reported_with_its_path() -> None:
    """C2: one payload, three problems, one error naming all three."""
    payload = small_payload()
    payload["created"] = "yesterday-ish"
    payload["items"][2]["price"] = "3.x"
    payload["status"] = 7
    problems = problems_of(FieldMapper(FieldMap.load(small_map())), payload)
    assert [(p.path, p.raw) for p in problems] == [
        ("created", "yesterday-ish"),
        ("items[2].price", "3.x"),
        ("status", "7"),
    ]
    assert problems[2].message == "unknown status '7'; the table knows 1, 2"


def test_problems_found_by_the_canonical_model_name_the_payload_path() -> None:
    payload = small_payload()
    payload["items"][0]["qty"] = 0
    payload["items"][1]["price"] = "5.555"
    problems = problems_of(FieldMapper(FieldMap.load(small_map())), payload)
    assert [(p.path, p.raw) for p in problems] == [
        ("items[0].qty", "0"),
        ("items[1].price", "5.555"),
    ]
    assert "greater than 0" in problems[0].message
    assert "finer than the currency's minor unit" in problems[1].message


def test_order_level_rules_are_reported_against_the_order() -> None:
    payload = small_payload()
    payload["items"][1]["id"] = "a"
    (problem,) = problems_of(FieldMapper(FieldMap.load(small_map())), payload)
    assert (problem.path, problem.message) == ("$", "line id 'a' appears 2 times")


def test_a_bad_currency_is_one_problem_not_one_per_amount() -> None:
    data = small_map()
    data["order"]["currency"] = {"path": "cur"}
    payload = {**small_payload(), "cur": "RMB"}
    (problem,) = problems_of(FieldMapper(FieldMap.load(data)), payload)
    assert (problem.path, problem.raw) == ("cur", "RMB")


@pytest.mark.parametrize(
    ("items", "raw", "message"),
    [(None, "<missing>", "required"), ([], "<list of 0>", "expected a non-empty list")],
)
def test_lines_must_be_a_non_empty_list(items: object, raw: str, message: str) -> None:
    payload = {**small_payload(), "items": items}
    (problem,) = problems_of(FieldMapper(FieldMap.load(small_map())), payload)
    assert (problem.path, problem.raw) == ("items", raw)
    assert problem.message.startswith(message)


def test_personal_data_is_masked_in_problems_messages_and_reprs() -> None:
    """C6: a bad phone, a declared-pii field and a host converter quoting its input."""

    def shouting(**args: Any) -> Converter:
        def convert(raw: Any, scope: MappingScope) -> Any:
            raise ValueError(f"cannot read {raw}")

        return convert

    data = small_map()
    data["order"]["metadata"] = {
        "wechat": {"path": "openid", "convert": "shout", "pii": True},
        "card": {"path": "card_no", "convert": "shout", "pii": True},
    }
    data["order"]["customer"]["name"] = {"path": "buyer.name", "convert": "shout"}
    payload = {**small_payload(), "openid": "oX9-secret-openid", "card_no": 6222020200112233}
    payload["buyer"] = {"mobile": "138 0013 80O0", "name": "王小明"}
    mapper = FieldMapper(FieldMap.load(data), converters={"shout": shouting})
    with pytest.raises(MappingFailed) as caught:
        mapper.map(payload)
    error = caught.value
    assert {p.path for p in error.problems} == {"openid", "card_no", "buyer.mobile", "buyer.name"}
    assert {p.raw for p in error.problems} == {"<masked>"}
    shown = f"{error} {error!r} {error.problems!r}"
    for secret in ("oX9-secret-openid", "6222020200112233", "138 0013 80O0", "王小明"):
        assert secret not in shown


def test_a_declared_order_discount_is_spread_exactly_and_capped() -> None:
    data = small_map()
    data["lines"]["order_discount"] = {"path": "discount"}
    data["lines"]["fields"]["discount"] = {"path": "off", "default": None}
    payload = {**small_payload(), "discount": "10.00"}
    payload["items"][2]["off"] = "3.00"
    lines = FieldMapper(FieldMap.load(data)).map(payload).order.lines
    assert [line.discount for line in lines] == [
        Money("8.79", "CNY"),
        Money("1.21", "CNY"),
        Money("3.00", "CNY"),
    ]
    assert sum((line.discount for line in lines if line.discount), Money.zero("CNY")) == Money(
        "13.00", "CNY"
    )


def test_an_order_discount_larger_than_the_lines_is_a_problem() -> None:
    data = small_map()
    data["lines"]["order_discount"] = {"path": "discount"}
    payload = {**small_payload(), "discount": "100.00"}
    (problem,) = problems_of(FieldMapper(FieldMap.load(data)), payload)
    assert (problem.path, problem.raw) == ("discount", "CNY 100.00")
    assert "caps add up to less than" in problem.message


def test_payments_map_from_a_list() -> None:
    data = small_map(
        payments={
            "path": "pays",
            "fields": {
                "payment_id": {"path": "no"},
                "method": {"path": "via"},
                "amount": {"path": "fen", "convert": "minor_units"},
                "paid_at": {"path": "at", "args": {"unit": "s"}},
            },
        }
    )
    payload = {**small_payload(), "pays": [{"no": "P1", "via": "alipay", "fen": 4830, "at": 0}]}
    (payment,) = FieldMapper(FieldMap.load(data)).map(payload).order.payments
    assert (payment.amount, payment.paid_at) == (
        Money("48.30", "CNY"),
        datetime(1970, 1, 1, tzinfo=UTC),
    )
    (problem,) = problems_of(FieldMapper(FieldMap.load(data)), {**payload, "pays": {}})
    assert (problem.path, problem.message) == ("pays", "expected a list of payments")


def registered_address(*, city_path: str) -> Converter:
    """A host's address normaliser: reads the whole order object (path ``$``)."""

    def convert(raw: Any, scope: MappingScope) -> Any:
        if raw.get("shape") == "model":
            return Address(country="CN", city=raw[city_path])
        if raw.get("shape") == "mapping":
            return {"country": raw["country"], "city": raw[city_path]}
        return "杭州市西湖区文三路"

    return convert


@pytest.mark.parametrize("shape", ["model", "mapping"])
def test_a_registered_converter_can_build_the_whole_address(shape: str) -> None:
    data = small_map()
    data["order"]["shipping_address"] = {
        "path": "$",
        "convert": "cn_address",
        "args": {"city_path": "city"},
    }
    payload = {**small_payload(), "shape": shape, "city": "杭州", "country": "CN"}
    mapper = FieldMapper(FieldMap.load(data), converters={"cn_address": registered_address})
    assert mapper.map(payload).order.shipping_address == Address(country="CN", city="杭州")
    if shape == "mapping":
        problems = problems_of(mapper, {**payload, "country": "China"})
        assert [(p.path, p.raw) for p in problems] == [("$", "<masked>")]
        assert "should match pattern" in problems[0].message
    problems = problems_of(mapper, {**payload, "shape": "text"})
    assert problems == (
        MappingProblem(
            "$",
            "<masked>",
            "the converter returned str; expected Address, a mapping of its fields or null",
        ),
    )


def test_field_map_validation_reports_every_problem_naming_its_field() -> None:
    data = small_map(channel="Demo Shop")
    data["order"]["created_at"] = {"path": "created..at"}
    data["order"]["external_id"] = {"path": "id", "const": "x"}
    del data["lines"]["fields"]["sku"]
    data["status"] = {"path": "status", "table": {1: "waiting"}}
    with pytest.raises(FieldMapInvalid) as caught:
        FieldMap.load(data)
    assert [p.field for p in caught.value.problems] == [
        "channel",
        "order.external_id",
        "order.created_at.path",
        "lines.fields.sku",
        "status.table.1",
    ]
    assert "give exactly one of path or const" in str(caught.value)
    assert isinstance(caught.value, ConfigError)


def test_compiling_reports_every_converter_problem_at_once() -> None:
    data = small_map()
    data["order"]["created_at"] = {"path": "created", "args": {"zone": "Mars/Base"}}
    data["lines"]["fields"]["quantity"] = {"path": "qty", "convert": "integer"}
    data["lines"]["fields"]["unit_price"] = {"path": "price", "args": {"curency": "CNY"}}
    data["order"]["shipping_address"] = {"path": "$"}
    with pytest.raises(FieldMapInvalid) as caught:
        FieldMapper(FieldMap.load(data))
    assert [p.field for p in caught.value.problems] == [
        "order.created_at.args",
        "order.shipping_address.convert",
        "lines.fields.quantity.convert",
        "lines.fields.unit_price.args",
    ]
    assert "unknown converter 'integer'; known: bool, currency" in str(caught.value)


def test_field_maps_load_from_json_and_yaml() -> None:
    as_json = FieldMap.from_json(json.dumps(small_map()))
    assert as_json == FieldMap.load(small_map())
    assert FieldMap.from_yaml((DATA / "shopify_fieldmap.yaml").read_text()).channel == "shopify"
    with pytest.raises(FieldMapInvalid, match="not valid JSON"):
        FieldMap.from_json("{")
    with pytest.raises(FieldMapInvalid, match="not valid YAML"):
        FieldMap.from_yaml("order: [")


def shopify_order() -> dict[str, Any]:
    text = (DATA / "shopify_order_example.json").read_text()
    order: dict[str, Any] = json.loads(text, parse_float=Decimal)["response"]["order"]
    return order


def shopify_mapper() -> FieldMapper:
    return FieldMapper(FieldMap.from_yaml((DATA / "shopify_fieldmap.yaml").read_text()))


def test_the_shopify_map_keeps_the_documented_order_exact() -> None:
    """C1, C2: the mapped totals are the payload's own, to the cent."""
    payload = shopify_order()
    mapped = shopify_mapper().map(payload)
    order = mapped.order
    usd = order.currency
    assert order.total == Money(payload["total_price"], usd)
    assert order.subtotal == Money(payload["subtotal_price"], usd)
    assert order.discount_total == Money(payload["total_discounts"], usd)
    assert order.tax_total == Money(payload["total_tax"], usd)
    assert [(line.line_id, line.sku) for line in order.lines] == [
        ("466157049", "IPOD2008GREEN"),
        ("518995019", "IPOD2008RED"),
        ("703073504", "IPOD2008BLACK"),
    ]
    assert order.created_at == datetime(2008, 1, 10, 16, 0, tzinfo=UTC)
    assert order.created_at.tzinfo is UTC
    assert (order.order_id, order.channel.key) == ("#1001", "shopify:450789469")
    assert (mapped.state, mapped.raw_status) == (OrderState.PAID, "partially_refunded")
    assert order.shipping_address is not None
    assert order.shipping_address.phone == "+15024592181"
    assert order.metadata == {"source_name": "web", "financial_status": "partially_refunded"}


def test_the_shopify_map_reports_a_broken_line_by_its_path() -> None:
    payload = copy.deepcopy(shopify_order())
    payload["line_items"][2]["price"] = "199.0O"
    payload["line_items"][0]["discount_allocations"][0].pop("amount")
    problems = problems_of(shopify_mapper(), payload)
    assert [(p.path, p.raw) for p in problems] == [
        ("line_items[0].discount_allocations", "<list of 1>"),
        ("line_items[2].price", "199.0O"),
    ]
    assert problems[0].message == "item [0] has no amount"


PDD_MAP: dict[str, Any] = {
    "channel": "pinduoduo",
    "order": {
        "order_id": {"path": "order_sn"},
        "external_id": {"path": "order_sn"},
        "created_at": {"path": "created_time", "args": {"zone": "Asia/Shanghai"}},
        "currency": {"const": "CNY"},
        "customer": {
            "name": {"path": "receiver_name"},
            "phone": {"path": "receiver_phone", "convert": "phone"},
        },
        "shipping_address": {
            "country": {"const": "CN"},
            "province": {"path": "province"},
            "city": {"path": "city"},
            "district": {"path": "town"},
            "street": {"path": "address"},
            "recipient": {"path": "receiver_name"},
            "phone": {"path": "receiver_phone", "convert": "phone"},
        },
        "shipping_fee": {"path": "postage"},
        "note": {"path": "buyer_memo", "default": ""},
    },
    "lines": {
        "path": "item_list",
        "fields": {
            "line_id": {"path": "sku_id"},
            "sku": {"path": "outer_id"},
            "title": {"path": "goods_name"},
            "quantity": {"path": "goods_count"},
            "unit_price": {"path": "goods_price"},
        },
        "order_discount": {"path": "discount_amount"},
    },
    "payments": {
        "optional": True,
        "fields": {
            "payment_id": {"path": "pay_no"},
            "method": {
                "path": "pay_type",
                "convert": "table",
                "args": {"values": {"WEIXIN": "wechat_pay", "ALIPAY": "alipay"}},
            },
            "amount": {"path": "pay_amount"},
            "paid_at": {"path": "pay_time", "args": {"zone": "Asia/Shanghai"}},
        },
    },
    "status": {"path": "order_status", "table": {1: "paid", 2: "shipped", 3: "signed"}},
}

PDD_ORDER = """{
  "order_sn": "231111-508837467370861", "order_status": 1,
  "created_time": "2026-11-11 00:05:12", "pay_time": "2026-11-11 00:05:40",
  "pay_no": "4200002026111100051234", "pay_type": "WEIXIN",
  "goods_amount": 167.7, "discount_amount": 10.0, "postage": 0.0, "pay_amount": 157.7,
  "province": "浙江省", "city": "杭州市", "town": "西湖区", "address": "文三路 90 号",
  "receiver_name": "王小明", "receiver_phone": "138-0013-8000", "buyer_memo": "",
  "item_list": [
    {"sku_id": "1001", "outer_id": "TEA-LONGJING-250", "goods_name": "龙井 250g",
     "goods_count": 2, "goods_price": 59.9},
    {"sku_id": "1002", "outer_id": "CUP-GLASS", "goods_name": "玻璃杯",
     "goods_count": 1, "goods_price": 47.9}
  ]
}"""


def test_a_pinduoduo_shaped_order_in_yuan_and_gmt8() -> None:
    """C1, C2: yuan amounts (JSON numbers read as Decimal), GMT+8 times, numeric statuses."""
    payload = json.loads(PDD_ORDER, parse_float=Decimal)
    mapped = FieldMapper(FieldMap.load(PDD_MAP)).map(payload)
    order = mapped.order
    assert order.subtotal == Money(payload["goods_amount"], "CNY")
    assert order.discount_total == Money("10.00", "CNY")
    assert order.total == Money(payload["pay_amount"], "CNY") == order.paid_total
    assert order.created_at == datetime(2026, 11, 10, 16, 5, 12, tzinfo=UTC)
    assert (mapped.state, mapped.raw_status) == (OrderState.PAID, "1")
    assert order.payments[0].method == "wechat_pay"
    assert order.customer.phone == PHONE
    assert order.shipping_address is not None
    assert order.shipping_address.country == "CN"


def test_an_unpaid_pinduoduo_order_has_no_payment() -> None:
    payload = json.loads(PDD_ORDER, parse_float=Decimal)
    payload.update(pay_no="", pay_time="", pay_type="")
    assert FieldMapper(FieldMap.load(PDD_MAP)).map(payload).order.payments == ()


def test_a_payment_read_from_the_order_reports_the_order_path() -> None:
    payload = json.loads(PDD_ORDER, parse_float=Decimal)
    payload.update(pay_amount="-1.00", pay_type="CASH")
    problems = problems_of(FieldMapper(FieldMap.load(PDD_MAP)), payload)
    assert [(p.path, p.raw) for p in problems] == [("pay_type", "CASH")]
    payload.update(pay_type="ALIPAY")
    (problem,) = problems_of(FieldMapper(FieldMap.load(PDD_MAP)), payload)
    assert (problem.path, problem.raw) == ("pay_amount", "-1.00")
    assert "negative" in problem.message


def test_a_host_converter_that_cannot_find_a_key_is_a_problem_not_a_crash() -> None:
    data = small_map()
    data["order"]["shipping_address"] = {
        "path": "$",
        "convert": "cn_address",
        "args": {"city_path": "city"},
    }
    mapper = FieldMapper(FieldMap.load(data), converters={"cn_address": registered_address})
    (problem,) = problems_of(mapper, {**small_payload(), "shape": "model"})
    assert (problem.path, problem.raw, problem.message) == ("$", "<masked>", "'city'")
