"""The incidents of the view as the page lists them: the table, what the user picked, the details."""
from __future__ import annotations

import html

import pandas as pd
import streamlit as st

import i18n
from events import labels, model, store
from events.errors import AtlasError
from i18n import N_
from ui.messages import plain


TABLE_MAX = 2_000  # the table lists the most recent incidents; exports carry the whole selection


def incident_table(frame: pd.DataFrame, *, lang: str = i18n.SOURCE) -> pd.DataFrame:
    """The table's rows: the most recent TABLE_MAX incidents, dates and tolls as text in the language."""
    listed = frame.nlargest(TABLE_MAX, "date_start") if len(frame) > TABLE_MAX else frame
    table = listed.assign(date=[labels.date_label(a, b, p, lang=lang) for a, b, p in
                                zip(listed["date_start"], listed["date_end"], listed["date_precision"])],
                          killed=[labels.killed_text(a, b, c, lang=lang) for a, b, c in
                                  zip(listed["killed_low"], listed["killed_best"], listed["killed_high"])])
    if "datasets" in listed.columns:  # a fused event names every data set that reports it
        table["source_dataset"] = listed["datasets"].astype(object).where(listed["datasets"].notna(),
                                                                          listed["source_dataset"]).to_numpy(object)
    return table[["incident_id", "date", "place", "place_ar", "admin2", "event_type", "sub_event_type", "actor1",
                  "actor2", "killed", "wounded", "controller", "source_dataset"]].reset_index(drop=True)


# The table's columns as the reader sees them (the frame keeps its English names for selection and links).
COLUMN_LABELS = {"incident_id": N_("Incident"), "date": N_("Date"), "place": N_("Place"),
                 "place_ar": N_("Place (Arabic)"),
                 "admin2": N_("District"), "event_type": N_("Event type"), "sub_event_type": N_("Sub-type"),
                 "actor1": N_("Actor 1"), "actor2": N_("Actor 2"), "killed": N_("Killed"), "wounded": N_("Wounded"),
                 "controller": N_("Controlled by"), "source_dataset": N_("Data set")}
WORDS = ("event_type", "sub_event_type")  # data words defined in English (events.model): shown translated


def shown_table(table: pd.DataFrame, *, t: i18n.Translator) -> pd.DataFrame:
    """A display copy of the table in the reader's language: event types and sub-types translated (the
    table itself keeps the English values). Rows and their order are unchanged."""
    if t.lang == i18n.SOURCE:
        return table
    shown = table.copy()
    for column in WORDS:
        shown[column] = [labels.type_name(v, lang=t.lang) for v in shown[column]]
    return shown


def table_columns(*, t: i18n.Translator) -> dict:
    """The table's column headers in the reader's language (st.dataframe's column_config)."""
    return {column: st.column_config.Column(t(label)) for column, label in COLUMN_LABELS.items()}


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


def _citations(sources, t: i18n.Translator) -> list[str]:
    """The citations of a `sources` cell as escaped list items, linked when their URL is http(s)."""
    items = []
    for c in model.parse_sources(sources):
        title = html.escape(c.get("title") or c.get("publisher") or c.get("url") or t("source"))
        extra = html.escape(" · ".join(x for x in (c.get("publisher"), c.get("date")) if x and x != c.get("title")))
        url = c.get("url") or ""
        link = (f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener">{title}</a>'
                if url.startswith(("http://", "https://")) else title)
        items.append(f'<li><bdi>{link}</bdi>{" — <bdi>" + extra + "</bdi>" if extra else ""}</li>')
    return items


def cluster_members(members: pd.DataFrame | None, cluster_id) -> pd.DataFrame:
    """The source rows of one fused event (events.matching.fuse's members table), primary first."""
    if members is None or members.empty or not isinstance(cluster_id, str):
        return pd.DataFrame(columns=[] if members is None else members.columns)
    return members[members["cluster_id"] == cluster_id]


ROLES = {"primary": N_("primary"), "member": N_("member")}       # events.matching.fuse's roles
DECISIONS = {"confirm": N_("confirm"), "split": N_("split"), "merge": N_("merge")}  # events.matching.DECISIONS


def _member_rows(part: pd.DataFrame, t: i18n.Translator) -> str:
    """Every source row of a fused event: id, data set, date, place, tolls and its citations, escaped."""
    rows = []
    for m in part.itertuples(index=False):
        cites = "".join(_citations(m.sources, t))
        facts = [_cell(m.source_dataset), html.escape(t(ROLES.get(m.role, m.role)) if isinstance(m.role, str) else "")]
        if isinstance(m.score, float) and not pd.isna(m.score):
            facts.append(html.escape(t("match {score}", score=f"{m.score:.2f}")))
        if isinstance(m.decision, str):
            facts.append(html.escape(t("reviewed: {decision}", decision=t(DECISIONS.get(m.decision, m.decision)))))
        killed = labels.killed_text(m.killed_low, m.killed_best, m.killed_high, lang=t.lang)
        word = html.escape(t("killed"))
        rows.append(f"<li><b>{_cell(m.incident_id)}</b> ({' · '.join(f'<bdi>{x}</bdi>' for x in facts if x)}): "
                    f"<bdi>{_cell(labels.date_label(m.date_start, m.date_end, 'day', lang=t.lang))}</bdi> · "
                    f"{_cell(m.place)} · {word} <bdi>{_cell(killed)}</bdi>"
                    f"{'<ul>' + cites + '</ul>' if cites else ''}</li>")
    return "".join(rows)


def shown_id(frame: pd.DataFrame, incident_id, members: pd.DataFrame | None) -> str | None:
    """The row of `frame` that shows `incident_id`: itself, or the fused event it is a member of (a link
    naming a source row still opens its event)."""
    if not isinstance(incident_id, str):
        return None
    if (frame["incident_id"] == incident_id).any():
        return incident_id
    if members is not None and not members.empty:
        hit = members.loc[members["incident_id"] == incident_id, "cluster_id"]
        if len(hit) and (frame["incident_id"] == hit.iloc[0]).any():
            return str(hit.iloc[0])
    return None


def details(frame: pd.DataFrame, incident_id: str, *, members: pd.DataFrame | None = None,
            t: i18n.Translator = i18n.translator()) -> pd.Series | None:
    """The details panel of one incident of `frame`, in the reader's language: every field, notes and linked
    sources; for an event several sources report (`members`: events.matching.fuse's table), every source row
    with its citations. Data (names, notes, sources) stays as written, each in its own direction.
    Returns the row shown (None when it is not in the data)."""
    row = frame[frame["incident_id"] == shown_id(frame, incident_id, members)]
    if row.empty:
        st.info(t("The selected incident is not in the data any more."))
        return None
    r = row.iloc[0]
    sources = _citations(r["sources"], t)
    word = lambda v: t(v) if isinstance(v, str) and v else v  # noqa: E731 - data words defined in English
    iso = i18n.isolate if t.rtl else str  # data and numbers keep their own order in a right-to-left sentence
    killed = labels.killed_text(r.killed_low, r.killed_best, r.killed_high, lang=t.lang)
    wounded = labels.killed_text(r.wounded_low, r.wounded, r.wounded_high, lang=t.lang)
    precision = labels.DATE_PRECISION_NAMES.get(r.date_precision, r.date_precision)
    lines = [
        (t("Date"), t("{date} (known to the {precision})", precision=word(precision),
                      date=iso(labels.date_label(r.date_start, r.date_end, r.date_precision, lang=t.lang)))),
        (t("Place"), None),
        (t("Location precision"), labels.precision_labels(lang=t.lang).get(int(r.geo_precision), "")),
        (t("District / sub-district"), " / ".join(x for x in (r.admin2, r.admin3) if isinstance(x, str))),
        (t("Type"), " — ".join(labels.type_name(x, lang=t.lang) for x in (r.event_type, r.sub_event_type)
                               if isinstance(x, str) and x)),
        (t("Target"), r.target),
        (t("Actors"), t(" vs ").join(iso(x) for x in (r.actor1, r.actor2) if isinstance(x, str))),
        (t("Killed"), killed), (t("Wounded"), wounded),
        (t("Controlled by then"), iso(r.controller) + (f" ({word(r.control_type)})" if r.control_type else "")),
        (t("Confidence"), word(r.confidence)),
        (t("Data set"), f"{iso(r.source_dataset)} · {iso(r.incident_id)}"),
    ]
    body = []
    for key, value in lines:
        if value is None:
            body.append(f"<tr><th>{html.escape(key)}</th><td>{_cell(r.place)}<br>{_cell(r.place_ar)}</td></tr>")
        else:
            body.append(f"<tr><th>{html.escape(key)}</th><td>{_cell(value)}</td></tr>")
    matched = r.get("match") if isinstance(r.get("match"), str) else ""
    if matched:
        said = html.escape(t("Matches"))
        body.append(f"<tr><th>{said}</th><td>{_cell(matched)}</td></tr>")
    notes = _cell(r.notes)
    part = cluster_members(members, r.get("cluster_id"))
    said = html.escape(t.plural("Reported by {n} source", "Reported by {n} sources", len(part)))
    reported = (f"<p><b>{said}</b></p><ul id=\"details-members\">{_member_rows(part, t)}</ul>"
                if len(part) > 1 else "")
    notes_word, sources_word = html.escape(t("Notes")), html.escape(t("Sources"))
    # st.html: HTML made of escaped pieces, never read as Markdown (a blank line in a note cannot
    # turn the rest into a Markdown image that the browser would fetch).
    st.html(f'<div id="details-panel" dir="{t.direction}"><table>{"".join(body)}</table>{reported}'
            f"<p><b>{notes_word}</b><br>{notes}</p><p><b>{sources_word}</b></p>"
            f"<ul>{''.join(sources)}</ul></div>")
    return r


def review(row: pd.Series, *, members: pd.DataFrame | None, possible: pd.DataFrame, store_path,
           t: i18n.Translator = i18n.translator()) -> None:
    """Review buttons under an event's details: "Not the same event (split)" for each source row fused into
    it, "Same event (merge)" / split for each possible duplicate, and "Same event (merge)" for each pair a
    stored split keeps apart (so a split can be undone from the page). A decision is stored in the store
    (who: the name typed here) and applies from the next run, re-imports included."""
    cid = row.get("cluster_id") if isinstance(row.get("cluster_id"), str) else row["incident_id"]
    part = cluster_members(members, cid)
    group = set(part["incident_id"]) | {row["incident_id"]}
    fused = [m for m in part["incident_id"] if m != cid]
    near = possible[possible["left"].isin(group) | possible["right"].isin(group)] if len(possible) else possible
    undo = split_pairs(store_path, group)
    if said := st.session_state.pop("review_said", None):
        st.caption(plain(said))
    if error := st.session_state.pop("review_error", None):
        st.error(error)
    if not fused and near.empty and not undo:
        return
    st.markdown("**" + plain(t("Review this match")) + "**")
    st.text_input(t("Your name (kept with the decision)"), key="reviewer", max_chars=store.MAX_REVIEWER)
    iso = i18n.isolate if t.rtl else str
    split, merge = t("Not the same event (split): {id}"), t("Same event (merge): {id}")
    for m in fused:
        st.button(split.format(id=plain(iso(m))), key=f"split|{cid}|{m}", on_click=_decide,
                  args=(store_path, cid, m, "split", t))
    for x, y, score in near[["left", "right", "score"]].itertuples(index=False):
        mine, other = (x, y) if x in group else (y, x)
        st.caption(plain(t("Possible duplicate: {id} (score {score})", id=iso(other), score=f"{score:.2f}")))
        cols = st.columns(2)
        cols[0].button(merge.format(id=plain(iso(other))), key=f"merge|{mine}|{other}", on_click=_decide,
                       args=(store_path, mine, other, "merge", t))
        cols[1].button(split.format(id=plain(iso(other))), key=f"split|{mine}|{other}", on_click=_decide,
                       args=(store_path, mine, other, "split", t))
    for mine, other in undo:
        st.caption(plain(t("Kept apart by a review (split): {id}", id=iso(other))))
        st.button(merge.format(id=plain(iso(other))), key=f"unsplit|{mine}|{other}", on_click=_decide,
                  args=(store_path, mine, other, "merge", t))


def split_pairs(store_path, group: set) -> list[tuple[str, str]]:
    """(one of `group`, the other incident) for each pair whose last stored decision is a split and that
    involves an incident of `group`: the page offers to undo it (a later merge wins)."""
    try:
        decided = store.decisions(store_path)
    except AtlasError:
        return []
    last: dict[frozenset, tuple[str, str, str]] = {}
    for left, right, what in decided[["left", "right", "decision"]].itertuples(index=False):
        last[frozenset((left, right))] = (left, right, what)
    return [(left, right) if left in group else (right, left)
            for left, right, what in last.values() if what == "split" and (left in group or right in group)]


def _decide(store_path, left: str, right: str, decision: str, t: i18n.Translator) -> None:
    """Store one review decision (a button's callback: it runs before the next run reads the data)."""
    try:
        got = store.add_decision(store_path, left, right, decision, by=st.session_state.get("reviewer") or "")
        iso = i18n.isolate if t.rtl else str
        st.session_state.review_said = t("Stored: {left} and {right}: {decision}.", left=iso(got["left"]),
                                         right=iso(got["right"]),
                                         decision=t(DECISIONS.get(got["decision"], got["decision"])))
    except AtlasError as exc:
        st.session_state.review_error = plain(exc)
