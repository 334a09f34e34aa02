"""Deterministic demo submissions that look like what municipalities really send: Danish labels and
Windows-1252 from Excel in some municipalities, UTF-8 and contract names in others, an Eloverblik export,
heat in MWh with inclusive date-only period ends, water per quarter across the year boundary, a meter
shared by two buildings, a building with missing heat months (coverage below daekning_min_pct), every other dataset
(expenses, condition, indoor climate, usage, utilisation, support) in CSV, a workbook or JSON, reference
data (FOLK1A as downloaded, degree days, emission factors, participants) and a few deliberate errors of
each kind.

Same arguments, same bytes."""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.contract import codes as code_lists
from pipeline.text import da_number

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
                da_number(kwh, 3),
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
                da_number(total, 3),
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
    reference: Path | None = None,
) -> list[Path]:
    """Write demo submissions under `landing/` (and reference data under `reference/` when given).
    Returns the submission folders."""
    years = aar or [2023, 2024]
    rng = random.Random(seed)
    codes = list(code_lists.codes("kommunekode"))
    chosen = sorted(rng.sample(codes, kommuner))
    folders = []
    for idx, k in enumerate(chosen):
        buildings = _buildings(rng, k, bygninger_pr_kommune)
        danish_excel = idx % 2 == 0  # Danish labels, ';', Windows-1252, decimal comma
        folder_name = k.lstrip("0") if idx % 3 == 2 else k  # some write 101/ for 0101
        fmt = ("csv", "xlsx", "json")[idx % 3]
        for y in years:
            folder = landing / folder_name / str(y)
            folders.append(folder)
            _submission(folder, buildings, y, rng, danish_excel)
            _other_datasets(folder, buildings, y, rng, danish_excel, fmt)
    if reference is not None:
        _reference(reference, chosen, years, rng)
    return folders


def _submission(
    folder: Path, buildings: list[DemoBuilding], y: int, rng: random.Random, danish_excel: bool
) -> None:
    enc = "cp1252" if danish_excel else "utf-8"
    sep = ";" if danish_excel else ","

    def num(x: float, d: int = 2) -> str:
        return da_number(x, d) if danish_excel else f"{x:.{d}f}"

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


PRIMARY_USER = {
    "skole": ("elev", 12.0),
    "dagtilbud": ("barn", 7.0),
    "aeldre": ("beboer", 60.0),
    "administration": ("ansat", 25.0),
}
KR_PR_M2 = {  # (low, high) kr per m² per year for each kontogruppe
    "teknisk_service": (40, 90),
    "rengoering": (80, 160),
    "vedligehold_indvendig": (20, 70),
    "vedligehold_udvendig": (20, 90),
    "vedligehold_installationer": (15, 50),
    "forsyning_el": (30, 80),
    "forsyning_varme": (40, 110),
    "forsyning_vand": (5, 20),
    "skatter_afgifter_forsikring": (10, 30),
    "administration": (5, 20),
    "udearealer": (5, 30),
    "oevrige": (0, 10),
}
PARTS = (
    "tag",
    "facader",
    "vinduer_doere",
    "fundament",
    "indvendige_overflader",
    "varme_vvs",
    "ventilation",
    "el_installationer",
)


def _sector(b: DemoBuilding) -> str:
    return b.sektor or {421: "skole", 533: "idraet"}.get(b.anvendelseskode, "oevrige")


def _other_datasets(
    folder: Path, buildings: list[DemoBuilding], y: int, rng: random.Random, danish_excel: bool, fmt: str
) -> None:
    """udgifter, vedligehold, indeklima, anvendelse, udnyttelse, understoettelse – with a few errors."""
    enc, sep = ("cp1252", ";") if danish_excel else ("utf-8", ",")

    def num(x: float, d: int = 2) -> str:
        return da_number(x, d) if danish_excel else f"{x:.{d}f}"

    # udgifter: every group for most buildings, none for the last (its expense figures are null); a refund
    rows = [["bygning_id", "kontogruppe", "kildekonto", "beloeb_kr"]]
    for b in buildings[:-1]:
        for group, (lo, hi) in KR_PR_M2.items():
            rows.append(
                [b.bygning_id, group, f"3.22.01.{rng.randint(1, 9)}", num(b.areal * rng.uniform(lo, hi))]
            )
    rows.append([buildings[0].bygning_id, "oevrige", "refusion", num(-12500.0)])  # warning: negative
    _write(folder / "udgifter.csv", rows, delimiter=sep, encoding=enc)

    # vedligehold: every part, assessed 0-4 years ago; one too old (warning), one duplicate pair (error)
    rows = [["bygning_id", "bygningsdel", "karakter", "vurderingsdato", "vurderet_af"]]
    for b in buildings:
        base = rng.choice([1, 2, 2, 3, 3, 4])
        when = date(y - rng.randint(0, 4), rng.randint(1, 12), rng.randint(1, 28))
        for part in PARTS:
            rows.append(
                [
                    b.bygning_id,
                    part,
                    str(min(5, max(1, base + rng.choice([-1, 0, 0, 1])))),
                    when.isoformat(),
                    "Ejendomsafdelingen",
                ]
            )
    rows.append([buildings[1].bygning_id, "tag", "3", date(y - 7, 5, 1).isoformat(), "Gammel rapport"])
    rows.append([buildings[2].bygning_id, "tag", "2", f"{y}-03-01", "A"])
    rows.append([buildings[2].bygning_id, "tag", "4", f"{y}-03-01", "B"])
    _write(folder / "vedligehold.csv", rows, delimiter=sep, encoding=enc)

    # indeklima_maalinger: two classrooms of the first school, 10-minute readings in February and
    # September; one room reports i_brug, the other uses the default schedule; one impossible CO2 value
    rows = [["bygning_id", "lokale_id", "tidspunkt", "co2_ppm", "temperatur_c", "i_brug"]]
    school = next((b for b in buildings if _sector(b) == "skole"), buildings[0])
    for room, with_use, ventilation in (("K1.01", True, 1.0), ("K1.02", False, 1.5)):
        for month in (2, 9):
            t = datetime(y, month, 1)
            while t.month == month:
                occupied = t.weekday() < 5 and 8 <= t.hour < 15
                co2 = 420 + (rng.uniform(300, 900) * ventilation if occupied else rng.uniform(0, 60))
                temp = (21.5 if occupied else 19.0) + rng.uniform(-1.5, 2.5)
                rows.append(
                    [
                        school.bygning_id,
                        room,
                        t.strftime("%Y-%m-%d %H:%M"),
                        num(co2, 0),
                        num(temp, 1),
                        ("ja" if occupied else "nej") if with_use else "",
                    ]
                )
                t += timedelta(minutes=10)
    rows.append([school.bygning_id, "K1.01", f"{y}-02-03 09:05", "50", "21", "ja"])  # error: CO2 < 250
    _write(folder / "indeklima_maalinger.csv", rows, delimiter=sep, encoding=enc)

    # indeklima_vurderinger: screening grades for rooms without sensors
    rows = [["bygning_id", "lokale_id", "karakter", "metode", "vurderingsdato"]]
    for b in buildings[1:4]:
        for r in range(1, 4):
            rows.append([b.bygning_id, f"R{r}", str(rng.randint(1, 5)), "screening", f"{y}-04-15"])
    _write(folder / "indeklima_vurderinger.csv", rows, delimiter=sep, encoding=enc)

    # anvendelse: half-years per building; the sports hall per room; one row above the available hours
    records = []
    for b in buildings:
        for fra, til, avail in ((f"{y}-01-01", f"{y}-06-30", 1040.0), (f"{y}-07-01", f"{y}-12-31", 1000.0)):
            used = avail * rng.uniform(0.2, 0.9)
            if _sector(b) == "idraet":
                for room in ("Hal A", "Hal B"):
                    records.append(
                        {
                            "bygning_id": b.bygning_id,
                            "lokale_id": room,
                            "periode_fra": fra,
                            "periode_til": til,
                            "timer_til_raadighed": avail / 2,
                            "timer_booket": round(used * 0.6, 1),
                            "timer_anvendt": round(used / 2, 1),
                            "metode": "booking",
                        }
                    )
            else:
                records.append(
                    {
                        "bygning_id": b.bygning_id,
                        "periode_fra": fra,
                        "periode_til": til,
                        "timer_til_raadighed": avail,
                        "timer_booket": round(min(avail, used * 1.3), 1),
                        "timer_anvendt": round(used, 1),
                        "metode": rng.choice(["booking", "sensor"]),
                    }
                )
    records[0]["timer_anvendt"] = 2000.0  # error: more than available
    if fmt == "json":
        (folder / "anvendelse.json").write_text(
            json.dumps({"rows": records}, ensure_ascii=False, indent=1), encoding="utf-8"
        )
    else:
        cols = [
            "bygning_id",
            "lokale_id",
            "periode_fra",
            "periode_til",
            "timer_til_raadighed",
            "timer_booket",
            "timer_anvendt",
            "metode",
        ]
        _write(
            folder / "anvendelse.csv",
            [cols] + [[_cell(r.get(c), num) for c in cols] for r in records],
            delimiter=sep,
            encoding=enc,
        )

    # udnyttelse and understoettelse: in a workbook for some municipalities
    udn = [["bygning_id", "brugertype", "kapacitet", "brugere"]]
    und = [["bygning_id", "aktivitet", "karakter", "antal_besvarelser", "metode"]]
    for b in buildings:
        sector = _sector(b)
        if sector in PRIMARY_USER:
            kind, m2 = PRIMARY_USER[sector]
            cap = max(1, int(b.areal / m2))
            udn.append([b.bygning_id, kind, cap, int(cap * rng.uniform(0.5, 1.05))])
        und.append(
            [
                b.bygning_id,
                sector,
                round(rng.uniform(1.3, 4.2), 1),
                rng.randint(12, 120),
                "brugerundersoegelse",
            ]
        )
        und.append([b.bygning_id, sector, float(rng.randint(1, 5)), 1, "faglig_vurdering"])
    if fmt == "xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for name, rows in (("udnyttelse", udn), ("understoettelse", und)):
            ws = wb.create_sheet(name)
            for r in rows:
                ws.append(r)
        wb.save(folder / "indberetning.xlsx")
    else:
        for name, rows in (("udnyttelse", udn), ("understoettelse", und)):
            _write(
                folder / f"{name}.csv",
                [[_cell(v, num) for v in r] for r in rows],
                delimiter=sep,
                encoding=enc,
            )


def _cell(v, num) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return num(v, 1)
    return str(v)


def _reference(reference: Path, chosen: list[str], years: list[int], rng: random.Random) -> None:
    """FOLK1A as downloaded (Windows-1252, names), degree days, emission factors and participants."""
    names = {r["kommunekode"]: r["kommunenavn"] for r in code_lists.seed_rows("kommuner.csv")}
    rows = [
        ["OMRÅDE", "KØN", "ALDER", "TID", "INDHOLD"],
        ["Hele landet", "Køn i alt", "Alder i alt", f"{years[0]}K1", "5932654"],
    ]
    for k in chosen:
        pop = rng.randint(20_000, 350_000)
        for y in years:
            for q in (1, 2):
                rows.append(
                    [names[k], "Køn i alt", "Alder i alt", f"{y}K{q}", str(pop + (y - years[0]) * 500 + q)]
                )
    reference.mkdir(parents=True, exist_ok=True)
    _write(reference / "befolkning_folk1a.csv", rows, delimiter=";", encoding="cp1252")
    normal = [519, 470, 431, 301, 165, 55, 20, 25, 107, 245, 373, 461]  # Dansk Fjernvarme, sums to 3112
    rows = [["maaned", "graddage"]]
    for y in years:
        factor = rng.uniform(0.82, 0.98)
        rows += [
            [f"{y}-{m:02d}", da_number(gd * factor * rng.uniform(0.9, 1.1), 1)]
            for m, gd in enumerate(normal, 1)
        ]
    _write(reference / "graddage.csv", rows, delimiter=";", encoding="utf-8")
    rows = [["forsyningsart", "aar", "g_co2e_pr_kwh", "kilde"]]
    for y in years:
        rows += [
            ["el", str(y), da_number(130 - 10 * (y - years[0]), 1), "Energinet miljødeklaration (demo)"],
            ["fjernvarme", str(y), "72", "Varedeklaration (demo)"],
            ["naturgas", str(y), "204", "Energistyrelsen (demo)"],
            ["olie", str(y), "266", "Energistyrelsen (demo)"],
        ]
    _write(reference / "emissionsfaktorer.csv", rows, delimiter=";", encoding="utf-8")
    missing = next(k for k in code_lists.codes("kommunekode") if k not in chosen)  # expected but silent
    _write(
        reference / "deltagere.csv",
        [["kommunekode", "aar"]] + [[k, str(y)] for k in [*chosen, missing] for y in years],
        delimiter=";",
        encoding="utf-8",
    )
