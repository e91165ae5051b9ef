"""The PNG snapshot export's controls: framing, size, resolution, title and subtitle (geo.snapshot)."""
from __future__ import annotations

import streamlit as st

from geo import snapshot
from ui.downloads import exported, prepared

SIZES = {"1920x1080": "1920×1080 (slides)", "a4": "A4 landscape"}
FRAMINGS = {"study": "Fit the study area", "incidents": "Fit the incidents shown", "view": "This view (as on screen)"}
DPIS = {150: "150 dpi (screen)", 300: "300 dpi (print)"}


def snapshot_panel(data, view: snapshot.View, *, layers, boundaries, data_version: str, accessed: dict,
                   view_key: str, stem: str) -> None:
    """Choose how the PNG is framed, its size and dpi, its title and subtitle; render it in headless
    Chromium and offer it while the view (and these choices) it shows are still the ones on screen."""
    size = st.selectbox("PNG size", list(SIZES), key="png_size", format_func=SIZES.get)
    framing = st.radio("Framing", list(FRAMINGS), key="png_framing", format_func=FRAMINGS.get)
    dpi = st.radio("Resolution", list(DPIS), key="png_dpi", horizontal=True, format_func=DPIS.get)
    width, height = snapshot.parse_size(size)
    scale = dpi / snapshot.LAYOUT_DPI
    st.caption(f"{round(width * scale)}×{round(height * scale)} pixels")
    title = st.text_input("Title", value=view.title, key="png_title", max_chars=snapshot.TEXT_MAX)
    subtitle = st.text_input("Subtitle", value="", key="png_subtitle", max_chars=snapshot.TEXT_MAX,
                             placeholder="e.g. federal forces enter Kirkuk")
    choices = [size, framing, dpi, title, subtitle]
    if not snapshot.browser_available():
        st.warning("No browser on this server, so no PNG or PDF: use the interactive HTML export instead "
                   "(bash .ci/setup --test installs Debian's chromium).")
    elif st.button("Render PNG", key="prep_png"):
        with st.spinner("Rendering the map in headless Chromium…"):
            exported("png", view_key=view_key, stem=stem, extra=choices, build=lambda: snapshot.snapshot_png(
                data, view, layers=layers, boundaries=boundaries, data_version=data_version, accessed=accessed,
                size=(width, height), framing=framing, dpi=dpi, title=title, subtitle=subtitle))
    if ready := prepared("png", view_key=view_key, extra=choices):
        st.download_button("Download PNG", ready[0], file_name=ready[1] + ".png", mime="image/png", key="dl_png")
