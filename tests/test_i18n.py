"""The language core: catalogues found by directory, Arabic plural rules and month names, direction, fallback."""
import datetime as dt
import shutil

import pytest
from babel.messages.pofile import read_po, write_po

import i18n
from i18n import __main__ as catalogue_tool

COMPLETE = ("ar",)  # languages whose catalogues must translate every message the code marks


def test_languages_are_the_catalogue_directories_english_first():
    langs = i18n.languages()
    assert list(langs)[0] == "en" and {"ar", "ckb"} <= set(langs)
    assert langs["ar"] == "العربية"
    assert i18n.normalise("ar-IQ") == "ar" and i18n.normalise("AR") == "ar" and i18n.normalise("xx") == "en"
    assert i18n.normalise(None) == "en"


def test_direction_and_isolation():
    assert i18n.direction("ar") == i18n.direction("ckb") == "rtl" and i18n.direction("en") == "ltr"
    assert i18n.translator("ar").rtl and not i18n.translator("en").rtl
    assert i18n.isolate("Hawija") == "\u2068Hawija\u2069"
    assert i18n.strip_isolates(i18n.isolate("2014-06-10 – 2017-10-05")) == "2014-06-10 – 2017-10-05"


def test_dates_use_the_month_names_read_in_iraq():
    day = dt.date(2014, 6, 10)
    assert i18n.translator("ar").date(day, "long") == "10 حزيران 2014"
    assert i18n.translator("en").date(day) == "10 Jun 2014"
    assert i18n.translator("en").date(day, "month") == "June 2014"
    assert "2014" in i18n.translator("ckb").date(day, "long")


def test_every_marked_message_is_translated_in_every_complete_language():
    for lang in COMPLETE:
        gaps = catalogue_tool.missing(lang)
        assert not gaps, f"{lang}: {len(gaps)} untranslated, e.g. {gaps[:5]} (python -m i18n check --list)"


def test_catalogues_parse_and_carry_their_plural_rule():
    for lang in i18n.languages():
        if lang == "en":
            continue
        for path in (i18n.LOCALES / lang).glob("*.po"):
            with path.open("rb") as handle:
                catalogue = read_po(handle, locale=lang)
            assert catalogue.num_plurals == (6 if lang == "ar" else 2), path


@pytest.fixture
def project(tmp_path):
    """A small project of its own: one module marking three messages, and a copy of the catalogues."""
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "page.py").write_text(
        'def page(t):\n    return t("Event types"), t.plural("{n} incident", "{n} incidents", 3), t("{n} killed", n=2)\n')
    locales = tmp_path / "locales"
    shutil.copytree(i18n.LOCALES, locales)
    return tmp_path, locales


def test_a_new_language_is_one_more_catalogue_file(project, monkeypatch):
    root, locales = project
    monkeypatch.setattr(catalogue_tool, "DOMAINS", {"app": ("code",), "maps": ()})
    (locales / "fr").mkdir()
    before = (i18n.ROOT / "messages.pot").read_bytes()
    catalogue_tool.update(project=root, locales=locales)
    assert "fr" in i18n.languages(locales) and (locales / "fr" / "app.po").exists()
    assert (root / "messages.pot").exists() and (i18n.ROOT / "messages.pot").read_bytes() == before  # not ours
    with (locales / "fr" / "app.po").open("rb") as handle:
        french = read_po(handle, locale="fr")
    french["Event types"].string = "Types d’événements"
    with (locales / "fr" / "app.po").open("wb") as handle:
        write_po(handle, french)
    t = i18n.translator("fr", root=locales)
    assert t("Event types") == "Types d’événements"
    assert t("{n} killed", n=2) == "2 killed"  # partial catalogue: English, never an empty string
    assert catalogue_tool.missing("fr", project=root, locales=locales) == ["{n} incident", "{n} killed"]


def test_arabic_plural_forms_follow_the_language(project, monkeypatch):
    root, locales = project
    monkeypatch.setattr(catalogue_tool, "DOMAINS", {"app": ("code",), "maps": ()})
    catalogue_tool.update(project=root, locales=locales)
    path = locales / "ar" / "app.po"
    with path.open("rb") as handle:
        arabic = read_po(handle, locale="ar")
    arabic[("{n} incident", "{n} incidents")].string = (
        "لا حوادث", "حادثة واحدة", "حادثتان", "{n} حوادث", "{n} حادثة", "{n} حادثة")
    with path.open("wb") as handle:
        write_po(handle, arabic)
    t = i18n.translator("ar", root=locales)
    assert [t.plural("{n} incident", "{n} incidents", n) for n in (1, 2, 3, 11)] == [
        "حادثة واحدة", "حادثتان", "3 حوادث", "11 حادثة"]
