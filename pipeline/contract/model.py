"""The building blocks of the contract: a Column and a Dataset."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pipeline.contract import codes as code_lists
from pipeline.text import da_number_short, header_key

ColumnType = Literal["text", "int", "dec", "date", "ts", "tsdate", "bool", "code"]


@dataclass(frozen=True)
class TypeSpec:
    """What a contract type is everywhere it appears: in the raw tables (DuckDB), in the published JSON Schema
    (type and format) and in Danish for people (templates, docs, findings)."""

    sql: str
    json: str
    da: str
    json_format: str | None = None


TYPES: dict[str, TypeSpec] = {
    "text": TypeSpec("VARCHAR", "string", "tekst"),
    "int": TypeSpec("BIGINT", "integer", "et helt tal"),
    "dec": TypeSpec("DOUBLE", "number", "et tal (decimalkomma eller -punktum)"),
    "date": TypeSpec("DATE", "string", "en dato (2024-03-01, 01-03-2024 eller 01.03.2024)", "date"),
    "ts": TypeSpec(
        "TIMESTAMPTZ",
        "string",
        "et tidspunkt (2024-03-01 08:00, ISO 8601 med eller uden tidszone)",
        "date-time",
    ),
    "tsdate": TypeSpec("TIMESTAMPTZ", "string", "en dato eller et tidspunkt"),
    "bool": TypeSpec("BOOLEAN", "boolean", "ja/nej (1/0, true/false, j/n)"),
    "code": TypeSpec("VARCHAR", "string", "en kode fra kodelisten"),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool
    label: str  # Danish label, as in the templates
    help: str  # Danish meaning and rule, for people
    unit: str | None = None
    codes: str | None = None  # name of a code list in pipeline.contract.codes
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    max_len: int | None = None
    pattern: str | None = None  # a regular expression the text must match
    pattern_text: str | None = None  # what the pattern means, in Danish
    unique: bool = False  # unique within the submission; all duplicates are rejected
    aliases: tuple[str, ...] = ()
    example: str | None = None
    required_text: str | None = None  # when 'required' has a condition, said in Danish
    filled: bool = False  # the validator fills it when a row leaves it out (a default or from maalere)
    references: str | None = None  # a dataset whose accepted rows must hold the value ("bygninger")
    default: str | None = None  # the value (as a contributor would write it) when a row leaves it out

    @property
    def sql_type(self) -> str:
        return TYPES[self.type].sql

    def code_values(self) -> tuple[str, ...]:
        return code_lists.codes(self.codes) if self.codes else ()

    def header_keys(self) -> set[str]:
        return {header_key(n) for n in (self.name, self.label, *self.aliases)}

    def expected_da(self) -> str:
        """What a valid value looks like, in Danish (used in findings)."""
        if self.codes:
            vals = self.code_values()
            shown = ", ".join(vals) if len(vals) <= 15 else ", ".join(vals[:15]) + ", …"
            return f"en af: {shown}"
        parts = [TYPES[self.type].da]
        if self.min is not None and self.max is not None:
            op = "over" if self.min_exclusive else "mindst"
            parts.append(f"{op} {da_number_short(self.min)} og højst {da_number_short(self.max)}")
        elif self.min is not None:
            parts.append(("over " if self.min_exclusive else "mindst ") + da_number_short(self.min))
        elif self.max is not None:
            parts.append("højst " + da_number_short(self.max))
        if self.max_len:
            parts.append(f"højst {self.max_len} tegn")
        if self.pattern_text:
            parts.append(self.pattern_text)
        return ", ".join(parts)


@dataclass(frozen=True)
class Dataset:
    name: str
    label: str
    required: bool  # must be in every submission
    grain: str  # Danish: what one row is
    entity: str  # Danish, singular: what a key of this dataset names ("bygning")
    columns: tuple[Column, ...]
    depends_on: tuple[str, ...] = field(default=())  # datasets whose accepted rows its rules read

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name}.{name}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def match_header(self, header: str) -> Column | None:
        key = header_key(header)
        for c in self.columns:
            if key in c.header_keys():
                return c
        return None
