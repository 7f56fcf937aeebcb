"""Shopify's query-string HMAC on OAuth callbacks and admin links (MISSION C1)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from attrs import field, frozen

from orderkit.channels._signing import check_window, same_digest
from orderkit.errors import SignatureMismatch

__all__ = ["ShopifyQueryVerifier"]

QueryValue = str | Sequence[str]


@frozen
class ShopifyQueryVerifier:
    """Verifies the ``hmac`` Shopify adds to the query of OAuth callbacks and admin links.

    The message is every parameter but ``hmac`` as ``key=value``, sorted and joined
    with ``&``, after escaping ``%`` (as ``%25``) and ``&`` (``%26``) everywhere and
    ``=`` (``%3D``) in keys; a ``key[]`` list becomes ``key=["a", "b"]``. The ``hmac``
    is the lower-case hex HMAC-SHA256 of it, keyed with the app secret. The request's
    ``timestamp`` (Unix seconds) must be at most ``max_age`` old (a day by default)
    and at most ``max_ahead`` in the future.

    >>> verifier = ShopifyQueryVerifier("hush")
    >>> "hush" in repr(verifier)
    False
    >>> verifier.sign({"shop": "some-shop.myshopify.com", "timestamp": "1337178173",
    ...                "code": "a94a110d86d2452eb3e2af4cfb8a3828"})
    '2cb1a277650a659f1b11e92a4a64275b128e037f2c3390e3c8fd2d8721dac9e2'
    """

    secret: str = field(repr=False)
    max_age: timedelta = timedelta(days=1)
    max_ahead: timedelta = timedelta(minutes=1)
    channel: str = field(default="shopify", repr=False)
    _key: bytes = field(init=False, repr=False, eq=False)

    @_key.default
    def _encode_secret(self) -> bytes:
        return self.secret.encode()

    def sign(self, params: Mapping[str, QueryValue]) -> str:
        """The hex HMAC over ``params`` (``hmac`` itself left out)."""
        pairs = sorted(self._pair(params, key) for key in params if key != "hmac")
        return hmac.digest(self._key, "&".join(pairs).encode(), "sha256").hex()

    def _pair(self, params: Mapping[str, QueryValue], key: str) -> str:
        if key.endswith("[]"):
            value = params[key]
            key = key[:-2]
            text = json.dumps(
                [value] if isinstance(value, str) else [str(v) for v in value], ensure_ascii=False
            )
        else:
            text = self._single(params, key)
        key = key.replace("%", "%25").replace("=", "%3D")
        return f"{key}={text.replace('%', '%25')}".replace("&", "%26")

    def _single(self, params: Mapping[str, QueryValue], name: str) -> str:
        value = params.get(name)
        if value is None:
            raise SignatureMismatch(self.channel, f"missing parameter {name}")
        if isinstance(value, str):
            return value
        if len(value) != 1:
            raise SignatureMismatch(self.channel, f"parameter {name!r} is repeated")
        return value[0]

    def verify(self, params: Mapping[str, QueryValue], now: datetime) -> None:
        """Check the ``hmac`` and the ``timestamp`` window of a query's parameters.

        ``params`` may come from any parser: plain strings, or one-item lists as
        :func:`urllib.parse.parse_qs` gives. Raises
        :class:`~orderkit.errors.SignatureMismatch` saying which check failed.
        """
        given, stamp = (self._single(params, name) for name in ("hmac", "timestamp"))
        if not same_digest(self.sign(params), given.lower()):
            raise SignatureMismatch(self.channel, "digest differs")
        try:
            sent_at = datetime.fromtimestamp(int(stamp), UTC)
        except (ValueError, OverflowError, OSError):
            raise SignatureMismatch(self.channel, "timestamp is not Unix seconds") from None
        check_window(self.channel, sent_at, now, self.max_age, self.max_ahead)
