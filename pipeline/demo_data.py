"""Deterministic demo submissions that look like what municipalities really send: Danish labels and
Windows-1252 from Excel in some municipalities, UTF-8 and contract names in others, an Eloverblik export,
heat in MWh with inclusive date-only period ends, water per quarter across the year boundary, a meter
shared by two buildings, a building with missing heat months (coverage below 95 %), and one broken row.

Same arguments, same bytes."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.contract import codes as code_lists

CPH = ZoneInfo("Europe/Copenhagen")
# Share of a year's heat per month (a Danish degree-day shape).
HEAT_SHAPE = [0.165, 0.15, 0.13, 0.085, 0.04, 0.012, 0.006, 0.007, 0.03, 0.08, 0.13, 0.165]
BUILDING_TYPES = [  # (anvendelseskode, name, sektor given or blank, m² range)
    (421, "Skole", "", (3000, 12000)),
    (441, "Børnehus", "dagtilbud", (400, 1200)),
    (442, "Plejecenter", "aeldre", (2000, 8000)),
    (321, "Rådhus", "administration", (2000, 9000)),
    (533, "Idrætshal", "", (1200, 3500)),
    (413, "Bibliotek", "kultur", (600, 2500)),
]


@dataclass
class DemoBuilding:
    bygning_id: str
    navn: str
    anvendelseskode: int
    sektor: str
    areal: float
    opfoerelsesaar: int
    el_kwh_m2: float
    varme_kwh_m2: float
    vand_m3_m2: float
    el_maaler: str
    varme_maaler: str
    vand_maaler: str


def _da_num(x: float, decimals: int = 2) -> str:
    s = f"{x:,.{decimals}f}"
    return s.replace(",", "X").replace(".", ",").replace("X", ".")


def _buildings(rng: random.Random, k: str, n: int) -> list[DemoBuilding]:
    out = []
    for i in range(n):
        kode, navn, sektor, (lo, hi) = BUILDING_TYPES[i % len(BUILDING_TYPES)]
        areal = round(rng.uniform(lo, hi), 1)
        out.append(
            DemoBuilding(
                bygning_id=f"{k}-B{i + 1:03d}",
                navn=f"{navn} {i + 1}",
                anvendelseskode=kode,
                sektor=sektor,
                areal=areal,
                opfoerelsesaar=rng.randint(1930, 2015),
                el_kwh_m2=rng.uniform(25, 65),
                varme_kwh_m2=rng.uniform(70, 160),
                vand_m3_m2=rng.uniform(0.08, 0.3),
                el_maaler=f"5713131{int(k):04d}{i + 1:07d}",
                varme_maaler=f"FV-{k}-{i + 1:03d}",
                vand_maaler=f"V-{k}-{i + 1:03d}",
            )
        )
    return out


def _write(
    path: Path,
    rows: list[list[str]],
    *,
    delimiter: str,
    encoding: str,
    bom: bool = False,
    crlf: bool = False,
    trailing: bool = False,
) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    for r in rows:
        w.writerow(r + ([""] if trailing else []))
    path.parent.mkdir(parents=True, exist_ok=True)
    data = buf.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def _eloverblik(path: Path, b: DemoBuilding, aar: int, rng: random.Random) -> None:
    """An hourly Eloverblik export for the year, local time, DST as Eloverblik writes it."""
    rows = [["Målepunkt id", "Fra dato", "Til dato", "Mængde", "Måleenhed", "Kvalitet", "Type"]]
    start = datetime(aar, 1, 1, tzinfo=CPH).astimezone(UTC)
    end = datetime(aar + 1, 1, 1, tzinfo=CPH).astimezone(UTC)
    hours = int((end - start).total_seconds() // 3600)
    per_hour = b.el_kwh_m2 * b.areal / hours
    quarter: dict[int, float] = {}
    t = start
    while t < end:
        local = t.astimezone(CPH)
        nominal_end = local.replace(tzinfo=None) + timedelta(hours=1)
        day = 1.6 if 7 <= local.hour < 17 and local.weekday() < 5 else 0.55
        kwh = round(per_hour * day * rng.uniform(0.8, 1.2), 3)
        quarter[(local.month - 1) // 3] = quarter.get((local.month - 1) // 3, 0) + kwh
        rows.append(
            [
                b.el_maaler,
                local.strftime("%Y-%m-%d %H.%M"),
                nominal_end.strftime("%Y-%m-%d %H.%M"),
                _da_num(kwh, 3),
                "KWH",
                "Målt",
                "Tidsserier",
            ]
        )
        t += timedelta(hours=1)
    for q, total in sorted(quarter.items()):
        fra = date(aar, 3 * q + 1, 1)
        til = date(aar + (q == 3), (3 * q + 3) % 12 + 1, 1)
        rows.append(
            [
                b.el_maaler,
                f"{fra:%Y-%m-%d} 00.00",
                f"{til:%Y-%m-%d} 00.00",
                _da_num(total, 3),
                "KWH",
                "Målt",
                "Måling",
            ]
        )
    _write(path, rows, delimiter=";", encoding="utf-8", bom=True, crlf=True, trailing=True)


def generate(
    landing: Path,
    kommuner: int = 5,
    aar: list[int] | None = None,
    seed: int = 1,
    bygninger_pr_kommune: int = 12,
) -> list[Path]:
    """Write demo submissions under `landing/`. Returns the submission folders."""
    years = aar or [2023, 2024]
    rng = random.Random(seed)
    codes = list(code_lists.codes("kommunekode"))
    chosen = sorted(rng.sample(codes, kommuner))
    folders = []
    for idx, k in enumerate(chosen):
        buildings = _buildings(rng, k, bygninger_pr_kommune)
        danish_excel = idx % 2 == 0  # Danish labels, ';', Windows-1252, decimal comma
        folder_name = k.lstrip("0") if idx % 3 == 2 else k  # some write 101/ for 0101
        for y in years:
            folder = landing / folder_name / str(y)
            folders.append(folder)
            _submission(folder, buildings, y, rng, danish_excel)
    return folders


def _submission(
    folder: Path, buildings: list[DemoBuilding], y: int, rng: random.Random, danish_excel: bool
) -> None:
    enc = "cp1252" if danish_excel else "utf-8"
    sep = ";" if danish_excel else ","

    def num(x: float, d: int = 2) -> str:
        return _da_num(x, d) if danish_excel else f"{x:.{d}f}"

    # bygninger
    if danish_excel:
        head = [
            "Bygnings-id",
            "Navn",
            "BBR-anvendelseskode",
            "Sektor",
            "Bruttodriftsareal (m²)",
            "Opførelsesår",
            "Ejerforhold",
            "Postnummer",
        ]
    else:
        head = [
            "bygning_id",
            "navn",
            "anvendelseskode",
            "sektor",
            "bruttodriftsareal_m2",
            "opfoerelsesaar",
            "ejerforhold",
            "postnummer",
        ]
    rows = [head]
    for b in buildings:
        rows.append(
            [
                b.bygning_id,
                b.navn,
                str(b.anvendelseskode),
                b.sektor,
                num(b.areal, 1),
                str(b.opfoerelsesaar),
                "Ejet" if danish_excel else "ejet",
                "9000",
            ]
        )
    _write(folder / "bygninger.csv", rows, delimiter=sep, encoding=enc, crlf=danish_excel)

    # maalere: buildings 2 and 3 share one district-heating meter (60/40)
    rows = [["maaler_id", "bygning_id", "forsyningsart", "andel"]]
    shared = buildings[2].varme_maaler if len(buildings) > 3 else None
    for i, b in enumerate(buildings):
        rows.append([b.el_maaler, b.bygning_id, "el", ""])
        if shared and i == 2:
            rows.append([shared, b.bygning_id, "fjernvarme", num(0.6, 1)])
        elif shared and i == 3:
            rows.append([shared, b.bygning_id, "fjernvarme", num(0.4, 1)])
        else:
            rows.append([b.varme_maaler, b.bygning_id, "fjernvarme", ""])
        rows.append([b.vand_maaler, b.bygning_id, "vand", ""])
    _write(folder / "maalere.csv", rows, delimiter=sep, encoding=enc)

    # el: the first building as an Eloverblik export, the rest monthly
    _eloverblik(folder / "forbrug" / f"{buildings[0].el_maaler}.csv", buildings[0], y, rng)
    rows = [["maaler_id", "periode_fra", "periode_til", "maengde", "enhed"]]
    for b in buildings[1:]:
        for m in range(1, 13):
            fra = date(y, m, 1)
            til = date(y + (m == 12), m % 12 + 1, 1)
            rows.append(
                [
                    b.el_maaler,
                    fra.isoformat(),
                    til.isoformat(),
                    num(b.el_kwh_m2 * b.areal / 12 * rng.uniform(0.85, 1.15)),
                    "kWh",
                ]
            )
    rows.append([buildings[1].el_maaler, f"{y}-13-01", f"{y}-02-01", "100", "kWh"])  # a broken row
    _write(folder / "forbrug_el.csv", rows, delimiter=sep, encoding=enc)

    # heat: monthly MWh with inclusive date-only ends (01.01–31.01); building 5 misses two months
    rows = [["maaler_id", "periode_fra", "periode_til", "maengde", "enhed"]]
    heat_meters = {}
    for i, b in enumerate(buildings):
        if shared and i == 3:
            continue
        area = b.areal + (buildings[3].areal if shared and i == 2 else 0)
        heat_meters[b.varme_maaler] = b.varme_kwh_m2 * area
    for i, (meter, year_kwh) in enumerate(heat_meters.items()):
        for m in range(1, 13):
            if i == 4 and m in (6, 7):
                continue
            fra = date(y, m, 1)
            til = date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
            rows.append(
                [
                    meter,
                    fra.strftime("%d.%m.%Y"),
                    til.strftime("%d.%m.%Y"),
                    num(year_kwh * HEAT_SHAPE[m - 1] / 1000 * rng.uniform(0.9, 1.1), 3),
                    "MWh",
                ]
            )
    _write(folder / "forbrug_varme.csv", rows, delimiter=sep, encoding=enc)

    # water: quarterly periods from 1 Dec, across the year boundary
    rows = [["maaler_id", "periode_fra", "periode_til", "maengde", "enhed"]]
    for b in buildings:
        per_day = b.vand_m3_m2 * b.areal / 365
        bounds = [
            date(y - 1, 12, 1),
            date(y, 3, 1),
            date(y, 6, 1),
            date(y, 9, 1),
            date(y, 12, 1),
            date(y + 1, 3, 1),
        ]
        for fra, til in zip(bounds, bounds[1:], strict=False):
            rows.append(
                [
                    b.vand_maaler,
                    fra.isoformat(),
                    til.isoformat(),
                    num(per_day * (til - fra).days * rng.uniform(0.9, 1.1), 2),
                    "m3",
                ]
            )
    _write(folder / "forbrug_vand.csv", rows, delimiter=sep, encoding=enc)
