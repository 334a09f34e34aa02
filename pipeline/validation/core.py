"""What every part of gate 1 shares: the finding table, a submission's files, the counts and the result, and
the SQL text helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.contract.datasets import dataset_for_file
from pipeline.contract.profiles import Profile

ERROR = "fejl"
WARNING = "advarsel"
INFO = "info"

FINDING_COLUMNS = "dataset, fil, ark, raekke, kolonne, vaerdi, regel, besked, alvorlighed, antal"
FINDINGS_DDL = """
    CREATE TEMP TABLE IF NOT EXISTS _findings (
        dataset VARCHAR, fil VARCHAR, ark VARCHAR, raekke BIGINT, kolonne VARCHAR, vaerdi VARCHAR,
        regel VARCHAR, besked VARCHAR, alvorlighed VARCHAR, antal BIGINT
    )
"""
SUBMISSION_KEY = "kommunekode, aar, version"


class Findings:
    """The one writer of a finding, by column name: into a validation connection's `_findings` (gate 1, its
    file and submission findings), or with `submission` = (kommunekode, aar, version) into the warehouse's
    `audit.findings` (a submission held back by a failure or a gate). The rules' findings are written in bulk
    by SQL into the same columns (FINDING_COLUMNS)."""

    def __init__(self, con, submission: tuple[str, int, int] | None = None):
        self.con = con
        self.submission = submission

    def add(
        self,
        regel: str,
        besked: str,
        alvorlighed: str = ERROR,
        *,
        dataset: str | None = None,
        fil: str | None = None,
        ark: str | None = None,
        raekke: int | None = None,
        kolonne: str | None = None,
        vaerdi: str | None = None,
        antal: int = 1,
    ) -> None:
        values = [dataset, fil, ark, raekke, kolonne, vaerdi, regel, besked, alvorlighed, antal]
        if self.submission is None:
            table, columns = "_findings", FINDING_COLUMNS
        else:
            table, columns = "audit.findings", f"{SUBMISSION_KEY}, {FINDING_COLUMNS}"
            values = [*self.submission, *values]
        self.con.execute(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(values))})", values)


@dataclass
class SubmissionFile:
    path: Path  # where the bytes are
    relpath: str  # as the contributor named it, relative to `<kommunekode>/<aar>/`
    sheet: str | None = None  # a workbook's sheet
    profile: Profile | None = None  # a steward's import profile that applies to the file

    @property
    def dataset(self) -> str | None:
        if self.profile is not None:
            return self.profile.dataset
        by_name = dataset_for_file(self.relpath)
        if by_name is None and self.sheet is not None:
            return dataset_for_file(self.sheet)  # a workbook's sheet named after its dataset
        return by_name

    @property
    def label(self) -> str:
        return f"{self.relpath} (ark {self.sheet})" if self.sheet else self.relpath


@dataclass
class DatasetCounts:
    files: list[str] = field(default_factory=list)
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    skipped: int = 0
    warnings: int = 0

    def as_dict(self) -> dict:
        return {
            "filer": self.files,
            "raekker_modtaget": self.received,
            "raekker_accepteret": self.accepted,
            "raekker_afvist": self.rejected,
            "raekker_sprunget_over": self.skipped,
            "advarsler": self.warnings,
        }


@dataclass
class ValidationResult:
    kommunekode: str
    aar: int
    counts: dict[str, DatasetCounts]
    accepted_tables: dict[str, str]

    def add_finding(
        self,
        con,
        dataset: str | None,
        fil: str | None,
        regel: str,
        besked: str,
        alvorlighed: str,
        antal: int = 1,
    ) -> None:
        """A submission-level finding beside the validator's (in the validation connection's `_findings`)."""
        Findings(con).add(regel, besked, alvorlighed, dataset=dataset, fil=fil, antal=antal)

    def findings(self, con) -> list[dict]:
        cur = con.execute(
            "SELECT * FROM _findings ORDER BY alvorlighed DESC, fil, raekke NULLS FIRST, kolonne"
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def findings_as_json(findings: list[dict]) -> str:
    return json.dumps(findings, ensure_ascii=False, indent=1, default=str)


def q(s: str | None) -> str:
    """SQL string literal."""
    if s is None:
        return "NULL"
    return "'" + s.replace("'", "''").replace("\x00", "\ufffd") + "'"


def fold_sql(expr: str) -> str:
    """SQL twin of pipeline.text.fold for code matching."""
    e = f"lower(trim({expr}))"
    for a, b in (("æ", "ae"), ("ø", "oe"), ("å", "aa")):
        e = f"replace({e}, '{a}', '{b}')"
    return f"strip_accents({e})"


def str_list(items) -> str:
    return "[" + ", ".join(q(i) for i in items) + "]"


def da_number_sql(expr: str, decimals: int) -> str:
    """SQL twin of pipeline.text.da_number: 1234.5 -> '1.234,500' (three decimals)."""
    return f"replace(replace(replace(format('{{:,.{decimals}f}}', {expr}), ',', '§'), '.', ','), '§', '.')"


def year_start(y: int) -> str:
    """1 January of `y`, 00:00 local time (the session time zone is Europe/Copenhagen)."""
    return f"CAST(TIMESTAMP '{y}-01-01 00:00:00' AS TIMESTAMPTZ)"
