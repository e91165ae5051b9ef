"""Kirkuk incident atlas: the Streamlit page (the only module that imports Streamlit).

Reads top to bottom like the page: data (cached), the view state from the URL, the sidebar filters,
the time bar with playback, the map, the headline counts and timeline, the table and the details.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
import time
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import i18n
from events import actors as actor_catalogue
from events import cache, exports, labels, matching, model, query, roles, store, view
from events.errors import AtlasError
from geo import assets, boundaries, control, gazetteer, mapview, snapshot
from ui.briefing import briefing_panel, compare_panel, notes_of, notes_panel
from ui.downloads import exported, prepared
from ui.gazetteer import gazetteer_panel
from ui.incidents import TABLE_MAX, details, incident_table, review, shown_table, table_columns, take_clicks
from ui.direction import direction_css
from ui.edits import edit_panel, signed_in, source_rows
from ui import memory
from ui.link import from_link, link_dates, link_language, link_number, to_link
from ui.messages import failed, plain
from ui.playback import playback_panel
from ui.snapshot import snapshot_panel
from ui.uploads import import_panel, saved_upload

FIRST, LAST = dt.date(2003, 1, 1), dt.date(2024, 12, 31)
TRAILS = {i18n.N_("last 30 days"): 30, i18n.N_("last 90 days"): 90, i18n.N_("last 365 days"): 365}
SPEEDS = {i18n.N_("slow (2 s)"): 2.0, i18n.N_("normal (1 s)"): 1.0, i18n.N_("fast (0.5 s)"): 0.5}
LANGUAGES = i18n.languages()  # code -> its own name: English, العربية, کوردیی ناوەندی

# The reader's language: the switch, else the link (lang=ar), else the browser's; decided before anything is drawn.
st.session_state.setdefault("lang", link_language(LANGUAGES))
LANG = i18n.normalise(st.session_state.lang)
t = i18n.translator(LANG)
iso = i18n.isolate if t.rtl else str  # bidi isolation of data and numbers inside right-to-left sentences
st.set_page_config(page_title=t("Kirkuk incident atlas"), page_icon="🗺️", layout="wide")
_prefix = st.get_option("server.baseUrlPath").strip("/")
ASSETS = f"/{_prefix}{assets.URL}" if _prefix else assets.URL  # the map's local libraries, declared per map


# ----------------------------------------------------------------------------------------------
# Data (cached; keyed by the data version and the boundaries in force)
# ----------------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=t("Opening the incident store…"))
def open_store(path: str) -> str:
    """The store at `path`, created and its curated rows brought up to date once per server."""
    return str(store.open_store(path))


# Long text of each incident: read from the memory-mapped columnar cache when a panel or an export needs
# it, never copied per step (at a million incidents these three columns are ~60% of the frame).
LONG_TEXT = ("notes", "sources", "original")
MATCHED_PARTS = ("fused", "raw", "members", "possible")


@st.cache_resource(show_spinner=False)
def code_version() -> str:
    """A hash of the code that derives the cached frames (events/, geo/): new code never reads an old cache."""
    digest = hashlib.sha256()
    for file in sorted([*Path(__file__).parent.joinpath("events").glob("*.py"),
                        *Path(__file__).parent.joinpath("geo").glob("*.py")]):
        digest.update(file.name.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:12]


def _match(path: str) -> dict:
    """The store's rows matched across sources with its review decisions (see `load_matched`)."""
    found = matching.match(store.load(path), decisions=store.decision_records(path))
    fused, members = matching.fuse(found)
    fused = actor_catalogue.canonicalise(fused, user_aliases=store.actor_aliases(path))  # fusing keeps model columns
    ids = found.frame["incident_id"].astype(str).to_numpy(object)
    possible = pd.DataFrame({"left": ids[found.possible["left"].to_numpy("int64")],
                             "right": ids[found.possible["right"].to_numpy("int64")],
                             "score": found.possible["score"].to_numpy("float64")})
    return {"fused": fused, "members": members, "raw": matching.annotate(found), "possible": possible}


def _cached(path: str, name: str, key: str, build, *, geometry: bool = True):
    """The frame `name` of the store's columnar cache built for `key`; built with `build()` and saved
    first when missing or stale. Read back memory-mapped when saved; `build()`'s own frame otherwise
    (a store folder we cannot write: the app then works from memory)."""
    frame = cache.read(path, name, key=key, geometry=geometry)
    if frame is None:
        frame = build()
        if cache.write(path, name, frame, key=key):
            mapped = cache.read(path, name, key=key, geometry=geometry)
            frame = frame if mapped is None else mapped
    return frame


def _matched(path: str, version: str, decided: str, names: tuple[str, ...]) -> dict:
    """The `names` of MATCHED_PARTS from the columnar cache, matching (and saving every part) once per
    data version and decisions version (and code version) for every server and session."""
    key = f"{version}|{decided}|{code_version()}"
    found = {name: cache.read(path, name, key=key) for name in names}
    if any(frame is None for frame in found.values()):
        built = _match(path)
        saved = all([cache.write(path, name, built[name], key=key) for name in MATCHED_PARTS])
        found = {name: cache.read(path, name, key=key) if saved else None for name in names}
        found = {name: built[name] if frame is None else frame for name, frame in found.items()}
    return found


@st.cache_resource(show_spinner=t("Matching the sources' reports of the same events…"), max_entries=2)
def load_matched(path: str, version: str, decided: str) -> dict:
    """The store's review tables, once per data version and decisions version: `members` (every source row
    of a fused event) and `possible` (pairs kept apart as possible duplicates, by incident_id). The fused
    and raw frames themselves are read by `load_view_data`. Read only, shared by every session."""
    return _matched(path, version, decided, ("members", "possible"))


@st.cache_resource(show_spinner=t("Loading incidents…"), max_entries=2)
def load_view_data(path: str, version: str, decided: str, raw: bool, bounds_key: str, _boundaries=None) -> dict:
    """Incidents (one row per event, or every source row with `raw`) with admin areas from the boundaries
    in use and who controlled each place then; fused first, so an event is joined at its best place.

    `full` holds every column, memory-mapped from the store's columnar cache (built once per data,
    decisions, boundaries and code version; a server start reads it instead of the whole store);
    `held` is the same rows without the long text (LONG_TEXT), repeated text as shared objects
    (cache.compact): what the filters, map, counts and table use, so a step copies no notes, sources
    or original JSON and no string at all. Same index: `full.loc[held_rows.index]`
    gives an export every field. Neither carries a geometry: the map, exports and snapshots draw from
    lon/lat. A resource, not cache_data: read only, one copy for every session."""
    def build() -> pd.DataFrame:
        part = "raw" if raw else "fused"
        frame = _matched(path, version, decided, (part,))[part]
        frame = boundaries.assign_admin(frame, boundaries=_boundaries)
        return frame.join(control.controller_of(frame, boundaries=_boundaries))

    key = f"{version}|{decided}|{raw}|{bounds_key}|{code_version()}"
    name = f"view-{hashlib.sha256(f'{raw}|{bounds_key}'.encode()).hexdigest()[:16]}"
    full = pd.DataFrame(_cached(path, name, key, build, geometry=False))  # every part draws from lon/lat
    full = full.drop(columns=[c for c in ("geometry",) if c in full.columns])
    loaded = {"full": full, "held": cache.compact(full.drop(columns=[c for c in LONG_TEXT if c in full.columns]))}
    memory.settle()   # held for good: later collections need not scan it
    return loaded


@st.cache_resource(show_spinner=t("Indexing the text for search…"), max_entries=1)
def search_index(path: str, version: str, decided: str, raw: bool, bounds_key: str, _boundaries=None) -> pd.Series:
    """The folded search text of every incident, built the first time anyone searches a data version and
    kept in the columnar cache (memory-mapped) for every later server."""
    def build() -> pd.DataFrame:
        full = load_view_data(path, version, decided, raw, bounds_key, _boundaries)["full"]
        return pd.DataFrame({"text": query.search_text(full)})

    key = f"{version}|{decided}|{raw}|{bounds_key}|{code_version()}"
    name = f"search-{hashlib.sha256(f'{raw}|{bounds_key}'.encode()).hexdigest()[:16]}"
    return _cached(path, name, key, build)["text"]


@st.cache_resource(show_spinner=False, max_entries=4)
def filter_choices(path: str, version: str, decided: str, raw: bool, bounds_key: str, lang: str,
                   _boundaries=None) -> dict:
    """The filters' choices (distinct values over all the data: actors, areas, controllers, data sets) once
    per data version and language, shared by every session: a slider step changes none of them."""
    data = load_view_data(path, version, decided, raw, bounds_key, _boundaries)["held"]
    choices = {column: sorted(v for v in data[column].dropna().unique() if str(v).strip())
               for column in ("actor1", "actor2", "admin2", "admin3", "controller")}
    return {**choices, "datasets": exports.datasets_of(data),
            "actor_ids": actor_catalogue.actor_options(data, lang=lang)}


@st.cache_data(show_spinner=False, max_entries=32)
def monthly_counts(path: str, version: str, decided: str, raw: bool, bounds_key: str, filters: str,
                   _view: view.View, _boundaries=None) -> pd.DataFrame:
    """Incidents per month and type for the chart: every filter of the view but its window
    (`view.timeline`), kept per filter set (`filters`, the key) so a slider step does not recount them."""
    data = load_view_data(path, version, decided, raw, bounds_key, _boundaries)["held"]
    search = search_index(path, version, decided, raw, bounds_key, _boundaries) if _view.text else None
    return query.monthly_counts(view.timeline(data, _view, search=search))


@st.cache_data(show_spinner=False)
def control_changes(bounds_key: str, lang: str, _boundaries=None) -> pd.DataFrame:
    return control.control_changes(boundaries=_boundaries, lang=lang)


@st.cache_data(show_spinner=False)
def label_places() -> pd.DataFrame:
    return mapview.label_places(gazetteer.load_gazetteer())


if missing := assets.missing():
    st.error(t("The map libraries are not installed (missing: {files}). Run `bash .ci/setup` once, then reload "
               "this page.", files=", ".join(missing)))
    st.stop()

@st.cache_data(show_spinner=False, max_entries=4)
def store_facts(path: str, stamp: tuple) -> dict:
    """Counts and data version of the store; `stamp` (file sizes and times) keys the cache, so an
    import refreshes it while ordinary reruns do not rescan the store."""
    return store.info(path)


@st.cache_data(show_spinner=False, max_entries=4)
def access_dates(path: str, version: str) -> dict:
    """When each licensed data set (ACLED, GTD, UCDP) was imported: the access date its credit names."""
    return exports.access_dates(store.import_log(path))


try:
    STORE = open_store(str(store.DEFAULT_PATH))
    FACTS = store_facts(STORE, store.stamp(STORE))
    # The review decisions and the user's actor mappings: a new one re-fuses the data
    DECIDED = store.decisions_version(STORE) + "|" + actor_catalogue.mappings_key(store.actor_aliases(STORE))
    # who the store sees (a PostGIS store names its users and their roles; a GeoPackage has none): once a session
    WHO = st.session_state.get("who") or st.session_state.setdefault("who", roles.whoami(STORE))
except AtlasError as exc:
    st.error(t("The incident store cannot be opened: {reason}", reason=plain(exc)))
    st.stop()
BOUNDARIES = st.session_state.get("boundaries")   # this session's official boundaries; None: the built-in set
BOUNDS = boundaries.fingerprint(BOUNDARIES)
# One row per event (the sources' reports of it fused) unless the user asks for every source row; in
# the link as raw=true. Drawn first in the sidebar: the data below depends on it.
# The language switch heads the sidebar; the link carries any language but English (lang=ar).
st.sidebar.selectbox(t("Language"), list(LANGUAGES), key="lang", format_func=LANGUAGES.get,
                     label_visibility="collapsed")
if LANG == i18n.SOURCE:
    st.query_params.pop("lang", None)
else:
    st.query_params["lang"] = LANG
if t.rtl:
    st.html(direction_css(t, upload_mb=st.get_option("server.maxUploadSize")))  # right to left, the Arabic font; fixed CSS, no data in it
if SIGNED_IN := signed_in(WHO, t=t):
    st.sidebar.caption(plain(SIGNED_IN))
RAW = st.sidebar.toggle(t("Show raw rows (every source row)"), value=False, key="raw", bind="query-params",
                        help=t("Off: each event once, however many data sets report it (tolls the range over "
                               "its sources, never their sum). On: every row as imported, marked with its matches."))
MATCHED = load_matched(STORE, FACTS["data_version"], DECIDED)
LOADED = load_view_data(STORE, FACTS["data_version"], DECIDED, RAW, BOUNDS, BOUNDARIES)
DATA = LOADED["held"]   # filters, map, counts, table: no long text, so a step copies none
FULL = LOADED["full"]   # every field (same index), memory-mapped: details, exports, briefing, playback
LAYERS = st.session_state.get("control_layers")   # this session's control areas, if it loaded any
if LAYERS is None:
    LAYERS = control.default_layers(boundaries=BOUNDARIES)
    CHANGES = control_changes(BOUNDS, LANG, BOUNDARIES)
else:
    CHANGES = control.control_changes(layers=LAYERS, lang=LANG)  # the jumps follow the areas this user loaded
NOTES = notes_of(STORE, CHANGES)  # the store's notes on dates, then the control changes: on every briefing output


# ----------------------------------------------------------------------------------------------
# Time: window or "as of" a date with a trailing window; steps, jumps and playback move the date
# ----------------------------------------------------------------------------------------------
def _clamp(day: dt.date) -> dt.date:
    return min(max(day, FIRST), LAST)


def _shift(day: dt.date, *, months: int) -> dt.date:
    return _clamp((pd.Timestamp(day) + pd.DateOffset(months=months)).date())


def step(months: int) -> None:
    """Move the date (as-of mode) or the whole window by a number of months."""
    if st.session_state.mode == "as of":
        st.session_state.asof = _shift(st.session_state.asof, months=months)
    else:
        start, end = st.session_state.window
        st.session_state.window = (_shift(start, months=months), _shift(end, months=months))


def jump() -> None:
    """Go to the chosen control-change date."""
    choice = st.session_state.get("jump_to")
    if not choice:
        return
    day = pd.Timestamp(choice[:10]).date()
    if st.session_state.mode == "as of":
        st.session_state.asof = day
    else:
        start, end = st.session_state.window
        half = (end - start) / 2
        st.session_state.window = (_clamp(day - half), _clamp(day + half))


from_link("mode", ("window", "as of"), default="window")
linked = link_dates("window")
st.session_state.setdefault("window", tuple(sorted(linked)) if len(linked) == 2
                            else (dt.date(2013, 1, 1), dt.date(2018, 12, 31)))
linked = link_dates("asof")
st.session_state.setdefault("asof", linked[0] if len(linked) == 1 else dt.date(2014, 6, 15))
st.session_state.setdefault("playing", False)
if months := st.session_state.pop("pending_step", None):
    step(months)
if st.session_state.pop("stop_playing", False):
    st.session_state.playing = False


# ----------------------------------------------------------------------------------------------
# Sidebar: filters, layers, data
# ----------------------------------------------------------------------------------------------
CHOICES = filter_choices(STORE, FACTS["data_version"], DECIDED, RAW, BOUNDS, LANG, BOUNDARIES)


def _options(column: str) -> list[str]:
    return CHOICES[column]


def _word(value) -> str:
    """An event type or sub-type (a data word defined in English) in the reader's language; the widget keeps
    the English value, so links and filters do not depend on the language."""
    return labels.type_name(value, lang=LANG)


def _held_by(value: str) -> str:
    """Who held a place, as the filter shows it: the controllers' names (data) as they are, geo's own words
    ("none recorded", "several: ...") in the reader's language."""
    if value == control.NONE_RECORDED:
        return t(control.NONE_RECORDED)
    if value.startswith(control.SEVERAL):
        return t("several: {names}", names="; ".join(_held_by(name) if name == control.NONE_RECORDED else iso(name)
                                                     for name in value[len(control.SEVERAL):].split("; ")))
    return value


ANY = t("Choose options")  # the lists' placeholder (Streamlit's own is English)

with st.sidebar:
    st.header(t("Filters"))
    from_link("types", model.EVENT_TYPES, default=[], many=True)
    types = st.multiselect(t("Event type"), list(model.EVENT_TYPES), key="types", placeholder=ANY, format_func=_word)
    to_link("types", types, default=[])
    sub_choices = [s for kind in (types or model.EVENT_TYPES) for s in model.EVENT_TYPES[kind]]
    from_link("sub", sub_choices, default=[], many=True)
    sub_types = st.multiselect(t("Sub-type"), sub_choices, key="sub", placeholder=ANY, format_func=_word)
    to_link("sub", sub_types, default=[])
    # Actors by their canonical name in the reader's language (ISIS = IS = Daesh = داعش are one), or by the
    # names each source used; both kept in the link (actor_id=isis, actors=...).
    if "actor_orig" not in st.session_state and st.query_params.get_all("actors"):
        st.session_state.actor_orig = True  # a link naming source actors (made before canonical actors) opens as made
    original_names = st.toggle(t("Show original actor names"), key="actor_orig", bind="query-params",
                               help=t("the names each source used, instead of one name per actor"))
    if original_names:
        actors, actor_ids = st.multiselect(t("Actor"), sorted(set(_options("actor1")) | set(_options("actor2"))),
                                           key="actors", placeholder=ANY, bind="query-params"), []
    else:
        ACTOR_LABELS = dict(CHOICES["actor_ids"])
        from_link("actor_id", ACTOR_LABELS, default=[], many=True)
        actors, actor_ids = [], st.multiselect(t("Actor"), list(ACTOR_LABELS), key="actor_id", placeholder=ANY,
                                               format_func=ACTOR_LABELS.get)
        to_link("actor_id", actor_ids, default=[])
    districts = st.multiselect(t("District"), _options("admin2"), key="d2", placeholder=ANY, bind="query-params")
    sub_districts = st.multiselect(t("Sub-district"), _options("admin3"), key="d3", placeholder=ANY,
                                   bind="query-params")
    from_link("ctrl", _options("controller"), default=[], many=True)
    controllers = st.multiselect(t("Who controlled the place then"), _options("controller"), key="ctrl",
                                 placeholder=ANY,
                                 format_func=_held_by)
    to_link("ctrl", controllers, default=[])
    min_killed = st.number_input(t("Minimum killed (highest report)"), min_value=0, max_value=10_000, step=1,
                                 key="mink", bind="query-params")
    text = st.text_input(t("Search (English or Arabic)"), key="q",
                         placeholder=t("Rashad, الرشاد, Federal Police…"),
                         bind="query-params")
    datasets = st.multiselect(t("Data set"), CHOICES["datasets"], key="ds", placeholder=ANY, bind="query-params",
                              help=t("curated = the atlas's own sourced set; other names are your imports; an "
                                     "event reported by several data sets is shown for each of them"))
    st.header(t("Map layers"))
    show_control = st.toggle(t("Areas of control on the date"), value=True, key="ctl", bind="query-params")
    heat = st.toggle(t("Heat map instead of points"), value=False, key="heat", bind="query-params")

    with st.expander(t("Import incidents (ACLED, UCDP, GTD, CSV, GeoJSON)")):
        import_panel(STORE, boundaries=BOUNDARIES, t=t)

    with st.expander(t("Your gazetteers (GeoNames, OCHA, IOM DTM, any table of places)")):
        gazetteer_panel(STORE, t=t)

    with st.expander(t("Official boundaries and your own control areas")):
        bfile = st.file_uploader(t("Boundaries (COD-AB / geoBoundaries / GADM: GeoJSON, zipped Shapefile, "
                                   "GeoPackage)"), type=["geojson", "json", "zip", "gpkg"], key="bounds_upload")
        if bfile is not None and st.button(t("Use these boundaries"), key="use_bounds"):
            with tempfile.TemporaryDirectory() as tmp:
                try:
                    mine = boundaries.complete_levels(boundaries.read_boundaries(saved_upload(bfile, tmp)))
                    control.default_layers(boundaries=mine)   # built now: a failure is this message only
                    st.session_state.boundaries = mine
                    st.session_state.pop("control_layers", None)
                    st.rerun()
                except (AtlasError, OSError, ValueError) as exc:
                    st.error(plain(exc))
                except Exception as exc:  # noqa: BLE001 (st.rerun's own exception is not an Exception)
                    st.error(failed(t("Loading the boundaries"), exc, t=t))
        if BOUNDARIES is not None and st.button(t("Back to the built-in approximate boundaries"), key="reset_bounds"):
            st.session_state.pop("boundaries", None)
            st.session_state.pop("control_layers", None)
            st.rerun()
        cfile = st.file_uploader(t("Control areas (GeoJSON, one feature per period)"), type=["geojson", "json"],
                                 key="control_upload")
        how = st.radio(t("Your areas"), ["add to the defaults", "replace the defaults"], key="control_how",
                       horizontal=True, format_func={"add to the defaults": t("add to the defaults"),
                                                     "replace the defaults": t("replace the defaults")}.get)
        if cfile is not None and st.button(t("Load control areas"), key="load_control"):
            with tempfile.TemporaryDirectory() as tmp:
                try:
                    mine = control.read_control(saved_upload(cfile, tmp))
                    st.session_state.control_layers = control.combine(control.default_layers(boundaries=BOUNDARIES), mine,
                                                                      replace=how.startswith("replace"),
                                                                      file=cfile.name)
                    st.rerun()
                except (AtlasError, OSError, ValueError) as exc:
                    st.error(plain(exc))
                except Exception as exc:  # noqa: BLE001
                    st.error(failed(t("Loading the control areas"), exc, t=t))
    st.caption(t("Data version {version} · {stored}", version=iso(FACTS["data_version"]),
                 stored=t.plural("{n} incident stored", "{n} incidents stored", FACTS["incidents"])))


# ----------------------------------------------------------------------------------------------
# Time bar
# ----------------------------------------------------------------------------------------------
st.title(t("Kirkuk incident atlas"))
top = st.columns([1.1, 3.2, 1.4])
MODES = {"window": t("window"), "as of": t("as of")}
mode = top[0].radio(t("Time"), list(MODES), key="mode", horizontal=True, format_func=MODES.get)
to_link("mode", mode, default="window")
if mode == "window":
    start, end = top[1].slider(t("Window"), min_value=FIRST, max_value=LAST, key="window", format="YYYY-MM-DD",
                               bind="query-params")
    trail = None
else:
    asof = top[1].slider(t("As of"), min_value=FIRST, max_value=LAST, key="asof", format="YYYY-MM-DD",
                         bind="query-params")
    from_link("trail", TRAILS, default="last 90 days")
    trail = top[0].selectbox(t("Trailing window"), list(TRAILS), key="trail", format_func=t)
    to_link("trail", trail, default="last 90 days")
    start, end = asof - dt.timedelta(days=TRAILS[trail] - 1), asof


def _change(choice: str) -> str:
    """A control change as the jump list shows it: its date in the reader's language, its description."""
    if not choice:
        return t("— choose a date —")
    day, _, said = choice.partition(" — ")
    return f"{iso(t.date(pd.Timestamp(day), 'day'))} — {said}" if t.rtl else choice


top[2].selectbox(t("Jump to a control change"),
                 [""] + [f"{r.date:%Y-%m-%d} — {r.description}" for r in CHANGES.itertuples()],
                 key="jump_to", on_change=jump, format_func=_change)
buttons = st.container(key="steps").columns(7)  # runs left to right in every language, like the slider
for col, (label, months) in zip(buttons, [(t("− year"), -12), (t("− month"), -1), (t("+ month"), 1),
                                          (t("+ year"), 12)]):
    col.button(label, on_click=step, args=(months,), key=f"step{months}", width="stretch")
buttons[4].toggle(t("▶ Play"), key="playing")
speed = buttons[5].selectbox(t("Speed"), list(SPEEDS), index=1, key="speed", label_visibility="collapsed",
                             format_func=t)
STEPS = {"month": t("month"), "year": t("year")}
buttons[6].selectbox(t("Step"), list(STEPS), key="play_step", label_visibility="collapsed", format_func=STEPS.get)


@st.fragment(run_every=SPEEDS[speed] if st.session_state.playing else None)
def player() -> None:
    """While playing, advance the date one step per tick and rerun the page (the map keeps its zoom).

    The fragment's body also runs on every full rerun: steps are paced by the clock, so the rerun a
    step triggers does not step again."""
    if not st.session_state.playing:
        return
    now = time.monotonic()
    if now - st.session_state.get("last_tick", 0.0) < 0.9 * SPEEDS[speed]:
        return
    st.session_state.last_tick = now
    months = 12 if st.session_state.get("play_step") == "year" else 1
    at_end = (st.session_state.asof if st.session_state.mode == "as of" else st.session_state.window[1]) >= LAST
    if at_end:
        st.session_state.stop_playing = True
    else:
        st.session_state.pending_step = months  # applied at the top of the next run, before the slider exists
    st.rerun()


player()
# The view on screen, as one value: what the link, the selection and every export are made of.
V = view.View(mode=mode, window=(start, end) if mode == "window" else st.session_state.window,
              asof=end if mode == "as of" else st.session_state.asof, trail_days=TRAILS[trail] if trail else 90,
              event_types=tuple(types), sub_event_types=tuple(sub_types), actors=tuple(actors), actor_ids=tuple(actor_ids),
              districts=tuple(districts), sub_districts=tuple(sub_districts), controllers=tuple(controllers),
              min_killed=int(min_killed or 0), text=text or "", datasets=tuple(datasets), show_control=show_control,
              heat=heat, raw=RAW, lang=LANG, selected=st.session_state.get("selected"))
ON = end  # the date whose areas of control are drawn


def period(v: view.View) -> str:
    """The view's dates in words, in the reader's language ('As of 30 Sep 2021 (last 30 days)')."""
    if LANG == i18n.SOURCE:
        return v.label()
    if v.mode == "as of":
        trail = next((k for k, n in TRAILS.items() if n == v.trail_days), None)
        return t("As of {date} ({trail})", date=iso(t.date(v.end)),
                 trail=t(trail) if trail else t.plural("last {n} day", "last {n} days", v.trail_days))
    return iso(f"{t.date(v.start)} – {t.date(v.end)}")


label = period(V)


# ----------------------------------------------------------------------------------------------
# Selection
# ----------------------------------------------------------------------------------------------
SEARCH = search_index(STORE, FACTS["data_version"], DECIDED, RAW, BOUNDS, BOUNDARIES) if text else None
VIEW = view.select(DATA, V, search=SEARCH)          # the map, counts, table and every export
AREAS = control.control_at(ON, layers=LAYERS) if show_control else LAYERS.iloc[0:0]
TABLE = incident_table(VIEW, lang=LANG)
st.session_state.setdefault("selected", st.query_params.get("sel"))
take_clicks(TABLE)
V = view.with_changes(V, selected=st.session_state.get("selected"))

st.markdown(f"### {label}")
# Playback and "as of": the notes of the month up to the date shown (a user's, else the control changes),
# in one container that is always there: elements added before the map would make Streamlit re-create it.
with st.container(key="notes_shown"):
    if V.mode == "as of":
        for note in NOTES[(NOTES["date"] > V.end - pd.Timedelta(days=31)) & (NOTES["date"] <= V.end)].itertuples():
            st.caption(plain(f"📌 {iso(t.date(note.date))}: {iso(note.text) if t.rtl else note.text}"))


# ----------------------------------------------------------------------------------------------
# Map
# ----------------------------------------------------------------------------------------------
if "view0" not in st.session_state:
    st.session_state.view0 = {"lat": link_number("lat", mapview.CENTER[0], -85, 85, t=t),
                              "lon": link_number("lon", mapview.CENTER[1], -180, 180, t=t),
                              "z": link_number("z", mapview.ZOOM, 5, 18, whole=True, t=t)}
v0 = st.session_state.view0
for note in st.session_state.pop("link_notes", []):
    st.caption(plain(note))
ZOOM = int((st.session_state.get("map") or {}).get("zoom") or v0["z"])  # the map's zoom after the last move
base = mapview.build_map(boundaries=boundaries.resolve(BOUNDARIES), places=label_places(), assets_url=ASSETS, lang=LANG,
                         center=(v0["lat"], v0["lon"]), zoom=v0["z"])
# The credits ACLED, GTD and UCDP ask for, with the access date and this view's filters in words.
ACCESSED = access_dates(STORE, FACTS["data_version"])
CREDITS = exports.credits(exports.datasets_of(VIEW), accessed=ACCESSED,
                          filters=labels.filters_text(V.filters(), start=V.start, end=V.end, lang=LANG))
left, right = st.columns([3, 1.25])
with left:
    out = st_folium(base, key="map", height=620, use_container_width=True,
                    feature_group_to_add=[mapview.control_layer(AREAS, lang=LANG),
                                          mapview.incident_layer(
                                              mapview.in_view(VIEW, (st.session_state.get("map") or {}).get("bounds")),
                                              heat=heat, zoom=ZOOM, selected=V.selected, assets_url=ASSETS,
                                              attribution=CREDITS, lang=LANG)],
                    returned_objects=["last_active_drawing", "center", "zoom", "bounds"])
    if out and out.get("center") and out.get("zoom"):
        st.query_params["lat"] = f"{out['center']['lat']:.4f}"
        st.query_params["lon"] = f"{out['center']['lng']:.4f}"
        st.query_params["z"] = str(out["zoom"])
    for line in CREDITS:
        st.caption(plain(line))
    if VIEW.empty:
        st.info(t("No incident matches these filters in {period}. Widen the window or clear a filter.", period=label))
    if show_control and AREAS.empty:
        st.caption(t("No area of control is recorded for {date}.", date=iso(t.date(ON))))


# ----------------------------------------------------------------------------------------------
# Counts, timeline, table
# ----------------------------------------------------------------------------------------------
with right:
    if st.session_state.get("cluster"):
        here = mapview.in_cell(VIEW, **st.session_state.cluster)
        if len(here):
            names = {r.incident_id: " — ".join(iso(x) for x in (
                         labels.date_label(r.date_start, r.date_end, r.date_precision, lang=LANG), r.place,
                         _word(r.event_type)))
                     + f" ({iso(r.incident_id)})" for r in here.itertuples()}
            st.selectbox(t.plural("{n} incident at the clicked spot", "{n} incidents at the clicked spot", len(here)),
                         list(names), format_func=names.get, key="cluster_pick", index=None,
                         placeholder=t("Choose one to see its details"))
    totals = query.totals(VIEW)
    st.metric(t("Incidents"), f"{totals['incidents']:,}")

    def toll(word: str) -> str:
        """'186 – 378', or '186 – 378 or more' when some report gave only a floor ('at least 12')."""
        span = iso(f"{totals[word + '_low']:,} – {totals[word + '_high']:,}")
        return t("{range} or more", range=span) if totals[word + "_open"] else span

    st.metric(t("Killed (low – high)"), toll("killed"),
              help=t.plural("{n} incident with no reported toll is not counted",
                            "{n} incidents with no reported toll are not counted", totals["killed_unknown"]))
    st.metric(t("Wounded (low – high)"), toll("wounded"))
    if not AREAS.empty:
        st.caption(t("Areas of control on {date}", date=iso(t.date(ON))))
        for line in control.summarise(AREAS, lang=LANG):   # held areas apart from insurgent activity / influence
            st.caption(plain(f"• {line}"))
    DETAILS = st.container()  # filled at the end of the page, once every way of picking has been applied

monthly = monthly_counts(STORE, FACTS["data_version"], DECIDED, RAW, BOUNDS,   # the same filters at every date
                         json.dumps(V.filters(), default=str, sort_keys=True), V, BOUNDARIES)
if not monthly.empty:
    long = monthly.reset_index().melt("month", var_name="type", value_name="incidents")
    long = long[long["incidents"] > 0]
    # The tooltips read the month and the type in the reader's language; colours stay keyed by the English type.
    long = long.assign(shown_month=[t.date(m, "month") for m in long["month"]],
                       shown_type=[_word(k) for k in long["type"]])
    bars = alt.Chart(long).mark_bar().encode(
        x=alt.X("month:T", title=None, scale=alt.Scale(domain=[str(FIRST), str(LAST)])),
        y=alt.Y("sum(incidents):Q", title=t("Incidents per month")),
        color=alt.Color("type:N", scale=alt.Scale(domain=list(mapview.EVENT_COLOURS),
                                                  range=list(mapview.EVENT_COLOURS.values())), legend=None),
        tooltip=[alt.Tooltip("shown_month:N", title=t("Month")), alt.Tooltip("shown_type:N", title=t("Type")),
                 alt.Tooltip("incidents:Q", title=t("Incidents"))])
    window = alt.Chart(pd.DataFrame({"start": [str(start)], "end": [str(end)]})).mark_rect(
        opacity=0.15, color="#1f4e9c").encode(x="start:T", x2="end:T")
    rules = alt.Chart(CHANGES.assign(date=CHANGES["date"].dt.strftime("%Y-%m-%d"),
                                     shown_date=[t.date(d) for d in CHANGES["date"]])).mark_rule(
        color="#555", strokeDash=[3, 3]).encode(x="date:T", tooltip=[alt.Tooltip("shown_date:N", title=t("Date")),
                                                                     alt.Tooltip("description:N", title=t("Change"))])
    st.altair_chart(window + bars + rules, width="stretch")
    st.caption(t("Monthly incidents by type over the whole period with every filter above except the time "
                 "window; the shaded band is the window, dashed lines are control changes."))
else:
    st.caption(t("No incident matches these filters at any date: no monthly chart."))

st.subheader(t("Incidents in view ({n})", n=f"{len(VIEW):,}"))
if len(VIEW) > TABLE_MAX:
    st.caption(t("The table lists the {n} most recent; narrow the filters or export the selection for all.",
                 n=f"{TABLE_MAX:,}"))
st.dataframe(shown_table(TABLE, t=t), hide_index=True, width="stretch", height=300, key="table", on_select="rerun",
             selection_mode="single-row", column_config=table_columns(t=t))


# ----------------------------------------------------------------------------------------------
# Exports of this view
# ----------------------------------------------------------------------------------------------
def current_view() -> snapshot.View:
    """The view on screen: window, filters, layers and the map's centre and zoom."""
    state = st.session_state.get("map") or {}
    centre = state.get("center") or {"lat": v0["lat"], "lng": v0["lon"]}
    # V itself, framed as on screen: the exports select with the same code as the page.
    return snapshot.view_from(view.with_changes(V, lat=centre["lat"], lon=centre["lng"],
                                                zoom=int(state.get("zoom") or v0["z"])), offline=True)


# What an export was made of: a prepared file is offered only while the view is still the same.
VIEW_KEY = json.dumps([view.to_query(view.with_changes(V, selected=None)), FACTS["data_version"], DECIDED, RAW,
                       BOUNDS, len(LAYERS)], default=str)
STEM = f"kirkuk_{start:%Y%m%d}_{end:%Y%m%d}"


with st.expander(t("Export this view (data, PNG, interactive HTML, PDF briefing, playback)")):
    # Rows whose licence forbids passing them on (ACLED, GTD): said before any file of rows is made,
    # and nothing is made until the user chose what to do with them.
    HELD = exports.restricted_note(VIEW)
    restricted = None
    if HELD:
        st.warning(plain(HELD) + " " + plain(t(
            "Before a file of incidents is made (CSV, GeoJSON, KML, GeoPackage or the interactive HTML), choose "
            "what to do with them. Maps, PNG and PDF carry the credit these data sets ask for.")))
        restricted = st.radio(t("ACLED / GTD rows in files of incidents"), list(exports.RESTRICTED_CHOICES),
                              index=None, key="restricted",
                              format_func=lambda k: t(exports.RESTRICTED_CHOICES[k]))
    data_col, png_col, html_col = st.columns(3)
    with data_col:
        fmt = st.selectbox(t("Incidents in view as"), list(exports.FORMATS), key="export_fmt",
                           format_func=lambda name: t(exports.FORMATS[name].label))
        waiting = bool(HELD) and exports.FORMATS[fmt].raw_rows and restricted is None
        if st.button(t("Prepare data file"), key="prep_data", disabled=waiting):
            exported("data", t=t, view_key=VIEW_KEY, stem=STEM, extra=[fmt, restricted],
                     build=lambda: exports.export(FULL.loc[VIEW.index], fmt, restricted=restricted))
        if waiting:
            st.caption(t("Choose above what to do with the ACLED / GTD rows first."))
        if ready := prepared("data", t=t, view_key=VIEW_KEY, extra=[fmt, restricted]):
            (content, ext, mime), stem = ready
            counted = fmt == "counts" or (restricted == "counts" and exports.FORMATS[fmt].raw_rows)
            st.download_button(t("Download {ext}", ext=ext), content,
                               file_name=stem + ("_counts" if counted else "") + ext,
                               mime=mime, key="dl_data")
        if st.button(t("Prepare control areas (GeoJSON)"), key="prep_control"):
            def window_areas():
                live = LAYERS[(LAYERS["valid_from"] <= pd.Timestamp(end)) &
                              (LAYERS["valid_to"].isna() | (LAYERS["valid_to"] > pd.Timestamp(start)))]
                return control.export_geojson(live)
            exported("control", t=t, view_key=VIEW_KEY, stem=STEM, build=window_areas)
        if ready := prepared("control", t=t, view_key=VIEW_KEY):
            st.download_button(t("Download control areas"), ready[0], file_name=f"control_{ready[1]}.geojson",
                               mime="application/geo+json", key="dl_control")
    with png_col:
        snapshot_panel(FULL, current_view(), layers=LAYERS, boundaries=BOUNDARIES, data_version=FACTS["data_version"],
                       accessed=ACCESSED, view_key=VIEW_KEY, stem=STEM, t=t)
    with html_col:
        st.caption(t("One HTML file with its own time slider, for e-mail; opens offline. Each date shows the "
                     "incidents of the {n} days up to it.", n=TRAILS[trail] if trail else 90))
        html_waiting = bool(HELD) and restricted in (None, "counts")
        if st.button(t("Make interactive HTML"), key="prep_html", disabled=html_waiting):
            exported("html", t=t, view_key=VIEW_KEY, stem=STEM, extra=[restricted],
                     build=lambda: snapshot.interactive_html(
                exports.without_restricted(FULL) if restricted == "omit" else FULL, current_view(), layers=LAYERS,
                boundaries=BOUNDARIES, data_version=FACTS["data_version"], accessed=ACCESSED, notes=NOTES,
                trail_days=TRAILS[trail] if trail else 90).encode("utf-8"))
        if html_waiting:
            st.caption(t("The HTML holds the incidents row by row: choose above to leave the ACLED / GTD rows out "
                         "or to include them.") if restricted else t("Choose above what to do with the ACLED / GTD "
                                                                     "rows first."))
        if ready := prepared("html", t=t, view_key=VIEW_KEY, extra=[restricted]):
            st.download_button(t("Download HTML"), ready[0], file_name=ready[1] + ".html", mime="text/html",
                               key="dl_html")
    briefing_panel(FULL, current_view(), start=start, end=end, trail_days=TRAILS.get(trail, 90) if trail else 90,
                   layers=LAYERS, boundaries=BOUNDARIES, notes=NOTES, data_version=FACTS["data_version"],
                   accessed=ACCESSED, view_key=VIEW_KEY, stem=STEM, t=t)
    compare_panel(FULL, V, layers=LAYERS, boundaries=BOUNDARIES, data_version=FACTS["data_version"],
                  accessed=ACCESSED, view_key=VIEW_KEY, stem=STEM, t=t)
    playback_panel(FULL, current_view(), start=start, end=end, trail_days=TRAILS.get(trail, 90) if trail else 90,
                   layers=LAYERS, boundaries=BOUNDARIES, data_version=FACTS["data_version"], accessed=ACCESSED,
                   notes=NOTES, view_key=VIEW_KEY, stem=STEM, t=t)
    notes_panel(STORE, NOTES, t=t)
    for name in ("data", "control", "png", "html", "pdf", "compare", "animation"):
        if st.session_state.get(f"export_{name}_error"):
            st.error(st.session_state[f"export_{name}_error"])


with DETAILS:
    st.subheader(t("Details"))
    if V.selected:
        st.query_params["sel"] = V.selected
        shown = details(FULL, V.selected, members=MATCHED["members"], t=t)
        if shown is not None:
            review(shown, members=MATCHED["members"], possible=MATCHED["possible"], store_path=STORE, t=t)
            edit_panel(STORE, source_rows(shown, MATCHED["members"]), who=WHO, t=t)
    else:
        st.caption(t("Click an incident on the map or a row in the table to see its details and sources."))

memory.release()   # the previous rerun's leftovers back to the system before the next step
