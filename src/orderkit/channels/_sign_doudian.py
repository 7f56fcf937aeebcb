"""Douyin shop (Doudian) request signing and ``param_json`` (MISSION C1)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from attrs import field, frozen

from orderkit.channels._signing import SignedRequest, gmt8_text, one_of, refuse_floats
from orderkit.errors import InvalidChannelInput

__all__ = ["DoudianSigner", "doudian_param_json"]

DoudianSignMethod = Literal["md5", "hmac-sha256"]
DOUDIAN_SIGN_METHODS = ("md5", "hmac-sha256")
SIGNED = ("app_key", "method", "param_json", "timestamp", "v")


def doudian_param_json(params: Mapping[str, object]) -> str:
    """The business parameters as Doudian signs them: keys sorted at every level,
    compact separators, non-ASCII kept as UTF-8.

    Floats are refused (send amounts as integer fen, or as strings).

    >>> doudian_param_json({"page": 0, "b": {"z": 1, "a": "杭州"}})
    '{"b":{"a":"杭州","z":1},"page":0}'
    """
    refuse_floats("doudian", params, "param_json")
    try:
        return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except TypeError as error:
        raise InvalidChannelInput(f"doudian: param_json is not plain JSON: {error}") from None


@frozen
class DoudianSigner:
    """Signs Doudian calls over ``secret + "app_key"k "method"m "param_json"pj
    "timestamp"ts "v"v + secret``: its MD5, or its HMAC-SHA256 keyed with the secret
    (the default, as Doudian recommends); lower-case hex.

    >>> from datetime import UTC
    >>> signer = DoudianSigner("7000000000000000001", "doudian-secret")
    >>> signer
    DoudianSigner(app_key='7000000000000000001', sign_method='hmac-sha256')
    >>> request = signer.signed_request(
    ...     "order.searchList", {"page": 0, "size": 20},
    ...     datetime(2026, 11, 11, 1, 0, tzinfo=UTC), access_token="token")
    >>> request.body
    b'{"page":0,"size":20}'
    >>> request.params["timestamp"], request.params["sign"][:8]
    ('2026-11-11 09:00:00', 'bab75276')
    """

    app_key: str
    secret: str = field(repr=False)
    sign_method: DoudianSignMethod = field(
        default="hmac-sha256", validator=one_of(DOUDIAN_SIGN_METHODS)
    )
    channel: str = field(default="doudian", repr=False)
    _key: bytes = field(init=False, repr=False, eq=False)

    @_key.default
    def _encode_secret(self) -> bytes:
        return self.secret.encode()

    def sign(self, params: Mapping[str, str], body: bytes = b"") -> str:
        """The hex sign over ``app_key``, ``method``, ``timestamp`` and ``v`` in ``params``
        and the ``param_json`` in ``body`` (or in ``params`` when ``body`` is empty)."""
        try:
            text = b"".join(
                (
                    self._key,
                    f"app_key{params['app_key']}method{params['method']}param_json".encode(),
                    body or params["param_json"].encode(),
                    f"timestamp{params['timestamp']}v{params['v']}".encode(),
                    self._key,
                )
            )
        except KeyError:
            missing = [n for n in SIGNED if n not in params and not (body and n == "param_json")]
            raise InvalidChannelInput(
                f"doudian: cannot sign without {', '.join(missing)}"
            ) from None
        if self.sign_method == "md5":
            return hashlib.md5(text).hexdigest()
        return hmac.digest(self._key, text, "sha256").hex()

    def signed_request(
        self,
        api: str,
        params: Mapping[str, object],
        at: datetime,
        access_token: str | None = None,
    ) -> SignedRequest:
        """The query parameters for ``api`` (``order.searchList``) at ``at`` (GMT+8),
        with the sign, and ``param_json`` as the body to POST to ``/order/searchList``.
        """
        body = doudian_param_json(params).encode()
        query = {
            "app_key": self.app_key,
            "method": api,
            "timestamp": gmt8_text(at),
            "v": "2",
            "sign_method": self.sign_method,
        }
        if access_token is not None:
            query["access_token"] = access_token
        query["sign"] = self.sign(query, body)
        return SignedRequest(query, body)
