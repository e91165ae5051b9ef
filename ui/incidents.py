"""The incidents of the view as the page lists them: the table, what the user picked, the details."""
from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from events import model
from geo import mapview


TABLE_MAX = 2_000  # the table lists the most recent incidents; exports carry the whole selection


def incident_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The table's rows: the most recent TABLE_MAX incidents, dates and tolls as text."""
    listed = frame.nlargest(TABLE_MAX, "date_start") if len(frame) > TABLE_MAX else frame
    table = listed.assign(date=[mapview.date_label(a, b, p) for a, b, p in
                                zip(listed["date_start"], listed["date_end"], listed["date_precision"])],
                          killed=[mapview.killed_text(a, b, c) for a, b, c in
                                  zip(listed["killed_low"], listed["killed_best"], listed["killed_high"])])
    return table[["incident_id", "date", "place", "place_ar", "admin2", "event_type", "sub_event_type", "actor1",
                  "actor2", "killed", "wounded", "controller", "source_dataset"]].reset_index(drop=True)


def take_clicks(table: pd.DataFrame) -> None:
    """Apply the last click on the map and the last table pick. Their widget state arrives with this
    run, so applying it before anything is drawn lets the map highlight and the details panel show
    the new choice at once."""
    props = ((st.session_state.get("map") or {}).get("last_active_drawing") or {}).get("properties") or {}
    click = props.get("id") or props.get("cell")
    if click and click != st.session_state.get("clicked"):
        st.session_state.clicked = click
        if props.get("kind") == "incident":
            st.session_state.selected, st.session_state.cluster = props["id"], None
        elif props.get("kind") == "cluster":
            st.session_state.cluster = {"cell": props["cell"], "zoom": props["z"], "cell_px": props.get("px", 22)}
    pick = st.session_state.get("cluster_pick")  # an incident chosen in the list of a clicked circle
    if pick and pick != st.session_state.get("cluster_taken"):
        st.session_state.cluster_taken = st.session_state.selected = pick
    rows = ((st.session_state.get("table") or {}).get("selection") or {}).get("rows") or []
    if rows and rows[0] < len(table) and table.loc[rows[0], "incident_id"] != st.session_state.get("table_pick"):
        st.session_state.table_pick = st.session_state.selected = table.loc[rows[0], "incident_id"]


def _cell(value) -> str:
    """A value as escaped HTML; each line takes the direction of its own first letter (Arabic or Latin)."""
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA else str(value)
    if not text:
        return "—"
    return "<br>".join(f'<span dir="auto">{html.escape(line)}</span>' for line in text.split("\n"))


def details(frame: pd.DataFrame, incident_id: str) -> None:
    """The details panel of one incident of `frame`: every field, notes and linked sources."""
    row = frame[frame["incident_id"] == incident_id]
    if row.empty:
        st.info("The selected incident is not in the data any more.")
        return
    r = row.iloc[0]
    sources = []
    for c in model.parse_sources(r["sources"]):
        title = html.escape(c.get("title") or c.get("publisher") or c.get("url") or "source")
        extra = html.escape(" · ".join(x for x in (c.get("publisher"), c.get("date")) if x and x != c.get("title")))
        url = c.get("url") or ""
        link = (f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener">{title}</a>'
                if url.startswith(("http://", "https://")) else title)
        sources.append(f"<li>{link}{' — ' + extra if extra else ''}</li>")
    lines = [
        ("Date", f"{mapview.date_label(r.date_start, r.date_end, r.date_precision)} (known to the {r.date_precision})"),
        ("Place", None), ("Location precision", mapview.PRECISION_LABELS.get(int(r.geo_precision), "")),
        ("District / sub-district", " / ".join(x for x in (r.admin2, r.admin3) if isinstance(x, str))),
        ("Type", f"{r.event_type} — {r.sub_event_type}" if isinstance(r.sub_event_type, str) else r.event_type),
        ("Target", r.target), ("Actors", " vs ".join(x for x in (r.actor1, r.actor2) if isinstance(x, str))),
        ("Killed", mapview.killed_text(r.killed_low, r.killed_best, r.killed_high)),
        ("Wounded", mapview.killed_text(r.wounded_low, r.wounded, r.wounded_high)),
        ("Controlled by then", f"{r.controller}" + (f" ({r.control_type})" if r.control_type else "")),
        ("Confidence", r.confidence), ("Data set", f"{r.source_dataset} · {r.incident_id}"),
    ]
    body = []
    for key, value in lines:
        if key == "Place":
            body.append(f"<tr><th>Place</th><td>{_cell(r.place)}<br>{_cell(r.place_ar)}</td></tr>")
        else:
            body.append(f"<tr><th>{html.escape(key)}</th><td>{_cell(value)}</td></tr>")
    notes = _cell(r.notes)
    # st.html: HTML made of escaped pieces, never read as Markdown (a blank line in a note cannot
    # turn the rest into a Markdown image that the browser would fetch).
    st.html(f'<div id="details-panel"><table>{"".join(body)}</table>'
            f"<p><b>Notes</b><br>{notes}</p><p><b>Sources</b></p><ul>{''.join(sources)}</ul></div>")
