"""Limits on what one submitted file may cost to read (INFORMATION_MODEL.md, "What a submission may not do").

Every file is untrusted: a small hostile file must not exhaust memory or disk, or kill the process. Each limit
has a default a real submission stays far below, can be set by the steward in the environment, and gives a
Danish file-level finding when a file exceeds it. One home: readers, the validator, landing and the tests read
them from here."""

from __future__ import annotations

import os
from dataclasses import dataclass

MB = 1 << 20


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError as e:
        raise ValueError(f"{name} skal være et helt tal, ikke '{raw}'.") from e
    if value <= 0:
        raise ValueError(f"{name} skal være større end 0, ikke {value}.")
    return value


@dataclass(frozen=True)
class Limits:
    file_mb: int  # any submitted file
    json_mb: int  # a JSON file is parsed whole in Python: ~10 bytes of memory per byte of file
    uncompressed_mb: int  # an XLSX (zip) file's members together, as its directory states them
    cells: int  # an XLSX sheet's dimension (rows × columns)
    parquet_rows: int  # rows of one Parquet file, as its footer states them
    columns: int  # columns in a file's header
    line_bytes: int  # one CSV line (DuckDB's max_line_size)
    field_chars: int  # one value; a longer value rejects its row
    header_bytes: int  # the header line of a CSV file
    json_depth: int  # nesting of a JSON document (the rows are at depth 2)
    sandbox_memory_mb: int  # DuckDB memory limit of the validation connection (it spills beyond)
    reader_memory_mb: int  # address space of the child process that reads a spreadsheet or JSON file
    reader_seconds: int  # wall time of that child process

    @classmethod
    def from_env(cls) -> Limits:
        return cls(
            file_mb=_env_int("KKM2_MAKS_FIL_MB", 1024),
            json_mb=_env_int("KKM2_MAKS_JSON_MB", 100),
            uncompressed_mb=_env_int("KKM2_MAKS_UKOMPRIMERET_MB", 1024),
            cells=_env_int("KKM2_MAKS_CELLER", 10_000_000),
            parquet_rows=_env_int("KKM2_MAKS_PARQUET_RAEKKER", 50_000_000),
            columns=_env_int("KKM2_MAKS_KOLONNER", 500),
            line_bytes=_env_int("KKM2_MAKS_LINJE_BYTES", 1 * MB),
            field_chars=_env_int("KKM2_MAKS_FELTLAENGDE", 10_000),
            header_bytes=_env_int("KKM2_MAKS_OVERSKRIFT_BYTES", 64 * 1024),
            json_depth=_env_int("KKM2_MAKS_JSON_DYBDE", 32),
            sandbox_memory_mb=_env_int("KKM2_SANDKASSE_HUKOMMELSE_MB", 1024),
            reader_memory_mb=_env_int("KKM2_LAESER_HUKOMMELSE_MB", 1536),
            reader_seconds=_env_int("KKM2_LAESER_SEKUNDER", 600),
        )

    @property
    def file_bytes(self) -> int:
        return self.file_mb * MB


def limits() -> Limits:
    """The limits in force (read from the environment each time, so a test or the steward can change them)."""
    return Limits.from_env()
