"""The one message catalogue: every code a user can meet has Vietnamese and English text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from api import i18n
from api.i18n.catalogue import negotiate, po_path, render
from api.i18n.codes import FIELDS, MESSAGES, NOTIFICATIONS, RULES, SPREADSHEET, VALUES
from api.i18n.validation import classify
from policies.eligibility import REASON_CODES
from vetting.notifications.outbox import KINDS

ROOT = Path(__file__).resolve().parents[3]
_CODE = re.compile(r"""(?:code=|code = |problem\(\d+, )["']([A-Z][A-Z0-9_]+)["']""")


def _codes_in_source() -> set[str]:
    found: set[str] = set()
    for package in ("api", "vetting", "policies"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            found |= set(_CODE.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_code_raised_in_the_source_has_a_message() -> None:
    missing = sorted(_codes_in_source() - set(MESSAGES))
    assert not missing, f"codes without a catalogue entry: {missing}"


def test_every_word_a_spreadsheet_may_name_has_its_words() -> None:
    from api.imports.columns import LAYOUTS

    words = {w for layout in LAYOUTS.values() for c in layout.columns for w in c.words}
    assert words == set(VALUES)
    kinds = {c.kind for layout in LAYOUTS.values() for c in layout.columns}
    assert {f"hint.{k}" for k in kinds} <= set(SPREADSHEET)
    assert {f"sheet.{name}" for name in LAYOUTS} <= set(SPREADSHEET)


def test_every_eligibility_reason_and_notification_has_a_message() -> None:
    assert set(REASON_CODES) <= set(MESSAGES)
    assert set(KINDS) == set(NOTIFICATIONS)


def test_the_vietnamese_catalogue_translates_every_msgid_extracted_from_the_code() -> None:
    with po_path("vi").open("rb") as source:
        catalog = read_po(source, locale="vi")
    extracted = {message for _, _, message, *_ in extract_from_dir(
        str(ROOT), method_map=[("api/**.py", "python")], keywords={"N_": None})}
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert extracted, "nothing extracted: the N_ marker is not found"
    assert not sorted(extracted - translated), "msgids without a Vietnamese translation"
    for msgid in translated:  # placeholders survive translation
        assert set(re.findall(r"{(\w+)}", msgid)) == set(re.findall(
            r"{(\w+)}", catalog[msgid].string)), msgid


@pytest.mark.parametrize("table", [MESSAGES, FIELDS, RULES, NOTIFICATIONS, VALUES, SPREADSHEET])
def test_vietnamese_differs_from_english(table: dict[str, str]) -> None:
    same = [m for m in table.values() if render("vi", m) == m and not m.startswith("{field}:")]
    assert not same


def test_messages_render_in_both_languages_with_their_parameters() -> None:
    assert i18n.message("vi", "STALE_VERSION", {"current_version": 4}) == (
        "Dữ liệu vừa bị thay đổi (nay là phiên bản 4); hãy tải lại và thử lại.")
    assert i18n.message("en", "UNKNOWN_PROVINCE", {"field": "permanent_province"}) == (
        "Province of permanent residence: there is no such province.")
    assert i18n.message("vi", "UNKNOWN_PROVINCE", {"field": "permanent_province"}) == (
        "Tỉnh thường trú: không có tỉnh này.")
    assert i18n.message("en", "NO_SUCH_CODE", fallback="as given") == "as given"


@pytest.mark.parametrize(("header", "expected"), [
    (None, "vi"), ("", "vi"), ("en", "en"), ("en-US,en;q=0.9", "en"), ("fr, en;q=0.5", "en"),
    ("vi, en;q=0.8", "vi"), ("en;q=0.2, vi;q=0.9", "vi"), ("de", "vi"), ("en;q=0", "vi"),
    ("EN-gb", "en"), (b"en", "en"), ("en;q=abc", "vi"),
])
def test_accept_language_negotiation(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


@pytest.mark.parametrize(("key", "text", "field", "rule", "limit"), [
    ("national_id", "Expected `str` matching regex '^[0-9]{12}$'", "national_id",
     "national_id_format", None),
    ("full_name", "Expected `str` of length >= 1", "full_name", "blank", None),
    ("full_name", "Expected `str` of length <= 200", "full_name", "too_long", "200"),
    ("stages", "Expected `array` of length >= 1", "stages", "too_few", "1"),
    ("limit", "Expected `int` <= 200", "limit", "too_large", "200"),
    ("date_of_birth", "Invalid RFC3339 encoded date", "date_of_birth", "date", None),
    ("at", "Invalid RFC3339 encoded datetime", "at", "datetime", None),
    ("sex", "Invalid enum value 'x'", "sex", "not_allowed", None),
    ("data", "Object contains unknown field `zz`", "zz", "unknown_field", None),
    ("data", "Object missing required field `reason`", "reason", "required", None),
    ("limit", "Expected `int`, got `str`", "limit", "integer", None),
    ("data", "rule:blank:full_name", "full_name", "blank", None),
])
def test_parser_messages_become_named_rules(key: str, text: str, field: str, rule: str,
                                            limit: str | None) -> None:
    broken = classify(key, text)
    assert (broken.field, broken.rule, broken.limit) == (field, rule, limit)
