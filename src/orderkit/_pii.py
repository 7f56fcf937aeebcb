"""How personal data is masked for logs, reprs and messages (MISSION C6).

The rules live here, once, for every capability that prints a phone, a name, an e-mail
or an id. Each mask keeps only what helps a person recognise the value (the ends of a
number, a surname, a mail domain) and hides the rest.
"""

from __future__ import annotations

import re

__all__ = ["MASK", "mask_email", "mask_key", "mask_name", "mask_phone", "mask_phone_digits"]

MASK = "****"
"""What a hidden run of characters is shown as."""

_MASKED_PHONE = re.compile(r"\d{3}\*{4}\d{4}|\*{4}(\d{2})?")
_MOBILE_DIGITS = 11


def mask_phone_digits(phone: str) -> str:
    """Mask a phone from its digits alone, whatever else the text holds.

    11 digits or more keep the first 3 and last 4 of the last 11 (a country prefix
    drops off): ``138****0000``; 4 to 10 digits keep only the last 2; fewer hide all.

    >>> mask_phone_digits("+86 138-0013-8000"), mask_phone_digits("8888-6666")
    ('138****8000', '****66')
    """
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= _MOBILE_DIGITS:
        return f"{digits[-11:-8]}{MASK}{digits[-4:]}"
    return MASK + digits[-2:] if len(digits) >= 4 else MASK


def mask_phone(phone: str) -> str:
    """Like :func:`mask_phone_digits`, but a phone masked already is kept as it is.

    >>> mask_phone("13800138000"), mask_phone("138****8000"), mask_phone("****66")
    ('138****8000', '138****8000', '****66')
    """
    return phone if _MASKED_PHONE.fullmatch(phone) else mask_phone_digits(phone)


def mask_key(value: str) -> str:
    """An id with its middle hidden: 8 characters or more keep the first 3 and last 4,
    4 to 7 keep the first and the last, shorter ones (or ones hidden already) show none.

    >>> mask_key("idfa-7f3a9c"), mask_key("dev-42"), mask_key("abc"), mask_key("****")
    ('idf****3a9c', 'd****2', '****', '****')
    """
    if len(value) >= 8:
        return f"{value[:3]}{MASK}{value[-4:]}"
    if len(value) >= 4 and value.strip("*"):
        return f"{value[0]}{MASK}{value[-1]}"
    return MASK


def _mask_word(word: str) -> str:
    return word[0] + "*" * (len(word) - 1) if len(word) > 1 else "*"


def mask_name(name: str) -> str:
    """A person's name with only each word's first character shown.

    A Chinese name of 2 to 4 characters keeps its surname: one character, or two for a
    four-character name (``张*``, ``欧阳**``); other names keep the first letter of each
    word (``J*** S****``). A one-character name is hidden whole.

    >>> mask_name("张三"), mask_name("张小明"), mask_name("John Smith"), mask_name("李")
    ('张*', '张**', 'J*** S****', '*')
    """
    name = name.strip()
    if 2 <= len(name) <= 4 and "\u4e00" <= name[0] <= "\u9fff":
        surname = 2 if len(name) == 4 else 1
        return name[:surname] + "*" * (len(name) - surname)
    words = name.split()
    return " ".join(_mask_word(word) for word in words) if words else MASK


def mask_email(email: str) -> str:
    """An e-mail with its local part hidden after the first character.

    >>> mask_email("jane.doe@example.com"), mask_email("not-an-email")
    ('j***@example.com', '****')
    """
    local, at, domain = email.strip().rpartition("@")
    if not (at and local and domain):
        return MASK
    return f"{local[0]}***@{domain}"
