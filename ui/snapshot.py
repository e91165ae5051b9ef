"""The PNG snapshot export's controls: framing, size, resolution, title and subtitle (geo.snapshot)."""
from __future__ import annotations

import streamlit as st

from geo import snapshot
from i18n import N_, Translator, isolate
from ui.downloads import exported, prepared

SIZES = {"1920x1080": N_("{size} (slides)"), "a4": N_("A4 landscape")}  # {size}: 1920×1080, kept in its order
FRAMINGS = {"study": N_("Fit the study area"), "incidents": N_("Fit the incidents shown"),
            "view": N_("This view (as on screen)")}
DPIS = {150: N_("150 dpi (screen)"), 300: N_("300 dpi (print)")}


def snapshot_panel(data, view: snapshot.View, *, layers, boundaries, data_version: str, accessed: dict,
                   view_key: str, stem: str, t: Translator) -> None:
    """Choose how the PNG is framed, its size and dpi, its title and subtitle; render it in headless
    Chromium and offer it while the view (and these choices) it shows are still the ones on screen."""
    iso = isolate if t.rtl else str  # '1920×1080' must not read '1080×1920' in a right-to-left line
    size = st.selectbox(t("PNG size"), list(SIZES), key="png_size",
                        format_func=lambda k: t(SIZES[k], size=iso(k.replace("x", "×"))) if "x" in k else t(SIZES[k]))
    framing = st.radio(t("Framing"), list(FRAMINGS), key="png_framing", format_func=lambda k: t(FRAMINGS[k]))
    dpi = st.radio(t("Resolution"), list(DPIS), key="png_dpi", horizontal=True, format_func=lambda k: t(DPIS[k]))
    width, height = snapshot.parse_size(size)
    scale = dpi / snapshot.LAYOUT_DPI
    st.caption(t("{size} pixels", size=iso(f"{round(width * scale)}×{round(height * scale)}")))
    title = st.text_input(t("Title"), value=view.heading(), key="png_title", max_chars=snapshot.TEXT_MAX)
    subtitle = st.text_input(t("Subtitle"), value="", key="png_subtitle", max_chars=snapshot.TEXT_MAX,
                             placeholder=t("e.g. federal forces enter Kirkuk"))
    choices = [size, framing, dpi, title, subtitle]
    if not snapshot.browser_available():
        st.warning(t("No browser on this server, so no PNG or PDF: use the interactive HTML export instead "
                     "(bash .ci/setup --test installs Debian's chromium)."))
    elif st.button(t("Render PNG"), key="prep_png"):
        with st.spinner(t("Rendering the map in headless Chromium…")):
            exported("png", t=t, view_key=view_key, stem=stem, extra=choices, build=lambda: snapshot.snapshot_png(
                data, view, layers=layers, boundaries=boundaries, data_version=data_version, accessed=accessed,
                size=(width, height), framing=framing, dpi=dpi, title=title, subtitle=subtitle))
    if ready := prepared("png", t=t, view_key=view_key, extra=choices):
        st.download_button(t("Download PNG"), ready[0], file_name=ready[1] + ".png", mime="image/png", key="dl_png")
