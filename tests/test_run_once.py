"""`kkm2 run` ingests every changed municipality in one Dagster run (each municipality's raw assets and GX
checks still recorded for its own partition), and a run where nothing changed is free: no Dagster run, no
dbt, no new release. On copies of the session's demo home (3 municipalities, 2 years)."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from conftest import query

from pipeline.defs.ingest_assets import GX_CHECK, KOMMUNER_TAG, RANGE_END_TAG, RANGE_START_TAG
from pipeline.defs.partitions import kommune_partitions
from pipeline.run import build_inputs, build_is_current, read_stamp, run, warehouse_state
from pipeline.settings import Home, activate, connect


@pytest.fixture
def home(demo_home, tmp_path) -> Home:
    """A copy of the session's demo home (its own warehouse, releases and Dagster instance)."""
    copy = Home(tmp_path / "home")
    shutil.copytree(demo_home[0].root, copy.root, symlinks=True)
    return copy


def releases(home: Home) -> list[str]:
    return sorted(p.name for p in home.releases.iterdir() if not p.name.startswith("."))


def dagster_runs(home: Home) -> list[tuple[str, str]]:
    """(job, run id) of every run in the home's Dagster instance, newest first."""
    activate(home)
    with dg.DagsterInstance.get() as instance:
        return [(r.job_name, r.run_id) for r in instance.get_runs()]


def drop_last_building(home: Home, k: str) -> None:
    for f in sorted((home.landing / k.lstrip("0")).glob("*/bygninger.csv")) + sorted(
        (home.landing / k).glob("*/bygninger.csv")
    ):
        data = f.read_bytes()
        f.write_bytes(data.rstrip(b"\r\n").rsplit(b"\n", 1)[0] + b"\n")
        return
    pytest.fail(f"no bygninger.csv for {k}")


def version_counts(home: Home) -> dict[str, int]:
    """How many submission versions each municipality has (all years)."""
    return dict(query(home.warehouse, "SELECT kommunekode, count(*) FROM audit.submissions GROUP BY 1"))


def municipalities(home: Home) -> list[str]:
    """The demo's municipalities, in the partitions' order."""
    codes = {k for (k,) in query(home.warehouse, "SELECT DISTINCT kommunekode FROM audit.submissions")}
    return [k for k in kommune_partitions.get_partition_keys() if k in codes]


def on_a_terminal(cmd: list[str], timeout: float = 120) -> str:
    """A command's output when its stdout and stderr are a terminal (a pseudo-terminal, as in a shell)."""
    parent, child = pty.openpty()
    p = subprocess.Popen(cmd, stdin=child, stdout=child, stderr=child, close_fds=True)
    os.close(child)
    chunks, end = [], time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            data = os.read(parent, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(parent)
    assert p.wait(timeout=10) == 0, b"".join(chunks)[-2000:]
    return b"".join(chunks).decode("utf-8", "replace")


def test_nothing_changed_runs_nothing_and_the_current_release_stands(home):
    current, before, runs = home.current.resolve(), releases(home), dagster_runs(home)
    state = warehouse_state(home)
    gate_rows = query(home.warehouse, "SELECT count(*) FROM audit.gate_results")
    t0 = time.perf_counter()
    report = run(home)
    print(f"\nno-op run() in-process: {time.perf_counter() - t0:.2f} s")
    assert report.success and report.build_skipped
    assert report.release == current and home.current.resolve() == current
    assert releases(home) == before  # no new release
    assert dagster_runs(home) == runs  # no Dagster run at all: no ingestion, no build, no dbt
    assert warehouse_state(home) == state  # nothing wrote the warehouse
    assert query(home.warehouse, "SELECT count(*) FROM audit.gate_results") == gate_rows
    assert len(report.submissions) > 0 and all(report.ingest_ok.values())

    # the command line says so in Danish, and does not even import Dagster to find out
    t0 = time.perf_counter()
    p = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pipeline.cli import main; rc = main(sys.argv[1:]); "
            "print('dagster importeret' if 'dagster' in sys.modules else 'uden dagster'); sys.exit(rc)",
            "run",
            "--home",
            str(home.root),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    print(f"no-op `kkm2 run` (a new process): {time.perf_counter() - t0:.2f} s")
    assert p.returncode == 0, p.stderr
    assert "Intet nyt siden sidste udgivelse" in p.stdout and "ingen dbt build" in p.stdout
    assert f"Aktuel udgivelse (uændret): {current}" in p.stdout
    assert p.stdout.rstrip().endswith("uden dagster")
    assert "Finder ændrede indberetninger: færdig" in p.stdout  # the stage, as a plain line in a pipe

    # on a terminal: rich's live line for the stage (terminal codes), then the same summary
    out = on_a_terminal([sys.executable, "-m", "pipeline.cli", "run", "--home", str(home.root)])
    assert "\x1b[" in out and "✓" in out and "Finder ændrede indberetninger" in out
    assert "Intet nyt siden sidste udgivelse" in out and f"Aktuel udgivelse (uændret): {current}" in out
    assert releases(home) == before and dagster_runs(home) == runs


def test_what_would_change_a_build_makes_one(home, monkeypatch):
    """Each of these makes the stamp of the current release's build stale (checked without building)."""
    inputs = build_inputs(home)
    assert build_is_current(home, inputs) is not None
    # the environment that changes a build (fault injection here), not one that does not
    monkeypatch.setenv("KKM2_FEJL", "gates:0101")
    assert build_is_current(home, build_inputs(home)) is None
    monkeypatch.delenv("KKM2_FEJL")
    monkeypatch.setenv("KKM2_LOG_LEVEL", "DEBUG")
    assert build_is_current(home, build_inputs(home)) is not None
    # a reference file, by content
    ref = home.reference / "emissionsfaktorer.csv"
    original = ref.read_bytes()
    ref.write_bytes(original.replace(b"130,0", b"131,0"))
    assert build_is_current(home, build_inputs(home)) is None
    ref.write_bytes(original)
    assert build_is_current(home, build_inputs(home)) is not None
    # the dbt project (a parameter seed, a model) or the code
    stamp = read_stamp(home)
    assert build_is_current(home, {**inputs, "kode": "x"}) is None
    # another writer at the warehouse: a build in the Dagster UI, a failed one too, an ingestion, a pin
    con = connect(home.warehouse)
    try:
        con.execute("CREATE TABLE main.en_anden_skriver AS SELECT 1 AS x")
    finally:
        con.close()
    assert build_is_current(home, inputs) is None
    # a build that failed after it (kkm2 run removes the stamp first, and writes it only on success)
    (home.root / "status" / "sidste_byggeri.json").unlink()
    assert build_is_current(home, inputs) is None and stamp is not None


def test_a_changed_reference_file_makes_a_build_and_then_nothing_again(home):
    current, before = home.current.resolve(), releases(home)
    ref = home.reference / "emissionsfaktorer.csv"
    ref.write_bytes(ref.read_bytes().replace(b"130,0", b"131,0"))
    report = run(home)
    assert report.success and not report.build_skipped
    assert home.current.resolve() != current and len(releases(home)) == len(before) + 1
    assert [job for job, _ in dagster_runs(home)].count("build") >= 2  # the demo's build and this one
    again = run(home)
    assert again.success and again.build_skipped and home.current.resolve() == report.release


def test_the_nightly_schedule_and_the_build_sensor_follow_the_same_rule(home):
    """Nothing new: neither the nightly schedule nor the build sensor (on a fresh cursor, as when `make dev`
    starts after `make demo`) asks for a build. A changed reference file: the schedule asks for one, and that
    build (run as the daemon runs it, with the request's tags) stamps its release, so the next night skips."""
    from pipeline.definitions import defs
    from pipeline.defs.resources import Kkm2Home
    from pipeline.defs.schedules import nightly_build
    from pipeline.defs.sensors import build_on_new_data
    from pipeline.run import INPUTS_TAG, NOTHING_NEW

    resources = {"kkm2": Kkm2Home(root=str(home.root))}
    activate(home)

    def night():
        with dg.DagsterInstance.get() as instance:
            return nightly_build.evaluate_tick(
                dg.build_schedule_context(instance=instance, resources=resources)
            )

    assert night().skip_message == NOTHING_NEW and not night().run_requests
    with dg.DagsterInstance.get() as instance:
        sensed = build_on_new_data(dg.build_sensor_context(instance=instance, resources=resources))
    assert sensed.skip_reason and sensed.skip_reason.skip_message == NOTHING_NEW and not sensed.run_requests

    ref = home.reference / "emissionsfaktorer.csv"
    ref.write_bytes(ref.read_bytes().replace(b"130,0", b"131,0"))
    [request] = night().run_requests
    assert json.loads(request.tags[INPUTS_TAG]) == build_inputs(home)
    current = home.current.resolve()
    with dg.DagsterInstance.get() as instance:
        res = defs.resolve_job_def("build").execute_in_process(
            instance=instance, tags=request.tags, raise_on_error=False
        )
    assert res.success and home.current.resolve() != current
    assert read_stamp(home)["release"] == home.current.resolve().name
    assert night().skip_message == NOTHING_NEW


def test_changed_municipalities_are_ingested_in_one_run_each_on_its_own_partition(home):
    first, middle, last = municipalities(home)
    runs = dagster_runs(home)
    current = home.current.resolve()
    v = version_counts(home)  # the session's demo home may already hold later versions (other tests)
    drop_last_building(home, first)
    drop_last_building(home, last)
    report = run(home)
    assert report.success, report
    new = [r for r in dagster_runs(home) if r not in runs]
    assert [job for job, _ in new] == ["build", "ingest"]  # newest first: one ingestion run, one build
    assert home.current.resolve() != current
    activate(home)
    with dg.DagsterInstance.get() as instance:
        ingest_run = instance.get_run_by_id(new[1][1])
        assert ingest_run.tags[RANGE_START_TAG] == first and ingest_run.tags[RANGE_END_TAG] == last
        assert set(ingest_run.tags[KOMMUNER_TAG].split(",")) == {first, last}
        mats = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(["raw", "bygninger"])), limit=100
        ).records
        in_run = {m.partition_key for m in mats if m.run_id == ingest_run.run_id}
        assert in_run == {first, last}  # the one in between was left alone
        check = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey(["raw", "bygninger"]), GX_CHECK), limit=100
        )
        evaluated = {
            e.partition: e.status.value
            for e in check
            if e.run_id == ingest_run.run_id and e.status.value in ("SUCCEEDED", "FAILED")
        }
        assert evaluated == {first: "SUCCEEDED", last: "SUCCEEDED"}  # the others in the range: only planned
        # the check's evidence: per new version, the rows GX decided on, and every expectation on all of them
        [record] = [e for e in check if e.run_id == ingest_run.run_id and e.partition == first and e.event]
        meta = record.event.dagster_event.event_specific_data.metadata
        evidence = meta["bevis"].value
        assert evidence and meta["evalueret_raekker"].value == sum(e["raekker"] for e in evidence)
        for e in evidence:
            [(accepted,)] = query(
                home.warehouse,
                "SELECT raekker_accepteret FROM audit.submission_datasets WHERE kommunekode = ? AND aar = ? "
                "AND version = ? AND dataset = 'bygninger'",
                [first, e["aar"], e["version"]],
            )
            assert e["raekker"] == accepted > 0
            assert e["forventninger"] and all(x["evalueret"] == accepted for x in e["forventninger"])
            # and links to the pages that show it: the feedback page, the Data Docs (in the current release)
            assert Path(meta[f"tilbagemelding_{e['aar']}"].value).is_file()
        assert Path(meta["data_docs"].value) == home.current / "quality" / first / "index.html"
        assert Path(meta["data_docs"].value).is_file()
    assert version_counts(home) == {first: v[first] + 1, middle: v[middle], last: v[last] + 1}


def test_one_municipalitys_failure_in_the_one_run_stops_no_other(home, monkeypatch):
    import pipeline.defs.ingest_assets as ingest_assets

    first, middle, last = municipalities(home)
    real = ingest_assets._ingest_one

    def failing(context, con, h, sub, prepared, profiles):
        if sub.kommunekode == first:  # before its prepared sandbox is even looked at
            raise RuntimeError("indsprøjtet fejl uden for en indberetnings egen håndtering")
        return real(context, con, h, sub, prepared, profiles)

    monkeypatch.setattr(ingest_assets, "_ingest_one", failing)
    runs = dagster_runs(home)
    v = version_counts(home)  # the session's demo home may already hold later versions (other tests)
    drop_last_building(home, first)
    drop_last_building(home, last)
    report = run(home)
    assert report.ingest_ok == {first: False, middle: True, last: True}
    assert report.build_ok and not report.success  # the build publishes the others
    assert version_counts(home) == {first: v[first], middle: v[middle], last: v[last] + 1}
    ingest = [rid for job, rid in dagster_runs(home) if (job, rid) not in runs and job == "ingest"]
    assert len(ingest) == 1
    activate(home)
    with dg.DagsterInstance.get() as instance:
        assert instance.get_run_by_id(ingest[0]).status == dg.DagsterRunStatus.FAILURE
        mats = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(["raw", "bygninger"])), limit=100
        ).records
        in_run = {m.partition_key: m.asset_materialization.metadata for m in mats if m.run_id == ingest[0]}
    # the failed municipality is not materialised; the others in the run's range (the demo's middle one and
    # codes without data), left alone, are recorded as unchanged so the failed run does not show them failed
    span = kommune_partitions.get_partition_keys()
    assert set(in_run) == set(span[span.index(first) : span.index(last) + 1]) - {first}
    assert "uaendret" not in in_run[last] and in_run[last]["raekker_accepteret"].value > 0
    assert all(in_run[k]["uaendret"].value is True for k in in_run if k != last) and middle in in_run
