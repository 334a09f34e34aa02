"""`kkm2 serve` under load while a build runs (issue 21: "While a build runs, uploads are accepted, and they are
picked up by the next build"). Real processes: a small demo home, a real `kkm2 run` and a real server on
loopback, 20 concurrent uploads from threads while the run holds the writer lock, no mocks.

The service never touches the warehouse, so the running build cannot block or fail an upload: every upload
answers 200 with gate 1's findings, nothing partial is left in landing/, the running build finishes, and the
next build makes a new version of each municipality from exactly the files the last upload left."""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from test_service import Server

from pipeline.locking import running_writer
from pipeline.service import audit, tokens
from pipeline.service.app import UPLOAD_PREFIX
from pipeline.settings import REPO_ROOT, Home, connect

AAR = 2024
UPLOADS = 20  # at once, half for each municipality
BOUND_SECONDS = 120.0  # a sanity bound for the slowest (the 20 queue for the validator's two slots)


def demo(root: Path) -> Home:
    from pipeline.demo_data import generate

    home = Home(root).ensure()
    generate(home.landing, kommuner=2, aar=[AAR], seed=11, bygninger_pr_kommune=4, reference=home.reference)
    return home


class Run:
    """`kkm2 run` as a subprocess; its stdout lines are collected as they come (its progress display)."""

    def __init__(self, home: Home, log: Path, env: dict | None = None):
        self.lines: list[str] = []
        self.err = open(log, "w+", encoding="utf-8")  # noqa: SIM115 (closed in finish)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "run", "--home", str(home.root)],
            stdout=subprocess.PIPE,
            stderr=self.err,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})},
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def finish(self, timeout: float = 300) -> int:
        rc = self.proc.wait(timeout=timeout)
        self.reader.join(10)
        return rc

    def output(self) -> str:
        self.err.seek(0)
        return "\n".join(self.lines) + "\n--- stderr ---\n" + self.err.read()


def variant(original: bytes, n: int) -> bytes:
    """The file with one changed value: the first building's name ends in ` v<n>` (either separator)."""
    lines = original.split(b"\n")
    sep = b";" if b";" in lines[0] else b","
    fields = lines[1].split(sep)
    fields[1] = fields[1] + f" v{n:02d}".encode()
    lines[1] = sep.join(fields)
    return b"\n".join(lines)


def versions(home: Home) -> dict[str, list[tuple[int, str, dict]]]:
    """Per municipality: (version, status, {file: sha256}) of every version, oldest first."""
    con = connect(home.warehouse, read_only=True)
    try:
        rows = con.execute(
            "SELECT kommunekode, version, status, filer FROM audit.submissions WHERE aar = ? ORDER BY ALL",
            [AAR],
        ).fetchall()
    finally:
        con.close()
    out: dict[str, list] = {}
    for k, v, status, filer in rows:
        out.setdefault(k, []).append((v, status, {e["fil"]: e["sha256"] for e in json.loads(filer)}))
    return out


def test_uploads_during_a_build_are_accepted_and_picked_up_by_the_next_build(tmp_path):
    home = demo(tmp_path / "home")
    kommuner = sorted(p.name for p in home.landing.iterdir())
    assert len(kommuner) == 2
    originals = {k: (home.landing / k / str(AAR) / "bygninger.csv").read_bytes() for k in kommuner}
    vendor, info = tokens.create(home, "Leverandør A/S", kommuner, ["indberet", "laes"])
    server = Server(home.root)
    try:
        # 1. A build starts and is held in the middle of its first load's transaction (the fault pause), with
        #    the writer lock: the uploads all happen while it runs, whatever the machine's speed
        pause = tmp_path / "pause"
        run = Run(home, tmp_path / "run1.err", env={"KKM2_FAULT_PAUSE_FILE": str(pause)})
        deadline = time.monotonic() + 240
        while not pause.exists():
            assert run.proc.poll() is None and time.monotonic() < deadline, run.output()
            time.sleep(0.1)
        assert running_writer(home) == str(run.proc.pid)

        def put(k: str, body: bytes) -> tuple[int, dict, float]:
            t0 = time.monotonic()
            status, answer, _ = server.request(
                "PUT", f"/api/v1/indberetninger/{k}/{AAR}/filer/bygninger.csv", vendor, body
            )
            return status, answer, time.monotonic() - t0

        # 20 uploads at once (a barrier lets them go together), ten distinct versions of each file
        jobs = [(kommuner[i % 2], variant(originals[kommuner[i % 2]], i)) for i in range(UPLOADS)]
        results: list = [None] * UPLOADS
        barrier = threading.Barrier(UPLOADS)

        def worker(i: int) -> None:
            barrier.wait()
            try:
                results[i] = put(*jobs[i])
            except Exception as e:  # an answer that never came is a failure below, with its reason
                results[i] = (None, repr(e), float("inf"))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(UPLOADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(BOUND_SECONDS * 3)
        build_was_running = run.proc.poll() is None

        latencies = sorted(r[2] for r in results)
        p50 = statistics.median(latencies)
        p95 = latencies[min(len(latencies) - 1, round(0.95 * len(latencies)) - 1)]
        print(
            f"\n{UPLOADS} concurrent uploads during a build: p50 {p50:.2f} s, p95 {p95:.2f} s, "
            f"max {latencies[-1]:.2f} s (bound {BOUND_SECONDS:.0f} s)"
        )
        for (k, body), (status, answer, seconds) in zip(jobs, results, strict=True):
            assert status == 200, (k, status, answer)
            # gate 1's findings for the whole submission, with the uploaded file's rows in them
            assert answer["kommunekode"] == k and answer["fil"] == "bygninger.csv"
            assert answer["bytes"] == len(body)
            assert answer["datasaet"]["bygninger"]["raekker_modtaget"] == 4, answer["datasaet"]
            assert answer["datasaet"]["bygninger"]["raekker_accepteret"] == 4, answer["fund"]
            # the demo data's own planted defects are found in other files; none in the changed one
            assert answer["fund"] and not [f for f in answer["fund"] if f["fil"] == "bygninger.csv"]
            assert isinstance(answer["fund"], list) and answer["fund_i_alt"] == len(answer["fund"])
            assert seconds < BOUND_SECONDS, (k, seconds)
        assert build_was_running, "the build ended before the uploads did: the test proved nothing"
        # each landing file is one whole upload, never a mix or a partial
        for k in kommuner:
            now = (home.landing / k / str(AAR) / "bygninger.csv").read_bytes()
            assert now in [body for kk, body in jobs if kk == k]

        # 2. One last upload per municipality, still during the build: the content the next build must take
        last = {k: variant(originals[k], 99) for k in kommuner}
        for k in kommuner:
            status, answer, seconds = put(k, last[k])
            assert status == 200 and not [f for f in answer["fund"] if f["fil"] == "bygninger.csv"], answer
            assert seconds < BOUND_SECONDS
        assert run.proc.poll() is None and pause.exists()  # the build was held all along

        # 3. The build goes on and finishes successfully, with the files as its ingestion found them
        pause.unlink()
        assert run.finish() == 0, run.output()
        first = versions(home)
        print("the build the uploads ran beside:", *[ln for ln in run.lines if "version" in ln], sep="\n  ")

        # nothing partial anywhere in landing/, and the files are the last uploads'
        leftovers = [p for p in home.landing.rglob("*") if p.name.startswith((UPLOAD_PREFIX, "."))]
        assert leftovers == []
        for k in kommuner:
            assert (home.landing / k / str(AAR) / "bygninger.csv").read_bytes() == last[k]

        # 4. The next build picks the uploads up: a new version of each municipality from the last upload
        again = Run(home, tmp_path / "run2.err")
        assert again.finish() == 0, again.output()
        after = versions(home)
        newer = []
        for k in kommuner:
            # the newest version of each is the last upload, approved
            _, status, files = after[k][-1]
            assert status == "godkendt", after[k]
            assert files["bygninger.csv"] == hashlib.sha256(last[k]).hexdigest()
            # the held load read its files before the uploads: the next build made a new version of it (the
            # other municipality's files may have been read by the held build after the uploads, or not)
            if first.get(k) and first[k][-1][2]["bygninger.csv"] != files["bygninger.csv"]:
                assert len(after[k]) == len(first[k]) + 1, (first, after)
                newer.append(k)
        assert newer, (first, after)  # at least the held municipality was picked up by the next build
    finally:
        server.stop()

    # 5. Every upload is in the service's audit, answered 200, by the vendor's token
    puts = [r for r in audit.read(home) if r["metode"] == "PUT"]
    assert len(puts) == UPLOADS + len(kommuner)
    assert all(r["status"] == 200 and r["token_id"] == info.id and not r["fejlkode"] for r in puts), puts
    assert sorted({r["kommunekode"] for r in puts}) == kommuner
    assert all(r["status"] == 200 for r in audit.read(home)), "a request was answered with an error"
