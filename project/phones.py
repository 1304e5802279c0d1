"""Phone numbers, in one form: what residents and organizers type, stored as E.164 (``+8613812345678``).

Every phone the site keeps (an account's mobile number on ``Profile``, a
person's number in the register on ``Resident``) goes through ``to_e164``, so
two spellings of one number are one value and can be compared as text.

What is accepted: numbers of China by default, typed with or without +86,
0086 or 86, with spaces, dashes, dots or (full-width) brackets: mobiles
(``138 1234 5678``) and landlines with their area code (``010-12345678``,
``0571 8888 8888``); and numbers of other countries with their ``+`` and
country code, when the ``phonenumbers`` library knows them as valid. A
Chinese number shaped like a mobile (11 digits from 13 to 19) or a landline
with an area code (010 or 02x and 7 or 8 digits, 0 and three digits from 3 to 9
and 7 or 8 digits) is accepted even where the library's
list of assigned ranges has not caught up with a new range: a pinned library
ages, and a resident's real number must not be refused for it.

Shown to organizers (pages, the register's export) a Chinese number is its
national digits (``13812345678``, ``01012345678``), which the import reads back
to the same E.164; other countries' numbers stay in E.164.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

REGION = "CN"
_SEPARATORS = re.compile(r"[\s\-()（）.．]")
# Chinese national significant numbers (without the trunk 0): a mobile, or an area code and a local number.
_CN_MOBILE = re.compile(r"1[3-9]\d{9}")
# Beijing (10) and the 2x areas have two-digit area codes, the others three digits from 3 to 9.
_CN_LANDLINE = re.compile(r"(?:10|2\d)\d{7,8}|[3-9]\d{2}\d{7,8}")
_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _parse(raw: str) -> phonenumbers.PhoneNumber | None:
    text = _SEPARATORS.sub("", raw or "")
    if not text or len(text) > 20 or not re.fullmatch(r"\+?\d+", text):
        return None
    if not text.startswith("+") and text.startswith("86") and len(text) == 13:
        text = "+" + text  # 8613812345678: the country code without its plus
    try:
        return phonenumbers.parse(text, REGION)
    except NumberParseException:
        return None


def _national(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.national_significant_number(number)


def _is_mobile(number: phonenumbers.PhoneNumber) -> bool:
    if number.country_code == 86:
        return bool(_CN_MOBILE.fullmatch(_national(number)))
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in _MOBILE_TYPES


def _is_number(number: phonenumbers.PhoneNumber) -> bool:
    if number.country_code == 86:
        national = _national(number)
        return bool(_CN_MOBILE.fullmatch(national) or _CN_LANDLINE.fullmatch(national)) or (
            phonenumbers.is_valid_number(number)
        )
    return phonenumbers.is_valid_number(number)


def to_e164(raw: str, *, mobile: bool = False) -> str | None:
    """``raw`` as stored (E.164), or None if it is not a phone number (not a mobile number, with ``mobile``)."""
    number = _parse(raw)
    if number is None or not (_is_mobile(number) if mobile else _is_number(number)):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def same_number(first: str | None, second: str | None) -> bool:
    """Whether two stored or typed numbers are one (False when either is empty or not a number)."""
    ours, theirs = to_e164(first or ""), to_e164(second or "")
    return ours is not None and ours == theirs


def for_people(stored: str | None) -> str:
    """How organizers read and type a stored number: national digits for China, E.164 for other countries.

    A value that is not a number (a register row kept as it was) is shown as it is.
    """
    if not stored:
        return ""
    number = _parse(stored)
    if number is None or number.country_code != 86 or to_e164(stored) is None:
        return stored
    national = _national(number)
    return national if _CN_MOBILE.fullmatch(national) else "0" + national
