"""The building blocks of the contract: a Column and a Dataset."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pipeline.contract import codes as code_lists
from pipeline.text import header_key

ColumnType = Literal["text", "int", "dec", "date", "ts", "tsdate", "bool", "code"]

# The type each contract type has in the raw tables (DuckDB).
SQL_TYPES: dict[str, str] = {
    "text": "VARCHAR",
    "int": "BIGINT",
    "dec": "DOUBLE",
    "date": "DATE",
    "ts": "TIMESTAMPTZ",
    "tsdate": "TIMESTAMPTZ",
    "bool": "BOOLEAN",
    "code": "VARCHAR",
}

TYPE_TEXT_DA: dict[str, str] = {
    "text": "tekst",
    "int": "et helt tal",
    "dec": "et tal (decimalkomma eller -punktum)",
    "date": "en dato (2024-03-01, 01-03-2024 eller 01.03.2024)",
    "ts": "et tidspunkt (2024-03-01 08:00, ISO 8601 med eller uden tidszone)",
    "tsdate": "en dato eller et tidspunkt",
    "bool": "ja/nej (1/0, true/false, j/n)",
    "code": "en kode fra kodelisten",
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
        return SQL_TYPES[self.type]

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
        parts = [TYPE_TEXT_DA[self.type]]
        if self.min is not None and self.max is not None:
            op = "over" if self.min_exclusive else "mindst"
            parts.append(f"{op} {_num(self.min)} og højst {_num(self.max)}")
        elif self.min is not None:
            parts.append(("over " if self.min_exclusive else "mindst ") + _num(self.min))
        elif self.max is not None:
            parts.append("højst " + _num(self.max))
        if self.max_len:
            parts.append(f"højst {self.max_len} tegn")
        if self.pattern_text:
            parts.append(self.pattern_text)
        return ", ".join(parts)


def _num(x: float) -> str:
    """Danish number format: 200.000 and 0,7."""
    if float(x).is_integer():
        return f"{int(x):,}".replace(",", ".")
    return f"{x:,}".replace(",", "X").replace(".", ",").replace("X", ".")


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
