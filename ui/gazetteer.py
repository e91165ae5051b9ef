"""The sidebar's gazetteer panel: the user's own gazetteers (upload, list, remove).

Their places are stored in the incident store with their file and licence note; every later
geocode and import with that store uses them (geo.gazetteer.gazetteer_for)."""
from __future__ import annotations

import tempfile

import streamlit as st

import i18n

from events import store
from events.errors import AtlasError
from geo import gazetteer
from i18n import N_, Translator, translator
from ui.messages import failed, plain
from ui.uploads import saved_upload

GAZETTEER_TYPES = ["txt", "tsv", "csv", "xlsx", "zip"]
FORMAT_LABELS = {"auto": N_("detect it"), "geonames": N_("GeoNames dump (IQ.txt)"),
                 "ocha": N_("OCHA COD populated places"), "dtm": N_("IOM DTM location master list"),
                 "table": N_("another table (name its columns below)")}
LIST_COLUMNS = {"id": N_("Number"), "file": N_("File"), "format": N_("Format"), "entries": N_("Places"),
                "imported_at": N_("Imported"), "licence": N_("Licence")}


def gazetteer_panel(store_path: str, *, t: Translator = translator()) -> None:
    """Upload a gazetteer file, see the ones stored, remove one."""
    upload = st.file_uploader(t("Gazetteer file (GeoNames IQ.txt, OCHA populated places, IOM DTM master list, "
                                "any CSV or Excel table with names and coordinates)"), type=GAZETTEER_TYPES,
                              key="gaz_upload")
    fmt = st.selectbox(t("What it is"), list(FORMAT_LABELS), format_func=lambda k: t(FORMAT_LABELS[k]),
                       key="gaz_format")
    cols = st.columns(2)
    usual = t("found by its usual name")
    name = cols[0].text_input(t("Name column"), key="gaz_name", placeholder=usual)
    name_ar = cols[1].text_input(t("Arabic name column"), key="gaz_name_ar", placeholder=usual)
    lat = cols[0].text_input(t("Latitude column"), key="gaz_lat", placeholder=usual)
    lon = cols[1].text_input(t("Longitude column"), key="gaz_lon", placeholder=usual)
    if st.button(t("Add to my gazetteers"), disabled=upload is None, key="gaz_import"):
        st.session_state.gaz_result = _import(store_path, upload, t=t, format=fmt, name=name.strip() or None,
                                              name_ar=name_ar.strip() or None, lat=lat.strip() or None,
                                              lon=lon.strip() or None)
    result = st.session_state.get("gaz_result")
    if isinstance(result, str):
        st.error(plain(t("Nothing was stored: {reason}", reason=result)))
    elif result is not None:
        iso = i18n.isolate if t.rtl else str
        st.success(plain(t("{file}: {entries} places stored ({format}); {outside} outside the study area left out, "
                           "{refused} rows refused.", file=iso(result["file"]), entries=f"{result['entries']:,}",
                           format=iso(result["format"]), outside=f"{result['outside']:,}",
                           refused=f"{result['refused']:,}")))
        for line in result["problems"][:10]:
            st.caption(plain(line))
    if said := st.session_state.pop("gaz_removed", None):
        st.info(plain(said))
    try:
        listed = store.gazetteers(store_path)
    except AtlasError as exc:
        st.error(plain(exc))
        return
    if listed.empty:
        st.caption(t("No gazetteer of your own yet: the built-in places and those learnt from your imports are used."))
        return
    st.dataframe(listed[list(LIST_COLUMNS)], hide_index=True, key="gaz_list",
                 column_config={c: st.column_config.Column(t(label)) for c, label in LIST_COLUMNS.items()})
    choices = {f"{r.id} — {r.file}": int(r.id) for r in listed.itertuples()}
    chosen = st.selectbox(t("Gazetteer"), list(choices), key="gaz_remove_choice")
    if st.button(t("Remove it and its places"), key="gaz_remove"):
        try:
            removed = store.remove_gazetteer(store_path, choices[chosen])
            st.session_state.gaz_result = None
            st.session_state.gaz_removed = t("{gazetteer}: removed with its {n} places.",
                                             gazetteer=i18n.isolate(chosen) if t.rtl else chosen, n=f"{removed:,}")
        except AtlasError as exc:
            st.session_state.gaz_removed = str(exc)
        st.rerun()


def _import(store_path: str, upload, *, t: Translator, **options):
    """The stored gazetteer's summary, or one line saying why nothing was stored."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = saved_upload(upload, tmp)
            return gazetteer.import_gazetteer(store_path, path, file=path.name, **options)
        except (AtlasError, gazetteer.GazetteerFileError, OSError, ValueError) as exc:
            return str(exc)
        except Exception as exc:  # the user's page never shows a traceback
            return failed(t("Reading the gazetteer"), exc, t=t)
