"""Every text the templates show has its Vietnamese (the default language), and every word of
the closed vocabularies a page names (request states, stages, outcomes, clearance states,
incident kinds) has its text."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from api.i18n.catalogue import po_path
from api.pages.wording import WORDS
from policies.vetting_states import TRANSITIONS
from policies.vocabulary import INCIDENT_KINDS, REQUEST_STATES, STAGES
from vetting.attestations.lifecycle import CHANGES
from vetting.incidents.service import RESOLUTIONS

TEMPLATES = Path(__file__).resolve().parents[2] / "api" / "templates"


def test_every_template_text_has_its_vietnamese() -> None:
    with po_path("vi").open("rb") as source:
        catalog = read_po(source, locale="vi")
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    found = {message for _, _, message, *_ in extract_from_dir(
        str(TEMPLATES), method_map=[("**.html", "jinja2")], keywords={"_": None})
        if isinstance(message, str)}
    assert len(found) > 100
    assert not sorted(found - set(translated))
    for msgid in found:  # placeholders survive translation
        assert set(re.findall(r"{(\w+)}", msgid)) == set(re.findall(
            r"{(\w+)}", translated[msgid])), msgid


def test_the_pages_name_every_word_of_the_vocabularies() -> None:
    assert set(WORDS.request_state) == set(REQUEST_STATES) == set(WORDS.request_tag)
    assert set(WORDS.stage) == set(STAGES)
    assert set(WORDS.incident_kind) == set(INCIDENT_KINDS)
    assert set(WORDS.resolution) == set(RESOLUTIONS.values())
    assert {target for _, target in CHANGES.values()} <= set(WORDS.clearance_state)
    assert set(WORDS.clearance_state) == set(WORDS.clearance_tag)
    assert set(WORDS.request_action) == {"submit", *TRANSITIONS}
