"""Operations under faults, with real processes: two loads at once queue; a load killed with SIGKILL in the
middle of its transaction leaves the warehouse consistent and the rerun completes without duplicates; readers
of the current release and `kkm2 status` are never blocked by a load; the steward pins and unpins versions."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import tree_digest

from pipeline.contract.datasets import DATASETS
from pipeline.settings import Home, connect

KKM2 = [sys.executable, "-m", "pipeline.cli"]


def demo(root: Path) -> Home:
    from pipeline.demo_data import generate

    home = Home(root).ensure()
    generate(home.landing, kommuner=2, aar=[2024], seed=11, bygninger_pr_kommune=4, reference=home.reference)
    return home


def kkm2(*args: str, env: dict | None = None, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [*KKM2, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        **kw,
    )


def finish(p: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out, err


def assert_quiet_run_output(home: Home, out: str, err: str) -> None:
    """`kkm2 run` with its output to a pipe: one plain line per stage as it starts and ends, in Danish and in
    order, then the summary; dbt's, GX's and Dagster's own output only in the log file it names."""
    stages = [
        "Finder ændrede indberetninger",
        "Indlæsning og kontrol (gate 1)",
        "Byg datamodellen (dbt)",
        "Kvalitetsporte (gate 2 og 3)",
        "Indberetningsstatus (dbt)",
        "Udgivelse og rapport",
    ]
    ends = [out.index(f" {name}: færdig") for name in stages]
    assert ends == sorted(ends), out
    assert re.search(r"Indlæsning og kontrol \(gate 1\): færdig, 2 af 2 kommuner · [\d.]+ rækker", out), out
    assert "\x1b[" not in out  # no terminal codes in a pipe
    assert "Nye versioner i denne kørsel: 2" in out and f"Aktuel:    {home.current} -> " in out
    log = Path(re.search(r"^  Log:       (.+)$", out, re.M).group(1))
    assert log.parent == home.root / "logs"
    text = log.read_text(encoding="utf-8")
    assert "Running with dbt=" in text and " OK created sql " in text  # dbt's own lines are there ...
    assert "Running with dbt=" not in out + err and " OK created sql " not in out + err  # ... and only there
    assert len(out.splitlines()) < 40, out


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 180) -> None:
    end = time.time() + timeout
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"the load ended before the fault point: {proc.communicate()}")
        if time.time() > end:
            proc.kill()
            pytest.fail("the load never reached the fault point")
        time.sleep(0.2)


def raw_fingerprint(home: Home) -> dict[str, tuple]:
    """Per raw table: row count and an order-independent checksum of the content (lineage but load time)."""
    con = connect(home.warehouse, read_only=True)
    try:
        out = {}
        for ds in DATASETS:
            out[ds] = con.execute(
                f"SELECT count(*), sum(hash(t)) FROM (SELECT * EXCLUDE (loaded_at) FROM raw.{ds}) t"
            ).fetchall()[0]
        return out
    finally:
        con.close()


def versions(home: Home) -> list[tuple]:
    con = connect(home.warehouse, read_only=True)
    try:
        return con.execute(
            "SELECT kommunekode, aar, version, status FROM audit.submissions ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def two_loads_at_once(tmp_path_factory):
    home = demo(tmp_path_factory.mktemp("concurrent"))
    procs = [kkm2("run", "--home", str(home.root)) for _ in range(2)]
    return home, [finish(p) for p in procs]


def test_two_loads_started_at_once_queue_and_both_finish_correctly(two_loads_at_once):
    home, results = two_loads_at_once
    assert [rc for rc, _, _ in results] == [0, 0], results
    # exactly one of them had to wait for the other
    assert sum("Venter på en anden kørsel" in out for _, out, _ in results) == 1  # on its progress display
    # they ran in sequence: no two Dagster runs overlap in time
    os.environ["KKM2_DAGSTER_DIR"] = str(home.dagster)
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(Path(__file__).parents[1] / "dagster_home")) as instance:
        spans = sorted(
            (r.start_time, r.end_time) for r in instance.get_run_records() if r.start_time and r.end_time
        )
    # the first: one ingestion run for both municipalities and one build. The one that waited found nothing
    # new (same files, same build inputs): no run, no release, and it says so
    assert len(spans) == 2
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False))
    assert sum("Intet nyt siden sidste udgivelse" in out for _, out, _ in results) == 1
    assert [v[2] for v in versions(home)] == [1, 1]
    releases = sorted(p for p in home.releases.iterdir() if not p.name.startswith("."))
    assert len(releases) == 1 and (releases[0] / "_manifest.json").exists()
    assert home.current.resolve() == releases[-1]


def test_a_killed_load_leaves_the_warehouse_consistent_and_readers_unblocked(tmp_path, two_loads_at_once):
    reference, _ = two_loads_at_once
    home = demo(tmp_path / "home")
    pause = tmp_path / "paused"

    # 1. The first load is killed with rows written but not committed.
    p = kkm2("run", "--home", str(home.root), env={"KKM2_FAULT_PAUSE_FILE": str(pause)})
    wait_for(pause, p)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert versions(home) == []
    assert all(n == 0 for n, _ in raw_fingerprint(home).values())
    # the killed submission's original bytes were archived before its transaction: nothing is lost
    first = sorted(home.landing.iterdir())[0]
    landed = {hashlib.sha256(f.read_bytes()).hexdigest() for f in first.rglob("*") if f.is_file()}
    archived = {f.name.split(".")[0] for f in home.archive.rglob("*") if f.is_file()}
    assert landed <= archived

    # 2. The rerun completes with exactly one load's rows: the same as a clean load of the same files.
    pause.unlink()
    rc, out, err = finish(kkm2("run", "--home", str(home.root)))
    assert rc == 0, (out, err)
    assert_quiet_run_output(home, out, err)
    assert raw_fingerprint(home) == raw_fingerprint(reference)
    assert [v[2:] for v in versions(home)] == [(1, "godkendt"), (1, "godkendt")]
    first_release = home.current.resolve()
    before = tree_digest(first_release)

    # 3. A correction arrives (one file removed); its load is killed mid-write. Meanwhile readers of the
    #    current release and `kkm2 status` answer at once.
    k = sorted(p.name for p in home.landing.iterdir())[0]
    removed = next((home.landing / k / "2024").glob("understoettelse*"))
    removed.unlink()
    p = kkm2("run", "--home", str(home.root), env={"KKM2_FAULT_PAUSE_FILE": str(pause)})
    wait_for(pause, p)
    t0 = time.time()
    reader = subprocess.run(
        [
            sys.executable,
            "-c",
            "import duckdb,sys; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print(c.execute('select count(*) from mart_noegletal_bygning').fetchall()[0][0])",
            str(home.current / "warehouse.duckdb"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert reader.returncode == 0, reader.stderr
    assert int(reader.stdout) > 0
    status = subprocess.run(
        [*KKM2, "status", "--home", str(home.root)], capture_output=True, text=True, timeout=60
    )
    assert time.time() - t0 < 30
    assert status.returncode == 0, status.stderr
    assert "En kørsel er i gang" in status.stdout and k in status.stdout
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert tree_digest(first_release) == before
    assert home.current.resolve() == first_release

    # 4. The rerun makes version 2 of that submission exactly once, publishes a new release and leaves the old
    #    one byte-identical.
    pause.unlink()
    rc, out, err = finish(kkm2("run", "--home", str(home.root)))
    assert rc == 0, (out, err)
    assert [v[:3] for v in versions(home)].count((k, 2024, 2)) == 1
    con = connect(home.warehouse, read_only=True)
    try:
        n = con.execute(
            "SELECT count(*) FROM raw.understoettelse WHERE kommunekode = ? AND version = 2", [k]
        ).fetchall()[0][0]
    finally:
        con.close()
    assert n == 0
    assert home.current.resolve() != first_release
    assert tree_digest(first_release) == before
    assert support_rows(home, k) == 0

    # 5. The steward pins version 1 (the landing folder still holds version 2's files), then unpins.
    listing = subprocess.run(
        [*KKM2, "versions", k, "2024", "--home", str(home.root)], capture_output=True, text=True
    )
    lines = [ln.split() for ln in listing.stdout.splitlines()[1:]]
    assert [(ln[0], ln[3]) for ln in lines] == [("1", "godkendt"), ("2", "godkendt")]
    assert "ja" in listing.stdout.splitlines()[2]  # version 2 is the active one
    rc = subprocess.run(
        [*KKM2, "pin", k, "2024", "1", "--reason", "v2 mangler understøttelse", "--home", str(home.root)],
        capture_output=True,
        text=True,
    )
    assert rc.returncode == 0, rc.stderr
    rc, out, err = finish(kkm2("run", "--verbose", "--home", str(home.root)))
    assert rc == 0, (out, err)
    # --verbose: dbt's own output and the table of every dataset on the terminal, beside the stages
    assert "Running with dbt=" in out and "Byg datamodellen (dbt): færdig" in out
    assert f"{'kommune':8} {'år':5} {'ver':>3} {'status':14} {'datasæt':22}" in out
    assert support_rows(home, k) > 0  # version 1's support ratings are published again
    assert [v[2] for v in versions(home) if v[0] == k] == [1, 2]  # no new version from the landing folder
    con = connect(home.warehouse, read_only=True)
    try:
        log = con.execute("SELECT handling, version, begrundelse FROM audit.steward_log").fetchall()
    finally:
        con.close()
    assert log == [("fastlaas", 1, "v2 mangler understøttelse")]
    refused = subprocess.run(
        [*KKM2, "pin", k, "2024", "7", "--reason", "forkert version", "--home", str(home.root)],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 1 and "ingen version 7" in refused.stderr
    rc = subprocess.run([*KKM2, "unpin", k, "2024", "--home", str(home.root)], capture_output=True, text=True)
    assert rc.returncode == 0, rc.stderr
    listing = subprocess.run(
        [*KKM2, "versions", k, "2024", "--home", str(home.root)], capture_output=True, text=True
    )
    assert "ja" in listing.stdout.splitlines()[2] and "ja" not in listing.stdout.splitlines()[1]


def support_rows(home: Home, k: str) -> int:
    con = connect(home.current / "warehouse.duckdb", read_only=True)
    try:
        return con.execute(
            "SELECT count(understoettelsesgrad) FROM mart_noegletal_bygning WHERE kommunekode = ?", [k]
        ).fetchall()[0][0]
    finally:
        con.close()
