"""Validators for Chinese business identifiers and contact data."""

from __future__ import annotations

import re

# GB 32100-2015: the 18-character Unified Social Credit Code (统一社会信用代码).
# Alphabet: digits and capital letters without I, O, Z, S, V; the 18th character is a check
# character computed from the first 17 with these weights, modulo 31.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(char) * weight for char, weight in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalise_uscc(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")


def is_valid_uscc(value: str) -> bool:
    code = normalise_uscc(value)
    if len(code) != 18 or not _USCC_SHAPE.match(code):
        return False
    return uscc_check_character(code[:17]) == code[17]


_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalise_mobile(value: str) -> str | None:
    """A mainland China mobile number as 11 digits, or None. Accepts +86 / 0086 and separators."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits if _MOBILE.match(digits) else None
