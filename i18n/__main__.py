"""`python -m i18n extract`: collect every marked message from the code into messages.pot and add the new
ones (untranslated) to each language's catalogues, dropping ones no code uses. A new language: `mkdir i18n/locales/<code>` and run extract. `python -m i18n check`:
say, per language, how many messages are untranslated (exit 1 when a language named by --complete is not)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from i18n import KEYWORDS, LOCALES, ROOT, SOURCE, languages, read_catalogue

PROJECT = ROOT.parent
# Which code's messages live in which catalogue file: the page's words, and those of maps and exports.
DOMAINS = {"app": ("app.py", "ui"), "maps": ("geo", "events")}


def extract(domain: str, *, project: Path = PROJECT) -> Catalog:
    """A template catalogue of every message marked in the domain's files."""
    catalogue = Catalog(project="kirkuk-atlas", charset="utf-8")
    for part in DOMAINS[domain]:
        path = project / part
        found = (extract_from_dir(path, method_map=[("**.py", "python")], keywords=KEYWORDS,
                                  comment_tags=("i18n:",))
                 if path.is_dir() else _extract_file(path))
        for filename, lineno, message, comments, context in found:
            where = (f"{part}/{filename}" if path.is_dir() else part, lineno)
            catalogue.add(message, locations=[where], auto_comments=comments, context=context)
    return catalogue


def _extract_file(path: Path):
    from babel.messages.extract import extract as run

    with path.open("rb") as handle:
        for lineno, message, comments, context in run("python", handle, keywords=KEYWORDS, comment_tags=("i18n:",)):
            yield path.name, lineno, message, comments, context


def update(*, project: Path = PROJECT, locales: Path = LOCALES) -> dict[str, int]:
    """Write messages.pot and bring every catalogue file up to date; return messages per domain."""
    counts = {}
    template = Catalog(project="kirkuk-atlas", charset="utf-8")
    for domain in DOMAINS:
        part = extract(domain, project=project)
        counts[domain] = len(part)
        for message in part:
            template[message.id] = message
        for lang in sorted(p.name for p in locales.iterdir() if p.is_dir()):  # a new directory is a new language
            path = locales / lang / f"{domain}.po"
            if path.exists():
                with path.open("rb") as handle:
                    catalogue = read_po(handle, locale=lang)
            else:
                catalogue = Catalog(locale=lang, project="kirkuk-atlas", charset="utf-8")
            catalogue.update(part, no_fuzzy_matching=True)
            catalogue.obsolete.clear()
            catalogue.fuzzy = False
            with path.open("wb") as handle:
                write_po(handle, catalogue, width=120, sort_output=True, omit_header=False)
    with (locales.parent / "messages.pot").open("wb") as handle:   # beside the catalogues it was made for
        write_po(handle, template, width=120, sort_output=True)
    return counts


def missing(lang: str, *, project: Path = PROJECT, locales: Path = LOCALES) -> list[str]:
    """Messages the code marks that the language's catalogues leave untranslated."""
    catalogue = read_catalogue(lang, locales)
    wanted = [m for domain in DOMAINS for m in extract(domain, project=project) if m.id]
    out = []
    for message in wanted:
        have = catalogue.get(message.id)
        strings = have.string if have is not None else None
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            out.append(message.id if isinstance(message.id, str) else message.id[0])
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m i18n", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("extract", help="update messages.pot and every catalogue from the code")
    check = sub.add_parser("check", help="count untranslated messages per language")
    check.add_argument("--complete", nargs="*", default=["ar"], help="languages that must be complete")
    check.add_argument("--list", action="store_true", help="print the untranslated messages")
    args = parser.parse_args(argv)
    if args.command == "extract":
        for domain, n in update().items():
            print(f"{domain}: {n} messages")
        return 0
    status = 0
    for lang, name in languages().items():
        if lang == SOURCE:
            continue
        gaps = missing(lang)
        print(f"{lang} ({name}): {len(gaps)} untranslated")
        if args.list:
            for message in gaps:
                print(f"  {message!r}")
        if gaps and lang in args.complete:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
