"""The steward's actions from the Dagster UI (the same functions as `kkm2 accept`)."""

import dagster as dg

from pipeline.defs.resources import DUCKDB_WRITER_POOL, Kkm2Home
from pipeline.states import accept
from pipeline.status import write_snapshot


class AcceptConfig(dg.Config):
    kommunekode: str
    aar: int
    begrundelse: str


@dg.op(pool=DUCKDB_WRITER_POOL)
def accept_pending_version(context: dg.OpExecutionContext, config: AcceptConfig, kkm2: Kkm2Home) -> None:
    with kkm2.warehouse() as con:
        v = accept(
            con, config.kommunekode, config.aar, config.begrundelse, user=f"dagster ({context.run_id})"
        )
        write_snapshot(con, kkm2.home)
    context.log.info(f"{config.kommunekode}/{config.aar}: version {v} godkendt; næste byggeri udgiver den.")


@dg.job(
    name="accepter",
    description="Godkend en version, der venter på stewarden (gate 2: fald i antal bygninger eller areal). "
    "Angiv kommunekode, år og begrundelse; hvem, hvornår og hvorfor gemmes.",
)
def accept_job():
    accept_pending_version()
