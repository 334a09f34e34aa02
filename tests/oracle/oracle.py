"""The oracle: kkm2's building-level key figures (`mart_noegletal_bygning`) and their municipality
aggregation (`mart_noegletal_kommune`) recomputed in plain Python/pandas from a home folder's submitted files
(`landing/<kommunekode>/<aar>/`), its reference files (`reference/`) and the repository's seed CSVs.

Written from shared/design/KEY_FIGURES.md and INFORMATION_MODEL.md only (issue 17). Nothing is imported from
pipeline/ or read from models/: where the spec leaves a choice open, the choice is made here and marked
`DECISION:` in a comment (the closing note of issue 17 lists them).

Instants are handled as float hours since the Unix epoch (UTC); local time is Europe/Copenhagen."""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from . import files as F

CPH = ZoneInfo("Europe/Copenhagen")
SEEDS = F.REPO / "seeds"
HEAT = ("fjernvarme", "naturgas", "olie")
GROUP_OF = {"el": "el", "fjernvarme": "varme", "naturgas": "varme", "olie": "varme", "vand": "vand"}
UNITS = {"kwh": "kWh", "mwh": "MWh", "gj": "GJ", "m3": "m3", "liter": "liter", "nm3": "Nm3"}

BUILDING_FIGURES = (
    "bda_m2",
    "driftsudgift_pr_m2",
    "vedligeholdelsesudgift_pr_m2",
    "rengoeringsudgift_pr_m2",
    "forsyningsudgift_pr_m2",
    "samlet_udgift_pr_m2",
    "el_kwh_pr_m2",
    "varme_kwh_pr_m2",
    "varme_kwh_pr_m2_normaliseret",
    "vand_m3_pr_m2",
    "co2e_kg_pr_m2",
    "vedligeholdelsestilstand",
    "andel_timer_co2_over_1000",
    "andel_timer_temp_uden_for_20_26",
    "indeklima_karakter",
    "anvendelsesgrad_pct",
    "bookingsgrad_pct",
    "udnyttelsesgrad_pct",
    "m2_pr_bruger",
    "understoettelsesgrad",
    "el_daekning_pct",
    "varme_daekning_pct",
    "vand_daekning_pct",
    "vedligehold_vurderet_vaegt_pct",
)


# ---- seeds ----------------------------------------------------------------------------------------------


def seed(name: str) -> list[dict]:
    with open(SEEDS / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@dataclass
class Seeds:
    sektor_of_code: dict = field(default_factory=dict)
    sektorer: dict = field(default_factory=dict)  # kode -> row
    kontogruppe: dict = field(default_factory=dict)  # kode -> noegletal_gruppe
    parts: dict = field(default_factory=dict)  # bygningsdel -> weight
    factor: dict = field(default_factory=dict)  # (forsyningsart, enhed) -> factor
    grades: list = field(default_factory=list)  # [(andel_pct_hoejst, karakter)] ascending
    climate: dict = field(default_factory=dict)
    holidays: set = field(default_factory=set)
    gd_normal: float = 0.0
    catalogue: list = field(default_factory=list)
    kommuner: dict = field(default_factory=dict)  # kode -> row
    codes: dict = field(default_factory=dict)  # liste -> set
    min_hours: float = 40.0

    @classmethod
    def load(cls) -> Seeds:
        s = cls()
        s.sektor_of_code = {int(r["anvendelseskode"]): r["sektor"] for r in seed("bbr_anvendelseskoder")}
        s.sektorer = {r["kode"]: r for r in seed("sektorer")}
        s.kontogruppe = {r["kode"]: r["noegletal_gruppe"] for r in seed("kontogrupper")}
        s.parts = {r["kode"]: float(r["vaegt"]) for r in seed("bygningsdele")}
        s.factor = {(r["forsyningsart"], r["enhed"]): float(r["faktor"]) for r in seed("enhedsomregning")}
        s.grades = sorted(
            (float(r["andel_pct_hoejst"]), int(r["karakter"])) for r in seed("indeklima_graenser")
        )
        s.climate = seed("indeklima_parametre")[0]
        s.holidays = {date.fromisoformat(r["dato"]) for r in seed("helligdage")}
        s.gd_normal = float(seed("graddage_normalaar")[0]["graddage"])
        s.catalogue = seed("dim_noegletal")
        s.kommuner = {r["kommunekode"]: r for r in seed("kommuner")}
        for r in seed("kodelister"):
            s.codes.setdefault(r["liste"], set()).add(r["kode"])
        params = {r["parameter"]: float(r["vaerdi"]) for r in seed("parametre")}
        s.min_hours = params.get("min_brugte_rumtimer", 40.0)
        return s

    def f_climate_independent(self, sektor: str) -> float:
        r = self.sektorer.get(sektor)
        return float(r["klimauafhaengig_andel"]) if r and r["klimauafhaengig_andel"] else 0.25

    def primary_user(self, sektor: str) -> str:
        r = self.sektorer.get(sektor)
        return r["primaer_brugertype"] if r else "bruger"

    def grade(self, share_pct: float) -> int:
        for limit, k in self.grades:
            if share_pct <= limit + 1e-9:
                return k
        return self.grades[-1][1]


# ---- time ---------------------------------------------------------------------------------------------


def hours(dt: datetime) -> float:
    return dt.timestamp() / 3600.0


def midnight(d: date) -> float:
    return hours(datetime(d.year, d.month, d.day, tzinfo=CPH))


def _offsets(naive: datetime):
    a = naive.replace(tzinfo=CPH, fold=0).utcoffset()
    b = naive.replace(tzinfo=CPH, fold=1).utcoffset()
    return a, b


def is_ambiguous(naive: datetime) -> bool:
    """The repeated autumn hour (or the missing spring hour: both have two candidate offsets)."""
    a, b = _offsets(naive)
    return a != b


def is_repeated(naive: datetime) -> bool:
    a, b = _offsets(naive)
    return a > b  # autumn: summer offset (fold 0) is larger


class Occurrences:
    """The repeated autumn hour in file order (INFORMATION_MODEL.md, Time): per series and column, the first
    occurrence of a repeated wall time is summer time, the next ones winter time."""

    def __init__(self):
        self.seen: dict = defaultdict(int)

    def instant(self, series, column: str, naive: datetime) -> float:
        if is_repeated(naive):
            n = self.seen[(series, column, naive)]
            self.seen[(series, column, naive)] += 1
            # DECISION: a third or later occurrence of the same wall time is also winter time.
            return hours(naive.replace(tzinfo=CPH, fold=0 if n == 0 else 1))
        # DECISION: a wall time in the missing spring hour is read with the winter offset (02:30 -> 03:30
        # summer time); kkm2's generated cases never write one.
        return hours(naive.replace(tzinfo=CPH, fold=0))


def local_of(h: float) -> datetime:
    return datetime.fromtimestamp(h * 3600.0, tz=UTC).astimezone(CPH)


def overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def union_length(intervals: list[tuple[float, float]]) -> float:
    total, cur0, cur1 = 0.0, None, None
    for a, b in sorted(i for i in intervals if i[1] > i[0]):
        if cur1 is None or a > cur1:
            if cur1 is not None:
                total += cur1 - cur0
            cur0, cur1 = a, b
        else:
            cur1 = max(cur1, b)
    if cur1 is not None:
        total += cur1 - cur0
    return total


def merge(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for a, b in sorted(i for i in intervals if i[1] > i[0]):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


# ---- reference data -------------------------------------------------------------------------------------


@dataclass
class Reference:
    graddage: dict  # (year, month) -> degree days; conflicting keys absent
    gd_normal: float
    emission: dict  # (forsyningsart, aar) -> g/kWh; conflicting keys absent
    population: dict  # (kommunekode, aar) -> inhabitants; conflicting keys absent


def _grain(items: list[tuple]) -> dict:
    """One value per key across all files of a kind: an identical duplicate counts once, a conflicting key
    is not used at all (INFORMATION_MODEL.md, Reference data)."""
    values: dict = defaultdict(set)
    for k, v in items:
        values[k].add(round(v, 9))
    return {k: next(iter(v)) for k, v in values.items() if len(v) == 1}


def _ref_rows(path: Path) -> tuple[list[str], list[list[str]], bool]:
    grid, danish = F._csv(path)
    return [F.key(h) for h in grid[0]], grid[1:], danish


def read_reference(folder: Path, s: Seeds) -> Reference:
    gd, em, pop = [], [], []
    normal = s.gd_normal
    names = {}
    for k, r in s.kommuner.items():
        names[F.key(r["kommunenavn"])] = k
        for old in (r.get("tidligere_navne") or "").split("|"):
            if old.strip():
                names[F.key(old)] = k
    for p in sorted(folder.glob("*")) if folder.exists() else []:
        if not p.is_file() or p.suffix.lower() not in (".csv", ".txt"):
            continue
        name = F.fold(p.name)
        head, rows, danish = _ref_rows(p)
        col = {h: i for i, h in enumerate(head)}

        def get(r, c, col=col):
            i = col.get(c)
            return r[i].strip() if i is not None and i < len(r) else ""

        if name.startswith("graddage_normalaar"):
            vals = [F.num(get(r, "graddage"), danish) for r in rows if get(r, "graddage")]
            if vals:
                normal = vals[0]
        elif name.startswith("graddage"):
            for r in rows:
                try:
                    y, m = (int(x) for x in get(r, "maaned")[:7].split("-"))
                    gd.append(((y, m), F.num(get(r, "graddage"), danish)))
                except (ValueError, TypeError):
                    continue
        elif name.startswith("emissionsfaktor"):
            for r in rows:
                try:
                    em.append(
                        (
                            (F.fold(get(r, "forsyningsart")), int(get(r, "aar"))),
                            F.num(get(r, "gco2eprkwh"), danish),
                        )
                    )
                except (ValueError, TypeError):
                    continue
        elif name.startswith("befolkning"):
            if "indbyggere" in col:
                for r in rows:
                    try:
                        pop.append(
                            (
                                (get(r, "kommunekode").zfill(4), int(get(r, "aar"))),
                                float(int(get(r, "indbyggere"))),
                            )
                        )
                    except ValueError:
                        continue
            else:  # FOLK1A as downloaded: OMRÅDE;...;TID;INDHOLD, the 1st quarter is the year's population
                for r in rows:
                    area, tid, val = get(r, "omraade"), get(r, "tid"), get(r, "indhold")
                    mt = re.match(r"^(\d{4})K1$", tid)
                    if not mt or not val:
                        continue
                    code_match = re.match(r"^(\d{3,4})\b", area)
                    k = code_match.group(1).zfill(4) if code_match else names.get(F.key(area))
                    if k in s.kommuner:
                        pop.append(((k, int(mt.group(1))), float(int(val.replace(".", "")))))
    return Reference(_grain(gd), normal, _grain(em), _grain(pop))


# ---- one submission -------------------------------------------------------------------------------------


@dataclass
class Building:
    bygning_id: str
    navn: str
    sektor: str
    ejerforhold: str
    areal: float
    bda: float
    use0: float  # in-use period [use0, use1) in hours
    use1: float


@dataclass
class Submission:
    kommunekode: str
    aar: int
    folder: Path
    tables: dict
    buildings: dict = field(default_factory=dict)
    rejected: list = field(default_factory=list)  # (dataset, source, row, reason): for debugging

    def reject(self, ds, t, i, reason):
        self.rejected.append((ds, t.source, i + 2, reason))


def discover(landing: Path) -> list[Submission]:
    subs = []
    for kfolder in sorted(landing.iterdir()) if landing.exists() else []:
        if not kfolder.is_dir() or not re.fullmatch(r"\d{3,4}", kfolder.name):
            continue
        for yfolder in sorted(kfolder.iterdir()):
            if yfolder.is_dir() and re.fullmatch(r"\d{4}", yfolder.name):
                subs.append(
                    Submission(kfolder.name.zfill(4), int(yfolder.name), yfolder, F.read_submission(yfolder))
                )
    return subs


def year_window(aar: int) -> tuple[float, float]:
    return midnight(date(aar, 1, 1)), midnight(date(aar + 1, 1, 1))


def days_in_year(aar: int) -> int:
    return (date(aar + 1, 1, 1) - date(aar, 1, 1)).days


def load_buildings(sub: Submission, s: Seeds) -> None:
    rows = [(t, i, r) for t in sub.tables["bygninger"] for i, r in enumerate(t.rows)]
    ids = [F.text(r.get("bygning_id")) for _, _, r in rows]
    dup = {b for b in ids if b is not None and ids.count(b) > 1}
    y0, y1 = date(sub.aar, 1, 1), date(sub.aar, 12, 31)
    for t, i, r in rows:
        try:
            b = F.text(r.get("bygning_id"))
            if b is None or len(b) > 64 or b in dup:
                raise ValueError("bygning_id")
            navn = F.text(r.get("navn"))
            if navn is None:
                raise ValueError("navn")
            kode = int(F.num(r.get("anvendelseskode"), t.danish))
            if kode not in s.sektor_of_code:
                raise ValueError("anvendelseskode")
            sektor = F.code(r.get("sektor")) or s.sektor_of_code[kode]
            if sektor not in s.sektorer:
                raise ValueError("sektor")
            areal = F.num(r.get("bruttodriftsareal_m2"), t.danish)
            if areal is None or not (0 < areal <= 200_000):
                raise ValueError("bruttodriftsareal_m2")
            ejer = F.code(r.get("ejerforhold"))
            if ejer not in s.codes["ejerforhold"]:
                raise ValueError("ejerforhold")
            fra = F.timestamp(r.get("i_brug_fra"))
            til = F.timestamp(r.get("i_brug_til"))
            d0 = fra[1] if fra else y0
            d1 = til[1] if til else y1
            d0 = d0.date() if isinstance(d0, datetime) else d0
            d1 = d1.date() if isinstance(d1, datetime) else d1
            if not (y0 <= d0 <= y1 and y0 <= d1 <= y1 and d0 <= d1):
                raise ValueError("i_brug")
        except (ValueError, TypeError) as e:
            sub.reject("bygninger", t, i, str(e))
            continue
        # Area: BDA × days in use / days in the year (KEY_FIGURES.md, Conventions).
        # DECISION: i_brug_til is an inclusive date (the building is in use all of that day), also when it is
        # the 1st of a month; the Time section's date-only rule is read as a rule for `forbrug` periods.
        days = (d1 - d0).days + 1
        sub.buildings[b] = Building(
            b,
            navn,
            sektor,
            ejer,
            areal,
            areal * days / days_in_year(sub.aar),
            midnight(d0),
            midnight(d1 + timedelta(days=1)),
        )


# ---- consumption ------------------------------------------------------------------------------------------


@dataclass
class MeterRow:
    bygning_id: str
    art: str
    andel: float
    w0: float
    w1: float


@dataclass
class Interval:
    maaler_id: str
    art: str
    start: float
    end: float
    amount: float  # kWh or m³
    bygning_id: str | None  # the building the row names


def load_meters(sub: Submission, s: Seeds) -> dict[str, list[MeterRow]]:
    y0, y1 = year_window(sub.aar)
    meters: dict[str, list[MeterRow]] = defaultdict(list)
    for t in sub.tables["maalere"]:
        for i, r in enumerate(t.rows):
            try:
                m = F.text(r.get("maaler_id"))
                b = F.text(r.get("bygning_id"))
                art = F.code(r.get("forsyningsart"))
                if m is None or b not in sub.buildings or art not in GROUP_OF:
                    raise ValueError("maaler/bygning/forsyningsart")
                andel = F.num(r.get("andel"), t.danish)
                andel = 1.0 if andel is None else andel
                if not (0 < andel <= 1):
                    raise ValueError("andel")
                fra, til = F.timestamp(r.get("aktiv_fra")), F.timestamp(r.get("aktiv_til"))
                # DECISION: aktiv_fra / aktiv_til are dates, aktiv_til inclusive (the meter serves the building
                # all of that day); a blank side is open (the whole year).
                w0 = midnight(_d(fra[1])) if fra else y0
                w1 = midnight(_d(til[1]) + timedelta(days=1)) if til else y1
            except (ValueError, TypeError) as e:
                sub.reject("maalere", t, i, str(e))
                continue
            meters[m].append(MeterRow(b, art, andel, w0, w1))
    # DECISION: the "shares sum to 1, else error" rule of maalere is not re-implemented (the generator only
    # writes shares that sum to 1 at every instant).
    return meters


def _d(v) -> date:
    return v.date() if isinstance(v, datetime) else v


def load_consumption(sub: Submission, s: Seeds, meters: dict) -> list[Interval]:
    """The `forbrug` rows as consumption intervals in base units (kWh, m³), before any building split."""
    occ = Occurrences()
    periods = []  # (meter, art, fra, til, amount, bygning, order) of maaletype forbrug
    readings = defaultdict(list)  # meter -> [(order, til, value, art, bygning)]
    order = 0
    for t in sub.tables["forbrug"]:
        for i, r in enumerate(t.rows):
            order += 1
            kind = F.code(r.get("_type"))
            if kind is not None and kind != "tidsserier":
                continue  # Eloverblik `Måling` rows: period totals from separate readings, skipped
            try:
                m = F.text(r.get("maaler_id"))
                if m is None:
                    raise ValueError("maaler_id")
                b = F.text(r.get("bygning_id"))
                if b is not None and b not in sub.buildings:
                    raise ValueError("ukendt bygning")
                if b is None and m not in meters:
                    raise ValueError("bygning mangler og måleren er ikke i maalere")
                art = F.code(r.get("forsyningsart")) or (meters[m][0].art if m in meters else None)
                if art not in GROUP_OF:
                    raise ValueError("forsyningsart")
                unit = UNITS.get(F.code(r.get("enhed")) or "")
                if (art, unit) not in s.factor:
                    raise ValueError("enhed")
                q = F.num(r.get("maengde"), t.danish)
                if q is None or q < 0:
                    raise ValueError("maengde")
                mt = F.code(r.get("maaletype")) or "forbrug"
                if mt not in ("forbrug", "aflaesning"):
                    raise ValueError("maaletype")
                til = F.timestamp(r.get("periode_til"))
                if til is None:
                    raise ValueError("periode_til")
                fra = F.timestamp(r.get("periode_fra"))
                if mt == "forbrug" and fra is None:
                    raise ValueError("periode_fra")
            except (ValueError, TypeError) as e:
                sub.reject("forbrug", t, i, str(e))
                continue
            amount = q * s.factor[(art, unit)]
            if mt == "aflaesning":
                # DECISION: periode_fra of a reading is ignored; the reading is the register at periode_til.
                readings[m].append([order, til, amount, art, b, (t, i)])
            else:
                periods.append([m, art, fra, til, amount, b, order, (t, i)])

    out: list[Interval] = []
    # -- periods: starts first (file order for the repeated hour), then ends
    by_meter = defaultdict(list)
    for p in periods:
        m, art, fra, til, amount, b, o, ti = p
        kind, v = fra
        start = (
            midnight(v)
            if kind == "date"
            else hours(v)
            if kind == "aware"
            else occ.instant(m, "periode_fra", v)
        )
        by_meter[m].append([start, p])
    for m, items in by_meter.items():
        starts = sorted(x[0] for x in items)
        rows = []
        for start, p in items:
            _, art, fra, til, amount, b, o, (t, i) = p
            kind, v = til
            if kind == "date":
                # Date-only end (Time): exclusive on the 1st of a month or when it equals the start of the
                # same meter's next period; otherwise inclusive (to the end of that day).
                nxt = next((x for x in starts if x > start), None)
                end0 = midnight(v)
                end = (
                    end0
                    if v.day == 1 or (nxt is not None and abs(nxt - end0) < 1e-9)
                    else midnight(v + timedelta(days=1))
                )
            elif kind == "aware":
                end = hours(v)
            else:
                # DECISION: "the series' step" is the row's own nominal (wall-clock) length; it decides the end of
                # a sub-daily row that starts or ends in the repeated (or missing) hour. Other ends are read as
                # written (the repeated hour, if any, by file order).
                fkind, fv = fra
                nominal = (v - fv).total_seconds() / 3600 if fkind == "naive" else None
                if (
                    fkind == "naive"
                    and (is_ambiguous(fv) or is_ambiguous(v))
                    and nominal is not None
                    and nominal < 24
                ):
                    # the series' step: a row in or next to the repeated/missing hour ends at its start plus
                    # its nominal length, so the two rows of the repeated hour do not overlap (Time).
                    end = start + nominal
                else:
                    end = occ.instant(m, "periode_til", v)
            if not (end > start) or end - start > 366 * 24 + 1 + 1e-9:
                sub.reject("forbrug", t, i, "periode")
                continue
            rows.append([start, end, art, amount, b, (t, i)])
        # two periods of the same meter that overlap are both rejected
        rows.sort(key=lambda x: (x[0], x[1]))
        bad = set()
        max_end, max_idx = -math.inf, None
        for idx, row in enumerate(rows):
            if row[0] < max_end - 1e-9:
                bad.add(idx)
                bad.add(max_idx)
            if row[1] > max_end:
                max_end, max_idx = row[1], idx
        for idx, (start, end, art, amount, b, (t, i)) in enumerate(rows):
            if idx in bad:
                sub.reject("forbrug", t, i, "overlappende perioder")
                continue
            out.append(Interval(m, art, start, end, amount, b))

    # -- readings (aflaesning): the difference between consecutive readings belongs to the time between them
    for m, rs in readings.items():
        pts = []
        for order_, til, value, art, b, _ti in rs:
            kind, v = til
            if kind == "date":
                # DECISION: a date-only reading follows the date-only end rule: 00:00 on the 1st of a month,
                # otherwise the end of that day (there is no "next period start" for a reading).
                at = midnight(v) if v.day == 1 else midnight(v + timedelta(days=1))
            elif kind == "aware":
                at = hours(v)
            else:
                at = occ.instant(m, "periode_til", v)
            pts.append((at, order_, value, art, b))
        pts.sort(key=lambda x: (x[0], x[1]))
        for (t0, _, v0, _, _), (t1, _, v1, art, b) in zip(pts, pts[1:], strict=False):
            if t1 <= t0:
                continue
            if v1 < v0 - 1e-9:
                continue  # a decreasing register rejects that interval; the series goes on from this reading
            # DECISION: an interval's building and forsyningsart are those of its closing reading.
            out.append(Interval(m, art, t0, t1, v1 - v0, b))
    return out


@dataclass
class Energy:
    kwh: dict  # (bygning, forsyningsart) -> amount
    covered: dict  # (bygning, group) -> hours
    expected: dict  # (bygning, group) -> hours
    arts: dict  # bygning -> set of forsyningsarter with a meter expecting hours


def allocate(sub: Submission, meters: dict, intervals: list[Interval]) -> Energy:
    y0, y1 = year_window(sub.aar)
    B = sub.buildings
    kwh = defaultdict(float)
    covered_pairs = defaultdict(float)  # (meter, bygning) -> hours
    pair_art = {}
    seen = set()

    def window(m, b) -> list[tuple[float, float]]:
        rows = [r for r in meters.get(m, []) if r.bygning_id == b]
        raw = [(r.w0, r.w1) for r in rows] if rows else [(y0, y1)]
        lo, hi = max(y0, B[b].use0), min(y1, B[b].use1)
        return merge([(max(a, lo), min(c, hi)) for a, c in raw])

    windows = {}
    for iv in intervals:
        length = iv.end - iv.start
        rate = iv.amount / length
        if iv.bygning_id is not None:
            # A row belongs to the building it names: only that building, only inside the year and the
            # building's in-use period.
            b = iv.bygning_id
            rows = [r for r in meters.get(iv.maaler_id, []) if r.bygning_id == b]
            # DECISION: a named row is multiplied by the andel maalere gives the meter for that building (the
            # first such row), else 1.
            andel = rows[0].andel if rows else 1.0
            key = (iv.maaler_id, b)
            if key not in windows:
                windows[key] = window(*key)
            # DECISION: where maalere gives the meter an active period for the named building, only the part
            # inside it counts (as for the in-use period: the consumption counted and the hours expected are
            # the same window); without a maalere row for the pair, the window is the year ∩ in-use period.
            part = sum(overlap(iv.start, iv.end, a, c) for a, c in windows[key])
            kwh[(b, iv.art)] += rate * part * andel
            covered_pairs[key] += part
            seen.add(key)
            pair_art.setdefault(key, iv.art)
        else:
            # No building named: the buildings maalere maps for each instant (active periods and shares).
            for r in meters.get(iv.maaler_id, []):
                b = r.bygning_id
                lo = max(iv.start, r.w0, y0, B[b].use0)
                hi = min(iv.end, r.w1, y1, B[b].use1)
                if hi > lo:
                    kwh[(b, iv.art)] += rate * (hi - lo) * r.andel
                    covered_pairs[(iv.maaler_id, b)] += hi - lo
                    pair_art.setdefault((iv.maaler_id, b), iv.art)
    # Coverage: each meter of the group serving the building (maalere, or seen in forbrug) expects the hours
    # of its active period in the year ∩ the building's in-use period.
    pairs = {(m, r.bygning_id): r.art for m, rows in meters.items() for r in rows}
    for key in seen:
        pairs.setdefault(key, pair_art[key])
    covered = defaultdict(float)
    expected = defaultdict(float)
    arts = defaultdict(set)
    for (m, b), art in pairs.items():
        w = windows.get((m, b)) or window(m, b)
        exp = sum(c - a for a, c in w)
        if exp <= 0:
            continue
        g = GROUP_OF[art]
        expected[(b, g)] += exp
        covered[(b, g)] += min(covered_pairs.get((m, b), 0.0), exp)
        arts[b].add(art)
    return Energy(dict(kwh), dict(covered), dict(expected), dict(arts))


# ---- the other datasets ---------------------------------------------------------------------------------


def expenses(sub: Submission, s: Seeds) -> dict:
    out: dict = {}
    for t in sub.tables["udgifter"]:
        for i, r in enumerate(t.rows):
            try:
                b = F.text(r.get("bygning_id"))
                g = F.code(r.get("kontogruppe"))
                kr = F.num(r.get("beloeb_kr"), t.danish)
                if b not in sub.buildings or g not in s.kontogruppe or kr is None or abs(kr) > 1e9:
                    raise ValueError("udgift")
            except (ValueError, TypeError) as e:
                sub.reject("udgifter", t, i, str(e))
                continue
            d = out.setdefault(b, defaultdict(float))
            d[g] += kr
    return out


def assessments(sub: Submission, s: Seeds, dataset: str) -> list[tuple]:
    """Valid rows of vedligehold (bygning, del, karakter, dato) or indeklima_vurderinger (bygning, lokale,
    karakter, dato) of one submission."""
    rows = []
    last = date(sub.aar, 12, 31)
    for t in sub.tables[dataset]:
        for i, r in enumerate(t.rows):
            try:
                b = F.text(r.get("bygning_id"))
                if dataset == "vedligehold":
                    part = F.code(r.get("bygningsdel"))
                    ok = part in s.parts
                else:
                    part = F.text(r.get("lokale_id"))
                    ok = part is not None and F.code(r.get("metode")) in s.codes["indeklima_metode"]
                k = F.num(r.get("karakter"), t.danish)
                d = F.timestamp(r.get("vurderingsdato"))
                if b is None or not ok or k is None or k != int(k) or not (1 <= k <= 5) or d is None:
                    raise ValueError("vurdering")
                d = _d(d[1])
                if d > last:
                    raise ValueError("vurderingsdato efter året")
            except (ValueError, TypeError) as e:
                sub.reject(dataset, t, i, str(e))
                continue
            rows.append((b, part, int(k), d, (t, i)))
    if dataset == "vedligehold":  # two assessments of the same part on the same date: both rejected
        n = defaultdict(int)
        for b, part, _k, d, _ in rows:
            n[(b, part, d)] += 1
        for b, part, _k, d, (t, i) in rows:
            if n[(b, part, d)] > 1:
                sub.reject(dataset, t, i, "dobbelt vurdering")
        rows = [r for r in rows if n[(r[0], r[1], r[3])] == 1]
    return [r[:4] for r in rows]


def latest_usable(pool: list[tuple], aar: int) -> dict:
    """(bygning, del/lokale) -> grade: the latest assessment dated ≤ 31 Dec of aar and at most 5 years old.
    `pool` holds (submission year, bygning, del, karakter, dato) from this and earlier submissions."""
    last = date(aar, 12, 31)
    oldest = date(aar - 5, 12, 31)  # "more than 5 years before 31 Dec of aar" is not used
    best: dict = {}
    for sub_aar, b, part, k, d in pool:
        if sub_aar > aar or d > last or d < oldest:
            continue
        cur = best.get((b, part))
        # DECISION: two usable assessments of the same part on the same date from different submissions: the
        # newer submission's counts.
        if cur is None or (d, sub_aar) > (cur[0], cur[1]):
            best[(b, part)] = (d, sub_aar, k)
    return {key: v[2] for key, v in best.items()}


def condition(sub: Submission, s: Seeds, pool: list[tuple]) -> dict:
    latest = latest_usable(pool, sub.aar)
    total = sum(s.parts.values())
    out = {}
    for b in sub.buildings:
        used = {p: k for (bb, p), k in latest.items() if bb == b}
        w = sum(s.parts[p] for p in used)
        pct = 100.0 * w / total
        grade = sum(s.parts[p] * k for p, k in used.items()) / w if w > 0 else None
        # null when the weight of the usable parts is < 50 % of all weight (rounded: 0.18+0.12+0.10+0.10)
        # DECISION: the assessed weight (vedligehold_vurderet_vaegt_pct, not in the catalogue) is null when no
        # part has a usable assessment.
        out[b] = (grade if round(pct, 9) >= 50 else None, pct if used else None)
    return out


def indoor(sub: Submission, s: Seeds, grades: dict) -> dict:
    """Per building: co2 share, temp share, grade, and the pooled counts for the municipality."""
    y0, y1 = year_window(sub.aar)
    occ = Occurrences()
    co2_limit = float(s.climate["co2_graense_ppm"])
    tmin, tmax = float(s.climate["temp_min_c"]), float(s.climate["temp_max_c"])
    h_from, h_to = int(s.climate["brugstid_fra_time"]), int(s.climate["brugstid_til_time"])
    cells = defaultdict(lambda: [[], [], []])  # (b, room, hour index) -> co2s, temps, i_brug values
    for t in sub.tables["indeklima_maalinger"]:
        for i, r in enumerate(t.rows):
            try:
                b = F.text(r.get("bygning_id"))
                room = F.text(r.get("lokale_id"))
                if b not in sub.buildings or room is None:
                    raise ValueError("bygning/lokale")
                ts = F.timestamp(r.get("tidspunkt"))
                if ts is None:
                    raise ValueError("tidspunkt")
                co2 = F.num(r.get("co2_ppm"), t.danish)
                temp = F.num(r.get("temperatur_c"), t.danish)
                rh = F.num(r.get("relativ_fugtighed_pct"), t.danish)
                use = F.boolean(r.get("i_brug"))
                if co2 is None and temp is None:
                    raise ValueError("ingen måling")
                if co2 is not None and not (250 <= co2 <= 10_000):
                    raise ValueError("co2")
                if temp is not None and not (-10 <= temp <= 50):
                    raise ValueError("temperatur")
                if rh is not None and not (0 <= rh <= 100):
                    raise ValueError("fugtighed")
                kind, v = ts
                # DECISION: a date-only tidspunkt is 00:00 local time that day.
                at = (
                    midnight(v)
                    if kind == "date"
                    else hours(v)
                    if kind == "aware"
                    else occ.instant((b, room), "tidspunkt", v)
                )
                if not (y0 <= at < y1):
                    raise ValueError("tidspunkt uden for året")
            except (ValueError, TypeError) as e:
                sub.reject("indeklima_maalinger", t, i, str(e))
                continue
            # Bucket by instant (Copenhagen's offsets are whole hours, so the UTC hour is the local hour).
            c = cells[(b, room, math.floor(at + 1e-9))]
            if co2 is not None:
                c[0].append(co2)
            if temp is not None:
                c[1].append(temp)
            c[2].append(use)
    per_room = defaultdict(
        lambda: [0, 0, 0, 0, 0]
    )  # occupied hours with data, co2 n, co2 over, temp n, temp out
    for (b, room, hr), (co2s, temps, uses) in cells.items():
        stated = [u for u in uses if u is not None]
        if stated:
            # DECISION: "i_brug true for at least half of its readings" counts the readings that state i_brug.
            occupied = sum(stated) * 2 >= len(stated)
        else:  # default schedule: Monday–Friday 08–16 local time, except Danish public holidays
            lt = local_of(float(hr))
            occupied = lt.weekday() < 5 and h_from <= lt.hour < h_to and lt.date() not in s.holidays
        if not occupied:
            continue
        pr = per_room[(b, room)]
        pr[0] += 1
        if co2s:
            pr[1] += 1
            pr[2] += (sum(co2s) / len(co2s)) > co2_limit
        if temps:
            pr[3] += 1
            mean = sum(temps) / len(temps)
            pr[4] += mean < tmin or mean > tmax
    out = {}
    for b in sub.buildings:
        rooms = {room: v for (bb, room), v in per_room.items() if bb == b}
        total = sum(v[0] for v in rooms.values())
        # DECISION: the 40-hour minimum counts the building's occupied room-hours with any data (CO2 or
        # temperature), once for the building (KEY_FIGURES.md: "A building needs ≥ 40 occupied room-hours with
        # data"); a building that passes has both shares, each over the hours with that quantity's data. (The
        # SQL, as of this writing, leaves the CO2 share null when fewer than 40 of the hours have CO2 data.)
        # A room whose readings fall only in unoccupied hours is a room without measurements.
        measured = total >= s.min_hours
        n_co2 = sum(v[1] for v in rooms.values()) if measured else 0
        n_temp = sum(v[3] for v in rooms.values()) if measured else 0
        over = sum(v[2] for v in rooms.values()) if measured else 0
        out_t = sum(v[4] for v in rooms.values()) if measured else 0
        room_grades = {}
        if measured:
            for room, v in rooms.items():
                g = []
                if v[1]:
                    g.append(s.grade(100.0 * v[2] / v[1]))
                if v[3]:
                    g.append(s.grade(100.0 * v[4] / v[3]))
                room_grades[room] = max(g)
        # A room without measurements (or every room of a building under the 40-hour minimum: parametre,
        # min_brugte_rumtimer) uses its latest usable indeklima_vurderinger grade.
        for (bb, room), k in grades.items():
            if bb == b and room not in room_grades:
                room_grades[room] = k
        out[b] = {
            "andel_timer_co2_over_1000": 100.0 * over / n_co2 if n_co2 else None,
            "andel_timer_temp_uden_for_20_26": 100.0 * out_t / n_temp if n_temp else None,
            "indeklima_karakter": sum(room_grades.values()) / len(room_grades) if room_grades else None,
            "_co2": (over, n_co2),
            "_temp": (out_t, n_temp),
        }
    return out


def usage(sub: Submission, s: Seeds) -> dict:
    y0, y1 = date(sub.aar, 1, 1), date(sub.aar, 12, 31)
    rows = []
    for t in sub.tables["anvendelse"]:
        for i, r in enumerate(t.rows):
            try:
                b = F.text(r.get("bygning_id"))
                room = F.text(r.get("lokale_id"))
                d0, d1 = F.timestamp(r.get("periode_fra")), F.timestamp(r.get("periode_til"))
                d0, d1 = _d(d0[1]), _d(d1[1])
                avail = F.num(r.get("timer_til_raadighed"), t.danish)
                booked = F.num(r.get("timer_booket"), t.danish)
                used = F.num(r.get("timer_anvendt"), t.danish)
                if b not in sub.buildings or not (y0 <= d0 <= d1 <= y1) or avail is None or avail <= 0:
                    raise ValueError("anvendelse")
                if (
                    used is None
                    or not (0 <= used <= avail)
                    or (booked is not None and not (0 <= booked <= avail))
                ):
                    raise ValueError("timer")
                if F.code(r.get("metode")) not in s.codes["anvendelse_metode"]:
                    raise ValueError("metode")
            except (ValueError, TypeError) as e:
                sub.reject("anvendelse", t, i, str(e))
                continue
            rows.append((b, room, d0, d1, avail, booked, used, (t, i)))
    keep = []
    for row in rows:  # building-level rows in a period that has room-level rows of the building: rejected
        b, room, d0, d1 = row[:4]
        if room is None and any(o[0] == b and o[1] is not None and o[2] <= d1 and d0 <= o[3] for o in rows):
            sub.reject("anvendelse", row[7][0], row[7][1], "bygning og lokaler i samme periode")
            continue
        keep.append(row)
    out = {}
    for b in sub.buildings:
        mine = [r for r in keep if r[0] == b]
        if not mine:
            continue
        avail = sum(r[4] for r in mine)
        with_booking = [r for r in mine if r[5] is not None]
        out[b] = {
            "anvendt": sum(r[6] for r in mine),
            "raadighed": avail,
            "booket": sum(r[5] for r in with_booking),
            "raadighed_booket": sum(r[4] for r in with_booking),
        }
    return out


def _grain_unique(sub: Submission, dataset: str, rows: list, key) -> list:
    """The dataset's grain ("one row per ..."): rows that share a key are all rejected.
    DECISION: INFORMATION_MODEL.md states the grain of udnyttelse (building × user type) and understoettelse
    (building × activity × method) but not what a duplicate does; treated like bygninger's duplicate ids
    (all rejected)."""
    n = defaultdict(int)
    for r in rows:
        n[key(r)] += 1
    keep = []
    for r in rows:
        if n[key(r)] > 1:
            t, i = r[-1]
            sub.reject(dataset, t, i, "dublet")
        else:
            keep.append(r)
    return keep


def utilisation(sub: Submission, s: Seeds) -> dict:
    rows = []
    for t in sub.tables["udnyttelse"]:
        for i, r in enumerate(t.rows):
            try:
                b = F.text(r.get("bygning_id"))
                kind = F.code(r.get("brugertype"))
                cap = F.num(r.get("kapacitet"), t.danish)
                users = F.num(r.get("brugere"), t.danish)
                if b not in sub.buildings or kind not in s.codes["brugertype"]:
                    raise ValueError("udnyttelse")
                if (
                    cap is None
                    or cap != int(cap)
                    or cap <= 0
                    or users is None
                    or users != int(users)
                    or users < 0
                ):
                    raise ValueError("kapacitet/brugere")
            except (ValueError, TypeError) as e:
                sub.reject("udnyttelse", t, i, str(e))
                continue
            rows.append((b, kind, users, cap, (t, i)))
    out = {}
    for b, kind, users, cap, _ in _grain_unique(sub, "udnyttelse", rows, lambda r: r[:2]):
        if kind == s.primary_user(sub.buildings[b].sektor):
            d = out.setdefault(b, [0.0, 0.0])
            d[0] += users
            d[1] += cap
    return out


def support(sub: Submission, s: Seeds) -> dict:
    per = defaultdict(lambda: [0.0, 0.0])
    rows = []
    for t in sub.tables["understoettelse"]:
        for i, r in enumerate(t.rows):
            try:
                b = F.text(r.get("bygning_id"))
                act = F.code(r.get("aktivitet"))
                k = F.num(r.get("karakter"), t.danish)
                n = F.num(r.get("antal_besvarelser"), t.danish)
                n = 1.0 if n is None else n
                metode = F.code(r.get("metode"))
                if (
                    b not in sub.buildings
                    or act not in s.sektorer
                    or metode not in s.codes["understoettelse_metode"]
                ):
                    raise ValueError("understoettelse")
                if k is None or not (1 <= k <= 5) or n != int(n) or n < 1:
                    raise ValueError("karakter/antal")
            except (ValueError, TypeError) as e:
                sub.reject("understoettelse", t, i, str(e))
                continue
            rows.append((b, act, metode, k, n, (t, i)))
    for b, _act, metode, k, n, _ in _grain_unique(sub, "understoettelse", rows, lambda r: r[:3]):
        p = per[(b, metode)]
        p[0] += k * n
        p[1] += n
    out = defaultdict(list)
    for (b, _), (kn, n) in per.items():
        out[b].append(kn / n)
    return {b: sum(v) / len(v) for b, v in out.items()}


# ---- the marts ------------------------------------------------------------------------------------------


def _div(a, b):
    return None if a is None or b is None or b == 0 else a / b


def building_rows(sub: Submission, s: Seeds, ref: Reference, pools: dict) -> list[dict]:
    meters = load_meters(sub, s)
    energy = allocate(sub, meters, load_consumption(sub, s, meters))
    kr = expenses(sub, s)
    cond = condition(sub, s, pools["vedligehold"])
    climate = indoor(sub, s, latest_usable(pools["indeklima_vurderinger"], sub.aar))
    use = usage(sub, s)
    util = utilisation(sub, s)
    sup = support(sub, s)
    gd = [ref.graddage.get((sub.aar, m)) for m in range(1, 13)]
    gd_year = sum(gd) if all(g is not None for g in gd) else None
    rows = []
    for b, bl in sub.buildings.items():
        bda = bl.bda
        row = {
            "kommunekode": sub.kommunekode,
            "aar": sub.aar,
            "bygning_id": b,
            "navn": bl.navn,
            "sektor": bl.sektor,
            "ejerforhold": bl.ejerforhold,
            "bda_m2": bda,
        }
        # expenses: null without any udgifter row; 0 for the groups not reported
        if b in kr:
            g = kr[b]

            def group(name, g=g):
                return sum(v for k, v in g.items() if s.kontogruppe[k] == name)

            row["driftsudgift_pr_m2"] = group("drift") / bda
            row["vedligeholdelsesudgift_pr_m2"] = group("vedligehold") / bda
            row["rengoeringsudgift_pr_m2"] = g.get("rengoering", 0.0) / bda
            row["forsyningsudgift_pr_m2"] = group("forsyning") / bda
            row["samlet_udgift_pr_m2"] = sum(g.values()) / bda
        else:
            for f in (
                "driftsudgift",
                "vedligeholdelsesudgift",
                "rengoeringsudgift",
                "forsyningsudgift",
                "samlet_udgift",
            ):
                row[f"{f}_pr_m2"] = None
        # consumption and coverage
        ok = {}
        for grp in ("el", "varme", "vand"):
            exp = energy.expected.get((b, grp), 0.0)
            pct = 100.0 * energy.covered.get((b, grp), 0.0) / exp if exp > 0 else None
            row[f"{grp}_daekning_pct"] = pct
            ok[grp] = pct is not None and pct >= 95.0 - 1e-9
        k = energy.kwh
        el = k.get((b, "el"), 0.0)
        heat = sum(k.get((b, a), 0.0) for a in HEAT)
        row["el_kwh_pr_m2"] = el / bda if ok["el"] else None
        row["varme_kwh_pr_m2"] = heat / bda if ok["varme"] else None
        row["vand_m3_pr_m2"] = k.get((b, "vand"), 0.0) / bda if ok["vand"] else None
        f = s.f_climate_independent(bl.sektor)
        row["varme_kwh_pr_m2_normaliseret"] = (
            heat * (f + (1 - f) * ref.gd_normal / gd_year) / bda if ok["varme"] and gd_year else None
        )
        # DECISION (spec unclear; first written stricter, changed after the oracle found the SQL's reading,
        # which is the better one): CO2e sums el and heat over the groups the building has a meter of; every
        # such group must have its figure (coverage ≥ 95 %), a group without a meter adds nothing (a building
        # without a heat meter has no heat carrier), a building without an el and a heat meter has no CO2e; and
        # every carrier with a meter needs its factor for the year.
        carriers = [a for a in ("el", *HEAT) if a in energy.arts.get(b, set())]
        factors = {a: ref.emission.get((a, sub.aar)) for a in carriers}
        groups = {GROUP_OF[a] for a in carriers}
        if groups and all(ok[g] for g in groups) and all(v is not None for v in factors.values()):
            row["co2e_kg_pr_m2"] = sum(k.get((b, a), 0.0) * factors[a] for a in carriers) / 1000 / bda
        else:
            row["co2e_kg_pr_m2"] = None
        row["vedligeholdelsestilstand"], row["vedligehold_vurderet_vaegt_pct"] = cond[b]
        c = climate[b]
        row["andel_timer_co2_over_1000"] = c["andel_timer_co2_over_1000"]
        row["andel_timer_temp_uden_for_20_26"] = c["andel_timer_temp_uden_for_20_26"]
        row["indeklima_karakter"] = c["indeklima_karakter"]
        row["_co2"], row["_temp"] = c["_co2"], c["_temp"]
        u = use.get(b)
        row["anvendelsesgrad_pct"] = 100.0 * u["anvendt"] / u["raadighed"] if u else None
        row["bookingsgrad_pct"] = (
            100.0 * u["booket"] / u["raadighed_booket"] if u and u["raadighed_booket"] else None
        )
        row["_use"] = u
        ut = util.get(b)
        row["udnyttelsesgrad_pct"] = 100.0 * ut[0] / ut[1] if ut else None
        # DECISION: m2_pr_bruger is null when the primary user type has 0 users (no division by zero).
        row["m2_pr_bruger"] = _div(bda, ut[0]) if ut else None
        row["_util"] = ut
        row["understoettelsesgrad"] = sup.get(b)
        rows.append(row)
    return rows


def municipality_rows(brows: list[dict], s: Seeds, ref: Reference) -> list[dict]:
    out = []
    by_k = defaultdict(list)
    for r in brows:
        by_k[(r["kommunekode"], r["aar"])].append(r)
    for (k, aar), rows in sorted(by_k.items()):
        for sektor in sorted({r["sektor"] for r in rows}) + ["alle"]:
            G = [r for r in rows if sektor == "alle" or r["sektor"] == sektor]
            area = sum(r["bda_m2"] for r in G)
            for cat in s.catalogue:
                fig, agg = cat["noegletal"], cat["aggregering"]
                if agg == "areal_pr_indbygger" and sektor != "alle":
                    continue  # sektor `alle` only
                H, v = G, None
                if agg == "antal":
                    v = float(len(G))
                elif agg == "sum":
                    v = area
                elif agg == "areal_pr_indbygger":
                    v = _div(area, ref.population.get((k, aar)))
                elif agg in ("arealforhold", "arealvaegtet_middel"):
                    H = [r for r in G if r[fig] is not None]
                    v = _div(sum(r[fig] * r["bda_m2"] for r in H), sum(r["bda_m2"] for r in H))
                elif agg == "andel_areal_tilstand_4_5":
                    H = [r for r in G if r["vedligeholdelsestilstand"] is not None]
                    bad = sum(r["bda_m2"] for r in H if r["vedligeholdelsestilstand"] >= 3.5)
                    v = _div(100.0 * bad, sum(r["bda_m2"] for r in H))
                elif agg == "puljede_rumtimer":
                    H = [r for r in G if r[fig] is not None]
                    part = "_co2" if "co2" in fig else "_temp"
                    v = _div(100.0 * sum(r[part][0] for r in H), sum(r[part][1] for r in H))
                elif agg == "timeforhold":
                    H = [r for r in G if r[fig] is not None]
                    if fig == "anvendelsesgrad_pct":
                        v = _div(
                            100.0 * sum(r["_use"]["anvendt"] for r in H),
                            sum(r["_use"]["raadighed"] for r in H),
                        )
                    else:
                        v = _div(
                            100.0 * sum(r["_use"]["booket"] for r in H),
                            sum(r["_use"]["raadighed_booket"] for r in H),
                        )
                elif agg == "brugerforhold":
                    H = [r for r in G if r[fig] is not None]
                    v = _div(100.0 * sum(r["_util"][0] for r in H), sum(r["_util"][1] for r in H))
                elif agg == "areal_pr_bruger":
                    H = [r for r in G if r[fig] is not None]
                    v = _div(sum(r["bda_m2"] for r in H), sum(r["_util"][0] for r in H))
                else:
                    raise AssertionError(f"unknown aggregation {agg}")
                # DECISION: the counts and areas (antal_bygninger, bda_m2, m2_pr_indbygger) have every building
                # as their input: daekning_pct 100.
                dk = 100.0 * sum(r["bda_m2"] for r in H) / area if area else None
                out.append(
                    {
                        "kommunekode": k,
                        "aar": aar,
                        "sektor": sektor,
                        "noegletal": fig,
                        "vaerdi": v,
                        "daekning_pct": dk,
                        "antal_bygninger_med_data": len(H),
                        "indgaar_i_benchmark": dk is not None and dk >= 50 - 1e-9,
                    }
                )
    return out


@dataclass
class Result:
    buildings: pd.DataFrame
    kommuner: pd.DataFrame
    rejected: list


def compute(home_root: Path) -> Result:
    """Every building figure and municipality aggregate of every submission in `home_root/landing`."""
    s = Seeds.load()
    ref = read_reference(Path(home_root) / "reference", s)
    subs = discover(Path(home_root) / "landing")
    for sub in subs:
        load_buildings(sub, s)
    pools = {}
    for ds in ("vedligehold", "indeklima_vurderinger"):
        per_sub = {id(sub): assessments(sub, s, ds) for sub in subs}
        pools[ds] = per_sub
    brows, rejected = [], []
    for sub in subs:
        # Assessments carry forward: this and earlier submissions of the municipality.
        sub_pools = {
            ds: [
                (o.aar, *row)
                for o in subs
                if o.kommunekode == sub.kommunekode and o.aar <= sub.aar
                for row in pools[ds][id(o)]
            ]
            for ds in pools
        }
        brows += building_rows(sub, s, ref, sub_pools)
        rejected += [(sub.kommunekode, sub.aar, *r) for r in sub.rejected]
    krows = municipality_rows(brows, s, ref)
    bdf = pd.DataFrame(brows)
    bdf = bdf[[c for c in bdf.columns if not c.startswith("_")]] if len(bdf) else bdf
    return Result(bdf, pd.DataFrame(krows), rejected)


# ---- comparison with the published marts ----------------------------------------------------------------

KOMMUNE_COLUMNS = ("vaerdi", "daekning_pct", "indgaar_i_benchmark")


def published(release_warehouse: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    import duckdb

    con = duckdb.connect(str(release_warehouse), read_only=True)
    try:
        b = con.execute("SELECT * FROM mart_noegletal_bygning").df()
        k = con.execute("SELECT * FROM mart_noegletal_kommune").df()
    finally:
        con.close()
    return b, k


@dataclass
class Disagreement:
    table: str
    figure: str
    key: str
    oracle: object
    sql: object
    note: str = ""


def _same(a, b, rel: float, abs_: float) -> bool:
    na = a is None or (isinstance(a, float) and math.isnan(a))
    nb = b is None or (isinstance(b, float) and math.isnan(b))
    if na or nb:
        return na and nb
    if isinstance(a, bool | str) or isinstance(b, bool | str):
        return bool(a) == bool(b) if isinstance(a, bool) or isinstance(b, bool) else a == b
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_)


def _clean(v):
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item"):
        v = v.item()
    return v


def compare(
    result: Result,
    sql_b: pd.DataFrame,
    sql_k: pd.DataFrame,
    notes: dict | None = None,
    rel: float = 1e-6,
    abs_: float = 1e-9,
) -> tuple[list[Disagreement], int]:
    """Every building figure and every municipality value of the oracle against the SQL marts. Returns the
    disagreements and the number of values compared. A row present on one side only is a disagreement."""
    notes = notes or {}
    out: list[Disagreement] = []
    n = 0
    ob = {(r["kommunekode"], int(r["aar"]), r["bygning_id"]): r for r in result.buildings.to_dict("records")}
    sb = {(r["kommunekode"], int(r["aar"]), r["bygning_id"]): r for r in sql_b.to_dict("records")}
    figures = [f for f in BUILDING_FIGURES if f in sql_b.columns]
    for key in sorted(set(ob) | set(sb)):
        label = "/".join(map(str, key))
        note = notes.get(key, "")
        if key not in sb or key not in ob:
            out.append(Disagreement("bygning", "(række)", label, _row(key in ob), _row(key in sb), note))
            continue
        for f in figures + ["sektor"]:
            o, q = _clean(ob[key].get(f)), _clean(sb[key].get(f))
            n += 1
            if not _same(o, q, rel, abs_):
                out.append(Disagreement("bygning", f, label, o, q, note))
    ok = {
        (r["kommunekode"], int(r["aar"]), r["sektor"], r["noegletal"]): r
        for r in result.kommuner.to_dict("records")
    }
    sk = {(r["kommunekode"], int(r["aar"]), r["sektor"], r["noegletal"]): r for r in sql_k.to_dict("records")}
    for key in sorted(set(ok) | set(sk)):
        label = "/".join(map(str, key[:3]))
        if key not in sk or key not in ok:
            present = ok.get(key) or sk.get(key)
            if _clean(present.get("vaerdi")) is None:
                continue  # a null value on one side, no row on the other: the same thing
            o = _clean(ok[key]["vaerdi"]) if key in ok else _row(False)
            q = _clean(sk[key]["vaerdi"]) if key in sk else _row(False)
            out.append(
                Disagreement("kommune", f"{key[3]}.vaerdi", label, o, q, "(række kun på den ene side)")
            )
            continue
        for c in KOMMUNE_COLUMNS:
            o, q = _clean(ok[key].get(c)), _clean(sk[key].get(c))
            n += 1
            if (
                c == "daekning_pct"
                and _clean(ok[key].get("vaerdi")) is None
                and _clean(sk[key].get("vaerdi")) is None
            ):
                continue  # no value on either side: its coverage is not a figure anybody reads
            if not _same(o, q, rel, abs_):
                out.append(Disagreement("kommune", f"{key[3]}.{c}", label, o, q))
    return out, n


def _row(present: bool) -> str:
    return "række" if present else "ingen række"


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def report(disagreements: list[Disagreement], compared: int, title: str = "") -> str:
    """A readable diff grouped by figure: building (or municipality/sektor), oracle, SQL, and the case."""
    by = defaultdict(list)
    for d in disagreements:
        by[(d.table, d.figure)].append(d)
    lines = [f"{title}: {len(disagreements)} disagreements in {compared} compared values"]
    for (table, fig), ds in sorted(by.items()):
        lines.append(f"\n== {table}.{fig} ({len(ds)})")
        for d in ds:
            lines.append(f"   {d.key:<34} oracle={_fmt(d.oracle):<14} sql={_fmt(d.sql):<14} {d.note}")
    return "\n".join(lines)
