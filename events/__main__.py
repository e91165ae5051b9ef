"""Command line: `python -m events import|list|info|match|actors|annotate|migrate|edit|roles` (see `--help`).

`--store` names a GeoPackage file or a PostGIS database (`postgresql://user@host/db`); `migrate` copies a
whole store from one to the other.

`list` shows the fused view by default (one row per event however many sources report it, matched by
events.matching with the store's review decisions); `--raw` lists the rows as imported. `match decide`
stores a review decision (confirm, split, merge) on two incident_ids; `match list` shows the matches.

events never imports geo: `python -m events import` stores rows that carry coordinates; the geo
command line's `python -m geo import` runs the same import with its gazetteer as the geocoder
(`main(argv, geocoder=...)` / `run_import(args, geocoder=...)`), for tables naming only places.
Every failure a user can cause is an AtlasError: one `error: ...` line on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path
from typing import Callable

import pandas as pd

from events import actors, annotations, edits, exports, matching, model, query, store, view
from events.errors import AtlasError, UsageError

EPILOG = """examples:
  python -m events import acled_iraq.csv --store atlas.gpkg --rejects rejects.csv
  python -m geo import my_table.csv --store atlas.gpkg     (a table naming places without coordinates)
  python -m events list --from 2014-06-01 --to 2017-10-31 --place Hawija --format csv
  python -m events list --store atlas.gpkg --raw     (every source row, as imported)
  python -m events match list --store atlas.gpkg
  python -m events match decide cur-2013-001 ucdp:51556 split --store atlas.gpkg --by "A. Analyst"
  python -m events info --store atlas.gpkg --json
  python -m events actors list --lang ar
  python -m events actors unmapped --store atlas.gpkg
  python -m events actors map "Daash fighters" --to isis --store atlas.gpkg
  python -m events annotate add --date 2017-10-16 --text "federal forces enter Kirkuk" --author "A. Analyst"
  python -m events annotate list --store atlas.gpkg
  python -m events info --store postgresql://analyst@db.example/atlas     (a shared PostGIS store)
  python -m events migrate --from atlas.gpkg --to postgresql://analyst@db.example/atlas
  python -m events edit acled:IRQ123 --set killed_best=7 --reason "Reuters, 3 May" --by "A. Analyst"
  python -m events edit history acled:IRQ123
  python -m events roles add-user alice analyst --store postgresql://admin@db.example/atlas
"""


# The default store is named without a URL's password (ATLAS_STORE may hold one); `%` doubled for argparse.
STORE_HELP = ("the store: a GeoPackage file or a postgresql://user@host/db URL (default: "
              + store.label(store.DEFAULT_PATH).replace("%", "%%") + ")")
STORE_HELP_CURATED = "the store: a GeoPackage file or a postgresql:// URL (default: the curated data set)"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m events", description="Kirkuk incident atlas: data tools.",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    imp = sub.add_parser("import", help="import an ACLED / UCDP GED / GTD / CSV / GeoJSON file into the store",
                         description="Read a file, validate every row and store the accepted ones in one "
                                     "transaction (all of it or nothing). Rows already in the store are "
                                     "updated, not duplicated. Rows without coordinates are rejected: to look "
                                     "their place names up, use `python -m geo import` (same options). Exit 0 "
                                     "when the file was read, even with rejected rows; 2 with a one-line error "
                                     "when it could not be.")
    add_import_options(imp)

    lst = sub.add_parser("list", help="print the incidents matching filters",
                         description="Print incidents in the canonical columns, one row per event: rows of "
                                     "several sources reporting the same event are fused (tolls the range over "
                                     "the sources, every citation; see docs/matching.md). Without --store: the "
                                     "curated default data set.")
    lst.add_argument("--store", help=STORE_HELP_CURATED)
    add_raw_option(lst)
    add_filters(lst)
    lst.add_argument("--format", default="csv", choices=[*exports.FORMATS, "json"],
                     help="output format (an export format; json: the canonical records; kml: Google Earth "
                          "with time spans; gpkg: GeoPackage, needs --out)")
    lst.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    add_restricted_option(lst)

    inf = sub.add_parser("info", help="counts, date range and data version",
                         description="Counts, date range, datasets and data version of a store "
                                     "(without --store: the curated data set).")
    inf.add_argument("--store", help=STORE_HELP_CURATED)
    inf.add_argument("--json", action="store_true", help="print JSON")

    mat = sub.add_parser("match", help="review the matches between sources: list them, decide on a pair",
                         description="The matcher joins rows of different sources that report the same event; "
                                     "a reviewer's decision on two incident_ids (confirm, split, merge) is stored "
                                     "in the store and applied on every later view, re-imports included.")
    msub = mat.add_subparsers(dest="match_command", required=True)
    dec = msub.add_parser("decide", help="store a decision on two incidents",
                          description="confirm: the matcher's match (or possible match) is right; split: never one "
                                      "event; merge: one event although the matcher did not join them. The last "
                                      "decision on a pair wins.")
    dec.add_argument("left", metavar="LEFT", help="an incident_id (e.g. cur-2013-001)")
    dec.add_argument("right", metavar="RIGHT", help="another incident_id (e.g. ucdp:51556)")
    dec.add_argument("decision", choices=list(matching.DECISIONS))
    dec.add_argument("--store", default=str(store.DEFAULT_PATH), help=STORE_HELP)
    dec.add_argument("--by", default="", metavar="NAME", help="who decides (free text, kept with the decision)")
    dec.add_argument("--json", action="store_true", help="print JSON")
    mls = msub.add_parser("list", help="the fused events, possible duplicates and decisions of a store",
                          description="Every event reported by several sources (its members), every pair kept "
                                      "apart as a possible duplicate, and the stored decisions (who, when).")
    mls.add_argument("--store", default=str(store.DEFAULT_PATH), help=STORE_HELP)
    mls.add_argument("--json", action="store_true", help="print JSON")

    act = sub.add_parser("actors", help="the canonical actors: list them, the names not on the list, map a name",
                         description="Imports keep each source's actor names and map them onto the canonical "
                                     "list (events/data/actors.csv, docs/actors.md). A name the list does not "
                                     "know stays as it is until you map it; a mapping is kept in the store and "
                                     "applies to every import, earlier ones included.")
    asub = act.add_subparsers(dest="actors_command", required=True)
    als = asub.add_parser("list", help="the canonical actors with their group and names")
    als.add_argument("--lang", default="en", choices=list(actors.LANGS), help="names in this language")
    als.add_argument("--json", action="store_true", help="print JSON")
    aun = asub.add_parser("unmapped", help="the actor names of a store (or the curated set) not on the list",
                          description="Each actor name with no canonical actor and in how many rows it appears.")
    aun.add_argument("--store", help=STORE_HELP_CURATED)
    aun.add_argument("--json", action="store_true", help="print JSON")
    amp = asub.add_parser("map", help="map a source's actor name onto a canonical actor (kept in the store)")
    amp.add_argument("name", metavar="NAME", help="the actor name as the source writes it")
    amp.add_argument("--to", required=True, metavar="ID", help="a canonical actor_id (see `actors list`)")
    amp.add_argument("--store", default=str(store.DEFAULT_PATH), help=STORE_HELP)
    aum = asub.add_parser("unmap", help="remove your mapping of an actor name")
    aum.add_argument("name", metavar="NAME")
    aum.add_argument("--store", default=str(store.DEFAULT_PATH), help=STORE_HELP)
    ann = sub.add_parser("annotate", help="notes on dates (shown in the PDF briefing, the animation, the HTML export)",
                         description="A note on a date (\"16 Oct 2017: federal forces enter Kirkuk\"), kept in the "
                                     "store. The control-change descriptions are the default notes.")
    nsub = ann.add_subparsers(dest="annotate_command", required=True)
    nad = nsub.add_parser("add", help="store a note on a date")
    nad.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    nad.add_argument("--text", required=True, help=f"the note, one line (at most {annotations.MAX_TEXT} characters)")
    nad.add_argument("--author", default="", help="who wrote it")
    nls = nsub.add_parser("list", help="the notes of the store, by date")
    nls.add_argument("--from", dest="start", metavar="D", help="notes on or after this date")
    nls.add_argument("--to", dest="end", metavar="D", help="notes on or before this date")
    nls.add_argument("--json", action="store_true", help="print JSON")
    nrm = nsub.add_parser("remove", help="remove a note by its id (see `annotate list`)")
    nrm.add_argument("id", metavar="ID")
    for q in (nad, nls, nrm):
        q.add_argument("--store", default=str(store.DEFAULT_PATH), help=STORE_HELP)
    edt = sub.add_parser("edit", help="correct an incident's fields (kept with who, when and why), its history, "
                                      "revert an edit",
                         description="`edit ID --set FIELD=VALUE ... --reason TEXT --by NAME`: correct fields of an "
                                     "incident, validated as an imported row is; `edit history ID`: its edits (who, "
                                     "when, old -> new, why); `edit revert EDIT_ID --reason TEXT --by NAME`: restore "
                                     "the value an edit replaced. Edits survive re-imports. On a PostGIS store the "
                                     "database names the editor (its user). Editable fields: "
                                     + ", ".join(edits.EDITABLE) + ".")
    edt.add_argument("words", nargs="+", metavar="ID | history ID | revert EDIT_ID")
    edt.add_argument("--set", dest="changes", action="append", default=[], metavar="FIELD=VALUE",
                     help="a field's new value (repeatable; FIELD= clears it)")
    edt.add_argument("--seen", action="append", default=[], metavar="FIELD=VALUE",
                     help="the value you saw (default: the value stored when the command starts); the edit is "
                          "refused if the field changed since")
    edt.add_argument("--reason", default="", help="why (required to edit or revert)")
    edt.add_argument("--by", default="", help="who edits (required on a GeoPackage store)")
    edt.add_argument("--json", action="store_true", help="print JSON")
    edt.add_argument("--store", default=str(store.DEFAULT_PATH), help=STORE_HELP)
    rol = sub.add_parser("roles", help="a PostGIS store's roles: set them up, add a user, list the users",
                         description="Roles enforced by PostgreSQL (grants and row-level security): viewer reads, "
                                     "analyst imports and edits, admin also deletes, manages gazetteers and users. "
                                     "`setup` (as the store's owner; safe to repeat) makes the group roles and "
                                     "grants; `add-user NAME ROLE` makes a sign-in role in one group.")
    rsub = rol.add_subparsers(dest="roles_command", required=True)
    rset = rsub.add_parser("setup", help="make the group roles and grants (idempotent)")
    radd = rsub.add_parser("add-user", help="make a user (a LOGIN role) in one group, or move one")
    radd.add_argument("name", metavar="NAME")
    radd.add_argument("role", metavar="ROLE", help="viewer, analyst or admin")
    radd.add_argument("--password-stdin", action="store_true", help="read the user's password from stdin")
    rls = rsub.add_parser("list", help="the users and their roles")
    for q in (rset, radd, rls):
        q.add_argument("--store", default=str(store.DEFAULT_PATH), help=STORE_HELP)
    mig = sub.add_parser("migrate", help="copy a whole store into another (GeoPackage or PostGIS, either way)",
                         description="Copy every table of a store (incidents with their import ids, import log, "
                                     "rejects, gazetteers, place evidence, decisions, actor mappings, notes) into "
                                     "another in one transaction, then check the rows table by table. A target "
                                     "that holds data is refused unless --replace.")
    mig.add_argument("--from", dest="source", required=True, metavar="STORE",
                     help="the store to copy: a GeoPackage file or a postgresql:// URL")
    mig.add_argument("--to", dest="target", required=True, metavar="STORE",
                     help="the store to write: a GeoPackage file or a postgresql:// URL (made if missing)")
    mig.add_argument("--replace", action="store_true", help="replace what the target holds")
    mig.add_argument("--json", action="store_true", help="print the counts as JSON")
    return p


def add_raw_option(p: argparse.ArgumentParser) -> None:
    """--raw: the rows as imported (every source's row) instead of the fused view."""
    p.add_argument("--raw", action="store_true",
                   help="every source row as imported, not fused (each marked with its cluster and matches)")


def add_import_options(p: argparse.ArgumentParser) -> None:
    """The options of `events import`, shared with `geo import` (the same import, with a geocoder)."""
    from events import sources

    p.add_argument("path", help="file to import")
    p.add_argument("--source", default="auto", choices=sources.choices(),
                   help="what the file is (default: detected from its header)")
    p.add_argument("--store", default=str(store.DEFAULT_PATH), help=STORE_HELP)
    p.add_argument("--rejects", metavar="FILE", help="write the rejects report (row, field, value, reason) as CSV")
    order = p.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", dest="dayfirst", action="store_const", const=True, default=None,
                       help="numeric dates such as 5/9/2020 are day/month (when the file itself never settles it)")
    order.add_argument("--monthfirst", dest="dayfirst", action="store_const", const=False,
                       help="numeric dates such as 5/9/2020 are month/day")
    p.add_argument("--clip", default="none", metavar="study-area|none|FILE",
                   help="keep only the rows inside an area: study-area (Kirkuk governorate and the districts "
                        "around it; with `python -m geo import`), FILE (your polygons: GeoJSON, KML, GeoPackage "
                        "or zipped Shapefile) or none (default: every row); the rows outside are counted")
    p.add_argument("--json", action="store_true", help="print one JSON object: accepted, rejected, source, ...")


STUDY_AREA = "study-area"


def clip_area(args: argparse.Namespace, *, study_area: Callable | None = None):
    """The area `--clip` names: None for none, the study area from `study_area()` (the geo command line
    passes its boundaries'), or the polygons of a user's file (events.area.read_area)."""
    from events import area
    choice = (getattr(args, "clip", None) or "none").strip()
    if choice.lower() == "none":
        return None
    if choice.lower() == STUDY_AREA:
        if study_area is None:
            raise UsageError("--clip study-area needs the boundaries: run `python -m geo import` with the same "
                             "options (or give --clip FILE with your own polygons)")
        return study_area()
    return area.read_area(choice)


def add_filters(p: argparse.ArgumentParser) -> None:
    """The filter options shared by `events list` and `geo snapshot` / `geo briefing`."""
    p.add_argument("--from", dest="start", metavar="DATE", help="window start, YYYY-MM-DD (interval overlap)")
    p.add_argument("--to", dest="end", metavar="DATE", help="window end, YYYY-MM-DD")
    p.add_argument("--type", dest="event_types", action="append", metavar="T",
                   help="ACLED event type (repeatable), e.g. 'Battles'")
    p.add_argument("--place", dest="places", action="append", metavar="NAME",
                   help="place, district or sub-district name, English or Arabic (repeatable)")
    p.add_argument("--actor", dest="actors", action="append", metavar="NAME", help="actor name (repeatable)")
    p.add_argument("--min-killed", type=int, metavar="N", help="at least N killed (highest reported figure)")
    p.add_argument("--text", metavar="WORDS", help="free text search, English or Arabic")
    p.add_argument("--view", metavar="LINK", help="the query string (or whole URL) of a link shared from the app: "
                   "exactly that view (dates, every filter); the other filter options are then not allowed")


def view_from(args: argparse.Namespace):
    """The `events.view.View` named by --view (None without it); a dropped link parameter is said on
    stderr, and mixing --view with other filters is an error (which would win is not obvious)."""
    if not getattr(args, "view", None):
        return None
    mixed = [k for k in ("start", "end", "event_types", "places", "actors", "min_killed", "text")
             if getattr(args, k, None) is not None]
    if mixed:
        raise UsageError("--view already holds the dates and filters: leave out " +
                         ", ".join("--" + {"start": "from", "end": "to", "event_types": "type", "places": "place",
                                          "min_killed": "min-killed"}.get(k, k.rstrip("s")) for k in mixed))
    shown = view.from_query(args.view)
    for note in shown.notes:
        _say(note)
    return shown


def add_restricted_option(p: argparse.ArgumentParser) -> None:
    """--restricted: what a raw-row export does with rows whose licence forbids passing them on (ACLED, GTD)."""
    p.add_argument("--restricted", choices=list(exports.RESTRICTED_CHOICES),
                   help="when the selection holds ACLED or GTD rows, whose terms forbid passing raw rows on: "
                        + "; ".join(f"{k}: {v}" for k, v in exports.RESTRICTED_CHOICES.items())
                        + " (required then for every format but counts)")


def write_selection(selected, *, fmt: str, out: str | None, restricted: str | None = None) -> int:
    """Print or write the selected incidents in `fmt` (an export format, or json: the canonical records).

    Rows whose licence forbids passing them on (ACLED, GTD) in a raw-row format need `restricted`
    (omit, counts or include; see exports.RESTRICTED_CHOICES), else one UsageError line says so."""
    raw = fmt == "json" or exports.FORMATS[fmt].raw_rows
    if raw and not selected.empty and exports.restricted_rows(selected).any():
        if restricted is None:
            raise UsageError(exports.restricted_note(selected).rstrip(".") + "; give --restricted " + ", ".join(
                f"{k} ({v})" for k, v in exports.RESTRICTED_CHOICES.items()))
        if restricted == "counts":
            fmt = "counts"
        elif restricted == "omit" and fmt == "json":
            selected = exports.without_restricted(selected)
            if selected.empty:
                raise exports.ExportError("every incident in the selection comes from a data set whose licence "
                                          "forbids passing its rows on: use --restricted counts")
    if fmt == "json":
        data = (model.to_records(selected).to_json(orient="records", force_ascii=False, indent=1) + "\n").encode()
    elif fmt == "gpkg" and not out:
        raise UsageError("--format gpkg writes a binary GeoPackage: give --out FILE.gpkg")
    elif selected.empty and fmt == "csv":
        data = exports.sheet_safe(model.to_records(selected)).to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
    else:
        data, _, _ = exports.export(selected, fmt, restricted=restricted)
    if out:
        Path(out).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def filters_from(args: argparse.Namespace) -> dict:
    """The query filters named on the command line (shared with `python -m geo`)."""
    out = {}
    for key in ("start", "end", "event_types", "places", "actors", "min_killed", "text"):
        value = getattr(args, key, None)
        if value is not None:
            out[key] = value
    for key in ("start", "end"):
        if key in out:
            try:
                out[key] = pd.Timestamp(out[key])
            except ValueError:
                raise UsageError(f"--{'from' if key == 'start' else 'to'} {out[key]!r} is not a date "
                                 "(expected YYYY-MM-DD)") from None
    unknown = [t for t in out.get("event_types", []) if t not in model.EVENT_TYPES]
    if unknown:
        raise UsageError(f"unknown event type {unknown[0]!r}; one of: {', '.join(model.EVENT_TYPES)}")
    return out


def load_incidents(store_path: str | None, *, raw: bool = False):
    """The store's incidents (or the curated data set when no store is named) as one row per event: the
    fused view of events.matching with the store's review decisions; `raw`: every source row as imported,
    with its `cluster_id` and `match`. Either way with the canonical actors (events.actors: actor1_id,
    actor2_id and attributions; the store's own mappings applied)."""
    found = match_incidents(store_path)
    frame = matching.annotate(found) if raw else matching.fuse(found)[0]
    return actors.canonicalise(frame, user_aliases=store.actor_aliases(store_path) if store_path else None)


def match_incidents(store_path: str | None) -> matching.Matching:
    """The matcher's result over the store's rows (or the curated set's) with the store's decisions."""
    if store_path:
        return matching.match(store.load(store_path), decisions=store.decision_records(store_path))
    from events.curated import load_curated
    return matching.match(load_curated())


def _say(message: str) -> None:
    """A progress line on stderr (waiting for the store's lock, storing)."""
    print(message, file=sys.stderr, flush=True)


def run_import(args: argparse.Namespace, *, geocoder: Callable | None = None,
               study_area: Callable | None = None) -> int:
    """`import` (options from add_import_options): store one file; print its summary and rejects.

    `geocoder(place) -> {lat, lon, geo_precision, found}` looks up rows that name a place but carry
    no coordinates; the geo command line passes its gazetteer's. Without one, such rows are rejected
    and a note says to import the file with `python -m geo import`. `study_area()` is the polygon
    `--clip study-area` keeps (geo's); rows outside the `--clip` area are left out and counted.
    """
    from events import area, sources
    path = Path(args.path)
    keep = clip_area(args, study_area=study_area)
    try:
        summary = store.import_file(args.store, path, clip=keep, source=args.source, geocoder=geocoder,
                                   notify=_say, dayfirst=args.dayfirst)
    except OSError as exc:
        print(f"error: {path.name}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if args.rejects:
        try:
            exports.sheet_safe(summary.rejects).to_csv(args.rejects, index=False, encoding="utf-8-sig")
        except OSError as exc:
            print(f"error: {Path(args.rejects).name}: the rejects report cannot be written "
                  f"({exc.strerror or exc}); the import itself is stored", file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps(summary.to_dict(), ensure_ascii=False))
    else:
        print(f"{path.name}: read {summary.rows_read} rows as {summary.source}; accepted {summary.accepted} "
              f"({summary.new} new, {summary.updated} updated), rejected {summary.rejected}"
              f"{' (report: ' + args.rejects + ')' if args.rejects and summary.rejected else ''}"
              f"{f'; left out {summary.outside} outside the --clip area' if keep is not None else ''}.")
        for line in [*summary.notes, summary.actors_note()]:
            if line:
                print(f"  note: {line}")
        if summary.rejected and not args.rejects:
            listed = summary.rejects[summary.rejects["field"] != store.NOT_LISTED]
            head = listed.head(5)
            for r in head.itertuples(index=False):
                print(f"  row {r.row}, {r.field} = {r.value!r}: {r.reason}")
            more = summary.rejected - head["row"].nunique()
            if more > 0:
                print(f"  ... {more} more rejected rows; use --rejects FILE for the report")
    if geocoder is None:
        placeless = summary.rejects.loc[summary.rejects["reason"] == sources.NO_COORDINATES, "row"].nunique()
        if placeless:
            name = "".join(c if c.isprintable() else "?" for c in path.name)  # no control characters to the terminal
            _say(f"note: {placeless} row(s) of {name} have no coordinates; `python -m events import` does not "
                 f"look place names up: to geocode them, run `python -m geo import {name} ...` with the "
                 "same options")
    return 0


def _cmd_list(args) -> int:
    shown = view_from(args)
    frame = load_incidents(args.store, raw=args.raw or bool(shown and shown.raw))  # --raw, or a link's raw=true
    if shown is None:
        selected = query.select(frame, **filters_from(args))
    elif shown.needs_geo():
        raise UsageError("this link filters by district, sub-district or controller, which needs the boundaries "
                         "and areas of control: use `python -m geo list --view ...` (same options)")
    else:
        selected = view.select(frame, shown)
    return write_selection(selected, fmt=args.format, out=args.out, restricted=args.restricted)


def _cmd_info(args) -> int:
    if args.store:
        facts = store.info(args.store)
    else:
        frame = load_incidents(None)
        facts = {"store": None, "incidents": len(frame),
                 "date_min": frame["date_start"].min().strftime("%Y-%m-%d"),
                 "date_max": frame["date_end"].max().strftime("%Y-%m-%d"),
                 "by_dataset": frame["source_dataset"].value_counts().to_dict(),
                 "data_version": store.curated_version()}
    if args.json:
        print(json.dumps(facts, ensure_ascii=False, default=str))
    else:
        for key, value in facts.items():
            print(f"{key}: {value}")
    return 0


def _cmd_match(args) -> int:
    if args.match_command == "decide":
        got = store.add_decision(args.store, args.left, args.right, args.decision, by=args.by)
        if args.json:
            print(json.dumps(got, ensure_ascii=False))
        else:
            print(f"stored: {got['left']} and {got['right']}: {got['decision']}"
                  f"{' by ' + got['by'] if got['by'] else ''} ({got['at']}); it applies from the next view")
        return 0
    found = match_incidents(args.store)
    _, members = matching.fuse(found)
    ids = found.frame["incident_id"].astype(str).to_numpy(object)
    possible = [{"left": ids[int(r.left)], "right": ids[int(r.right)], "score": round(float(r.score), 2)}
                for r in found.possible.itertuples(index=False)]
    clusters = [{"cluster_id": cid, "members": [{"incident_id": m.incident_id, "dataset": m.source_dataset,
                                                  "role": m.role, "decision": m.decision if isinstance(m.decision, str)
                                                  else None} for m in part.itertuples(index=False)]}
                for cid, part in members.groupby("cluster_id", sort=True)]
    decided = store.decisions(args.store).to_dict("records")
    unapplied = [{"left": d.left, "right": d.right, "decision": d.decision, "why": why} for d, why in found.unapplied]
    if args.json:
        print(json.dumps({"clusters": clusters, "possible": possible, "decisions": decided,
                          "unapplied": unapplied}, ensure_ascii=False))
        return 0
    print(f"{len(clusters)} events reported by several sources; {len(possible)} possible duplicates kept apart; "
          f"{len(decided)} decisions")
    for c in clusters:
        print(f"same event\t{c['cluster_id']}\t" + ", ".join(
            f"{m['incident_id']} ({m['dataset']})" for m in c["members"] if m["incident_id"] != c["cluster_id"]))
    for p in possible:
        print(f"possible\t{p['left']}\t{p['right']}\tscore {p['score']:.2f}")
    for d in decided:
        print(f"decision\t{d['left']}\t{d['right']}\t{d['decision']}\t{d['by'] or '-'}\t{d['at']}")
    for u in unapplied:
        print(f"not applied\t{u['left']}\t{u['right']}\t{u['decision']}\t{u['why']}")
    return 0


def _cmd_actors(args) -> int:
    if args.actors_command == "list":
        rows = [{"actor_id": a.actor_id, "group_id": a.group_id, "name": actors.names_of(a.actor_id, args.lang),
                 "group": actors.group_name(a.group_id, args.lang), "aliases": list(a.aliases)}
                for a in actors.actors().values()]
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        else:
            for r in rows:
                print(f"{r['actor_id']}\t{r['group']}\t{r['name']}")
        return 0
    if args.actors_command == "unmapped":
        if args.store:
            frame = store.load(args.store)
            missing = actors.unmapped(frame, user_aliases=store.actor_aliases(args.store))
        else:
            from events.curated import load_curated
            missing = actors.unmapped(load_curated())
        if args.json:
            print(json.dumps(missing.to_dict("records"), ensure_ascii=False))
        else:
            print(f"{len(missing)} actor names not on the canonical list")
            for r in missing.itertuples(index=False):
                print(f"{r.rows}\t{actors.clean_name(r.name)}")
        return 0
    if args.actors_command == "map":
        got = store.map_actor(args.store, args.name, args.to)
        print(f"mapped {got['name']!r} to {got['actor_id']} ({actors.names_of(got['actor_id'])}); "
              "it applies to every import from the next view")
        return 0
    removed = store.unmap_actor(args.store, args.name)
    if not removed:
        raise UsageError(f"no mapping of {actors.clean_name(args.name)[:80]!r} in the store "
                         "(the canonical list's own aliases cannot be removed)")
    print(f"removed the mapping of {actors.clean_name(args.name)!r}")
    return 0


def _cmd_annotate(args) -> int:
    if args.annotate_command == "add":
        note = annotations.add(args.store, date=args.date, text=args.text, author=args.author)
        print(f"note {note['id']} stored on {note['date']:%Y-%m-%d}: {note['text']}")
        return 0
    if args.annotate_command == "list":
        notes = annotations.read(args.store, start=args.start, end=args.end)
        if args.json:
            records = [{**r, "date": f"{r['date']:%Y-%m-%d}"} for r in notes.to_dict("records")]
            print(json.dumps(records, ensure_ascii=False))
        else:
            print(f"{len(notes)} notes")
            for r in notes.itertuples(index=False):
                print(f"{r.id}\t{r.date:%Y-%m-%d}\t{r.author}\t{r.text}")
        return 0
    if not annotations.remove(args.store, args.id):
        raise UsageError(f"no note {str(args.id).strip()[:40]!r} in the store (see `annotate list`)")
    print(f"removed note {str(args.id).strip()}")
    return 0


def _pairs(items: list[str], option: str) -> dict:
    out = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise UsageError(f"{option} {item[:40]!r}: give FIELD=VALUE")
        out[name.strip()] = value
    return out


def _cmd_edit(args) -> int:
    words = args.words
    if words[0] == "history" and len(words) == 2:
        trail = edits.history(args.store, words[1])
        if args.json:
            print(json.dumps([{k: (None if pd.isna(v) else v.item() if hasattr(v, "item") else v)
                               for k, v in r.items()} for r in trail.to_dict("records")], ensure_ascii=False))
            return 0
        print(f"{len(trail)} edits of {words[1].strip()[:80]}")
        for r in trail.itertuples(index=False):
            undo = f" (reverts {r.reverts})" if not pd.isna(r.reverts) else ""
            print(f"{r.id}\t{r.at}\t{r.by}\t{r.field}: {r.old!r} -> {r.new!r}\t{r.reason}{undo}")
        return 0
    if words[0] == "revert" and len(words) == 2:
        done = edits.revert(args.store, words[1], by=args.by, reason=args.reason)
    elif len(words) == 1:
        changes = _pairs(args.changes, "--set")
        if not changes:
            raise UsageError("give at least one --set FIELD=VALUE")
        seen = {**edits.current(args.store, words[0]), **_pairs(args.seen, "--seen")}
        done = edits.edit(args.store, words[0], changes, reason=args.reason, by=args.by, seen=seen)
    else:
        raise UsageError("edit ID --set FIELD=VALUE ..., edit history ID, or edit revert EDIT_ID")
    if args.json:
        print(json.dumps(done, ensure_ascii=False))
        return 0
    n = len(done["edits"])
    print(f"{n} field{'' if n == 1 else 's'} changed of {done['incident_id'][:80]}")
    for e in done["edits"]:
        print(f"{e['id']}\t{e['field']}: {e['old']!r} -> {e['new']!r}")
    return 0


def _cmd_roles(args) -> int:
    from events import roles

    where = store.location(args.store)
    if args.roles_command == "setup":
        done = roles.setup(where)
        made = ", ".join(done["made"]) or "none new"
        print(f"roles set up in {store.label(where)} (groups made: {made})")
    elif args.roles_command == "add-user":
        password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
        done = roles.add_user(where, args.name, args.role, password=password)
        print(f"{'added' if done['created'] else 'moved'} {done['user']} as {done['role']}")
    else:
        for r in roles.users(where).itertuples(index=False):
            print(f"{r.user}\t{r.role}\t{'login' if r.can_login else 'no login'}")
    return 0


def _cmd_migrate(args) -> int:
    from events import migrate

    counts = migrate.migrate(args.source, args.target, replace=args.replace, notify=_say)
    if args.json:
        print(json.dumps(counts))
        return 0
    print(f"copied {store.label(store.location(args.source))} into {store.label(store.location(args.target))}:")
    for table, n in counts.items():
        print(f"  {table}: {n['source']:,} rows, {n['target']:,} in the target")
    return 0


def main(argv: list[str] | None = None, *, geocoder: Callable | None = None) -> int:
    """Run one command; any failure is one line on stderr and exit status 2, never a traceback.

    `geocoder` is for `import` (see run_import): the caller's, since events never imports geo.
    """
    args = _parser().parse_args(argv)
    commands = {"import": partial(run_import, geocoder=geocoder), "list": _cmd_list, "info": _cmd_info,
                "match": _cmd_match, "actors": _cmd_actors, "annotate": _cmd_annotate,
                "migrate": _cmd_migrate, "edit": _cmd_edit,
                "roles": _cmd_roles}
    try:
        return commands[args.command](args)
    except AtlasError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("error: interrupted (an import is stored whole or not at all)", file=sys.stderr)
        return 130
    except OSError as exc:  # e.g. --out in a folder that does not exist; the file's name, not its path
        name = Path(str(exc.filename)).name + ": " if exc.filename else ""
        print(f"error: {name}{exc.strerror or type(exc).__name__}", file=sys.stderr)
    except Exception as exc:  # a bug of ours: still one line (its text may hold server paths, so not shown)
        print(f"error: unexpected {type(exc).__name__}; nothing half-stored (imports are all or nothing); "
              "please report it", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
