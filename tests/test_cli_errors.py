"""Every verb of `kkm2`, called wrongly, as a person would: bad arguments, missing or odd paths, a closed pipe.
Each answers in Danish with a non-zero exit code and never a traceback (real processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.settings import Home, connect
from pipeline.status import write_snapshot
from pipeline.warehouse import ensure_schema

KKM2 = [sys.executable, "-m", "pipeline.cli"]


def kkm2(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*KKM2, *args], capture_output=True, text=True, timeout=120, **kw)


@pytest.fixture(scope="module")
def places(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cli")
    afile = root / "en_fil.txt"
    afile.write_text("x", encoding="utf-8")
    empty = root / "tom"
    empty.mkdir()
    # a home with one loaded submission (2024) in its status snapshot, and one release official twice
    home = Home(root / "home").ensure()
    con = connect(home.warehouse)
    ensure_schema(con)
    con.execute("INSERT INTO audit.submissions VALUES ('0101', 2024, 1, now(), 'fp', '[]', 'godkendt', '{}')")
    write_snapshot(con, home)
    con.close()
    release = home.releases / "20261201T000000000Z"
    release.mkdir(parents=True)
    (release / "_manifest.json").write_text(json.dumps({"tables": {}, "kommuner": {}}), encoding="utf-8")
    official = {
        n: {"release_id": release.name, "tid": "2026-12-01", "bruger": "x"} for n in ("2024", "2024-rettet")
    }
    (home.releases / "officielle.json").write_text(json.dumps(official), encoding="utf-8")
    return {"file": afile, "empty": empty, "home": home.root, "nohome": root / "ingen_home"}


CASES = [
    # (arguments, with {file}/{empty}/{home}/{nohome} filled in, a Danish fragment of the answer)
    ([], "mangler: kommando"),
    (["hvadsomhelst"], "ikke et gyldigt valg"),
    (["demo-data", "--kommuner", "200", "--home", "{nohome}"], "mellem 1 og 98"),
    (["demo-data", "--kommuner", "-1", "--home", "{nohome}"], "mellem 1 og 98"),
    (["demo-data", "--kommuner", "tre", "--home", "{nohome}"], "ikke et helt tal"),
    (["demo-data", "--scale", "0", "--home", "{nohome}"], "over 0"),
    (["template", "bygninger", "--out", "{file}"], "er ikke en mappe"),
    (["template", "ukendt"], "ikke et gyldigt valg"),
    (["report", "--out", "{file}", "--home", "{home}"], "er ikke en mappe"),
    (["report", "--out", "{empty}", "--kort", "/findes/ikke.geojson", "--home", "{home}"], "findes ikke"),
    (["report", "--out", "{empty}", "--home", "{nohome}"], "udgivelse"),
    (["validate", "{empty}"], "Ingen filer at kontrollere"),
    (["validate", "/findes/ikke.csv"], "Findes ikke"),
    (["validate", "{empty}", "--aar", "tyve"], "ikke et helt tal"),
    (["pin", "0101", "2024", "1", "--home", "{home}"], "mangler: --reason"),
    (["pin", "0101", "2024", "9", "--reason", "x", "--home", "{home}"], "ingen version 9"),
    (["unpin", "0101", "2024", "--home", "{home}"], "ikke fastlåst"),
    (["accept", "0101", "2024", "--reason", "x", "--home", "{home}"], "venter"),
    (["status", "--aar", "1999", "--home", "{home}"], "indlæst er 2024"),
    (["versions", "0101", "tyve", "--home", "{home}"], "ikke et helt tal"),
    (["versions", "0101", "1999", "--home", "{home}"], "Ingen versioner"),
    (["sql", "select 1", "--home", "{nohome}"], "udgivelse"),
    (["sql", "select * from findes_ikke", "--home", "{home}"], "udgivelse"),
    (["release", "freeze", "findes-ikke", "--name", "2024", "--home", "{home}"], "findes ikke"),
    (["run", "--home", "{file}"], "mappe"),
    (["serve", "--port", "70000", "--home", "{home}"], "mellem 1 og 65535"),
    (["serve", "--home", "{file}"], "ikke en mappe"),
    (["token"], "mangler: handling"),
    (["token", "opret", "--navn", "x", "--rettigheder", "laes", "--home", "{home}"], "mangler: --kommune"),
    (["token", "opret", "--kommune", "9999", "--navn", "x", "--rettigheder", "laes"], "98 kommunekoder"),
    (["token", "opret", "--kommune", "0101", "--navn", "x", "--rettigheder", "skriv"], "vælg en eller flere"),
    (
        [
            "token",
            "opret",
            "--kommune",
            "0101",
            "--navn",
            "x",
            "--rettigheder",
            "laes",
            "--udloeber",
            "i morgen",
        ],
        "dato",
    ),
    (
        [
            "token",
            "opret",
            "--kommune",
            "0101",
            "--navn",
            "x",
            "--rettigheder",
            "laes",
            "--udloeber",
            "2020-01-01",
            "--home",
            "{home}",
        ],
        "er passeret",
    ),
    (["token", "spaer", "t0000", "--home", "{home}"], "intet token"),
]


@pytest.mark.parametrize(("args", "said"), CASES, ids=[" ".join(a) or "(intet)" for a, _ in CASES])
def test_a_wrong_call_gets_a_danish_answer_and_no_traceback(places, args, said):
    r = kkm2(*[a.format(**places) for a in args])
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert "Traceback" not in out
    assert said in out, out


@pytest.mark.parametrize("value", ["tredive", "0"])
def test_serve_with_a_wrong_upload_pause_says_so_before_it_starts(places, value):
    env = {**os.environ, "KKM2_API_UPLOAD_PAUSE_SEKUNDER": value}
    r = kkm2("serve", "--home", str(places["home"]), env=env)
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "Traceback" not in out, out
    assert "KKM2_API_UPLOAD_PAUSE_SEKUNDER skal være" in out, out


def test_a_release_official_under_two_names_shows_both(places):
    r = kkm2("releases", "--home", str(places["home"]))
    assert r.returncode == 0, r.stderr
    assert "2024, 2024-rettet" in r.stdout


def test_a_closed_pipe_stops_quietly(places, tmp_path):
    """`kkm2 validate … | head -1`: the reader goes away after one line of many."""
    bad = tmp_path / "bygninger.csv"
    rows = "\n".join(f"B{i};Skole;999;-5;ejet" for i in range(3000))
    bad.write_text(
        "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\n" + rows + "\n", encoding="utf-8"
    )
    p = subprocess.Popen(
        [*KKM2, "validate", str(bad)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert p.stdout.readline().startswith("FEJL")
    p.stdout.close()  # like head: stops reading
    err = p.stderr.read()
    assert p.wait(timeout=120) != 0
    assert "Traceback" not in err and "Exception ignored" not in err
    assert "udskriften blev lukket" in err
