"""Gate 1's GX step at volume: the previous way (accepted rows through Arrow into pandas, GX's pandas
engine) against GX's SQL execution engine on the sandbox's DuckDB connection (pipeline/quality/gx_gate.py).

    .venv/bin/python bench/gx_gate_bench.py [--rows 2000000] [--meters 81] [--repeat 3]

Two kinds of accepted rows, both judged by the committed forbrug suite (generated from the contract):
  synthetic  a forbrug-like temp view shaped as the validator's (typed rows minus the rejected ones), `--rows`
  validator  the real Eloverblik export copied for `--meters` meters (24 731 rows each, one in 1 000 made
             invalid), through the real validator in a sealed sandbox: its `acc_forbrug` view
Each method is timed `--repeat` times after one warm-up (GX's import is not counted); the best time counts.
Then the same accepted rows with planted bad rows: every method must report the same findings.
Writes bench/results/gx_gate.json and .md."""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.quality import gx_gate  # noqa: E402
from pipeline.settings import REPO_ROOT, sandbox, seal  # noqa: E402

OUT = REPO_ROOT / "bench" / "results"
ELOVERBLIK = (
    REPO_ROOT.parent
    / "shared"
    / "data"
    / "real"
    / "energy"
    / "eloverblik_meterdata_hourly_2017_2019_household.csv"
)


# ------------------------------------------------------------------------------------------------ methods
def _summarise(result, rows: int) -> dict:
    return gx_gate.summarise(result, rows)


def accepted_frame(con, dataset: str, table: str):
    """The previous gate 1's pandas batch: only the suite's columns, through Arrow, text as categoricals."""
    cols = ", ".join(gx_gate.suite_columns(dataset)) or "1 AS _ingen"
    return con.sql(f"SELECT {cols} FROM {table}").to_arrow_table().to_pandas(strings_to_categorical=True)


def pandas_previous(con, dataset: str, table: str) -> dict:
    """The way before: Arrow → pandas (text as categoricals), GX's pandas engine, default result format."""
    df = accepted_frame(con, dataset, table)
    _, batch_def = gx_gate._gx()
    result = batch_def.get_batch(batch_parameters={"dataframe": df}).validate(gx_gate.load_suite(dataset))
    return _summarise(result, len(df))


def pandas_counts_only(con, dataset: str, table: str) -> dict:
    """(b) The same batch, judged as gate 1 judges now: counts first, examples only when GX found something."""
    df = accepted_frame(con, dataset, table)
    _, batch_def = gx_gate._gx()
    batch = batch_def.get_batch(batch_parameters={"dataframe": df})
    suite = gx_gate.load_suite(dataset)
    result = batch.validate(suite, result_format=gx_gate.COUNTS_ONLY)
    if not result.success:
        result = batch.validate(suite, result_format="BASIC")
    return _summarise(result, len(df))


def pandas_chunked(con, dataset: str, table: str, chunk: int = 500_000) -> dict:
    """(b) Arrow → pandas per record batch, GX per chunk (BASIC), findings added up. Bounded memory, but a uniqueness
    expectation can no longer see a duplicate across two chunks: not a proof over all rows."""
    cols = ", ".join(gx_gate.suite_columns(dataset))
    reader = con.execute(f"SELECT {cols} FROM {table}").to_arrow_reader(chunk)
    _, batch_def = gx_gate._gx()
    suite = gx_gate.load_suite(dataset)
    rows, found, success = 0, {}, True
    for rb in reader:
        df = rb.to_pandas(strings_to_categorical=True)
        rows += len(df)
        s = _summarise(
            batch_def.get_batch(batch_parameters={"dataframe": df}).validate(suite, result_format="BASIC"), 0
        )
        success &= s["success"]
        for f in s["failures"]:
            key = (f["expectation"], f["column"])
            if key in found:
                found[key]["unexpected_count"] += f["unexpected_count"]
                found[key]["eksempler"] = (found[key]["eksempler"] + f["eksempler"])[:5]
            else:
                found[key] = f
    return {"success": success, "rows": rows, "failures": list(found.values())}


def sql_snapshot(con, dataset: str, table: str) -> dict:
    """(a) GX's SQL engine on a temp-table copy of the suite's columns (one pass over the view)."""
    suite = gx_gate.load_suite(dataset)
    snapshot = f"_gx_{table}"
    cols = ", ".join(gx_gate.suite_columns(dataset))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {snapshot} AS SELECT {cols} FROM {table}")
    try:
        rows = con.execute(f"SELECT count(*) FROM {snapshot}").fetchall()[0][0]
        batch = gx_gate.sql_batch(con, snapshot)
        result = batch.validate(suite, result_format=gx_gate.COUNTS_ONLY)
        if not result.success:
            result = batch.validate(suite, result_format="BASIC")
    finally:
        con.execute(f"DROP TABLE IF EXISTS {snapshot}")
    gx_gate._evaluated_everything(result, suite, rows)
    return _summarise(result, rows)


def sql_on_view(con, dataset: str, table: str) -> dict:
    """(a) What gate 1 runs now: GX's SQL engine straight on the accepted-rows view."""
    return gx_gate.check_accepted(con, dataset, table)


METHODS = {
    "pandas_previous": pandas_previous,
    "pandas_counts_only": pandas_counts_only,
    "pandas_chunked_500k": pandas_chunked,
    "sql_snapshot": sql_snapshot,
    "sql_on_view (gate 1 now)": sql_on_view,
}


# -------------------------------------------------------------------------------------------- accepted rows
def synthetic(tmp: Path, rows: int):
    """A sealed sandbox with `acc_forbrug`: a view over typed rows minus the rejected ones (one in 1 000), as
    the validator builds it (pipeline/validation/engine.py `_split`)."""
    con = sandbox(tmp / "duckdb")
    con.execute(f"""CREATE TEMP TABLE t_forbrug AS SELECT
            'f.csv' AS _fil, i AS _row, NULL::VARCHAR AS _skip,
            'M' || (i % 5000)::VARCHAR AS maaler_id,
            'B' || (i % 700)::VARCHAR AS bygning_id,
            ['el', 'fjernvarme', 'vand'][1 + i % 3] AS forsyningsart,
            TIMESTAMPTZ '2024-01-01 00:00:00+01' + to_hours(i % 8784) AS periode_fra,
            TIMESTAMPTZ '2024-01-01 01:00:00+01' + to_hours(i % 8784) AS periode_til,
            (i * 7919) % 1000 / 10.0 AS maengde,
            ['kWh', 'MWh', 'm3'][1 + i % 3] AS enhed,
            'forbrug' AS maaletype
        FROM range({rows}) r(i)""")
    con.execute("CREATE TEMP TABLE rej_forbrug AS SELECT _fil, _row FROM t_forbrug WHERE _row % 1000 = 7")
    cols = {c.name: c.sql_type for c in gx_gate.DATASETS["forbrug"].columns}
    casts = ", ".join(f"CAST({n} AS {t}) AS {n}" for n, t in cols.items())
    con.execute(f"""CREATE OR REPLACE TEMP VIEW acc_forbrug AS SELECT _fil, _row, {casts} FROM t_forbrug
                    WHERE _skip IS NULL AND (_fil, _row) NOT IN (SELECT (_fil, _row) FROM rej_forbrug)""")
    seal(con)

    def plant():
        con.execute("""UPDATE t_forbrug SET forsyningsart = 'damp' WHERE _row IN (11, 1500001);
                       UPDATE t_forbrug SET maengde = -1 WHERE _row = 42;
                       UPDATE t_forbrug SET enhed = NULL WHERE _row = 43""")

    return con, "acc_forbrug", plant


def validated(tmp: Path, meters: int):
    """The real Eloverblik export, once per meter, through the real validator in a sealed sandbox; one row in
    1 000 has no amount and is rejected (the accepted view then leaves rows out, as it does in practice)."""
    from pipeline.validation.core import SubmissionFile
    from pipeline.validation.engine import validate_files

    sub = tmp / "indberetning"
    (sub / "forbrug").mkdir(parents=True)
    lines = ELOVERBLIK.read_text(encoding="utf-8-sig").splitlines()
    head, body = lines[0], lines[1:]
    meter = body[0].split(";")[0]
    files = [
        SubmissionFile(sub / "bygninger.csv", "bygninger.csv"),
        SubmissionFile(sub / "maalere.csv", "maalere.csv"),
    ]
    (sub / "bygninger.csv").write_text(
        "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\nHUS-1;Testhus;421;150;ejet\n",
        encoding="utf-8",
    )
    ids = [f"{int(meter) + m}" for m in range(meters)]
    (sub / "maalere.csv").write_text(
        "maaler_id;bygning_id;forsyningsart\n" + "".join(f"{i};HUS-1;el\n" for i in ids), encoding="utf-8"
    )
    for i in ids:
        p = sub / "forbrug" / f"{i}.csv"
        rows = [line.replace(meter, i, 1) for line in body]
        for r in range(500, len(rows), 1000):  # one row in 1 000 the validator rejects (no amount)
            fields = rows[r].split(";")
            rows[r] = ";".join([*fields[:3], "ukendt", *fields[4:]])
        p.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
        files.append(SubmissionFile(p, f"forbrug/{i}.csv"))
    con = sandbox(tmp / "duckdb")
    t0 = time.perf_counter()
    result = validate_files(con, files, "0851", 2018, tmp / "box")
    took = time.perf_counter() - t0
    c = result.counts["forbrug"]
    print(
        f"validator: {c.accepted:,} forbrug rows accepted, {c.rejected:,} rejected, in {took:.1f} s",
        flush=True,
    )
    view = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'acc_forbrug'").fetchall()[0][0]
    base = view.split(" FROM ")[1].split()[0]

    def plant():
        # behind the validator's back: the typed rows the accepted view reads
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {base} AS SELECT * REPLACE (CASE WHEN _row = 5 THEN -1.0 "
            f"ELSE maengde END AS maengde) FROM {base}"
        )

    return con, result.accepted_tables["forbrug"], plant


# --------------------------------------------------------------------------------------------------- timing
def measure(con, table: str, repeat: int) -> dict:
    out = {}
    for name, fn in METHODS.items():
        fn(con, "forbrug", table)  # warm-up
        times, res = [], None
        for _ in range(repeat):
            t0 = time.perf_counter()
            res = fn(con, "forbrug", table)
            times.append(time.perf_counter() - t0)
        out[name] = {
            "best_s": min(times),
            "median_s": statistics.median(times),
            "rows": res["rows"],
            "us_per_row": min(times) / res["rows"] * 1e6,
            "success": res["success"],
        }
        print(
            f"  {name:28} {min(times):7.3f} s  {out[name]['us_per_row']:.3f} µs/row  rows={res['rows']:,}",
            flush=True,
        )
    return out


def findings(con, table: str) -> dict:
    out = {}
    for name, fn in METHODS.items():
        r = fn(con, "forbrug", table)
        out[name] = {
            "success": r["success"],
            "failures": sorted((f["expectation"], f["column"], f["unexpected_count"]) for f in r["failures"]),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[200_000, 2_000_000])
    ap.add_argument("--meters", type=int, default=81)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scenarios", nargs="+", default=["synthetic", "validator"])
    args = ap.parse_args(argv)
    gx_gate._gx_module()
    report = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "scenarios": {}}
    runs = [(f"synthetic {n:,}", n) for n in args.rows] if "synthetic" in args.scenarios else []
    runs += [(f"validator {args.meters} meters", None)] if "validator" in args.scenarios else []
    for scenario, n in runs:
        tmp = Path(tempfile.mkdtemp(prefix="gx_bench_"))
        try:
            con, table, plant = synthetic(tmp, n) if n else validated(tmp, args.meters)
            print(scenario, flush=True)
            timings = measure(con, table, args.repeat)
            plant()
            found = findings(con, table)
            con.close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        same = len({json.dumps(v, default=str) for v in found.values()}) == 1
        print(f"  planted bad rows: same findings by every method: {same}", flush=True)
        for name, v in found.items():
            print(f"    {name:28} {v}", flush=True)
        report["scenarios"][scenario] = {"timings": timings, "planted": found, "same_findings": same}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "gx_gate.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    lines = [f"# Gate 1 GX step ({report['when']})", ""]
    for scenario, s in report["scenarios"].items():
        lines += [
            f"## {scenario}",
            "",
            "| method | rows | best s | median s | µs/row |",
            "| --- | --- | --- | --- | --- |",
        ]
        for name, t in s["timings"].items():
            lines.append(
                f"| {name} | {t['rows']:,} | {t['best_s']:.3f} | {t['median_s']:.3f} | {t['us_per_row']:.3f} |"
            )
        lines += ["", f"Planted bad rows, same findings by every method: {s['same_findings']}", ""]
    synth = [s for name, s in report["scenarios"].items() if name.startswith("synthetic")]
    if len(synth) >= 2:
        a, b = synth[0]["timings"], synth[-1]["timings"]
        lines += [
            "## Marginal cost between the smallest and largest synthetic run",
            "",
            "| method | fixed s | marginal µs/row |",
            "| --- | --- | --- |",
        ]
        for name in a:
            per_row = (b[name]["best_s"] - a[name]["best_s"]) / (b[name]["rows"] - a[name]["rows"])
            lines.append(
                f"| {name} | {a[name]['best_s'] - per_row * a[name]['rows']:.3f} | {per_row * 1e6:.3f} |"
            )
        lines.append("")
    (OUT / "gx_gate.md").write_text("\n".join(lines), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
