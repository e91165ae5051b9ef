"""Browser measurements: Debian's Chromium driven by Playwright, loopback only (tests.browser helpers).

- `app_steps`: the real app (`streamlit run app.py` on a store) — page open to first map drawn, then
  step buttons clicked; each step is timed in the browser from the click event to the frame after the
  map's incident layer was redrawn (the st_folium iframe's `atlas.mark(…, 'incidents', …)`), and the
  websocket bytes the step received are counted. The count the app shows is read back for checking.
- `standalone_draw`: a self-contained HTML file opened from disk, timed from navigation start to the
  second animation frame after the `load` event (every script ran, the canvas painted).
- `startup`: the app on the curated set only: page open to first map drawn, first visit after the server
  started (empty caches) and later visits.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser import CHROMIUM, LOCAL, chromium_page, map_frame, streamlit_app, wait_rerun

PAINTED = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(Date.now()))))"
# Hook the shared map helper in the st_folium iframe: remember when the incident layer was drawn.
HOOK = """() => { if (window.__benchHooked) { window.__benchN = 0; return true; }
  const orig = atlas.mark; window.__benchN = 0;
  atlas.mark = function (map, key, value) { orig(map, key, value);
    if (key === 'incidents') { window.__benchN += 1; window.__benchT = Date.now(); } };
  window.__benchHooked = true; return true; }"""


def available() -> bool:
    return Path(CHROMIUM).exists()


def _server_pid(url: str) -> int | None:
    """The pid of the `streamlit run` serving `url` (found by its --server.port argument)."""
    port = str(urlparse(url).port)
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(args) and port.encode() in args:
            return int(proc.name)
    return None


def peak_rss_bytes(pid: int | None) -> int | None:
    """VmHWM (peak resident set) of a running process."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


@contextmanager
def app(store: Path, *, timeout: float = 600.0):
    """`streamlit run app.py` on `store`; yields (url, server pid, seconds until it answered)."""
    t = time.perf_counter()
    with streamlit_app(store=store, timeout=timeout) as url:
        yield url, _server_pid(url), time.perf_counter() - t


def _metric(page, label: str) -> int | None:
    """The integer value of the st.metric whose label is exactly `label`."""
    for box in page.query_selector_all("[data-testid='stMetric']"):
        name = box.query_selector("[data-testid='stMetricLabel']")
        value = box.query_selector("[data-testid='stMetricValue']")
        if name and value and name.inner_text().strip() == label:
            digits = re.sub(r"[^0-9]", "", value.inner_text())
            return int(digits) if digits else None
    return None


def _heading_count(page) -> int | None:
    """The N of the table heading "Incidents in view (N)"."""
    for h in page.query_selector_all("h3"):
        text = h.inner_text()
        if text.startswith("Incidents in view"):
            digits = re.sub(r"[^0-9]", "", text)
            return int(digits) if digits else None
    return None


def settled_count(page, window: tuple[str, str] | None, *, timeout_s: float) -> int | None:
    """The count the app shows once the rerun for `window` is on screen: the URL names the window and
    the 'Incidents' metric agrees with the table heading below it (both come from the same selection;
    during a rerun the old elements stay until replaced, top to bottom)."""
    deadline = time.monotonic() + timeout_s
    while True:
        wait_rerun(page, timeout=timeout_s * 1000)
        shown = _metric(page, "Incidents")
        if (shown is not None and shown == _heading_count(page)
                and (window is None or _window(page.url) in (None, tuple(window)))):
            return shown
        if time.monotonic() > deadline:
            return None
        time.sleep(0.2)


def _day(value: str) -> str:
    """A date from the URL: ISO, or the epoch microseconds Streamlit writes for a bound date slider."""
    if value.isdigit():
        return (dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=int(value))).date().isoformat()
    return value


def _window(url: str) -> tuple[str, str] | None:
    values = parse_qs(urlparse(url).query).get("window")
    return (_day(values[0]), _day(values[1])) if values and len(values) == 2 else None


def open_map(page, url: str, *, timeout_s: float, phases: dict | None = None) -> float:
    """Navigate and wait for the map with its incident layer; seconds from navigation start to painted.

    With `phases`, also records when the page title (the script's first output, after the data is
    loaded) and the map iframe appeared, in seconds from navigation start (polled: ±50 ms)."""
    page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
    origin = page.evaluate("performance.timeOrigin")
    if phases is not None:
        page.wait_for_selector("h1:has-text('Kirkuk incident atlas')", timeout=timeout_s * 1000)
        phases["title_s"] = (page.evaluate("Date.now()") - origin) / 1000
        page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', state="attached",
                               timeout=timeout_s * 1000)
        phases["iframe_s"] = (page.evaluate("Date.now()") - origin) / 1000
    _, frame = map_frame(page, timeout=timeout_s * 1000)
    painted = frame.evaluate(PAINTED)
    return (painted - origin) / 1000


def shift(window: tuple[str, str], months: int) -> tuple[str, str]:
    """The window after a step button, as app.py computes it (whole window moved, clamped to 2003–2024)."""
    import pandas as pd

    first, last = dt.date(2003, 1, 1), dt.date(2024, 12, 31)
    return tuple(min(max((pd.Timestamp(d) + pd.DateOffset(months=months)).date(), first), last).isoformat()
                 for d in window)


def app_steps(url: str, *, window: tuple[str, str], months: int, steps: int, count, timeout_s: float = 600.0) -> dict:
    """Open the app on `window`, then click the step button that moves it by `months`, `steps` times.

    `count(start, end)` gives the number of incidents a window should show (a SQL count on the store):
    a step that does not change it may leave the map as it is (nothing to redraw), so it is not timed.
    Returns first_open_s, step times (s, None when not timed), websocket bytes per step, the window and
    the count shown after each step, and how long each step took until Streamlit finished the rerun."""
    label = {12: "+ year", 1: "+ month", -1: "− month", -12: "− year"}[months]
    out = {"steps_s": [], "ws_bytes": [], "rerun_s": [], "windows": [], "shown": []}
    with chromium_page() as (page, blocked):
        received = [0]

        def on_ws(ws):
            ws.on("framereceived", lambda payload: received.__setitem__(
                0, received[0] + len(payload if isinstance(payload, (bytes, bytearray)) else payload.encode())))

        page.on("websocket", on_ws)
        out["open_phases"] = {}
        # every source row (raw=true): the count shown must equal a SQL count of the store's rows; the fused
        # view may merge a synthetic row with a curated one reporting the same day and place
        query = f"/?mode=window&window={window[0]}&window={window[1]}&raw=true"
        out["first_open_s"] = open_map(page, url + query, timeout_s=timeout_s, phases=out["open_phases"])
        out["shown_before"] = settled_count(page, window, timeout_s=timeout_s)
        page.evaluate("() => document.addEventListener('click', () => { window.__benchClick = Date.now(); }, true)")
        for _ in range(steps):
            _, frame = map_frame(page, timeout=timeout_s * 1000)
            frame.evaluate(HOOK)
            drawn = int(frame.evaluate("Number(document.querySelector('#map_div').dataset.drawn) || 0"))
            after = shift(window, months)
            changes = count(*after) != count(*window)
            url_before = page.url
            received[0] = 0
            t = time.perf_counter()
            page.get_by_role("button", name=label).click()
            done = f"window.__benchN >= 1 || Number(document.querySelector('#map_div').dataset.drawn) >= {drawn + 3}"
            if changes:  # the map must be redrawn: wait for it, however long it takes
                frame.wait_for_function(done, timeout=timeout_s * 1000)
                painted = frame.evaluate(PAINTED)
                out["steps_s"].append((painted - page.evaluate("window.__benchClick")) / 1000)
            else:  # nothing new in view: wait for the rerun to show the new window, do not time
                page.wait_for_function(f"location.href !== {json.dumps(url_before)}", timeout=timeout_s * 1000)
                out["steps_s"].append(None)
            out["shown"].append(settled_count(page, after, timeout_s=timeout_s))
            out["rerun_s"].append(time.perf_counter() - t)
            out["ws_bytes"].append(received[0])
            out["windows"].append(_window(page.url))
            window = after
        out["blocked"] = len(blocked)
    return out


def sessions(url: str, *, n: int, window: tuple[str, str], months: int, steps: int, count,
             timeout_s: float = 600.0) -> dict:
    """`n` browser sessions (pages of their own) open on `window`, then in each round every session clicks
    the step button that moves it by `months`, the `n` clicks sent together so the server serves the reruns
    at the same time. Returns each round's seconds (clicks to every session showing its new count), the
    counts shown, and whether each equals `count(start, end)` (a SQL count on the store)."""
    label = {12: "+ year", 1: "+ month", -1: "− month", -12: "− year"}[months]
    out = {"rounds_s": [], "shown": [], "windows": [], "correct": []}
    with chromium_page() as (page, blocked):
        pages = [page] + [_offline_page(page) for _ in range(n - 1)]
        query = f"/?mode=window&window={window[0]}&window={window[1]}&raw=true"   # counts checked against SQL
        for p in pages:
            p.goto(url + query, wait_until="commit", timeout=timeout_s * 1000)
        for p in pages:
            map_frame(p, timeout=timeout_s * 1000)
            settled_count(p, window, timeout_s=timeout_s)
        for _ in range(steps):
            after = shift(window, months)
            for p in pages:  # every session idle (its map's own rerun done) before the round's clicks
                wait_rerun(p, timeout=timeout_s * 1000)
            expected = count(*after)
            t = time.perf_counter()
            for p in pages:
                p.get_by_role("button", name=label).click()
            shown = [_count_at(p, after, expected=expected, timeout_s=timeout_s) for p in pages]
            out["rounds_s"].append(time.perf_counter() - t)
            out["shown"].append(shown)
            out["windows"].append(after)
            out["correct"].append(all(x == expected for x in shown))
            window = after
        out["blocked"] = len(blocked)
    return out


def _count_at(page, window: tuple[str, str], *, expected: int, timeout_s: float) -> int | None:
    """The count the app shows for `window` once its rerun is done: the URL names the window, the heading
    names it, and the count settles on `expected` (a SQL count of the store). During a rerun the old count
    stays on screen until replaced (and agrees with the old table heading), so a count read too early is
    the previous window's: the round ends when the right count is shown, or with the last count seen once
    `timeout_s` has passed (then `correct` is false)."""
    deadline = time.monotonic() + timeout_s
    while _window(page.url) != tuple(window):
        if time.monotonic() > deadline:
            return None
        page.wait_for_timeout(100)  # not time.sleep: Playwright updates page.url only inside its own calls
    start, end = (dt.date.fromisoformat(d) for d in window)
    heading = f"{start:%d %b %Y} – {end:%d %b %Y}"
    try:
        page.get_by_role("heading", name=heading, exact=True).wait_for(
            timeout=max(deadline - time.monotonic(), 1.0) * 1000)
    except PlaywrightTimeout:
        return None
    shown = None
    while time.monotonic() < deadline:
        shown = settled_count(page, window, timeout_s=max(deadline - time.monotonic(), 1.0))
        if shown == expected:
            break
        page.wait_for_timeout(100)
    return shown


def _offline_page(page, *, allow=LOCAL):
    """Another page of the same browser, every request outside `allow` aborted (no network)."""
    p = page.context.browser.new_page(viewport=page.viewport_size)
    p.route("**/*", lambda r: r.continue_() if r.request.url.startswith(allow) else r.abort())
    return p


def standalone_draw(path: Path, *, repeat: int, timeout_s: float = 300.0) -> list[float]:
    """Seconds from navigation start to painted, for a self-contained HTML file (fresh page each time)."""
    times = []
    with chromium_page() as (page, _):
        for _ in range(repeat):
            p = _offline_page(page, allow=LOCAL + ("file://",))
            p.goto(path.resolve().as_uri(), wait_until="load", timeout=timeout_s * 1000)
            painted = p.evaluate(PAINTED)
            origin = p.evaluate("performance.timeOrigin")
            times.append((painted - origin) / 1000)
            p.close()
    return times


def startup(url: str, *, warm: int) -> tuple[float, list[float], dict]:
    """Page open to first map drawn: the first visit after the server started, then `warm` more visits."""
    phases = {"cold": {}, "warm": []}
    with chromium_page() as (page, _):
        cold = open_map(page, url, timeout_s=120, phases=phases["cold"])
        wait_rerun(page, timeout=120_000)
        warm_times = []
        for _ in range(warm):
            p = _offline_page(page)
            phases["warm"].append({})
            warm_times.append(open_map(p, url, timeout_s=120, phases=phases["warm"][-1]))
            wait_rerun(p, timeout=120_000)
            p.close()
    return cold, warm_times, phases

