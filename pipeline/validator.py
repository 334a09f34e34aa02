"""Gate 1: the contract validator. One code path for `kkm2 validate`, the Dagster ingestion and tests.

It decides every received row of a submission (municipality × year): accepted, rejected (with a Danish
reason naming file, row, column, value and what was expected) or skipped. All work is SQL in DuckDB
(vectorised); Python only assembles the statements from the contract.

Tables it leaves in the connection (temporary):
  `_findings`          every finding (errors and warnings)
  `acc_<dataset>`      the accepted rows, typed as the contract says, with `_fil` and `_row`
  `rej_<dataset>`      the rejected rows: `_fil`, `_row`, their original values (JSON) and reasons
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.contract import codes as code_lists
from pipeline.contract.datasets import DATASETS, VALIDATION_ORDER, dataset_for_file
from pipeline.contract.model import Column, Dataset
from pipeline.contract.profiles import Profile, detect_builtin
from pipeline.limits import MB, limits
from pipeline.readers.child import TYPED_NUMBER, da_int
from pipeline.readers.csv import ReadError, ReadResult, read_csv
from pipeline.readers.other import Workbook, read_json, read_parquet
from pipeline.settings import TIME_ZONE, seal
from pipeline.templates import TEMPLATE_SHEETS
from pipeline.text import canonical_kommunekode, da_number, header_key
from pipeline.timing import stage

ERROR = "fejl"
WARNING = "advarsel"

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
SUPPORTED_SUFFIXES = CSV_SUFFIXES | XLSX_SUFFIXES | {".json", ".parquet"}

TS_FORMATS = [
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H.%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y %H.%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H.%M",
]
DATE_FORMATS = ["%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y"]
OFFSET_RE = r"\d[:.]\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$"
TYPED = f"chr({ord(TYPED_NUMBER)})"  # the mark of a typed number (pipeline.readers.child), in SQL
TRUE_WORDS = ("1", "true", "ja", "j", "sand", "yes", "y")
FALSE_WORDS = ("0", "false", "nej", "n", "falsk", "no")

FINDING_COLUMNS = "dataset, fil, ark, raekke, kolonne, vaerdi, regel, besked, alvorlighed, antal"
FINDINGS_DDL = """
    CREATE TEMP TABLE IF NOT EXISTS _findings (
        dataset VARCHAR, fil VARCHAR, ark VARCHAR, raekke BIGINT, kolonne VARCHAR, vaerdi VARCHAR,
        regel VARCHAR, besked VARCHAR, alvorlighed VARCHAR, antal BIGINT
    )
"""


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
        con.execute(
            f"INSERT INTO _findings ({FINDING_COLUMNS}) VALUES (?, ?, NULL, NULL, NULL, NULL, ?, ?, ?, ?)",
            [dataset, fil, regel, besked, alvorlighed, antal],
        )

    def findings(self, con) -> list[dict]:
        cur = con.execute(
            "SELECT * FROM _findings ORDER BY alvorlighed DESC, fil, raekke NULLS FIRST, kolonne"
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


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


def _str_list(items) -> str:
    return "[" + ", ".join(q(i) for i in items) + "]"


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

    # ---- findings -------------------------------------------------------------------------------
    def file_finding(
        self,
        dataset,
        fil,
        besked,
        regel,
        alvorlighed=ERROR,
        kolonne=None,
        vaerdi=None,
        raekke=None,
        antal=1,
        ark=None,
    ):
        self.con.execute(
            "INSERT INTO _findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [dataset, fil, ark, raekke, kolonne, vaerdi, regel, besked, alvorlighed, antal],
        )

    def row_findings(
        self,
        dataset: str,
        table: str,
        where: str,
        kolonne: str | None,
        vaerdi: str,
        regel: str,
        besked: str,
        alvorlighed: str = ERROR,
    ) -> None:
        """One finding per row of `table` matching `where`. `vaerdi` and `besked` are SQL expressions. A message
        that comes out null (a null value concatenated into it) is never shown empty: it falls back to the
        rule and the column (found by make fuzz)."""
        fallback = q(f"Rækken bryder reglen '{regel}'" + (f" i kolonnen {kolonne}" if kolonne else "") + ".")
        self.con.execute(f"""
            INSERT INTO _findings
            SELECT {q(dataset)}, _fil, _ark, _row, {q(kolonne)}, CAST({vaerdi} AS VARCHAR), {q(regel)},
                   coalesce({besked}, {fallback}), {q(alvorlighed)}, 1
            FROM {table} WHERE {where}
        """)

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
            self.file_finding(
                "bygninger",
                None,
                "Datasættet bygninger mangler; det er påkrævet i hver indberetning.",
                "mangler_bygninger",
            )
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
                self.file_finding(
                    f.dataset,
                    f.relpath,
                    f"Filformatet '{f.path.suffix or '(intet)'}' understøttes ikke; brug CSV, XLSX, JSON eller "
                    "Parquet.",
                    "ukendt_format",
                )
                continue
            if suffix in XLSX_SUFFIXES and f.sheet is None:
                wb = self._workbook(f.path)
                if isinstance(wb, ReadError):
                    if f.dataset is not None:  # its rows are unknown: the whole file is rejected
                        self.counts[f.dataset].files.append(f.label)
                    self.file_finding(f.dataset, f.relpath, str(wb), "ulaeselig_fil")
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
                        self.file_finding(
                            None,
                            f.relpath,
                            f"Arket '{s}' passer ikke til noget datasæt og er ikke indlæst.",
                            "ukendt_ark",
                            WARNING,
                            ark=s,
                        )
                if found:
                    continue
            if f.dataset is None:
                self.file_finding(
                    None,
                    f.relpath,
                    "Filnavnet passer ikke til noget datasæt i informationsmodellen; filen er ikke indlæst. "
                    f"Navngiv filen efter datasættet, fx {', '.join(DATASETS)}.",
                    "ukendt_fil",
                )
                continue
            out.append(f)
        return out

    def _check_size(self, path: Path) -> None:
        size, lim = path.stat().st_size, limits()
        if size > lim.file_bytes:
            raise ReadError(
                f"Filen fylder {da_int(size // MB)} MB; højst {da_int(lim.file_mb)} MB er tilladt pr. fil. Del den "
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
        typed = f"typed_{name}"
        self._parse(dataset, stage, typed)
        self._column_rules(dataset, typed)
        hook = getattr(self, f"_rules_{name}", None)
        if hook:
            hook(typed)
        return self._split(dataset, typed)

    def _load_file(self, dataset: Dataset, f: SubmissionFile) -> str | None:
        """Read a file; map its headers; return a SELECT giving the stage columns, or None when the
        whole file is rejected (the finding says why)."""
        name = dataset.name
        res = self.reads[(f.relpath, f.sheet)]
        if isinstance(res, ReadError):
            self.file_finding(name, f.label, str(res), "ulaeselig_fil", ark=f.sheet)
            return None
        for w in res.warnings:
            self.file_finding(name, f.label, w, "tegnsaet", WARNING, ark=f.sheet)
        n_rows = self.con.execute(f"SELECT count(*) FROM {res.table}").fetchall()[0][0]
        self.counts[name].received += n_rows

        def reject_file(besked, regel, kolonne=None, vaerdi=None):
            self.file_finding(
                name, f.label, besked, regel, kolonne=kolonne, vaerdi=vaerdi, antal=n_rows, ark=f.sheet
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
                    return reject_file(
                        f"Kolonnen '{col.name}' optræder to gange i overskriften.",
                        "dobbelt_kolonne",
                        kolonne=h,
                    )
                mapping[col.name] = f"c{i}"
            elif key == "kommunekode":
                kommune_col = f"c{i}"
            elif profile and key == profile.skip_column:
                skip_col = f"c{i}"
            elif profile and key in profile.ignore_columns:
                continue
            else:
                self.file_finding(
                    name,
                    f.label,
                    f"Kolonnen '{h}' kendes ikke i datasættet {name} og ignoreres.",
                    "ukendt_kolonne",
                    WARNING,
                    kolonne=h,
                    ark=f.sheet,
                )
        constants = profile.constants if profile else {}
        missing = [
            c.name
            for c in dataset.columns
            if c.required and c.name not in mapping and c.name not in constants
        ]
        if missing:
            return reject_file(
                "Påkrævet kolonne mangler: "
                + ", ".join(missing)
                + ". Overskriften i række 1 har: "
                + ", ".join(h for h in res.headers if h)
                + ".",
                "kolonne_mangler",
                kolonne=missing[0],
            )
        if kommune_col:
            bad = self.con.execute(
                f"SELECT _row, {kommune_col} FROM {res.table} WHERE {kommune_col} IS NOT NULL"
            ).fetchall()
            wrong = [(r, v) for r, v in bad if canonical_kommunekode(v) != self.kommunekode]
            if wrong:
                r, v = wrong[0]
                return reject_file(
                    f"Kolonnen kommunekode har værdien '{v}' (række {r}), men filen ligger i "
                    f"kommune {self.kommunekode}s mappe. En kommune kan ikke indberette for en anden; "
                    "hele filen er afvist.",
                    "forkert_kommune",
                    kolonne="kommunekode",
                    vaerdi=v,
                )
        if profile:
            self.file_finding(
                name,
                f.label,
                f"Filen er læst med importprofilen '{profile.name}'.",
                "profil",
                "info",
                antal=0,
                ark=f.sheet,
            )
        skip = "NULL"
        if profile and skip_col:
            vals = _str_list(profile.skip_values)
            skip = (
                f"CASE WHEN regexp_replace({fold_sql(skip_col)}, '[^a-z0-9]', '', 'g') IN "
                f"(SELECT unnest({vals})) THEN {q(profile.skip_reason)} END"
            )
        # Decimal convention: per file and column (_decimal_conventions). Typed numbers (an XLSX number cell, a
        # JSON number) are canonical and take no part in it.
        dec_cols = [c.name for c in dataset.columns if c.type in ("dec", "int") and c.name in mapping]
        convention = _decimal_conventions(self.con, res, {c: mapping[c] for c in dec_cols})
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
            raw = _trimmed(src) if src else "NULL::VARCHAR"
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
                        f"coalesce((contains({src}, ',') OR contains({src}, '.')){_untyped(src, res)}, false)"
                    )
                parts.append(f"{ambiguous} AS {c.name}__tvetydig")
        return f"SELECT {', '.join(parts)} FROM {res.table}"

    # ---- parsing --------------------------------------------------------------------------------
    def _parse(self, dataset: Dataset, stage: str, typed: str) -> None:
        # Inner query: each value without its decimal-comma mark, and whether a time has a UTC offset (one
        # regular expression per value); the outer query types them.
        inner = ["_fil", "_ark", "_row", "_skip", "_tz"]
        exprs = ["_fil", "_ark", "_row", "_skip", "_tz"]
        for c in dataset.columns:
            raw = f"{c.name}__raw"
            marked = f"{c.name}__comma"
            if c.type in ("dec", "int"):  # only numeric columns carry the mark: text may start with '§'
                inner.append(f"starts_with({raw}, '§') AS {marked}")
                inner.append(
                    f"CASE WHEN starts_with({raw}, '§') THEN substr({raw}, 2) ELSE {raw} END AS {raw}"
                )
                inner.append(f"{c.name}__tvetydig")
                exprs.append(f"{c.name}__tvetydig")
            else:
                inner.append(raw)
            exprs.append(raw)
            if c.type in ("ts", "tsdate"):
                has_off = f"{c.name}__has_off"
                inner.append(f"regexp_matches({raw}, '{OFFSET_RE}') AS {has_off}")
                exprs += [
                    f"CASE WHEN NOT {has_off} THEN {self._parse_expr(c, raw, marked)} END AS {c.name}",
                    has_off,
                    # DuckDB's own cast first; `12.00+01` (a dot between hours and minutes) takes the rewrite
                    f"CASE WHEN {has_off} THEN coalesce(try_cast({raw} AS TIMESTAMPTZ), "
                    f"try_cast(regexp_replace({raw}, '(\\d)\\.(\\d\\d)', '\\1:\\2') AS TIMESTAMPTZ)) END"
                    f" AS {c.name}__inst_off",
                    # CASE, not AND: DuckDB evaluates both sides of an AND in a projection, and trying four
                    # date formats on every 25-character timestamp cost 0,7 s per 880 000 rows.
                    f"CASE WHEN length({raw}) <= 10 THEN try_strptime({raw}, {_str_list(DATE_FORMATS)}) "
                    f"IS NOT NULL ELSE false END AS {c.name}__date_only",
                ]
            else:
                exprs.append(f"{self._parse_expr(c, raw, marked)} AS {c.name}")
        self.con.execute(f"DROP TABLE IF EXISTS {typed}")
        self.con.execute(
            f"CREATE TEMP TABLE {typed} AS SELECT {', '.join(exprs)} FROM (SELECT {', '.join(inner)} FROM {stage})"
        )

    @staticmethod
    def _parse_expr(c: Column, v: str, comma_marked: str) -> str:
        # finite numbers only: DuckDB reads 'nan', 'inf' and '1e309' as doubles
        num = (
            f"(CASE WHEN {comma_marked} THEN try_cast(replace(replace(replace({v}, ' ', ''), '.', ''), "
            f"',', '.') AS DOUBLE) ELSE try_cast(replace({v}, ' ', '') AS DOUBLE) END)"
        )
        num = f"(CASE WHEN isfinite({num}) THEN {num} END)"
        if c.type == "text":
            return v
        if c.type == "dec":
            return num
        if c.type == "int":
            return f"CASE WHEN {num} = floor({num}) THEN try_cast({num} AS BIGINT) END"
        if c.type == "bool":
            return (
                f"CASE WHEN lower({v}) IN (SELECT unnest({_str_list(TRUE_WORDS)})) THEN true "
                f"WHEN lower({v}) IN (SELECT unnest({_str_list(FALSE_WORDS)})) THEN false END"
            )
        if c.type == "date":
            return (
                f"CAST(coalesce(try_strptime({v}, {_str_list(DATE_FORMATS)}), "
                f"try_strptime({v}, '%Y-%m-%d %H:%M:%S')) AS DATE)"
            )
        if c.type in ("ts", "tsdate"):
            # the local wall-clock time; the instant is resolved by the dataset's time rules. A value with an
            # offset has no wall-clock reading here (its instant is {c}__inst_off). ISO values take DuckDB's
            # own cast first: trying 17 formats on every row cost 2,5 s per 500 000 readings.
            return (
                f"coalesce(try_cast({v} AS TIMESTAMP), try_strptime({v}, {_str_list(TS_FORMATS)}), "
                f"try_strptime({v}, {_str_list(DATE_FORMATS)}))"
            )
        if c.type == "code":
            lookup = code_lists.code_lookup(c.codes)
            keys = ", ".join(f"{q(k)}: {q(val)}" for k, val in lookup.items())
            # the code as the code list spells it first: folding every value cost 70 ms per 880 000 rows
            exact = ", ".join(f"{q(val)}: {q(val)}" for val in lookup.values())
            return f"coalesce(MAP {{{exact}}}[{v}], MAP {{{keys}}}[{fold_sql(v)}])"
        raise ValueError(c.type)

    # ---- generic column rules (from the contract) -----------------------------------------------
    def _column_rules(self, dataset: Dataset, t: str) -> None:
        name = dataset.name
        live = "_skip IS NULL"
        for c in dataset.columns:
            raw, val = f"{c.name}__raw", c.name
            expected = q(c.expected_da())
            if c.required:
                self.row_findings(
                    name,
                    t,
                    f"{live} AND {raw} IS NULL",
                    c.name,
                    "NULL",
                    "paakraevet",
                    q(f"Værdi mangler i den påkrævede kolonne {c.name} ({c.label})."),
                )
            if c.type in ("ts", "tsdate"):
                bad = f"{raw} IS NOT NULL AND {val} IS NULL AND {val}__inst_off IS NULL"
            elif c.type in ("dec", "int"):
                bad = f"{raw} IS NOT NULL AND {val} IS NULL AND NOT {val}__tvetydig"
                self.row_findings(
                    name,
                    t,
                    f"{live} AND {val}__tvetydig",
                    c.name,
                    raw,
                    "tvetydigt_decimaltegn",
                    f"'Værdien ''' || {raw} || ''' i {c.name} er tvetydig: kolonnen blander decimalkomma og "
                    "decimalpunktum i denne fil (fx 1,5 og 1.5), så det er uklart, om punktum er decimaltegn "
                    "eller tusindtalsseparator. Brug samme decimaltegn i hele kolonnen (1234,5 eller 1234.5).'",
                )
            else:
                bad = f"{raw} IS NOT NULL AND {val} IS NULL"
            if c.type == "text" and not c.max_len:
                self.row_findings(
                    name,
                    t,
                    f"{live} AND length({raw}) > {self.limits.field_chars}",
                    c.name,
                    f"left({raw}, 50) || '…'",
                    "for_lang",
                    f"'Værdien i {c.name} er ' || length({raw}) || ' tegn lang; højst "
                    f"{da_int(self.limits.field_chars)} tegn er tilladt.'",
                )
            self.row_findings(
                name,
                t,
                f"{live} AND {bad}",
                c.name,
                raw,
                "ugyldig_vaerdi",
                f"'Ugyldig værdi ''' || {raw} || '''; forventet ' || {expected} || '.'",
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
                self.row_findings(
                    name,
                    t,
                    f"{live} AND {val} IS NOT NULL AND ({' OR '.join(conds)})",
                    c.name,
                    raw,
                    "uden_for_regel",
                    f"'Værdien ''' || {raw} || ''' er ikke tilladt i {c.name}; forventet ' "
                    f"|| {expected} || '.'",
                )
            if c.references:
                ref = DATASETS[c.references]
                self.row_findings(
                    name,
                    t,
                    f"{live} AND {val} IS NOT NULL AND {val} NOT IN (SELECT {c.name} FROM acc_{ref.name})",
                    c.name,
                    raw,
                    f"ukendt_{ref.entity}",
                    f"'Ukendt {ref.entity}: {c.name} ''' || {raw} || ''' findes ikke blandt de godkendte "
                    f"rækker i {ref.name}.'",
                )
            if c.unique:
                self.row_findings(
                    name,
                    t,
                    f"{live} AND {val} IS NOT NULL AND {val} IN (SELECT {val} FROM {t} WHERE {live} "
                    f"GROUP BY 1 HAVING count(*) > 1)",
                    c.name,
                    raw,
                    "dublet",
                    f"'Værdien ''' || {raw} || ''' i {c.name} optræder flere gange; alle rækker med samme "
                    f"{c.name} er afvist (forventet: unik).'",
                )

    # ---- dataset rules ------------------------------------------------------------------------
    def _rules_bygninger(self, t: str) -> None:
        live, y = "_skip IS NULL", self.aar
        self.row_findings(
            "bygninger",
            t,
            f"{live} AND opfoerelsesaar > {y}",
            "opfoerelsesaar",
            "opfoerelsesaar__raw",
            "aar_efter_indberetning",
            f"'Opførelsesåret ' || opfoerelsesaar || ' ligger efter indberetningsåret {y}.'",
        )
        self.row_findings(
            "bygninger",
            t,
            f"{live} AND ombygningsaar IS NOT NULL AND (ombygningsaar > {y} OR "
            f"ombygningsaar < coalesce(opfoerelsesaar, 0))",
            "ombygningsaar",
            "ombygningsaar__raw",
            "ombygningsaar",
            f"'Ombygningsåret ' || ombygningsaar || ' skal ligge mellem opførelsesåret og {y}.'",
        )
        for col in ("i_brug_fra", "i_brug_til"):
            self.row_findings(
                "bygninger",
                t,
                f"{live} AND {col} IS NOT NULL AND year({col}) <> {y}",
                col,
                f"{col}__raw",
                "uden_for_aaret",
                f"'Datoen ' || {col}__raw || ' ligger ikke i indberetningsåret {y}.'",
            )
        self.row_findings(
            "bygninger",
            t,
            f"{live} AND i_brug_til < i_brug_fra",
            "i_brug_til",
            "i_brug_til__raw",
            "periode_omvendt",
            "'Slutdatoen i_brug_til ' || i_brug_til__raw || ' ligger før i_brug_fra ' || i_brug_fra__raw || '.'",
        )
        ratio = "bruttodriftsareal_m2 / bbr_bygningsareal_m2"
        self.row_findings(
            "bygninger",
            t,
            f"{live} AND bbr_bygningsareal_m2 > 0 AND bruttodriftsareal_m2 > 0 AND "
            f"({ratio} < 0.7 OR {ratio} > 1.5)",
            "bbr_bygningsareal_m2",
            "bbr_bygningsareal_m2__raw",
            "bda_bbr_forhold",
            f"'Bruttodriftsarealet er ' || replace(CAST(round({ratio}, 2) AS VARCHAR), '.', ',') || ' gange BBR-arealet; "
            f"forventet mellem 0,7 og 1,5. Kontrollér arealerne.'",
            WARNING,
        )

    def _rules_maalere(self, t: str) -> None:
        live = "_skip IS NULL"
        self.row_findings(
            "maalere",
            t,
            f"{live} AND aktiv_til < aktiv_fra",
            "aktiv_til",
            "aktiv_til__raw",
            "periode_omvendt",
            "'Slutdatoen aktiv_til ' || aktiv_til__raw || ' ligger før aktiv_fra.'",
        )
        # Shares of one meter sum to 1 (per active period).
        self.row_findings(
            "maalere",
            t,
            f"""{live} AND maaler_id IS NOT NULL AND (maaler_id, coalesce(aktiv_fra, DATE '1900-01-01')) IN (
                  SELECT (maaler_id, coalesce(aktiv_fra, DATE '1900-01-01')) FROM {t}
                  WHERE {live} AND maaler_id IS NOT NULL
                  GROUP BY ALL HAVING abs(sum(coalesce(andel, 1)) - 1) > 0.001)""",
            "andel",
            "andel__raw",
            "andele_summer_ikke",
            f"'Andelene for måler ''' || maaler_id || ''' summer til ' || (SELECT sum(coalesce(andel, 1)) "
            f"FROM {t} x WHERE x.maaler_id = {t}.maaler_id AND x._skip IS NULL AND "
            f"coalesce(x.aktiv_fra, DATE '1900-01-01') = coalesce({t}.aktiv_fra, DATE '1900-01-01')) "
            f"|| '; forventet 1.'",
        )

    def _rules_forbrug(self, t: str) -> None:
        y = self.aar
        live = "_skip IS NULL"
        units = code_lists.units_by_supply()
        # Supply type from maalere where the file leaves it out, and each period's instants: one new copy.
        self._resolve_periods(t)
        self.row_findings(
            "forbrug",
            t,
            f"{live} AND bygning_id__raw IS NULL AND maaler_id IS NOT NULL AND NOT i_maalere",
            "bygning_id",
            "maaler_id",
            "maaler_uden_bygning",
            "'Måler ''' || maaler_id || ''' har ingen bygning_id og står ikke i maalere; "
            "angiv bygning_id eller tilføj måleren i maalere.'",
        )
        self.row_findings(
            "forbrug",
            t,
            f"{live} AND forsyningsart__raw IS NULL AND forsyningsart_r IS NULL AND maaler_id IS NOT NULL",
            "forsyningsart",
            "NULL",
            "forsyningsart_mangler",
            "'Forsyningsart mangler, og måleren står ikke i maalere.'",
        )
        self.row_findings(
            "forbrug",
            t,
            f"{live} AND forsyningsart IS NOT NULL AND forsyningsart_m IS NOT NULL AND "
            "forsyningsart <> forsyningsart_m",
            "forsyningsart",
            "forsyningsart__raw",
            "forsyningsart_modstrid",
            "'Forsyningsart ''' || forsyningsart || ''' passer ikke med maalere, hvor måleren "
            "er ''' || forsyningsart_m || '''.'",
        )
        fits = " OR ".join(
            f"(forsyningsart_r = {q(s)} AND enhed IN (SELECT unnest({_str_list(us)})))"
            for s, us in units.items()
        )
        self.row_findings(
            "forbrug",
            t,
            f"{live} AND enhed IS NOT NULL AND forsyningsart_r IS NOT NULL AND NOT ({fits})",
            "enhed",
            "enhed__raw",
            "enhed_passer_ikke",
            "'Enheden ''' || enhed__raw || ''' passer ikke til forsyningsart ''' || "
            "forsyningsart_r || '''; forventet en af: ' || CASE forsyningsart_r "
            + " ".join(f"WHEN {q(s)} THEN {q(', '.join(us))}" for s, us in units.items())
            + " END || '.'",
        )
        self.row_findings(
            "forbrug",
            t,
            f"{live} AND periode_fra__raw IS NULL AND maaletype_r = 'forbrug'",
            "periode_fra",
            "NULL",
            "paakraevet",
            "'Værdi mangler i periode_fra; kun aflæsninger (maaletype = aflaesning) må udelade den.'",
        )
        self.row_findings(
            "forbrug",
            t,
            f"{live} AND fra_tid IS NOT NULL AND til_tid <= fra_tid",
            "periode_til",
            "periode_til__raw",
            "periode_omvendt",
            "'Slutningen periode_til ' || periode_til__raw || ' ligger ikke efter periode_fra ' || "
            "periode_fra__raw || '.'",
        )
        self.row_findings(
            "forbrug",
            t,
            f"{live} AND fra_tid IS NOT NULL AND til_tid - fra_tid > INTERVAL 366 DAY",
            "periode_til",
            "periode_til__raw",
            "periode_for_lang",
            "'Perioden ' || periode_fra__raw || ' – ' || periode_til__raw || ' er længere end 366 dage.'",
        )
        self._overlaps(t)
        self._decreasing_registers(t)
        self._opening_readings(t, y)
        self._outside_year(t, y)
        self._outside_periods(t)
        self._eloverblik_totals(t)

    def _instant(self, col: str, occ: str) -> str:
        """SQL for the instant of a parsed local time `col`: its own offset if it had one; else the file's
        time zone (an import profile's, or Europe/Copenhagen), the repeated autumn hour taken in file order
        (`occ`, the row's occurrence from `_occurrences`: 1 = summer time)."""
        tz = f"coalesce(_tz, {q(TIME_ZONE)})"
        inst = f"timezone({tz}, {col})"
        ambiguous = f"timezone({tz}, {inst} - INTERVAL 1 HOUR) = {col}"
        return (
            f"CASE WHEN {col}__has_off THEN {col}__inst_off WHEN {col} IS NULL THEN NULL "
            f"WHEN {ambiguous} AND {occ} = 1 THEN {inst} - INTERVAL 1 HOUR ELSE {inst} END"
        )

    def _replace(self, t: str, select: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {t}_r AS {select}")
        self.con.execute(f"DROP TABLE {t}")
        self.con.execute(f"ALTER TABLE {t}_r RENAME TO {t}")

    def _ambiguous(self, col: str) -> str:
        """A local wall-clock time without an offset that occurs twice (the repeated autumn hour)."""
        tz = f"coalesce(_tz, {q(TIME_ZONE)})"
        return (
            f"(NOT {col}__has_off AND {col} IS NOT NULL AND "
            f"timezone({tz}, timezone({tz}, {col}) - INTERVAL 1 HOUR) = {col})"
        )

    def _occurrences(self, t: str, col: str, series: str) -> str:
        """`_fil, _row, _occ` for the rows whose `col` is ambiguous: which of the equal readings of a series in a
        file each row is (file order). Only those rows are sorted; every other row's occurrence is 1."""
        return (
            f"SELECT _fil, _row, row_number() OVER (PARTITION BY _fil, {series}, {col} ORDER BY _row) AS _occ "
            f"FROM {t} WHERE {self._ambiguous(col)}"
        )

    def _add_instant(self, t: str, col: str, series: str, out: str) -> None:
        """Add `out`, the instant of `col`, for a series identified by `series` (e.g. a room)."""
        self._replace(
            t,
            f"""
            WITH amb AS ({self._occurrences(t, col, series)})
            SELECT t.*, {self._instant(col, "coalesce(amb._occ, 1)")} AS {out}
            FROM {t} t LEFT JOIN amb USING (_fil, _row)
        """,
        )

    def _resolve_periods(self, t: str) -> None:
        """The supply type from maalere where a row leaves it out, and each period's instants.
        INFORMATION_MODEL.md, Time: a row's end is its start plus its nominal length when the row is
        shorter than a day (so the repeated autumn hour does not overlap); the repeated hour is taken in file
        order for `periode_til` too (a register reading has no `periode_fra`); a date-only end is exclusive on
        the 1st of a month or at the same meter's next period start, else inclusive (end of that day).
        The windows run only over the rows that need them (ambiguous local times; meters with date-only
        ends): sorting every hourly reading cost 1 s per 880 000 rows."""
        tz = f"coalesce(_tz, {q(TIME_ZONE)})"
        self._replace(
            t,
            f"""
            WITH amb AS ({self._occurrences(t, "periode_fra", "maaler_id")}),
            amb_til AS ({self._occurrences(t, "periode_til", "maaler_id")}),
            nxt AS (
                SELECT _fil, _row, lead(CAST(periode_fra AS DATE)) OVER (
                           PARTITION BY maaler_id ORDER BY periode_fra, _row) AS _next_fra_dato
                FROM {t} WHERE maaler_id IN (SELECT maaler_id FROM {t} WHERE periode_til__date_only)
            ),
            m AS (SELECT maaler_id, any_value(forsyningsart) AS forsyningsart FROM acc_maalere GROUP BY 1),
            fra AS (
                SELECT t.*,
                       coalesce(t.forsyningsart, m.forsyningsart) AS forsyningsart_r,
                       m.forsyningsart AS forsyningsart_m,
                       m.maaler_id IS NOT NULL AS i_maalere,
                       coalesce(t.maaletype, 'forbrug') AS maaletype_r,
                       nxt._next_fra_dato,
                       {self._instant("t.periode_fra", "coalesce(amb._occ, 1)")} AS fra_tid,
                       {self._instant("t.periode_til", "coalesce(amb_til._occ, 1)")} AS _til_tid_lokal
                FROM {t} t LEFT JOIN amb USING (_fil, _row) LEFT JOIN nxt USING (_fil, _row)
                LEFT JOIN amb_til USING (_fil, _row)
                LEFT JOIN m ON m.maaler_id = t.maaler_id
            )
            SELECT * EXCLUDE (_next_fra_dato, _til_tid_lokal),
                   CASE WHEN periode_til__has_off THEN periode_til__inst_off
                        WHEN periode_til IS NULL THEN NULL
                        WHEN periode_til__date_only THEN timezone({tz},
                             CASE WHEN day(periode_til) = 1 OR CAST(periode_til AS DATE) = _next_fra_dato
                                  THEN periode_til ELSE periode_til + INTERVAL 1 DAY END)
                        WHEN fra_tid IS NOT NULL AND NOT periode_fra__date_only AND NOT periode_fra__has_off
                             AND periode_til > periode_fra AND periode_til - periode_fra < INTERVAL 1 DAY
                             THEN fra_tid + (periode_til - periode_fra)
                        ELSE _til_tid_lokal END AS til_tid
            FROM fra
        """,
        )

    # ---- the other datasets ---------------------------------------------------------------------
    def _date_not_after_year(self, ds: str, t: str, col: str) -> None:
        y = self.aar
        self.row_findings(
            ds,
            t,
            f"_skip IS NULL AND {col} > DATE '{y}-12-31'",
            col,
            f"{col}__raw",
            "efter_aaret",
            f"'Datoen ' || {col}__raw || ' ligger efter 31. december {y}.'",
        )
        self.row_findings(
            ds,
            t,
            f"_skip IS NULL AND {col} < DATE '{y - 5}-12-31'",
            col,
            f"{col}__raw",
            "for_gammel_vurdering",
            f"'Vurderingen fra ' || {col}__raw || ' er mere end 5 år gammel ved udgangen af {y}; den "
            "modtages, men bruges ikke.'",
            WARNING,
        )

    def _duplicates(self, ds: str, t: str, key: list[str], kolonne: str, what: str) -> None:
        cols = ", ".join(key)
        self.row_findings(
            ds,
            t,
            f"_skip IS NULL AND ({cols}) IN (SELECT ({cols}) FROM {t} WHERE _skip IS NULL AND "
            f"{' AND '.join(f'{c} IS NOT NULL' for c in key)} GROUP BY ALL HAVING count(*) > 1)",
            kolonne,
            f"{kolonne}__raw",
            "dublet",
            f"{what} || ' optræder flere gange; alle rækker med samme {' + '.join(key)} er afvist.'",
        )

    def _rules_udgifter(self, t: str) -> None:
        self.row_findings(
            "udgifter",
            t,
            "_skip IS NULL AND beloeb_kr < 0",
            "beloeb_kr",
            "beloeb_kr__raw",
            "negativt_beloeb",
            "'Negativt beløb ' || beloeb_kr__raw || ' (fx en refusion) er modtaget; kontrollér det.'",
            WARNING,
        )

    def _rules_vedligehold(self, t: str) -> None:
        self._date_not_after_year("vedligehold", t, "vurderingsdato")
        self._duplicates(
            "vedligehold",
            t,
            ["bygning_id", "bygningsdel", "vurderingsdato"],
            "vurderingsdato",
            "'Vurderingen af ' || bygningsdel || ' i bygning ' || bygning_id || ' den ' || vurderingsdato__raw",
        )

    def _rules_indeklima_vurderinger(self, t: str) -> None:
        self._date_not_after_year("indeklima_vurderinger", t, "vurderingsdato")

    def _rules_indeklima_maalinger(self, t: str) -> None:
        ds, y = "indeklima_maalinger", self.aar
        self.row_findings(
            ds,
            t,
            "_skip IS NULL AND co2_ppm__raw IS NULL AND temperatur_c__raw IS NULL",
            "co2_ppm",
            "NULL",
            "maaling_mangler",
            "'Rækken har hverken co2_ppm eller temperatur_c; mindst én skal være udfyldt.'",
        )
        self._add_instant(t, "tidspunkt", "bygning_id, lokale_id", "tidspunkt_tid")
        self.row_findings(
            ds,
            t,
            f"_skip IS NULL AND tidspunkt_tid IS NOT NULL AND (tidspunkt_tid < {_year_start(y)} "
            f"OR tidspunkt_tid >= {_year_start(y + 1)})",
            "tidspunkt",
            "tidspunkt__raw",
            "uden_for_aaret",
            f"'Tidspunktet ' || tidspunkt__raw || ' ligger ikke i indberetningsåret {y}.'",
        )
        self._duplicates(
            ds,
            t,
            ["bygning_id", "lokale_id", "tidspunkt_tid"],
            "tidspunkt",
            "'Målingen i lokale ' || lokale_id || ' kl. ' || tidspunkt__raw",
        )

    def _rules_anvendelse(self, t: str) -> None:
        ds, y = "anvendelse", self.aar
        for col in ("periode_fra", "periode_til"):
            self.row_findings(
                ds,
                t,
                f"_skip IS NULL AND {col} IS NOT NULL AND year({col}) <> {y}",
                col,
                f"{col}__raw",
                "uden_for_aaret",
                f"'Datoen ' || {col}__raw || ' ligger ikke i indberetningsåret {y}.'",
            )
        self.row_findings(
            ds,
            t,
            "_skip IS NULL AND periode_til < periode_fra",
            "periode_til",
            "periode_til__raw",
            "periode_omvendt",
            "'Slutdatoen periode_til ' || periode_til__raw || ' ligger før periode_fra ' || periode_fra__raw || '.'",
        )
        for col in ("timer_booket", "timer_anvendt"):
            self.row_findings(
                ds,
                t,
                f"_skip IS NULL AND {col} > timer_til_raadighed",
                col,
                f"{col}__raw",
                "over_raadighed",
                f"'Værdien ' || {col}__raw || ' i {col} er større end timer_til_raadighed ' || "
                "timer_til_raadighed__raw || '.'",
            )
        # A building with room-level rows in a period must not also have building-level rows for it.
        self.row_findings(
            ds,
            t,
            f"""_skip IS NULL AND lokale_id IS NULL AND EXISTS (
                SELECT 1 FROM {t} r WHERE r._skip IS NULL AND r.lokale_id IS NOT NULL
                AND r.bygning_id = {t}.bygning_id AND r.periode_fra <= {t}.periode_til
                AND r.periode_til >= {t}.periode_fra)""",
            "lokale_id",
            "bygning_id__raw",
            "bygning_og_lokaler",
            "'Bygning ' || bygning_id || ' har lokalerækker for perioden ' || periode_fra__raw || ' – ' || "
            "periode_til__raw || '; bygningsrækken for samme periode er afvist (brug enten lokaler eller "
            "bygningen).'",
        )

    def _rules_udnyttelse(self, t: str) -> None:
        self._duplicates(
            "udnyttelse",
            t,
            ["bygning_id", "brugertype"],
            "brugertype",
            "'Brugertypen ' || brugertype || ' for bygning ' || bygning_id",
        )

    def _rules_understoettelse(self, t: str) -> None:
        self._duplicates(
            "understoettelse",
            t,
            ["bygning_id", "aktivitet", "metode"],
            "metode",
            "'Vurderingen af ' || aktivitet || ' med metoden ' || metode || ' for bygning ' || bygning_id",
        )

    def _candidates(self, t: str, extra: str = "") -> str:
        """Rows still in play: not skipped and without an error so far."""
        return (
            f"SELECT * FROM {t} WHERE _skip IS NULL {extra} AND (_fil, _row) NOT IN "
            f"(SELECT (fil, raekke) FROM _findings WHERE dataset = 'forbrug' AND alvorlighed = 'fejl' "
            f"AND raekke IS NOT NULL)"
        )

    def _overlaps(self, t: str) -> None:
        """Two periods of the same meter that overlap are both rejected."""
        self.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _overlap AS
            WITH c AS ({self._candidates(t, "AND maaletype_r = 'forbrug' AND fra_tid < til_tid")}),
            w AS (
                SELECT _fil, _row, maaler_id, fra_tid, til_tid,
                       max(til_tid) OVER (PARTITION BY maaler_id ORDER BY fra_tid, _fil, _row
                                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_max_til,
                       lead(fra_tid) OVER (PARTITION BY maaler_id ORDER BY fra_tid, _fil, _row) AS next_fra
                FROM c
            )
            SELECT _fil, _row FROM w WHERE fra_tid < prev_max_til OR next_fra < til_tid
        """)
        self.row_findings(
            "forbrug",
            t,
            "(_fil, _row) IN (SELECT (_fil, _row) FROM _overlap)",
            "periode_fra",
            "periode_fra__raw || ' – ' || periode_til__raw",
            "overlappende_perioder",
            "'Overlappende perioder: perioden ' || periode_fra__raw || ' – ' || "
            "periode_til__raw || ' for måler ''' || maaler_id || ''' overlapper en anden "
            "periode for samme måler; begge er afvist.'",
        )

    def _decreasing_registers(self, t: str) -> None:
        """INFORMATION_MODEL.md §3: a register that decreases rejects the interval that contains the decrease,
        not the reading: the reading is the start of the next interval (the model counts no negative
        difference). So the finding is a warning on the reading that ends the rejected interval."""
        self.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _decreasing AS
            WITH c AS ({self._candidates(t, "AND maaletype_r = 'aflaesning'")})
            SELECT _fil, _row FROM (
                SELECT _fil, _row, maengde,
                       lag(maengde) OVER (PARTITION BY maaler_id ORDER BY til_tid, _fil, _row) AS prev
                FROM c) WHERE maengde < prev
        """)
        self.row_findings(
            "forbrug",
            t,
            "(_fil, _row) IN (SELECT (_fil, _row) FROM _decreasing)",
            "maengde",
            "maengde__raw",
            "faldende_taellerstand",
            "'Tællerstanden ' || maengde__raw || ' er lavere end den forrige aflæsning: intervallet mellem de "
            "to aflæsninger er afvist og tælles ikke med; serien fortsætter fra denne aflæsning. "
            "Faldende tællerstand – målerskift? Brug et nyt maaler_id.'",
            WARNING,
        )

    def _opening_readings(self, t: str, y: int) -> None:
        """Register readings: without a reading at or before 1 January 00:00, the year's first interval
        is missing (lower coverage); say so per meter."""
        rows = self.con.execute(f"""
            WITH c AS ({self._candidates(t, "AND maaletype_r = 'aflaesning'")})
            SELECT maaler_id, min(_fil), min(periode_til__raw), min(_row) FROM c GROUP BY maaler_id
            HAVING min(til_tid) > {_year_start(y)} ORDER BY 1
        """).fetchall()
        for meter, fil, first, row in rows:
            self.file_finding(
                "forbrug",
                fil,
                f"Måler '{meter}' har ingen aflæsning 1. januar {y} kl. 00:00 eller før (første: {first}); "
                "forbruget fra årets start til første aflæsning mangler og sænker dækningen.",
                "mangler_startaflaesning",
                WARNING,
                kolonne="periode_til",
                raekke=row,
            )

    def _outside_year(self, t: str, y: int) -> None:
        start, end = _year_start(y), _year_start(y + 1)
        rows = self.con.execute(f"""
            WITH c AS ({self._candidates(t, "AND maaletype_r = 'forbrug'")})
            SELECT _fil, count(*), min(_row) FROM c
            WHERE fra_tid < {start} OR til_tid > {end} GROUP BY 1 ORDER BY 1
        """).fetchall()
        for fil, n, first in rows:
            self.file_finding(
                "forbrug",
                fil,
                f"{n} række(r) ligger helt eller delvis uden for {y} (første: "
                f"række {first}); kun den del, der ligger i {y}, tælles med.",
                "uden_for_aaret",
                WARNING,
                raekke=first,
                antal=n,
            )

    def _outside_periods(self, t: str) -> None:
        """Consumption that is accepted but not counted, said per file (KEY_FIGURES.md, Coverage): the part of
        a row outside its building's in-use period (i_brug_fra/i_brug_til), and a row that names a building
        `maalere` registers the meter for, outside every active period of the meter for that building."""
        day_start = "CAST(CAST({} AS TIMESTAMP) AS TIMESTAMPTZ)"
        day_end = "CAST(CAST({} AS TIMESTAMP) + INTERVAL 1 DAY AS TIMESTAMPTZ)"
        checks = (
            (
                "uden_for_brugsperiode",
                f"""SELECT c._fil, c._row FROM c JOIN acc_bygninger b ON b.bygning_id = c.bygning_id
                    WHERE (b.i_brug_fra IS NOT NULL AND coalesce(c.fra_tid, c.til_tid) < {day_start.format("b.i_brug_fra")})
                       OR (b.i_brug_til IS NOT NULL AND c.til_tid > {day_end.format("b.i_brug_til")})""",
                "række(r) ligger helt eller delvis uden for bygningens brugsperiode (i_brug_fra–i_brug_til i "
                "bygninger); kun den del, der ligger i brugsperioden, tælles med",
            ),
            (
                "uden_for_aktiv_periode",
                f"""SELECT c._fil, c._row FROM c
                    WHERE c.bygning_id__raw IS NOT NULL AND c.fra_tid IS NOT NULL
                      AND EXISTS (SELECT 1 FROM acc_maalere m
                                  WHERE m.maaler_id = c.maaler_id AND m.bygning_id = c.bygning_id)
                      AND NOT EXISTS (
                          SELECT 1 FROM acc_maalere m
                          WHERE m.maaler_id = c.maaler_id AND m.bygning_id = c.bygning_id
                            AND (m.aktiv_fra IS NULL OR c.til_tid > {day_start.format("m.aktiv_fra")})
                            AND (m.aktiv_til IS NULL OR c.fra_tid < {day_end.format("m.aktiv_til")}))""",
                "række(r) nævner en bygning, som måleren ifølge maalere ikke betjente i rækkens periode "
                "(aktiv_fra–aktiv_til); de tælles ikke med",
            ),
        )
        for regel, rows_sql, text in checks:
            found = self.con.execute(f"""
                WITH c AS ({self._candidates(t, "AND maaletype_r = 'forbrug'")}), hit AS ({rows_sql})
                SELECT _fil, count(*), min(_row) FROM hit GROUP BY 1 ORDER BY 1
            """).fetchall()
            for fil, n, first in found:
                self.file_finding(
                    "forbrug", fil, f"{n} {text} (første: række {first}).", regel, WARNING, raekke=first, antal=n
                )

    def _eloverblik_totals(self, t: str) -> None:
        """Skipped Eloverblik 'Måling' totals: warn where the hourly rows of the same period differ > 1 %."""
        rows = self.con.execute(f"""
            WITH m AS (SELECT _fil, _row, maaler_id, fra_tid, til_tid, maengde, periode_fra__raw,
                              periode_til__raw FROM {t} WHERE _skip IS NOT NULL AND fra_tid < til_tid),
                 h AS ({self._candidates(t, "AND maaletype_r = 'forbrug'")})
            SELECT m._fil, m._row, m.periode_fra__raw, m.periode_til__raw, m.maengde, sum(h.maengde) AS s
            FROM m JOIN h ON h.maaler_id = m.maaler_id AND h.fra_tid >= m.fra_tid AND h.til_tid <= m.til_tid
            GROUP BY ALL HAVING abs(sum(h.maengde) - m.maengde) > 0.01 * m.maengde
            ORDER BY 1, 2
        """).fetchall()
        for fil, row, fra, til, total, s in rows:
            self.file_finding(
                "forbrug",
                fil,
                f"Periodesummen {da_number(total, 3)} for {fra} – {til} afviger mere "
                f"end 1 % fra summen af timeværdierne {da_number(s, 3)}.",
                "periodesum_afviger",
                WARNING,
                raekke=row,
                kolonne="maengde",
                vaerdi=da_number(total, 3),
            )

    # ---- split into accepted, rejected and skipped ------------------------------------------------
    def _split(self, dataset: Dataset, t: str) -> str:
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
        out = RESOLVED.get(name, {})
        cols = ", ".join(
            f"CAST({_with_default(c, out.get(c.name, c.name))} AS {c.sql_type}) AS {c.name}"
            for c in dataset.columns
        )
        con.execute(f"DROP TABLE IF EXISTS acc_{name}")
        con.execute(f"""
            CREATE TEMP TABLE acc_{name} AS
            SELECT _fil, _row, {cols} FROM {t}
            WHERE _skip IS NULL AND (_fil, _row) NOT IN (SELECT (_fil, _row) FROM rej_{name})
        """)
        counts.accepted = con.execute(f"SELECT count(*) FROM acc_{name}").fetchall()[0][0]
        counts.rejected += con.execute(f"SELECT count(*) FROM rej_{name}").fetchall()[0][0]
        counts.skipped = con.execute(f"SELECT count(*) FROM {t} WHERE _skip IS NOT NULL").fetchall()[0][0]
        if counts.skipped:
            con.execute(f"""INSERT INTO _findings SELECT {q(name)}, _fil, NULL, min(_row), NULL, NULL,
                            'sprunget_over', any_value(_skip) || ' (' || count(*) || ' rækker).', 'info',
                            count(*) FROM {t} WHERE _skip IS NOT NULL GROUP BY _fil""")
        return f"acc_{name}"


# Columns whose accepted value is the one the rules resolved (instants, values from maalere).
RESOLVED: dict[str, dict[str, str]] = {
    "forbrug": {"forsyningsart": "forsyningsart_r", "periode_fra": "fra_tid", "periode_til": "til_tid"},
    "indeklima_maalinger": {"tidspunkt": "tidspunkt_tid"},
}


def _with_default(c: Column, expr: str) -> str:
    return f"coalesce({expr}, CAST({q(c.default)} AS {c.sql_type}))" if c.default is not None else expr


def _trimmed(col: str) -> str:
    """A value without surrounding spaces (also non-breaking and other Unicode spaces); empty → NULL. DuckDB's
    trim is slow (28 ns a value), so it only runs on values that start or end with a space or a non-ASCII
    character, or contain a non-breaking space."""
    first, last = f"unicode({col})", f"unicode(right({col}, 1))"
    return (
        f"CASE WHEN {col} = '' OR {first} = 32 OR {first} > 127 OR {last} = 32 OR {last} > 127 "
        f"OR contains({col}, chr(160)) THEN nullif(trim(replace({col}, chr(160), ' ')), '') ELSE {col} END"
    )


GROUPED = r"[+-]?\d{1,3}(\.\d{3})+"  # thousands grouped by dots: 1.040, 12.500.000


def _untyped(col: str, res: ReadResult) -> str:
    """SQL condition suffix: the value is not a typed number (only readers of typed cells mark them)."""
    return f" AND NOT starts_with({col}, {TYPED})" if res.typed_numbers else ""


def _decimal_conventions(con, res: ReadResult, columns: dict[str, str]) -> dict[str, str]:
    """Per file and numeric column: `komma` (decimal comma, thousands dots), `punktum` (decimal point), or
    `blandet` when the column settles nothing: it has a decimal comma somewhere and also a dot that cannot be
    a thousands separator (`1,5` beside `1.5` or `1234.56`). Then every value with a comma or a dot is
    ambiguous and rejected with the reason; nothing is multiplied by 10ⁿ behind the contributor's back.
    A column with a comma is `komma`; in a `;`-separated file or a Danish spreadsheet's text cells, also one
    whose dotted values all look like thousands grouping (`1.040`)."""
    if not columns:
        return {}
    exprs = []
    for src in columns.values():
        untyped = _untyped(src, res)
        exprs += [
            f"coalesce(bool_or(contains({src}, ','){untyped}), false)",
            f"coalesce(bool_or(contains({src}, '.') AND NOT regexp_full_match(replace(trim({src}), ' ', ''), "
            f"'{GROUPED}(,\d*)?'){untyped}), false)",
            f"coalesce(bool_and(regexp_full_match(trim({src}), '{GROUPED}')) FILTER (WHERE contains({src}, '.')"
            f"{untyped}), false)",
        ]
    row = con.execute(f"SELECT {', '.join(exprs)} FROM {res.table}").fetchall()[0]
    out = {}
    for i, name in enumerate(columns):
        comma, loose_dot, all_grouped = row[3 * i : 3 * i + 3]
        if comma and loose_dot:
            out[name] = "blandet"
        elif comma or (res.danish_text_numbers and all_grouped):
            out[name] = "komma"
        else:
            out[name] = "punktum"
    return out


def _year_start(y: int) -> str:
    """1 January of `y`, 00:00 local time (the session time zone is Europe/Copenhagen)."""
    return f"CAST(TIMESTAMP '{y}-01-01 00:00:00' AS TIMESTAMPTZ)"


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


def findings_as_json(findings: list[dict]) -> str:
    return json.dumps(findings, ensure_ascii=False, indent=1, default=str)
