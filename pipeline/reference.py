"""Reference data from the steward (`KKM2_HOME/reference/`), loaded into the `reference` schema.

- befolkning*.csv      the Danmarks Statistik FOLK1A export as downloaded (`OMRÅDE;…;TID;INDHOLD`, areas by
                       name or code, old names matched, `2024K1` quarters: the 1st quarter is the year's
                       population) or the simple form `kommunekode;aar;indbyggere`
- graddage*.csv        `maaned;graddage` (maaned as YYYY-MM)
- graddage_normalaar.csv  `graddage;kilde`: overrides the shipped normal year (seed graddage_normalaar)
- emissionsfaktorer*.csv  `forsyningsart;aar;g_co2e_pr_kwh;kilde`
- deltagere*.csv       `kommunekode;aar`: who is expected to submit
- kommunegraenser.geojson  optional, the report's map (without it the map is schematic: seed kommune_felter)

Missing or broken reference data never stops a load: the tables are then empty (the figures that need
them are null and say why), and each problem is reported in Danish.

Each of befolkning, graddage and emissionsfaktorer has a grain across ALL its files (`GRAINS`): a key given
twice with the same value is a warning and counts once; given with different values it is a finding, and
the key is not used at all (as if missing), so the figures that need it are null. Values are never summed
across duplicates; the dbt sources test the grain (`unique_key`, generated from `GRAINS`)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.contract import codes as code_lists
from pipeline.readers.csv import ReadError, read_csv
from pipeline.text import canonical_kommunekode, fold, header_key

REFERENCE_DDL = """
CREATE SCHEMA IF NOT EXISTS reference;
CREATE OR REPLACE TABLE reference.befolkning (kommunekode VARCHAR, aar INTEGER, indbyggere BIGINT, kilde VARCHAR);
CREATE OR REPLACE TABLE reference.graddage (maaned DATE, graddage DOUBLE, kilde VARCHAR);
CREATE OR REPLACE TABLE reference.graddage_normalaar (graddage DOUBLE, kilde VARCHAR);
CREATE OR REPLACE TABLE reference.emissionsfaktorer (
    forsyningsart VARCHAR, aar INTEGER, g_co2e_pr_kwh DOUBLE, kilde VARCHAR);
CREATE OR REPLACE TABLE reference.deltagere (kommunekode VARCHAR, aar INTEGER);
CREATE OR REPLACE TABLE reference.filer (fil VARCHAR, sha256 VARCHAR, raekker BIGINT, status VARCHAR);
"""

AGGREGATE_AREAS = {"heleladet", "helelandet", "danmark", "alle", "ialt"}


@dataclass
class ReferenceReport:
    loaded: dict[str, int] = field(default_factory=dict)  # file -> rows used
    problems: list[str] = field(default_factory=list)  # findings: something in a file is not used
    warnings: list[str] = field(default_factory=list)  # everything used, but the steward should know
    has_map: bool = False


@dataclass(frozen=True)
class Grain:
    """One row per `key` across all files of a kind. `value` is the column compared between duplicates;
    `key_text` names a key in Danish, `unused` says that it is not used, and `null` which figures are then
    null (`{figur}` is filled with the catalogue's names of `figures`, the key's columns by name)."""

    key: tuple[str, ...]
    value: str
    figures: tuple[str, ...]
    key_text: str
    unused: str
    null: str


GRAINS: dict[str, Grain] = {
    "graddage": Grain(
        key=("maaned",),
        value="graddage",
        figures=("varme_kwh_pr_m2_normaliseret",),
        key_text="måned {maaned:.7}",
        unused="måneden bruges ikke",
        null="{figur} er tomt for alle bygninger i {maaned:.4} (årets graddage kræver alle 12 måneder)",
    ),
    "emissionsfaktorer": Grain(
        key=("forsyningsart", "aar"),
        value="g_co2e_pr_kwh",
        figures=("co2e_kg_pr_m2",),
        key_text="forsyningsart {forsyningsart}, år {aar}",
        unused="faktoren bruges ikke",
        null="{figur} er tomt i {aar} for bygninger med {forsyningsart}",
    ),
    "befolkning": Grain(
        key=("kommunekode", "aar"),
        value="indbyggere",
        figures=("m2_pr_indbygger",),
        key_text="kommune {kommunekode}, år {aar}",
        unused="indbyggertallet bruges ikke",
        null="{figur} er tomt for {kommunekode} i {aar}, og kommunens størrelsesgruppe mangler",
    ),
}


@dataclass(frozen=True)
class Row:
    """A row for a reference table (values in the table's column order) and where it came from."""

    values: tuple
    fil: str
    raekke: int
    raw: str = ""  # the compared value as written in the file


def _num(v: str | None) -> float | None:
    if v is None or not str(v).strip():
        return None
    s = str(v).strip().replace(" ", "").replace("\u00a0", "")
    if "," in s:
        s = s.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(\.\d{3})+", s):
        s = s.replace(".", "")
    try:
        return float(s)
    except ValueError:
        return None


def _rows(con, path: Path, tmp: Path) -> tuple[list[str], list[tuple]]:
    res = read_csv(con, path, tmp)
    data = con.execute(f"SELECT * FROM {res.table} ORDER BY _row").fetchall()
    res.release(con)
    return [header_key(h) for h in res.headers], data  # each row: (_row, c0, c1, ...)


def kommune_by_name() -> dict[str, str]:
    """Folded name (current and former spellings) or code -> 4-char kommunekode."""
    out: dict[str, str] = {}
    for r in code_lists.seed_rows("kommuner.csv"):
        for name in [r["kommunenavn"], *(r.get("tidligere_navne") or "").split("|")]:
            if name:
                out[header_key(name)] = r["kommunekode"]
    return out


def _area(value: str, names: dict[str, str]) -> str | None:
    v = value.strip()
    m = re.match(r"^([0-9]{3,4})\b", v)
    if m:
        return canonical_kommunekode(m.group(1))
    key = header_key(re.sub(r"\s+kommune$", "", v, flags=re.I))
    return names.get(key)


def parse_befolkning(headers: list[str], rows: list[tuple], source: str) -> tuple[list[Row], list[str]]:
    """Rows (kommunekode, aar, indbyggere, kilde) from FOLK1A or the simple form, one per usable line (the
    grain is enforced across all files by `load_reference`)."""
    problems: list[str] = []
    out: list[Row] = []
    valid = set(code_lists.codes("kommunekode"))
    if {"kommunekode", "aar", "indbyggere"} <= set(headers):
        ik, ia, ii = (headers.index(h) + 1 for h in ("kommunekode", "aar", "indbyggere"))
        for r in rows:
            k, aar, n = canonical_kommunekode(r[ik] or ""), _num(r[ia]), _num(r[ii])
            if k in valid and aar and n is not None:
                out.append(Row((k, int(aar), int(n), source), source, r[0], (r[ii] or "").strip()))
            else:
                problems.append(
                    f"{source} række {r[0]}: ugyldig række ({r[ik]};{r[ia]};{r[ii]}) – springes over."
                )
    elif {"omraade", "tid", "indhold"} <= set(headers):
        names = kommune_by_name()
        io_, it, ii = (headers.index(h) + 1 for h in ("omraade", "tid", "indhold"))
        totals = [headers.index(h) + 1 for h in ("koen", "alder", "civilstand") if h in headers]
        unknown: set[str] = set()
        for r in rows:
            if any(r[i] and not _is_total(r[i]) for i in totals):
                continue  # a breakdown row (by sex, age, ...), not the total
            m = re.fullmatch(r"(\d{4})K([1-4])", (r[it] or "").strip())
            if not m or m.group(2) != "1":
                continue  # the 1st quarter gives the year's population
            area = r[io_] or ""
            k = _area(area, names)
            if k is None:
                if header_key(area) not in AGGREGATE_AREAS and not header_key(area).startswith("region"):
                    unknown.add(area)
                continue
            n = _num(r[ii])
            if n is not None:
                out.append(Row((k, int(m.group(1)), int(n), source), source, r[0], (r[ii] or "").strip()))
        for area in sorted(unknown):
            problems.append(f"{source}: området '{area}' kendes ikke som kommune og er sprunget over.")
    else:
        problems.append(
            f"{source}: kolonnerne passer hverken til FOLK1A (OMRÅDE;…;TID;INDHOLD) eller til "
            "kommunekode;aar;indbyggere – filen er ikke brugt."
        )
    return out, problems


def _is_total(v: str) -> bool:
    f = fold(v)
    return "i alt" in f or f in {"tot", "ialt", "total"}


def load_reference(con, reference_dir: Path, tmp: Path) -> ReferenceReport:
    """(Re)load every reference table from the folder. Never raises for bad data."""
    report = ReferenceReport()
    con.execute(REFERENCE_DDL)
    if not reference_dir.exists():
        return report
    files: list[tuple[Path, str]] = []  # (file, status), recorded once the rows used are known
    rows_of: dict[str, list[Row]] = {}  # table -> candidate rows of all its files, in file and row order
    for path in sorted(p for p in reference_dir.iterdir() if p.is_file()):
        name = fold(path.name)
        if path.suffix.lower() == ".geojson":
            report.has_map = _check_geojson(path, report)
            files.append((path, "indlæst" if report.has_map else "ikke brugt"))
            continue
        if path.suffix.lower() not in (".csv", ".txt"):
            continue
        try:
            headers, rows = _rows(con, path, tmp)
        except ReadError as e:
            report.problems.append(f"{path.name}: {e}")
            files.append((path, "ikke læsbar"))
            continue
        if name.startswith("befolkning"):
            table = "befolkning"
            data, problems = parse_befolkning(headers, rows, path.name)
            report.problems += problems
        elif name.startswith("graddage_normalaar"):
            table = "graddage_normalaar"
            data = _simple(report, path, headers, rows, ["graddage", "kilde"], lambda v: (_num(v[0]), v[1]))
        elif name.startswith("graddage"):
            table = "graddage"
            data = _simple(
                report,
                path,
                headers,
                rows,
                ["maaned", "graddage"],
                lambda v, src=path.name: (_month(v[0]), _num(v[1]), src),
                compared="graddage",
            )
        elif name.startswith("emissionsfaktor"):
            table = "emissionsfaktorer"
            data = _simple(
                report,
                path,
                headers,
                rows,
                ["forsyningsart", "aar", "g_co2e_pr_kwh", "kilde"],
                lambda v: (_code(v[0]), _int(v[1]), _num(v[2]), v[3]),
                compared="g_co2e_pr_kwh",
            )
        elif name.startswith("deltagere"):
            table = "deltagere"
            data = _simple(
                report, path, headers, rows, ["kommunekode", "aar"], lambda v: (_kommune(v[0]), _int(v[1]))
            )
        else:
            report.problems.append(
                f"{path.name}: filnavnet passer ikke til nogen referencedata og er ikke brugt."
            )
            files.append((path, "ukendt"))
            continue
        rows_of.setdefault(table, []).extend(data)
        report.loaded[path.name] = 0
        files.append((path, "indlæst"))
    for table, data in rows_of.items():
        if table in GRAINS:
            data = enforce_grain(con, table, data, report)
        if data:
            marks = ", ".join("?" for _ in data[0].values)
            con.executemany(f"INSERT INTO reference.{table} VALUES ({marks})", [r.values for r in data])
        for r in data:
            report.loaded[r.fil] += 1
    for path, status in files:
        _record(con, path, report.loaded.get(path.name, 0), status)
    return report


def enforce_grain(con, table: str, data: list[Row], report: ReferenceReport) -> list[Row]:
    """The rows of `table` with one row per key of its grain: an identical duplicate is a warning and counts
    once (the first is kept), a conflicting one is a finding and no row of that key is kept."""
    grain = GRAINS[table]
    columns = [c[0] for c in con.execute(f"DESCRIBE reference.{table}").fetchall()]
    ki = [columns.index(c) for c in grain.key]
    vi = columns.index(grain.value)
    by_key: dict[tuple, list[Row]] = {}
    for r in data:
        by_key.setdefault(tuple(r.values[i] for i in ki), []).append(r)
    kept: list[Row] = []
    for key, rows in by_key.items():
        named = dict(zip(grain.key, key, strict=True))
        what = grain.key_text.format(**named)
        first = rows[0]
        if all(r.values[vi] == first.values[vi] for r in rows):
            kept.append(first)
            report.warnings += [
                f"{r.fil} række {r.raekke}: {what} står også i {first.fil} række {first.raekke} med samme "
                f"{grain.value} ({r.raw}) – tælles én gang."
                for r in rows[1:]
            ]
            continue
        figur = " og ".join(f"nøgletallet '{_figure_name(f)}' ({f})" for f in grain.figures)
        report.problems.append(
            f"{_and([f'{r.fil} række {r.raekke}' for r in rows])}, kolonne {grain.value}: {what} er angivet "
            f"med forskellige værdier ({_and([r.raw for r in rows])}) – {grain.unused}, så "
            f"{grain.null.format(figur=figur, **named)}."
        )
    return sorted(kept, key=lambda r: (r.fil, r.raekke))


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " og " + items[-1]


def _figure_name(code: str) -> str:
    """The catalogue's (seed dim_noegletal) Danish name of a figure."""
    return next(r["navn"] for r in code_lists.seed_rows("dim_noegletal.csv") if r["noegletal"] == code)


def _record(con, path: Path, rows: int, status: str) -> None:
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    con.execute("INSERT INTO reference.filer VALUES (?, ?, ?, ?)", [path.name, sha, rows, status])


def _simple(report, path, headers, rows, columns, convert, compared: str | None = None) -> list[Row]:
    """The usable rows of a file with `columns` (a trailing `kilde` may be empty); `compared` is the column
    whose text each row keeps for the steward's messages."""
    missing = [c for c in columns if header_key(c) not in headers]
    if missing:
        report.problems.append(f"{path.name}: kolonne mangler: {', '.join(missing)} – filen er ikke brugt.")
        return []
    idx = [headers.index(header_key(c)) + 1 for c in columns]
    raw_i = idx[columns.index(compared)] if compared else None
    good = []
    for r in rows:
        values = convert([r[i] for i in idx])
        if any(v is None for v in values[: len(columns) - (1 if columns[-1] == "kilde" else 0)]):
            report.problems.append(f"{path.name} række {r[0]}: ugyldig værdi – rækken springes over.")
            continue
        good.append(Row(tuple(values), path.name, r[0], (r[raw_i] or "").strip() if raw_i else ""))
    return good


def _month(v):
    m = re.fullmatch(r"(\d{4})-?(\d{1,2})", (v or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return f"{m.group(1)}-{int(m.group(2)):02d}-01"


def _int(v):
    n = _num(v)
    return int(n) if n is not None and float(n).is_integer() else None


def _code(v):
    return code_lists.code_lookup("forsyningsart").get(fold(v or ""))


def _kommune(v):
    k = canonical_kommunekode(v or "")
    return k if k in set(code_lists.codes("kommunekode")) else None


def _check_geojson(path: Path, report: ReferenceReport) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        ok = data.get("type") == "FeatureCollection" and isinstance(data.get("features"), list)
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        ok = False
    if not ok:
        report.problems.append(
            f"{path.name}: ikke en GeoJSON FeatureCollection – rapporten viser det skematiske kort i stedet."
        )
    return ok


def participant_years(reference_dir: Path, tmp: Path) -> set[int]:
    """The years in the participant lists (`deltagere*.csv`), read as `load_reference` reads them; empty when
    there is none. The collaboration's years (pipeline.ingest.Years) come from here."""
    from pipeline.settings import sandbox

    paths = (
        [
            p
            for p in sorted(reference_dir.glob("*"))
            if p.is_file()
            and not p.is_symlink()
            and fold(p.name).startswith("deltagere")
            and p.suffix.lower() in (".csv", ".txt")
        ]
        if reference_dir.is_dir()
        else []
    )
    years: set[int] = set()
    if not paths:
        return years
    con = sandbox(tmp)
    try:
        for path in paths:
            try:
                headers, rows = _rows(con, path, tmp)
            except ReadError:
                continue
            if "aar" in headers:
                i = headers.index("aar") + 1
                years |= {y for r in rows if (y := _int(r[i])) is not None}
    finally:
        con.close()
    return years
