"""Real-browser test support: `streamlit run` on a free loopback port, Debian's Chromium through
Playwright with every non-loopback request blocked (so the tests prove the app works offline)."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
ARTIFACTS = ROOT / "tests" / "artifacts"
LOCAL = ("http://127.0.0.1", "http://localhost", "data:", "blob:", "about:", "file:")


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: CI must run the browser tests (bash .ci/setup --test installs it)")
        pytest.skip("Debian chromium is not installed (bash .ci/setup --test installs it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_app(*, store: Path, timeout: float = 90.0, extra_env: dict | None = None):
    """Run `streamlit run app.py` on a free loopback port; yield its URL; stop it afterwards."""
    port = free_port()
    env = dict(os.environ, ATLAS_STORE=str(store), **(extra_env or {}))
    log = open(store.parent / f"streamlit_{port}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--server.fileWatcherType", "none"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:  # poll until the server answers; never a fixed sleep
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start: {(store.parent / f'streamlit_{port}.log').read_text()[-2000:]}")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextmanager
def chromium_page(*, width: int = 1500, height: int = 1000, locale: str | None = None):
    """A Playwright page in Debian's Chromium (its language `locale`, e.g. 'ar-IQ', else the default);
    yields (page, blocked) where blocked lists every non-loopback URL the page tried to reach (all of
    them were aborted)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": height}, **({"locale": locale} if locale else {}))

        def route(r):
            if r.request.url.startswith(LOCAL):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        try:
            yield page, blocked
        finally:
            browser.close()


def map_frame(page, *, timeout: float = 90_000):
    """The st_folium iframe's frame once Leaflet has drawn the base and the dynamic layers.

    Streamlit may mount the component iframe more than once while a page starts: each attempt looks
    the iframe up again, so a replaced (detached) frame is never waited on for long."""
    from playwright.sync_api import Error as PlaywrightError

    ready = ("window.map && window.map._loaded && document.querySelector('#map_div')"
             " && document.querySelector('#map_div').dataset.incidents !== undefined")
    deadline = time.monotonic() + timeout / 1000
    while True:
        left_ms = max(1_000.0, (deadline - time.monotonic()) * 1000)
        try:
            handle = page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', state="attached",
                                            timeout=left_ms)
            frame = handle.content_frame()
            if frame is not None:
                frame.wait_for_function(ready, timeout=min(left_ms, 15_000))
                return handle, frame
        except PlaywrightError:
            if time.monotonic() > deadline:
                raise


def map_state(frame) -> dict:
    return frame.evaluate("Object.assign({zoom: window.map.getZoom()}, document.querySelector('#map_div').dataset)")


def settle(page) -> None:
    """Two animation frames: what was drawn is painted before a screenshot."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def screenshot(page, name: str) -> Path:
    """Save a screenshot (after checking no error element is on the page)."""
    assert page.locator("[data-testid='stException']").count() == 0, page.locator("[data-testid='stException']").all_inner_texts()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    settle(page)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def wait_rerun(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished the current run (no 'running' status widget)."""
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


def upload(page, label: str, name: str, content: bytes, mime: str) -> None:
    """Give a file to the uploader whose label starts with `label` (not by position: panels come and go),
    and return once the server has it and the page has run again."""
    uploader = page.locator("[data-testid='stFileUploader']").filter(
        has=page.locator("[data-testid='stWidgetLabel']", has_text=re.compile("^" + re.escape(label))))
    with page.expect_response(lambda r: "/_stcore/upload_file" in r.url and r.request.method == "PUT",
                              timeout=30_000):
        uploader.locator("input[type='file']").set_input_files({"name": name, "mimeType": mime, "buffer": content})
    wait_rerun(page)


__all__ = ["streamlit_app", "chromium_page", "map_frame", "map_state", "screenshot", "settle", "wait_rerun",
           "require_chromium", "upload"]
