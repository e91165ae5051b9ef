"""Playback exported as a file: an animated GIF or an H.264 MP4 of a view played step by step.

Each frame is the PNG snapshot's own page (`geo.snapshot.snapshot_page`: the same view selection,
`events.view.within` through `snapshot.select`, never a second filter) for one date of the playback:
the areas of control on that date, the incidents of the `trail_days` up to it, the date in large type,
the legend, the counts and the credits ACLED / GTD / UCDP ask for (access dates and the filters in
words). One headless Chromium draws every frame, and each frame goes to the encoder as soon as it is
drawn, so a long playback never holds its frames in memory: Pillow writes the GIF frame by frame
(its GIF header and frame writers, a palette per frame), and the ffmpeg that imageio-ffmpeg ships
encodes the MP4 (libx264, yuv420p, so every player opens it). The captions are in the view's language
(`View.lang`): Chromium draws them with the Arabic font embedded in the page (shaping and right-to-left
order included), so Pillow never draws text and needs no font nor libraqm.
"""
from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

import geopandas as gpd
import pandas as pd

from events import annotations
from geo import control, snapshot
from i18n import translator

FORMATS = (".gif", ".mp4")
MAX_FRAMES = 1000          # 1000 frames at about a second each: a quarter of an hour, the most one request may ask
FPS_RANGE = (0.2, 30.0)
_STEP = re.compile(r"^\s*(\d{0,3})\s*(d|day|days|w|week|weeks|m|month|months|y|year|years)\s*$", re.I)
_UNITS = {"d": "days", "w": "weeks", "m": "months", "y": "years"}


class AnimationError(snapshot.SnapshotError):
    """A playback request that cannot give a meaningful file (bad step, size, frame rate or format)."""


@dataclass(frozen=True)
class Playback:
    """What was written: the file, its frame count and size, and the seconds each frame took."""

    path: Path
    frames: int
    size: tuple[int, int]
    seconds: float

    @property
    def seconds_per_frame(self) -> float:
        return self.seconds / max(1, self.frames)


def parse_step(text: str) -> pd.DateOffset:
    """'1m', 'month', '1w', 'week', '10d', '1y' to the step between frames."""
    match = _STEP.match(str(text or ""))
    count = int(match.group(1) or 1) if match else 0
    if not match or count < 1:
        raise AnimationError(f"step {text!r} is not a step: use Nd, Nw, Nm or Ny (e.g. 1m, 1w, 10d), "
                             "or day, week, month, year")
    return pd.DateOffset(**{_UNITS[match.group(2)[0].lower()]: count})


def frame_dates(start, end, *, step: str) -> list[pd.Timestamp]:
    """The playback's dates: `start`, `start` + step, ... up to `end` (each counted from `start`, so a
    monthly playback from the 31st keeps to the month's end)."""
    first = snapshot._checked_date(start, "--from")
    last = snapshot._checked_date(end, "--to")
    if last < first:
        raise AnimationError(f"the playback ends ({last:%Y-%m-%d}) before it starts ({first:%Y-%m-%d})")
    offset = parse_step(step)
    days = []
    while (day := first + offset * len(days)) <= last:
        days.append(day)
        if len(days) > MAX_FRAMES:
            raise AnimationError(f"{first:%Y-%m-%d} to {last:%Y-%m-%d} by {step} is more than {MAX_FRAMES} frames: "
                                 "take a longer step or a shorter period")
    return days


def frame_views(view: snapshot.View, days: list[pd.Timestamp], *, trail_days: int,
                notes: pd.DataFrame | None = None) -> list[snapshot.View]:
    """One snapshot View a frame: `view`'s filters, layers and framing, its window the `trail_days`
    up to the frame's date, that date large in the header. `notes` (events.annotations: `date`, `text`)
    go on the frame of their date or the next one, as the frame's subtitle ("16 Oct 2017: federal forces
    enter Kirkuk"); a frame with none says what its window holds."""
    if not 1 <= int(trail_days) <= 3660:
        raise AnimationError(f"--trail {trail_days}: give 1 to 3660 days of incidents up to each frame's date")
    t = translator(view.lang)
    window = t("incidents of the {n} days to this date", n=int(trail_days))
    shown = annotations.placed(notes, days) if notes is not None and not notes.empty else [None] * len(days)
    return [replace(view, start=day - pd.Timedelta(days=int(trail_days) - 1), end=day,
                    label=f"{day:%d %B %Y}" if t.lang == "en" else t.date(day, "long"),
                    subtitle=_noted(here, t) or window) for day, here in zip(days, shown)]


def _noted(notes: pd.DataFrame | None, t) -> str:
    """A frame's notes as one subtitle line (the user's first, else the first control change, in full;
    then how many more), cut to fit."""
    if notes is None or notes.empty:
        return ""
    mine = notes[notes["id"].notna()] if "id" in notes else notes.iloc[0:0]
    first = (mine if len(mine) else notes).iloc[0]   # a user's own note before the control changes
    day = f"{first['date']:%d %b %Y}" if t.lang == "en" else t.date(first["date"])
    text = t("{date}: {note}", date=day, note=" ".join(str(first["text"]).split()))
    if len(notes) > 1:
        text += " " + t("(+{n} more)", n=len(notes) - 1)
    return text if len(text) <= snapshot.TEXT_MAX else text[:snapshot.TEXT_MAX - 1].rstrip() + "…"


def frame_pages(incidents: pd.DataFrame, views: list[snapshot.View], *, size: tuple[int, int], data_version: str,
                layers: gpd.GeoDataFrame | None = None, boundaries: gpd.GeoDataFrame | None = None,
                accessed: dict | None = None) -> Iterator[tuple[snapshot.View, str, list[str]]]:
    """Each frame's page (snapshot_page's HTML, built when asked for) and the texts its rendering must
    show: the date, the title, the legend, the data version and every credit its incidents owe."""
    if all(snapshot.select(incidents, v).empty for v in views):   # said now, before any browser starts
        raise AnimationError("no incidents on any of the playback's dates with these filters: nothing to animate")
    layers = control.default_layers(boundaries=boundaries) if layers is None else layers

    def pages():
        for view in views:
            page = snapshot.snapshot_page(incidents, view, layers=layers, data_version=data_version, size=size,
                                          allow_empty=True, boundaries=boundaries, accessed=accessed)
            owed = snapshot.credits(snapshot.select(incidents, view), view, accessed)
            t = translator(view.lang)
            expect = [view.text(), view.heading(), t("Incidents by type"),
                      t("Data version {version} · generated {time}").split("{")[0], *owed]
            yield view, page, [" ".join(text.split()) for text in expect]   # as the browser lays text out
    return pages()


def check_size(size: tuple[int, int], *, suffix: str) -> tuple[int, int]:
    """The frame size, even on both sides for an MP4 (H.264 in yuv420p needs it)."""
    width, height = size
    if suffix == ".mp4" and (width % 2 or height % 2):
        raise AnimationError(f"size {width}x{height}: an MP4 needs an even width and height (e.g. 1280x720)")
    return width, height


def animate(incidents: pd.DataFrame, view: snapshot.View, out: str | Path, *, start, end, step: str,
            trail_days: int = 90, size: tuple[int, int] = (1280, 720), fps: float = 2.0, data_version: str,
            layers: gpd.GeoDataFrame | None = None, boundaries: gpd.GeoDataFrame | None = None,
            accessed: dict | None = None, allow_network: bool = False, notes: pd.DataFrame | None = None,
            progress: Callable[[int, int], None] | None = None) -> Playback:
    """Write `out` (.gif or .mp4): one frame a `step` from `start` to `end`, each the snapshot of
    `view` on that date, with the `notes` of its period (see frame_views). The file appears only when
    every frame is drawn (a failure leaves none)."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise AnimationError(f"--out {out.name}: use a .gif or .mp4 file name")
    if not out.parent.is_dir():
        raise AnimationError(f"--out {out.name}: its folder does not exist")
    if not FPS_RANGE[0] <= float(fps) <= FPS_RANGE[1]:
        raise AnimationError(f"--fps {fps}: give {FPS_RANGE[0]:g} to {FPS_RANGE[1]:g} frames a second")
    size = check_size(size, suffix=suffix)
    views = frame_views(replace(view, offline=view.offline or not allow_network),
                        frame_dates(start, end, step=step), trail_days=trail_days, notes=notes)
    pages = frame_pages(incidents, views, size=size, data_version=data_version, layers=layers,
                        boundaries=boundaries, accessed=accessed)
    partial = out.with_name(f".{out.name}.partial{suffix}")
    began = time.perf_counter()
    try:
        with snapshot.Browser() as browser, _writer(suffix, partial, size=size, fps=float(fps)) as writer:
            for i, (_, page, expect) in enumerate(pages, start=1):
                png = snapshot.photograph(browser, page, size, allow_network=allow_network, expect_text=expect)
                writer.write(png)
                if progress:
                    progress(i, len(views))
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return Playback(path=out, frames=len(views), size=size, seconds=time.perf_counter() - began)


# ----------------------------------------------------------------------------------------------
# Encoders: a frame in, written at once
# ----------------------------------------------------------------------------------------------
def _writer(suffix: str, path: Path, *, size: tuple[int, int], fps: float):
    return _GifWriter(path, size=size, fps=fps) if suffix == ".gif" else _Mp4Writer(path, size=size, fps=fps)


def _rgb(png: bytes, size: tuple[int, int]):
    from PIL import Image
    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.size != size:
        raise AnimationError(f"a frame came out {image.size[0]}x{image.size[1]}, not {size[0]}x{size[1]}")
    return image


class _GifWriter:
    """A looping GIF written frame by frame: Pillow's GIF header, then each frame with its own
    256-colour palette (maps need more colours than one palette shared by every frame keeps)."""

    def __init__(self, path: Path, *, size: tuple[int, int], fps: float):
        self.path, self.size = path, size
        self.duration = max(20, round(1000 / fps))   # milliseconds; GIF counts hundredths, players floor 20 ms
        self.frames = 0

    def __enter__(self):
        self.file = open(self.path, "wb")
        return self

    def write(self, png: bytes) -> None:
        from PIL import GifImagePlugin, Image
        frame = _rgb(png, self.size).quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                               dither=Image.Dither.NONE)
        if self.frames == 0:
            header, _ = GifImagePlugin.getheader(frame, info={"loop": 0, "duration": self.duration})
            self.file.writelines(header)
        params = {"duration": self.duration, **({"include_color_table": True} if self.frames else {})}
        self.file.writelines(GifImagePlugin.getdata(frame, **params))
        self.frames += 1

    def __exit__(self, *exc):
        try:
            if exc[0] is None:
                self.file.write(b";")   # the GIF trailer
        finally:
            self.file.close()


class _Mp4Writer:
    """An H.264 MP4 (yuv420p, moov atom first so it plays while downloading) fed raw RGB frames
    through a pipe to the ffmpeg binary imageio-ffmpeg ships."""

    def __init__(self, path: Path, *, size: tuple[int, int], fps: float):
        self.path, self.size, self.fps = path, size, fps

    def __enter__(self):
        try:
            import imageio_ffmpeg
        except ImportError:
            raise AnimationError("MP4 needs imageio-ffmpeg (pip install -r requirements.txt); "
                                 "the GIF works without it") from None
        self.encoder = imageio_ffmpeg.write_frames(
            str(self.path), self.size, fps=self.fps, codec="libx264", pix_fmt_in="rgb24", pix_fmt_out="yuv420p",
            quality=None, macro_block_size=2, ffmpeg_log_level="error",
            output_params=["-crf", "20", "-preset", "veryfast", "-tune", "stillimage", "-movflags", "+faststart"])
        self.encoder.send(None)
        return self

    def write(self, png: bytes) -> None:
        self.encoder.send(_rgb(png, self.size).tobytes())

    def __exit__(self, *exc):
        self.encoder.close()   # flushes and waits for ffmpeg; on an error the partial file is removed by animate
