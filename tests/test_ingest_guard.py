"""Ingestion's own guard and the steward's pin, in-process on a real DuckDB warehouse."""

from __future__ import annotations

import pytest

from pipeline.ingest import discover, ingest_submission, mass_removal
from pipeline.settings import Home, connect
from pipeline.states import StewardError, pin, unpin
from pipeline.status import read_snapshot, write_snapshot

FILES = {
    "bygninger.csv": "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\nB1;Skole;421;1000;ejet\n",
    "maalere.csv": "maaler_id;bygning_id;forsyningsart\nM1;B1;el\n",
    "udgifter.csv": "bygning_id;kontogruppe;beloeb_kr\nB1;rengoering;1000\n",
}


def load(con, home: Home):
    subs, _ = discover(home.landing)
    return ingest_submission(con, home, subs[("0101", 2024)])


@pytest.fixture
def home_con(tmp_path):
    home = Home(tmp_path).ensure()
    folder = home.landing / "0101" / "2024"
    folder.mkdir(parents=True)
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    con = connect(home.warehouse)
    yield home, con, folder
    con.close()


def test_mass_removal_rule():
    assert mass_removal(["a", "b", "c"], ["a"], klar=False)  # 2 of 3 gone
    assert mass_removal(["a", "b", "c"], ["a", "b"], klar=False) is None  # 1 of 3: an ordinary removal
    assert mass_removal(["a", "b"], ["a"], klar=False) is None  # half is not most
    assert mass_removal(["a", "b", "c"], [], klar=True) is None  # confirmed by the contributor
    assert mass_removal(["a"], [], klar=False) is None


def test_most_files_vanishing_changes_nothing_until_the_folder_is_marked_ready(home_con):
    home, con, folder = home_con
    assert load(con, home).status == "godkendt"
    (folder / "maalere.csv").unlink()
    (folder / "udgifter.csv").unlink()
    r = load(con, home)
    assert r.status == "vagt" and "2 af 3 filer er forsvundet" in r.besked
    assert con.execute("SELECT max(version) FROM audit.submissions").fetchall() == [(1,)]
    (folder / ".klar").touch()
    r = load(con, home)
    assert (r.status, r.version) == ("godkendt", 2)
    active = con.execute("SELECT version FROM audit.active_submissions").fetchall()
    assert active == [(2,)]
    assert con.execute("SELECT count(*) FROM raw.udgifter WHERE version = 2").fetchall() == [(0,)]


def test_pin_makes_an_older_version_active_until_unpinned(home_con):
    home, con, folder = home_con
    load(con, home)
    (folder / "udgifter.csv").write_text(FILES["udgifter.csv"].replace("1000", "2000"), encoding="utf-8")
    assert load(con, home).version == 2
    pin(con, "0101", 2024, 1, "forkert beløb i v2", user="steward")
    write_snapshot(con, home)
    assert con.execute("SELECT version FROM audit.active_submissions").fetchall() == [(1,)]
    snap = {(r["version"], r["aktiv"], r["fastlaast"]) for r in read_snapshot(home)}
    assert snap == {(1, True, True), (2, False, False)}
    # a third version from the landing folder does not override the pin
    (folder / "udgifter.csv").write_text(FILES["udgifter.csv"].replace("1000", "3000"), encoding="utf-8")
    assert load(con, home).version == 3
    assert con.execute("SELECT version FROM audit.active_submissions").fetchall() == [(1,)]
    assert unpin(con, "0101", 2024, None, user="steward") == 1
    assert con.execute("SELECT version FROM audit.active_submissions").fetchall() == [(3,)]
    log = con.execute(
        "SELECT handling, version, bruger, begrundelse FROM audit.steward_log ORDER BY tid"
    ).fetchall()
    assert log == [("fastlaas", 1, "steward", "forkert beløb i v2"), ("frigiv", 1, "steward", None)]
    with pytest.raises(StewardError, match="ingen version 9"):
        pin(con, "0101", 2024, 9, None)
    with pytest.raises(StewardError, match="ikke fastlåst"):
        unpin(con, "0101", 2024, None)


def test_a_held_back_version_cannot_be_pinned(home_con):
    home, con, _ = home_con
    load(con, home)
    con.execute("UPDATE audit.submissions SET status = 'holdt_tilbage'")
    with pytest.raises(StewardError, match="holdt_tilbage"):
        pin(con, "0101", 2024, 1, None)
