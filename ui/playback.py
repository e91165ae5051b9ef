"""The playback export: the view stepped through its window as an MP4 or animated GIF (geo.animation)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from geo import animation, snapshot
from i18n import N_, Translator
from ui.downloads import exported, prepared
from ui.messages import plain

FORMATS = {"mp4": N_("MP4 (H.264)"), "gif": N_("animated GIF")}
STEPS = {"1w": N_("week"), "1m": N_("month"), "1y": N_("year")}
MIME = {"mp4": "video/mp4", "gif": "image/gif"}


def playback_panel(data, view: snapshot.View, *, start, end, trail_days: int, layers, boundaries, data_version: str,
                   accessed: dict, view_key: str, stem: str, t: Translator, notes=None) -> None:
    """Choose format and step, render one frame a step (each the PNG snapshot of that date, with its
    credits), and offer the file while the view it shows is on screen."""
    st.markdown("**" + plain(t("Playback (MP4 or GIF, one frame a step)")) + "**")
    fmt = st.radio(t("Playback as"), list(FORMATS), horizontal=True, key="anim_fmt",
                   format_func=lambda k: t(FORMATS[k]))
    step = st.selectbox(t("One frame a"), list(STEPS), index=1, key="anim_step", format_func=lambda k: t(STEPS[k]))
    if snapshot.browser_available() and st.button(t("Render playback"), key="prep_anim"):
        bar = st.progress(0.0, text=t("Rendering frames…"))

        def build() -> bytes:
            with tempfile.TemporaryDirectory() as folder:
                played = animation.animate(
                    data, view, Path(folder) / f"playback.{fmt}", start=start, end=end, step=step,
                    trail_days=trail_days, size=(1280, 720), layers=layers, boundaries=boundaries,
                    data_version=data_version, accessed=accessed, notes=notes,
                    progress=lambda i, n: bar.progress(i / n, text=t("Frame {i} of {n} rendered", i=i, n=n)))
                return played.path.read_bytes()
        exported("animation", t=t, view_key=view_key, stem=stem, build=build, extra=[fmt, step])
        bar.empty()
    if ready := prepared("animation", t=t, view_key=view_key, extra=[fmt, step]):
        st.download_button(t("Download {format}", format=fmt.upper()), ready[0], file_name=f"playback_{ready[1]}.{fmt}",
                           mime=MIME[fmt], key="dl_anim")
