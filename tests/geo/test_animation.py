"""Playback as GIF and MP4: the frames' dates and pages, the files re-read, credits and hostile names."""
import html
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageSequence

from events import exports
from events.curated import load_curated
from geo import animation, boundaries, control, snapshot
from tests.browser import ARTIFACTS, chromium_page, require_chromium
from tests.conftest import ROOT

HOSTILE = '<img src=x onerror="document.title=1">{{ 7*7 }}'
SMALL = (960, 540)   # smaller than the default 1280x720; smaller still and the legend covers the map
DAYS = ["2014-04-01", "2014-07-01", "2014-10-01"]   # before, during and after ISIS's June 2014 advance


@pytest.fixture(scope="module")
def incidents():
    frame = boundaries.assign_admin(load_curated())
    return frame.join(control.controller_of(frame))


def _licensed(incidents):
    """An ACLED row and a GTD row in a district with a hostile name and place, in two different months."""
    rows = incidents.iloc[:2].assign(source_dataset=["acled", "gtd"], incident_id=["acled:1", "gtd:1"],
                                     admin2=HOSTILE, place=HOSTILE,
                                     date_start=pd.to_datetime(["2016-10-10", "2016-11-10"]),
                                     date_end=pd.to_datetime(["2016-10-10", "2016-11-10"]))
    view = snapshot.view_for(start="2016-10-01", end="2016-12-01", filters={"admin2": [HOSTILE]}, title=HOSTILE)
    return rows, view


def test_frame_dates_step_by_day_week_month_year():
    days = lambda a, b, step: [f"{d:%Y-%m-%d}" for d in animation.frame_dates(a, b, step=step)]
    assert days("2014-01-31", "2014-04-30", "1m") == ["2014-01-31", "2014-02-28", "2014-03-31", "2014-04-30"]
    assert days("2014-01-01", "2014-01-20", "week") == ["2014-01-01", "2014-01-08", "2014-01-15"]
    assert days("2014-01-01", "2014-01-25", "10d") == ["2014-01-01", "2014-01-11", "2014-01-21"]
    assert days("2014-01-01", "2016-06-01", "1y") == ["2014-01-01", "2015-01-01", "2016-01-01"]
    assert len(animation.frame_dates("2014-01-01", "2017-12-31", step="month")) == 48


@pytest.mark.parametrize("step", ["fortnight", "0m", "", "m1", "1q", "-1d", "1000000d"])
def test_a_step_that_is_not_a_step_is_refused(step):
    with pytest.raises(animation.AnimationError, match="is not a step"):
        animation.parse_step(step)


def test_impossible_playbacks_are_refused():
    with pytest.raises(animation.AnimationError, match="before it starts"):
        animation.frame_dates("2015-01-01", "2014-01-01", step="1m")
    with pytest.raises(animation.AnimationError, match="more than 1000 frames"):
        animation.frame_dates("2003-01-01", "2024-12-31", step="1d")
    with pytest.raises(snapshot.SnapshotError, match="outside the atlas's period"):
        animation.frame_dates("2014-01-01", "2031-01-01", step="1m")
    with pytest.raises(animation.AnimationError, match="even width and height"):
        animation.check_size((641, 360), suffix=".mp4")
    assert animation.check_size((641, 360), suffix=".gif") == (641, 360)


def test_each_frame_is_the_snapshot_of_its_date_with_that_dates_control_areas(incidents):
    view = snapshot.view_for(start="2014-01-01", end="2014-12-31", filters={"event_types": ["Battles"]})
    days = animation.frame_dates(DAYS[0], DAYS[-1], step="3m")
    frames = animation.frame_views(view, days, trail_days=30)
    assert [(f"{v.start:%Y-%m-%d}", f"{v.end:%Y-%m-%d}") for v in frames] == [
        ("2014-03-03", "2014-04-01"), ("2014-06-02", "2014-07-01"), ("2014-09-02", "2014-10-01")]
    assert all(v.filters == view.filters and v.text() == f"{v.end:%d %B %Y}" for v in frames)
    pages = list(animation.frame_pages(incidents, frames, size=SMALL, data_version="t"))
    for (frame, page, expect), day in zip(pages, ["01 April 2014", "01 July 2014", "01 October 2014"]):
        assert day in expect and "Incidents by type" in expect
        shown = snapshot.select(incidents, frame)   # the snapshot's selection, not a second filter
        assert html.escape(snapshot._counts_text(shown)) in page
        assert f"Areas of control on {frame.end:%d %b %Y}" in page
    held = [control.summarise(control.control_at(f.end)) for f in frames]
    assert held[0] != held[1]   # ISIS's advance of June 2014 between the first two frames: new areas drawn


def test_every_frame_page_carries_the_credits_its_incidents_owe(incidents):
    rows, view = _licensed(incidents)
    accessed = {"acled": "2026-12-07"}
    frames = animation.frame_views(view, animation.frame_dates("2016-10-15", "2016-11-15", step="1m"),
                                   trail_days=20)
    pages = list(animation.frame_pages(rows, frames, size=SMALL, data_version="t", accessed=accessed))
    acled_words = "Data: ACLED (acleddata.com), accessed 2026-12-07; filters: event types all · district " + HOSTILE
    gtd_words = "Global Terrorism Database (GTD), National Consortium"
    (first, first_page, first_expect), (second, second_page, second_expect) = pages
    assert html.escape(acled_words) in first_page and any(t.startswith(acled_words) for t in first_expect)
    assert gtd_words not in first_page   # the GTD row is not in the first frame's 20 days
    assert html.escape(gtd_words) in second_page and any(gtd_words in t for t in second_expect)
    assert f"accessed {exports.NOT_RECORDED}" in second_page
    for page, expect in ((first_page, first_expect), (second_page, second_expect)):
        assert HOSTILE not in page and HOSTILE in expect   # escaped in the page; the rendered text must show it


def test_gif_of_three_frames_re_read(incidents, tmp_path):
    require_chromium()
    view = snapshot.view_for(start=DAYS[0], end=DAYS[-1])
    done = []
    played = animation.animate(incidents, view, tmp_path / "playback.gif", start=DAYS[0], end=DAYS[-1], step="3m",
                               size=SMALL, fps=2, data_version="t", progress=lambda i, n: done.append((i, n)))
    assert done == [(1, 3), (2, 3), (3, 3)] and played.frames == 3 and played.seconds_per_frame > 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "playback.gif").write_bytes(played.path.read_bytes())
    gif = Image.open(played.path)
    assert (gif.format, gif.n_frames, gif.size, gif.info["loop"], gif.info["duration"]) == ("GIF", 3, SMALL, 0, 500)
    frames = [np.asarray(f.convert("RGB"), dtype=float) for f in ImageSequence.Iterator(gif)]
    maps = [f[snapshot.HEADER_PX:-snapshot.FOOTER_PX, :SMALL[0] // 2] for f in frames]   # left of the legend
    counts = [len(snapshot.select(incidents, v)) for v in
              animation.frame_views(view, animation.frame_dates(DAYS[0], DAYS[-1], step="3m"), trail_days=90)]
    assert len(set(counts)) == 3   # the incidents differ from frame to frame ...
    for a, b in zip(maps, maps[1:]):
        assert np.abs(a - b).max(axis=2).__gt__(40).mean() > 0.002   # ... and so do the maps drawn
    assert all(m.std() > 20 for m in maps)   # each a real drawing, not a blank page
    assert not list(tmp_path.glob(".*partial*"))


def test_mp4_from_a_shared_link_is_h264_yuv420p_with_one_frame_a_step(tmp_path):
    require_chromium()
    import imageio_ffmpeg
    out = tmp_path / "playback.mp4"
    link = f"window={DAYS[0]}&window={DAYS[-1]}&types=Battles&types=Explosions/Remote violence"
    run = subprocess.run([sys.executable, "-m", "geo", "animate", "--out", str(out), "--view", link, "--step", "3m",
                          "--size", "960x540", "--fps", "2"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert f"wrote {out} (3 frames, 960x540" in run.stdout and "s a frame)" in run.stdout
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    assert (meta["codec"], meta["pix_fmt"].split("(")[0], meta["size"], meta["fps"]) == ("h264", "yuv420p",
                                                                                         SMALL, 2.0)
    frames = [np.frombuffer(f, dtype=np.uint8).reshape(SMALL[1], SMALL[0], 3).astype(float) for f in reader]
    assert len(frames) == 3
    assert frames[0].std() > 20 and np.abs(frames[0] - frames[1]).mean() > 0.5


def test_hostile_names_render_as_text_and_no_script_runs(incidents, tmp_path):
    require_chromium()
    rows, view = _licensed(incidents)
    played = animation.animate(rows, view, tmp_path / "h.gif", start="2016-10-15", end="2016-11-15", step="1m",
                               trail_days=20, size=SMALL, data_version="t", accessed={"acled": "2026-12-07"})
    assert Image.open(played.path).n_frames == 2   # each frame's rendered text held the title and credits
    frames = animation.frame_views(view, animation.frame_dates("2016-10-15", "2016-11-15", step="1m"),
                                   trail_days=20)
    _, page, _ = next(animation.frame_pages(rows, frames, size=SMALL, data_version="t"))
    with chromium_page(width=SMALL[0], height=SMALL[1]) as (browser_page, _):
        browser_page.set_content(page, wait_until="load")
        browser_page.wait_for_function("!!document.getElementById('atlas-legend')")
        header = browser_page.inner_text("#atlas-header")
        footer = browser_page.inner_text("#atlas-footer")
        injected = browser_page.evaluate("document.querySelectorAll('img[src=x]').length")
        title = browser_page.title()
    assert HOSTILE in header and "district " + HOSTILE in " ".join(footer.split())
    assert injected == 0 and title != "1"


@pytest.mark.parametrize("args, said", [
    (["--out", "x.avi", "--from", "2014-01-01", "--to", "2014-03-01"], "use a .gif or .mp4"),
    (["--out", "x.mp4", "--from", "2014-01-01", "--to", "2014-03-01", "--size", "641x360"], "even width"),
    (["--out", "x.gif", "--from", "2014-01-01", "--to", "2014-03-01", "--step", "fortnight"], "is not a step"),
    (["--out", "x.gif", "--from", "2014-01-01", "--to", "2014-03-01", "--text", "no-such-words-zq"], "no incidents"),
    (["--out", "x.gif", "--from", "2014-01-01"], "give --from and --to"),
    (["--out", "no-such-folder/x.mp4", "--from", "2014-01-01", "--to", "2014-03-01"], "x.mp4: its folder does not"),
])
def test_cli_refuses_bad_requests_without_writing_a_file(tmp_path, args, said):
    run = subprocess.run([sys.executable, "-m", "geo", "animate", *args], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode != 0 and run.stderr.startswith("error:") and said in run.stderr, run.stderr
    assert "Traceback" not in run.stderr and not list(tmp_path.iterdir())


def test_notes_go_on_the_frame_of_their_date_or_the_next_and_read_as_text(incidents):
    """Issue 15: a user's note ("16 Oct 2017: federal forces enter Kirkuk") and the control changes (the
    default notes) appear in the playback, escaped."""
    from events import annotations
    from geo import briefing

    view = snapshot.view_for(start="2017-09-01", end="2017-12-01")
    days = animation.frame_dates("2017-09-01", "2017-12-01", step="1m")
    mine = pd.DataFrame({"id": [1], "date": [pd.Timestamp("2017-10-16")], "text": [HOSTILE + " federal forces enter"],
                         "author": [""], "created": [""]})
    notes = annotations.combined(mine, briefing.default_notes())
    frames = animation.frame_views(view, days, trail_days=30, notes=notes)
    subtitles = [f.subtitle for f in frames]
    assert "federal forces enter" in subtitles[2] and subtitles[2].startswith("16 Oct 2017: ")  # 1 Nov frame
    assert "more)" in subtitles[2]   # the control changes of the same weeks are counted, not dropped
    assert all(len(s) <= snapshot.TEXT_MAX for s in subtitles)
    quiet = animation.frame_views(view, days, trail_days=30)
    assert all(s == "incidents of the 30 days to this date" for s in (f.subtitle for f in quiet))
    _, page, _ = list(animation.frame_pages(incidents, frames[2:3], size=SMALL, data_version="t"))[0]
    assert html.escape(HOSTILE) in page and HOSTILE not in page
