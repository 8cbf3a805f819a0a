"""Validators for Chinese business identifiers and contact data, and the text rule (which
characters no text field accepts)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

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


# --- text: characters no field accepts --------------------------------------------------------
# The text rule (docs/api.md, "Text input"), the same in forms, the API, imports and the public
# application form:
#   - never: the C0 control characters other than tab, line feed and carriage return
#     (U+0000-U+0008, U+000B, U+000C, U+000E-U+001F), DEL (U+007F) and the C1 controls
#     (U+0080-U+009F): invisible, and most of them are illegal in the XML of an .xlsx, so one
#     such character would break every export holding it; PostgreSQL refuses U+0000 outright.
#     The bidirectional embedding, override and isolate controls (U+202A-U+202E,
#     U+2066-U+2069): they make text display in another order than it is stored (a reference or
#     a file name that reads differently from what it is). Surrogates (U+D800-U+DFFF, which a
#     JSON "\ud800" escape can carry: not characters, they cannot be stored as UTF-8) and the
#     noncharacters U+FFFE and U+FFFF.
#   - one-line fields (names, codes, numbers, references, addresses: every field but the free
#     texts) also refuse line breaks and tabs (tab, LF, CR, U+2028, U+2029); free texts
#     (descriptions, notes, comments, reasons, resolutions, messages) keep them.
FORBIDDEN_IN_TEXT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 but tab, LF, CR; DEL; C1
    "\u202a-\u202e\u2066-\u2069"  # bidirectional embeddings, overrides, isolates
    "\ud800-\udfff\ufffe\uffff]"  # surrogates, noncharacters
)
LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029]")


def text_problem(value: str, *, multiline: bool = True) -> str | None:
    """What is wrong with `value` under the text rule (a message in the user's language), or None.
    `multiline`: the field is a free text that may hold line breaks and tabs."""
    if not isinstance(value, str):
        return None
    match = FORBIDDEN_IN_TEXT.search(value)
    if match:
        return _("Remove the invisible control character %(character)s (character %(position)s).") % {
            "character": f"U+{ord(match.group()):04X}",
            "position": match.start() + 1,
        }
    if not multiline:
        match = LINE_BREAKS.search(value)
        if match:
            return _("Keep this on one line: remove the line break or tab (character %(position)s).") % {
                "position": match.start() + 1
            }
    return None


def text_error_code(value: str, *, multiline: bool = True) -> str | None:
    """ "control_character", "line_break" or None: the kind of `text_problem`."""
    if not isinstance(value, str):
        return None
    if FORBIDDEN_IN_TEXT.search(value):
        return "control_character"
    if not multiline and LINE_BREAKS.search(value):
        return "line_break"
    return None


class TextValidator:
    """A Django validator applying the text rule (`multiline`: a free text)."""

    def __init__(self, *, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value) -> None:
        problem = text_problem(value, multiline=self.multiline)
        if problem:
            raise ValidationError(problem, code=text_error_code(value, multiline=self.multiline))

    def __eq__(self, other) -> bool:
        return isinstance(other, TextValidator) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash((TextValidator, self.multiline))


def displayable_text(value: str, replacement: str = "\ufffd") -> str:
    """`value` with every character the text rule never accepts replaced by U+FFFD (�): how
    exports and documents write text stored before the rule, or by a path that bypassed it."""
    return FORBIDDEN_IN_TEXT.sub(replacement, value)


def check_text(errors, key: str, value, *, multiline: bool = True) -> bool:
    """Add the text rule's message for `value` to `errors` (a core.errors.FieldErrors) at `key`;
    False when it broke the rule. Services call it for every text they store (`multiline=True`:
    only the characters no field accepts; the forms, the API and imports also keep single-line
    fields on one line)."""
    problem = text_problem(value, multiline=multiline)
    if problem:
        errors.add(key, problem)
    return problem is None


def clean_past_date(value, errors, key: str, *, today=None):
    """A business date typed or sent by an ERP (a `date`, a `datetime` or "YYYY-MM-DD..."), at most
    `today` (the deployment's today by default). None when no date was given; on a bad date the
    field error is added to `errors` (a core.errors.FieldErrors) and None is returned, so the
    caller checks its own bounds only on a good date."""
    from datetime import date, datetime

    from django.utils import timezone
    from django.utils.dateparse import parse_date

    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        text = str(value).strip()
        try:
            value = parse_date(text[:10]) if len(text) >= 10 else None
        except ValueError:
            value = None
        if value is None:
            errors.add(key, _("Enter a date such as 2026-11-27."))
            return None
    if value > (today or timezone.localdate()):
        errors.add(key, _("The date cannot be in the future."))
        return None
    return value
