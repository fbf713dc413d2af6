"""Password rules (NIST SP 800-63B-4): length, blocklist, context words, repetition."""

from __future__ import annotations

import pytest

from policies.password_rules import PasswordProblem, check_password

USER = "nguyenvana"


def codes(password: str, *, mfa: bool = False, context: tuple[str, ...] = ()) -> list[str]:
    problems = check_password(password, username=USER, context_words=context, mfa=mfa)
    return [p.code for p in problems]


def test_length_without_mfa() -> None:
    assert codes("zebra-lamp-oce") == ["PASSWORD_TOO_SHORT"]  # 14
    assert codes("zebra-lamp-ocea") == []  # 15


def test_length_with_mfa() -> None:
    assert codes("zebralam", mfa=True) == []  # 8
    assert codes("zebrala", mfa=True) == ["PASSWORD_TOO_SHORT"]


def test_length_counts_characters_not_bytes() -> None:
    assert codes("Đường-tới-nhà-ở", mfa=False) == []  # 15 characters, more bytes


def test_long_passwords_allowed_up_to_128() -> None:
    assert codes("correct horse battery staple " * 2 + "x" * 6) == []  # 64
    assert codes("abcdefgh-" * 14 + "ab") == []  # 128
    assert codes("abcdefgh-" * 14 + "abc") == ["PASSWORD_TOO_LONG"]  # 129


def test_no_composition_rules() -> None:
    assert codes("tôi thích ăn phở bò") == []  # only lowercase letters and spaces


@pytest.mark.parametrize(
    "password",
    ["passwordpassword", "PasswordPassword", "123456789012345", "qwertyuiopasdfgh"],
)
def test_blocklist_hit(password: str) -> None:
    assert "PASSWORD_COMMON" in codes(password)


def test_blocklist_vietnamese_with_mfa() -> None:
    assert "PASSWORD_COMMON" in codes("anhyeuem", mfa=True)
    assert "PASSWORD_COMMON" in codes("MậtKhẩu123", mfa=True)  # diacritics stripped
    assert "PASSWORD_COMMON" in codes("123456789a", mfa=True)


@pytest.mark.parametrize(
    "password",
    [
        "xyz-nguyenvana-2025",
        "xyz-NguyenVanA-2025",
        "my kt1 secret phrase",
        "yêu bưu điện lắm luôn",
        "buu dien la nha toi",
        "congan-nhan-dan-vn",
        "i-work-at-VNPost-now",
    ],
)
def test_context_words_refused(password: str) -> None:
    assert codes(password) == ["PASSWORD_CONTEXT"]


def test_province_context_word() -> None:
    context = ("Lai Châu",)
    assert codes("laichau-mua-xuan-2025", context=context) == ["PASSWORD_CONTEXT"]
    assert codes("LAI CHÂU mùa xuân 2025", context=context) == ["PASSWORD_CONTEXT"]
    assert codes("laichau-mua-xuan-2025") == []


def test_short_context_words_ignored() -> None:
    assert codes("an-orange-elephant", context=("an", "el")) == []
    assert check_password("an-orange-elephant", username="an", mfa=False) == []


@pytest.mark.parametrize("password", ["a" * 20, "zzzzzzzz", "        " * 2])
def test_single_repeated_character(password: str) -> None:
    assert "PASSWORD_REPETITIVE" in codes(password, mfa=True)


def test_nearly_repetitive_is_fine() -> None:
    assert codes("a" * 19 + "b") == []


def test_several_problems_reported_together() -> None:
    assert codes("kt1") == ["PASSWORD_TOO_SHORT", "PASSWORD_CONTEXT"]


def test_problems_carry_the_numbers_their_messages_name() -> None:
    [problem] = check_password("short", username=USER, mfa=False)
    assert isinstance(problem, PasswordProblem)
    assert (problem.code, dict(problem.params)) == ("PASSWORD_TOO_SHORT", {"minimum": 15})
    [problem] = check_password("short", username=USER, mfa=True)
    assert dict(problem.params) == {"minimum": 8}
    [problem] = check_password("x" * 129 + "yz", username=USER, mfa=False)
    assert (problem.code, dict(problem.params)) == ("PASSWORD_TOO_LONG", {"maximum": 128})


def test_problem_is_frozen() -> None:
    problem = PasswordProblem("X")
    with pytest.raises(AttributeError):
        problem.code = "Y"  # type: ignore[misc]
