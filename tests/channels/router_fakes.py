"""Fake TOP and Pinduoduo router gateways for the adapter tests (MISSION C1).

Each fake checks the signature of every call by the platform's documented recipe,
recomputed here without the library's signers, records the call's form parameters and
answers by API name. The order lists filter on the modified time (both ends inclusive,
whole seconds) and page by page number, newest first, as the platforms do.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from orderkit.channels.pinduoduo import PinduoduoAdapter, PinduoduoConfig
from orderkit.channels.taobao import TaobaoAdapter, TaobaoConfig
from orderkit.testing import FakeClock

DATA = Path(__file__).parent / "data"
GMT8 = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 12, 4, 0, tzinfo=UTC)
"""When the fakes' clock stands: after every recorded order."""

TOP_URL = "https://eco.taobao.com/router/rest"
TOP_APP_KEY = "12345678"
TOP_SECRET = "top-secret-5e1f"
TOP_SESSION = "6100e27d3b1f0b8a5b2c9ZZ2231958349"
PDD_URL = "https://gw-api.pinduoduo.com/api/router"
PDD_CLIENT_ID = "5f3b1e9c0a7d4e21"
PDD_SECRET = "pdd-secret-8c2a"
PDD_TOKEN = "c2f1a0d9e8b74c63a5f4e3d2c1b0a998"

Params = dict[str, str]
Answer = Callable[[Params], httpx.Response]


def load(name: str) -> Any:
    """A data file, decimals exact."""
    return json.loads((DATA / name).read_text("utf-8"), parse_float=Decimal)


def top_trades() -> list[dict[str, Any]]:
    """The recorded TOP trades."""
    trades: list[dict[str, Any]] = load("taobao_trades.json")["trades"]
    return trades


def pdd_orders() -> list[dict[str, Any]]:
    """The recorded Pinduoduo orders."""
    orders: list[dict[str, Any]] = load("pinduoduo_orders.json")["orders"]
    return orders


def errors(name: str) -> list[dict[str, Any]]:
    """The documented error answers in ``name`` with their kinds."""
    found: list[dict[str, Any]] = load(name)["errors"]
    return found


def top_adapter(**config: Any) -> TaobaoAdapter:
    """A TOP adapter with the test credentials, on the fake clock."""
    settings = TaobaoConfig(
        app_key=TOP_APP_KEY, app_secret=TOP_SECRET, session=TOP_SESSION, **config
    )
    return TaobaoAdapter(settings, clock=FakeClock(NOW))


def pdd_adapter(**config: Any) -> PinduoduoAdapter:
    """A Pinduoduo adapter with the test credentials, on the fake clock."""
    settings = PinduoduoConfig(
        client_id=PDD_CLIENT_ID, client_secret=PDD_SECRET, access_token=PDD_TOKEN, **config
    )
    return PinduoduoAdapter(settings, clock=FakeClock(NOW))


def _concat(params: Mapping[str, str], skip_empty: bool) -> bytes:
    pairs = sorted((k, v) for k, v in params.items() if k != "sign" and (v or not skip_empty))
    return "".join(k + v for k, v in pairs).encode()


def top_sign(params: Mapping[str, str], secret: str) -> str:
    """TOP's sign: the sorted ``k1v1k2v2...`` (empty values left out), digested per
    ``sign_method`` (md5: MD5(secret + s + secret); hmac-sha256), upper-case hex."""
    text, key = _concat(params, skip_empty=True), secret.encode()
    if params["sign_method"] == "md5":
        return hashlib.md5(key + text + key).hexdigest().upper()
    digest = "md5" if params["sign_method"] == "hmac" else "sha256"
    return hmac.digest(key, text, digest).hex().upper()


def pdd_sign(params: Mapping[str, str], secret: str) -> str:
    """Pinduoduo's sign: upper-case MD5(secret + sorted ``k1v1k2v2...`` + secret)."""
    key = secret.encode()
    return hashlib.md5(key + _concat(params, skip_empty=False) + key).hexdigest().upper()


def form(request: httpx.Request) -> Params:
    """The form parameters a call POSTed."""
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True))


def answer(body: Any, status: int = 200) -> httpx.Response:
    """A JSON answer; decimals go out as JSON numbers, as Pinduoduo sends amounts."""
    return httpx.Response(status, json=_plain(body))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


class FakeRouter:
    """A router gateway: checks each call, records its parameters, answers by API."""

    def __init__(
        self,
        url: str,
        api_param: str,
        check: Callable[[Params], None],
        answers: Mapping[str, Answer | httpx.Response],
    ) -> None:
        self.url = url
        self.api_param = api_param
        self.check = check
        self.answers = answers
        self.calls: list[Params] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert str(request.url) == self.url
        assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        params = form(request)
        self.check(params)
        self.calls.append(params)
        found = self.answers[params[self.api_param]]
        if isinstance(found, httpx.Response):
            return httpx.Response(found.status_code, headers=found.headers, content=found.content)
        return found(params)

    def transport(self) -> httpx.MockTransport:
        """This gateway as an ``httpx`` transport."""
        return httpx.MockTransport(self)

    def apis(self) -> list[str]:
        """The API of each call so far."""
        return [call[self.api_param] for call in self.calls]


def check_top(params: Params) -> None:
    """A TOP call carries the system parameters, stamped now, and a valid sign."""
    assert params["app_key"] == TOP_APP_KEY
    assert params["session"] == TOP_SESSION
    assert params["v"] == "2.0"
    assert params["format"] == "json"
    assert params["simplify"] == "false"
    assert params["timestamp"] == NOW.astimezone(GMT8).strftime("%Y-%m-%d %H:%M:%S")
    assert params["sign"] == top_sign(params, TOP_SECRET)


def check_pdd(params: Params) -> None:
    """A Pinduoduo call carries the system parameters, stamped now, and a valid sign."""
    assert params["client_id"] == PDD_CLIENT_ID
    assert params["access_token"] == PDD_TOKEN
    assert params["data_type"] == "JSON"
    assert params["version"] == "V1"
    assert params["timestamp"] == str(int(NOW.timestamp()))
    assert params["sign"] == pdd_sign(params, PDD_SECRET)


def gmt8(text: str) -> datetime:
    """A platform's GMT+8 ``yyyy-MM-dd HH:mm:ss`` as an aware datetime."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=GMT8)


def listing(
    payloads: Sequence[Mapping[str, Any]],
    *,
    modified: str,
    bounds: tuple[str, str],
    paging: tuple[str, str],
    parse: Callable[[str], datetime],
    wrap: Callable[[list[Any], int], Any],
) -> Answer:
    """An incremental list: the payloads whose ``modified`` time lies within the
    ``bounds`` parameters (inclusive), newest first, the page of ``paging``."""

    def answer_list(params: Params) -> httpx.Response:
        low, high = parse(params[bounds[0]]), parse(params[bounds[1]])
        found = [p for p in payloads if low <= gmt8(p[modified]) <= high]
        found.sort(key=lambda p: gmt8(p[modified]), reverse=True)
        page, size = int(params[paging[0]]), int(params[paging[1]])
        return answer(wrap(found[(page - 1) * size : page * size], len(found)))

    return answer_list


def top_router(
    trades: Sequence[Mapping[str, Any]], **answers: Answer | httpx.Response
) -> FakeRouter:
    """TOP serving ``trades`` by ``modified``, plus ``answers`` by API name (``_`` for ``.``)."""
    increment = listing(
        trades,
        modified="modified",
        bounds=("start_modified", "end_modified"),
        paging=("page_no", "page_size"),
        parse=gmt8,
        wrap=lambda page, total: {
            "trades_sold_increment_get_response": {
                "total_results": total,
                **({"trades": {"trade": page}} if page else {}),
            }
        },
    )
    by_api = {name.replace("_", "."): found for name, found in answers.items()}
    return FakeRouter(
        TOP_URL, "method", check_top, {"taobao.trades.sold.increment.get": increment, **by_api}
    )


def pdd_router(
    orders: Sequence[Mapping[str, Any]], **answers: Answer | httpx.Response
) -> FakeRouter:
    """Pinduoduo serving ``orders`` by ``updated_at``, plus ``answers`` by API name."""
    increment = listing(
        orders,
        modified="updated_at",
        bounds=("start_updated_at", "end_updated_at"),
        paging=("page", "page_size"),
        parse=lambda text: datetime.fromtimestamp(int(text), UTC),
        wrap=lambda page, total: {
            "order_sn_increment_get_response": {
                "total_count": total,
                "has_next": False,
                "order_sn_list": page,
            }
        },
    )
    by_api = {name.replace("_", "."): found for name, found in answers.items()}
    return FakeRouter(
        PDD_URL, "type", check_pdd, {"pdd.order.number.list.increment.get": increment, **by_api}
    )
