"""`make fuzz`: hostile files at volume (not part of `make test`; tests/test_fuzz_sample.py runs a small sample).

Three sources of files, across every format (CSV, XLSX, JSON, Parquet) and every dataset:
- hypothesis strategies: tables with hostile headers and values (quotes, separators, SQL, control characters,
  lone surrogates, numbers in every convention, NaN, overlong text), rendered in a random format, encoding and
  separator;
- mutations of the real public files in ../shared/data/real: bytes flipped, inserted (NUL, 0xFF, quotes,
  separators), deleted, lines duplicated, the file truncated, its header mangled;
- the issue's classes: injection names, XLSX with a huge dimension or a lying one, zip bombs, deep JSON,
  JSON NaN/Infinity/1e309, sparse and NUL files, UTF-16, mixed UTF-8/Windows-1252, ambiguous decimals.

Stage 1 validates every file in a worker process (the gate-1 validator on its sandbox connection, as `kkm2 run`
does), each file in a submission of its own. A Python exception escaping the validator or a worker that dies
(an abort) is a crash; the worker is restarted after the file. It checks received = accepted + rejected +
skipped, and samples the peak RSS of the worker and its reader children.

Stage 2 runs the real pipeline (`kkm2 run`) on a home with two good municipalities and one hostile one, whose
folder gets a new batch of hostile files each round, and checks that the build succeeds and the good
municipalities' published rows are unchanged.

Prints files tried, crashes and peak RSS; exits 1 when anything failed."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

from pipeline.contract.datasets import DATASETS
from pipeline.settings import REPO_ROOT

REAL = Path(os.environ.get("KKM2_REAL_DATA") or REPO_ROOT.parent / "shared" / "data" / "real")
RSS_LIMIT_MB = 2048
HOSTILE_TEXT = [
    '"',
    "'",
    ";",
    "--",
    ")",
    "\n",
    "\r\n",
    "\x00",
    "\x07",
    "\ufeff",
    "\u2028",
    "=1+1",
    "@SUM(1)",
    "+1",
    "read_text('/etc/passwd')",
    "'); DROP TABLE raw.bygninger; --",
    '"); SELECT 1; --',
    "1,5",
    "1.5",
    "1.234,5",
    "1,234.5",
    "NaN",
    "inf",
    "-0",
    "1e309",
    "2024-13-01",
    "01.01.2024",
    "2024-10-27 02:30",
    "ææøøåå",
    "\U0001f600",
    "x" * 300,
]


# ------------------------------------------------------------------------------------------- writers


def _write(path: Path, kind: str, headers: list[str], rows: list[list], rng: random.Random) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "csv":
        sep = rng.choice([";", ",", "\t"])
        enc = rng.choice(["utf-8", "utf-8-sig", "cp1252", "utf-16"])

        def cell(v) -> str:
            s = "" if v is None else str(v)
            return '"' + s.replace('"', '""') + '"' if any(c in s for c in (sep, '"', "\n", "\r")) else s

        text = "\n".join(sep.join(cell(v) for v in r) for r in [headers, *rows]) + "\n"
        path.write_bytes(text.encode(enc, errors="replace"))
    elif kind == "xlsx":
        import openpyxl
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = path.stem[:31]
        for r in [headers, *rows]:
            ws.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in r])
        wb.save(path)
    elif kind == "json":
        objs = [dict(zip(headers, r, strict=False)) for r in rows]
        path.write_text(json.dumps(objs, ensure_ascii=rng.random() < 0.5, allow_nan=True), encoding="utf-8")
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        names = list(dict.fromkeys(h or "tom" for h in headers))
        cols = {
            n: [None if i >= len(r) or r[i] is None else str(r[i]) for r in rows] for i, n in enumerate(names)
        }
        pq.write_table(pa.table({n: pa.array(v, pa.string()) for n, v in cols.items()}), path)


def _dataset_file(rng: random.Random, kind: str) -> tuple[str, list[str]]:
    ds = rng.choice(list(DATASETS))
    return f"{ds}_{rng.randrange(10**6)}.{kind}", list(DATASETS[ds].column_names)


# ------------------------------------------------------------------------------------------- sources


def hypothesis_files(out: Path, n: int, seed: int) -> list[Path]:
    """Tables drawn by hypothesis strategies, in a random format."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    made: list[Path] = []
    text = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=40))
    value = st.one_of(
        st.none(), text, st.integers(-(10**20), 10**20), st.floats(allow_nan=True, allow_infinity=True)
    )

    @settings(
        max_examples=n,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        kind=st.sampled_from(["csv", "xlsx", "json", "parquet"]),
        extra=st.lists(text, max_size=3),
        rows=st.lists(st.lists(value, min_size=0, max_size=12), max_size=8),
        drop=st.integers(0, 3),
        salt=st.integers(0, 10**9),
    )
    def draw(kind, extra, rows, drop, salt):
        rng = random.Random(salt + seed)
        name, cols = _dataset_file(rng, kind)
        headers = cols[drop:] + extra
        path = out / f"h{len(made):05d}" / name
        try:
            _write(path, kind, headers, rows, rng)
        except Exception:  # a table a writer cannot express (e.g. openpyxl's limits): not a file
            shutil.rmtree(path.parent, ignore_errors=True)
            return
        made.append(path)

    draw()
    return made


def mutated_files(out: Path, n: int, seed: int) -> list[Path]:
    """The real public files, damaged in the ways transfers and editors damage files."""
    rng = random.Random(seed)
    sources = [p for p in sorted(REAL.rglob("*")) if p.is_file() and p.suffix in (".csv", ".txt")]
    if not sources:
        raise SystemExit(f"Ingen rigtige filer i {REAL} (sæt KKM2_REAL_DATA)")
    made = []
    for i in range(n):
        src = rng.choice(sources)
        data = bytearray(src.read_bytes()[: rng.choice([2_000, 20_000, 200_000])])
        for _ in range(rng.randrange(1, 6)):
            op = rng.choice(["flip", "insert", "delete", "dup", "truncate", "header"])
            pos = rng.randrange(max(1, len(data)))
            if op == "flip" and data:
                data[pos] ^= 1 << rng.randrange(8)
            elif op == "insert":
                data[pos:pos] = rng.choice(
                    [b"\x00", b"\xff", b'"', b";", b",", b"\r", b"\n\n", b"\xc3", "æ".encode("cp1252")]
                )
            elif op == "delete":
                del data[pos : pos + rng.randrange(1, 50)]
            elif op == "dup":
                line = data[pos : data.find(b"\n", pos) + 1] if b"\n" in data[pos:] else b""
                data[pos:pos] = line * rng.randrange(1, 20)
            elif op == "truncate":
                del data[pos:]
            else:
                end = data.find(b"\n")
                data[: max(end, 0)] = rng.choice(HOSTILE_TEXT).encode("utf-8", "replace") * rng.randrange(
                    1, 4
                )
        kind = "csv" if rng.random() < 0.8 else "txt"
        ds = rng.choice(list(DATASETS))
        path = out / f"m{i:05d}" / f"{ds}.{kind}"
        path.parent.mkdir(parents=True)
        path.write_bytes(bytes(data))
        made.append(path)
    return made


def class_files(out: Path, seed: int, bomb_mb: int = 1536) -> list[Path]:
    """One or more files of each class the issue names."""
    import openpyxl

    rng = random.Random(seed)
    made: list[Path] = []

    def new(name: str) -> Path:
        p = out / f"k{len(made):05d}" / name
        p.parent.mkdir(parents=True)
        made.append(p)
        return p

    head = ["bygning_id", "navn", "anvendelseskode", "bruttodriftsareal_m2", "ejerforhold"]
    row = ["B1", "Skolen", 421, 100.5, "ejet"]
    for kind in ("csv", "xlsx", "json", "parquet"):
        for evil in HOSTILE_TEXT[:17]:
            _write(new(f"bygninger.{kind}"), kind, [*head, evil], [[*row, "v"]], rng)
    for name in ("bygninger'); SELECT 1; --.csv", 'bygninger"x.csv', "bygninger\nny.csv", "bygninger --.csv"):
        _write(new(name), "csv", head, [row], rng)
    p = new("bygninger.xlsx")  # a huge dimension
    wb = openpyxl.Workbook()
    wb.active.append(head)
    wb.active["XFD1048576"] = "x"
    wb.save(p)
    lying = new("bygninger.xlsx")  # the same without its <dimension>
    with zipfile.ZipFile(p) as src, zipfile.ZipFile(lying, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = data.replace(b'<dimension ref="A1:XFD1048576"/>', b"")
            dst.writestr(info, data)
    bomb = new("bygninger.xlsx")  # a zip bomb: 1,5 GB of spaces in 1,5 MB
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            block = b" " * (1 << 20)
            for _ in range(bomb_mb):
                f.write(block)
    new("bygninger.json").write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    new("bygninger.json").write_text(
        '[{"bygning_id": "B1", "bruttodriftsareal_m2": NaN}, {"x": Infinity}, {"y": 1e309}]'
    )
    new("bygninger.json").write_text('[{"bygning_id": "\\ud800", "navn": "\\udfff"}]')
    with open(new("bygninger.csv"), "wb") as f:  # sparse: 2 GB of zero bytes, no disk
        f.write(b"bygning_id;navn\n")
        f.truncate(2 << 30)
    new("forbrug.csv").write_bytes(b"maaler_id;maengde\n" + b"x" * (3 << 20) + b"\n")
    new("bygninger.csv").write_bytes("bygning_id;navn\nB1;Børnehus\n".encode("utf-16"))
    new("bygninger.csv").write_bytes(
        b"bygning_id;navn\n" + "B1;Børnehus\n".encode() + "B2;Ærø\n".encode("cp1252")
    )
    new("bygninger.csv").write_text(
        'bygning_id,navn,anvendelseskode,bruttodriftsareal_m2,ejerforhold\nB1,a,421,"1,5",ejet\nB2,b,421,1.5,ejet\n'
    )
    new("bygninger.csv").write_bytes(os.urandom(50_000))
    new("bygninger.xlsx").write_bytes(b"PK\x03\x04" + os.urandom(5_000))
    new("bygninger.parquet").write_bytes(b"PAR1" + os.urandom(5_000) + b"PAR1")
    return made


# ------------------------------------------------------------------------------------------- stage 1


WORKER = r"""
import json, resource, sys, tempfile, traceback
from pathlib import Path
from pipeline.settings import sandbox
from pipeline.validation import SubmissionFile, validate_files
for line in sys.stdin:
    path = Path(line.strip())
    out = {"fil": str(path)}
    with tempfile.TemporaryDirectory() as tmp:
        con = sandbox(Path(tmp) / "duckdb")
        try:
            res = validate_files(con, [SubmissionFile(path, path.name)], "0101", 2024, Path(tmp))
            out["counts"] = {k: c.as_dict() for k, c in res.counts.items()}
            out["tomme_beskeder"] = [f["regel"] for f in res.findings(con) if not (f["besked"] or "").strip()]
        except BaseException:
            out["traceback"] = traceback.format_exc()[-2000:]
        finally:
            con.close()
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    out["barn_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    print(json.dumps(out), flush=True)
"""


class Sampler(threading.Thread):
    """Peak RSS of a process and its children, sampled every 0,1 s (the reader children are short-lived)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        import psutil

        while not self.stop.is_set():
            try:
                p = psutil.Process(self.pid)
                rss = p.memory_info().rss + sum(c.memory_info().rss for c in p.children(recursive=True))
                self.peak = max(self.peak, rss)
            except psutil.Error:
                pass
            time.sleep(0.1)


def validate_all(files: list[Path], timeout: float = 900) -> dict:
    """Every file through the validator in a worker process; a dead worker is a crash of that file."""
    stats = {"filer": 0, "nedbrud": [], "optaelling": [], "tomme_beskeder": 0, "top_rss_mb": 0}
    pending = list(files)
    while pending:
        proc = subprocess.Popen(
            [sys.executable, "-c", WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=REPO_ROOT,
        )
        sampler = Sampler(proc.pid)
        sampler.start()
        died = None
        while pending:
            f = pending.pop(0)
            stats["filer"] += 1
            started = time.monotonic()
            try:
                proc.stdin.write(f"{f}\n")
                proc.stdin.flush()
                line = proc.stdout.readline()
            except BrokenPipeError:
                line = ""
            if not line or time.monotonic() - started > timeout:
                died = f
                break
            out = json.loads(line)
            if "traceback" in out:
                stats["nedbrud"].append({"fil": str(f), "traceback": out["traceback"]})
            for ds, c in out.get("counts", {}).items():
                if (
                    c["raekker_modtaget"]
                    != c["raekker_accepteret"] + c["raekker_afvist"] + c["raekker_sprunget_over"]
                ):
                    stats["optaelling"].append({"fil": str(f), "datasaet": ds, **c})
            if out.get("tomme_beskeder"):
                stats["tomme_beskeder"] += len(out["tomme_beskeder"])
                stats.setdefault("tomme_beskeder_filer", []).append(
                    f"{f} ({', '.join(out['tomme_beskeder'])})"
                )
        proc.stdin.close()
        proc.wait(timeout=60)
        sampler.stop.set()
        sampler.join()
        stats["top_rss_mb"] = max(stats["top_rss_mb"], sampler.peak // (1 << 20))
        if died is not None:
            stats["nedbrud"].append(
                {"fil": str(died), "traceback": f"arbejderen døde (kode {proc.returncode})"}
            )
    return stats


# ------------------------------------------------------------------------------------------- stage 2


def published_rows(home, good: list[str]) -> str:
    """A hash of the good municipalities' own published rows (not the national statistics their values enter
    with the others', nor the release's id)."""
    from pipeline.settings import connect

    con = connect(home.current / "warehouse.duckdb", read_only=True)
    h = hashlib.sha256()
    try:
        for table in (
            "dim_bygning",
            "fct_forbrug_maaned",
            "mart_noegletal_bygning",
            "mart_noegletal_kommune",
        ):
            skip = ("release_id", "naermere_eftersyn", "naermere_eftersyn_aarsag")
            cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] not in skip]
            sel = ", ".join(f'"{c}"' for c in cols)
            rows = con.execute(
                f"SELECT {sel} FROM {table} WHERE kommunekode IN (SELECT unnest(?)) ORDER BY ALL", [good]
            ).fetchall()
            h.update(repr((table, rows)).encode())
    finally:
        con.close()
    return h.hexdigest()


def pipeline_rounds(files: list[Path], rounds: int, work: Path, seed: int) -> dict:
    from pipeline.demo_data import generate
    from pipeline.run import run
    from pipeline.settings import Home
    from pipeline.text import canonical_kommunekode

    home = Home(work / "home").ensure()
    folders = generate(
        home.landing, kommuner=3, aar=[2024], seed=seed, bygninger_pr_kommune=4, reference=home.reference
    )
    codes = sorted(canonical_kommunekode(f.parent.name) for f in folders)
    good, target = codes[:2], next(f for f in folders if canonical_kommunekode(f.parent.name) == codes[2])
    out = {"koersler": 0, "fejlede_koersler": [], "aendrede_udgivelser": []}
    report = run(home)
    if not report.success:
        out["fejlede_koersler"].append("den første, rene kørsel")
        return out
    before = published_rows(home, good)
    clean = {p.name: p.read_bytes() for p in target.iterdir() if p.is_file()}
    for i in range(rounds):
        for p in target.iterdir():  # the clean submission again, then this round's hostile files beside it
            if p.is_file() and p.name not in clean:
                p.unlink()
        for name, data in clean.items():
            (target / name).write_bytes(data)
        for j, f in enumerate(files[i::rounds]):
            shutil.copyfile(f, target / f"{Path(f.name).stem}_{j}{f.suffix}")  # the name keeps its dataset
        try:
            report = run(home)
            ok = report.success
        except Exception as e:  # the run itself must never raise
            ok, report = False, repr(e)
        out["koersler"] += 1
        if not ok:
            out["fejlede_koersler"].append(f"runde {i + 1}: {str(report)[:500]}")
        elif published_rows(home, good) != before:
            out["aendrede_udgivelser"].append(f"runde {i + 1}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Fjendtlige filer i mængder: ingen traceback, intet nedbrud, begrænset hukommelse."
    )
    ap.add_argument("--filer", type=int, default=1000, help="mindst så mange filer i alt (standard 1000)")
    ap.add_argument("--runder", type=int, default=4, help="kørsler af hele pipelinen (standard 4; 0 = ingen)")
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--arbejdsmappe", type=Path, default=None)
    args = ap.parse_args(argv)
    work = args.arbejdsmappe or Path(tempfile.mkdtemp(prefix="kkm2_fuzz_"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    files = class_files(work / "filer", args.seed)
    rest = max(0, args.filer - len(files))
    files += mutated_files(work / "filer", rest // 2, args.seed)
    files += hypothesis_files(work / "filer", rest - rest // 2, args.seed)
    stats = validate_all(files)
    pipe = (
        pipeline_rounds([f for f in files if f.stat().st_size < 5 << 20], args.runder, work, args.seed)
        if args.runder
        else {}
    )
    print(f"Filer prøvet:      {stats['filer']}")
    print(f"Nedbrud:           {len(stats['nedbrud'])}")
    print(f"Optællingsfejl:    {len(stats['optaelling'])} (modtaget ≠ accepteret + afvist + sprunget over)")
    print(f"Tomme beskeder:    {stats['tomme_beskeder']}")
    print(f"Største RSS:       {stats['top_rss_mb']} MB (grænse {RSS_LIMIT_MB} MB)")
    if pipe:
        print(
            f"Pipeline-kørsler:  {pipe['koersler']}, fejlede {len(pipe['fejlede_koersler'])}, "
            f"ændrede andre kommuners rækker {len(pipe['aendrede_udgivelser'])}"
        )
    print(f"Tid:               {time.monotonic() - started:.0f} s; filer i {work}")
    for c in stats["nedbrud"][:10]:
        print(f"\nNEDBRUD {c['fil']}\n{c['traceback']}")
    for c in stats["optaelling"][:10]:
        print(f"OPTÆLLING {c}")
    for c in stats.get("tomme_beskeder_filer", [])[:10]:
        print(f"TOM BESKED {c}")
    for r in pipe.get("fejlede_koersler", []) + pipe.get("aendrede_udgivelser", []):
        print(f"PIPELINE {r}")
    bad = (
        stats["nedbrud"]
        or stats["optaelling"]
        or stats["tomme_beskeder"]
        or stats["top_rss_mb"] > RSS_LIMIT_MB
        or pipe.get("fejlede_koersler")
        or pipe.get("aendrede_udgivelser")
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
