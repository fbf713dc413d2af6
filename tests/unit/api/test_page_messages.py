"""Page texts come from the one catalogue: every `_()` in a template and every `N_()` of the
pages has its Vietnamese translation, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from api.i18n.catalogue import po_path, render
from api.pages.rendering import vn_date, vn_datetime

ROOT = Path(__file__).resolve().parents[3]


def _template_msgids() -> set[str]:
    found = set()
    for _, _, msg, *_ in extract_from_dir(str(ROOT), method_map=[
            ("api/templates/**.html", "jinja2")], keywords={"_": None}):
        found.add(msg[0] if isinstance(msg, tuple) else msg)
    return found


def test_every_template_text_has_a_vietnamese_translation() -> None:
    with po_path("vi").open("rb") as source:
        catalog = read_po(source, locale="vi")
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    msgids = _template_msgids()
    assert "Sign in" in msgids, "nothing extracted from the templates"
    missing = sorted(msgids - set(translated))
    assert not missing, f"template texts without Vietnamese: {missing}"
    for msgid in msgids:
        assert set(re.findall(r"{(\w+)}", msgid)) == set(re.findall(r"{(\w+)}",
                                                                    translated[msgid]))


def test_templates_render_vietnamese_by_default() -> None:
    assert render("vi", "Sign in") == "Đăng nhập"
    assert render("en", "Sign in") == "Sign in"


def test_dates_are_shown_in_vietnam_time_day_first() -> None:
    from datetime import UTC, date, datetime

    late_utc = datetime(2026, 6, 30, 18, 30, tzinfo=UTC)  # 01:30 on 1 July in Vietnam
    assert vn_date(late_utc) == "01/07/2026"
    assert vn_datetime(late_utc) == "01/07/2026 01:30"
    assert vn_date(date(2026, 3, 9)) == "09/03/2026"
    assert vn_date(None) == "" and vn_datetime(None) == ""
