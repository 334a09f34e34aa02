"""Gate 1's engine: reads a submission's files into the sandbox connection, seals it, then decides every row of
every dataset with the declared rules (pipeline.validation.rules). One code path for `kkm2 validate`, the Dagster
ingestion and tests.

Per dataset: the files' rows (texts) are typed, the derived columns added and every row rule evaluated in one
SELECT, which keeps for each row the list of rules it breaks (`_regler`); the findings are those lists
unnested. Rules across rows then run over keys, each only where it can fire. Accepted rows are a view over
the typed rows (no copy), read by GX and by the write to `raw`.

Tables it leaves in the connection (temporary):
  `_findings`          every finding (errors and warnings)
  `acc_<dataset>`      the accepted rows, typed as the contract says, with `_fil` and `_row` (a view)
  `rej_<dataset>`      the rejected rows: `_fil`, `_row`, their original values (JSON) and reasons
"""

from __future__ import annotations

from pathlib import Path

from pipeline.contract.datasets import DATASETS, VALIDATION_ORDER, dataset_for_file
from pipeline.contract.model import Column, Dataset
from pipeline.contract.profiles import Profile, detect_builtin
from pipeline.limits import MB, limits
from pipeline.readers.csv import ReadError, ReadResult, read_csv
from pipeline.readers.other import Workbook, read_json, read_parquet
from pipeline.settings import seal
from pipeline.templates import TEMPLATE_SHEETS
from pipeline.text import canonical_kommunekode, da_number, header_key
from pipeline.timing import stage
from pipeline.validation.core import (
    FINDING_COLUMNS,
    FINDINGS_DDL,
    DatasetCounts,
    Findings,
    SubmissionFile,
    ValidationResult,
    fold_sql,
    q,
    str_list,
    year_start,
)
from pipeline.validation.parsing import TYPED, decimal_conventions, trimmed, typed_select, untyped
from pipeline.validation.rules import DatasetRules, FileRule, KeyRule, Rule, fill, rules_for
from pipeline.validation.rules import files as F

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
SUPPORTED_SUFFIXES = CSV_SUFFIXES | XLSX_SUFFIXES | {".json", ".parquet"}


class Validator:
    """Validates one submission inside one DuckDB connection."""

    def __init__(self, con, kommunekode: str, aar: int, tmp_dir: Path, profiles: list[Profile] | None = None):
        self.con = con
        self.kommunekode = kommunekode
        self.aar = aar
        self.tmp_dir = tmp_dir
        self.profiles = profiles or []
        self.counts: dict[str, DatasetCounts] = {name: DatasetCounts() for name in DATASETS}
        self.limits = limits()
        self.workbooks: dict[Path, Workbook | ReadError] = {}
        self.reads: dict[tuple[str, str | None], ReadResult | ReadError] = {}  # (relpath, sheet) -> table
        con.execute(FINDINGS_DDL)
        con.execute("DELETE FROM _findings")
        self.findings = Findings(con)

    # ---- findings -------------------------------------------------------------------------------
    def check(
        self, dataset, fil, check: F.FileCheck, kolonne_=None, vaerdi_=None, antal_=1, ark_=None, **fields
    ) -> None:
        """A finding of one of the file rules (pipeline.validation.rules.files)."""
        self.findings.add(
            check.code,
            check.text(**fields),
            check.severity,
            dataset=dataset,
            fil=fil,
            ark=ark_,
            kolonne=kolonne_,
            vaerdi=vaerdi_,
            antal=antal_,
        )

    # ---- the whole submission -------------------------------------------------------------------
    def validate(self, files: list[SubmissionFile]) -> ValidationResult:
        """Read every file into the sandbox connection, seal it (no file, no Python object can be reached from
        then on), then decide every row."""
        by_dataset: dict[str, list[SubmissionFile]] = {name: [] for name in DATASETS}
        try:
            for f in self._expand(sorted(files, key=lambda f: f.relpath)):
                by_dataset[f.dataset].append(f)
                self.reads[(f.relpath, f.sheet)] = self._read(f)
        finally:
            for wb in self.workbooks.values():
                if isinstance(wb, Workbook):
                    wb.close()
        seal(self.con)
        accepted: dict[str, str] = {}
        for name in VALIDATION_ORDER:
            dataset = DATASETS[name]
            accepted[name] = self._validate_dataset(dataset, by_dataset[name])
        if not by_dataset["bygninger"]:
            self.check("bygninger", None, F.MANGLER_BYGNINGER)
        self._count_warnings()
        return ValidationResult(self.kommunekode, self.aar, self.counts, accepted)

    def _workbook(self, path: Path) -> Workbook | ReadError:
        """An XLSX file, read once (in a child process), or the reason it cannot be read."""
        if path not in self.workbooks:
            try:
                self._check_size(path)
                with stage("parse"):
                    self.workbooks[path] = Workbook(path, self.tmp_dir)
            except ReadError as e:
                self.workbooks[path] = e
        return self.workbooks[path]

    def _expand(self, files: list[SubmissionFile]) -> list[SubmissionFile]:
        """Files (and workbook sheets) that belong to a dataset; the rest are reported, not guessed."""
        out: list[SubmissionFile] = []
        for f in files:
            suffix = f.path.suffix.lower()
            profile = f.profile or next(
                (p for p in self.profiles if p.applies_to(self.kommunekode, f.relpath)), None
            )
            f = SubmissionFile(f.path, f.relpath, f.sheet, profile)
            if suffix not in SUPPORTED_SUFFIXES:
                self.check(f.dataset, f.relpath, F.UKENDT_FORMAT, suffix=f.path.suffix or "(intet)")
                continue
            if suffix in XLSX_SUFFIXES and f.sheet is None:
                wb = self._workbook(f.path)
                if isinstance(wb, ReadError):
                    if f.dataset is not None:  # its rows are unknown: the whole file is rejected
                        self.counts[f.dataset].files.append(f.label)
                    self.check(f.dataset, f.relpath, F.ULAESELIG_FIL, grund=str(wb))
                    continue
                sheets = wb.sheet_names
                if f.dataset is not None:  # bygninger.xlsx: its sheet named so, else the first sheet
                    match = [s for s in sheets if dataset_for_file(s) == f.dataset]
                    out.append(SubmissionFile(f.path, f.relpath, (match or sheets)[0], profile))
                    continue
                found = False
                for s in sheets:  # a workbook with one sheet per dataset
                    if s.strip().lower() in TEMPLATE_SHEETS:
                        continue  # the template's help and code-list sheets
                    if dataset_for_file(s):
                        out.append(SubmissionFile(f.path, f.relpath, s))
                        found = True
                    else:
                        self.check(None, f.relpath, F.UKENDT_ARK, ark_=s, ark=s)
                if found:
                    continue
            if f.dataset is None:
                self.check(None, f.relpath, F.UKENDT_FIL, datasaet=", ".join(DATASETS))
                continue
            out.append(f)
        return out

    def _check_size(self, path: Path) -> None:
        size, lim = path.stat().st_size, limits()
        if size > lim.file_bytes:
            raise ReadError(
                f"Filen fylder {da_number(size // MB)} MB; højst {da_number(lim.file_mb)} MB er tilladt pr. fil. Del den "
                "op i flere filer (fx én pr. måler eller pr. måned)."
            )

    def _read(self, f: SubmissionFile) -> ReadResult | ReadError:
        try:
            with stage("parse"):
                return self._read_file(f)
        except ReadError as e:
            return e

    def _read_file(self, f: SubmissionFile) -> ReadResult:
        suffix = f.path.suffix.lower()
        if suffix in XLSX_SUFFIXES:
            wb = self._workbook(f.path)
            if isinstance(wb, ReadError):
                raise wb
            return wb.read(self.con, f.sheet)
        self._check_size(f.path)
        if suffix == ".json":
            return read_json(self.con, f.path, self.tmp_dir)
        if suffix == ".parquet":
            return read_parquet(self.con, f.path)
        return read_csv(self.con, f.path, self.tmp_dir)

    def _count_warnings(self):
        for ds, n in self.con.execute(
            "SELECT dataset, sum(antal) FROM _findings WHERE alvorlighed = 'advarsel' GROUP BY 1"
        ).fetchall():
            if ds in self.counts:
                self.counts[ds].warnings = int(n)

    # ---- one dataset ----------------------------------------------------------------------------
    def _validate_dataset(self, dataset: Dataset, files: list[SubmissionFile]) -> str:
        name = dataset.name
        counts = self.counts[name]
        selects = []
        for f in files:
            counts.files.append(f.label)
            sel = self._load_file(dataset, f)
            if sel is not None:
                selects.append(sel)
        stage = f"stage_{name}"  # a view: the typed table below is the first copy of the rows
        if selects:
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW {stage} AS " + " UNION ALL ".join(selects))
        else:
            cols = ", ".join(
                f"NULL::VARCHAR AS {c.name}__raw"
                + (f", false AS {c.name}__tvetydig" if c.type in ("dec", "int") else "")
                for c in dataset.columns
            )
            self.con.execute(f"""CREATE OR REPLACE TEMP VIEW {stage} AS SELECT NULL::VARCHAR AS _fil,
                NULL::VARCHAR AS _ark, NULL::BIGINT AS _row, NULL::VARCHAR AS _skip, NULL::VARCHAR AS _tz,
                {cols} WHERE false""")
        rules = rules_for(name)
        t = f"typed_{name}"
        ctx = self._context(name, t)
        source = typed_select(dataset, stage)
        if rules.derive:
            # The derived columns read the typed rows several times (the main pass and the few rows that need a
            # window): the typed rows are materialized once, inside the one statement (a temp table of them
            # cost 0,15 s more per million rows).
            source = f"WITH _typed AS MATERIALIZED ({source}) SELECT * FROM ({fill(rules.derive, {**ctx, 't': '_typed'})})"
        self.con.execute(f"DROP TABLE IF EXISTS {t}")
        self.con.execute(
            f"CREATE TEMP TABLE {t} AS SELECT *, {broken_rules(rules.row, ctx)} AS _regler FROM ({source})"
        )
        if rules.row:
            self.con.execute(row_findings_sql(name, t, rules.row, ctx))
        for rule in rules.cross:
            if rule.when and not self.con.execute(f"SELECT {fill(rule.when, ctx)}").fetchall()[0][0]:
                continue
            self.con.execute(cross_findings_sql(name, t, rule, ctx))
        return self._split(dataset, t, rules)

    def _context(self, name: str, t: str) -> dict[str, str]:
        """The values of the rules' placeholders for this submission and dataset."""
        y = self.aar
        return {
            "aar": str(y),
            "aar_fem": str(y - 5),
            "aar_start": year_start(y),
            "aar_slut": year_start(y + 1),
            "felt_tegn": str(self.limits.field_chars),
            "felt_tegn_da": q(da_number(self.limits.field_chars)),
            "t": t,
            # rows still in play: not skipped and without an error so far
            "c": f"(SELECT * FROM {t} WHERE _skip IS NULL AND (_fil, _row) NOT IN (SELECT (fil, raekke) "
            f"FROM _findings WHERE dataset = {q(name)} AND alvorlighed = 'fejl' AND raekke IS NOT NULL))",
        }

    def _load_file(self, dataset: Dataset, f: SubmissionFile) -> str | None:
        """Read a file; map its headers; return a SELECT giving the stage columns, or None when the
        whole file is rejected (the finding says why)."""
        name = dataset.name
        res = self.reads[(f.relpath, f.sheet)]
        if isinstance(res, ReadError):
            self.check(name, f.label, F.ULAESELIG_FIL, ark_=f.sheet, grund=str(res))
            return None
        for w in res.warnings:
            self.check(name, f.label, F.TEGNSAET, ark_=f.sheet, grund=w)
        n_rows = self.con.execute(f"SELECT count(*) FROM {res.table}").fetchall()[0][0]
        self.counts[name].received += n_rows

        def reject_file(check: F.FileCheck, kolonne=None, vaerdi=None, **fields):
            self.check(
                name, f.label, check, kolonne_=kolonne, vaerdi_=vaerdi, antal_=n_rows, ark_=f.sheet, **fields
            )
            self.counts[name].rejected += n_rows
            return None

        profile = f.profile or detect_builtin(name, res.headers)
        mapping: dict[str, str] = {}  # contract column -> source column (c0, c1, ...)
        skip_col = None
        kommune_col = None
        for i, h in enumerate(res.headers):
            key = header_key(h)
            if not key:
                continue  # an empty header from a trailing separator
            mapped = profile.column_for(h) if profile else None
            col = dataset.column(mapped) if mapped else dataset.match_header(h)
            if col is not None and profile and col.name in profile.constants:
                col = None  # the profile sets this column; the export's own column is not used
            if col is not None:
                if col.name in mapping:
                    return reject_file(F.DOBBELT_KOLONNE, kolonne=h, navn=col.name)
                mapping[col.name] = f"c{i}"
            elif key == "kommunekode":
                kommune_col = f"c{i}"
            elif profile and key == profile.skip_column:
                skip_col = f"c{i}"
            elif profile and key in profile.ignore_columns:
                continue
            else:
                self.check(
                    name, f.label, F.UKENDT_KOLONNE, kolonne_=h, ark_=f.sheet, kolonne=h, datasaet=name
                )
        constants = profile.constants if profile else {}
        missing = [
            c.name
            for c in dataset.columns
            if c.required and c.name not in mapping and c.name not in constants
        ]
        if missing:
            return reject_file(
                F.KOLONNE_MANGLER,
                kolonne=missing[0],
                mangler=", ".join(missing),
                overskrift=", ".join(h for h in res.headers if h),
            )
        if kommune_col:
            bad = self.con.execute(
                f"SELECT _row, {kommune_col} FROM {res.table} WHERE {kommune_col} IS NOT NULL"
            ).fetchall()
            wrong = [(r, v) for r, v in bad if canonical_kommunekode(v) != self.kommunekode]
            if wrong:
                r, v = wrong[0]
                return reject_file(
                    F.FORKERT_KOMMUNE,
                    kolonne="kommunekode",
                    vaerdi=v,
                    raekke=r,
                    kommune=self.kommunekode,
                    tekst=v,
                )
        if profile:
            self.check(name, f.label, F.PROFIL, antal_=0, ark_=f.sheet, profil=profile.name)
        skip = "NULL"
        if profile and skip_col:
            vals = str_list(profile.skip_values)
            skip = (
                f"CASE WHEN regexp_replace({fold_sql(skip_col)}, '[^a-z0-9]', '', 'g') IN "
                f"(SELECT unnest({vals})) THEN {q(profile.skip_reason)} END"
            )
        # Decimal convention: per file and column (parsing.decimal_conventions). Typed numbers (an XLSX number cell, a
        # JSON number) are canonical and take no part in it.
        dec_cols = [c.name for c in dataset.columns if c.type in ("dec", "int") and c.name in mapping]
        convention = decimal_conventions(self.con, res, {c: mapping[c] for c in dec_cols})
        tz = q(profile.time_zone) if profile and profile.time_zone else "NULL"
        parts = [
            f"{q(f.label)} AS _fil",
            f"{q(f.sheet)}::VARCHAR AS _ark",
            "_row",
            f"{skip} AS _skip",
            f"{tz}::VARCHAR AS _tz",
        ]
        for c in dataset.columns:
            src = mapping.get(c.name)
            raw = trimmed(src) if src else "NULL::VARCHAR"
            if c.name in constants:
                raw = q(constants[c.name])
            mode = convention.get(c.name) if src else None
            if mode == "komma":
                raw = f"'§' || {raw}"  # marks a decimal-comma column for _parse
            if src and res.typed_numbers:
                raw = f"CASE WHEN starts_with({src}, {TYPED}) THEN substr({src}, 2) ELSE {raw} END"
            parts.append(f"{raw} AS {c.name}__raw")
            if c.type in ("dec", "int"):
                ambiguous = "false"
                if mode == "blandet":
                    ambiguous = (
                        f"coalesce((contains({src}, ',') OR contains({src}, '.')){untyped(src, res)}, false)"
                    )
                parts.append(f"{ambiguous} AS {c.name}__tvetydig")
        return f"SELECT {', '.join(parts)} FROM {res.table}"

    # ---- parsing --------------------------------------------------------------------------------
    # ---- split into accepted, rejected and skipped ------------------------------------------------
    def _split(self, dataset: Dataset, t: str, rules: DatasetRules) -> str:
        """Rejected rows are copied with their reasons (few); accepted rows are a view over the typed rows."""
        name, con = dataset.name, self.con
        counts = self.counts[name]
        errors = f"""(SELECT fil, raekke, string_agg(besked, ' | ' ORDER BY kolonne) AS aarsager
                      FROM _findings WHERE dataset = {q(name)} AND alvorlighed = 'fejl'
                      AND raekke IS NOT NULL GROUP BY 1, 2)"""
        con.execute(f"DROP TABLE IF EXISTS rej_{name}")
        raw_json = "json_object(" + ", ".join(f"{q(c.name)}, {c.name}__raw" for c in dataset.columns) + ")"
        con.execute(f"""
            CREATE TEMP TABLE rej_{name} AS
            SELECT t._fil, t._row, CAST({raw_json} AS VARCHAR) AS vaerdier, e.aarsager
            FROM {t} t JOIN {errors} e ON e.fil = t._fil AND e.raekke = t._row
            WHERE t._skip IS NULL
        """)
        out = dict(rules.resolved)
        cols = ", ".join(
            f"CAST({_with_default(c, out.get(c.name, c.name))} AS {c.sql_type}) AS {c.name}"
            for c in dataset.columns
        )
        con.execute(f"""
            CREATE OR REPLACE TEMP VIEW acc_{name} AS
            SELECT _fil, _row, {cols} FROM {t}
            WHERE _skip IS NULL AND (_fil, _row) NOT IN (SELECT (_fil, _row) FROM rej_{name})
        """)
        live, skipped = con.execute(
            f"SELECT count(*) FILTER (WHERE _skip IS NULL), count(*) FILTER (WHERE _skip IS NOT NULL) FROM {t}"
        ).fetchall()[0]
        rejected = con.execute(f"SELECT count(*) FROM rej_{name}").fetchall()[0][0]
        counts.accepted = live - rejected
        counts.rejected += rejected
        counts.skipped = skipped
        if counts.skipped:
            skipped_text = q(F.SPRUNGET_OVER.message.format(grund="{}", antal="{}"))
            con.execute(f"""INSERT INTO _findings ({FINDING_COLUMNS}) SELECT {q(name)}, _fil, NULL, min(_row), NULL, NULL,
                            {q(F.SPRUNGET_OVER.code)}, format({skipped_text}, any_value(_skip), count(*)),
                            {q(F.SPRUNGET_OVER.severity)},
                            count(*) FROM {t} WHERE _skip IS NOT NULL GROUP BY _fil""")
        return f"acc_{name}"


# ---- compiling the rules ------------------------------------------------------------------------------
def _holds(rule: Rule, ctx: dict[str, str]) -> str:
    return f"coalesce(_skip IS NULL AND ({fill(rule.where, ctx)}), false)"


def broken_rules(rules: tuple[Rule, ...], ctx: dict[str, str]) -> str:
    """SQL: the numbers (1-based) of the rules a row breaks, or null when it breaks none. Each condition is
    evaluated once per row; the list is only built for the rows that break one."""
    if not rules:
        return "NULL::INTEGER[]"
    conds = [_holds(r, ctx) for r in rules]
    items = ", ".join(f"CASE WHEN {c} THEN {i} END" for i, c in enumerate(conds, 1))
    return f"CASE WHEN {' OR '.join(conds)} THEN list_filter([{items}], lambda x: x IS NOT NULL) END"


def message_sql(regel: str, kolonne: str | None, message: str, args: tuple[str, ...], ctx) -> str:
    """The Danish text: DuckDB format() of the template with the arguments. A text that comes out null (an
    argument is null) falls back to the rule and the column, never an empty message (found by make fuzz)."""
    fallback = q(f"Rækken bryder reglen '{regel}'" + (f" i kolonnen {kolonne}" if kolonne else "") + ".")
    parts = [q(fill(message, ctx))] + [f"CAST({fill(a, ctx)} AS VARCHAR)" for a in args]
    return f"coalesce(format({', '.join(parts)}), {fallback})"


def _value(rule: Rule | KeyRule, ctx) -> str:
    if rule.value is not None:
        return fill(rule.value, ctx)
    return f"{rule.column}__raw" if rule.column else "NULL"


def row_findings_sql(name: str, t: str, rules: tuple[Rule, ...], ctx: dict[str, str]) -> str:
    """One statement: a finding for each rule each row breaks (the unnested `_regler`)."""

    def pick(values: list[str]) -> str:
        return "CASE _r " + " ".join(f"WHEN {i} THEN {v}" for i, v in enumerate(values, 1)) + " END"

    kolonne = pick([q(r.column) for r in rules])
    vaerdi = pick([f"CAST({_value(r, ctx)} AS VARCHAR)" for r in rules])
    regel = pick([q(r.code) for r in rules])
    besked = pick([message_sql(r.code, r.column, r.message, r.args, ctx) for r in rules])
    alvorlighed = pick([q(r.severity) for r in rules])
    return f"""
        INSERT INTO _findings ({FINDING_COLUMNS})
        SELECT {q(name)}, _fil, _ark, _row, {kolonne}, {vaerdi}, {regel}, {besked}, {alvorlighed}, 1
        FROM (SELECT *, unnest(_regler) AS _r FROM {t} WHERE _regler IS NOT NULL)
    """


def cross_findings_sql(name: str, t: str, rule: KeyRule | FileRule, ctx: dict[str, str]) -> str:
    besked = message_sql(rule.code, rule.column, rule.message, rule.args, ctx)
    if isinstance(rule, KeyRule):
        return f"""
            INSERT INTO _findings ({FINDING_COLUMNS})
            SELECT {q(name)}, _fil, _ark, _row, {q(rule.column)}, CAST({_value(rule, ctx)} AS VARCHAR),
                   {q(rule.code)}, {besked}, {q(rule.severity)}, 1
            FROM {t} JOIN ({fill(rule.rows, ctx)}) k USING (_fil, _row)
        """
    value = fill(rule.value, ctx) if rule.value else "NULL"
    return f"""
        INSERT INTO _findings ({FINDING_COLUMNS})
        SELECT {q(name)}, fil, NULL, raekke, {q(rule.column)}, CAST({value} AS VARCHAR), {q(rule.code)},
               {besked}, {q(rule.severity)}, antal
        FROM ({fill(rule.rows, ctx)})
    """


def _with_default(c: Column, expr: str) -> str:
    return f"coalesce({expr}, CAST({q(c.default)} AS {c.sql_type}))" if c.default is not None else expr


def validate_files(
    con,
    files: list[SubmissionFile],
    kommunekode: str,
    aar: int,
    tmp_dir: Path,
    profiles: list[Profile] | None = None,
) -> ValidationResult:
    with stage("gate1_validator"):
        return Validator(con, kommunekode, aar, tmp_dir, profiles).validate(files)
