"""The PDF briefing: a cover, then one page per date, designed to hand to a commander or an editor.

The cover holds the title, the author, the view in words (events.labels.filters_text), the window, the
data version and the sources (the publications the incidents cite, and the credits and licences
events.exports computes for their data sets). Each date's page holds its date in large type, a map
filling most of the page (at least MAP_SHARE of the paper: sized from the paper, never a fixed
picture) with its legend, scale bar, north arrow and attribution (snapshot.map_page's static map),
the key numbers (events.query.totals, said by events.labels.toll_range), what changed in control since
the previous page (geo.control.control_changes), the notes of the period (events.annotations) and the
top incidents with their sources, in a table that runs onto the next page with its header repeated
rather than being cut. A4 or US Letter, portrait or landscape.

The page is an autoescaped Jinja template (geo/templates/briefing.html and .css): every name, note,
title and author reaches it only as an escaped variable. Chromium (snapshot.Browser) draws the maps
and prints the PDF, with every request but data: refused. In a right-to-left language the page is laid
out right to left with the Arabic font inside the file.
"""
from __future__ import annotations

import base64
import datetime as dt
import math
from collections import Counter
from pathlib import Path
from typing import Callable

import geopandas as gpd
import jinja2
import markupsafe
import pandas as pd

from events import annotations, exports, labels, model, query
from geo import assets, control, mapview, snapshot
from geo.snapshot import SnapshotError
from i18n import N_, translator

PAPERS = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}   # millimetres, portrait
ORIENTATIONS = ("portrait", "landscape")
MARGIN_MM = 10.0
MAP_SHARE = 0.56        # of the paper's area: the map of each date page covers at least half of it
HEAD_MM = 12.0          # the date line above the map
PX_PER_MM = 96 / 25.4   # CSS pixels
MAP_SCALE = 2.0         # the maps are drawn at twice the CSS pixels, for print
TOP_INCIDENTS = 8
AUTHOR_MAX = 100
TITLE = snapshot.BRIEFING_TITLE
_TEMPLATES = Path(__file__).parent / "templates"
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True,
                          undefined=jinja2.StrictUndefined)
_MAP_CSS = """<style>
.leaflet-control-zoom, .leaflet-control-layers, .atlas-legend-head, .atlas-notice { display: none !important; }
.leaflet-container { background: #e9eef2 !important; }   /* beyond the drawn base: a tone, so the map reads as one block */
.leaflet-control-scale-line { font: 12px system-ui, sans-serif; background: rgba(255,255,255,0.85); }
.atlas-north { background: rgba(255,255,255,0.85); border-radius: 4px; padding: 2px 4px 0; line-height: 0; }
</style>"""


def check_paper(paper: str, orientation: str) -> tuple[float, float]:
    """The page's (width, height) in millimetres; an unknown paper or orientation is a one-line error."""
    key = str(paper).strip().lower()
    if key not in PAPERS:
        raise SnapshotError(f"paper {str(paper)[:40]!r}: use {' or '.join(PAPERS)}")
    if orientation not in ORIENTATIONS:
        raise SnapshotError(f"orientation {str(orientation)[:40]!r}: use {' or '.join(ORIENTATIONS)}")
    w, h = PAPERS[key]
    return (h, w) if orientation == "landscape" else (w, h)


def map_size(paper: str = "a4", orientation: str = "landscape") -> tuple[float, float]:
    """The map's (width, height) in millimetres on a date page: the printable width, and tall enough to
    cover MAP_SHARE of the paper (within the printable height, below the date line)."""
    w, h = check_paper(paper, orientation)
    width = w - 2 * MARGIN_MM
    height = min(math.ceil(MAP_SHARE * w * h / width), h - 2 * MARGIN_MM - HEAD_MM - 8)
    return width, float(height)


def default_dates(*, start, end, layers: gpd.GeoDataFrame | None = None,
                  boundaries: gpd.GeoDataFrame | None = None, limit: int | None = None) -> list[pd.Timestamp]:
    """The control-change dates from `start` to `end` (a 2014-2017 window: 10 Jun 2014 ... 16 Oct 2017);
    the window's end when control did not change in it. With `limit`, the `limit` changes that moved the
    most areas (the later first on a tie), in date order: a long window keeps 16 Oct 2017, not the first
    days of June 2014 only."""
    first, last = snapshot._checked_date(start, "start"), snapshot._checked_date(end, "end")
    if last < first:
        raise SnapshotError(f"the window ends ({last:%Y-%m-%d}) before it starts ({first:%Y-%m-%d})")
    changes = control.control_changes(layers=layers, boundaries=boundaries)
    inside = changes[(changes["date"] >= first) & (changes["date"] <= last)]
    if limit is not None and len(inside) > limit:
        moved = inside.assign(_n=inside["area_ids"].map(len))
        inside = moved.sort_values(["_n", "date"], ascending=[False, False]).head(limit).sort_values("date")
    days = [pd.Timestamp(d) for d in inside["date"]]
    return days or [last]


def default_notes(*, layers: gpd.GeoDataFrame | None = None, boundaries: gpd.GeoDataFrame | None = None,
                  lang: str = "en") -> pd.DataFrame:
    """The default annotations: the control-change descriptions, in the language."""
    return annotations.defaults(control.control_changes(layers=layers, boundaries=boundaries, lang=lang))


def key_numbers(shown: pd.DataFrame, *, lang: str = "en") -> list[tuple[str, str]]:
    """(label, figure) pairs: incidents, killed and wounded (the range of the reports, 'or more' when a
    report gives only a floor; 'not reported' when no report gives a figure)."""
    t = translator(lang)
    totals = query.totals(shown)
    out = [(t("Incidents"), t.number(totals["incidents"]))]
    for word, label in (("killed", N_("Killed")), ("wounded", N_("Wounded"))):
        if totals["incidents"] and totals[f"{word}_unknown"] == totals["incidents"]:
            out.append((t(label), t("not reported")))
        else:
            out.append((t(label), labels.toll_range(totals, word, lang=lang)))
    return out


def _cell(value) -> dict:
    """A table cell: its text (empty for a missing value, never 'None' or 'nan') and its direction."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return {"text": "", "dir": "auto"}
    text = str(value)
    return {"text": text, "dir": "rtl" if any("\u0600" <= ch <= "\u06ff" for ch in text) else "ltr"}


def _cites(sources) -> list[dict]:
    return model.parse_sources(sources)


def _cite_name(cite: dict) -> str:
    return str(cite.get("publisher") or cite.get("title") or cite.get("url") or "").strip()


def top_rows(shown: pd.DataFrame, *, n: int = TOP_INCIDENTS, lang: str = "en") -> list[list[dict]]:
    """The deadliest `n` incidents (latest first among equals): date, place, type, killed, sources."""
    if shown.empty:
        return []
    order = shown.assign(_k=shown["killed_high"].astype("float64").fillna(-1)).sort_values(
        ["_k", "date_start"], ascending=[False, False]).head(n)
    rows = []
    for r in order.itertuples():
        cites = "; ".join(dict.fromkeys(name for c in _cites(r.sources) if (name := _cite_name(c))))
        place = " · ".join(p for p in (_cell(r.place)["text"], _cell(getattr(r, "place_ar", None))["text"]) if p)
        rows.append([_cell(mapview.date_label(r.date_start, r.date_end, r.date_precision, lang=lang)), _cell(place),
                     _cell(labels.type_name(r.event_type, lang=lang)),
                     _cell(mapview.killed_text(r.killed_low, r.killed_best, r.killed_high, lang=lang)), _cell(cites)])
    return rows


def sources(shown: pd.DataFrame, *, accessed: dict | None, filters: str, lang: str = "en") -> list[str]:
    """The cover's sources: the publications the incidents cite (most cited first, with how many
    incidents cite each), then the credits and licences their data sets ask for."""
    t = translator(lang)
    counts: Counter = Counter()
    for value in shown["sources"] if "sources" in shown else ():
        counts.update(list(dict.fromkeys(name for c in _cites(value) if (name := _cite_name(c)))))
    lines = [t.plural("{name}: {n} incident", "{name}: {n} incidents", n, name=name) for name, n in counts.most_common()]
    if not shown.empty:
        lines += exports.credits(exports.datasets_of(shown), accessed=accessed, filters=filters)
    return lines


def _author(value) -> str:
    text = annotations.clean(value, limit=AUTHOR_MAX, what="author") if value else ""
    return text


def _day(t, day: pd.Timestamp, form: str = "day") -> str:
    if t.lang == "en":
        return f"{day:%d %B %Y}" if form == "long" else f"{day:%d %b %Y}"
    return t.date(day, form)


def briefing_pdf(incidents: pd.DataFrame, dates=None, *, start=None, end=None, filters: dict | None = None,
                 controllers=(), layers: gpd.GeoDataFrame | None = None, data_version: str, trail_days: int = 90,
                 title: str = TITLE, author: str = "", notes: pd.DataFrame | None = None,
                 paper: str = "a4", orientation: str = "landscape", top: int = TOP_INCIDENTS,
                 progress: Callable[[int, int], None] | None = None, allow_network: bool = False, bounds=None,
                 boundaries: gpd.GeoDataFrame | None = None, accessed: dict | None = None,
                 lang: str = "en") -> bytes:
    """The briefing PDF: a cover, then one page per date of `dates` (default: the control-change dates
    from `start` to `end`, see default_dates). Each page shows the areas of control on its date and
    the incidents of the `trail_days` up to it. `notes`: the user's annotations (events.annotations.read),
    shown with the default ones (the control changes) on the page of their date or the next one;
    `paper` "a4" or "letter", `orientation` "portrait" or "landscape"; `top`: the incidents listed per
    page (deadliest first; a long list runs onto the next page with its header); `accessed`: when each licensed
    data set was imported, for its credit; `lang`: the language of every word."""
    t = translator(lang)
    page_w, page_h = check_paper(paper, orientation)
    if not 1 <= int(top) <= 500:
        raise SnapshotError(f"top {top}: list 1 to 500 incidents a page")
    title = t(TITLE) if title == TITLE else snapshot.clean_text(title, "title")
    author = _author(author)
    if dates is None or not len(dates):
        if start is None or end is None:
            raise SnapshotError("no dates given for the briefing: give dates, or a window (start and end)")
        days = default_dates(start=start, end=end, layers=layers, boundaries=boundaries)
    else:
        days = sorted(dict.fromkeys(snapshot._checked_date(d, "date") for d in dates))
    layers = control.default_layers(boundaries=boundaries) if layers is None else layers
    chosen = dict(filters or {})
    views = [snapshot.view_for(date=d, trail_days=trail_days, filters=chosen, controllers=list(controllers),
                               offline=not allow_network, bounds=bounds or snapshot.STUDY_BOUNDS, lang=t.lang)
             for d in days]
    shown_by_page = [snapshot.select(incidents, v) for v in views]
    if all(s.empty for s in shown_by_page):
        raise SnapshotError("no incidents on any of the briefing's dates with these filters: nothing to brief")
    described = labels.filters_text({**chosen, **({"controllers": list(controllers)} if controllers else {})},
                                    lang=t.lang)
    window = t("window: the {n} days to each date", n=trail_days)
    everything = pd.concat(shown_by_page).drop_duplicates(subset=["incident_id"]) \
        if "incident_id" in incidents else pd.concat(shown_by_page)
    stamp = f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC"
    changes = control.control_changes(layers=layers, lang=t.lang)
    shown_notes = annotations.combined(notes)
    since = views[0].start
    page_changes = annotations.placed(annotations.defaults(changes), days, since=since)
    page_notes = annotations.placed(shown_notes, days, since=since)
    map_w, map_h = map_size(paper, orientation)
    pixels = (round(map_w * PX_PER_MM), round(map_h * PX_PER_MM))
    pages = []
    with snapshot.Browser() as browser:
        for i, (view, shown) in enumerate(zip(views, shown_by_page), start=1):
            areas = control.control_at(view.on, layers=layers, boundaries=boundaries)
            owed = snapshot.credits(shown, view, accessed)
            page_html = snapshot.map_page(shown, areas, view, width=f"{pixels[0]}px", height=f"{pixels[1]}px",
                                          pixels=pixels, boundaries=boundaries, attribution=owed, framing="view",
                                          static=True).replace("</head>", _MAP_CSS + "</head>", 1)
            png = snapshot.photograph(browser, page_html, pixels, allow_network=allow_network,
                                      expect_text=[t("Incidents by type")], scale=MAP_SCALE)
            held = ("؛ " if t.rtl else "; ").join(control.summarise(areas, lang=t.lang)) or t("none recorded")
            counts = snapshot._counts_text(shown, t.lang)
            if t.lang == "en":
                said = f"{counts} in the {trail_days} days to this date · areas of control: {held}"
            else:
                in_days = t("in the {n} days to this date", n=trail_days)  # (not inside an f-string: extracted)
                said = f"{counts} {in_days} · " + t("areas of control: {areas}", areas=held)
            before = days[i - 2] if i > 1 else None
            heading = (t("What changed in control since {date}", date=_day(t, before)) if before is not None else
                       t("What changed in control in the {n} days to this date", n=trail_days))
            foot = (f"{title} · data version {data_version} · generated {stamp}" if t.lang == "en" else
                    t("{title} · data version {version} · generated {time}", title=title,
                      version=snapshot._own(data_version, t), time=snapshot._own(stamp, t)))
            pages.append({
                "when": _day(t, view.on, "long"), "numbered": t("page {i} of {n}", i=i, n=len(views)),
                "image": base64.b64encode(png).decode("ascii"), "map_w": f"{map_w:.1f}", "map_h": f"{map_h:.1f}",
                "numbers": key_numbers(shown, lang=t.lang), "said": said, "changes_heading": heading,
                "changes": [{"day": _day(t, c.date), "text": c.text} for c in page_changes[i - 1].itertuples()],
                "notes": [{"day": _day(t, n.date), "text": n.text, "author": n.author}
                          for n in page_notes[i - 1].itertuples()],
                "rows": top_rows(shown, n=top, lang=t.lang), "foot": foot, "owed": owed})
            if progress:
                progress(i, len(views))
        legend = [(labels.type_name(name, lang=t.lang), colour) for name, colour in labels.EVENT_COLOURS.items()]
        facts = [(t("Author"), author or t("not given")),
                 (t("View"), f"{described} · {window}"),
                 (t("Dates"), ("، " if t.rtl else ", ").join(_day(t, d) for d in days)),
                 (t("Data version"), f"{data_version} · {stamp}")]
        document = _ENV.get_template("briefing.html").render(
            lang=t.lang, direction="rtl" if t.rtl else "ltr", title=title, pages=pages, facts=facts, legend=legend,
            lead=t.plural("{n} date", "{n} dates", len(days)) if t.lang != "en" else
            f"{len(days)} {'date' if len(days) == 1 else 'dates'}: {', '.join(_day(t, d) for d in days)}",
            about=t("Each page shows the areas of control on its date and the incidents of the {n} days up to it. "
                    "Areas of control are approximate; incident places and dates carry their stated precision; "
                    "casualty figures are the range of the reported figures.", n=trail_days),
            sources=sources(everything, accessed=accessed, filters=described, lang=t.lang),
            words={"legend": t("Incidents by type"), "sources": t("Sources"), "notes": t("Notes"),
                   "top": t("Top incidents"), "no_change": t("No change in control recorded."),
                   "nothing": t("No incident recorded in this period with these filters."),
                   "columns": [t(w) for w in (N_("Date"), N_("Place"), N_("Type"), N_("Killed"), N_("Sources"))]},
            font_css=markupsafe.Markup(_font_css(t)))
        return _print(browser, document, size=(page_w, page_h))


def _font_css(t) -> str:
    """The embedded Arabic font and its use, in a right-to-left language (our own asset, not data)."""
    if not t.rtl:
        return ""
    return (assets.font_face(embed=True)
            + f"\nbody {{ font-family: '{assets.FONT_FAMILY}', system-ui, sans-serif; }}")


def _print(browser: snapshot.Browser, document: str, *, size: tuple[float, float]) -> bytes:
    """`document` printed to PDF on paper of `size` millimetres with MARGIN_MM margins."""
    tab = browser.page(round(size[0] * PX_PER_MM), round(size[1] * PX_PER_MM), allow_network=False)
    try:
        tab.set_content(document, wait_until="load")
        tab.evaluate("() => document.fonts.ready.then(() => true)")
        tab.evaluate("() => Promise.all([...document.images].map(i => i.decode())).then(() => true)")
        margin = f"{MARGIN_MM}mm"
        return tab.pdf(width=f"{size[0]}mm", height=f"{size[1]}mm", print_background=True,
                       margin={"top": margin, "right": margin, "bottom": margin, "left": margin})
    finally:
        tab.close()
