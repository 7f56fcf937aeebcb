from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Final

from orderkit.errors import ConfigError, UnknownCurrency
from orderkit.money._iso4217 import ISO_4217_MINOR_UNITS

__all__ = ["Rounding", "minor_unit", "register_currency"]

MINOR_UNITS: Final[dict[str, int]] = dict(ISO_4217_MINOR_UNITS)
_QUANTA: Final[dict[str, Decimal]] = {}


class Rounding(StrEnum):
    """How to round an amount to its currency's minor unit.

    The values are the :mod:`decimal` rounding constants, so ``Rounding.HALF_EVEN`` can
    be passed wherever :mod:`decimal` expects ``decimal.ROUND_HALF_EVEN``.
    """

    HALF_UP = "ROUND_HALF_UP"
    HALF_EVEN = "ROUND_HALF_EVEN"
    HALF_DOWN = "ROUND_HALF_DOWN"
    UP = "ROUND_UP"
    DOWN = "ROUND_DOWN"
    CEILING = "ROUND_CEILING"
    FLOOR = "ROUND_FLOOR"


def normalize_code(code: object) -> str:
    if type(code) is str and code in MINOR_UNITS:
        return code
    if not isinstance(code, str):
        raise UnknownCurrency(code)
    upper = code.strip().upper()
    if upper not in MINOR_UNITS:
        raise UnknownCurrency(code)
    return upper


def minor_unit(currency: str) -> int:
    """The number of decimals of ``currency``'s minor unit.

    >>> minor_unit("CNY"), minor_unit("JPY"), minor_unit("KWD")
    (2, 0, 3)
    """
    return MINOR_UNITS[normalize_code(currency)]


def quantum(currency: str) -> Decimal:
    found = _QUANTA.get(currency)
    if found is None:
        found = _QUANTA[currency] = Decimal(1).scaleb(-MINOR_UNITS[currency])
    return found


def register_currency(code: str, decimals: int) -> None:
    """Teach orderkit a currency outside ISO 4217 (a loyalty point, a test currency).

    ``code`` is three upper-case letters; ``decimals`` the digits of its minor unit.
    Registering an existing code with the same decimals is a no-op; with different
    decimals it is refused, since amounts already made would change meaning.

    >>> register_currency("PTS", 0)
    >>> minor_unit("PTS")
    0
    """
    if not (len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()):
        raise ConfigError(f"currency code {code!r} must be three upper-case ASCII letters")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 8:
        raise ConfigError(f"decimals for {code} must be an int from 0 to 8, got {decimals!r}")
    known = MINOR_UNITS.get(code)
    if known is not None and known != decimals:
        raise ConfigError(f"{code} is already known with {known} decimal(s), not {decimals}")
    MINOR_UNITS[code] = decimals
