"""The playback export: the view stepped through its window as an MP4 or animated GIF (geo.animation)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from geo import animation, snapshot
from ui.downloads import exported, prepared

FORMATS = {"mp4": "MP4 (H.264)", "gif": "animated GIF"}
STEPS = {"1w": "week", "1m": "month", "1y": "year"}
MIME = {"mp4": "video/mp4", "gif": "image/gif"}


def playback_panel(data, view: snapshot.View, *, start, end, trail_days: int, layers, boundaries, data_version: str,
                   accessed: dict, view_key: str, stem: str) -> None:
    """Choose format and step, render one frame a step (each the PNG snapshot of that date, with its
    credits), and offer the file while the view it shows is on screen."""
    st.markdown("**Playback (MP4 or GIF, one frame a step)**")
    fmt = st.radio("Playback as", list(FORMATS), horizontal=True, key="anim_fmt", format_func=FORMATS.get)
    step = st.selectbox("One frame a", list(STEPS), index=1, key="anim_step", format_func=STEPS.get)
    if snapshot.browser_available() and st.button("Render playback", key="prep_anim"):
        bar = st.progress(0.0, text="Rendering frames…")

        def build() -> bytes:
            with tempfile.TemporaryDirectory() as folder:
                played = animation.animate(
                    data, view, Path(folder) / f"playback.{fmt}", start=start, end=end, step=step,
                    trail_days=trail_days, size=(1280, 720), layers=layers, boundaries=boundaries,
                    data_version=data_version, accessed=accessed,
                    progress=lambda i, n: bar.progress(i / n, text=f"Frame {i} of {n} rendered"))
                return played.path.read_bytes()
        exported("animation", view_key=view_key, stem=stem, build=build, extra=[fmt, step])
        bar.empty()
    if ready := prepared("animation", view_key=view_key, extra=[fmt, step]):
        st.download_button(f"Download {fmt.upper()}", ready[0], file_name=f"playback_{ready[1]}.{fmt}",
                           mime=MIME[fmt], key="dl_anim")
