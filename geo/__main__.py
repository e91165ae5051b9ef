"""Command line: `python -m geo geocode|control|changes` (see `python -m geo --help`)."""
from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

EPILOG = """examples:
  python -m geo geocode Hawija الدبس "30 km south-west of Kirkuk" --json
  python -m geo control --date 2015-06-01 --json > control_2015-06-01.geojson
  python -m geo changes
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m geo", description="Kirkuk incident atlas: places and control.",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    geo = sub.add_parser("geocode", help="place names (English or Arabic, 'N km DIRECTION of PLACE') to coordinates",
                         description="One result per text: coordinates, geo_precision (1 exact, 2 near, 3 district, "
                                     "4 governorate), the matched gazetteer entry and a score; 'not found' with the "
                                     "best candidates when nothing matches well enough.")
    geo.add_argument("texts", nargs="+", metavar="TEXT")
    geo.add_argument("--json", action="store_true", help="one JSON object per line")
    ctl = sub.add_parser("control", help="the areas of control valid on a date",
                         description="The areas of control valid on DATE (a period holds from valid_from up to, "
                                     "not including, valid_to).")
    ctl.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    ctl.add_argument("--json", action="store_true", help="print GeoJSON")
    ctl.add_argument("--layers", metavar="FILE", help="a control GeoJSON of your own instead of the defaults")
    chg = sub.add_parser("changes", help="the dates on which control changed, with a one-line description")
    chg.add_argument("--json", action="store_true", help="print JSON")
    chg.add_argument("--layers", metavar="FILE", help="a control GeoJSON of your own instead of the defaults")
    return p


def _date(text: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise SystemExit(f"error: {text!r} is not a date (expected YYYY-MM-DD)") from None


def _layers(path):
    from geo import control
    return control.read_control(path) if path else control.default_layers()


def _cmd_geocode(args) -> int:
    from geo.gazetteer import geocode
    for text in args.texts:
        hit = geocode(text)
        if args.json:
            print(json.dumps(hit.to_dict(), ensure_ascii=False))
        elif hit.found:
            print(f"{text}\t{hit.lat:.5f}, {hit.lon:.5f}\tprecision {hit.geo_precision}\t{hit.matched} "
                  f"(score {hit.score:.0f}){'  ' + hit.note if hit.note else ''}")
        else:
            best = ", ".join(f"{c['name']} ({c['score']:.0f})" for c in (hit.candidates or [])[:3]
                             if isinstance(c, dict) and "name" in c)
            print(f"{text}\tnot found{'; best candidates: ' + best if best else ''}")
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
    from geo.control import ControlError
    args = _parser().parse_args(argv)
    commands = {"geocode": _cmd_geocode, "control": _cmd_control, "changes": _cmd_changes}
    try:
        return commands[args.command](args)
    except ControlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
