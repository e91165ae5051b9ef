"""Canonical actors: the sourced list of who fought, policed and suffered in Kirkuk and the disputed
territories (2003-2024), with their names in English, Arabic and Kurdish (Sorani) and every alias the
sources use (events/data/actors.csv; groups in events/data/actor_groups.csv; docs/actors.md).

A source's actor string maps onto the list by a folded exact match of any alias (events.query.fold:
case, accents and Arabic spelling), then by the documented rules of `canonical_id`; an unknown
string maps to None and stays as it is. The original `actor1`/`actor2` are never changed. A user's
own mappings (name -> actor_id) come from the store (events.store.actor_aliases), never from here.
"""
from __future__ import annotations

import csv
import functools
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from events.query import fold

DATA = Path(__file__).resolve().parent / "data"
ACTORS_PATH = DATA / "actors.csv"
GROUPS_PATH = DATA / "actor_groups.csv"
LANGS = ("en", "ar", "ckb")
ATTRIBUTIONS = ("claimed", "suspected", "")
ID_COLUMNS = ("actor1_id", "actor2_id")
ATTRIBUTION_COLUMNS = ("actor1_attribution", "actor2_attribution")
MAX_NAME = 200  # characters of a user's actor name kept in a mapping

# The publications the `sources` column names (docs/actors.md says what each gave).
SOURCES = MappingProxyType({
    "acled": "ACLED, actor names as written in ACLED exports (ACLED Codebook, 2023: actor naming, "
             "periods of state forces); https://acleddata.com",
    "ucdp": "UCDP Georeferenced Event Dataset (GED) Global version 24.1, side_a / side_b actor names; "
            "https://ucdp.uu.se",
    "gtd": "Global Terrorism Database (START, University of Maryland), perpetrator group names (gname)",
    "gppi2017": "GPPi, 'Who's Who: Quick Facts About Local and Sub-State Forces' (16 Aug 2017); "
                "https://www.gppi.net/publications/quick-facts-about-local-and-sub-state-forces",
    "chatham2021": "Renad Mansour, 'Networks of power: The Popular Mobilization Forces and the state in Iraq', "
                   "Chatham House (Feb 2021)",
    "lse2019": "Hayder al-Khafaji, 'Iraq's Popular Mobilisation Forces: the possibilities for disarmament, "
               "demobilisation & reintegration', LSE Middle East Centre Report (Nov 2019)",
    "wikipedia": "Wikipedia articles on each actor in English, Arabic and Central Kurdish (names and former names)",
    "curated": "the actor names of the cited news reports in events/data/incidents.csv (Reuters, AP, AFP, "
               "Rudaw, Kurdistan24 ...)",
    "reporting": "public news reporting naming army divisions and units in Kirkuk, Salahuddin and Diyala",
})

# ACLED names state forces with the period of a government: "Military Forces of Iraq (2014-2018)".
_PERIOD = re.compile(r"\s*\(\s*\d{4}\s*-\s*(?:\d{4})?\s*\)\s*")
_SPACES = re.compile(r"\s+")
_PAREN_TAIL = re.compile(r"^(?P<base>.+?)\s*\((?P<inner>[^()]*)\)\s*$")
_COMMA_QUALIFIER = re.compile(r"^(?P<base>.+?),\s*(?P<q>claimed|suspected|alleged)\s*$", re.I)
_SUSPECTED_PREFIX = re.compile(r"^(?:suspected|alleged|presumed|reportedly)\s+(?P<base>.+)$", re.I)
_UNIDENTIFIED = re.compile(r"^(?:unidentified|unknown|unnamed|masked)\b", re.I)
_UNIT_WORDS = re.compile(r"\s+(?:patrols?|checkpoints?|convoy|members?|recruits|fighters|personnel|units?|"
                         r"officers?|guards|trainees|station|forces)$", re.I)
_UNIT_NUMBER = re.compile(r"\s+\d+(?:st|nd|rd|th)\s+(?:brigade|division|regiment|battalion)\b.*$", re.I)
_DIVISION = re.compile(r"\b(\d+)(st|nd|rd|th)\s+(?:armou?red\s+)?division\b", re.I)
_CIVILIANS = re.compile(r"^[\w\s'-]*\bcivilians?$", re.I)
_SEVERAL = re.compile(r"[;,/]|\band\b|\s&\s|\bwith\b", re.I)
# ACLED's generic actors carry the country: "Civilians (Afghanistan)". These are the same kind of actor
# anywhere; an armed force of another country ("Military Forces of Afghanistan") never maps onto Iraq's.
_COUNTRY_FREE = frozenset({"civilians", "protesters", "unidentified"})


@dataclass(frozen=True)
class Actor:
    actor_id: str
    group_id: str
    names: Mapping[str, str]       # lang -> name
    aliases: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class _Catalogue:
    actors: Mapping[str, Actor]
    groups: Mapping[str, Mapping[str, str]]   # group_id -> lang -> name
    by_key: Mapping[str, str]                 # folded alias -> actor_id
    search: Mapping[str, str]                 # actor_id -> every name and alias, folded, joined


def key(name) -> str:
    """The form names are matched in: ACLED's government periods removed, spaces collapsed, folded."""
    text = _SPACES.sub(" ", _PERIOD.sub(" ", str(name))).strip()
    return fold(text)


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@functools.lru_cache(maxsize=1)
def catalogue() -> _Catalogue:
    """The list, read once (immutable; no user state: a user's mappings are passed in by the caller)."""
    groups = {r["group_id"]: MappingProxyType({lang: r[f"name_{lang}"] for lang in LANGS})
              for r in _read(GROUPS_PATH)}
    actors, by_key, search = {}, {}, {}
    for r in _read(ACTORS_PATH):
        names = MappingProxyType({lang: r[f"name_{lang}"] for lang in LANGS})
        aliases = tuple(a.strip() for a in r["aliases"].split(";") if a.strip())
        actor = Actor(r["actor_id"], r["group_id"], names, aliases,
                      tuple(s.strip() for s in r["sources"].split(";") if s.strip()))
        actors[actor.actor_id] = actor
        every = [*names.values(), *aliases]
        for name in every:
            by_key.setdefault(key(name), actor.actor_id)
        search[actor.actor_id] = " | ".join(dict.fromkeys(key(n) for n in every))
    return _Catalogue(MappingProxyType(actors), MappingProxyType(groups), MappingProxyType(by_key),
                      MappingProxyType(search))


def actors() -> Mapping[str, Actor]:
    """Every canonical actor by id, in the list's order."""
    return catalogue().actors


def names_of(actor_id: str, lang: str = "en") -> str:
    """The actor's name in `lang` (English when the list has none in it); the id itself when unknown."""
    actor = catalogue().actors.get(actor_id)
    if actor is None:
        return str(actor_id)
    return actor.names.get(lang) or actor.names["en"]


def group_name(group_id: str, lang: str = "en") -> str:
    """A group's name in `lang` (English fallback)."""
    names = catalogue().groups.get(group_id, {})
    return names.get(lang) or names.get("en") or str(group_id)


def user_keys(user_aliases: Mapping[str, str] | None) -> dict[str, str]:
    """A user's mappings (name -> actor_id) by folded name, keeping only ids on the list."""
    known = catalogue().actors
    return {key(n): a for n, a in (user_aliases or {}).items() if a in known and key(n)}


def identify(name, *, user_aliases: Mapping[str, str] | None = None) -> tuple[str | None, str]:
    """(actor_id or None, attribution) of one source's actor string; see `canonical_id` for the rules."""
    return _identify(name, user_keys(user_aliases))


def canonical_id(name, *, user_aliases: Mapping[str, str] | None = None) -> str | None:
    """The canonical actor a source's actor string names, or None (the string is then left as it is).

    Rules, in order: a user's mapping; a folded exact alias (ACLED's government periods such as
    "(2014-2018)" ignored); "Suspected X" / "X (suspected)" / "X (claimed)" / "X, claimed" -> X with the
    qualifier kept as the attribution (never a confident attribution); "Unidentified ...", "Unknown ...",
    "Masked ..." -> unidentified; ACLED's "(Iraq)" dropped, and another country only for civilians,
    protesters and unidentified actors; "X (any detail)" -> X; a trailing unit word ("patrol", "members")
    or unit number ("16th Brigade") dropped; the Iraqi army with a named division -> that division when
    the list has it. A string naming several actors ("Iraqi Army, Federal Police, PMF") maps to None."""
    return identify(name, user_aliases=user_aliases)[0]


def attribution(name) -> str:
    """"claimed", "suspected" or "" for one source's actor string (see `canonical_id`)."""
    return _identify(name, {})[1]


def _identify(name, users: Mapping[str, str]) -> tuple[str | None, str]:
    if not isinstance(name, str) or not name.strip():
        return None, ""
    text = _SPACES.sub(" ", name).strip()
    if (k := key(text)) in users:
        return users[k], ""
    return _rules(text, users, depth=0)


def _rules(text: str, users: Mapping[str, str], *, depth: int) -> tuple[str | None, str]:
    cat = catalogue()
    k = key(text)
    if k in users:
        return users[k], ""
    if k in cat.by_key:
        return cat.by_key[k], ""
    if depth > 3:
        return None, ""
    if m := _COMMA_QUALIFIER.match(text):
        found, _ = _rules(m["base"], users, depth=depth + 1)
        return (found, _qualifier(m["q"])) if found else (None, "")
    if m := _SUSPECTED_PREFIX.match(text):
        found, _ = _rules(m["base"], users, depth=depth + 1)
        return (found, "suspected") if found else (None, "")
    if _UNIDENTIFIED.match(text):
        return "unidentified", ""
    if m := _PAREN_TAIL.match(text):
        base, inner = m["base"].strip(), m["inner"].strip()
        found, said = _rules(base, users, depth=depth + 1)
        if found is None:
            return None, ""
        if inner and fold(inner) != "iraq" and _is_country(inner) and found not in _COUNTRY_FREE:
            return None, ""  # "Military Forces of Afghanistan": not Iraq's army
        qualifier = _qualifier(inner)
        return _division(found, text), qualifier or said
    if _SEVERAL.search(text):
        return None, ""
    for pattern in (_UNIT_NUMBER, _UNIT_WORDS):
        stripped = pattern.sub("", text).strip()
        if stripped and stripped != text:
            found, said = _rules(stripped, users, depth=depth + 1)
            if found:
                return _division(found, text), said
    if _CIVILIANS.match(text):
        return "civilians", ""
    return None, ""


def _qualifier(text: str) -> str:
    """"claimed" / "suspected" when `text` starts with such a word ("claimed via Amaq"), else ""."""
    words = fold(text).strip()
    if words.startswith("claim"):
        return "claimed"
    if words.startswith(("suspect", "alleged", "presum", "reported")):
        return "suspected"
    return ""


_COUNTRY_WORDS = re.compile(r"^[A-Z][a-zA-Z'.-]+(?: [A-Z][a-zA-Z'.-]+)*$")


def _is_country(inner: str) -> bool:
    """A parenthesis holding a country's name only ("Afghanistan", "Syria"): ACLED's country (Natural Earth)."""
    from events import countries
    return bool(_COUNTRY_WORDS.match(inner)) and len(inner) <= 60 and countries.outline(inner) is not None


def _division(actor_id: str, text: str) -> str:
    """The Iraqi army's division when the string names one the list has."""
    if actor_id != "iraqi-army" or not (m := _DIVISION.search(text)):
        return actor_id
    candidate = f"iraqi-army-{int(m[1])}{m[2].lower()}-div"
    return candidate if candidate in catalogue().actors else actor_id


def identify_series(names: pd.Series, *, user_aliases: Mapping[str, str] | None = None
                    ) -> tuple[pd.Series, pd.Series]:
    """(actor ids, attributions) of a column of actor strings, resolving each distinct string once."""
    users = user_keys(user_aliases)
    codes, uniques = pd.factorize(names.astype(object), use_na_sentinel=True)
    found = [_identify(u, users) for u in uniques]
    ids = np.array([f[0] for f in found] + [None], dtype=object)   # code -1 (missing) takes the last
    said = np.array([f[1] for f in found] + [""], dtype=object)
    return (pd.Series(ids[codes], index=names.index, dtype=object),
            pd.Series(said[codes], index=names.index, dtype=object))


def canonicalise(frame: pd.DataFrame, *, user_aliases: Mapping[str, str] | None = None) -> pd.DataFrame:
    """`frame` with actor1_id, actor2_id (None when unknown) and actor1_attribution, actor2_attribution
    ("claimed", "suspected" or ""); actor1 and actor2 are kept unchanged. Returns a copy."""
    out = frame.copy()
    for col, id_col, said_col in zip(("actor1", "actor2"), ID_COLUMNS, ATTRIBUTION_COLUMNS):
        source = frame[col] if col in frame.columns else pd.Series(None, index=frame.index, dtype=object)
        out[id_col], out[said_col] = identify_series(source, user_aliases=user_aliases)
    return out


def ids_of(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The frame's actor1_id and actor2_id columns, computed from the list alone when it has none."""
    if all(c in frame.columns for c in ID_COLUMNS):
        return frame[ID_COLUMNS[0]], frame[ID_COLUMNS[1]]
    return tuple(identify_series(frame[c])[0] if c in frame.columns
                 else pd.Series(None, index=frame.index, dtype=object) for c in ("actor1", "actor2"))


_PARTS = re.compile(r"\s*(?:[;,/&]|\band\b)\s*", re.I)


@functools.lru_cache(maxsize=65_536)
def mentions(name) -> frozenset[str]:
    """Every canonical actor a source's actor string names: its own id, or, for a string listing several
    actors ("Iraqi Army, Federal Police, PMF"), each listed part's (for search: never an attribution)."""
    found, _ = _identify(name, {})
    if found or not isinstance(name, str):
        return frozenset({found} if found else ())
    bare = re.sub(r"\([^()]*\)", " ", name)
    return frozenset(i for part in _PARTS.split(bare) if part.strip() for i in [_identify(part, {})[0]] if i)


def mention_mask(frame: pd.DataFrame, wanted: Iterable[str]) -> np.ndarray:
    """Rows whose actor1 or actor2 names any of the `wanted` actors (as `mentions` reads them), or whose
    actor1_id / actor2_id (a user's mapping) is one of them."""
    wanted = frozenset(wanted)
    hit = np.zeros(len(frame), dtype=bool)
    for col in ID_COLUMNS:   # a user's mappings; without them `mentions` reads every name from the list
        if col in frame.columns:
            hit |= frame[col].isin(wanted).to_numpy(bool)
    for col in ("actor1", "actor2"):
        if col in frame.columns:
            codes, uniques = pd.factorize(frame[col].astype(object), use_na_sentinel=True)
            named = np.array([bool(mentions(u) & wanted) for u in uniques] + [False], dtype=bool)
            hit |= named[codes]
    return hit


def matching_ids(needle: str) -> list[str]:
    """The actors any of whose names or aliases contains the folded search text `needle`."""
    needle = fold(needle.strip()) if needle else ""
    if not needle:
        return []
    return [a for a, text in catalogue().search.items() if needle in text]


def unmapped(frame: pd.DataFrame, *, user_aliases: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The actor strings of `frame` with no canonical id and in how many rows each appears
    (columns name, rows; most frequent first)."""
    counts: dict[str, int] = {}
    for col in ("actor1", "actor2"):
        if col not in frame.columns:
            continue
        ids, _ = identify_series(frame[col], user_aliases=user_aliases)
        names = frame[col].astype(object)
        missing = names[ids.isna().to_numpy() & names.notna().to_numpy()]
        missing = missing[missing.astype(str).str.strip() != ""]
        for name, n in missing.value_counts().items():
            counts[name] = counts.get(name, 0) + int(n)
    out = pd.DataFrame(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])), columns=["name", "rows"])
    return out.astype({"rows": "int64"})


def actor_options(frame: pd.DataFrame, *, lang: str = "en", original: bool = False) -> list[tuple[str, str]]:
    """(value, label) choices for an actor filter: the canonical actors present in `frame`, labelled in
    `lang` (English fallback) with their incident count, most frequent first; with `original`, the
    source's own names instead. A row naming an actor on both sides counts once."""
    if original:
        one = frame["actor1"].astype(object) if "actor1" in frame.columns else pd.Series(dtype=object)
        two = frame["actor2"].astype(object) if "actor2" in frame.columns else pd.Series(dtype=object)
    else:
        one, two = ids_of(frame)
    a, b = one.to_numpy(object), two.to_numpy(object)
    both = pd.Series(np.concatenate([a, np.where(b == a, None, b)]), dtype=object).dropna()
    both = both[both.astype(str).str.strip() != ""]
    counts = both.value_counts()
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    if original:
        return [(str(v), f"{v} ({n:,})") for v, n in rows]
    return [(str(v), f"{names_of(v, lang)} ({n:,})") for v, n in rows]


def valid_ids(values: Iterable[str]) -> tuple[list[str], list[str]]:
    """(known, unknown) actor ids among `values`, each once, in order."""
    known = catalogue().actors
    values = list(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))
    return [v for v in values if v in known], [v for v in values if v not in known]


def clean_name(name) -> str:
    """A user's actor name as stored in a mapping: spaces collapsed, control characters dropped, bounded."""
    text = "".join(ch for ch in str(name) if ch.isprintable() or ch == " ")
    return _SPACES.sub(" ", text).strip()[:MAX_NAME]


def mappings_key(user_aliases: Mapping[str, str] | None) -> str:
    """A short fingerprint of a store's actor mappings: caches of canonicalised frames are keyed by it,
    so a new mapping shows on the next page run without re-reading anything else."""
    text = json.dumps(sorted((user_aliases or {}).items()), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
