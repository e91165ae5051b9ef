"""Command line: `python -m geo import|geocode|gazetteer|control|changes|snapshot|briefing|compare|animate` (see `python -m geo --help`)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from events.errors import UsageError

EPILOG = """examples:
  python -m geo import my_table.csv --store atlas.gpkg --rejects rejects.csv
  python -m geo import ucdp_ged_iraq.csv --clip study-area     (an Iraq-wide file: only the study area)
  python -m geo geocode Hawija الدبس "30 km south-west of Kirkuk" --json
  python -m geo gazetteer import IQ.txt --store atlas.gpkg     (a GeoNames dump; OCHA, IOM DTM, any table)
  python -m geo gazetteer import villages.xlsx --name Village --name-ar "الاسم" --lat Y --lon X
  python -m geo gazetteer list --store atlas.gpkg
  python -m geo geocode "Qaryat al Maftul" --store atlas.gpkg --json
  python -m geo control --date 2015-06-01 --json > control_2015-06-01.geojson
  python -m geo changes
  python -m geo snapshot --out kirkuk_2017-10-16.png --date 2017-10-16 --size 1920x1080
  python -m geo snapshot --out replay.html --from 2014-01-01 --to 2017-12-31
  python -m geo briefing --out brief.pdf --dates 2014-06-15,2014-08-08,2017-10-16,2021-06-01
  python -m geo compare --view 'd2=Hawija' --dates 2014-05-01,2017-12-01 --out hawija_2014_2017.png
  python -m geo animate --out kirkuk_2014-2017.mp4 --from 2014-01-01 --to 2017-12-31 --step 1m
  python -m geo animate --out hawija.gif --view 'window=2014-01-01&window=2014-12-31&d2=Hawija' --step 1w --fps 4
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m geo", description="Kirkuk incident atlas: places and control.",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="`python -m events import`, looking up rows that name only a place",
                         description="The import of `python -m events import` (same options and output), with "
                                     "the gazetteer as geocoder: rows without coordinates get them from their "
                                     "place name (English or Arabic, 'N km DIRECTION of PLACE'); a name it "
                                     "cannot find rejects that row, with the reason. --clip study-area keeps only "
                                     "the rows inside Kirkuk governorate and the districts around it (the built-in "
                                     "boundaries); the default, none, keeps every row.")
    from events.__main__ import add_import_options
    add_import_options(imp)
    geo = sub.add_parser("geocode", help="place names (English or Arabic, 'N km DIRECTION of PLACE') to coordinates",
                         description="One result per text: coordinates, geo_precision (1 exact, 2 near, 3 district, "
                                     "4 governorate), the matched gazetteer entry and a score; 'not found' with the "
                                     "best candidates when nothing matches well enough.")
    geo.add_argument("texts", nargs="+", metavar="TEXT")
    geo.add_argument("--json", action="store_true", help="one JSON object per line")
    geo.add_argument("--store", metavar="FILE", help="also use this store's gazetteers and the places learnt from "
                                                     "its imports (default: the built-in gazetteer only)")
    from events import store as _store
    # named without a URL's password (ATLAS_STORE may hold one); `%` doubled for argparse
    store_help = ("the store: a GeoPackage file or a postgresql://user@host/db URL (default: "
                  + _store.label(_store.DEFAULT_PATH).replace("%", "%%") + ")")
    gaz = sub.add_parser("gazetteer", help="your own gazetteers (GeoNames, OCHA, IOM DTM, any table): import, list, remove",
                         description="Places of your own, stored in the store with their file and licence note; "
                                     "every later geocode and import with that store uses them.")
    gsub = gaz.add_subparsers(dest="gazetteer_command", required=True)
    gimp = gsub.add_parser("import", help="read a gazetteer file into the store",
                           description="A GeoNames country dump (IQ.txt: 19 tab-separated columns, no header), an "
                                       "OCHA COD populated-places table, an IOM DTM location master list, or any "
                                       "CSV / Excel table (name its columns with --name, --name-ar, --lat, --lon). "
                                       "Only places inside the study area (and half a degree around it) are kept. "
                                       "A gazetteer of the same file name is replaced.")
    gimp.add_argument("path", metavar="PATH")
    gimp.add_argument("--format", default="auto", choices=["auto", "geonames", "ocha", "dtm", "table"])
    gimp.add_argument("--name", metavar="COL", help="the column of the (Latin-script) name")
    gimp.add_argument("--name-ar", dest="name_ar", metavar="COL", help="the column of the Arabic name")
    gimp.add_argument("--lat", metavar="COL", help="the latitude column")
    gimp.add_argument("--lon", metavar="COL", help="the longitude column")
    gimp.add_argument("--licence", metavar="TEXT", help="the licence note kept with the entries "
                                                         "(default: the format's usual terms)")
    for g in (gimp, gsub.add_parser("list", help="the gazetteers in the store")):
        g.add_argument("--store", default=str(_store.DEFAULT_PATH), help=store_help)
        g.add_argument("--json", action="store_true", help="print JSON")
    grm = gsub.add_parser("remove", help="remove a gazetteer (by id or file name) and its places")
    grm.add_argument("gazetteer", metavar="ID|FILE")
    grm.add_argument("--store", default=str(_store.DEFAULT_PATH), help=store_help)
    grm.add_argument("--json", action="store_true", help="print JSON")
    ctl = sub.add_parser("control", help="the areas of control valid on a date",
                         description="The areas of control valid on DATE (a period holds from valid_from up to, "
                                     "not including, valid_to).")
    ctl.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    ctl.add_argument("--json", action="store_true", help="print GeoJSON")
    ctl.add_argument("--layers", metavar="FILE", help="a control GeoJSON of your own instead of the defaults")
    chg = sub.add_parser("changes", help="the dates on which control changed, with a one-line description")
    chg.add_argument("--json", action="store_true", help="print JSON")
    chg.add_argument("--layers", metavar="FILE", help="a control GeoJSON of your own instead of the defaults")
    snap = sub.add_parser("snapshot", help="a PNG of a view, or a standalone interactive HTML (by --out's extension)",
                          description="Render a view: .png (headless Chromium, --size pixels) or .html (one "
                                      "self-contained file with its own time slider, opens offline).")
    snap.add_argument("--out", required=True, metavar="FILE.png|FILE.html")
    _add_view_args(snap)
    snap.add_argument("--date", metavar="D", help="as of this date: control areas on D, incidents of --trail days")
    snap.add_argument("--size", default="1920x1080", help="WIDTHxHEIGHT pixels, or a4 (landscape, 150 dpi)")
    snap.add_argument("--center", metavar="LAT,LON", help="map centre (with --zoom) instead of --bounds")
    snap.add_argument("--zoom", type=int, metavar="Z")
    snap.add_argument("--first", metavar="D", help="HTML: start of the period its slider covers (default: --from/--date)")
    snap.add_argument("--last", metavar="D", help="HTML: end of the period its slider covers (default: --to/--date)")
    snap.add_argument("--heat", action="store_true", help="heat map instead of points")
    snap.add_argument("--framing", choices=["study", "incidents", "view"],
                      help="PNG: fit the study area (default), fit the incidents shown, or the view's own framing "
                           "(--center/--zoom or --bounds, or a --view link's zoom; the default with --center or "
                           "--bounds)")
    snap.add_argument("--subtitle", help="PNG: a line under the title")
    snap.add_argument("--dpi", type=int, choices=[150, 300], default=150,
                      help="PNG: 150, or 300 for print (the same layout at twice the pixels; a4 at 300: 3508x2480)")
    from events.__main__ import add_restricted_option
    add_restricted_option(snap)
    brief = sub.add_parser("briefing", help="a PDF briefing pack, one page per date",
                           description="A PDF with a cover page (filters) and one page per date: the map on that "
                                       "date, legend, headline counts and the top incidents with sources.")
    brief.add_argument("--out", required=True, metavar="FILE.pdf")
    brief.add_argument("--dates", metavar="D1,D2,...", help="the dates, comma-separated")
    brief.add_argument("--changes", metavar="FROM:TO", help="or: every control-change date in this range "
                                                             "(the default: those of --from/--to or a --view link)")
    brief.add_argument("--paper", choices=["a4", "letter"], default="a4", help="paper size (default: a4)")
    brief.add_argument("--orientation", choices=["portrait", "landscape"], default="landscape",
                       help="page orientation (default: landscape)")
    brief.add_argument("--author", default="", help="the author named on the cover")
    _add_view_args(brief)
    cmp = sub.add_parser("compare", help="two dates (or two windows) side by side: one PNG or one A4 PDF page",
                         description="The view on two dates (the incidents of its trail up to each, the areas of "
                                     "control on each), or over two windows: two maps at one centre and zoom, each "
                                     "titled with its date, one legend, and what changed (ground held per "
                                     "controller in km², gained and lost; incidents in each window; the control "
                                     "changes between the dates). .png (--size pixels) or .pdf (one A4 landscape page).")
    cmp.add_argument("--out", required=True, metavar="FILE.png|FILE.pdf")
    cmp.add_argument("--view", metavar="LINK", help="the query string (or whole URL) of a link shared from the app: its "
                     "filters and controllers (and trail, in 'as of' mode) apply on both dates")
    cmp.add_argument("--dates", metavar="A,B", help="the two dates, YYYY-MM-DD, the earlier first")
    cmp.add_argument("--windows", metavar="A1:B1,A2:B2", help="or two windows (start:end), the earlier-ending first")
    cmp.add_argument("--trail", type=int, metavar="DAYS", help="with --dates: days of incidents up to each date "
                                                              "(default: the view's, 90)")
    cmp.add_argument("--store", help="GeoPackage store (default: the curated data set)")
    cmp.add_argument("--title", help="title printed on the page (at most 160 characters)")
    cmp.add_argument("--framing", choices=["study", "incidents", "view"], default="study",
                     help="both maps: fit the study area (default), fit every incident of either window, or the "
                          "view's own centre and zoom (a --view link's lat, lon and z)")
    cmp.add_argument("--size", default="1920x1080", help="PNG: WIDTHxHEIGHT pixels, or a4 (landscape, 150 dpi)")
    cmp.add_argument("--online", action="store_true", help="try online base tiles (default: the offline base)")
    add_restricted_option(cmp)
    anim = sub.add_parser("animate", help="the playback as an animated GIF or an H.264 MP4 (by --out's extension)",
                          description="One frame a --step from --from to --to (or over a --view link's window): "
                                      "the PNG snapshot of the view on each date (areas of control on that date, "
                                      "the incidents of the --trail days up to it, the date large, the legend, "
                                      "the counts and the data credits), drawn by headless Chromium.")
    anim.add_argument("--out", required=True, metavar="FILE.gif|FILE.mp4")
    _add_view_args(anim)
    anim.add_argument("--step", default="1m", help="between frames: Nd, Nw, Nm, Ny or day, week, month, year (1m)")
    anim.add_argument("--size", default="1280x720", help="WIDTHxHEIGHT pixels (1280x720)")
    anim.add_argument("--fps", type=float, default=2.0, help="frames a second (2)")
    anim.add_argument("--notes", choices=("all", "store", "changes", "none"), default="all",
                      help="notes on the frames: the store's annotations and the control changes (all), one of "
                           "them, or none")
    lst = sub.add_parser("list", help="the incidents of a view, as the app shows them",
                         description="`python -m events list` on the incidents joined with the boundaries and the "
                                     "areas of control, as the app joins them: with --view LINK, exactly the "
                                     "incidents the app shows for that link (districts and controllers included).")
    from events import exports
    from events.__main__ import add_filters, add_raw_option
    add_filters(lst)
    lst.add_argument("--store", help="GeoPackage store (default: the curated data set)")
    add_raw_option(lst)
    lst.add_argument("--format", default="csv", choices=[*exports.FORMATS, "json"], help="output format")
    add_restricted_option(lst)
    lst.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    return p


def _add_view_args(p) -> None:
    from events.__main__ import add_filters
    add_filters(p)
    p.add_argument("--store", help="GeoPackage store (default: the curated data set)")
    p.add_argument("--trail", type=int, default=90, metavar="DAYS", help="days of incidents up to each date (90)")
    p.add_argument("--controller", action="append", metavar="NAME", help="only places held by NAME then (repeatable)")
    p.add_argument("--bounds", metavar="S,W,N,E", help="the area to show (default: the study area)")
    p.add_argument("--no-control", action="store_true", help="leave out the areas of control")
    p.add_argument("--online", action="store_true", help="try online base tiles (default: the offline base)")
    p.add_argument("--title", help="title printed on the page")


def _numbers(text: str, n: int, what: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != n:
        raise UsageError(f"{what} {text!r}: expected {n} comma-separated numbers")
    return values


def _incidents(store_path, *, raw: bool = False):
    """Incidents with admin areas from the boundaries in use and their controller on their date: one row
    per event (the fused view, as the app shows it), or every source row with `raw`. Fused before the
    joins, so an event's place is its most precise source's."""
    from events.__main__ import load_incidents
    from geo import boundaries, control
    frame = boundaries.assign_admin(load_incidents(store_path, raw=raw))
    return frame.join(control.controller_of(frame))


def _version(store_path) -> str:
    from events import store
    return store.info(store_path)["data_version"] if store_path else store.curated_version()


def _accessed(store_path) -> dict:
    """When each licensed data set in the store was imported: the access date its credit names."""
    from events import exports, store
    return exports.access_dates(store.import_log(store_path)) if store_path else {}


def _view(args, **extra):
    from events.__main__ import filters_from, view_from
    from geo import snapshot
    shown = view_from(args)
    if shown is not None:  # a shared link: its window, filters and layers; the page options still apply
        options = dict(offline=not args.online, **extra)
        options["heat"] = options.get("heat") or shown.heat
        if args.bounds:
            options.update(bounds=_numbers(args.bounds, 4, "--bounds"))
        if args.title:
            options["title"] = args.title
        if args.no_control:
            options["show_control"] = False
        return snapshot.view_from(shown, **options)
    filters = filters_from(args)
    start, end = filters.pop("start", None), filters.pop("end", None)
    options = dict(filters=filters, controllers=args.controller or [], show_control=not args.no_control,
                   offline=not args.online, **extra)
    if args.bounds:
        options["bounds"] = _numbers(args.bounds, 4, "--bounds")
    if args.title:
        options["title"] = args.title
    if getattr(args, "center", None):
        options.update(center=_numbers(args.center, 2, "--center"), zoom=args.zoom or 9, bounds=None)
    if getattr(args, "date", None):
        return snapshot.view_for(date=args.date, trail_days=args.trail, **options)
    return snapshot.view_for(start=start, end=end, **options)


def _cmd_snapshot(args) -> int:
    from events.__main__ import view_from
    from geo import snapshot
    out = Path(args.out)
    view = _view(args, heat=args.heat)
    incidents, version, accessed = _incidents(args.store), _version(args.store), _accessed(args.store)
    if out.suffix.lower() == ".html":  # the HTML carries the incidents row by row: a raw-row export
        from events import exports
        if args.restricted == "counts":
            raise UsageError("--restricted counts is for data files; the HTML takes omit or include")
        if args.restricted != "include" and (held := exports.restricted_note(incidents)):
            if args.restricted is None:
                raise UsageError(f"{held} Give --restricted omit (leave them out of the HTML) or --restricted "
                                 "include (on your own responsibility under the data's terms).")
            incidents = exports.without_restricted(incidents)
        shown = view_from(args)
        trail = shown.trail_days if shown is not None and shown.mode == "as of" else args.trail
        text = snapshot.interactive_html(incidents, view, data_version=version, first=args.first, last=args.last,
                                         trail_days=trail, accessed=accessed)
        out.write_text(text, encoding="utf-8")
    elif out.suffix.lower() == ".png":
        size = snapshot.parse_size(args.size)
        framing = args.framing or ("view" if args.bounds or args.center else "study")
        out.write_bytes(snapshot.snapshot_png(incidents, view, data_version=version, size=size,
                                              allow_network=args.online, accessed=accessed, framing=framing,
                                              subtitle=args.subtitle, dpi=args.dpi))
    else:
        raise UsageError(f"--out {out.name}: use a .png or .html file name")
    print(f"wrote {out} ({out.stat().st_size:,} bytes)")
    return 0


def _cmd_list(args) -> int:
    from events import query, view
    from events.__main__ import filters_from, view_from, write_selection
    shown = view_from(args)
    frame = _incidents(args.store, raw=args.raw or bool(shown and shown.raw))  # --raw, or a link's raw=true
    selected = query.select(frame, **filters_from(args)) if shown is None else view.select(frame, shown)
    return write_selection(selected, fmt=args.format, out=args.out, restricted=args.restricted)


def _cmd_briefing(args) -> int:
    from events import annotations
    from events.__main__ import filters_from, view_from
    from geo import briefing, snapshot
    shown = view_from(args)
    if args.dates and args.changes:
        raise UsageError("give --dates D1,D2,... or --changes FROM:TO, not both")
    window = {}
    if shown is not None:
        filters, controllers, trail = shown.filters(), list(shown.controllers), shown.trail_days
        window = {"start": shown.start, "end": shown.end}
    else:
        filters = filters_from(args)
        lo, hi = filters.pop("start", None), filters.pop("end", None)
        controllers, trail = args.controller or [], args.trail
        if lo is not None and hi is not None:
            window = {"start": lo, "end": hi}
    if args.changes:
        lo, _, hi = args.changes.partition(":")
        window = {"start": _date(lo), "end": _date(hi)}
    dates = [d.strip() for d in args.dates.split(",") if d.strip()] if args.dates else None
    if not dates and not window:
        raise UsageError("give --dates D1,D2,..., --changes FROM:TO, --from D --to D or --view LINK")
    bounds = _numbers(args.bounds, 4, "--bounds") if args.bounds else snapshot.STUDY_BOUNDS
    notes = annotations.read(args.store) if args.store else None
    pdf = briefing.briefing_pdf(_incidents(args.store), dates, **window, filters=filters, controllers=controllers,
                                data_version=_version(args.store), accessed=_accessed(args.store),
                                trail_days=trail, bounds=bounds, author=args.author, notes=notes,
                                paper=args.paper, orientation=args.orientation,
                                title=args.title or briefing.TITLE, allow_network=args.online,
                                lang=getattr(shown, "lang", "en") if shown is not None else "en",
                                progress=lambda i, n: print(f"page {i}/{n} rendered", file=sys.stderr))
    Path(args.out).write_bytes(pdf)
    print(f"wrote {args.out} ({len(pdf):,} bytes)")
    return 0


def _cmd_compare(args) -> int:
    from events import exports
    from events import view as events_view
    from events.__main__ import view_from
    from geo import compare, snapshot
    out = Path(args.out)
    if out.suffix.lower() not in (".png", ".pdf"):
        raise UsageError(f"--out {out.name}: use a .png or .pdf file name")
    if bool(args.dates) == bool(args.windows):
        raise UsageError("give --dates A,B or --windows A1:B1,A2:B2 (one of them)")
    if args.restricted == "counts":
        raise UsageError("--restricted counts is for data files; the comparison takes omit or include")
    shown = view_from(args) or events_view.View()
    if args.trail is not None:
        if not 1 <= args.trail <= 3650:
            raise UsageError(f"--trail {args.trail}: use 1 to 3650 days")
        shown = events_view.with_changes(shown, trail_days=args.trail)
    dates = windows = None
    if args.dates:
        dates = [d.strip() for d in args.dates.split(",") if d.strip()]
    else:
        windows = [tuple(w.strip() for w in span.split(":")) for span in args.windows.split(",") if span.strip()]
        if any(len(w) != 2 for w in windows):
            raise UsageError(f"--windows {args.windows[:80]!r}: expected START:END,START:END")
    size = snapshot.parse_size(args.size) if out.suffix.lower() == ".png" else None
    incidents = _incidents(args.store, raw=shown.raw)
    if args.restricted == "omit":
        incidents = exports.without_restricted(incidents)
    comparison = compare.compare(incidents, view=shown, dates=dates, windows=windows)
    options = dict(data_version=_version(args.store), accessed=_accessed(args.store), title=args.title,
                   framing=args.framing, allow_network=args.online)
    data = (compare.compare_png(comparison, size=size, **options) if size else compare.compare_pdf(comparison, **options))
    out.write_bytes(data)
    print(f"wrote {out} ({len(data):,} bytes)")
    return 0


def _cmd_animate(args) -> int:
    from events.__main__ import view_from
    from geo import animation, snapshot
    shown = view_from(args)
    if shown is None and not (args.start and args.end):
        raise UsageError("give --from and --to (the playback's first and last dates), or --view LINK")
    view = _view(args)
    trail = shown.trail_days if shown is not None and shown.mode == "as of" else args.trail
    from events import annotations
    from geo import briefing
    notes = annotations.combined(
        annotations.read(args.store) if args.store and args.notes in ("all", "store") else None,
        briefing.default_notes(lang=view.lang) if args.notes in ("all", "changes") else None)
    played = animation.animate(_incidents(args.store), view, args.out, start=view.start, end=view.end,
                               step=args.step, trail_days=trail, size=snapshot.parse_size(args.size), fps=args.fps,
                               data_version=_version(args.store), accessed=_accessed(args.store),
                               allow_network=args.online, notes=notes,
                               progress=lambda i, n: print(f"frame {i}/{n} rendered", file=sys.stderr))
    print(f"wrote {played.path} ({played.frames} frames, {played.size[0]}x{played.size[1]}, "
          f"{played.path.stat().st_size:,} bytes, {played.seconds_per_frame:.2f} s a frame)")
    return 0


def _date(text: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise UsageError(f"{text!r} is not a date (expected YYYY-MM-DD)") from None


def _layers(path):
    from geo import control
    return control.read_control(path) if path else control.default_layers()


def _cmd_import(args) -> int:
    from events.__main__ import run_import
    from geo.boundaries import study_area
    from geo.gazetteer import gazetteer_for
    return run_import(args, geocoder=gazetteer_for(args.store), study_area=study_area)


def _cmd_gazetteer(args) -> int:
    from events import store
    from geo import gazetteer
    if args.gazetteer_command == "import":
        try:
            got = gazetteer.import_gazetteer(args.store, args.path, format=args.format, name=args.name,
                                             name_ar=args.name_ar, lat=args.lat, lon=args.lon, licence=args.licence)
        except gazetteer.GazetteerFileError as exc:
            raise UsageError(str(exc)) from None
        if args.json:
            print(json.dumps(got, ensure_ascii=False))
        else:
            print(f"{got['file']}: {got['entries']:,} places stored as gazetteer {got['id']} ({got['format']}; "
                  f"{got['licence']}); {got['outside']:,} outside the study area left out, "
                  f"{got['refused']:,} rows refused" + (f", replacing the earlier {got['file']}" if got["replaced"] else ""))
            for line in got["problems"][:20]:
                print(f"  {line}", file=sys.stderr)
        return 0
    if args.gazetteer_command == "list":
        listed = store.gazetteers(args.store).drop(columns=["sha256"])
        if args.json:
            print(json.dumps(listed.to_dict("records"), ensure_ascii=False))
        elif listed.empty:
            print("no gazetteer of your own in this store")
        for r in listed.itertuples() if not args.json else ():
            print(f"{r.id}	{r.file}	{r.format}	{r.entries:,} places	{r.imported_at}	{r.licence}")
        return 0
    removed = store.remove_gazetteer(args.store, args.gazetteer)
    if args.json:
        print(json.dumps({"removed": args.gazetteer, "places": removed}, ensure_ascii=False))
    else:
        print(f"removed gazetteer {args.gazetteer} ({removed:,} places)")
    return 0


def _cmd_geocode(args) -> int:
    from geo.gazetteer import gazetteer_for, geocode
    if args.store and not Path(args.store).exists():
        raise UsageError(f"--store {Path(args.store).name}: no such store")
    within = gazetteer_for(args.store) if args.store else None
    for text in args.texts:
        hit = geocode(text, gazetteer=within)
        if args.json:
            print(json.dumps(hit.to_dict(), ensure_ascii=False))
        elif hit.found and not hit.ambiguous:
            print(f"{text}\t{hit.lat:.5f}, {hit.lon:.5f}\tprecision {hit.geo_precision}\t{hit.matched} "
                  f"(score {hit.score:.0f}){'  ' + hit.note if hit.note else ''}")
        else:
            best = ", ".join(f"{c['name']} ({c['score']:.0f})" for c in (hit.candidates or [])[:3]
                             if isinstance(c, dict) and "name" in c)
            said = (hit.note or "ambiguous") if hit.ambiguous else "not found"
            print(f"{text}\t{said}{'; candidates: ' + best if best else ''}")
    return 0


def _cmd_control(args) -> int:
    from geo import control
    day = _date(args.date)
    valid = control.control_at(day, layers=_layers(args.layers))
    if args.json:
        print(control.to_geojson(valid))
        return 0
    if valid.empty:
        print(f"{day:%Y-%m-%d}: no control area recorded")
    for row in valid.sort_values(["controller", "area_id"]).itertuples():
        end = "ongoing" if pd.isna(row.valid_to) else f"{row.valid_to:%Y-%m-%d}"
        print(f"{row.area_id}\t{row.controller}\t{row.control_type}\t{row.valid_from:%Y-%m-%d} – {end}\t"
              f"confidence {row.confidence}{'  (date uncertain)' if row.uncertain else ''}")
    return 0


def _cmd_changes(args) -> int:
    from geo import control
    changes = control.control_changes(layers=_layers(args.layers))
    if args.json:
        print(json.dumps([{"date": f"{r.date:%Y-%m-%d}", "description": r.description, "area_ids": list(r.area_ids)}
                          for r in changes.itertuples()], ensure_ascii=False))
    else:
        for r in changes.itertuples():
            print(f"{r.date:%Y-%m-%d}\t{r.description}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from events.errors import AtlasError
    args = _parser().parse_args(argv)
    commands = {"import": _cmd_import, "geocode": _cmd_geocode, "gazetteer": _cmd_gazetteer,
                "control": _cmd_control, "changes": _cmd_changes,
                "snapshot": _cmd_snapshot, "briefing": _cmd_briefing, "list": _cmd_list,
                "compare": _cmd_compare, "animate": _cmd_animate}
    try:
        return commands[args.command](args)
    except AtlasError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # e.g. --out in a folder that does not exist: the file's name, never its path
        name = f"{Path(str(exc.filename)).name}: " if exc.filename else ""
        print(f"error: {name}{exc.strerror or type(exc).__name__}", file=sys.stderr)
    except Exception as exc:  # a bug of ours: still one line (its text may hold server paths, so not shown)
        print(f"error: unexpected {type(exc).__name__}; nothing was written", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
