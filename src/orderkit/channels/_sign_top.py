"""Taobao/Tmall Open Platform (TOP) request signing (MISSION C1)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Literal

from attrs import field, frozen

from orderkit.channels._signing import (
    SignedRequest,
    check_window,
    gmt8_text,
    one_of,
    parse_gmt8,
    request_params,
    same_digest,
    sorted_concat,
)
from orderkit.errors import SignatureMismatch

__all__ = ["TopSigner"]

TopSignMethod = Literal["md5", "hmac", "hmac-sha256"]
TOP_SIGN_METHODS = ("md5", "hmac", "hmac-sha256")


@frozen
class TopSigner:
    """Signs TOP calls: the sorted ``k1v1k2v2...`` string, digested per ``sign_method``.

    ``md5`` is MD5(secret + s + secret), ``hmac`` HMAC-MD5 and ``hmac-sha256``
    HMAC-SHA256 keyed with the secret; the sign is upper-case hex. Every parameter
    except ``sign`` takes part, empty values left out, keys in ASCII order.

    >>> from datetime import UTC
    >>> signer = TopSigner("12345678", "helloworld")
    >>> signer
    TopSigner(app_key='12345678', sign_method='hmac-sha256', simplify=True)
    >>> request = signer.signed_request(
    ...     "taobao.trade.fullinfo.get", {"tid": 1234, "fields": "tid,status"},
    ...     datetime(2026, 11, 11, 1, 0, tzinfo=UTC), access_token="session-token")
    >>> request.params["timestamp"], request.params["sign"][:8]
    ('2026-11-11 09:00:00', 'CF0D1402')
    """

    app_key: str
    secret: str = field(repr=False)
    sign_method: TopSignMethod = field(default="hmac-sha256", validator=one_of(TOP_SIGN_METHODS))
    simplify: bool = True
    channel: str = field(default="taobao", repr=False)
    _key: bytes = field(init=False, repr=False, eq=False)

    @_key.default
    def _encode_secret(self) -> bytes:
        return self.secret.encode()

    def sign(self, params: Mapping[str, str], body: bytes = b"") -> str:
        """The upper-case hex sign over ``params``; TOP does not sign a body."""
        text = sorted_concat(params, skip_empty=True).encode()
        if self.sign_method == "md5":
            return hashlib.md5(self._key + text + self._key).hexdigest().upper()
        digest = "md5" if self.sign_method == "hmac" else "sha256"
        return hmac.digest(self._key, text, digest).hex().upper()

    def signed_request(
        self,
        api: str,
        params: Mapping[str, object],
        at: datetime,
        access_token: str | None = None,
    ) -> SignedRequest:
        """The system parameters for ``api`` at ``at`` (GMT+8), business ``params``, sign.

        Business values become text: numbers in decimal, booleans ``true``/``false``,
        datetimes as GMT+8 ``yyyy-MM-dd HH:mm:ss``, lists and dicts as compact JSON.
        """
        system = {
            "method": api,
            "app_key": self.app_key,
            "timestamp": gmt8_text(at),
            "v": "2.0",
            "sign_method": self.sign_method,
            "format": "json",
            "simplify": "true" if self.simplify else "false",
        }
        if access_token is not None:
            system["session"] = access_token
        signed = request_params(self.channel, system, params, gmt8_text)
        signed["sign"] = self.sign(signed)
        return SignedRequest(signed)

    def verify(
        self, params: Mapping[str, str], now: datetime, window: timedelta = timedelta(minutes=10)
    ) -> None:
        """Check a TOP-signed request: its ``sign_method``, its ``sign``, and its
        ``timestamp`` within ``window`` of ``now`` either way (TOP allows 10 minutes).

        Raises :class:`~orderkit.errors.SignatureMismatch` saying which check failed.
        """
        for name in ("sign", "timestamp"):
            if name not in params:
                raise SignatureMismatch(self.channel, f"missing parameter {name}")
        if params.get("sign_method") != self.sign_method:
            raise SignatureMismatch(self.channel, f"sign_method is not {self.sign_method}")
        if not same_digest(self.sign(params), params["sign"].upper()):
            raise SignatureMismatch(self.channel, "digest differs")
        sent_at = parse_gmt8(self.channel, params["timestamp"])
        check_window(self.channel, sent_at, now, window, window)
