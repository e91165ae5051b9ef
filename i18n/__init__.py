"""The atlas in its reader's language: message catalogues, dates, numbers, text direction and bidi isolation.

Catalogues are gettext `.po` files under `i18n/locales/<language>/` (any number of files per language,
merged; `app.po` holds the page's words, `maps.po` the words of maps and exports). A language is one more
directory: `languages()` finds it, Babel's CLDR data gives its name, direction, month names and plural
rules. English is the source language (the msgids), so it needs no catalogue. A message missing from a
partial catalogue (Kurdish Sorani today) falls back to English, never to an empty string.

Code marks what a user reads with a translator `t = translator(lang)`: `t("Event types")`,
`t("{n} incidents shown", n=5)` (values filled in after translation, so a translation may move them),
`t.plural("{n} incident", "{n} incidents", n)`; words defined once as data (event types, precision labels)
are marked with `N_` where they are defined and translated where they are shown. `python -m i18n`
extracts every marked message into `messages.pot` and checks each catalogue against it.
"""
from __future__ import annotations

import datetime as dt
import functools
import gettext
import io
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

ROOT = Path(__file__).resolve().parent
LOCALES = ROOT / "locales"
SOURCE = "en"
REGION = "IQ"  # month names as read in Iraq (حزيران, not يونيو)
FSI, PDI = "\u2068", "\u2069"  # first-strong isolate ... pop directional isolate
KEYWORDS = {"t": None, "plural": (1, 2), "N_": None}  # how code marks messages (for extraction)
DATE_FORMATS = {"day": "d MMM y", "long": "d MMMM y", "month": "MMMM y", "year": "y", "iso": "yyyy-MM-dd"}


def N_(message: str) -> str:
    """Mark a message defined as data for extraction; translate it where it is shown."""
    return message


def languages(root: Path = LOCALES) -> dict[str, str]:
    """Language code -> its own name ('ar' -> 'العربية'), English first, then every catalogue directory."""
    codes = [SOURCE] + sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.po")))
    return {code: _name(code) for code in codes}


def normalise(lang: str | None, *, root: Path = LOCALES) -> str:
    """A known language code for anything a link or a browser says ('ar-IQ', 'AR', 'xx' -> 'ar', 'ar', 'en')."""
    code = str(lang or "").strip().replace("_", "-").split("-")[0].lower()
    return code if code in languages(root) else SOURCE


def direction(lang: str) -> str:
    """'rtl' or 'ltr', from CLDR."""
    return _locale(lang).text_direction


def isolate(text) -> str:
    """Text wrapped in bidi isolates, so a Latin name, a number or a date range keeps its own order
    inside a sentence of the other direction ("Hawija · الحويجة", "2014-06-10 – 2017-10-05")."""
    return f"{FSI}{text}{PDI}"


def strip_isolates(text: str) -> str:
    return str(text).replace(FSI, "").replace(PDI, "")


class Translator:
    """The words, dates and numbers of one language. Immutable; one per language is shared by every session."""

    def __init__(self, lang: str, *, root: Path = LOCALES):
        self.lang = normalise(lang, root=root)
        self.direction = direction(self.lang)
        self.rtl = self.direction == "rtl"
        self._catalogue = _translations(self.lang, root)
        self._locale = _locale(self.lang)

    def __call__(self, message: str, /, **values) -> str:
        """The message in this language, with `values` filled in ({name} fields)."""
        text = self._catalogue.gettext(message)
        return text.format(**values) if values else text

    def plural(self, singular: str, plural: str, n: int, /, **values) -> str:
        """The message in the plural form `n` takes in this language (Arabic has six); `n` is a value too."""
        return self._catalogue.ngettext(singular, plural, int(n)).format(n=self.number(n), **values)

    def number(self, value) -> str:
        return format_decimal(value, locale=self._locale)

    def date(self, value, form: str = "day") -> str:
        """A date in this language: form 'day' (5 Sep 2021), 'long' (5 September 2021), 'month', 'year', 'iso'."""
        if value is None:
            return ""
        if hasattr(value, "to_pydatetime"):
            value = value.to_pydatetime()
        if isinstance(value, dt.datetime):
            value = value.date()
        if form == "iso":
            return value.isoformat()
        return format_date(value, DATE_FORMATS[form], locale=self._locale)

    def isolate(self, text) -> str:
        return isolate(text)


@functools.lru_cache(maxsize=None)
def translator(lang: str | None = SOURCE, *, root: Path = LOCALES) -> Translator:
    """The shared translator of a language (unknown codes give English)."""
    return Translator(normalise(lang, root=root), root=root)


def _name(code: str) -> str:
    try:
        return Locale.parse(code).get_display_name(code) or code
    except Exception:  # noqa: BLE001 - a catalogue for a language CLDR does not know still works
        return code


@functools.lru_cache(maxsize=None)
def _locale(code: str) -> Locale:
    for name in (f"{code}_{REGION}", code):
        try:
            return Locale.parse(name)
        except Exception:  # noqa: BLE001 - Babel raises several kinds for an unknown locale
            continue
    return Locale.parse(SOURCE)


def read_catalogue(lang: str, root: Path = LOCALES):
    """Every .po file of a language merged into one Babel catalogue (empty for the source language)."""
    from babel.messages.catalog import Catalog

    merged = Catalog(locale=_locale(lang) if lang != SOURCE else SOURCE)
    for path in sorted((root / lang).glob("*.po")) if lang != SOURCE else []:
        with path.open("rb") as handle:
            part = read_po(handle, locale=lang)
        for message in part:
            # one message may sit in two domains' files: a translation wins over an empty entry
            if message.id and (message.id not in merged or _translated(message)):
                merged[message.id] = message
    return merged


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and bool(strings)


@functools.lru_cache(maxsize=None)
def _translations(lang: str, root: Path) -> gettext.NullTranslations:
    if lang == SOURCE:
        return gettext.NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, read_catalogue(lang, root), use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
