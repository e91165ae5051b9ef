"""Correcting an incident from its details panel (team mode): the fields an analyst may correct, a required
reason, the incident's history (who, when, old -> new, why) with a revert per change. What the signed-in
role may not do is not shown; the store enforces it anyway (events.roles on PostGIS). The decisions are
events.edits' (validated as an import row is, an append-only trail, a stale form told who changed what);
this module only draws the form and says the outcome."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from events import edits
from events.errors import AtlasError
from i18n import N_, Translator, isolate
from ui.messages import plain

# The fields of the form, in the order a reader checks a report, with their labels.
FIELDS = {"date_start": N_("First day (YYYY-MM-DD)"), "date_end": N_("Last day (YYYY-MM-DD)"),
          "date_precision": N_("Date known to the (day, week, month, year)"),
          "place": N_("Place"), "place_ar": N_("Place in Arabic"), "lat": N_("Latitude"), "lon": N_("Longitude"),
          "geo_precision": N_("Location precision (1 exact – 4 governorate)"),
          "killed_low": N_("Killed, lowest report"), "killed_best": N_("Killed, best estimate"),
          "killed_high": N_("Killed, highest report"), "wounded_low": N_("Wounded, lowest report"),
          "wounded_high": N_("Wounded, highest report"), "actor1": N_("Actor 1"), "actor2": N_("Actor 2"),
          "confidence": N_("Confidence (high, medium, low)"), "notes": N_("Notes"),
          "sources": N_("Sources (the citations as JSON)")}
CAN_EDIT = ("analyst", "admin")
ROLES = {"viewer": N_("viewer"), "analyst": N_("analyst"), "admin": N_("admin"), None: N_("no role")}


def signed_in(who: dict, *, t: Translator) -> str:
    """'Signed in as amira (analyst)' for a store that names its users (PostGIS); '' for a GeoPackage."""
    if not who.get("user"):
        return ""
    name = isolate(who["user"]) if t.rtl else who["user"]   # a name keeps its own direction in Arabic
    return t("Signed in as {user} ({role})", user=name, role=t(ROLES.get(who.get("role"), ROLES[None])))


def source_rows(row: pd.Series, members: pd.DataFrame | None) -> list[str]:
    """The stored source rows behind the incident shown: each member of a fused event, primary first, else
    the row itself (a correction is made to what a source said, never to the fused summary)."""
    cid = row.get("cluster_id")
    if members is not None and len(members) and isinstance(cid, str):
        part = members.loc[members["cluster_id"] == cid, "incident_id"].tolist()
        if part:
            return list(dict.fromkeys(part))
    return [row["incident_id"]]


def edit_panel(store_path, incident_ids: list[str], *, who: dict, t: Translator) -> None:
    """The correction form and history of one of `incident_ids` (the source rows of the incident shown);
    `who`: events.roles.whoami of the store ({"user", "role"})."""
    if said := st.session_state.pop("edit_said", None):
        st.success(plain(said))
    if who.get("role") not in CAN_EDIT:
        st.caption(plain(t("Signed in as {user} ({role}): you can read, not correct, incidents.",
                           user=(isolate if t.rtl else str)(who.get("user") or "?"),
                           role=t(ROLES.get(who.get("role"), ROLES[None])))))
        return
    with st.expander(t("Correct this incident (kept with who, when and why)")):
        target = (st.selectbox(t("Source row to correct"), incident_ids, key="edit_target")
                  if len(incident_ids) > 1 else incident_ids[0])
        try:
            stored = edits.current(store_path, target)
        except AtlasError as exc:
            st.error(plain(str(exc)))
            return
        # what this form showed: an edit is checked against it, so a change made meanwhile is told, not overwritten
        seen = st.session_state.setdefault(f"edit_seen|{target}", stored)
        with st.form(key=f"edit_form|{target}", border=False):
            typed = {f: st.text_area(t(label), value=seen.get(f) or "", key=f"edit|{target}|{f}")
                     if f in ("notes", "sources") else
                     st.text_input(t(label), value=seen.get(f) or "", key=f"edit|{target}|{f}")
                     for f, label in FIELDS.items()}
            reason = st.text_input(t("Why (required; kept with the change)"), max_chars=edits.MAX_REASON,
                                   key=f"edit_reason|{target}")
            by = who.get("user") or st.text_input(t("Your name (kept with the change)"), max_chars=edits.MAX_EDITOR,
                                                  key="editor")
            saved = st.form_submit_button(t("Save the correction"))
        if saved:
            _save(store_path, target, typed, seen=seen, reason=reason, by=by, t=t)
        _history(store_path, target, by=by, t=t)


def _save(store_path, target: str, typed: dict, *, seen: dict, reason: str, by: str, t: Translator) -> None:
    changes = {f: (v.strip() or None) for f, v in typed.items() if (v.strip() or None) != seen.get(f)}
    if not changes:
        st.info(t("Nothing changed."))
        return
    try:
        done = edits.edit(store_path, target, changes, reason=reason, by=by, seen=seen)
    except edits.EditConflict as exc:
        st.session_state.pop(f"edit_seen|{target}", None)   # show what is stored now
        st.error(plain(t("Not saved: {reason} The form now shows the stored values.", reason=str(exc))))
        return
    except AtlasError as exc:
        st.error(plain(t("Not saved: {reason}", reason=str(exc))))
        return
    st.session_state.pop(f"edit_seen|{target}", None)
    st.session_state.edit_said = t.plural("{n} field corrected.", "{n} fields corrected.", len(done["edits"]))
    st.rerun()   # every part of the page (map, counts, exports) from the corrected data


def _history(store_path, target: str, *, by: str, t: Translator) -> None:
    past = edits.history(store_path, target)
    if past.empty:
        return
    st.markdown("**" + plain(t("History of this incident")) + "**")
    shown = pd.DataFrame({t("When"): past["at"], t("Who"): past["by"], t("Field"): [t(FIELDS.get(f, f)) for f in past["field"]],
                          t("Was"): past["old"], t("Now"): past["new"], t("Why"): past["reason"]})
    st.dataframe(shown, hide_index=True, width="stretch")
    undo = st.selectbox(t("Change to undo"), list(past["id"]), key=f"revert_id|{target}",
                        format_func=lambda i: isolate(f"#{i}"))
    why = st.text_input(t("Why undo it (required)"), max_chars=edits.MAX_REASON, key=f"revert_reason|{target}")
    if st.button(t("Undo this change"), key=f"revert|{target}"):
        try:
            edits.revert(store_path, undo, by=by, reason=why)
        except AtlasError as exc:
            st.error(plain(t("Not undone: {reason}", reason=str(exc))))
            return
        st.session_state.pop(f"edit_seen|{target}", None)
        st.session_state.edit_said = t("Change #{id} undone.", id=int(undo))
        st.rerun()
