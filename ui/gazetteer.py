"""The sidebar's gazetteer panel: the user's own gazetteers (upload, list, remove).

Their places are stored in the incident store with their file and licence note; every later
geocode and import with that store uses them (geo.gazetteer.gazetteer_for)."""
from __future__ import annotations

import tempfile

import streamlit as st

from events import store
from events.errors import AtlasError
from geo import gazetteer
from ui.messages import failed, plain
from ui.uploads import saved_upload

GAZETTEER_TYPES = ["txt", "tsv", "csv", "xlsx", "zip"]
FORMAT_LABELS = {"auto": "detect it", "geonames": "GeoNames dump (IQ.txt)", "ocha": "OCHA COD populated places",
                 "dtm": "IOM DTM location master list", "table": "another table (name its columns below)"}


def gazetteer_panel(store_path: str) -> None:
    """Upload a gazetteer file, see the ones stored, remove one."""
    upload = st.file_uploader("Gazetteer file (GeoNames IQ.txt, OCHA populated places, IOM DTM master list, "
                              "any CSV or Excel table with names and coordinates)", type=GAZETTEER_TYPES,
                              key="gaz_upload")
    fmt = st.selectbox("What it is", list(FORMAT_LABELS), format_func=FORMAT_LABELS.get, key="gaz_format")
    cols = st.columns(2)
    name = cols[0].text_input("Name column", key="gaz_name", placeholder="found by its usual name")
    name_ar = cols[1].text_input("Arabic name column", key="gaz_name_ar", placeholder="found by its usual name")
    lat = cols[0].text_input("Latitude column", key="gaz_lat", placeholder="found by its usual name")
    lon = cols[1].text_input("Longitude column", key="gaz_lon", placeholder="found by its usual name")
    if st.button("Add to my gazetteers", disabled=upload is None, key="gaz_import"):
        st.session_state.gaz_result = _import(store_path, upload, format=fmt, name=name.strip() or None,
                                              name_ar=name_ar.strip() or None, lat=lat.strip() or None,
                                              lon=lon.strip() or None)
    result = st.session_state.get("gaz_result")
    if isinstance(result, str):
        st.error("Nothing was stored: " + plain(result))
    elif result is not None:
        st.success(plain(f"{result['file']}: {result['entries']:,} places stored ({result['format']}); "
                         f"{result['outside']:,} outside the study area left out, {result['refused']:,} rows refused."))
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
        st.caption("No gazetteer of your own yet: the built-in places and those learnt from your imports are used.")
        return
    st.dataframe(listed[["id", "file", "format", "entries", "imported_at", "licence"]], hide_index=True,
                 key="gaz_list")
    choices = {f"{r.id} — {r.file}": int(r.id) for r in listed.itertuples()}
    chosen = st.selectbox("Gazetteer", list(choices), key="gaz_remove_choice")
    if st.button("Remove it and its places", key="gaz_remove"):
        try:
            removed = store.remove_gazetteer(store_path, choices[chosen])
            st.session_state.gaz_result = None
            st.session_state.gaz_removed = f"{chosen}: removed with its {removed:,} places."
        except AtlasError as exc:
            st.session_state.gaz_removed = str(exc)
        st.rerun()


def _import(store_path: str, upload, **options):
    """The stored gazetteer's summary, or one line saying why nothing was stored."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = saved_upload(upload, tmp)
            return gazetteer.import_gazetteer(store_path, path, file=path.name, **options)
        except (AtlasError, gazetteer.GazetteerFileError, OSError, ValueError) as exc:
            return str(exc)
        except Exception as exc:  # the user's page never shows a traceback
            return failed("Reading the gazetteer", exc)
