"""The landing sensor, evaluated by Dagster on real files: when a submission is picked up, and when not."""

from __future__ import annotations

import json
import os
import time

import dagster as dg
import pytest

from pipeline.definitions import defs
from pipeline.defs.ingest_assets import KOMMUNER_TAG, RANGE_END_TAG, RANGE_START_TAG
from pipeline.defs.resources import Kkm2Home
from pipeline.settings import Home

BYGNINGER = "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\nB1;Skole;421;1000;ejet\n"
MAALERE = "maaler_id;bygning_id;forsyningsart\nM1;B1;el\n"
UDGIFTER = "bygning_id;kontogruppe;beloeb_kr\nB1;forsyning;1000\n"


def age(path, seconds: float = 600) -> None:
    """Make a file look as if it was last written `seconds` ago."""
    t = time.time() - seconds
    os.utime(path, (t, t))


def write(home: Home, rel: str, text: str, old: bool = True):
    p = home.landing / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    if old:
        age(p)
    return p


@pytest.fixture
def tick(tmp_path):
    """Evaluate the real sensor against a real home folder, carrying the cursor between ticks."""
    home = Home(tmp_path).ensure()
    sensor = defs.resolve_sensor_def("landing_sensor")
    state = {"cursor": None}

    def _tick() -> dg.SensorResult:
        with dg.instance_for_test() as instance:
            ctx = dg.build_sensor_context(
                cursor=state["cursor"], instance=instance, resources={"kkm2": Kkm2Home(root=str(home.root))}
            )
            result = sensor(ctx)
        state["cursor"] = result.cursor
        return result

    return home, _tick


def keys(result) -> list[str]:
    """The municipalities the tick's run requests ingest (one run for several: KOMMUNER_TAG names them)."""
    out = []
    for r in result.run_requests or []:
        out += [r.partition_key] if r.partition_key else r.tags[KOMMUNER_TAG].split(",")
    return out


def test_new_submission_is_requested_once_settled_and_not_again(tick):
    home, t = tick
    write(home, "0101/2024/bygninger.csv", BYGNINGER)
    write(home, "0101/2024/maalere.csv", MAALERE)
    r = t()
    assert keys(r) == ["0101"]
    assert r.run_requests[0].run_key == "0101-1"
    assert keys(t()) == []  # unchanged: nothing


def test_several_ready_municipalities_are_one_run_over_their_range(tick):
    home, t = tick
    for k in ("0147", "0101", "0851"):
        write(home, f"{k}/2024/bygninger.csv", BYGNINGER)
    r = t()
    [req] = r.run_requests
    assert req.partition_key is None
    assert req.tags[KOMMUNER_TAG] == "0101,0147,0851"  # in the partitions' order
    assert (req.tags[RANGE_START_TAG], req.tags[RANGE_END_TAG]) == ("0101", "0851")
    assert [key.split("-")[0] for key in req.run_key.split("+")] == ["0101", "0147", "0851"]
    assert keys(t()) == []
    write(home, "0147/2024/bygninger.csv", BYGNINGER.replace("1000", "1200"))  # one again: its own run
    r = t()
    assert [q.partition_key for q in r.run_requests] == ["0147"]
    assert r.run_requests[0].run_key.startswith("0147-") and "+" not in r.run_requests[0].run_key


def test_half_written_file_waits_until_it_settles_or_a_marker_says_ready(tick):
    home, t = tick
    p = write(home, "0147/2024/bygninger.csv", BYGNINGER, old=False)  # just written
    r = t()
    assert keys(r) == [] and "Venter" in r.skip_reason.skip_message
    age(p)
    assert keys(t()) == ["0147"]
    # a fresh file with a .klar marker is taken at once
    write(home, "0151/2024/bygninger.csv", BYGNINGER, old=False)
    assert keys(t()) == []
    (home.landing / "0151/2024/.klar").touch()
    assert keys(t()) == ["0151"]


def test_changed_and_removed_files_are_requested_and_a_revert_too(tick):
    home, t = tick
    write(home, "0101/2024/bygninger.csv", BYGNINGER)
    write(home, "0101/2024/maalere.csv", MAALERE)
    write(home, "0101/2024/udgifter.csv", UDGIFTER)
    assert keys(t()) == ["0101"]
    changed = BYGNINGER.replace("1000", "1200")
    write(home, "0101/2024/bygninger.csv", changed)  # A -> B
    r = t()
    assert keys(r) == ["0101"] and r.run_requests[0].run_key == "0101-2"
    write(home, "0101/2024/bygninger.csv", BYGNINGER)  # B -> A: loaded again, with a new run key
    r = t()
    assert keys(r) == ["0101"] and r.run_requests[0].run_key == "0101-3"
    (home.landing / "0101/2024/udgifter.csv").unlink()  # one file of three removed: a change
    assert keys(t()) == ["0101"]


def test_only_changed_files_are_hashed_again_and_the_load_reads_none_of_them(tick, monkeypatch):
    import pipeline.ingest as ingest
    from pipeline.contract.profiles import load_profiles

    home, t = tick
    write(home, "0101/2024/bygninger.csv", BYGNINGER)
    write(home, "0101/2024/maalere.csv", MAALERE)
    t()
    hashed = []
    real = ingest.read_and_archive
    monkeypatch.setattr(
        ingest, "read_and_archive", lambda h, p, *a, **kw: hashed.append(p.name) or real(h, p, *a, **kw)
    )
    write(home, "0101/2024/maalere.csv", MAALERE + "M2;B1;vand\n")
    r = t()
    assert keys(r) == ["0101"]
    assert hashed == ["maalere.csv"]
    # the load's fingerprint is the sensor's, from the same hashes: it reads no file again
    subs, _ = ingest.discover(home.landing)
    fp, _, _ = ingest.submission_fingerprint(
        home, subs[("0101", 2024)], load_profiles(home.reference / "profiler")[0], ingest.FileHashes(home)
    )
    assert hashed == ["maalere.csv"]
    assert json.loads(r.cursor)["requested"]["0101/2024"] == fp


def test_mass_removal_is_held_and_reported_until_confirmed(tick):
    home, t = tick
    for name, text in [("bygninger", BYGNINGER), ("maalere", MAALERE), ("udgifter", UDGIFTER)]:
        write(home, f"0101/2024/{name}.csv", text)
    assert keys(t()) == ["0101"]
    (home.landing / "0101/2024/maalere.csv").unlink()
    (home.landing / "0101/2024/udgifter.csv").unlink()
    r = t()
    assert keys(r) == []
    assert (
        "2 af 3 filer er forsvundet" in r.skip_reason.skip_message and ".klar" in r.skip_reason.skip_message
    )
    (home.landing / "0101/2024/.klar").touch()  # the contributor confirms
    assert keys(t()) == ["0101"]


def test_a_vanished_share_changes_nothing_and_tells_the_steward(tick):
    import shutil

    home, t = tick
    write(home, "0101/2024/bygninger.csv", BYGNINGER)
    write(home, "0147/2024/bygninger.csv", BYGNINGER)
    assert sorted(keys(t())) == ["0101", "0147"]
    shutil.rmtree(home.landing)
    r = t()
    assert keys(r) == []
    assert "tom eller findes ikke" in r.skip_reason.skip_message and "0101/2024" in r.skip_reason.skip_message
    # when the share comes back unchanged, nothing is loaded again
    write(home, "0101/2024/bygninger.csv", BYGNINGER)
    write(home, "0147/2024/bygninger.csv", BYGNINGER)
    for p in home.landing.rglob("*.csv"):
        age(p)
    assert keys(t()) == []
