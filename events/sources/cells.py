"""Cells: the helpers every source shares to turn a chunk of text cells into canonical values.

Header names matched by name (never position), dates tried against explicit formats, numbers and codes
with Arabic-Indic digits, citations and the `original` JSON built once per distinct value, ACLED's
event-type taxonomy (used by ACLED and by users' tables), and `problem`, the one way a source records
a rejected cell. Everything is vectorised: a chunk is 100,000 rows.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from events import model


def norm(name) -> str:
    """A header name for matching: lower case, BOM/space/punctuation runs as one underscore."""
    text = str(name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-./()]+", "_", text).strip("_")


def resolve(columns, aliases: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """{field: actual column} for each field whose name or alias is in `columns` (first alias wins)."""
    by_norm: dict[str, str] = {}
    for column in columns:
        by_norm.setdefault(norm(column), column)
    found = {}
    for field, names in aliases.items():
        for name in names:
            if norm(name) in by_norm:
                found[field] = by_norm[norm(name)]
                break
    return found


# How R, Excel and pandas write a missing value: missing in every field of every source, never text.
# Matched exactly: a JSON `NaN` literal in a features file stays text, so its reject shows what was there.
MISSING = frozenset({"NA", "N/A", "n/a", "NULL", "null", "nan", "#N/A", "<NA>", "NaT"})
_SHEET_QUOTE = r"^'(?=[=+\-@\t\r\uff1d\uff0b\uff0d\uff20])"


def col(raw: pd.DataFrame, cols: Mapping[str, str], field: str) -> pd.Series:
    """The stripped text of a resolved column ("" when the file lacks it).

    Missing-value markers (`NA`, `N/A`, `NULL`, `nan`, `#N/A`, ...) read as "". The apostrophe that
    spreadsheet-safe CSVs (ours: `exports.sheet_safe`) put before a text starting
    with = + - @ is dropped, so such a file re-imports with the text as it was."""
    if field in cols and cols[field] in raw.columns:
        text = raw[cols[field]].fillna("").astype("str").str.strip()
        text = text.where(~text.isin(MISSING), "")
        if text.str.startswith("'").any():
            text = text.str.replace(_SHEET_QUOTE, "", regex=True)
        return text
    return pd.Series("", index=raw.index, dtype="str")


def blank(s: pd.Series) -> pd.Series:
    """Missing or empty cells."""
    return s.isna() | (s == "")


def nullify(s: pd.Series) -> pd.Series:
    """Text with empty cells as missing (what model.normalise and to_json expect)."""
    return s.where(~blank(s))


ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬", "01234567890123456789.,")


def by_unique(s: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply `fn` to the distinct values only (dates, codes and names repeat a lot) and spread back."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    out = fn(pd.Series(uniques))
    values = out.to_numpy()
    result = values.take(np.where(codes < 0, 0, codes)) if len(values) else np.full(len(s), None)
    result = pd.Series(result, index=s.index, dtype=out.dtype if len(values) else object)
    return result.where(codes >= 0)


SEP = "\x1f"


def join_key(*parts: pd.Series) -> pd.Series:
    """Columns joined into one text key per row (separator characters inside values blanked)."""
    key = parts[0].fillna("").astype("str").str.replace(SEP, " ", regex=False)
    for part in parts[1:]:
        key = key + SEP + part.fillna("").astype("str").str.replace(SEP, " ", regex=False)
    return key


def lookup(key: pd.Series, fn: Callable[[str], tuple], width: int) -> list[pd.Series]:
    """`fn` applied once per distinct key, its `width` results spread back as object columns."""
    codes, uniques = pd.factorize(key.fillna(""))
    table = np.empty((max(len(uniques), 1), width), dtype=object)
    for i, value in enumerate(uniques):
        table[i] = fn(value)
    return [pd.Series(table[codes, j], index=key.index, dtype=object) for j in range(width)]


def parse_dates(s: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """Dates from text trying each explicit format in turn (no guessing of day/month order)."""
    def parse(u: pd.Series) -> pd.Series:
        u = u.astype("str").str.strip().map(lambda v: v.translate(ARABIC_DIGITS))
        out = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
        for fmt in formats:
            todo = out.isna()
            if not todo.any():
                break
            out[todo] = model.bound_dates(pd.to_datetime(u[todo], format=fmt, errors="coerce"))
        return out.dt.normalize()

    text = nullify(s)
    if text.isna().all():
        return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    return by_unique(text, parse).astype("datetime64[ns]")


def numbers(s: pd.Series) -> pd.Series:
    """Numbers from text, Arabic-Indic digits accepted; NaN when empty or not a number."""
    text = nullify(s)
    if text.isna().all():
        return pd.Series(np.nan, index=s.index)
    return by_unique(text, lambda u: pd.to_numeric(u.astype("str").map(lambda v: v.translate(ARABIC_DIGITS)),
                                                   errors="coerce").astype("float64")).astype("float64")


def _code(value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        return value
    return str(int(number)) if number.is_integer() else value


def digits(s: pd.Series) -> pd.Series:
    """Arabic-Indic digits and separators as ASCII, so "٣" or "٣٥٫٤" read as numbers."""
    return lookup(s.fillna("").astype("str"), lambda v: (v.translate(ARABIC_DIGITS),), 1)[0]


def codes(s: pd.Series) -> pd.Series:
    """Integer codes as text: '1', '2.0' (from Excel) -> '1', '2'; anything else unchanged, stripped."""
    return lookup(s.fillna("").astype("str").str.strip(), lambda v: (_code(v),), 1)[0]


def json_objects(frame: pd.DataFrame) -> pd.Series:
    """One compact JSON object per row, empty values left out, built at C speed by to_json.

    In to_json's output a quote inside a value is always escaped and a line break never appears, so
    `},{"` only ever separates two records and `,"key":null` is always a key without a value: plain
    text replacements on the whole output are exact.
    """
    if len(frame) == 0:
        return pd.Series([], index=frame.index, dtype=object)
    if frame.shape[1] == 0:
        return pd.Series("{}", index=frame.index, dtype=object)
    clean = frame.apply(nullify)
    clean = clean.loc[:, clean.notna().any().to_numpy()]  # keys empty in every row need no JSON at all
    if clean.shape[1] == 0:
        return pd.Series("{}", index=frame.index, dtype=object)
    text = clean.to_json(orient="records", force_ascii=False).replace("\\/", "/")  # "\\/" only ever means "/"
    joined = "," + '\n,"'.join(text[2:-2].split('},{"'))  # one record per line, each key led by a comma
    empty_keys = [model.dumps(str(column)) for column in clean.columns[clean.isna().any().to_numpy()]]
    if empty_keys:   # one pass over the chunk's text for every key, not one per key (100k rows: 1.7 s -> 0.3 s)
        joined = re.sub(",(?:" + "|".join(map(re.escape, empty_keys)) + "):null", "", joined)
    return pd.Series(["{" + line[1:] + "}" for line in joined.split("\n")], index=frame.index, dtype=object)


def citations(*parts: pd.DataFrame, fixed: dict | None = None) -> pd.Series:
    """The `sources` JSON array per row: one citation per part frame (title/publisher/url/date columns,
    empty parts dropped) followed by the dataset's own citation. Built once per distinct combination:
    exports repeat the same outlets over and over."""
    cells = [(i, name, part[name]) for i, part in enumerate(parts) for name in part.columns]
    tail = [fixed] if fixed else []

    def build(joined: str) -> tuple:
        found: dict[int, dict] = {}
        for (i, name, _), value in zip(cells, joined.split(SEP)):
            if value:
                found.setdefault(i, {})[name] = value
        return (model.dumps([model.citation(**c) for c in found.values()] + tail),)

    return lookup(join_key(*(values for _, _, values in cells)), build, 1)[0]


def month_bounds(d: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The first and last day of each date's month."""
    first = d - pd.to_timedelta(d.dt.day - 1, unit="D")
    last = first + pd.to_timedelta(d.dt.days_in_month - 1, unit="D")
    return first, last


def problem(problems: list, field: str, mask: pd.Series, values: pd.Series, reason: str | pd.Series,
            covers: tuple[str, ...] = ()) -> None:
    """Collect one importer check: rows where `mask` holds are rejected for `reason`; model.validate's
    complaints about the `covers` fields of those rows are then left out as mere consequences."""
    mask = mask.fillna(False).astype(bool)
    if mask.any():
        problems.append((field, mask, values, reason, (field, *covers)))


def date_range(problems: list, field: str, dates: pd.Series, values: pd.Series, covers: tuple[str, ...] = ()
               ) -> None:
    """Reject parsed dates before 1900 or after today, showing the file's own text (9999-12-31, not a stand-in)."""
    today = pd.Timestamp.today().normalize()
    problem(problems, field, dates < model.EARLIEST, values, "before 1900", covers)
    problem(problems, field, dates > today, values, "in the future", covers)


def _type_key(text) -> str:
    return re.sub(r"[^a-z]", "", str(text).lower()).replace("protestors", "protesters")


SUB_BY_KEY = {_type_key(s): s for s in model.SUB_EVENT_TYPES}
TYPE_BY_KEY: dict[str, tuple[str, str | None]] = {_type_key(t): (t, None) for t in model.EVENT_TYPES}
# ACLED's event types before its 2019 revision, mapped where the new type is unambiguous.
TYPE_BY_KEY.update({
    _type_key("Battle-No change of territory"): ("Battles", "Armed clash"),
    _type_key("Battle-Government regains territory"): ("Battles", "Government regains territory"),
    _type_key("Battle-Non-state actor overtakes territory"): ("Battles", "Non-state actor overtakes territory"),
    _type_key("Remote violence"): ("Explosions/Remote violence", None),
    _type_key("Strategic development"): ("Strategic developments", None),
    _type_key("Non-violent transfer of territory"): ("Strategic developments", "Non-violent transfer of territory"),
    _type_key("Headquarters or base established"): ("Strategic developments", "Headquarters or base established"),
})
AMBIGUOUS_TYPES = {_type_key("Riots/Protests"): "ACLED's pre-2019 'Riots/Protests' does not say whether it was a "
                                               "protest or a riot; recode it as Protests or Riots"}


def _classify(et: str, sub: str) -> tuple:
    """(event type, sub-event type, problem with the type, problem with the sub-type) for one name pair."""
    kt, ks = _type_key(et), _type_key(sub)
    sub_c = SUB_BY_KEY.get(ks) if ks else None
    bad_sub = "not an ACLED sub-event type" if ks and sub_c is None else None
    if not kt:
        return model.SUB_EVENT_TYPES.get(sub_c), sub_c, None, bad_sub
    if kt in AMBIGUOUS_TYPES:
        return None, sub_c, AMBIGUOUS_TYPES[kt], bad_sub
    if kt not in TYPE_BY_KEY:
        return None, sub_c, "not an ACLED event type (" + ", ".join(model.EVENT_TYPES) + ")", bad_sub
    et_c, implied = TYPE_BY_KEY[kt]
    return et_c, sub_c or implied, None, bad_sub


def acled_types(et: pd.Series, sub: pd.Series, problems: list, *, et_field: str, sub_field: str
                ) -> tuple[pd.Series, pd.Series]:
    """ACLED event/sub-event type names (current, older spellings, pre-2019 types) -> the canonical pair."""
    et_c, sub_c, bad_et, bad_sub = lookup(join_key(et, sub), lambda k: _classify(*k.split(SEP)), 4)
    problem(problems, et_field, bad_et.notna(), et, bad_et, ("sub_event_type",))
    problem(problems, sub_field, bad_sub.notna(), sub, bad_sub, ("event_type",))
    return et_c, sub_c


def original_json(raw: pd.DataFrame, exclude, extra: Mapping[str, pd.Series] | None = None) -> pd.Series:
    """JSON of the file's own values that the canonical columns do not carry verbatim."""
    skip = set(exclude)
    frame = raw[[c for c in raw.columns if c not in skip]]
    frame = frame.apply(lambda s: s.where(~s.astype("str").str.strip().isin(MISSING)))
    if extra:
        frame = frame.assign(**{k: v for k, v in extra.items()})
    return json_objects(frame)


# Day dates as Excel, R and pandas write them (ACLED exports): ISO, YYYYMMDD, d-mmm-yy, 01-January-2015,
# numeric d/m/y in either order, Excel serial numbers.
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_NAMED = re.compile(r"(\d{1,2})[-/ .]+([A-Za-z]{3,9})\.?[-/ .,]+(\d{2}|\d{4})")
_NUMERIC = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})")
_SERIAL = re.compile(r"\d{5}(?:\.0+)?")
_MONTHS = {m.lower(): i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
     "November", "December"], 1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())} | {"sept": 9})
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _date_parts(text: str) -> tuple:
    """(day, month, year digits, kind) of one date text; kind "numeric" when day/month order is open."""
    v = text.translate(ARABIC_DIGITS).strip()
    if m := _ISO.fullmatch(v):
        return int(m[3]), int(m[2]), m[1], "iso"
    if m := _COMPACT.fullmatch(v):
        return int(m[3]), int(m[2]), m[1], "iso"
    if m := _NAMED.fullmatch(v):
        month = _MONTHS.get(m[2].lower())
        return (int(m[1]), month, m[3], "named") if month else (None, None, None, None)
    if m := _NUMERIC.fullmatch(v):
        return int(m[1]), int(m[2]), m[3], "numeric"
    if _SERIAL.fullmatch(v):
        day = EXCEL_EPOCH + pd.Timedelta(days=int(float(v)))
        return day.day, day.month, str(day.year), "serial"
    return None, None, None, None


def date_order(text: pd.Series) -> bool | None:
    """Whether numeric dates in `text` put the day first (True), the month first (False), or None when
    no value settles it (a first or second part above 12 decides). Values contradicting the majority
    are left to `day_dates` to reject."""
    first, second, _, kind = lookup(text.fillna("").astype("str"), _date_parts, 4)
    numeric = kind == "numeric"
    day_first = int((numeric & (first.fillna(0).astype(int) > 12)).sum())
    month_first = int((numeric & (second.fillna(0).astype(int) > 12)).sum())
    if day_first == month_first:
        return None
    return day_first > month_first


def has_open_order(text: pd.Series) -> pd.Series:
    """Numeric dates whose day and month could both be either (5/9/2020)."""
    first, second, _, kind = lookup(text.fillna("").astype("str"), _date_parts, 4)
    return (kind == "numeric") & (first.fillna(99).astype(int) <= 12) & (second.fillna(99).astype(int) <= 12)


def day_dates(text: pd.Series, *, year: pd.Series, dayfirst: bool | None) -> tuple[pd.Series, pd.Series]:
    """(dates, reason for each text that is not a date) from every unambiguous form of a day's date.

    A two-digit year takes the century that agrees with the row's `year` (else the nearest one not in
    the future); numeric d/m/y forms are read in the order `dayfirst` gives (None: only where a part
    above 12 makes it plain)."""
    parts = lookup(join_key(text, year), lambda k: _date_parts(k.split(SEP)[0]), 4)
    a, b, ydigits, kind = parts
    given_year = numbers(year)
    out_day, out_month = a.copy(), b.copy()
    swap = kind == "numeric"
    if dayfirst is False:
        out_day, out_month = out_day.where(~swap, b), out_month.where(~swap, a)
    open_order = swap & (a.fillna(99).astype(int) <= 12) & (b.fillna(99).astype(int) <= 12)
    if dayfirst is None:
        plain_mf = swap & (b.fillna(0).astype(int) > 12)
        out_day, out_month = out_day.where(~plain_mf, b), out_month.where(~plain_mf, a)
        out_day = out_day.where(~open_order)
    yd = ydigits.fillna("").astype("str")
    short = yd.str.len() == 2
    yy = pd.to_numeric(yd.where(yd != "", None), errors="coerce")
    this = pd.Timestamp.today().year
    by_year = given_year.where(given_year % 100 == yy)
    guess = 2000 + yy
    guess = guess.where(guess <= this, 1900 + yy)
    full = yy.where(~short, by_year.where(by_year.notna(), guess))
    frame = pd.DataFrame({"year": full, "month": pd.to_numeric(out_month, errors="coerce"),
                          "day": pd.to_numeric(out_day, errors="coerce")})
    dates = pd.to_datetime(frame.where(frame.notna().all(axis=1)), errors="coerce")
    dates = model.bound_dates(dates).astype("datetime64[ns]")
    reason = pd.Series(None, index=text.index, dtype=object)
    given = ~blank(text)
    reason = reason.where(~(given & dates.isna()), "not a date (expected e.g. 21 March 2020 or 2020-03-21)")
    against = swap & ~open_order & dates.isna() & (dayfirst is not None)
    reason = reason.where(~against, "day and month in the other order than the rest of the file ("
                          + ("day" if dayfirst else "month") + " first)")
    reason = reason.where(~(open_order & dates.isna()), "day and month could be either way round")
    mismatch = given & dates.notna() & short & given_year.notna() & (dates.dt.year != given_year)
    reason = reason.where(~mismatch, "the two-digit year does not fit the row's year column")
    dates = dates.where(~mismatch)
    return dates, reason


def geocode_places(places: pd.Series, ctx: dict) -> pd.DataFrame:
    """lat, lon, found for each place name, asking `ctx["geocoder"]` once per distinct name.

    The geocoder is the caller's (`geocoder(name) -> {lat, lon, found}` mapping or object); a name it
    does not find, or an error it raises, is simply not found: one bad name never stops an import."""
    cache: dict = ctx.setdefault("geocache", {})
    for text in places.unique():
        if text in cache:
            continue
        try:
            res = ctx["geocoder"](text) if text else None
        except Exception:  # the caller's geocoder failing on one name leaves that name unplaced
            res = None
        get = (lambda k: res.get(k)) if isinstance(res, Mapping) else (lambda k: getattr(res, k, None))
        found = bool(res is not None and get("found") and get("lat") is not None and get("lon") is not None)
        cache[text] = (str(get("lat")), str(get("lon")), True) if found else ("", "", False)
    rows = [cache[t] for t in places]
    return pd.DataFrame(rows, index=places.index, columns=["lat", "lon", "found"])


def tolls(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """(best, low, high, fractional) from a reported toll: a whole number is best (low/high left to follow
    it); a fraction (GTD divides the toll of a multi-part attack: 1.3333333333) leaves best empty, with
    low and high rounded down and up. Only a plain decimal counts (`19.8`, not `1e-320`); anything else
    that is not a whole number stays in best, to be rejected there."""
    ascii_text = digits(text)
    value = numbers(ascii_text)
    fractional = (ascii_text.str.fullmatch(r"\d{1,6}\.\d+") & value.notna() & (value != np.floor(value))
                  & (value <= model.MAX_COUNT))
    low = np.floor(value).where(fractional).astype("Int64").astype("str").where(fractional, "")
    high = np.ceil(value).where(fractional).astype("Int64").astype("str").where(fractional, "")
    return text.where(~fractional, ""), low, high, fractional
