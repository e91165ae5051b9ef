"""The cross-source matcher: candidates, scores, clusters, the fused frame and review decisions.

Rows built here are synthetic fixtures (notes say so), except the real UCDP GED Iraq file read from ../shared
and the shipped curated set."""
import json
import os

import numpy as np
import pandas as pd
import pytest

from events import curated, matching, model, query, sources
from tests.events.factory import rows

KIRKUK = (35.468056, 44.392222)
TUZ = (34.888083, 44.632564)
HAWIJA = (35.324934, 43.768621)


def event(dataset: str, sid: str, **spec) -> dict:
    base = {"source_dataset": dataset, "source_id": sid, "date_start": "2015-03-10", "lat": KIRKUK[0],
            "lon": KIRKUK[1], "geo_precision": 1, "place": "Kirkuk city", "event_type": "Explosions/Remote violence",
            "sub_event_type": "Suicide bomb", "killed_best": "12", "actor1": "Islamic State",
            "notes": "synthetic test row",
            "sources": model.dumps([model.citation(title=f"synthetic report {dataset} {sid}", publisher=dataset)])}
    return {**base, **spec}


def frame(*specs: dict) -> pd.DataFrame:
    parts = [rows([s], dataset=s["source_dataset"]) for s in specs]
    return pd.concat(parts, ignore_index=True)


def ucdp(sid: str, tv: str = "1", **spec) -> dict:
    return event("ucdp", sid, event_type="Battles" if tv != "3" else "Violence against civilians",
                 sub_event_type="Armed clash" if tv != "3" else "Attack", actor1="Government of Iraq", actor2="IS",
                 original=json.dumps({"type_of_violence": tv}), **spec)


def cluster_of(m: matching.Matching, incident_id: str) -> set[str]:
    cid = m.clusters[m.frame["incident_id"] == incident_id].iloc[0]
    return set(m.frame.loc[m.clusters == cid, "incident_id"])


# --- the case: the real UCDP GED file over the curated set -----------------------------------------
@pytest.fixture(scope="module")
def real(shared):
    path = shared / "real" / "ucdp_ged_iraq.csv"
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path.name} is missing from ../shared/real: CI must run the real-data tests")
        pytest.skip(f"{path.name} is not in ../shared/real")
    ged = sources.read_ucdp(path).accepted
    both = pd.concat([curated.load_curated(), ged], ignore_index=True)
    m = matching.match(both)
    return both, m, *matching.fuse(m)


def test_kirkuk_and_tuz_bombings_of_16_jan_2013_are_one_incident_each_with_both_sources(real):
    both, m, fused, members = real
    assert cluster_of(m, "cur-2013-001") == {"cur-2013-001", "ucdp:51556"}  # KDP HQ, Kirkuk
    assert cluster_of(m, "cur-2013-002") == {"cur-2013-002", "ucdp:51554"}  # Tuz Khurmatu
    day = fused[(fused["date_start"] == "2013-01-16") & fused["datasets"].eq("curated;ucdp")]
    assert set(day["incident_id"]) == {"cur-2013-001", "cur-2013-002"}
    kirkuk = day.set_index("incident_id").loc["cur-2013-001"]
    # curated 10-28 (best 28), UCDP 27: the range over both sources, not 37-55
    assert (kirkuk["killed_low"], kirkuk["killed_high"]) == (10, 28)
    assert json.loads(kirkuk["original"])["members"] == ["cur-2013-001", "ucdp:51556"]
    publishers = {c.get("publisher") for c in model.parse_sources(kirkuk["sources"])}
    assert "Uppsala Conflict Data Program (UCDP)" in publishers and "Al Jazeera" in publishers
    assert set(members.loc[members["cluster_id"] == "cur-2013-001", "incident_id"]) == {"cur-2013-001", "ucdp:51556"}
    # UCDP's next-day Tuz event (2 killed) is a near pair: left apart, marked, not merged
    raw = matching.annotate(m).set_index("incident_id")
    assert raw.loc["ucdp:51584", "cluster_id"] == "ucdp:51584"
    assert "possible duplicate of cur-2013-002" in raw.loc["ucdp:51584", "match"]
    assert raw.loc["ucdp:51556", "match"] == "same event as cur-2013-001"
    assert len(fused) == len(both) - int((fused["n_sources"] - 1).sum())


# --- names ---------------------------------------------------------------------------------------------------
def test_the_islamic_state_is_one_actor_under_every_name():
    for name in ("ISIS", "IS", "Islamic State", "ISIL", "Daesh", "داعش", "Suspected Islamic State (claimed)",
                 "Islamic State of Iraq and the Levant"):
        assert matching.actor_names(name) == frozenset({"IS"}), name
    assert matching.actor_names("Unidentified suicide bomber") == frozenset()
    assert matching.actor_names("This island") == frozenset()  # 'is' only as a whole word
    assert matching.actor_names("Kurdish Peshmerga / PUK guards") == frozenset({"Peshmerga", "PUK"})


def test_place_names_compare_across_spellings():
    assert matching.place_key("Ţūzkhūrmātū town") == matching.place_key("Tuz Khurmatu (near the PUK office)")
    assert matching.place_key("Kirkūk town") == matching.place_key("Kirkuk city (near the KDP local HQ)")
    assert matching.place_key("Qaḑā’ al Ḩawījah") == matching.place_key("Hawijah district")
    assert matching.place_key("Kirkuk") != matching.place_key("Dibis")


def test_type_compatibility_reads_ucdp_violence_types():
    f = frame(ucdp("1", "1"), ucdp("2", "3", lat=TUZ[0], lon=TUZ[1]), event("acled", "A1"))
    assert list(matching.type_kind(f)) == ["UCDP 1", "UCDP 3", "Explosions/Remote violence"]
    assert matching.compatibility("UCDP 1", "Explosions/Remote violence") > 0.8
    assert matching.compatibility("UCDP 3", "Violence against civilians") == 1.0
    assert matching.compatibility("Protests", "Explosions/Remote violence") == 0.0


# --- candidates -----------------------------------------------------------------------------------------------
def brute_force(f: pd.DataFrame) -> set[tuple[int, int]]:
    """Every pair checked (an n x n matrix, no sweep), by the rule candidate_pairs documents."""
    pad = pd.to_timedelta(f["date_precision"].map(matching.DATE_PAD_DAYS), unit="D")
    s, e = (f["date_start"] - pad).to_numpy(), (f["date_end"] + pad).to_numpy()
    overlap = (s[:, None] <= e[None, :]) & (s[None, :] <= e[:, None])
    ds = f["source_dataset"].to_numpy(object)
    lat, lon = f["lat"].to_numpy(), f["lon"].to_numpy()
    km = matching._haversine(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    prec = f["geo_precision"].astype(int).to_numpy()
    town = [matching.TOWN_REACH_KM.get(matching.place_key(v)) for v in f["place"]]
    reach = np.array([max(t, matching.REACH_KM[p]) if p == 1 and t else matching.REACH_KM[p]
                      for p, t in zip(prec, town)])
    near = km <= reach[:, None] + reach[None, :]
    top = np.maximum(prec[:, None], prec[None, :])
    for level, col in ((3, "admin2"), (4, "admin1")):
        key = np.array([matching.place_key(v) for v in f[col]], dtype=object)
        near |= (top >= level) & (key[:, None] != "") & (key[:, None] == key[None, :])
    ok = overlap & near & (ds[:, None] != ds[None, :])
    return {(i, j) for i, j in zip(*np.nonzero(np.triu(ok, k=1)))}


def test_candidate_pairs_are_exactly_the_all_pairs_answer():
    rng = np.random.default_rng(18)
    n = 260
    days = pd.Timestamp("2014-01-01") + pd.to_timedelta(rng.integers(0, 60, n), unit="D")
    specs = [event(f"set{rng.integers(0, 3)}", str(i), date_start=str(days[i].date()),
                   date_end=str((days[i] + pd.Timedelta(days=int(rng.choice([0, 0, 0, 6, 29])))).date()),
                   date_precision=str(rng.choice(["day", "week", "month", "year"])),
                   lat=34.5 + rng.random() * 1.5, lon=43.5 + rng.random() * 1.5,
                   geo_precision=int(rng.choice([1, 1, 2, 2, 3, 4])),
                   admin1=str(rng.choice(["Kirkuk", "Salah al-Din", ""])),
                   admin2=str(rng.choice(["Kirkuk", "Hawija", "Daquq", ""])))
             for i in range(n)]
    f = pd.concat([rows([x for x in specs if x["source_dataset"] == d], dataset=d) for d in ("set0", "set1", "set2")],
                  ignore_index=True)
    got = matching.candidate_pairs(f)
    assert set(zip(got["left"], got["right"])) == brute_force(f)
    assert len(got) > 50


# --- clusters --------------------------------------------------------------------------------------------------
def test_a_low_scoring_pair_stays_two_incidents_marked_possible():
    # same day and place, but 2 killed against 30 and a clash against a bombing: not confidently one event
    f = frame(event("curated", "c1", killed_best="30", place="Kirkuk city"),
              event("acled", "a1", killed_best="2", place="Kirkuk, Shorja market", event_type="Battles",
                    sub_event_type="Armed clash"))
    m = matching.match(f)
    (score,) = m.pairs["score"]
    assert matching.POSSIBLE <= score < matching.MATCH
    assert m.clusters.nunique() == 2
    raw = matching.annotate(m).set_index("incident_id")
    assert raw.loc["acled:a1", "match"].startswith("possible duplicate of curated:c1")
    fused, members = matching.fuse(m)
    assert len(fused) == 2 and members.empty
    assert fused.set_index("incident_id").loc["curated:c1", "match"].startswith("possible duplicate of acled:a1")


def test_two_rows_of_one_source_never_merge():
    f = frame(event("acled", "a1"), event("acled", "a2", killed_best="11"), event("ucdp", "u1"))
    m = matching.match(f)
    assert not any(f["source_dataset"][a] == f["source_dataset"][b] for a, b in zip(m.pairs["left"],
                                                                                  m.pairs["right"]))
    sizes = m.clusters.value_counts()
    assert sizes.max() == 2 and len(sizes) == 2  # u1 with one ACLED row; the other kept apart
    lone = m.clusters.value_counts().idxmin()
    assert "possible duplicate of" in matching.annotate(m).set_index("cluster_id").loc[lone, "match"]


def test_four_sources_are_one_cluster_and_one_fused_row():
    f = frame(event("curated", "c1", geo_precision=2, killed_best="", killed_low="10", killed_high="14",
                    place="Kirkuk city (near the governorate building)", place_ar="كركوك"),
              event("acled", "a1", date_start="2015-03-09", date_end="2015-03-11", date_precision="week",
                    killed_best="11", actor1="Islamic State (Iraq)"),
              ucdp("u1", "1", killed_best="12", lat=KIRKUK[0] + 0.01, place="Kirkūk town"),
              event("gtd", "g1", killed_best="14", actor1="Islamic State of Iraq and the Levant (ISIL)",
                    lat=KIRKUK[0] + 0.002, lon=KIRKUK[1] + 0.003, place="Kirkuk, Arafa"))
    m = matching.match(f)
    assert m.clusters.nunique() == 1
    fused, members = matching.fuse(m)
    (row,) = fused.itertuples()
    assert row.incident_id == "curated:c1" and row.n_sources == 4 and row.datasets == "acled;curated;gtd;ucdp"
    assert (row.killed_low, row.killed_best, row.killed_high) == (10, 12, 14)  # the range, never 47
    assert row.date_precision == "day" and row.date_start == pd.Timestamp("2015-03-10")
    assert row.geo_precision == 1 and row.place_ar == "كركوك"
    assert json.loads(row.original)["members"] == ["curated:c1", "acled:a1", "ucdp:u1", "gtd:g1"]
    assert len(model.parse_sources(row.sources)) == 4
    assert sorted(members["role"]) == ["member", "member", "member", "primary"]
    assert members["score"].notna().all()


def test_a_chain_whose_ends_disagree_is_split():
    # a1 ~ u1 (same place) and u1 ~ g1 (25 km apart, precision 2), but a1 and g1 are 40 km apart
    far = (KIRKUK[0] - 0.36, KIRKUK[1])
    mid = (KIRKUK[0] - 0.18, KIRKUK[1])
    f = frame(event("acled", "a1", place="Kirkuk"),
              ucdp("u1", "1", lat=mid[0], lon=mid[1], geo_precision=2, place="Taza"),
              event("gtd", "g1", lat=far[0], lon=far[1], geo_precision=2, place="Taza"))
    m = matching.match(f)
    assert (m.pairs["score"] >= matching.MATCH).sum() == 2  # both links are matches, the ends no candidates
    assert cluster_of(m, "ucdp:u1") == {"ucdp:u1", "gtd:g1"}  # the stronger link wins
    assert cluster_of(m, "acled:a1") == {"acled:a1"}
    assert "possible duplicate of ucdp:u1" in matching.annotate(m).set_index("incident_id").loc["acled:a1", "match"]


def test_headline_killed_range_is_the_same_when_a_source_is_imported_twice():
    once = frame(event("curated", "c1", killed_best="", killed_low="3", killed_high="9"),
                 event("export.csv", "1", killed_best="7", date_start="2016-05-01", lat=TUZ[0], lon=TUZ[1],
                       place="Tuz Khurmatu"),
                 event("export.csv", "2", killed_best="4", date_start="2016-07-01", lat=HAWIJA[0], lon=HAWIJA[1],
                       place="Hawija"))
    copy = once[once["source_dataset"] == "export.csv"].assign(source_dataset="export (1).csv")
    copy["incident_id"] = "export (1).csv:" + copy["source_id"]
    twice = pd.concat([once, copy], ignore_index=True)
    alone = query.totals(matching.fuse(matching.match(once))[0])
    doubled = query.totals(matching.fuse(matching.match(twice))[0])
    assert doubled == alone
    assert query.totals(twice)["killed_low"] > alone["killed_low"]  # the raw rows would count them twice


# --- decisions -------------------------------------------------------------------------------------------------
def test_review_decisions_split_confirm_and_merge_and_survive_a_reimport():
    f = frame(event("curated", "c1"), ucdp("u1", "1"),
              event("acled", "a1", killed_best="2", date_start="2015-03-11", place="Kirkuk, Shorja market"),
              event("gtd", "g1", date_start="2015-04-20", lat=HAWIJA[0], lon=HAWIJA[1], place="Hawija"))
    m = matching.match(f)
    assert cluster_of(m, "curated:c1") == {"curated:c1", "ucdp:u1"}
    decided = matching.apply_decisions(m, [("curated:c1", "ucdp:u1", "split")])
    assert cluster_of(decided, "curated:c1") == {"curated:c1"}
    assert "curated:c1" not in matching.annotate(decided).set_index("incident_id").loc["ucdp:u1", "match"]

    decisions = [matching.Decision("ucdp:u1", "curated:c1", "split"),
                 {"left": "acled:a1", "right": "curated:c1", "decision": "confirm"},
                 ("gtd:g1", "curated:c1", "merge"), ("acled:a9", "curated:c1", "confirm")]
    d = matching.apply_decisions(m, decisions)
    assert cluster_of(d, "curated:c1") == {"curated:c1", "acled:a1", "gtd:g1"}
    assert cluster_of(d, "ucdp:u1") == {"ucdp:u1"}
    assert [why for _, why in d.unapplied] == ["acled:a9 is not among the incidents"]
    fused, members = matching.fuse(d)
    assert set(members["decision"].dropna()) == {"confirm", "merge"}

    # a re-import: the same incident_ids in another order and other row numbers
    again = matching.match(f.iloc[::-1].reset_index(drop=True), decisions=decisions)
    assert cluster_of(again, "curated:c1") == {"curated:c1", "acled:a1", "gtd:g1"}
    assert cluster_of(again, "ucdp:u1") == {"ucdp:u1"}
    # the last decision on a pair wins
    undone = matching.apply_decisions(m, decisions + [("curated:c1", "ucdp:u1", "confirm")])
    assert cluster_of(undone, "ucdp:u1") == {"curated:c1", "acled:a1", "gtd:g1", "ucdp:u1"}


@pytest.mark.parametrize("bad, message", [
    (("a", "b", "delete"), "is not one of confirm, split, merge"),
    (("a", "a", "split"), "cannot be matched with itself"),
    ((None, "b", "merge"), "must be incident ids"),
    (("a",), "expected (left, right, decision)"),
])
def test_decisions_are_checked_at_the_boundary(bad, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        matching.read_decisions([bad])


def test_empty_and_single_frames_fuse_to_themselves():
    one = frame(event("curated", "c1"))
    fused, members = matching.fuse(matching.match(one))
    assert list(fused["incident_id"]) == ["curated:c1"] and members.empty
    pd.testing.assert_frame_equal(fused[list(model.COLUMNS)].drop(columns="geometry", errors="ignore"),
                                  one[list(model.COLUMNS)].reset_index(drop=True), check_dtype=False)
    empty = matching.fuse(matching.match(model.empty()))[0]
    assert empty.empty and "cluster_id" in empty.columns


# --- the tuned rules (docs/fusion.md) ---------------------------------------------------------------------------
def test_equal_scores_go_to_the_closer_killed_figure():
    # the curated range 2-14 holds both UCDP figures, so both pairs score alike: the closer best figure wins
    f = frame(event("curated", "c1", killed_best="", killed_low="2", killed_high="14"),
              ucdp("u8", "1", killed_best="8"), ucdp("u2", "1", killed_best="2"))
    m = matching.match(f)
    links = m.pairs[m.pairs["score"] >= matching.MATCH]
    assert len(links) == 2 and links["score"].nunique() == 1
    assert cluster_of(m, "curated:c1") == {"curated:c1", "ucdp:u2"}


def test_a_days_gap_between_day_precision_rows_is_the_report_day_not_a_contradiction():
    f = frame(event("curated", "c1"), event("acled", "a1", date_start="2015-03-11"),
              event("gtd", "g1", date_start="2015-03-12"))
    p = matching.match(f).pairs.set_index(["left", "right"])
    date = p["points"] - p[["type", "actors", "tolls", "place"]].sum(axis=1) - 1.5  # the same point: 1.5 for distance
    assert date[(0, 1)] == pytest.approx(matching.NEXT_DAY_POINTS) and matching.NEXT_DAY_POINTS > 0  # was -0.5
    assert date[(0, 2)] == pytest.approx(-1.0)  # two days apart: -0.5 a day, as before


@pytest.mark.parametrize("mine, theirs, points", [
    ({"killed_best": "3"}, {"killed_best": "4"}, matching.TOLL_CLOSE_POINTS),    # a death apart
    ({"killed_best": "25"}, {"killed_best": "28"}, matching.TOLL_CLOSE_POINTS),  # within a fifth
    ({"killed_best": "", "killed_low": "12"}, {"killed_best": "1"}, 0.0),       # "at least 12" vs 1: no contradiction
    ({"killed_best": "7"}, {"killed_best": "12"}, None),                         # far apart: still against
])
def test_close_tolls_agree_and_at_least_never_contradicts_a_smaller_figure(mine, theirs, points):
    f = frame(event("curated", "c1", **mine), event("acled", "a1", **theirs))
    (got,) = matching.match(f).pairs["tolls"]
    assert got < 0 if points is None else got == points


def test_a_point_at_a_city_reaches_the_citys_extent():
    # a bombing in west Kirkuk (11 km from the town's point) and a row placed at "Kirkūk town"
    west = (35.5125, 44.28417)
    f = frame(event("curated", "c1", lat=west[0], lon=west[1], place="K1 area, west Kirkuk"),
              ucdp("u1", "1", place="Kirkūk town"))
    assert len(matching.candidate_pairs(f)) == 1
    away = frame(event("curated", "c1", lat=west[0], lon=west[1], place="K1 area, west Kirkuk"),
                 ucdp("u1", "1", place="Shorja market"))
    assert matching.candidate_pairs(away).empty  # a named site keeps its 2 km


def test_place_names_compare_by_their_consonants_across_spellings_and_scripts():
    assert matching.consonant_key("Sulaiman Bek") == matching.consonant_key("Sulaymān Bak") == "slmnbk"
    assert matching.consonant_key("سليمان بك") == "slmnbk"
    assert matching.consonant_key("Ţūz Khūrmātū town") == matching.consonant_key("طوز خورماتو")
    assert matching.consonant_key("Dibis") == ""  # too short to say two names are one
    f = frame(event("curated", "c1", place="Sulaiman Bek (retaken)"), ucdp("u1", "1", place="Sulaymān Bak town"))
    assert matching.match(f).pairs["place"].iloc[0] == matching.CONSONANT_POINTS


def test_violence_against_civilians_is_partly_compatible_with_ucdp_state_based():
    # UCDP codes mukhtars, Sahwa and travellers killed by IS as state-based (type 1)
    assert matching.compatibility("UCDP 1", "Violence against civilians") == 0.6


@pytest.mark.parametrize("target, points", [("officials", 0.8), ("police;civilians", 0.8), ("civilians", 0.2)])
def test_killings_on_the_governments_side_are_as_compatible_with_ucdp_state_based_as_a_bombing(target, points):
    # a village mukhtar, a police captain's family, Sahwa: UCDP counts them as state-based deaths
    f = frame(event("curated", "c1", event_type="Violence against civilians", sub_event_type="Attack",
                    target=target), ucdp("u1", "1"))
    assert matching.match(f).pairs["type"].iloc[0] == pytest.approx(points)


@pytest.mark.parametrize("notes, points", [
    ("Late Sunday: a general was shot walking home; he died on Monday.", matching.LATE_NEXT_DAY_POINTS),
    ("On Sunday night gunmen attacked a checkpoint.", matching.LATE_NEXT_DAY_POINTS),
    ("Sunday morning a car bomb exploded.", matching.NEXT_DAY_POINTS),
])
def test_a_late_or_night_event_matches_the_next_days_report(notes, points):
    # the curated row (Sunday) says late or night; the other source dates the death by Monday's report
    f = frame(event("curated", "c1", notes=notes), event("acled", "a1", date_start="2015-03-11"))
    p = matching.match(f).pairs.iloc[0]
    assert p["points"] - p[["type", "actors", "tolls", "place"]].sum() - 1.5 == pytest.approx(points)
    # the later row's text says nothing of the earlier one's hour
    g = frame(event("curated", "c1", date_start="2015-03-11", notes=notes), event("acled", "a1"))
    q = matching.match(g).pairs.iloc[0]
    assert q["points"] - q[["type", "actors", "tolls", "place"]].sum() - 1.5 == pytest.approx(
        matching.NEXT_DAY_POINTS)
    assert matching.LATE_NEXT_DAY_POINTS > matching.NEXT_DAY_POINTS


def test_a_village_near_a_town_is_the_village_and_qarya_is_a_place_word():
    assert matching.place_key("Jassemiya village near Hawija") == "jassemiya"
    assert matching.place_key("Qaryat al Jāsimīyah village") == "jasimiyah"
    assert matching.consonant_key("Jassemiya") == ""  # three consonants: too short on their own
    near_hawija = (HAWIJA[0] + 0.1, HAWIJA[1] + 0.1)
    one = frame(event("curated", "c1", place="Jassemiya village near Hawija", admin2="Hawija", geo_precision=2,
                      lat=HAWIJA[0], lon=HAWIJA[1]),
                ucdp("u1", "1", place="Qaryat al Jāsimīyah village", admin2="Qaḑā’ al Ḩawījah",
                     lat=near_hawija[0], lon=near_hawija[1]))
    assert matching.match(one).pairs["place"].iloc[0] == matching.CONSONANT_POINTS  # one district: jsm = jsm
    two = one.assign(admin2=["Hawija", "Qaḑā’ Dāqūq"])
    assert matching.match(two).pairs["place"].iloc[0] == -0.5  # two districts: two places


def test_a_site_in_a_city_agrees_with_a_row_placed_at_the_city():
    west = (35.5125, 44.28417)  # 11 km from the town's point
    f = frame(event("curated", "c1", lat=west[0], lon=west[1], place="K1 area, west Kirkuk"),
              ucdp("u1", "1", place="Kirkūk town"))
    assert matching.match(f).pairs["place"].iloc[0] == matching.CONSONANT_POINTS  # was -0.5: two names
    g = frame(event("curated", "c1", lat=west[0], lon=west[1], place="K1 area, west of Dibis"),
              ucdp("u1", "1", place="Kirkūk town"))
    assert matching.match(g).pairs["place"].iloc[0] == -0.5


def test_a_pmf_row_is_no_evidence_against_ucdps_government_side():
    # UCDP counts the PMF among the Government of Iraq's forces; ACLED names the army apart
    f = frame(event("curated", "c1", actor1="Unidentified suicide bomber", actor2="Popular Mobilization Units"),
              ucdp("u1", "1"),
              event("acled", "a1", actor1="Military Forces of Iraq (2014-)", actor2="Civilians (Iraq)"))
    p = matching.match(f).pairs.set_index(["left", "right"])["actors"]
    assert p[(0, 1)] == 0.0 and p[(0, 2)] == -0.7


def test_a_tie_no_evidence_breaks_is_never_merged():
    # one curated row and two UCDP rows alike in every figure: which one is the event is a coin toss
    f = frame(event("curated", "c1"), ucdp("u1", "1"), ucdp("u2", "1"))
    m = matching.match(f)
    assert (m.pairs["score"] >= matching.MATCH).sum() == 2
    assert m.clusters.nunique() == 3
    assert matching.annotate(m).set_index("incident_id").loc["curated:c1", "match"].startswith(
        "possible duplicate of ucdp:u1 (")
    # a figure that tells them apart decides it
    g = frame(event("curated", "c1"), ucdp("u1", "1", killed_best="11"), ucdp("u2", "1"))
    assert cluster_of(matching.match(g), "curated:c1") == {"curated:c1", "ucdp:u2"}


# --- an import against a store (match_new) ------------------------------------------------------------------
def random_frame(n: int, seed: int, datasets: tuple[str, ...]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2014-01-01") + pd.to_timedelta(rng.integers(0, 40, n), unit="D")
    specs = [event(str(rng.choice(datasets)), f"{seed}-{i}", date_start=str(days[i].date()),
                   date_end=str((days[i] + pd.Timedelta(days=int(rng.choice([0, 0, 0, 6])))).date()),
                   date_precision=str(rng.choice(["day", "day", "week", "month"])),
                   lat=34.9 + rng.random() * 0.8, lon=43.9 + rng.random() * 0.8,
                   geo_precision=int(rng.choice([1, 1, 2, 2, 3, 4])), killed_best=str(rng.integers(0, 6)),
                   **dict(zip(("event_type", "sub_event_type"), [("Battles", "Armed clash"), (
                       "Explosions/Remote violence", "Suicide bomb")][int(rng.integers(0, 2))])),
                   place=str(rng.choice(["Kirkuk", "Tuz Khurmatu", "Daquq", "Hawija", "Taza"])),
                   admin1="Kirkuk", admin2=str(rng.choice(["Kirkuk", "Daquq", "Hawija"])))
             for i in range(n)]
    return pd.concat([rows([x for x in specs if x["source_dataset"] == d], dataset=d) for d in datasets
                      if any(x["source_dataset"] == d for x in specs)], ignore_index=True)


def test_matching_an_import_against_the_store_gives_the_clusters_of_matching_everything():
    stored = random_frame(240, 1, ("acled", "ucdp"))
    incoming = random_frame(80, 2, ("gtd", "acled-2"))
    prior = matching.match(stored)
    m = matching.match_new(prior, incoming, decisions=[("acled-2:2-0", "gtd:2-1", "split")], chunk_rows=25)
    whole = matching.match(pd.concat([stored, incoming], ignore_index=True),
                           decisions=[("acled-2:2-0", "gtd:2-1", "split")])
    assert (m.clusters.to_numpy(object) == whole.clusters.to_numpy(object)).all()
    assert m.clusters.nunique() < len(m.frame) - 20  # the case merges rows, old with new and new with new
    key = ["left", "right"]
    likely = whole.pairs[whole.pairs["score"] >= matching.POSSIBLE]  # lower pairs never join or mark
    pd.testing.assert_frame_equal(m.pairs.sort_values(key).reset_index(drop=True),
                                  likely.sort_values(key).reset_index(drop=True))
    assert set(map(tuple, m.possible[key].to_numpy())) == set(map(tuple, whole.possible[key].to_numpy()))
    # only pairs holding a new row were swept
    new = np.arange(len(m.frame)) >= len(stored)
    got = matching.candidate_pairs(m.frame, new=new)
    assert (new[got["left"]] | new[got["right"]]).all()
    every = matching.candidate_pairs(m.frame)
    assert len(got) == int((new[every["left"]] | new[every["right"]]).sum()) > 0


def test_the_speed_bench_matches_an_import_as_matching_everything_would(tmp_path):
    from bench import matching_speed
    out = matching_speed.run(3_000, 300, out=tmp_path)  # SYNTHETIC rows of bench/generate.py
    assert out["same_clusters_as_naive"] is True
    assert out["candidate_pairs"] > 0 and 0 < out["incoming_merged"] <= 300
    assert out["match_new_s"] > 0 and out["naive_s"] > 0 and out["peak_rss_mb"] > 0


# --- the labelled evaluation (bench/matching_eval.py, bench/matching_labels.csv: our own judgement) ----------
def test_the_matcher_against_the_hand_labels_is_never_confidently_wrong_and_misses_little(real):
    from bench import matching_eval
    both = real[0]
    labels = matching_eval.read_labels(matching_eval.LABELS)
    out = matching_eval.evaluate(both, labels)
    # the labels cover the candidate pairs (a few new curated rows may wait for their labels, not many)
    assert len(out["unlabelled_candidate_pairs"]) <= 0.1 * out["candidate_pairs"], out["unlabelled_candidate_pairs"]
    # the floors are what docs/fusion.md measures (in-sample: these labels tuned the rules)
    assert out["same_event_precision"] == 1.0, out["confident_wrong_merges"]
    assert not out["confident_wrong_merges"], out["confident_wrong_merges"]
    assert out["reviewer_sees_recall"] >= 0.98, out["same_missed"]  # merged, or marked "possible duplicate"
    assert out["same_event_recall"] >= 0.9, out["same_missed"]  # the target
    wrong = {(r["left"], r["right"]) for r in out["confident_wrong_merges"]}
    assert ("cur-2013-002", "ucdp:51584") not in wrong and ("cur-2013-001", "ucdp:51556") not in {
        (r["left"], r["right"]) for r in out["same_missed"]}


def test_the_held_out_figures_choose_the_threshold_on_other_folds_and_meet_the_target(real):
    from bench import matching_eval
    labels = matching_eval.read_labels(matching_eval.LABELS)
    fold = matching_eval.folds(labels)
    assert sorted(set(fold)) == list(range(matching_eval.FOLDS))
    assert labels.assign(fold=fold).groupby("left")["fold"].nunique().max() == 1  # an incident in one fold
    out = matching_eval.cross_validate(real[0], labels)
    assert out["heldout_precision"] >= 0.9 and out["heldout_recall"] >= 0.9, out
    assert out["heldout_confident_wrong"] == 0, out
    assert [c["fold"] for c in out["chosen"]] == list(range(matching_eval.FOLDS))


@pytest.mark.parametrize("text, message", [
    ("left,right,label,reason\ncur-1,ucdp:1,maybe,unsure\n", "row 2: needs left, right, label"),
    ("left,right,label,reason\ncur-1,ucdp:1,same,\n", "row 2: needs left, right, label"),
    ("left,right,label,reason\ncur-1,ucdp:1,same,a\nucdp:1,cur-1,different,b\n", "row 3: the pair ucdp:1 / cur-1 is labelled twice"),
])
def test_hand_labels_are_checked_when_read(tmp_path, text, message):
    from bench import matching_eval
    path = tmp_path / "labels.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        matching_eval.read_labels(path)
