"""A user's uploaded file, saved where the importers can read it, and the sidebar's import panel."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import streamlit as st

from events import area, exports, sources, store
from events.errors import AtlasError
from geo import boundaries as geo_boundaries
from geo import gazetteer
from i18n import N_, Translator, isolate, translator
from ui.messages import failed, plain


def saved_upload(upload, folder: str) -> Path:
    """The uploaded bytes in `folder` under a name the file system accepts (the user's name, cleaned
    of path separators and control characters and shortened, keeping its extension)."""
    name = re.sub(r"[\x00-\x1f\x7f/\\\\]+", "_", Path(str(upload.name)).name).strip(" .") or "upload"
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 10:
        stem, ext = name, ""
    path = Path(folder) / (stem[:100].encode("utf-8")[:180].decode("utf-8", "ignore") + (f".{ext}" if ext else ""))
    path.write_bytes(upload.getvalue())
    return path


# ----------------------------------------------------------------------------------------------
# The import panel: a file, what it is, its date order and which rows to keep
# ----------------------------------------------------------------------------------------------
ASK_SHARE = 0.20   # the page asks before storing a file with more than this share of rows outside the study area
KEEP = {N_("ask when much of the file lies outside"): "ask", N_("only the study area"): "study",
        N_("everything"): "all", N_("only inside my own area (a polygon file)"): "mine"}
ASKED = (N_("keep only the study area"), N_("keep everything"))
ORDERS = {N_("as the file settles it"): None, N_("day first (5/9 = 5 Sep)"): True,
          N_("month first (5/9 = 9 May)"): False}
KINDS = {"auto": N_("auto")}  # the other choices are named by their source's LABEL ("an ACLED export")
AREA_TYPES = ["geojson", "json", "kml", "gpkg", "zip"]


def import_panel(store_path: str, *, boundaries=None, t: Translator = translator()) -> None:
    """The sidebar's import: the file, its kind, its date order and where its rows must lie.

    By default a file whose accepted rows lie more than ASK_SHARE outside the study area (the
    `boundaries` in use) is not stored at once: the page says how many and asks whether to keep only
    the study area (the default) or everything; the rows outside are counted in the summary."""
    upload = st.file_uploader(t("File"), type=sources.suffixes(), key="upload")
    kind = st.selectbox(t("What it is"), sources.choices(), key="upload_kind", help=t("auto: detected from the header"),
                        format_func=lambda k: t(KINDS[k]) if k in KINDS else t(sources.SOURCES[k].LABEL))
    order = st.selectbox(t("Dates like 5/9/2020"), list(ORDERS), key="upload_order", format_func=t,
                         help=t("Only when no date in the file has a day above 12: then you say which it is"))
    keep = KEEP[st.selectbox(t("Rows to keep"), list(KEEP), key="upload_keep", format_func=t,
                             help=t("The study area is Kirkuk governorate and the districts around it, drawn by the "
                                    "boundaries in use; a country-wide file (all of Iraq) would flood the map"))]
    mine = st.file_uploader(t("Your area (polygons: GeoJSON, KML, GeoPackage, zipped Shapefile)"), type=AREA_TYPES,
                            key="area_upload") if keep == "mine" else None
    options = dict(kind=kind, dayfirst=ORDERS[order], boundaries=boundaries)
    if st.button(t("Import"), disabled=upload is None or (keep == "mine" and mine is None), key="do_import"):
        st.session_state.import_result = None
        st.session_state.import_ask = None
        _run(store_path, upload, keep=keep, area_upload=mine, t=t, **options)
        st.rerun()
    asked = st.session_state.get("import_ask")
    if asked and upload is not None and asked["file"] == upload.name:
        st.warning(plain(t("{file}: {outside} of its {rows} rows ({share}) lie outside the study area. "
                           "Nothing is stored yet.", file=_iso(asked["file"], t), outside=f"{asked['outside']:,}",
                           rows=f"{asked['rows']:,}", share=f"{asked['outside'] / asked['rows']:.0%}")))
        choice = st.radio(t("This file reaches far beyond the study area: import"), ASKED, key="import_keep", index=0,
                          format_func=t)
        if st.button(t("Continue the import"), key="do_import_asked"):
            st.session_state.import_ask = None
            _run(store_path, upload, keep="study" if choice == ASKED[0] else "all", area_upload=None,
                 counted=asked["outside"], t=t, **options)
            st.rerun()
    _show_result(st.session_state.get("import_result"), t=t)


def _iso(text, t: Translator) -> str:
    """A file's name (data) isolated inside a right-to-left sentence."""
    return isolate(text) if t.rtl else str(text)


def _run(store_path: str, upload, *, keep: str, area_upload, kind: str, dayfirst, boundaries, t: Translator,
         counted: int | None = None) -> None:
    """Import `upload` keeping the rows `keep` says (study, all, mine, or ask: count first, ask if many
    lie outside); the summary, or one line saying why nothing was imported, goes to the session.
    `counted`: the rows outside the study area, when the page has counted them already."""
    with tempfile.TemporaryDirectory() as tmp:
        bar = st.progress(0.0, text=t("Importing…"))
        try:
            path = saved_upload(upload, tmp)
            zone = None
            places = gazetteer.gazetteer_for(store_path)  # built-in places, the user's gazetteers, places learnt
            if keep in ("study", "ask"):
                zone = geo_boundaries.study_area(boundaries)
            elif keep == "mine":
                folder = Path(tmp) / "area"
                folder.mkdir()
                zone = area.read_area(saved_upload(area_upload, str(folder)))
            if keep == "ask":
                bar.progress(0.2, text=t("Counting the rows outside the study area…"))
                rows, outside = area.share_outside(path, zone, source=kind, geocoder=places,
                                                   dayfirst=dayfirst)
                if rows and outside / rows > ASK_SHARE:
                    st.session_state.import_ask = {"file": upload.name, "rows": rows, "outside": outside}
                    bar.empty()
                    return
                zone = None     # few rows outside: the file is about the study area, keep it whole
            else:
                outside = counted if keep == "all" else None
            summary = store.import_file(store_path, path, clip=zone, source=kind, geocoder=places, dayfirst=dayfirst,
                                       progress=lambda n: bar.progress(0.5, text=t("{n} rows read…", n=f"{n:,}")),
                                       notify=lambda message: bar.progress(0.5, text=message))
            if outside:
                summary.outside = outside   # counted, and kept: the page said nothing would be left out
            bar.progress(1.0, text=t("Done"))
            st.session_state.import_result = summary
        except (AtlasError, OSError, ValueError) as exc:
            st.session_state.import_result = str(exc)
        except Exception as exc:  # the user's page never shows a traceback
            st.session_state.import_result = failed(t("The import"), exc, t=t)
        bar.empty()


def _show_result(result, *, t: Translator) -> None:
    if isinstance(result, str):
        st.error(plain(t("Nothing was imported: {reason}", reason=result)))
    elif result is not None:
        left_out = (t("; {n} outside the area left out", n=f"{result.outside:,}") if result.clipped else
                    t("; {n} of them outside the study area", n=f"{result.outside:,}") if result.outside else "")
        st.success(plain(t("{file}: {accepted} rows imported as {source} ({new} new, {updated} updated); "
                           "{rejected} rejected{left_out}.", file=_iso(result.file, t),
                           accepted=f"{result.accepted:,}", source=_iso(result.source, t), new=f"{result.new:,}",
                           updated=f"{result.updated:,}", rejected=f"{result.rejected:,}", left_out=left_out)))
        for line in result.notes:
            st.info(plain(line))
        if unknown := result.unmapped_actors:   # kept as the source named them; searchable, not on the list
            names = ", ".join(_iso(r["name"], t) for r in unknown[:12]) + ("…" if len(unknown) > 12 else "")
            st.info(plain(t.plural("{n} actor name is not on the list of canonical actors: {names}. It is kept as "
                                   "the source wrote it; map it with python -m events actors map.",
                                   "{n} actor names are not on the list of canonical actors: {names}. They are "
                                   "kept as the source wrote them; map them with python -m events actors map.",
                                   len(unknown), names=names)))
        if result.rejected:
            st.download_button(t("Download the rejects report (CSV)"),
                               exports.sheet_safe(result.rejects).to_csv(index=False).encode("utf-8-sig"),
                               file_name=f"rejects_{Path(result.file).stem}.csv", mime="text/csv")
