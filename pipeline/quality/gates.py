"""Gates 2 and 3 (ARCHITECTURE.md): plausibility across submissions, and the publication gate.

Each check is a small SQL query that shapes the evidence into a frame per municipality (bounded: one
municipality's rows, or one row per municipality and year), and Great Expectations judges it with a suite
built here. Every check has one home in this module; the figures' hard bounds live in the catalogue seed
(`dim_noegletal.graense_min/graense_max`). Results go to `audit.gate_results`, and GX Data Docs per
municipality into the release's `quality/<kommunekode>/` (national checks in `quality/nationalt/`).

Gate 2 only warns. Gate 3 fails: a failure that belongs to one municipality and year holds back that
submission's active version (the build is then redone without it); a national failure stops publication."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from pipeline import states
from pipeline.contract.parameters import SUPPRESSION_MIN_KOMMUNER, min_kommuner
from pipeline.faults import fault_point
from pipeline.quality import docs_assets
from pipeline.quality.gx_gate import _gx_module, pandas_batch_definition
from pipeline.text import da_number

NATIONAL = "nationalt"
# A building's energy per m² is implausible outside the previous release's p1–p99 for its sektor; a sektor
# needs this many buildings there before it has a distribution.
OUTLIER_MIN_BUILDINGS = 20
ENERGY_FIGURES = ("el_kwh_pr_m2", "varme_kwh_pr_m2")
METER_COVERAGE_MIN_PCT = 99.9
RECONCILIATION_TOLERANCE = 1e-6  # relative


@dataclass
class CheckResult:
    gate: str
    kontrol: str
    kommunekode: str  # or NATIONAL
    aar: int | None
    status: str  # ok | advarsel | fejl
    evalueret: int
    antal: int
    besked: str
    eksempler: list = field(default_factory=list)
    version: int | None = None  # the municipality-year's active version when checked (None: national)

    @property
    def failed(self) -> bool:
        return self.status != "ok"


def with_versions(con, results: list[CheckResult]) -> list[CheckResult]:
    """The results with the version each municipality-year's check saw: the one the checked marts were built
    from (dim_bygning.indberetning_version), read before any hold-back of this gate run rebuilds them (the
    results are recorded after the last round); for a municipality-year without buildings in the marts, the
    active version. A warehouse without either (a bare test warehouse) leaves the versions null."""
    have = {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() UNION ALL "
            "SELECT schema_name, view_name FROM duckdb_views()"
        ).fetchall()
    }
    sources = []
    if "marts.dim_bygning" in have:
        sources.append(
            "SELECT kommunekode, aar, max(indberetning_version) AS version, 1 AS rang FROM marts.dim_bygning "
            "GROUP BY ALL"
        )
    if "audit.active_submissions" in have:
        sources.append("SELECT kommunekode, aar, version, 2 AS rang FROM audit.active_submissions")
    active = {}
    if sources:
        active = {
            (k, a): v
            for k, a, v in con.execute(
                f"SELECT kommunekode, aar, arg_min(version, rang) FROM ({' UNION ALL '.join(sources)}) GROUP BY ALL"
            ).fetchall()
        }
    return [replace(r, version=active.get((r.kommunekode, r.aar))) for r in results]


class GxEvaluatedNothing(RuntimeError):
    """GX returned no results for a non-empty batch: the known failure mode of a broken execution path.
    Never treated as a pass."""


# --------------------------------------------------------------------------------------------- GX runner


class DocsWriter:
    """GX validations with Data Docs written per municipality under `root/<kommunekode>/`.

    Each folder gets its own ephemeral GX context (8 ms to make): a context's result store only grows, and GX
    re-renders a site's index from it after every validation, so one shared context made every build slower
    than the one before.

    A validation whose input is identical to one in the previous release (same suite name, expectations, GX
    version and frame content, by hash) has the same result: it is taken from `previous/_resultater.json`, and
    a folder whose validations all are identical keeps the previous release's Data Docs (they name the time
    they were made). A folder with any new validation is validated and rendered in full. One municipality's
    resubmission at national scale spent 60 of its 104 s re-validating the 97 municipalities that did not
    change."""

    CACHE = "_resultater.json"

    def __init__(self, root: Path, previous: Path | None = None):
        self.root = root
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        self.contexts: dict[str, tuple] = {}
        self.previous = previous if previous is not None and (previous / self.CACHE).exists() else None
        self.known: dict[str, list] = (
            json.loads((previous / self.CACHE).read_text(encoding="utf-8")) if self.previous else {}
        )
        self.results: dict[str, list] = {}  # this run's, written at finish for the next one
        self.reused: dict[str, list] = {}  # folder -> validations answered from the previous release
        self.ran: set[str] = set()  # folders GX validated in this run
        self.fresh = 0  # validations GX ran

    def _context(self, folder: str):
        if folder not in self.contexts:
            ctx, batch_def = pandas_batch_definition("gate")
            ctx.add_data_docs_site(
                site_name="kkm2",
                site_config={
                    "class_name": "SiteBuilder",
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(self.root / folder) + "/",
                    },
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                },
            )
            self.contexts[folder] = (ctx, batch_def)
        return self.contexts[folder]

    @staticmethod
    def _key(suite_name: str, df, expectations: list) -> str:
        import pandas as pd

        gx = _gx_module()
        h = hashlib.sha256()
        h.update(f"{gx.__version__}|{suite_name}|{list(df.columns)}|{[str(t) for t in df.dtypes]}".encode())
        for e in expectations:
            h.update(json.dumps(e.configuration.to_json_dict(), sort_keys=True, default=str).encode())
        # Floats to 12 significant digits: DuckDB's parallel sums differ in the last bits from build to build
        # (seen in the reconciliation's relative deviations), and the bounds GX checks are far coarser.
        floats = df.select_dtypes("float")
        if len(floats.columns):
            df = df.assign(**{c: [float(f"{x:.12g}") for x in floats[c]] for c in floats.columns})
        h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
        return h.hexdigest()

    def validate(self, folder: str, suite_name: str, df, expectations: list) -> list[dict]:
        """Run `expectations` on `df`; returns one dict per expectation. Raises GxEvaluatedNothing when GX
        evaluated nothing on a non-empty frame."""
        fault_point("gates", folder)  # the tests inject a failure into one municipality's checks here
        key = self._key(suite_name, df, expectations)
        known = self.known.get(key)
        if known is not None and folder not in self.ran:
            self.reused.setdefault(folder, []).append((suite_name, df, expectations))
            self.results[key] = known
            return known
        out = self._run(folder, suite_name, df, expectations)
        self.results[key] = out
        if folder not in self.ran:  # this folder's docs are made anew: they must show every validation
            self.ran.add(folder)
            for args in self.reused.pop(folder, []):
                self._run(folder, *args)
        return out

    def _run(self, folder: str, suite_name: str, df, expectations: list) -> list[dict]:
        gx = _gx_module()
        self.fresh += 1
        ctx, batch_def = self._context(folder)
        suite = gx.ExpectationSuite(name=suite_name)
        for e in expectations:
            suite.add_expectation(e)
        suite = ctx.suites.add_or_update(suite)
        vd = ctx.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite_name, data=batch_def, suite=suite)
        )
        # No UpdateDataDocsAction: it re-rendered the folder's index (and copied GX's static files) after every
        # validation, 10 of the gates' 19 s at 20 municipalities. The results are kept in the context's store and
        # `finish` renders each folder once.
        cp = ctx.checkpoints.add_or_update(gx.Checkpoint(name=suite_name, validation_definitions=[vd]))
        run = cp.run(batch_parameters={"dataframe": df})
        results = [r for vr in run.run_results.values() for r in vr.results]
        if len(df) and len(results) != len(expectations):
            raise GxEvaluatedNothing(
                f"GX evaluerede {len(results)} af {len(expectations)} forventninger for {suite_name}"
            )
        out = []
        for r in results:
            res = r.result or {}
            if len(df) and "element_count" not in res and "observed_value" not in res:
                raise GxEvaluatedNothing(
                    f"GX returnerede ingen målinger for {suite_name}: {r.exception_info}"
                )
            out.append(
                {
                    "expectation": r.expectation_config.type,
                    "kwargs": {k: v for k, v in r.expectation_config.kwargs.items() if k != "batch_id"},
                    "success": bool(r.success),
                    "evaluated": int(res.get("element_count", len(df)) or 0),
                    "unexpected_count": int(res.get("unexpected_count") or 0),
                    "examples": [_plain(v) for v in (res.get("partial_unexpected_list") or [])[:5]],
                }
            )
        return json.loads(json.dumps(out, default=str))  # as the cache gives it back

    def finish(self) -> None:
        """Render each validated folder's Data Docs once (index, suites, validation results); copy the previous
        release's Data Docs of the folders whose validations were all identical; share GX's static files; keep
        this run's results for the next."""
        for ctx, _ in self.contexts.values():
            ctx.build_data_docs(site_names=["kkm2"])
        for folder in self.reused:
            shutil.copytree(
                self.previous / folder, self.root / folder, ignore=shutil.ignore_patterns("static")
            )
        self.share_static()
        # GX's CDN assets shipped with the release: the pages work offline
        docs_assets.make_offline(self.root)
        (self.root / self.CACHE).write_text(json.dumps(self.results), encoding="utf-8")

    def share_static(self) -> None:
        """One copy of GX's static files (3–4 MB) per release, not one per municipality."""
        folders = [p for p in self.root.iterdir() if p.is_dir() and p.name != "static"]
        rendered = [p for p in folders if (p / "static").is_dir() and not (p / "static").is_symlink()]
        if rendered:
            shutil.move(str(rendered[0] / "static"), self.root / "static")
        elif folders and self.previous and (self.previous / "static").is_dir():
            shutil.copytree(self.previous / "static", self.root / "static")
        for p in folders:
            if (p / "static").is_dir() and not (p / "static").is_symlink():
                shutil.rmtree(p / "static")
            if not (p / "static").exists():
                os.symlink("../static", p / "static")


def _plain(v):
    if isinstance(v, dict | list | str | int | float | bool) or v is None:
        return v
    return str(v)


# --------------------------------------------------------------------------------------------- checks


def _frames_by_kommune(con, sql: str, params=None):
    df = con.execute(sql, params or []).df()
    if df.empty:
        return []
    return [(k, g.reset_index(drop=True)) for k, g in df.groupby("kommunekode", sort=True)]


@contextmanager
def _isolated(out: list[CheckResult], gate: str, kontrol: str, k: str, aar) -> Iterator[None]:
    """One municipality's check: an error in it (a bug, or GX failing on its data) becomes a failed check of
    that municipality and year (its version is held back), never a failed build for everyone."""
    try:
        yield
    except Exception as e:
        out.append(
            CheckResult(
                gate,
                kontrol,
                k,
                int(aar),
                "fejl",
                0,
                1,
                f"Kontrollen '{kontrol}' kunne ikke gennemføres for kommunen (intern fejl: {type(e).__name__}); "
                "kommunens version holdes tilbage, og de øvrige udgives.",
            )
        )


def _summarise(gate, kontrol, k, aar, checks, fail_status, besked_ok, besked_fejl) -> CheckResult:
    failed = [c for c in checks if not c["success"]]
    evaluated = max((c["evaluated"] for c in checks), default=0)
    n = sum(c["unexpected_count"] or 1 for c in failed)
    ex = [e for c in failed for e in c["examples"]][:10]
    return CheckResult(
        gate,
        kontrol,
        k,
        aar,
        fail_status if failed else "ok",
        evaluated,
        n if failed else 0,
        besked_fejl(failed) if failed else besked_ok,
        ex,
    )


def gate2(con, docs: DocsWriter, previous_release: Path | None) -> list[CheckResult]:
    """Plausibility across submissions: warnings, never blocking."""
    gx = _gx_module()
    E = gx.expectations
    out: list[CheckResult] = []
    # energy per m² against the previous release's distribution for the sektor
    if previous_release and (previous_release / "warehouse.duckdb").exists():
        con.execute(f"ATTACH '{previous_release / 'warehouse.duckdb'}' AS forrige (READ_ONLY)")
        try:
            bounds = ", ".join(
                f"quantile_cont({f}::DOUBLE, 0.01) AS {f}_p01, quantile_cont({f}::DOUBLE, 0.99) AS {f}_p99, count({f}) AS {f}_n"
                for f in ENERGY_FIGURES
            )
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _fordeling AS SELECT sektor, {bounds} "
                "FROM forrige.main.mart_noegletal_bygning GROUP BY sektor"
            )
        finally:
            con.execute("DETACH forrige")
        cols = ", ".join(
            f"b.{f}, CASE WHEN d.{f}_n >= {OUTLIER_MIN_BUILDINGS} THEN d.{f}_p01 END AS {f}_p01, "
            f"CASE WHEN d.{f}_n >= {OUTLIER_MIN_BUILDINGS} THEN d.{f}_p99 END AS {f}_p99"
            for f in ENERGY_FIGURES
        )
        for k, df in _frames_by_kommune(
            con,
            f"SELECT b.kommunekode, b.aar, b.bygning_id, b.sektor, {cols} FROM marts.mart_noegletal_bygning b "
            "LEFT JOIN _fordeling d USING (sektor) ORDER BY ALL",
        ):
            for aar, g in df.groupby("aar", sort=True):
                with _isolated(out, "2", "energi_uden_for_fordeling", k, aar):
                    g = g.reset_index(drop=True)
                    exps = []
                    for f in ENERGY_FIGURES:
                        exps.append(
                            E.ExpectColumnPairValuesAToBeGreaterThanB(
                                column_A=f,
                                column_B=f"{f}_p01",
                                or_equal=True,
                                ignore_row_if="either_value_is_missing",
                            )
                        )
                        exps.append(
                            E.ExpectColumnPairValuesAToBeGreaterThanB(
                                column_A=f"{f}_p99",
                                column_B=f,
                                or_equal=True,
                                ignore_row_if="either_value_is_missing",
                            )
                        )
                    checks = docs.validate(k, f"gate2_energi_{k}_{aar}", g, exps)
                    out.append(
                        _summarise(
                            "2",
                            "energi_uden_for_fordeling",
                            k,
                            int(aar),
                            checks,
                            "advarsel",
                            "El og varme pr. m² ligger inden for sektorernes p1–p99 i forrige udgivelse.",
                            lambda failed: (
                                f"{sum(c['unexpected_count'] for c in failed)} bygningsværdier for el/varme "
                                "pr. m² ligger uden for sektorens p1–p99 i forrige udgivelse; kontrollér areal og forbrug."
                            ),
                        )
                    )
                    if out[-1].failed:  # the examples a person can act on: building, figure, value, the range
                        out[-1].eksempler = [
                            f"{row.bygning_id}: {f} {da_number(getattr(row, f), 1)} (p1–p99 {da_number(getattr(row, f + '_p01'), 1)}"
                            f"–{da_number(getattr(row, f + '_p99'), 1)})"
                            for f in ENERGY_FIGURES
                            for row in g.itertuples()
                            if getattr(row, f + "_p01")
                            == getattr(row, f + "_p01")  # has a distribution (not NaN)
                            and getattr(row, f) == getattr(row, f)
                            and not getattr(row, f + "_p01") <= getattr(row, f) <= getattr(row, f + "_p99")
                        ][:10]
    # meters with gaps in the year
    for k, df in _frames_by_kommune(
        con,
        "SELECT kommunekode, aar, maaler_id, bygning_id, forsyningsart, "
        "round(100.0 * daekkede_sekunder / nullif(forventede_sekunder, 0), 3) AS daekning_pct "
        "FROM intermediate.int_maaler_daekning ORDER BY ALL",
    ):
        for aar, g in df.groupby("aar", sort=True):
            with _isolated(out, "2", "maalere_med_huller", k, aar):
                g = g.reset_index(drop=True)
                checks = docs.validate(
                    k,
                    f"gate2_maalere_{k}_{aar}",
                    g,
                    [
                        E.ExpectColumnValuesToBeBetween(
                            column="daekning_pct", min_value=METER_COVERAGE_MIN_PCT
                        )
                    ],
                )
                gaps = g[g["daekning_pct"] < METER_COVERAGE_MIN_PCT]
                r = _summarise(
                    "2",
                    "maalere_med_huller",
                    k,
                    int(aar),
                    checks,
                    "advarsel",
                    "Alle målere dækker hele deres aktive periode.",
                    lambda failed, gaps=gaps: (
                        f"{len(gaps)} målere har huller i året (dækning under {da_number(METER_COVERAGE_MIN_PCT, 1)} %)."
                    ),
                )
                r.eksempler = [
                    f"{m} ({da_number(d, 1)} %)"
                    for m, d in zip(gaps["maaler_id"], gaps["daekning_pct"], strict=True)
                ][:10]
                out.append(r)
    return with_versions(con, out)


def gate3(con, docs: DocsWriter) -> list[CheckResult]:
    """The publication gate: reconciliation identities, hard bounds, suppression."""
    gx = _gx_module()
    E = gx.expectations
    out: list[CheckResult] = []
    tol = RECONCILIATION_TOLERANCE
    identities = con.execute(
        """
        WITH aktive AS (
            SELECT kommunekode, aar, count(*) AS aktive_bygninger
            FROM raw.bygninger WHERE (kommunekode, aar, version) IN
                (SELECT (kommunekode, aar, version) FROM audit.active_submissions)
            GROUP BY ALL),
        mart AS (
            SELECT kommunekode, aar, count(*) AS i_mart, count(*) - count(DISTINCT bygning_id) AS dubletter,
                   sum(bda_m2) AS bda_bygninger
            FROM marts.mart_noegletal_bygning GROUP BY ALL),
        kommune AS (
            SELECT kommunekode, aar, any_value(vaerdi) FILTER (noegletal = 'bda_m2') AS bda_kommune,
                   any_value(vaerdi) FILTER (noegletal = 'antal_bygninger') AS antal_kommune
            FROM marts.mart_noegletal_kommune WHERE sektor = 'alle' GROUP BY ALL),
        maaned AS (
            SELECT kommunekode, aar, forsyningsart, sum(maengde) AS m FROM marts.fct_forbrug_maaned GROUP BY ALL),
        kalender AS (
            SELECT kommunekode, aar, forsyningsart, sum(maengde) AS m
            FROM intermediate.int_forbrug_kalenderiseret GROUP BY ALL),
        forbrug AS (
            SELECT kommunekode, aar,
                   max(abs(coalesce(a.m, 0) - coalesce(b.m, 0)) / greatest(abs(coalesce(b.m, 0)), 1)) AS afvigelse
            FROM maaned a FULL JOIN kalender b USING (kommunekode, aar, forsyningsart) GROUP BY ALL)
        SELECT kommunekode, aar,
               coalesce(aktive_bygninger, 0) AS aktive_bygninger, coalesce(i_mart, 0) AS i_mart,
               coalesce(dubletter, 0) AS dubletter,
               coalesce(antal_kommune, 0) AS antal_kommune,
               -- relative deviations to 12 decimals (the tolerance is 1e-6): below that they are the noise of
               -- DuckDB's parallel float sums, which differs from build to build
               round(abs(coalesce(bda_kommune, 0) - coalesce(bda_bygninger, 0))
                   / greatest(abs(coalesce(bda_bygninger, 0)), 1), 12) AS areal_afvigelse,
               round(coalesce(f.afvigelse, 0), 12) AS forbrug_afvigelse
        FROM aktive FULL JOIN mart USING (kommunekode, aar)
        FULL JOIN kommune USING (kommunekode, aar)
        LEFT JOIN forbrug f USING (kommunekode, aar)
        ORDER BY ALL
        """
    ).df()
    for k, g in identities.groupby("kommunekode", sort=True):
        for aar, row in g.groupby("aar", sort=True):
            with _isolated(out, "3", "afstemning", k, aar):
                row = row.reset_index(drop=True)
                checks = docs.validate(
                    k,
                    f"gate3_afstemning_{k}_{aar}",
                    row,
                    [
                        E.ExpectColumnPairValuesToBeEqual(column_A="aktive_bygninger", column_B="i_mart"),
                        E.ExpectColumnPairValuesToBeEqual(
                            column_A="aktive_bygninger", column_B="antal_kommune"
                        ),
                        E.ExpectColumnValuesToBeBetween(column="dubletter", min_value=0, max_value=0),
                        E.ExpectColumnValuesToBeBetween(column="areal_afvigelse", min_value=0, max_value=tol),
                        E.ExpectColumnValuesToBeBetween(
                            column="forbrug_afvigelse", min_value=0, max_value=tol
                        ),
                    ],
                )
                r = row.iloc[0]
                out.append(
                    _summarise(
                        "3",
                        "afstemning",
                        k,
                        int(aar),
                        checks,
                        "fejl",
                        "Hver aktiv bygning præcis én gang; areal og forbrug stemmer mellem tabellerne.",
                        lambda failed, r=r: (
                            "Afstemningen fejlede: "
                            + "; ".join(sorted({_identity_text(c, r) for c in failed}))
                        ),
                    )
                )
    # hard bounds per figure, from the catalogue
    bounds = con.execute(
        "SELECT noegletal, graense_min, graense_max FROM marts.dim_noegletal "
        "WHERE graense_min IS NOT NULL OR graense_max IS NOT NULL ORDER BY 1"
    ).fetchall()
    building_cols = {r[0] for r in con.execute("DESCRIBE marts.mart_noegletal_bygning").fetchall()}
    figures = [(f, lo, hi) for f, lo, hi in bounds if f in building_cols]
    select = ", ".join(f for f, _, _ in figures)
    for k, df in _frames_by_kommune(
        con, f"SELECT kommunekode, aar, bygning_id, {select} FROM marts.mart_noegletal_bygning ORDER BY ALL"
    ):
        for aar, g in df.groupby("aar", sort=True):
            with _isolated(out, "3", "graenser", k, aar):
                g = g.reset_index(drop=True)
                checks = docs.validate(
                    k,
                    f"gate3_graenser_{k}_{aar}",
                    g,
                    [
                        E.ExpectColumnValuesToBeBetween(column=f, min_value=lo, max_value=hi)
                        for f, lo, hi in figures
                    ],
                )
                out.append(
                    _summarise(
                        "3",
                        "graenser",
                        k,
                        int(aar),
                        checks,
                        "fejl",
                        "Alle nøgletal ligger inden for katalogets grænser.",
                        lambda failed: (
                            "Nøgletal uden for katalogets grænser: "
                            + "; ".join(
                                f"{c['kwargs']['column']} ({c['unexpected_count']} bygninger, fx {c['examples'][:3]}; "
                                f"tilladt {c['kwargs'].get('min_value')}–{c['kwargs'].get('max_value')})"
                                for c in failed
                            )
                        ),
                    )
                )
    # suppression: no group statistic with fewer municipalities than the parameter seed's threshold
    n_min = min_kommuner(SUPPRESSION_MIN_KOMMUNER)
    bench = con.execute(
        "SELECT aar, sektor, noegletal, sammenligningsgruppe, n_kommuner, undertrykt, median, gennemsnit, p25, p75 "
        "FROM marts.mart_benchmark ORDER BY ALL"
    ).df()
    exps = [
        E.ExpectColumnValuesToBeBetween(
            column="n_kommuner",
            min_value=n_min,
            row_condition="undertrykt == False",
            condition_parser="pandas",
        ),
        *[
            E.ExpectColumnValuesToBeNull(
                column=c, row_condition="undertrykt == True", condition_parser="pandas"
            )
            for c in ("median", "gennemsnit", "p25", "p75")
        ],
    ]
    checks = docs.validate(NATIONAL, "gate3_undertrykkelse", bench, exps)
    out.append(
        _summarise(
            "3",
            "undertrykkelse",
            NATIONAL,
            None,
            checks,
            "fejl",
            f"Ingen gruppestatistik med under {n_min} kommuner er offentliggjort.",
            lambda failed: f"En gruppestatistik med under {n_min} kommuner er ikke undertrykt.",
        )
    )
    return with_versions(con, out)


def _identity_text(check: dict, r) -> str:
    kw = check["kwargs"]
    col = kw.get("column") or kw.get("column_B")
    return {
        "i_mart": f"{int(r.aktive_bygninger)} aktive bygninger, men {int(r.i_mart)} i mart_noegletal_bygning",
        "antal_kommune": f"{int(r.aktive_bygninger)} aktive bygninger, men antal_bygninger = {r.antal_kommune:g}",
        "dubletter": f"{int(r.dubletter)} bygninger optræder mere end én gang",
        "areal_afvigelse": f"bda_m2 for kommunen afviger {da_number(100 * r.areal_afvigelse, 2)} % fra summen over bygningerne",
        "forbrug_afvigelse": f"fct_forbrug_maaned afviger {da_number(100 * r.forbrug_afvigelse, 2)} % fra det kalenderiserede forbrug",
    }.get(col, col)


# --------------------------------------------------------------------------------------------- recording


def record(con, koersel: str, results: list[CheckResult]) -> None:
    now = datetime.now(UTC)
    con.executemany(
        "INSERT INTO audit.gate_results (koersel, tid, gate, kontrol, kommunekode, aar, status, evalueret, antal, "
        "besked, eksempler, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                koersel,
                now,
                r.gate,
                r.kontrol,
                r.kommunekode,
                r.aar,
                r.status,
                r.evalueret,
                r.antal,
                r.besked,
                json.dumps(r.eksempler, ensure_ascii=False, default=str),
                r.version,
            ]
            for r in results
        ],
    )


def hold_back(
    con, failures: list[CheckResult], prefix: str = "Udgivelseskontrollen (gate 3)"
) -> list[tuple[str, int, int]]:
    """Hold back the active version of each municipality-year with a failure (gate 3, or a per-municipality
    step of publishing; pipeline.states.hold_back); returns what was held."""
    held = []
    for r in failures:
        if r.kommunekode == NATIONAL or r.aar is None:
            continue
        v = states.hold_back(con, r.kommunekode, r.aar, _rule(r), f"{prefix}: {r.besked}")
        if v is not None:
            held.append((r.kommunekode, r.aar, v))
    return held


def to_hold_back(r3: list[CheckResult], r2: list[CheckResult], first_round: bool) -> list[CheckResult]:
    """The failures that hold a municipality's version back in a round of gate 3: its own failed gate-3
    checks, and in the first round a gate-2 check that could not run for it (gate 2 otherwise only warns, and is
    not run again; by the next round that version is held). A national failure never holds one back: it stops
    publication."""
    local = [r for r in r3 if r.failed and r.kommunekode != NATIONAL]
    if first_round:
        local += [r for r in r2 if r.status == "fejl" and r.kommunekode != NATIONAL]
    return local


def _rule(r: CheckResult) -> str:
    return f"gate{r.gate}_{r.kontrol}" if r.gate.isdigit() else f"{r.gate}_{r.kontrol}"


def hold_back_municipality(con, kommunekode: str, besked: str, regel: str) -> list[tuple[str, int, int]]:
    """Hold back every active version of one municipality (a failure in a per-municipality step that belongs
    to no single year, e.g. writing its part of a release), as `hold_back` does for gate 3."""
    years = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT aar FROM audit.active_submissions WHERE kommunekode = ? ORDER BY 1",
            [kommunekode],
        ).fetchall()
    ]
    failures = [CheckResult("udgivelse", regel, kommunekode, aar, "fejl", 0, 1, besked) for aar in years]
    return hold_back(con, failures, prefix="Udgivelsen")
