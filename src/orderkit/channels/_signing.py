"""What every platform's signing shares: the signed request, GMT+8 time, the replay window.

The platform schemes themselves live in ``_sign_top``, ``_sign_pdd``, ``_sign_doudian``
and ``_sign_shopify``; webhook verifiers in ``_webhooks`` (MISSION C1).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import NamedTuple

from attrs import Attribute

from orderkit.clock import require_aware
from orderkit.errors import InvalidChannelInput, SignatureMismatch

__all__ = ["SignedRequest"]

GMT8 = timezone(timedelta(hours=8), "GMT+8")
"""China Standard Time, the zone of TOP's and Doudian's ``timestamp`` parameter."""


class SignedRequest(NamedTuple):
    """One API call, signed: the parameters to send (``sign`` included) and the raw body.

    ``body`` is empty when everything travels in ``params`` (TOP, Pinduoduo); for
    Doudian it is the ``param_json`` the signature covers, to send byte for byte.
    """

    params: dict[str, str]
    body: bytes = b""


def gmt8_text(at: datetime) -> str:
    """``at`` as ``yyyy-MM-dd HH:mm:ss`` in GMT+8; a naive datetime raises ``NaiveDatetime``.

    >>> from datetime import UTC
    >>> gmt8_text(datetime(2026, 11, 10, 16, 0, 5, 999, tzinfo=UTC))
    '2026-11-11 00:00:05'
    """
    return require_aware(at, "at").astimezone(GMT8).isoformat(" ", "seconds")[:19]


def parse_gmt8(channel: str, text: str) -> datetime:
    """A ``yyyy-MM-dd HH:mm:ss`` GMT+8 timestamp as an aware datetime, or ``SignatureMismatch``."""
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=GMT8)
    except ValueError:
        raise SignatureMismatch(channel, "timestamp is not yyyy-MM-dd HH:mm:ss") from None


def check_window(
    channel: str, sent_at: datetime, now: datetime, max_age: timedelta, max_ahead: timedelta
) -> None:
    """Refuse ``sent_at`` older than ``max_age`` or further than ``max_ahead`` in the future."""
    offset = require_aware(now, "now") - sent_at
    if offset > max_age:
        raise SignatureMismatch(
            channel,
            f"timestamp {sent_at.isoformat()} is {_duration(offset)} old, "
            f"window {_duration(max_age)}",
        )
    if -offset > max_ahead:
        raise SignatureMismatch(
            channel,
            f"timestamp {sent_at.isoformat()} is {_duration(-offset)} ahead, "
            f"window {_duration(max_ahead)}",
        )


def _duration(delta: timedelta) -> str:
    hours, rest = divmod(int(delta.total_seconds()), 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{n} {unit}" for n, unit in ((hours, "h"), (minutes, "min"), (seconds, "s")) if n]
    return " ".join(parts) or "0 s"


def one_of(choices: tuple[str, ...]) -> Callable[[object, Attribute[str], str], None]:
    """An attrs validator refusing a value outside ``choices`` with ``InvalidChannelInput``."""

    def check(instance: object, attribute: Attribute[str], value: str) -> None:
        if value not in choices:
            raise InvalidChannelInput(
                f"{type(instance).__name__}.{attribute.name} must be one of {choices}, "
                f"got {value!r}"
            )

    return check


def same_digest(expected: str, given: str) -> bool:
    """Whether two hex or base64 digests are equal, compared in constant time."""
    return hmac.compare_digest(expected.encode(), given.encode(errors="replace"))


def sorted_concat(params: Mapping[str, str], skip_empty: bool = False) -> str:
    """``k1v1k2v2...`` over ``params`` in ASCII order of the keys, ``sign`` left out."""
    return "".join(
        [
            key + value
            for key, value in sorted(params.items())
            if key != "sign" and (value or not skip_empty)
        ]
    )


def request_params(
    channel: str,
    system: dict[str, str],
    business: Mapping[str, object],
    datetime_text: Callable[[datetime], str],
) -> dict[str, str]:
    """``system`` updated with ``business`` as text; ``None`` values are left out.

    A business parameter may not replace a system one.
    """
    params = dict(system)
    for name, value in business.items():
        if name in system or name == "sign":
            raise InvalidChannelInput(
                f"{channel}: business parameter {name!r} clashes with a system parameter"
            )
        if value is not None:
            params[name] = param_text(channel, name, value, datetime_text)
    return params


PLAIN = frozenset({str, int, bool, type(None)})


def refuse_floats(channel: str, value: object, path: str) -> None:
    """Refuse a float anywhere in ``value`` with ``InvalidChannelInput`` naming its path."""
    if type(value) in PLAIN:
        return
    if isinstance(value, float):
        raise InvalidChannelInput(
            f"{channel}: {path} is a float, which is not exact; "
            "send integer minor units, a Decimal or a string"
        )
    if isinstance(value, Mapping):
        for key, item in value.items():
            if type(item) not in PLAIN:
                refuse_floats(channel, item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if type(item) not in PLAIN:
                refuse_floats(channel, item, f"{path}[{index}]")


def param_text(
    channel: str, name: str, value: object, datetime_text: Callable[[datetime], str]
) -> str:
    """A parameter value in the text form the platforms sign (decimal numbers, JSON)."""
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, Decimal) and value.is_finite():
        return format(value, "f")
    if isinstance(value, datetime):
        return datetime_text(value)
    if isinstance(value, list | tuple | dict):
        refuse_floats(channel, value, name)
        try:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        except TypeError:
            pass
    raise InvalidChannelInput(
        f"{channel}: parameter {name!r} of type {type(value).__name__} has no exact text "
        "form; pass a str, int, bool, Decimal, datetime or JSON list/dict"
    )
