"""Pinduoduo open platform request signing (MISSION C1)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime

from attrs import field, frozen

from orderkit.channels._signing import SignedRequest, request_params, sorted_concat
from orderkit.clock import require_aware

__all__ = ["PddSigner"]


def unix_seconds(at: datetime) -> str:
    """``at`` as whole Unix seconds, the form of Pinduoduo's times."""
    return str(int(require_aware(at, "at").timestamp()))


@frozen
class PddSigner:
    """Signs Pinduoduo calls: upper-case hex MD5(secret + sorted ``k1v1k2v2...`` + secret).

    Every parameter except ``sign`` takes part, keys in ASCII order, values in their
    decimal string form.

    >>> from datetime import UTC
    >>> signer = PddSigner("client-1", "pdd-secret")
    >>> signer
    PddSigner(client_id='client-1')
    >>> request = signer.signed_request(
    ...     "pdd.order.list.get", {"order_status": 1, "page": 1},
    ...     datetime(2026, 11, 11, 1, 0, tzinfo=UTC), access_token="token")
    >>> request.params["timestamp"], request.params["sign"][:8]
    ('1794358800', '66042CC1')
    """

    client_id: str
    secret: str = field(repr=False)
    channel: str = field(default="pinduoduo", repr=False)
    _key: bytes = field(init=False, repr=False, eq=False)

    @_key.default
    def _encode_secret(self) -> bytes:
        return self.secret.encode()

    def sign(self, params: Mapping[str, str], body: bytes = b"") -> str:
        """The upper-case hex sign over ``params``; Pinduoduo does not sign a body."""
        text = sorted_concat(params).encode()
        return hashlib.md5(self._key + text + self._key).hexdigest().upper()

    def signed_request(
        self,
        api: str,
        params: Mapping[str, object],
        at: datetime,
        access_token: str | None = None,
    ) -> SignedRequest:
        """``type``, ``client_id``, ``timestamp`` (Unix seconds), ``data_type=JSON``,
        ``access_token`` when given, the business ``params`` as text, and the sign.

        Datetimes among ``params`` become Unix seconds too; lists and dicts compact JSON.
        """
        system = {
            "type": api,
            "client_id": self.client_id,
            "timestamp": unix_seconds(at),
            "data_type": "JSON",
        }
        if access_token is not None:
            system["access_token"] = access_token
        signed = request_params(self.channel, system, params, unix_seconds)
        signed["sign"] = self.sign(signed)
        return SignedRequest(signed)
