"""Request signing for the reference channels (MISSION C1): TOP, Pinduoduo, Doudian, and
Shopify's query HMAC.

Each known answer is recomputed here from the documented recipe, step by step with
hashlib/hmac, never by calling the code under test; Shopify's query HMAC also checks
the example published with Shopify's API documentation. Hypothesis properties: a
changed parameter changes the sign, parameter order never matters.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import ClassVar
from urllib.parse import parse_qs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit.channels import (
    DoudianSigner,
    PddSigner,
    ShopifyQueryVerifier,
    SignedRequest,
    Signer,
    TopSigner,
    doudian_param_json,
)
from orderkit.errors import InvalidChannelInput, NaiveDatetime, SignatureMismatch

AT = datetime(2026, 11, 11, 1, 30, 5, tzinfo=UTC)  # 09:30:05 in GMT+8
AT_GMT8 = "2026-11-11 09:30:05"
SECRET = "s3cr3t-app-secret"

keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(
    lambda key: key not in ("sign", "hmac")
)
values = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
param_maps = st.dictionaries(keys, values, min_size=1, max_size=8)


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()


# --- TOP ----------------------------------------------------------------------------


TOP_PARAMS = {
    "method": "taobao.trades.sold.get",
    "app_key": "12345678",
    "session": "session-token",
    "timestamp": AT_GMT8,
    "v": "2.0",
    "sign_method": "md5",
    "format": "json",
    "simplify": "true",
    "fields": "tid,type,status,payment",
    "page_no": "1",
}
# the parameters in ASCII order of their names, each name followed by its value
TOP_STRING = (
    "app_key12345678"
    "fieldstid,type,status,payment"
    "formatjson"
    "methodtaobao.trades.sold.get"
    "page_no1"
    "sessionsession-token"
    "sign_methodmd5"
    "simplifytrue"
    f"timestamp{AT_GMT8}"
    "v2.0"
)


def test_top_md5_is_upper_md5_of_secret_string_secret() -> None:
    """C1: TOP md5 = upper(hex(MD5(secret + k1v1k2v2... + secret)))."""
    expected = md5_upper(SECRET + TOP_STRING + SECRET)
    assert TopSigner("12345678", SECRET, "md5").sign(TOP_PARAMS) == expected


def test_top_hmac_is_hmac_md5_keyed_with_the_secret() -> None:
    """C1: TOP hmac = upper(hex(HMAC-MD5(secret, k1v1k2v2...)))."""
    params = {**TOP_PARAMS, "sign_method": "hmac"}
    text = TOP_STRING.replace("sign_methodmd5", "sign_methodhmac")
    expected = hmac.new(SECRET.encode(), text.encode(), hashlib.md5).hexdigest().upper()
    assert TopSigner("12345678", SECRET, "hmac").sign(params) == expected


def test_top_hmac_sha256_is_hmac_sha256_keyed_with_the_secret() -> None:
    """C1: TOP hmac-sha256 = upper(hex(HMAC-SHA256(secret, k1v1k2v2...)))."""
    params = {**TOP_PARAMS, "sign_method": "hmac-sha256"}
    text = TOP_STRING.replace("sign_methodmd5", "sign_methodhmac-sha256")
    expected = hmac.new(SECRET.encode(), text.encode(), hashlib.sha256).hexdigest().upper()
    assert TopSigner("12345678", SECRET).sign(params) == expected


def test_top_leaves_out_the_sign_and_empty_values() -> None:
    signer = TopSigner("12345678", SECRET, "md5")
    padded = {**TOP_PARAMS, "sign": "OLD", "buyer_nick": ""}
    assert signer.sign(padded) == signer.sign(TOP_PARAMS)


def test_top_signed_request_carries_every_system_parameter() -> None:
    """C1: method, app_key, session, timestamp (GMT+8), v=2.0, sign_method, format, simplify."""
    signer = TopSigner("12345678", SECRET, "md5")
    request = signer.signed_request(
        "taobao.trades.sold.get",
        {"fields": "tid,type,status,payment", "page_no": 1},
        AT,
        access_token="session-token",
    )
    assert request == SignedRequest(
        {**TOP_PARAMS, "sign": md5_upper(SECRET + TOP_STRING + SECRET)}, b""
    )


def test_top_timestamp_is_gmt8_whatever_the_zone_of_the_datetime() -> None:
    new_york = AT.astimezone(timezone(timedelta(hours=-5)))
    request = TopSigner("k", SECRET).signed_request("taobao.time.get", {}, new_york)
    assert request.params["timestamp"] == AT_GMT8
    assert "session" not in request.params
    plain = TopSigner("k", SECRET, simplify=False).signed_request("taobao.time.get", {}, AT)
    assert plain.params["simplify"] == "false"


def test_business_values_are_signed_in_their_exact_text_form() -> None:
    request = TopSigner("k", SECRET).signed_request(
        "taobao.x",
        {
            "price": Decimal("12.50"),
            "huge": Decimal("1E+3"),
            "flag": True,
            "start_modified": datetime(2026, 11, 10, 16, 0, tzinfo=UTC),
            "ids": [1, 2],
            "skipped": None,
        },
        AT,
    )
    params = request.params
    assert (params["price"], params["huge"], params["flag"]) == ("12.50", "1000", "true")
    assert params["start_modified"] == "2026-11-11 00:00:00"
    assert params["ids"] == "[1,2]"
    assert "skipped" not in params


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"amount": 12.5}, "'amount' of type float has no exact text form"),
        ({"lines": [{"price": 9.9}]}, r"lines\[0\]\.price is a float"),
        ({"note": object()}, "'note' of type object"),
        ({"nan": Decimal("NaN")}, "'nan' of type Decimal"),
        ({"timestamp": "2026-01-01 00:00:00"}, "'timestamp' clashes"),
        ({"sign": "X"}, "'sign' clashes"),
    ],
)
def test_business_values_without_exact_text_are_refused(
    params: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidChannelInput, match=message):
        TopSigner("k", SECRET).signed_request("taobao.x", params, AT)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(NaiveDatetime):
        TopSigner("k", SECRET).signed_request("taobao.x", {}, datetime(2026, 11, 11))


def test_an_unknown_sign_method_is_refused() -> None:
    with pytest.raises(InvalidChannelInput, match="sign_method must be one of"):
        TopSigner("k", SECRET, "sha1")  # type: ignore[arg-type]


class TestTopVerify:
    """C1: a TOP-signed request verifies within TOP's 10-minute window, either way."""

    signer = TopSigner("12345678", SECRET, "md5")
    signed = signer.signed_request("taobao.x", {"tid": 1}, AT).params

    def test_a_good_request_verifies_near_its_time(self) -> None:
        self.signer.verify(self.signed, AT + timedelta(minutes=10))
        self.signer.verify(self.signed, AT - timedelta(minutes=10))
        self.signer.verify({**self.signed, "sign": self.signed["sign"].lower()}, AT)

    @pytest.mark.parametrize(
        ("change", "reason"),
        [
            ({"tid": "2"}, "digest differs"),
            ({"sign": "0" * 32}, "digest differs"),
            ({"sign_method": "hmac"}, "sign_method is not md5"),
            ({"timestamp": "2026/11/11 09:30:05"}, "digest differs"),
        ],
    )
    def test_a_changed_request_is_refused(self, change: dict[str, str], reason: str) -> None:
        with pytest.raises(SignatureMismatch) as caught:
            self.signer.verify({**self.signed, **change}, AT)
        assert caught.value.reason == reason
        assert caught.value.channel == "taobao"

    def test_another_secret_does_not_verify(self) -> None:
        with pytest.raises(SignatureMismatch, match="digest differs"):
            TopSigner("12345678", "other", "md5").verify(self.signed, AT)

    @pytest.mark.parametrize("missing", ["sign", "timestamp"])
    def test_a_missing_parameter_is_named(self, missing: str) -> None:
        params = {k: v for k, v in self.signed.items() if k != missing}
        with pytest.raises(SignatureMismatch, match=f"missing parameter {missing}"):
            self.signer.verify(params, AT)

    def test_stale_and_future_timestamps_are_refused(self) -> None:
        with pytest.raises(SignatureMismatch, match=r"is 11 min old, window 10 min"):
            self.signer.verify(self.signed, AT + timedelta(minutes=11))
        with pytest.raises(SignatureMismatch, match=r"is 11 min ahead, window 10 min"):
            self.signer.verify(self.signed, AT - timedelta(minutes=11))

    def test_an_unreadable_timestamp_is_refused_after_the_digest(self) -> None:
        params = dict(self.signed, timestamp="yesterday")
        params["sign"] = self.signer.sign(params)
        with pytest.raises(SignatureMismatch, match="not yyyy-MM-dd HH:mm:ss"):
            self.signer.verify(params, AT)

    def test_the_reason_never_shows_the_secret_or_the_expected_sign(self) -> None:
        expected = self.signed["sign"]
        with pytest.raises(SignatureMismatch) as caught:
            self.signer.verify({**self.signed, "sign": "0" * 32}, AT)
        assert SECRET not in str(caught.value)
        assert expected not in str(caught.value)


# --- Pinduoduo ---------------------------------------------------------------------


def test_pdd_sign_is_upper_md5_of_secret_sorted_pairs_secret() -> None:
    """C1: PDD sign = upper(hex(MD5(secret + k1v1k2v2... + secret))), Unix-second timestamp."""
    request = PddSigner("client-9", SECRET).signed_request(
        "pdd.order.list.get",
        {"order_status": 1, "refund_status": 5, "start_confirm_at": AT, "page": 1},
        AT,
        access_token="access",
    )
    seconds = "1794360605"  # 2026-11-11T01:30:05Z
    text = (
        "access_tokenaccess"
        "client_idclient-9"
        "data_typeJSON"
        "order_status1"
        "page1"
        "refund_status5"
        f"start_confirm_at{seconds}"
        f"timestamp{seconds}"
        "typepdd.order.list.get"
    )
    assert request.params == {
        "type": "pdd.order.list.get",
        "client_id": "client-9",
        "timestamp": seconds,
        "data_type": "JSON",
        "access_token": "access",
        "order_status": "1",
        "refund_status": "5",
        "start_confirm_at": seconds,
        "page": "1",
        "sign": md5_upper(SECRET + text + SECRET),
    }
    assert request.body == b""


# --- Doudian -----------------------------------------------------------------------


def test_param_json_sorts_keys_at_every_level_and_is_compact() -> None:
    params = {"size": 20, "page": 0, "filter": {"z": [{"b": 1, "a": 2}], "a": "杭州"}}
    assert doudian_param_json(params) == (
        '{"filter":{"a":"杭州","z":[{"a":2,"b":1}]},"page":0,"size":20}'
    )


def test_param_json_refuses_floats_and_non_json_values() -> None:
    with pytest.raises(InvalidChannelInput, match=r"param_json\.items\[1\]\.price is a float"):
        doudian_param_json({"items": [{"price": 1}, {"price": 9.9}]})
    with pytest.raises(InvalidChannelInput, match="not plain JSON"):
        doudian_param_json({"amount": Decimal("9.90")})


DOUDIAN_PARAM_JSON = '{"order_id":"4781320682406083640","page":0}'
DOUDIAN_STRING = (
    "app_key7000000000000000001"
    "methodorder.orderDetail"
    f"param_json{DOUDIAN_PARAM_JSON}"
    f"timestamp{AT_GMT8}"
    "v2"
)


@pytest.mark.parametrize("sign_method", ["md5", "hmac-sha256"])
def test_doudian_signs_secret_fixed_fields_secret(sign_method: str) -> None:
    """C1: Doudian signs secret + app_key,method,param_json,timestamp,v (name+value) + secret."""
    wrapped = (SECRET + DOUDIAN_STRING + SECRET).encode()
    if sign_method == "md5":
        expected = hashlib.md5(wrapped).hexdigest()
    else:
        expected = hmac.new(SECRET.encode(), wrapped, hashlib.sha256).hexdigest()
    signer = DoudianSigner("7000000000000000001", SECRET, sign_method)  # type: ignore[arg-type]
    request = signer.signed_request(
        "order.orderDetail",
        {"page": 0, "order_id": "4781320682406083640"},
        AT,
        access_token="token",
    )
    assert request.body == DOUDIAN_PARAM_JSON.encode()
    assert request.params == {
        "app_key": "7000000000000000001",
        "method": "order.orderDetail",
        "timestamp": AT_GMT8,
        "v": "2",
        "sign_method": sign_method,
        "access_token": "token",
        "sign": expected,
    }


def test_doudian_takes_param_json_from_the_body_or_the_params() -> None:
    signer = DoudianSigner("7000000000000000001", SECRET)
    params = {"app_key": "7000000000000000001", "method": "order.orderDetail"}
    params |= {"timestamp": AT_GMT8, "v": "2"}
    from_body = signer.sign(params, DOUDIAN_PARAM_JSON.encode())
    assert signer.sign({**params, "param_json": DOUDIAN_PARAM_JSON}) == from_body
    with pytest.raises(InvalidChannelInput, match="cannot sign without param_json, v"):
        signer.sign({k: v for k, v in params.items() if k != "v"})


# --- Shopify query HMAC ------------------------------------------------------------


def test_shopify_query_hmac_matches_the_published_example() -> None:
    """C1: the OAuth example from Shopify's documentation (secret ``hush``)."""
    params = {
        "shop": "some-shop.myshopify.com",
        "code": "a94a110d86d2452eb3e2af4cfb8a3828",
        "timestamp": "1337178173",
        "hmac": "2cb1a277650a659f1b11e92a4a64275b128e037f2c3390e3c8fd2d8721dac9e2",
    }
    verifier = ShopifyQueryVerifier("hush")
    assert verifier.sign(params) == params["hmac"]
    verifier.verify(params, datetime.fromtimestamp(1337178173, UTC) + timedelta(hours=23))


def test_shopify_query_escapes_delimiters_and_lists() -> None:
    """C1: ``%``, ``&`` escaped everywhere, ``=`` in keys, ``key[]`` lists as JSON."""
    params = {"a": "1&b=2", "c=3&d": "4", "p": "50%", "ids[]": ["1", "2"]}
    message = 'a=1%26b=2&c%3D3%26d=4&ids=["1", "2"]&p=50%25'
    expected = hmac.new(b"secret", message.encode(), hashlib.sha256).hexdigest()
    assert ShopifyQueryVerifier("secret").sign(params) == expected


SHOPIFY_QUERY = {"shop": "demo.myshopify.com", "host": "YWRtaW4", "timestamp": "1794360605"}


class TestShopifyQueryVerify:
    """C1: the query hmac verifies, the timestamp must be within a day."""

    verifier = ShopifyQueryVerifier(SECRET)
    signed: ClassVar = {**SHOPIFY_QUERY, "hmac": verifier.sign(SHOPIFY_QUERY)}

    def test_a_parsed_query_string_verifies(self) -> None:
        raw = "&".join(f"{k}={v}" for k, v in self.signed.items())
        self.verifier.verify(parse_qs(raw), AT + timedelta(hours=24))
        self.verifier.verify({**self.signed, "hmac": self.signed["hmac"].upper()}, AT)

    @pytest.mark.parametrize(
        ("change", "reason"),
        [
            ({"shop": "evil.myshopify.com"}, "digest differs"),
            ({"extra": "1"}, "digest differs"),
            ({"hmac": "0" * 64}, "digest differs"),
            ({"shop": ["a", "b"]}, "parameter 'shop' is repeated"),
        ],
    )
    def test_a_changed_query_is_refused(self, change: dict[str, object], reason: str) -> None:
        with pytest.raises(SignatureMismatch) as caught:
            self.verifier.verify({**self.signed, **change}, AT)  # type: ignore[dict-item]
        assert caught.value.reason == reason

    @pytest.mark.parametrize("missing", ["hmac", "timestamp"])
    def test_a_missing_parameter_is_named(self, missing: str) -> None:
        params = {k: v for k, v in self.signed.items() if k != missing}
        with pytest.raises(SignatureMismatch, match=f"missing parameter {missing}"):
            self.verifier.verify(params, AT)

    def test_older_than_a_day_or_ahead_of_now_is_refused(self) -> None:
        with pytest.raises(SignatureMismatch, match="is 24 h 1 s old, window 24 h"):
            self.verifier.verify(self.signed, AT + timedelta(days=1, seconds=1))
        with pytest.raises(SignatureMismatch, match="is 2 min ahead, window 1 min"):
            self.verifier.verify(self.signed, AT - timedelta(minutes=2))

    def test_a_timestamp_that_is_not_unix_seconds_is_refused(self) -> None:
        query = {**SHOPIFY_QUERY, "timestamp": "2026-11-11"}
        with pytest.raises(SignatureMismatch, match="not Unix seconds"):
            self.verifier.verify({**query, "hmac": self.verifier.sign(query)}, AT)


# --- every signer ------------------------------------------------------------------

SIGNERS: list[Signer] = [
    TopSigner("app", SECRET, "md5"),
    TopSigner("app", SECRET, "hmac"),
    TopSigner("app", SECRET),
    PddSigner("app", SECRET),
]


@pytest.mark.parametrize(
    "signer",
    [*SIGNERS, DoudianSigner("app", SECRET), DoudianSigner("app", SECRET, "md5")],
    ids=repr,
)
def test_every_signer_is_a_signer_and_hides_its_secret(signer: Signer) -> None:
    assert isinstance(signer, Signer)
    assert signer.channel in ("taobao", "pinduoduo", "doudian")
    assert SECRET not in repr(signer)
    assert SECRET not in str(signer.signed_request("x.y", {"a": 1}, AT))
    assert SECRET not in repr(ShopifyQueryVerifier(SECRET))


@pytest.mark.parametrize("signer", SIGNERS, ids=repr)
@given(params=param_maps, data=st.data())
def test_changing_any_value_changes_the_sign(
    signer: Signer, params: dict[str, str], data: st.DataObject
) -> None:
    """C1: a tampered parameter never keeps its sign."""
    key = data.draw(st.sampled_from(sorted(params)))
    other = data.draw(values.filter(lambda v: v != params[key]))
    assert signer.sign({**params, key: other}) != signer.sign(params)


@pytest.mark.parametrize("signer", SIGNERS, ids=repr)
@given(params=param_maps, data=st.data())
def test_parameter_order_never_matters(
    signer: Signer, params: dict[str, str], data: st.DataObject
) -> None:
    """C1: the sign depends on the parameters, not on the order they were added in."""
    shuffled = data.draw(st.permutations(list(params.items())))
    assert signer.sign(dict(shuffled)) == signer.sign(params)


@given(params=param_maps, data=st.data())
def test_shopify_query_sign_changes_with_any_value_and_ignores_order(
    params: dict[str, str], data: st.DataObject
) -> None:
    verifier = ShopifyQueryVerifier(SECRET)
    key = data.draw(st.sampled_from(sorted(params)))
    other = data.draw(values.filter(lambda v: v != params[key]))
    assert verifier.sign({**params, key: other}) != verifier.sign(params)
    assert verifier.sign(dict(reversed(params.items()))) == verifier.sign(params)


@given(
    business=st.dictionaries(keys, st.integers() | values, max_size=6),
    data=st.data(),
)
def test_doudian_sign_follows_every_business_value_not_its_order(
    business: dict[str, object], data: st.DataObject
) -> None:
    signer = DoudianSigner("app", SECRET)
    request = signer.signed_request("order.searchList", business, AT)
    shuffled = dict(reversed(business.items()))
    assert signer.signed_request("order.searchList", shuffled, AT) == request
    changed = {**business, data.draw(keys): data.draw(st.none() | st.lists(st.integers()))}
    assert json.loads(doudian_param_json(changed)) != json.loads(request.body)
    assert (
        signer.signed_request("order.searchList", changed, AT).params["sign"]
        != (request.params["sign"])
    )
