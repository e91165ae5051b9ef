"""The map's JavaScript and CSS, served locally so the atlas works with no network.

folium lists its assets as CDN URLs on class attributes (`default_js` / `default_css`). Offline,
the first failed script stops the whole map, silently. So the set-up command copies the same
libraries, installed from PyPI (xstatic-leaflet, xstatic-leaflet-markercluster, folium's own
leaflet-heat), into `static/vendor/` where Streamlit serves them, and `declare` points each map
element the atlas builds (the instance, never folium's classes) at those files. Nothing third-party is
committed to the repository.
"""
from __future__ import annotations

import base64
import mimetypes
import re
import shutil
from pathlib import Path

import folium

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "static" / "vendor"


def _sources() -> dict[str, Path]:
    """vendor file name -> installed file it is copied from."""
    import fontpkg_noto_sans_arabic as arabic
    import xstatic.pkg.leaflet as leaflet
    import xstatic.pkg.leaflet_markercluster as cluster

    lf, mc = Path(leaflet.BASE_DIR), Path(cluster.BASE_DIR)
    files = {"leaflet.js": lf / "leaflet.js", "leaflet.css": lf / "leaflet.css",
             "leaflet.markercluster.js": mc / "leaflet.markercluster.js",
             "MarkerCluster.css": mc / "MarkerCluster.css",
             "MarkerCluster.Default.css": mc / "MarkerCluster.Default.css",
             "leaflet-heat.js": Path(folium.__file__).parent / "templates" / "leaflet_heat.min.js"}
    files[FONT] = next(Path(arabic.ROOT).glob("files/NotoSansArabic*.ttf"))  # Arabic and Kurdish script
    for image in (lf / "images").glob("*.png"):
        files[f"images/{image.name}"] = image
    return files


def install(dest: Path = STATIC) -> list[Path]:
    """Copy the vendor files into `dest` (idempotent); return the files written."""
    written = []
    for name, src in _sources().items():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.stat().st_size != src.stat().st_size:
            shutil.copyfile(src, target)
        written.append(target)
    return written


def missing(dest: Path = STATIC) -> list[str]:
    """Vendor files not yet installed (the app says so instead of drawing a blank map)."""
    return [name for name in _sources() if not (dest / name).exists()]


URL = "/app/static/vendor"
FONT = "fonts/NotoSansArabic.ttf"
FONT_FAMILY = "Noto Sans Arabic"


def font_face(base_url: str = URL, *, embed: bool = False) -> str:
    """The CSS that gives pages, maps and exports the Arabic font: served locally, or inside the file
    itself (`embed`) for a standalone HTML export or a snapshot rendered with no server."""
    src = _data_uri(_sources()[FONT]) if embed else f"{base_url.rstrip('/')}/{FONT}"
    return (f"@font-face {{ font-family: '{FONT_FAMILY}'; src: url('{src}') format('truetype');"
            " font-weight: 100 900; font-display: swap; }")  # where Streamlit serves static/vendor (behind the server's base path, if any)


def links(base_url: str = URL) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """The local JS and CSS each kind of map element needs, as folium's (name, url) lists."""
    base = base_url.rstrip("/")
    heat = [("leaflet-heat.js", f"{base}/leaflet-heat.js")]
    return {"map": {"js": [("leaflet", f"{base}/leaflet.js")], "css": [("leaflet_css", f"{base}/leaflet.css")]},
            "heat": {"js": heat, "css": []},
            "cluster": {"js": [("markerclusterjs", f"{base}/leaflet.markercluster.js")],
                        "css": [("markerclustercss", f"{base}/MarkerCluster.css"),
                                ("markerclusterdefaultcss", f"{base}/MarkerCluster.Default.css")]}}


def declare(element, kind: str, base_url: str = URL):
    """Give one element (a folium.Map, a HeatMap, an atlas element) the local assets of `kind`.

    Set on the instance, as folium's plugins declare theirs on their class: nothing is patched for the
    whole process, so two pages built at once (the app and a snapshot) cannot disturb each other."""
    wanted = links(base_url)[kind]
    element.default_js, element.default_css = list(wanted["js"]), list(wanted["css"])
    return element


def _data_uri(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"


def inline(html: str, *, base_url: str = "/app/static/vendor") -> str:
    """Replace every <script src>/<link href> pointing at our vendor files with the file's content,
    and the images the CSS refers to with data URIs, so one HTML file works offline on its own."""
    sources = _sources()
    base = re.escape(base_url.rstrip("/"))

    def script(match):
        body = sources[match.group(1)].read_text(encoding="utf-8").replace("</script", "<\\/script")
        return f"<script>{body}</script>"

    def style(match):
        css = sources[match.group(1)].read_text(encoding="utf-8")
        css = re.sub(r"url\((['\"]?)images/([^)'\"]+)\1\)",
                     lambda m: f"url({_data_uri(sources['images/' + m.group(2)])})" if "images/" + m.group(2)
                     in sources else m.group(0), css)
        return f"<style>{css}</style>"

    html = re.sub(rf'<script[^>]*src="{base}/([^"]+)"[^>]*>\s*</script>', script, html)
    html = re.sub(rf'<link[^>]*href="{base}/([^"]+)"[^>]*/?>', style, html)
    return html
