"""Gate 1: the contract validator, as declared rules (`rules/`) compiled by one engine (`engine`).

It decides every received row of a submission (municipality × year): accepted, rejected (with a Danish reason
naming file, row, column, value and what was expected) or skipped. All work is SQL in DuckDB; Python only
assembles the statements from the contract and the rules."""

from pipeline.validation.core import (
    ERROR,
    FINDING_COLUMNS,
    WARNING,
    DatasetCounts,
    Findings,
    SubmissionFile,
    ValidationResult,
    findings_as_json,
)
from pipeline.validation.engine import SUPPORTED_SUFFIXES, validate_files

__all__ = [
    "ERROR",
    "FINDING_COLUMNS",
    "SUPPORTED_SUFFIXES",
    "WARNING",
    "DatasetCounts",
    "Findings",
    "SubmissionFile",
    "ValidationResult",
    "findings_as_json",
    "validate_files",
]
