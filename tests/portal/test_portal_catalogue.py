"""The portal's words go through one gettext catalogue: the template (locale/portal.pot) holds
the core pages' strings and the questionnaire's words, and a clinic's translation is used."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from microneedling.services.portal.questions import QUESTIONS
from microneedling.web.app import templates
from microneedling.web.portal import catalogue, i18n

CORE = ("base", "sign_in", "home", "intake_form", "intake_sent", "request", "choose_clinic",
        "error")  # fmt: skip


def _pot() -> Catalog:
    with catalogue.POT.open("rb") as handle:
        return read_po(handle)


def test_the_catalogue_holds_every_string_of_the_core_pages() -> None:
    known = {message.id for message in _pot() if message.id}
    for name in CORE:
        path = catalogue.WEB / "templates" / "portal" / f"{name}.html.j2"
        found = {
            message
            for _line, message, _comments, _context in extract_from_file(
                "jinja2.ext:babel_extract", str(path), options={"extensions": "jinja2.ext.i18n"}
            )
            if isinstance(message, str)
        }
        assert found, name
        assert found - known == set(), f"{name}: run python -m microneedling.web.portal.catalogue"
    assert {question for question, _thing in QUESTIONS.values()} <= known


def test_a_clinics_translation_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    translated = Catalog(locale="nl", domain=i18n.DOMAIN)
    translated.add("Sign in to your page", "Inloggen op uw pagina")
    translated.add("Hello %(name)s", "Hallo %(name)s")
    folder = tmp_path / "nl" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / f"{i18n.DOMAIN}.mo").open("wb") as handle:
        write_mo(handle, translated)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    monkeypatch.setenv("MICRONEEDLING_PORTAL_LOCALE", "nl")
    i18n.translations.cache_clear()
    try:
        env = i18n.portal_templates(SimpleNamespace(cache={}, templates=templates()))
        said = env.from_string(
            '{{ _("Sign in to your page") }} · {{ _("Hello %(name)s", name=n) }}'
        )
        assert said.render(n="Noor") == "Inloggen op uw pagina · Hallo Noor"
        assert i18n._("Sign in to your page") == "Inloggen op uw pagina"
        assert i18n._("Not translated yet") == "Not translated yet"
    finally:
        i18n.translations.cache_clear()


def test_english_is_the_default() -> None:
    env = i18n.portal_templates(SimpleNamespace(cache={}, templates=templates()))
    assert env.from_string('{{ _("Sign in to your page") }}').render() == "Sign in to your page"


def test_every_finding_a_patient_is_asked_about_has_its_plain_question() -> None:
    from microneedling.knowledge import shipped_knowledge_base
    from microneedling.services.portal.questions import SECTIONS, ZONE_WORDS

    base = shipped_knowledge_base()
    kinds = {kind for _name, kind, _heading in SECTIONS}
    asked = {code for code, finding in base.findings.items() if finding.kind in kinds}
    assert asked == set(QUESTIONS)
    assert set(base.zones) == set(ZONE_WORDS)
    for question, thing in QUESTIONS.values():
        assert question.endswith("?") and "_" not in question, question
        assert thing and "_" not in thing, thing
