"""Canonical actors: the sourced list, the mapping rules, the frame's ids, search in either script, the
view's actor filter, the store's user mappings, the CLI, and real ACLED and UCDP imports landing on the list."""
import csv
import os
import re

import pandas as pd
import pytest

from events import actors, query, store, view
from events.curated import load_curated
from tests.events import factory


def rows(specs):
    return factory.rows([{"date_start": "2015-01-16", **spec} for spec in specs])


# --- the list ---------------------------------------------------------------------------------------------
def test_every_actor_has_a_group_names_in_three_languages_and_known_sources():
    groups = actors.catalogue().groups
    assert {"iraqi-state", "kurdish-forces", "jihadist", "pmf-militias", "civilians", "unidentified"} <= set(groups)
    for gid, names in groups.items():
        assert all(names[lang].strip() for lang in actors.LANGS), gid
    for a in actors.actors().values():
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", a.actor_id), a.actor_id
        assert a.group_id in groups, a.actor_id
        assert all(a.names[lang].strip() for lang in actors.LANGS), a.actor_id
        assert re.search("[\u0600-\u06ff]", a.names["ar"]) and re.search("[\u0600-\u06ff]", a.names["ckb"]), a.actor_id
        assert a.sources and set(a.sources) <= set(actors.SOURCES), a.actor_id
    for wanted in ("isis", "aqi", "peshmerga", "pmf", "federal-police", "iraqi-police", "iraqi-army",
                   "iraqi-army-12th-div", "asayish", "jrtn", "ansar-al-sunna", "islamic-army-in-iraq",
                   "us-coalition", "kdp-forces", "puk-forces", "counter-terrorism-service", "tribal-hashd", "sahwa",
                   "iraqi-turkmen-front", "civilians", "unidentified"):
        assert wanted in actors.actors(), wanted


def test_every_alias_is_unique_across_actors_after_folding():
    owner: dict[str, str] = {}
    with open(actors.ACTORS_PATH, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            names = [r["name_en"], r["name_ar"], r["name_ckb"], *r["aliases"].split(";")]
            for name in {actors.key(n) for n in names if n.strip()}:
                assert owner.setdefault(name, r["actor_id"]) == r["actor_id"], \
                    f"{name!r} is an alias of both {owner[name]} and {r['actor_id']}"


@pytest.mark.parametrize("alias", ["ISIS", "IS", "ISIL", "Islamic State", "Daesh", "داعش", "الدولة الإسلامية",
                                   "دەوڵەتی ئیسلامی", "Islamic State (Iraq)", "الدوله الاسلاميه"])
def test_the_islamic_state_has_one_id_under_every_name(alias):
    assert actors.canonical_id(alias) == "isis"


# --- the rules --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, actor_id, said", [
    ("Peshmerga", "peshmerga", ""), ("البيشمركة", "peshmerga", ""), ("پێشمەرگە", "peshmerga", ""),
    ("Hashd al-Shaabi", "pmf", ""), ("الحشد الشعبي", "pmf", ""), ("الشرطة الاتحادية", "federal-police", ""),
    ("Military Forces of Iraq (2014-2018)", "iraqi-army", ""),   # ACLED's government period
    ("Military Forces of Iraq (2003-2006)", "iraqi-army", ""),
    ("Police Forces of Iraq (2014-2018)", "iraqi-police", ""),
    ("Police Forces of Iraq (2018-) Federal Police", "federal-police", ""),
    ("Military Forces of Iraq (2020-) Popular Mobilization Forces", "pmf", ""),
    ("Government of Iraq", "iraqi-security-forces", ""),   # UCDP
    ("Suspected Islamic State", "isis", "suspected"), ("Islamic State (suspected)", "isis", "suspected"),
    ("Islamic State (claimed)", "isis", "claimed"), ("Islamic State (claimed via Amaq)", "isis", "claimed"),
    ("Islamic State of Iraq (al-Qaeda in Iraq), claimed", "aqi", "claimed"),
    ("Suspected al-Qaeda in Iraq", "aqi", "suspected"),
    ("Unidentified gunmen (ISIS sleeper cells suspected)", "unidentified", ""),
    ("Unknown attackers", "unidentified", ""), ("Unidentified Armed Group (Iraq)", "unidentified", ""),
    ("Civilians (Afghanistan)", "civilians", ""), ("Shia Turkmen civilians", "civilians", ""),
    ("Iraqi army (32nd Brigade, 8th Division)", "iraqi-army-8th-div", ""),
    ("Iraqi Army 12th Division", "iraqi-army-12th-div", ""),
    ("Iraqi army (44th Brigade)", "iraqi-army", ""), ("Iraqi police patrol", "iraqi-police", ""),
    ("PMF 16th Brigade", "pmf", ""), ("Kurdish security forces (Asayish)", "asayish", ""),
    ("Villagers (ISIS claimed PMF members)", "civilians", ""),   # the claim is about something else
    # never a confident attribution, never another country's forces, never one of several
    ("Military Forces of Afghanistan (2014-)", None, ""), ("Islamic State (Afghanistan)", None, ""),
    ("Iraqi Army, Federal Police, PMF", None, ""), ("Police; civilians", None, ""),
    ("A judge", None, ""), ("", None, ""), (None, None, ""),
])
def test_canonical_id_rules(name, actor_id, said):
    assert actors.identify(name) == (actor_id, said)
    assert actors.canonical_id(name) == actor_id
    assert actors.attribution(name) == said


def test_names_of_falls_back_to_english_and_groups_have_names():
    assert actors.names_of("peshmerga", "ar") == "البيشمركة"
    assert actors.names_of("peshmerga", "ckb") == "پێشمەرگە"
    assert actors.names_of("peshmerga", "fr") == "Peshmerga"
    assert actors.names_of("no-such-actor", "ar") == "no-such-actor"
    assert actors.group_name("kurdish-forces", "ar") == "القوات الكردية"


# --- frames -----------------------------------------------------------------------------------------------
def test_canonicalise_adds_ids_and_attribution_and_keeps_the_originals():
    frame = rows([{"actor1": "Suspected Islamic State", "actor2": "Kurdish Peshmerga"},
                  {"actor1": "Daash fighters", "actor2": None},
                  {"actor1": "Unknown gunmen (ISIS suspected)", "actor2": "Civilians"}])
    out = actors.canonicalise(frame)
    assert out["actor1"].tolist() == frame["actor1"].tolist() and out["actor2"].tolist() == frame["actor2"].tolist()
    assert out["actor1_id"].tolist() == ["isis", None, "unidentified"]
    assert out["actor1_attribution"].tolist() == ["suspected", "", ""]
    assert out["actor2_id"].tolist() == ["peshmerga", None, "civilians"]
    mapped = actors.canonicalise(frame, user_aliases={"DAASH  fighters": "isis", "Civilians": "not-on-the-list"})
    assert mapped["actor1_id"].tolist() == ["isis", "isis", "unidentified"]
    assert mapped["actor2_id"].tolist()[2] == "civilians"   # a mapping to an unknown id is ignored
    assert "actor1_id" not in frame.columns   # a copy


def test_unmapped_lists_the_unknown_strings_with_their_rows():
    frame = rows([{"actor1": "Daash fighters", "actor2": "Peshmerga"}, {"actor1": "Daash fighters"},
                  {"actor1": "Islamic State", "actor2": "Village mukhtar"}])
    got = actors.unmapped(frame)
    assert got.to_dict("records") == [{"name": "Daash fighters", "rows": 2}, {"name": "Village mukhtar", "rows": 1}]
    assert actors.unmapped(frame, user_aliases={"Daash fighters": "isis"})["name"].tolist() == ["Village mukhtar"]


def test_actor_options_offer_canonical_actors_in_the_language_with_counts_or_the_original_names():
    frame = actors.canonicalise(rows([{"actor1": "ISIL", "actor2": "Peshmerga"},
                                      {"actor1": "Islamic State", "actor2": "Kurdish Peshmerga"},
                                      {"actor1": "داعش", "actor2": "Daash"}]))
    assert actors.actor_options(frame) == [("isis", "Islamic State (ISIS) (3)"), ("peshmerga", "Peshmerga (2)")]
    assert actors.actor_options(frame, lang="ar")[1] == ("peshmerga", "البيشمركة (2)")
    assert actors.actor_options(frame, lang="xx")[1] == ("peshmerga", "Peshmerga (2)")
    original = dict(actors.actor_options(frame, original=True))
    assert original["ISIL"] == "ISIL (1)" and original["Daash"] == "Daash (1)" and len(original) == 6


# --- search and filter ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, wanted", [("داعش", "isis"), ("البيشمركة", "peshmerga"), ("الحشد", "pmf"),
                                          ("شرطة", "iraqi-police"), ("Daesh", "isis"), ("پێشمەرگە", "peshmerga")])
def test_search_in_either_script_finds_the_curated_incidents_of_an_actor_by_any_alias(text, wanted):
    frame = actors.canonicalise(load_curated())
    found = query.select(frame, text=text)
    of_actor = frame[(frame["actor1_id"] == wanted) | (frame["actor2_id"] == wanted)]
    assert len(of_actor) and set(of_actor["incident_id"]) <= set(found["incident_id"])
    assert not found["incident_id"].isin(frame.loc[frame["actor1"] == "Iraqi Turkmen Front candidate",
                                                   "incident_id"]).any() or text == "شرطة"


def test_search_finds_an_actor_named_among_several_and_without_precomputed_ids():
    frame = rows([{"actor1": "Islamic State", "actor2": "Peshmerga, local gunmen and police"},
                  {"actor1": "Islamic State", "actor2": "Villagers"}])
    assert query.select(frame, text="البيشمركة")["actor2"].tolist() == ["Peshmerga, local gunmen and police"]


def test_mask_filters_by_canonical_actor_on_either_side():
    frame = actors.canonicalise(rows([{"actor1": "ISIL", "actor2": "Peshmerga"}, {"actor1": "Unidentified",
                                                                                  "actor2": "Hashd al-Shaabi"},
                                      {"actor1": "Federal Police", "actor2": "Islamic State"}]))
    assert query.select(frame, actor_ids=["isis"])["actor2"].tolist() == ["Peshmerga", "Islamic State"]
    assert query.select(frame, actor_ids=["pmf", "peshmerga"])["actor1"].tolist() == ["ISIL", "Unidentified"]
    plain = frame.drop(columns=list(actors.ID_COLUMNS))   # ids computed from the list when absent
    assert len(query.select(plain, actor_ids=["isis"])) == 2


def test_a_link_names_canonical_actors_and_drops_unknown_ones_with_a_note():
    shown = view.from_query("actor_id=isis&actor_id=peshmerga&actor_id=%3Cscript%3E&actor_id=isis")
    assert shown.actor_ids == ("isis", "peshmerga")
    assert len(shown.notes) == 1 and "actor_id" in shown.notes[0] and "<script>" in shown.notes[0]
    assert shown.filters()["actor_ids"] == ["isis", "peshmerga"]
    assert view.from_query(view.to_query(shown)).actor_ids == ("isis", "peshmerga")
    frame = actors.canonicalise(rows([{"actor1": "ISIL", "date_start": "2014-06-10"},
                                      {"actor1": "Peshmerga", "date_start": "2014-06-11"},
                                      {"actor1": "Civilians", "date_start": "2014-06-12"}]))
    assert view.select(frame, shown)["actor1"].tolist() == ["ISIL", "Peshmerga"]


# --- the store's mappings, imports and the command line ---------------------------------------------------
def _acled_file(path, actor1_values):
    from tests.events.test_importers import acled_row, write_csv
    data = [acled_row(i + 1, event_id_cnty=f"IRQ{9100 + i}", event_date="16 January 2015", year="2015",
                      event_type="Battles", sub_event_type="Armed clash", actor1=a, actor2="Civilians (Iraq)",
                      admin2="Kirkuk", location="Kirkuk", latitude="35.4681", longitude="44.3922", fatalities="1")
            for i, a in enumerate(actor1_values)]
    return write_csv(path, list(data[0]), data)


def test_a_later_mapping_applies_to_earlier_imports_and_the_summary_names_unknown_actors(tmp_path):
    db = tmp_path / "atlas.gpkg"
    odd = "Daash'); DROP TABLE incidents; --"
    summary = store.import_file(db, _acled_file(tmp_path / "acled.csv", ["Islamic State (Iraq)", odd, odd]))
    assert summary.accepted == 3
    assert summary.unmapped_actors == [{"name": odd, "rows": 2}]
    note = summary.actors_note()
    assert "DROP TABLE" in note and "(2)" in note and "Islamic State" not in note
    assert summary.to_dict()["unmapped_actors"] == summary.unmapped_actors
    assert store.load(db)["actor1_id"].tolist().count(None) == 2
    got = store.map_actor(db, odd, "isis")
    assert got["actor_id"] == "isis"
    loaded = store.load(db)
    assert loaded["actor1_id"].tolist() == ["isis"] * 3 and loaded["actor1"].tolist().count(odd) == 2
    assert store.actor_aliases(db) == {odd: "isis"} and len(loaded) == 3
    assert store.unmap_actor(db, odd.upper()) == 1 and store.unmap_actor(db, odd) == 0
    assert store.load(db)["actor1_id"].tolist().count(None) == 2
    with pytest.raises(store.StoreError, match="not an actor of the canonical list"):
        store.map_actor(db, "X", "no-such-actor")
    with pytest.raises(store.StoreError, match="empty"):
        store.map_actor(db, " \x00 ", "isis")


def test_cli_lists_maps_and_searches_actors(tmp_path, capsys):
    from events.__main__ import main
    db = tmp_path / "atlas.gpkg"
    assert main(["import", str(_acled_file(tmp_path / "a.csv", ["Daash fighters"])), "--store", str(db)]) == 0
    out = capsys.readouterr().out
    assert "note: 1 actor name(s) not on the canonical list" in out and "'Daash fighters' (1)" in out
    assert main(["actors", "list", "--lang", "ar"]) == 0
    assert "isis\tالجماعات الجهادية\tتنظيم الدولة الإسلامية (داعش)" in capsys.readouterr().out
    assert main(["actors", "unmapped", "--store", str(db)]) == 0
    assert "1\tDaash fighters" in capsys.readouterr().out
    assert main(["actors", "map", "Daash fighters", "--to", "isis", "--store", str(db)]) == 0
    capsys.readouterr()
    assert main(["list", "--store", str(db), "--text", "داعش", "--format", "json", "--restricted", "include"]) == 0
    assert '"actor1":"Daash fighters"' in capsys.readouterr().out.replace(": ", ":")
    assert main(["actors", "unmap", "Nobody", "--store", str(db)]) == 2
    assert "no mapping" in capsys.readouterr().err
    assert main(["actors", "map", "X", "--to", "nobody", "--store", str(db)]) == 2
    assert "error:" in capsys.readouterr().err


def test_cli_search_finds_the_curated_incidents_in_arabic(capsys):
    import json
    from events.__main__ import main
    for text, name in (("داعش", "Islamic State"), ("البيشمركة", "Peshmerga"), ("الحشد", "Hashd al-Shaabi"),
                       ("شرطة", "Federal Police")):
        assert main(["list", "--text", text, "--format", "json"]) == 0
        found = json.loads(capsys.readouterr().out)
        assert name in {r["actor1"] for r in found} | {r["actor2"] for r in found}, text


# --- real ACLED and UCDP files ----------------------------------------------------------------------------
def _real(shared, name):
    path = shared / "real" / name
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is missing from ../shared/real: CI must run the real-data tests")
        pytest.skip(f"{name} is not in ../shared/real")
    return path


def _shares(frame: pd.DataFrame) -> dict:
    return {col: float(frame[col + "_id"][frame[col].notna()].notna().mean()) for col in ("actor1", "actor2")}


def test_a_real_ucdp_import_lands_on_the_canonical_list(shared, tmp_path):
    db = tmp_path / "atlas.gpkg"
    summary = store.import_file(db, _real(shared, "ucdp_ged_iraq.csv"))
    frame = store.load(db)
    ids = set(frame["actor1_id"].dropna()) | set(frame["actor2_id"].dropna())
    assert {"isis", "iraqi-security-forces", "civilians", "kdp-forces", "puk-forces", "us-coalition"} <= ids
    assert frame.loc[frame["actor1"] == "IS", "actor1_id"].eq("isis").all()
    shares = _shares(frame)
    assert shares["actor1"] > 0.99 and shares["actor2"] > 0.95, shares
    unknown = {r["name"] for r in summary.unmapped_actors}
    assert "Government of Kuwait" in unknown and not unknown & {"IS", "Government of Iraq", "SCIRI", "Civilians"}


def test_a_real_acled_import_lands_on_the_list_without_misattributing_another_country(shared, tmp_path):
    db = tmp_path / "atlas.gpkg"
    store.import_file(db, _real(shared, "acled_sample.csv"))   # an Afghanistan sample
    frame = store.load(db)
    assert frame.loc[frame["actor2"] == "Civilians (Afghanistan)", "actor2_id"].eq("civilians").all()
    assert frame.loc[frame["actor1"].str.startswith("Unidentified Armed Group"), "actor1_id"].eq("unidentified").all()
    for foreign in ("Military Forces of Afghanistan (2014-)", "Police Forces of Afghanistan (2014-)",
                    "Islamic State (Afghanistan)", "Taliban"):
        assert frame.loc[frame["actor1"] == foreign, "actor1_id"].isna().all(), foreign


def test_the_view_in_words_names_the_canonical_actors_in_english():
    from events import labels
    shown = view.from_query("actor_id=isis&actor_id=peshmerga")
    assert "actors Islamic State (ISIS), Peshmerga" in labels.filters_text(shown.filters())


def test_an_iraq_acled_export_lands_its_actors_on_the_list(tmp_path):
    """ACLED's own actor names for Iraq (its current layout, as its export tool writes it), imported:
    each lands on its canonical actor; the source's name is kept; an unknown name is listed, not guessed."""
    from tests.events.test_acled_layouts import CURRENT, row, write

    said = [("Islamic State (Iraq)", "Military Forces of Iraq (2014-2018)", "isis", "iraqi-army"),
            ("Police Forces of Iraq (2014-2018)", "Civilians (Iraq)", "iraqi-police", "civilians"),
            ("Military Forces of Iraq (2018-) Popular Mobilization Forces", "Islamic State (Iraq)", "pmf", "isis"),
            ("Unidentified Armed Group (Iraq)", "Zorro Brigade of Nowhere", "unidentified", None)]
    rows = [row(i, actor1=a, actor2=b) for i, (a, b, _, _) in enumerate(said, start=1)]
    path = write(tmp_path / "acled_iraq.csv", CURRENT, rows)
    db = store.open_store(tmp_path / "atlas.gpkg")
    summary = store.import_file(db, path, source="acled")
    assert summary.accepted == len(said), summary.rejects.to_string()
    loaded = store.load(db).set_index("incident_id").loc[[f"acled:IRQ{i}" for i in range(1, len(said) + 1)]]
    assert [(r.actor1_id, r.actor2_id) for r in loaded.itertuples()] == [
        (one, two) for _, _, one, two in said]
    assert loaded["actor1"].tolist() == [a for a, _, _, _ in said]   # the source's names kept
    assert [u["name"] for u in summary.unmapped_actors] == ["Zorro Brigade of Nowhere"]
