"""Gates 2 and 3 after the dbt build, before the release (pipeline/quality/gates.py holds the checks)."""

import shutil

import dagster as dg
from dagster_dbt import DbtCliResource

from pipeline import progress
from pipeline.contract.parameters import SUPPRESSION_MIN_KOMMUNER, min_kommuner
from pipeline.defs.resources import DUCKDB_WRITER_POOL, GATES_KEY, Kkm2Home
from pipeline.publish import PUBLISHED_TABLES
from pipeline.quality.gates import DocsWriter, gate2, gate3, hold_back, record, to_hold_back
from pipeline.status import write_snapshot
from pipeline.timing import stage

GATE2 = "gate2_plausibilitet"
GATE3 = "gate3_udgivelse"
MAX_ROUNDS = 3


def _summary(results) -> list[dict]:
    return [
        {
            "gate": r.gate,
            "kontrol": r.kontrol,
            "kommune": r.kommunekode,
            "aar": r.aar,
            "status": r.status,
            "evalueret": r.evalueret,
            "antal": r.antal,
            "besked": r.besked,
            "eksempler": r.eksempler[:5],
        }
        for r in results
        if r.failed
    ]


@dg.asset(
    key=GATES_KEY,
    group_name="quality",
    deps=[dg.AssetKey(["marts", t]) for t in PUBLISHED_TABLES if t != "mart_indberetning_status"]
    + [
        dg.AssetKey(["intermediate", "int_maaler_daekning"]),
        dg.AssetKey(["intermediate", "int_forbrug_kalenderiseret"]),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            GATE2,
            asset=GATES_KEY,
            blocking=False,
            description="Gate 2: el/varme pr. m² mod sektorens p1–p99 i forrige udgivelse, målere med huller "
            "(advarsler). Fald i antal bygninger/areal over 15 % venter på stewarden ved indlæsningen.",
        ),
        dg.AssetCheckSpec(
            GATE3,
            asset=GATES_KEY,
            blocking=True,
            description="Gate 3: afstemning pr. kommune og år, katalogets hårde grænser, ingen gruppestatistik "
            f"med n < {min_kommuner(SUPPRESSION_MIN_KOMMUNER)}. En kommunes fejl holder dens version tilbage og "
            "bygger igen uden den; en national fejl stopper udgivelsen.",
        ),
    ],
    pool=DUCKDB_WRITER_POOL,
    description="Gate 2 og 3 med Great Expectations; resultater i audit.gate_results og Data Docs i "
    "udgivelsens quality/<kommunekode>/.",
)
def quality_gates(context: dg.AssetExecutionContext, kkm2: Kkm2Home, dbt: DbtCliResource):
    home = kkm2.home
    held: list[tuple] = []
    with kkm2.writer(), stage("gates"), progress.task("kontrol"):
        previous = home.current.resolve() if home.current.exists() else None
        docs = DocsWriter(home.tmp / "quality", previous / "quality" if previous else None)
        with kkm2.warehouse() as con:
            r2 = gate2(con, docs, previous)
            r3 = gate3(con, docs)
        earlier_failures = []
        for round_ in range(MAX_ROUNDS):
            local = to_hold_back(r3, r2, first_round=round_ == 0)
            if not local:
                break
            with kkm2.warehouse() as con:
                newly = hold_back(con, local)
            if not newly:
                break
            held += newly
            earlier_failures += [r for r in local if r not in r2]  # gate 2's are recorded with r2
            context.log.warning(f"Gate 3 holder tilbage og bygger igen uden: {newly}")
            runs = home.tmp / "dbt_gate"
            shutil.rmtree(runs, ignore_errors=True)
            dbt.cli(["--quiet", "run"], target_path=runs, raise_on_error=True).wait()
            with kkm2.warehouse() as con:
                r3 = gate3(con, docs)
        with kkm2.warehouse() as con:
            record(con, context.run_id, r2 + earlier_failures + r3)
            write_snapshot(con, home)
        docs.finish()
    failed3 = [r for r in r3 if r.failed]
    warn2 = [r for r in r2 if r.failed]
    # GX's Data Docs of these checks, in the release the build publishes next (and `current` then points at)
    docs_link = dg.MetadataValue.path(str(home.current / "quality" / "nationalt" / "index.html"))
    yield dg.MaterializeResult(
        metadata={
            "kontroller": len(r2) + len(r3),
            "gx_valideringer": docs.fresh,  # the rest had the same input as in the previous release
            "genbrugt_fra_forrige_udgivelse": sum(len(v) for v in docs.reused.values()),
            "holdt_tilbage": dg.MetadataValue.json([list(h) for h in held]),
        }
    )
    yield dg.AssetCheckResult(
        check_name=GATE2,
        passed=not warn2,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "ok": sum(not r.failed for r in r2),
            "advarsler": len(warn2),
            "evaluerede_raekker": sum(r.evalueret for r in r2),
            "fund": dg.MetadataValue.json(_summary(r2)[:50]),
            "data_docs": docs_link,
        },
    )
    yield dg.AssetCheckResult(
        check_name=GATE3,
        passed=not failed3,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "ok": sum(not r.failed for r in r3),
            "fejl": len(failed3),
            "evaluerede_raekker": sum(r.evalueret for r in r3),
            "holdt_tilbage": dg.MetadataValue.json([list(h) for h in held]),
            "fund": dg.MetadataValue.json(_summary(earlier_failures + r3)[:50]),
            "data_docs": docs_link,
        },
        description=None
        if not failed3
        else "Udgivelsen er stoppet: " + " | ".join(r.besked for r in failed3)[:1000],
    )
