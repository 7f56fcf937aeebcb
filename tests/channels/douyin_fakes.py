"""A fake Doudian open API for the Douyin adapter's tests: documented payloads, a
transport that checks every signature and pages ``order.searchList``."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from orderkit.channels.douyin import DouyinAdapter, DouyinConfig
from orderkit.testing import FakeClock

APP_KEY = "7000000000000000001"
SECRET = "doudian-test-secret-5d1f"
TOKEN = "doudian-token-0a9c"
NOW = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)
NOW_GMT8 = "2026-11-11 20:00:00"
DATA: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "douyin_api.json").read_text(encoding="utf-8")
)


def orders() -> list[dict[str, Any]]:
    """Fresh copies of the recorded orders: paid (2 lines), shipped, awaiting payment."""
    found: list[dict[str, Any]] = copy.deepcopy(DATA["orders"])
    return found


def error_body(name: str) -> dict[str, Any]:
    """A documented error answer by its name in the data file."""
    body: dict[str, Any] = dict(DATA["errors"][name])
    return body


def answer(data: Any = None, *, error: str | None = None) -> httpx.Response:
    """Doudian's HTTP 200 envelope: success with ``data``, or the named error."""
    if error is not None:
        return httpx.Response(200, json=error_body(error))
    body = {"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "data": data or {}}
    return httpx.Response(200, json=body)


def adapter(**config: Any) -> DouyinAdapter:
    """An adapter with the test credentials and a clock stopped at :data:`NOW`."""
    settings = {"app_key": APP_KEY, "app_secret": SECRET, "access_token": TOKEN, **config}
    return DouyinAdapter(DouyinConfig.model_validate(settings), clock=FakeClock(NOW))


def expected_sign(params: Mapping[str, str], body: bytes, secret: str = SECRET) -> str:
    """The sign by the documented recipe: HMAC-SHA256 keyed with the secret over
    secret + app_key.. method.. param_json.. timestamp.. v.. + secret, lower-case hex."""
    text = (
        f"{secret}app_key{params['app_key']}method{params['method']}param_json"
        f"{body.decode()}timestamp{params['timestamp']}v{params['v']}{secret}"
    )
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def check_signed(request: httpx.Request) -> dict[str, Any]:
    """The business parameters of a correctly signed request; anything else fails."""
    params = dict(request.url.params)
    assert request.method == "POST"
    assert request.url.path == "/" + params["method"].replace(".", "/")
    assert params["access_token"] == TOKEN
    assert params["sign_method"] == "hmac-sha256"
    assert params["v"] == "2"
    assert params["sign"] == expected_sign(params, request.content)
    business: dict[str, Any] = json.loads(request.content)
    return business


def orders_api(payloads: Sequence[Mapping[str, Any]]) -> httpx.MockTransport:
    """``order.searchList`` over ``payloads``: the update-time filter (inclusive), oldest
    first, ``page`` from 0, ``total`` of the filter."""

    def handle(request: httpx.Request) -> httpx.Response:
        params = check_signed(request)
        assert request.url.params["method"] == "order.searchList"
        assert params["order_by"] == "update_time"
        assert params["order_asc"] is True
        start, end = params["update_time_start"], params["update_time_end"]
        chosen = sorted(
            (p for p in payloads if start <= p["update_time"] <= end),
            key=lambda p: (p["update_time"], p["order_id"]),
        )
        page, size = params["page"], params["size"]
        shown = chosen[page * size : (page + 1) * size]
        data = {"page": page, "size": size, "total": len(chosen), "shop_order_list": shown}
        return answer(data)

    return httpx.MockTransport(handle)


def recording(
    respond: Callable[[httpx.Request], httpx.Response],
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport answering with ``respond`` and the list of requests it saw."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return respond(request)

    return httpx.MockTransport(handle), seen


def pii(payload: Mapping[str, Any]) -> list[str]:
    """The encrypted receiver name, phone and street of a payload."""
    return [payload["post_receiver"], payload["post_tel"], payload["post_addr"]["detail"]]
