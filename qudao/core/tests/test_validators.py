import pytest

from qudao.core.validators import is_valid_uscc, normalise_mobile, uscc_check_character


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("91350100M000100Y43", True),  # the example printed in GB 32100-2015 guidance
        ("91350100m000100y43", True),  # lower case is normalised
        ("91350100M000100Y44", False),  # wrong check character
        ("91350100M000100Y4", False),  # 17 characters
        ("91350100M0001O0Y43", False),  # the letter O is not in the alphabet
        ("", False),
    ],
)
def test_it_validates_the_unified_social_credit_code_check_character(code, valid):
    assert is_valid_uscc(code) is valid


def test_it_computes_the_check_character_modulo_31():
    # given the first 17 characters of the standard example
    # then the check character is the one printed on the licence
    assert uscc_check_character("91350100M000100Y4") == "3"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("12800138000", None),  # no mobile prefix 12
        ("1380013800", None),  # 10 digits
        ("abc", None),
    ],
)
def test_it_normalises_mainland_mobile_numbers(raw, expected):
    assert normalise_mobile(raw) == expected
