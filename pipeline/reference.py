"""Reference data from the steward (`KKM2_HOME/reference/`), loaded into the `reference` schema.

- befolkning*.csv      the Danmarks Statistik FOLK1A export as downloaded (`OMRÅDE;…;TID;INDHOLD`, areas by
                       name or code, old names matched, `2024K1` quarters: the 1st quarter is the year's
                       population) or the simple form `kommunekode;aar;indbyggere`
- graddage*.csv        `maaned;graddage` (maaned as YYYY-MM)
- graddage_normalaar.csv  `graddage;kilde`: overrides the shipped normal year (seed graddage_normalaar)
- emissionsfaktorer*.csv  `forsyningsart;aar;g_co2e_pr_kwh;kilde`
- deltagere*.csv       `kommunekode;aar`: who is expected to submit
- kommunegraenser.geojson  optional, for the report's map

Missing or broken reference data never stops a load: the tables are then empty (the figures that need
them are null and say why), and each problem is reported in Danish."""

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
    problems: list[str] = field(default_factory=list)
    has_map: bool = False


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
    con.execute(f"DROP TABLE {res.table}")
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
    m = re.match(r"^(\d{3,4})\b", v)
    if m:
        return canonical_kommunekode(m.group(1))
    key = header_key(re.sub(r"\s+kommune$", "", v, flags=re.I))
    return names.get(key)


def parse_befolkning(headers: list[str], rows: list[tuple], source: str) -> tuple[list[tuple], list[str]]:
    """Rows (kommunekode, aar, indbyggere, kilde) from FOLK1A or the simple form."""
    problems: list[str] = []
    out: dict[tuple[str, int], int] = {}
    valid = set(code_lists.codes("kommunekode"))
    if {"kommunekode", "aar", "indbyggere"} <= set(headers):
        ik, ia, ii = (headers.index(h) + 1 for h in ("kommunekode", "aar", "indbyggere"))
        for r in rows:
            k, aar, n = canonical_kommunekode(r[ik] or ""), _num(r[ia]), _num(r[ii])
            if k in valid and aar and n is not None:
                out[(k, int(aar))] = int(n)
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
                out[(k, int(m.group(1)))] = int(n)
        for area in sorted(unknown):
            problems.append(f"{source}: området '{area}' kendes ikke som kommune og er sprunget over.")
    else:
        problems.append(
            f"{source}: kolonnerne passer hverken til FOLK1A (OMRÅDE;…;TID;INDHOLD) eller til "
            "kommunekode;aar;indbyggere – filen er ikke brugt."
        )
    return [(k, a, n, source) for (k, a), n in sorted(out.items())], problems


def _is_total(v: str) -> bool:
    f = fold(v)
    return "i alt" in f or f in {"tot", "ialt", "total"}


def load_reference(con, reference_dir: Path, tmp: Path) -> ReferenceReport:
    """(Re)load every reference table from the folder. Never raises for bad data."""
    report = ReferenceReport()
    con.execute(REFERENCE_DDL)
    if not reference_dir.exists():
        return report
    for path in sorted(p for p in reference_dir.iterdir() if p.is_file()):
        name = fold(path.name)
        if path.suffix.lower() == ".geojson":
            report.has_map = _check_geojson(path, report)
            _record(con, path, 0, "indlæst" if report.has_map else "ikke brugt")
            continue
        if path.suffix.lower() not in (".csv", ".txt"):
            continue
        try:
            headers, rows = _rows(con, path, tmp)
        except ReadError as e:
            report.problems.append(f"{path.name}: {e}")
            _record(con, path, 0, "ikke læsbar")
            continue
        used = 0
        if name.startswith("befolkning"):
            data, problems = parse_befolkning(headers, rows, path.name)
            report.problems += problems
            if data:
                con.executemany("INSERT INTO reference.befolkning VALUES (?, ?, ?, ?)", data)
            used = len(data)
        elif name.startswith("graddage_normalaar"):
            used = _simple(
                con,
                report,
                path,
                headers,
                rows,
                "graddage_normalaar",
                ["graddage", "kilde"],
                lambda v: (_num(v[0]), v[1]),
            )
        elif name.startswith("graddage"):
            used = _simple(
                con,
                report,
                path,
                headers,
                rows,
                "graddage",
                ["maaned", "graddage"],
                lambda v, src=path.name: (_month(v[0]), _num(v[1]), src),
            )
        elif name.startswith("emissionsfaktor"):
            used = _simple(
                con,
                report,
                path,
                headers,
                rows,
                "emissionsfaktorer",
                ["forsyningsart", "aar", "g_co2e_pr_kwh", "kilde"],
                lambda v: (_code(v[0]), _int(v[1]), _num(v[2]), v[3]),
            )
        elif name.startswith("deltagere"):
            used = _simple(
                con,
                report,
                path,
                headers,
                rows,
                "deltagere",
                ["kommunekode", "aar"],
                lambda v: (_kommune(v[0]), _int(v[1])),
            )
        else:
            report.problems.append(
                f"{path.name}: filnavnet passer ikke til nogen referencedata og er ikke brugt."
            )
            _record(con, path, 0, "ukendt")
            continue
        report.loaded[path.name] = used
        _record(con, path, used, "indlæst")
    return report


def _record(con, path: Path, rows: int, status: str) -> None:
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    con.execute("INSERT INTO reference.filer VALUES (?, ?, ?, ?)", [path.name, sha, rows, status])


def _simple(con, report, path, headers, rows, table, columns, convert) -> int:
    missing = [c for c in columns if header_key(c) not in headers]
    if missing:
        report.problems.append(f"{path.name}: kolonne mangler: {', '.join(missing)} – filen er ikke brugt.")
        return 0
    idx = [headers.index(header_key(c)) + 1 for c in columns]
    good = []
    for r in rows:
        values = convert([r[i] for i in idx])
        if any(v is None for v in values[: len(columns) - (1 if columns[-1] == "kilde" else 0)]):
            report.problems.append(f"{path.name} række {r[0]}: ugyldig værdi – rækken springes over.")
            continue
        good.append(values)
    if good:
        marks = ", ".join("?" for _ in good[0])
        con.executemany(f"INSERT INTO reference.{table} VALUES ({marks})", good)
    return len(good)


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
        report.problems.append(f"{path.name}: ikke en GeoJSON FeatureCollection – kortet vises ikke.")
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
