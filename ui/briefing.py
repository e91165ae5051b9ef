"""The briefing outputs' controls: the PDF briefing pack, two dates side by side, and the notes on dates
that the briefing, the playback and the HTML export carry (geo.briefing, geo.compare, events.annotations)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from events import annotations
from events.errors import AtlasError
from events.view import FIRST, LAST
from geo import briefing, compare, snapshot
from i18n import N_, Translator, isolate
from ui.downloads import exported, prepared
from ui.messages import plain

PAPERS = {"a4": N_("A4"), "letter": N_("US Letter")}
ORIENTATIONS = {"portrait": N_("portrait"), "landscape": N_("landscape")}
MAX_DATES = 8   # default briefing pages


def notes_panel(store_path: str, notes: pd.DataFrame, *, t: Translator) -> None:
    """Add a note to a date ("16 Oct 2017: federal forces enter Kirkuk") or remove one; the notes are the
    store's, so every analyst of the store sees them in briefings, playback and HTML exports. `notes`: what
    `notes_of` read this run (the store's own are those with an id)."""
    st.markdown("**" + plain(t("Notes on dates")) + "**")
    st.caption(t("A note appears on the briefing page, playback frame and HTML export of its date. The "
                 "control changes are noted by default."))
    with st.form("note_form", clear_on_submit=True, border=False):
        day = st.date_input(t("Date"), value=dt.date(2017, 10, 16), min_value=FIRST, max_value=LAST, key="note_date")
        text = st.text_input(t("Note"), max_chars=annotations.MAX_TEXT, key="note_text",
                             placeholder=t("e.g. federal forces enter Kirkuk"))
        author = st.text_input(t("Author"), max_chars=annotations.MAX_AUTHOR, key="note_author")
        if st.form_submit_button(t("Add note")):
            try:
                annotations.add(store_path, date=day, text=text, author=author)
                st.success(t("Note added."))
            except AtlasError as exc:
                st.error(plain(t("The note was not added: {reason}", reason=str(exc))))
    mine = notes[notes["id"].notna()]
    for note in mine.itertuples():
        left, right = st.columns([5, 1])
        left.caption(plain(f"{_day(note.date, t)} · {isolate(note.text) if t.rtl else note.text}"
                           + (f" ({isolate(note.author) if t.rtl else note.author})" if note.author else "")))
        if right.button(t("Remove"), key=f"note_rm_{int(note.id)}"):
            annotations.remove(store_path, int(note.id))
            st.rerun()


def notes_of(store_path: str, changes: pd.DataFrame) -> pd.DataFrame:
    """The notes every output carries: the store's, then the control changes (`changes`, in the reader's
    language) as the default notes."""
    return annotations.combined(annotations.read(store_path), annotations.defaults(changes))


def briefing_panel(data, view, *, start, end, trail_days: int, layers, boundaries, notes: pd.DataFrame,
                   data_version: str, accessed: dict, view_key: str, stem: str, t: Translator) -> None:
    """The PDF briefing pack: its dates (by default the control changes in the window), author, paper."""
    st.markdown("**" + plain(t("Briefing pack (PDF, one page per date)")) + "**")
    try:
        days = briefing.default_dates(start=start, end=end, layers=layers, boundaries=boundaries, limit=MAX_DATES)
    except AtlasError:
        days = [pd.Timestamp(end)]
    default = ", ".join(f"{d:%Y-%m-%d}" for d in days)
    if st.session_state.get("brief_dates") in (None, st.session_state.get("brief_dates_default")):
        st.session_state.brief_dates = default   # the dates follow the window until the user writes their own
    st.session_state.brief_dates_default = default
    dates = st.text_input(t("Dates (YYYY-MM-DD, comma-separated)"), key="brief_dates",
                          help=t("Default: the control-change dates in the window (the {n} that moved the most "
                                 "areas when there are more)", n=MAX_DATES))
    author = st.text_input(t("Author"), key="brief_author", max_chars=snapshot.TEXT_MAX)
    paper_col, turn_col = st.columns(2)
    paper = paper_col.radio(t("Paper"), list(PAPERS), horizontal=True, key="brief_paper",
                            format_func=lambda k: t(PAPERS[k]))
    orientation = turn_col.radio(t("Orientation"), list(ORIENTATIONS), horizontal=True, key="brief_turn",
                                 format_func=lambda k: t(ORIENTATIONS[k]))
    choices = [dates, author, paper, orientation]
    if snapshot.browser_available() and st.button(t("Render briefing PDF"), key="prep_pdf"):
        bar = st.progress(0.0, text=t("Rendering pages…"))
        exported("pdf", t=t, view_key=view_key, stem=stem, extra=choices, build=lambda: briefing.briefing_pdf(
            data, [d.strip() for d in dates.split(",") if d.strip()], filters=view.filters,
            controllers=view.controllers, layers=layers, boundaries=boundaries,
            data_version=data_version, accessed=accessed, trail_days=trail_days, bounds=snapshot.STUDY_BOUNDS,
            author=author, notes=notes, paper=paper, orientation=orientation, lang=t.lang,
            progress=lambda i, n: bar.progress(i / n, text=t("Page {i} of {n} rendered", i=i, n=n))))
        bar.empty()
    if ready := prepared("pdf", t=t, view_key=view_key, extra=choices):
        st.download_button(t("Download briefing PDF"), ready[0], file_name=f"briefing_{ready[1]}.pdf",
                           mime="application/pdf", key="dl_pdf")


def compare_panel(data, shown, *, layers, boundaries, data_version: str, accessed: dict, view_key: str, stem: str,
                  t: Translator) -> None:
    """Two dates side by side: both maps at one centre and zoom, and what changed between them
    (ground held per controller, incidents in each window), as one PNG or one PDF page."""
    st.markdown("**" + plain(t("Two dates side by side")) + "**")
    first_col, second_col = st.columns(2)
    first = first_col.date_input(t("First date"), value=dt.date(2014, 5, 1), min_value=FIRST, max_value=LAST,
                                 key="cmp_a")
    second = second_col.date_input(t("Second date"), value=dt.date(2017, 12, 1), min_value=FIRST, max_value=LAST,
                                   key="cmp_b")
    kind = st.radio(t("As"), ["png", "pdf"], horizontal=True, key="cmp_kind", format_func=str.upper)
    choices = [str(first), str(second), kind]
    if snapshot.browser_available() and st.button(t("Render the comparison"), key="prep_cmp"):
        def build() -> bytes:
            both = compare.compare(data, view=shown, dates=(first, second), layers=layers, boundaries=boundaries)
            render = compare.compare_png if kind == "png" else compare.compare_pdf
            return render(both, data_version=data_version, accessed=accessed, boundaries=boundaries)
        with st.spinner(t("Rendering both maps in headless Chromium…")):
            exported("compare", t=t, view_key=view_key, stem=stem, extra=choices, build=build)
    if ready := prepared("compare", t=t, view_key=view_key, extra=choices):
        if kind == "png":
            st.image(ready[0], caption=t("{first} and {second}", first=_day(first, t), second=_day(second, t)))
        st.download_button(t("Download the comparison"), ready[0], file_name=f"compare_{ready[1]}.{kind}",
                           mime="image/png" if kind == "png" else "application/pdf", key="dl_cmp")


def _day(value, t: Translator) -> str:
    return f"{pd.Timestamp(value):%d %b %Y}" if t.lang == "en" else isolate(t.date(pd.Timestamp(value)))
