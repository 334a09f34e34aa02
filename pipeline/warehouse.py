"""The live warehouse's raw and audit schemas. The raw tables' DDL is generated from the contract."""

from __future__ import annotations

from pipeline.contract.datasets import DATASETS
from pipeline.contract.model import Dataset

LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("kommunekode", "VARCHAR NOT NULL"),
    ("aar", "INTEGER NOT NULL"),
    ("version", "INTEGER NOT NULL"),
    ("kilde_fil", "VARCHAR NOT NULL"),
    ("raekke", "BIGINT NOT NULL"),
    ("loaded_at", "TIMESTAMPTZ NOT NULL"),
)

AUDIT_DDL = """
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS audit.submissions (
    kommunekode VARCHAR NOT NULL,
    aar INTEGER NOT NULL,
    version INTEGER NOT NULL,
    oprettet_tid TIMESTAMPTZ NOT NULL,
    fingeraftryk VARCHAR NOT NULL,      -- sha256 over the sorted (file, sha256) pairs
    filer VARCHAR NOT NULL,             -- JSON: [{fil, sha256, bytes, dataset, arkiv}]
    status VARCHAR NOT NULL,            -- pipeline.states.SubmissionStatus
    gx_resultat VARCHAR,                -- JSON summary of the GX re-check
    PRIMARY KEY (kommunekode, aar, version)
);
CREATE TABLE IF NOT EXISTS audit.submission_datasets (
    kommunekode VARCHAR NOT NULL,
    aar INTEGER NOT NULL,
    version INTEGER NOT NULL,
    dataset VARCHAR NOT NULL,
    filer VARCHAR NOT NULL,
    raekker_modtaget BIGINT NOT NULL,
    raekker_accepteret BIGINT NOT NULL,
    raekker_afvist BIGINT NOT NULL,
    raekker_sprunget_over BIGINT NOT NULL,
    advarsler BIGINT NOT NULL,
    PRIMARY KEY (kommunekode, aar, version, dataset)
);
CREATE TABLE IF NOT EXISTS audit.findings (
    kommunekode VARCHAR NOT NULL,
    aar INTEGER NOT NULL,
    version INTEGER NOT NULL,
    dataset VARCHAR,
    fil VARCHAR,
    ark VARCHAR,
    raekke BIGINT,
    kolonne VARCHAR,
    vaerdi VARCHAR,
    regel VARCHAR NOT NULL,
    besked VARCHAR NOT NULL,
    alvorlighed VARCHAR NOT NULL,
    antal BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit.rejected_rows (
    kommunekode VARCHAR NOT NULL,
    aar INTEGER NOT NULL,
    version INTEGER NOT NULL,
    dataset VARCHAR NOT NULL,
    kilde_fil VARCHAR NOT NULL,
    raekke BIGINT NOT NULL,
    vaerdier VARCHAR NOT NULL,          -- JSON of the row's original values
    aarsager VARCHAR NOT NULL           -- the Danish reasons
);
-- Gates 2 and 3 (pipeline/quality/gates.py): one row per check, municipality and year of each gate run.
CREATE TABLE IF NOT EXISTS audit.gate_results (
    koersel VARCHAR NOT NULL,            -- the gate run (Dagster run id)
    tid TIMESTAMPTZ NOT NULL,
    gate VARCHAR NOT NULL,               -- 2 | 3
    kontrol VARCHAR NOT NULL,
    kommunekode VARCHAR NOT NULL,        -- or 'nationalt'
    aar INTEGER,
    status VARCHAR NOT NULL,             -- ok | advarsel | fejl
    evalueret BIGINT NOT NULL,           -- rows GX evaluated
    antal BIGINT NOT NULL,               -- rows that failed
    besked VARCHAR NOT NULL,
    eksempler VARCHAR NOT NULL,          -- JSON list of failing values
    version INTEGER                      -- the municipality-year's active version when checked
);
-- (a warehouse from before the column: added in place, earlier runs' rows have none)
ALTER TABLE audit.gate_results ADD COLUMN IF NOT EXISTS version INTEGER;
-- The steward's hand: a pinned version is active until unpinned (kkm2 pin / unpin); every steward action
-- (pin, unpin, accept) is logged with who, when and why.
CREATE TABLE IF NOT EXISTS audit.pins (
    kommunekode VARCHAR NOT NULL,
    aar INTEGER NOT NULL,
    version INTEGER NOT NULL,
    bruger VARCHAR NOT NULL,
    tid TIMESTAMPTZ NOT NULL,
    begrundelse VARCHAR,
    PRIMARY KEY (kommunekode, aar)
);
CREATE TABLE IF NOT EXISTS audit.steward_log (
    handling VARCHAR NOT NULL,          -- pipeline.states.StewardAction
    kommunekode VARCHAR NOT NULL,
    aar INTEGER NOT NULL,
    version INTEGER,
    bruger VARCHAR NOT NULL,
    tid TIMESTAMPTZ NOT NULL,
    begrundelse VARCHAR
);
-- The version each submission uses: the pinned one, else the newest that passed its gates.
CREATE OR REPLACE VIEW audit.active_submissions AS
SELECT kommunekode, aar, version FROM audit.pins
UNION ALL
SELECT s.kommunekode, s.aar, max(s.version) AS version
FROM audit.submissions s
WHERE s.status = 'godkendt'
  AND NOT EXISTS (SELECT 1 FROM audit.pins p WHERE p.kommunekode = s.kommunekode AND p.aar = s.aar)
GROUP BY s.kommunekode, s.aar;
"""


def raw_table_ddl(dataset: Dataset) -> str:
    cols = [f"{n} {t}" for n, t in LINEAGE_COLUMNS]
    cols += [f"{c.name} {c.sql_type}" for c in dataset.columns]
    return f"CREATE TABLE IF NOT EXISTS raw.{dataset.name} (\n    " + ",\n    ".join(cols) + "\n)"


def ensure_schema(con) -> None:
    from pipeline.states import dataset_states_view

    con.execute(AUDIT_DDL)
    con.execute(dataset_states_view(list(DATASETS)))
    for ds in DATASETS.values():
        con.execute(raw_table_ddl(ds))
