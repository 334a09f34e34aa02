"""`make bench-upload`: how long a vendor waits for gate 1's findings after uploading a large file to
`kkm2 serve` (issue 21). A real server on loopback, a real token, real HTTP: a municipality's buildings and
meters are uploaded first, then an hourly consumption file of ROWS rows, twice: every row valid, and every row
rejected (an unreadable amount: each row a finding, the worst case for the answer). Each is sent REPEATS times;
the table gives the file's size, the server's answer and the median and slowest seconds from the first byte
sent to the last byte of the answer. Results: bench/results/upload_<timestamp>.md and upload_latest.md."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.settings import REPO_ROOT, Home

KOMMUNE, AAR = "0101", 2024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def files(folder: Path, rows: int) -> dict[str, Path]:
    """bygninger.csv, maalere.csv and the consumption file (valid and all-rejected) for `rows` hourly rows."""
    folder.mkdir(parents=True, exist_ok=True)
    hours = 24 * 366
    meters = max(1, -(-rows // hours))
    b = ["bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold"]
    m = ["maaler_id;bygning_id;forsyningsart;andel"]
    for i in range(meters):
        b.append(f"B-{i};Bygning {i};421;1.000;ejet")
        m.append(f"M-{i};B-{i};el;1")
    (folder / "bygninger.csv").write_text("\n".join(b) + "\n", encoding="utf-8")
    (folder / "maalere.csv").write_text("\n".join(m) + "\n", encoding="utf-8")
    start = datetime(AAR, 1, 1)
    stamps = [(start + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%MZ") for h in range(hours + 1)]
    out = {}
    for name, amount in (("gyldig", "1,5"), ("afvist", "x")):
        path = folder / f"forbrug_{name}.csv"
        with path.open("w", encoding="utf-8") as f:
            f.write("maaler_id;bygning_id;periode_fra;periode_til;maengde;enhed;maaletype\n")
            n = 0
            for i in range(meters):
                for h in range(hours):
                    if n == rows:
                        break
                    f.write(f"M-{i};B-{i};{stamps[h]};{stamps[h + 1]};{amount};kWh;forbrug\n")
                    n += 1
        out[name] = path
    return {"bygninger": folder / "bygninger.csv", "maalere": folder / "maalere.csv", **out}


def put(port: int, token: str, name: str, path: Path) -> tuple[float, int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    size = path.stat().st_size
    url = f"/api/v1/indberetninger/{KOMMUNE}/{AAR}/filer/{name}"
    t0 = time.perf_counter()
    with path.open("rb") as f:
        conn.request(
            "PUT", url, body=f, headers={"Authorization": f"Bearer {token}", "Content-Length": str(size)}
        )
        r = conn.getresponse()
        body = r.read()
    seconds = time.perf_counter() - t0
    conn.close()
    return seconds, r.status, json.loads(body)


def main(argv: list[str] | None = None) -> int:
    from pipeline.service import tokens

    ap = argparse.ArgumentParser(prog="kkm2-bench-upload")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--work", default=str(REPO_ROOT / "bench" / "work" / "upload"))
    ap.add_argument("--out", default=str(REPO_ROOT / "bench" / "results"))
    args = ap.parse_args(argv)
    work = Path(args.work)
    shutil.rmtree(work / "home", ignore_errors=True)
    shutil.rmtree(work / "filer", ignore_errors=True)
    home = Home(work / "home").ensure()
    made = files(work / "filer", args.rows)
    token, _ = tokens.create(home, "Bench", [KOMMUNE], ["indberet", "laes"])
    port = free_port()
    env = {**os.environ, "KKM2_MAKS_FIL_MB": "2000", "KKM2_API_KALD_PR_MINUT": "100000"}
    server = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "serve", "--home", str(home.root), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    lines = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/api/v1/sundhed")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("kkm2 serve did not start")
        for name in ("bygninger", "maalere"):
            _, status, answer = put(port, token, f"{name}.csv", made[name])
            if status != 200:
                raise SystemExit(f"upload of {name}.csv answered {status}: {answer}")
        lines += [
            f"# kkm2 upload-to-findings latency {datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
            "",
            f"PUT of an hourly consumption file of {args.rows:,} rows to `kkm2 serve` on loopback (after the "
            f"municipality's buildings and meters), {args.repeats} times each; seconds from the first byte sent "
            "to the last byte of the answer (gate 1 over the whole submission).",
            "",
            "| file | MB | status | rows received / accepted / rejected | findings | median s | slowest s |",
            "|---|---|---|---|---|---|---|",
        ]
        for kind in ("gyldig", "afvist"):
            times = []
            for _ in range(args.repeats):
                seconds, status, answer = put(port, token, "forbrug.csv", made[kind])
                if status != 200:
                    raise SystemExit(f"upload answered {status}: {answer}")
                times.append(seconds)
            c = answer["datasaet"]["forbrug"]
            lines.append(
                f"| {kind} | {made[kind].stat().st_size / 1e6:.1f} | {status} | {c['raekker_modtaget']:,} / "
                f"{c['raekker_accepteret']:,} / {c['raekker_afvist']:,} | {answer['fund_i_alt']:,} | "
                f"{statistics.median(times):.2f} | {max(times):.2f} |"
            )
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    md = "\n".join(lines) + "\n"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    for name in (f"upload_{stamp}", "upload_latest"):
        (out / f"{name}.md").write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
