"""The light validator: gate 1 on files without a warehouse, in a sandbox of its own. One code path for
`kkm2 validate` (contributors) and the service's uploads and `POST /api/v1/valider` (vendors)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pipeline.validation.core import SubmissionFile


def validate_light(
    files: list[SubmissionFile],
    ignored: list[tuple[str, str]],
    kommunekode: str,
    aar: int,
    year_problem: str | None,
    tmp_root: Path | None = None,
) -> tuple[dict[str, dict], list[dict]]:
    """(counts per dataset as `DatasetCounts.as_dict`, findings as dicts of FINDING_COLUMNS). `ignored` are
    the (relpath, Danish reason) of entries the folder walk did not read; `year_problem` is
    `Years.problem(aar)`. Validating single files (no `bygninger` among them), the submission-level finding
    that the master data are missing is left out: it is about the submission, not them."""
    from pipeline.settings import sandbox
    from pipeline.validation.engine import validate_files

    if tmp_root is not None:
        tmp_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tmp_root) as tmp:
        con = sandbox(Path(tmp) / "duckdb")
        try:
            result = validate_files(con, files, kommunekode, aar, Path(tmp))
            for rel, why in ignored:
                result.add_finding(con, None, rel, "ikke_laest", why, "advarsel")
            if year_problem:
                result.add_finding(con, None, None, "aar", year_problem, "fejl", antal=0)
            findings = result.findings(con)
        finally:
            con.close()
    if not any(f.dataset == "bygninger" for f in files):
        findings = [f for f in findings if f["regel"] != "mangler_bygninger"]
    return {k: v.as_dict() for k, v in result.counts.items()}, findings
