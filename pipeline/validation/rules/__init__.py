"""Gate 1's rules, declared. Each dataset's module lists its rules; the contract's column rules (required,
type, range, code list, pattern, length, reference, unique) are made here from pipeline.contract.datasets, so no
rule is written twice. pipeline.validation.engine compiles them: every `Rule` of a dataset into one SELECT that
types the rows and collects the rules each row breaks (one scan), then each `KeyRule` and `FileRule` over keys.

Texts are DuckDB `format()` templates: `{}` is filled by the rule's `args` (SQL), in order. A message whose
argument is null falls back to a text naming the rule and column, never an empty message.
Placeholders filled when a submission is compiled: `$aar` (the year), `$aar_fem` (the year minus 5),
`$aar_start` / `$aar_slut` (1 January of the year and of the next, 00:00 local time, as TIMESTAMPTZ SQL),
`$t` (the dataset's typed table), `$c` (its rows still in play: not skipped and without an error so far) and
`$felt_tegn` / `$felt_tegn_da` (the longest value allowed, pipeline.limits; as SQL and as a Danish text
literal)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from pipeline.contract.datasets import DATASETS
from pipeline.contract.model import Column
from pipeline.validation.core import ERROR, WARNING, q


@dataclass(frozen=True)
class Rule:
    """A rule on one row. `where` (SQL over the row's typed columns; only rows that are not skipped) marks the
    row. The finding names `column`, shows `value` (SQL; default the column's text as received) and says
    `message` with `args`."""

    code: str
    column: str | None
    where: str
    message: str
    args: tuple[str, ...] = ()
    severity: str = ERROR
    value: str | None = None


@dataclass(frozen=True)
class CrossRule:
    """A rule across rows: `rows` (SQL) finds what it marks over keys only. `when` (SQL, optional) says whether
    it can fire at all in this submission; when false the rule costs nothing."""

    code: str
    column: str | None
    rows: str
    message: str
    args: tuple[str, ...] = ()
    severity: str = ERROR
    value: str | None = None
    when: str | None = None


@dataclass(frozen=True)
class KeyRule(CrossRule):
    """Marks rows: `rows` gives the `_fil, _row` of the rows it marks, and may give more columns (named with a
    leading `_`) for the message."""


@dataclass(frozen=True)
class FileRule(CrossRule):
    """A finding that sums up rows (per file or per meter): `rows` gives `fil`, `raekke`, `antal` and the
    columns `args` and `value` name (default: no value). A warning unless it says otherwise."""

    severity: str = WARNING


@dataclass(frozen=True)
class DatasetRules:
    """One dataset's rules. `derive` (SQL over `$t`, the typed rows) adds the columns its rules and its accepted
    rows need (instants, values from maalere); `resolved` names the derived column each contract column takes
    its accepted value from. `cross` runs in order: each sees the errors found before it (`$c`)."""

    row: tuple[Rule, ...] = ()
    cross: tuple[KeyRule | FileRule, ...] = ()
    derive: str | None = None
    resolved: tuple[tuple[str, str], ...] = ()


PLACEHOLDER = re.compile(r"\$(aar_start|aar_slut|aar_fem|aar|felt_tegn_da|felt_tegn|t|c)\b")


def fill(text: str, ctx: dict[str, str]) -> str:
    """`text` with the compile-time placeholders filled in (only the named ones: a `$` of a regular
    expression stays)."""
    return PLACEHOLDER.sub(lambda m: ctx[m.group(1)], text)


def braces(text: str) -> str:
    """A text put into a format() template as it is."""
    return text.replace("{", "{{").replace("}", "}}")


# ---- the contract's column rules ------------------------------------------------------------------
def column_rules(columns: tuple[Column, ...]) -> tuple[list[Rule], list[KeyRule]]:
    """The rules every column states in the contract, in column order."""
    row: list[Rule] = []
    cross: list[KeyRule] = []
    for c in columns:
        raw, val = f"{c.name}__raw", c.name
        expected = braces(c.expected_da())
        if c.required:
            row.append(
                Rule(
                    "paakraevet",
                    c.name,
                    f"{raw} IS NULL",
                    braces(f"Værdi mangler i den påkrævede kolonne {c.name} ({c.label})."),
                    value="NULL",
                )
            )
        if c.type in ("ts", "tsdate"):
            bad = f"{raw} IS NOT NULL AND {val} IS NULL AND {val}__inst_off IS NULL"
        elif c.type in ("dec", "int"):
            bad = f"{raw} IS NOT NULL AND {val} IS NULL AND NOT {val}__tvetydig"
            row.append(
                Rule(
                    "tvetydigt_decimaltegn",
                    c.name,
                    f"{val}__tvetydig",
                    f"Værdien '{{}}' i {c.name} er tvetydig: kolonnen blander decimalkomma og decimalpunktum i "
                    "denne fil (fx 1,5 og 1.5), så det er uklart, om punktum er decimaltegn eller "
                    "tusindtalsseparator. Brug samme decimaltegn i hele kolonnen (1234,5 eller 1234.5).",
                    (raw,),
                )
            )
        else:
            bad = f"{raw} IS NOT NULL AND {val} IS NULL"
        if c.type == "text" and not c.max_len:
            row.append(
                Rule(
                    "for_lang",
                    c.name,
                    f"length({raw}) > $felt_tegn",
                    f"Værdien i {c.name} er {{}} tegn lang; højst {{}} tegn er tilladt.",
                    (f"length({raw})", "$felt_tegn_da"),
                    value=f"left({raw}, 50) || '…'",
                )
            )
        row.append(
            Rule("ugyldig_vaerdi", c.name, bad, f"Ugyldig værdi '{{}}'; forventet {expected}.", (raw,))
        )
        conds = []
        if c.codes and c.type == "int":
            conds.append(f"{val} NOT IN (SELECT unnest({[int(x) for x in c.code_values()]}))")
        if c.min is not None:
            conds.append(f"{val} {'<=' if c.min_exclusive else '<'} {c.min}")
        if c.max is not None:
            conds.append(f"{val} > {c.max}")
        if c.max_len:
            conds.append(f"length({val}) > {c.max_len}")
        if c.pattern:
            conds.append(f"NOT regexp_matches({val}, {q(c.pattern)})")
        if conds:
            row.append(
                Rule(
                    "uden_for_regel",
                    c.name,
                    f"{val} IS NOT NULL AND ({' OR '.join(conds)})",
                    f"Værdien '{{}}' er ikke tilladt i {c.name}; forventet {expected}.",
                    (raw,),
                )
            )
        if c.references:
            ref = DATASETS[c.references]
            row.append(
                Rule(
                    f"ukendt_{ref.entity}",
                    c.name,
                    f"{val} IS NOT NULL AND {val} NOT IN (SELECT {c.name} FROM acc_{ref.name})",
                    f"Ukendt {ref.entity}: {c.name} '{{}}' findes ikke blandt de godkendte rækker i {ref.name}.",
                    (raw,),
                )
            )
        if c.unique:
            cross.append(
                KeyRule(
                    "dublet",
                    c.name,
                    f"SELECT _fil, _row FROM $t WHERE _skip IS NULL AND {val} IN (SELECT {val} FROM $t "
                    f"WHERE _skip IS NULL AND {val} IS NOT NULL GROUP BY 1 HAVING count(*) > 1)",
                    f"Værdien '{{}}' i {c.name} optræder flere gange; alle rækker med samme {c.name} er afvist "
                    f"(forventet: unik).",
                    (raw,),
                )
            )
    return row, cross


# ---- shapes several datasets share ------------------------------------------------------------------
def duplicates(key: list[str], column: str, what: str, args: tuple[str, ...]) -> KeyRule:
    """All rows with the same key are rejected. `what` is a format() text naming the row."""
    cols = ", ".join(key)
    return KeyRule(
        "dublet",
        column,
        f"SELECT _fil, _row FROM $t WHERE _skip IS NULL AND ({cols}) IN (SELECT ({cols}) FROM $t WHERE "
        f"_skip IS NULL AND {' AND '.join(f'{c} IS NOT NULL' for c in key)} GROUP BY ALL HAVING count(*) > 1)",
        f"{what} optræder flere gange; alle rækker med samme {' + '.join(key)} er afvist.",
        args,
    )


def in_year(column: str) -> Rule:
    return Rule(
        "uden_for_aaret",
        column,
        f"{column} IS NOT NULL AND year({column}) <> $aar",
        "Datoen {} ligger ikke i indberetningsåret $aar.",
        (f"{column}__raw",),
    )


def date_not_after_year(column: str) -> tuple[Rule, Rule]:
    return (
        Rule(
            "efter_aaret",
            column,
            f"{column} > DATE '$aar-12-31'",
            "Datoen {} ligger efter 31. december $aar.",
            (f"{column}__raw",),
        ),
        Rule(
            "for_gammel_vurdering",
            column,
            f"{column} < DATE '$aar_fem-12-31'",
            "Vurderingen fra {} er mere end 5 år gammel ved udgangen af $aar; den modtages, men bruges ikke.",
            (f"{column}__raw",),
            WARNING,
        ),
    )


def _registry() -> dict[str, DatasetRules]:
    from pipeline.validation.rules import (
        anvendelse,
        bygninger,
        forbrug,
        indeklima_maalinger,
        indeklima_vurderinger,
        maalere,
        udgifter,
        udnyttelse,
        understoettelse,
        vedligehold,
    )

    modules = (
        bygninger,
        maalere,
        forbrug,
        udgifter,
        vedligehold,
        indeklima_vurderinger,
        indeklima_maalinger,
        anvendelse,
        udnyttelse,
        understoettelse,
    )
    registry = {m.DATASET: m.RULES for m in modules}
    for name in DATASETS:
        registry.setdefault(name, DatasetRules())
    unknown = set(registry) - set(DATASETS)
    if unknown:
        raise ValueError(f"Regler for ukendte datasæt: {sorted(unknown)}")
    return registry


REGISTRY: dict[str, DatasetRules] = _registry()


@cache
def rules_for(name: str) -> DatasetRules:
    """A dataset's rules: the contract's column rules first, then the dataset's own (made once a process: the
    contract and the code lists are the shipped ones)."""
    own = REGISTRY[name]
    row, cross = column_rules(DATASETS[name].columns)
    return DatasetRules(
        row=tuple(row) + own.row, cross=tuple(cross) + own.cross, derive=own.derive, resolved=own.resolved
    )


# ---- the documentation ------------------------------------------------------------------------------
DOC_PLACEHOLDERS = {
    "aar": "<år>",
    "aar_fem": "<år − 5>",
    "aar_start": "<1. januar>",
    "aar_slut": "<1. januar året efter>",
}


def doc_text(message: str) -> str:
    """A rule's text as people read it: `…` where a value goes, `<år>` for the year."""
    text = re.sub(r"(?<!\{)\{\}(?!\})", "…", message).replace("{{", "{").replace("}}", "}")
    return PLACEHOLDER.sub(lambda m: DOC_PLACEHOLDERS.get(m.group(1), m.group(0)), text)


def catalogue(name: str) -> list[tuple[str, str, str, str]]:
    """(code, severity, column, text) of every rule a dataset's rows meet, in the order they run."""
    rules = rules_for(name)
    return [(r.code, r.severity, r.column or "", doc_text(r.message)) for r in (*rules.row, *rules.cross)]
