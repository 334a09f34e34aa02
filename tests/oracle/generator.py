"""Small, tricky but legal submissions for the oracle test (issue 17): a hypothesis strategy (`cases()`) of
one reporting year with 1–3 municipalities, and `write_case(case, home)` writing the files into a kkm2 home
(`landing/<kode>/<aar>/`, `reference/`).

Every case holds every feature below (in its first municipality); the draws vary dates, amounts, units,
shares, formats and which optional twists are on:
- meters with shares (a district-heating meter shared by two buildings) and active periods (a meter that
  moves from one building to another mid-year: rows mapped by `maalere`, or rows naming the building)
- register readings (`maaletype=aflaesning`) with a meter swap (a new maaler_id), hourly readings across the
  repeated autumn hour, and a decreasing register (the interval containing the decrease is rejected)
- hourly periods across both DST changes, periods across the year boundary, date-only period ends (first
  of the month, equal to the next start, inclusive), oil deliveries as periods
- part-year buildings (i_brug_fra/til), also one receiving the moving meter
- units MWh, GJ, Nm3, m3, liter
- degree days with a missing month or an identical duplicate; an emission factor missing
- indoor climate: a building near the 40-occupied-room-hour minimum whose count includes both occurrences of
  the repeated autumn hour, a room with few hours beside it (graded from its measurements), rooms graded by
  screening only, a room on the default schedule across a public holiday and a weekend
- expenses (a refund; a building without rows), maintenance grades (too old ones, a duplicate pair),
  usage (building and room level, bookings missing), utilisation, support

Bulk values come from a `random.Random` seeded by a hypothesis draw (keeps hypothesis's buffer small);
structural choices are drawn directly."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

CPH = ZoneInfo("Europe/Copenhagen")
KOMMUNER = ["0101", "0147", "0250", "0330", "0461", "0561", "0706", "0751", "0851"]
TYPES = {  # sektor -> (anvendelseskode, name, m² range, primary user, m² per user)
    "skole": (421, "Skole", (2500, 9000), "elev", 12.0),
    "dagtilbud": (441, "Børnehus", (400, 1200), "barn", 7.0),
    "aeldre": (442, "Plejecenter", (1500, 6000), "beboer", 60.0),
    "administration": (321, "Rådhus", (2000, 8000), "ansat", 25.0),
    "idraet": (533, "Idrætshal", (1000, 3000), "bruger", 10.0),
    "kultur": (413, "Bibliotek", (600, 2500), "bruger", 15.0),
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
GROUPS = {  # kontogruppe -> kr per m² range
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
    "husleje": (0, 200),
    "oevrige": (0, 10),
}
NORMAL_GD = [519, 470, 431, 301, 165, 55, 20, 25, 107, 245, 373, 461]
HEAT_SHAPE = [0.165, 0.15, 0.13, 0.085, 0.04, 0.012, 0.006, 0.007, 0.03, 0.08, 0.13, 0.165]


# ---- time helpers ---------------------------------------------------------------------------------------


def last_sunday(y: int, month: int) -> date:
    d = date(y, month + 1, 1) - timedelta(days=1) if month < 12 else date(y, 12, 31)
    return d - timedelta(days=(d.weekday() - 6) % 7)


def wall_hours(d0: date, d1: date) -> list[datetime]:
    """The local wall-clock start of every real hour from local midnight d0 to local midnight d1, in time
    order: the missing spring hour does not occur, the repeated autumn hour occurs twice."""
    t = datetime(d0.year, d0.month, d0.day, tzinfo=CPH).astimezone(UTC)
    end = datetime(d1.year, d1.month, d1.day, tzinfo=CPH).astimezone(UTC)
    out = []
    while t < end:
        out.append(t.astimezone(CPH).replace(tzinfo=None))
        t += timedelta(hours=1)
    return out


def month_start(y: int, m: int) -> date:
    return date(y + (m - 1) // 12, (m - 1) % 12 + 1, 1)


# ---- the case -------------------------------------------------------------------------------------------


@dataclass
class Kommune:
    kode: str
    folder: str  # as written: 3 or 4 digits
    danish: bool  # `;`, decimal comma, dd.mm.yyyy, Windows-1252, CRLF
    files: dict = field(default_factory=dict)  # file name -> list of row dicts (file order)
    notes: dict = field(default_factory=dict)  # bygning_id -> [what is special about it]

    def add(self, file: str, **row) -> None:
        self.files.setdefault(file, []).append(row)

    def note(self, b: str, text: str) -> None:
        self.notes.setdefault(b, []).append(text)


@dataclass
class Case:
    aar: int
    kommuner: list[Kommune]
    reference: dict  # file name -> list of row dicts
    summary: list[str]

    def notes(self) -> dict:
        return {(k.kode, self.aar, b): "; ".join(v) for k in self.kommuner for b, v in k.notes.items()}


class Fmt:
    def __init__(self, danish: bool):
        self.danish = danish

    def num(self, x: float, nd: int = 3) -> str:
        s = f"{x:.{nd}f}"
        return s.replace(".", ",") if self.danish else s

    def day(self, d: date) -> str:
        return d.strftime("%d.%m.%Y") if self.danish else d.isoformat()

    @staticmethod
    def ts(t: datetime) -> str:
        return t.strftime("%Y-%m-%d %H:%M")


# ---- buildings and their meters -------------------------------------------------------------------------


@dataclass
class B:
    id: str
    sektor: str
    areal: float
    fra: date | None = None
    til: date | None = None


def building(k: Kommune, f: Fmt, rng: random.Random, b: B, blank_sektor: bool) -> None:
    kode, name, _, _, _ = TYPES[b.sektor]
    row = {
        "bygning_id": b.id,
        "navn": f"{name} {b.id[-2:]}",
        "anvendelseskode": str(kode),
        "sektor": "" if blank_sektor else b.sektor,
        "bruttodriftsareal_m2": f.num(b.areal, 1),
        "ejerforhold": rng.choice(["ejet", "lejet", "selvejende"]),
        "i_brug_fra": f.day(b.fra) if b.fra else "",
        "i_brug_til": f.day(b.til) if b.til else "",
    }
    k.add("bygninger.csv", **row)
    if b.fra or b.til:
        k.note(b.id, f"i brug {b.fra or '1/1'}–{b.til or '31/12'}")


def maaler(k: Kommune, f: Fmt, m: str, b: str, art: str, andel=None, fra=None, til=None) -> None:
    k.add(
        "maalere.csv",
        maaler_id=m,
        bygning_id=b,
        forsyningsart=art,
        andel=f.num(andel, 2) if andel is not None else "",
        aktiv_fra=f.day(fra) if fra else "",
        aktiv_til=f.day(til) if til else "",
    )


def monthly(
    k: Kommune,
    f: Fmt,
    rng: random.Random,
    file: str,
    m: str,
    aar: int,
    year_amount: float,
    unit_factor: float,
    unit: str,
    shape=None,
    inclusive_ends: bool = False,
    skip: tuple = (),
    bygning: str | None = None,
) -> None:
    """Monthly consumption periods (date-only), amounts in `unit` (= base amount / unit_factor)."""
    shape = shape or [1 / 12] * 12
    for mo in range(1, 13):
        if mo in skip:
            continue
        fra, nxt = month_start(aar, mo), month_start(aar, mo + 1)
        til = nxt - timedelta(days=1) if inclusive_ends else nxt
        row = {"maaler_id": m}
        if bygning:
            row["bygning_id"] = bygning
        row.update(
            periode_fra=f.day(fra),
            periode_til=f.day(til),
            maengde=f.num(year_amount * shape[mo - 1] * rng.uniform(0.85, 1.15) / unit_factor, 3),
            enhed=unit,
        )
        k.add(file, **row)


def water(k: Kommune, f: Fmt, rng: random.Random, m: str, aar: int, m3: float, liter: bool) -> None:
    """Quarterly billing from 15 Dec of the year before: each date-only end equals the next start."""
    bounds = [date(aar - 1, 12, 15)] + [date(aar, mo, 15) for mo in (3, 6, 9, 12)] + [date(aar + 1, 3, 15)]
    for fra, til in zip(bounds, bounds[1:], strict=False):
        q = m3 * (til - fra).days / 365 * rng.uniform(0.9, 1.1)
        k.add(
            "forbrug_vand.csv",
            maaler_id=m,
            periode_fra=f.day(fra),
            periode_til=f.day(til),
            maengde=f.num(q * 1000 if liter else q, 3),
            enhed="liter" if liter else "m3",
        )


def dst_el(k: Kommune, f: Fmt, rng: random.Random, m: str, aar: int, kwh: float) -> None:
    """El with hourly rows across both DST changes (wall-clock ends as Eloverblik writes them), a first period
    across the year boundary, timestamp ends, date-only ends on the 1st, and an inclusive date-only end."""
    spring, autumn = last_sunday(aar, 3), last_sunday(aar, 10)
    per_hour = kwh / 8760
    rows = []

    def period(fra: str, til: str, hours_: float):
        rows.append((fra, til, per_hour * hours_ * rng.uniform(0.8, 1.2)))

    period(f.day(date(aar - 1, 12, 15)), f.day(date(aar, 2, 1)), 48 * 24)
    period(f.day(date(aar, 2, 1)), f.day(date(aar, 3, 1)), 29 * 24)
    period(
        Fmt.ts(datetime(aar, 3, 1)),
        Fmt.ts(datetime.combine(spring - timedelta(days=1), datetime.min.time())),
        24 * 24,
    )
    for h in wall_hours(spring - timedelta(days=1), spring + timedelta(days=1)):
        period(Fmt.ts(h), Fmt.ts(h + timedelta(hours=1)), 1)
    if spring + timedelta(days=1) < date(aar, 4, 1):  # 2024: the hourly block ends at 1 April itself
        period(
            Fmt.ts(datetime.combine(spring + timedelta(days=1), datetime.min.time())),
            f.day(date(aar, 4, 1)),
            4 * 24,
        )
    for mo in range(4, 10):
        period(f.day(date(aar, mo, 1)), f.day(date(aar, mo + 1, 1)), 30 * 24)
    period(
        f.day(date(aar, 10, 1)),
        Fmt.ts(datetime.combine(autumn - timedelta(days=1), datetime.min.time())),
        24 * 24,
    )
    for h in wall_hours(autumn - timedelta(days=1), autumn + timedelta(days=1)):
        period(Fmt.ts(h), Fmt.ts(h + timedelta(hours=1)), 1)
    if autumn + timedelta(days=1) < date(aar, 11, 1):
        period(
            Fmt.ts(datetime.combine(autumn + timedelta(days=1), datetime.min.time())),
            f.day(date(aar, 10, 31)),  # inclusive: not the 1st, not the next start
            4 * 24,
        )
    period(f.day(date(aar, 11, 1)), f.day(date(aar, 11, 30)), 30 * 24)
    period(f.day(date(aar, 12, 1)), f.day(date(aar + 1, 1, 1)), 31 * 24)
    for fra, til, q in rows:
        k.add(
            "forbrug_el.csv", maaler_id=m, periode_fra=fra, periode_til=til, maengde=f.num(q, 4), enhed="kWh"
        )


def register_swap(
    k: Kommune,
    f: Fmt,
    rng: random.Random,
    b: str,
    aar: int,
    kwh: float,
    first_missing: bool,
    early_first: bool,
) -> None:
    """Natural gas as register readings with a meter swap on day `swap` (old meter R1 in Nm3 to 00:00, new
    meter R2 in m3 from 00:00), and hourly readings of R2 across the repeated autumn hour."""
    swap = date(aar, rng.randint(3, 9), rng.randint(3, 27))
    r1, r2 = f"NG-{b}-1", f"NG-{b}-2"
    maaler(k, f, r1, b, "naturgas", til=swap - timedelta(days=1))
    maaler(k, f, r2, b, "naturgas", fra=swap)
    nm3_per_hour = kwh / 11.0 / 8760
    autumn = last_sunday(aar, 10)

    def reading(m, at: str, value: float):
        k.add(
            "forbrug_gas.csv",
            maaler_id=m,
            periode_fra="",
            periode_til=at,
            maengde=f.num(value, 3),
            enhed="Nm3" if m == r1 else "m3",
            maaletype="aflaesning",
        )

    def hours_between(a: datetime, c: datetime) -> float:
        return (
            c.replace(tzinfo=CPH).astimezone(UTC) - a.replace(tzinfo=CPH).astimezone(UTC)
        ).total_seconds() / 3600

    # R1
    v = rng.uniform(1000, 50000)
    t = datetime(aar - 1, 12, 15, 8, 0) if early_first else datetime(aar, 1, 1)
    points = [] if first_missing else [(t, Fmt.ts(t))]
    for mo in range(2, swap.month + 1):
        d = datetime(aar, mo, 1)
        points.append((d, f.day(d.date())))
    s = datetime.combine(swap, datetime.min.time())
    points.append((s, Fmt.ts(s)))
    prev = None
    for at, text_ in points:
        if prev is not None:
            v += nm3_per_hour * hours_between(prev, at) * rng.uniform(0.7, 1.3)
        reading(r1, text_, v)
        prev = at
    # R2: a new register from a small start value
    v = rng.uniform(0, 20)
    points = [(s, Fmt.ts(s))]
    for mo in range(swap.month + 1, 13):
        d = datetime(aar, mo, 1)
        points.append((d, f.day(d.date())))
        if mo == 10:
            for h in wall_hours(autumn, autumn + timedelta(days=1))[:7]:  # 00, 01, 02, 02, 03, 04, 05
                points.append((h, Fmt.ts(h)))
    points.append((datetime(aar + 1, 1, 1), f.day(date(aar + 1, 1, 1))))
    prev = None
    for at, text_ in points:
        if prev is not None:
            # the two 02:00 readings are an hour apart in real time
            v += nm3_per_hour * max(hours_between(prev, at), 1.0) * rng.uniform(0.7, 1.3)
        reading(r2, text_, v)
        prev = at
    k.note(b, f"naturgas-aflæsninger, målerskift {swap}; timeaflæsninger i den gentagne time")
    if first_missing:
        k.note(b, "ingen aflæsning 1/1 (januar mangler)")
    if early_first:
        k.note(b, "første aflæsning 15/12 året før")


def register_decrease(k: Kommune, f: Fmt, rng: random.Random, m: str, b: str, aar: int, kwh: float) -> None:
    """El register readings on the 1st of each month; in one month the register drops (a swap without a new
    id) some hours after the 1st: that interval is rejected, the series goes on from the low reading."""
    mo = rng.randint(3, 10)
    drop_h = rng.choice([1, 5, 30, 100, 300, 480])
    per_month = kwh / 12
    v = rng.uniform(5000, 40000)
    for i in range(1, 14):
        d = month_start(aar, i)
        if i > 1:
            v += per_month * rng.uniform(0.85, 1.15)
        k.add(
            "forbrug_el_register.csv",
            maaler_id=m,
            periode_til=f.day(d),
            maengde=f.num(v, 1),
            enhed="kWh",
            maaletype="aflaesning",
        )
        if i == mo:
            v = rng.uniform(0, 0.3) * v
            at = datetime(aar, mo, 1) + timedelta(hours=drop_h)
            k.add(
                "forbrug_el_register.csv",
                maaler_id=m,
                periode_til=Fmt.ts(at),
                maengde=f.num(v, 1),
                enhed="kWh",
                maaletype="aflaesning",
            )
    maaler(k, f, m, b, "el")
    k.note(b, f"faldende el-tællerstand {aar}-{mo:02d}-01 +{drop_h} t")


def oil(k: Kommune, f: Fmt, rng: random.Random, m: str, b: str, aar: int, kwh: float) -> None:
    """Oil deliveries as periods (liter); date-only ends equal the next start (exclusive)."""
    bounds = [
        date(aar - 1, 11, 20),
        date(aar, 3, 10),
        date(aar, 7, 1),
        date(aar, 10, 15),
        date(aar + 1, 2, 1),
    ]
    for fra, til in zip(bounds, bounds[1:], strict=False):
        days = (til - fra).days
        k.add(
            "forbrug_olie.csv",
            maaler_id=m,
            forsyningsart="olie",
            bygning_id=b,
            periode_fra=f.day(fra),
            periode_til=f.day(til),
            maengde=f.num(kwh / 10.0 * days / 365 * rng.uniform(0.8, 1.2), 1),
            enhed="liter",
        )
    k.note(b, "olie i leverancer (liter)")


def moving_meter(
    k: Kommune, f: Fmt, rng: random.Random, a: B, c: B, aar: int, named: bool, art: str = "fjernvarme"
) -> None:
    """A meter (district heating in MWh, or water in m3) serving building a until day `move` − 1 and building
    c from day `move`; its monthly rows mapped by maalere, or naming the building (the month of the move then
    split in two rows at the move, the first row's date-only end equal to the next row's start)."""
    move = date(aar, rng.randint(4, 9), rng.randint(3, 28))
    m = f"{'FV' if art == 'fjernvarme' else 'V'}-FLYT-{a.id}"
    maaler(k, f, m, a.id, art, til=move - timedelta(days=1))
    maaler(k, f, m, c.id, art, fra=move)
    if art == "fjernvarme":
        year, shape, unit, div = 110 * (a.areal + c.areal) / 2, HEAT_SHAPE, "MWh", 1000.0
    else:
        year, shape, unit, div = 0.1 * (a.areal + c.areal) / 2, [1 / 12] * 12, "m3", 1.0
    for mo in range(1, 13):
        fra, nxt = month_start(aar, mo), month_start(aar, mo + 1)
        q = year * shape[mo - 1] * rng.uniform(0.85, 1.15) / div
        if named and fra < move < nxt:
            share = (move - fra).days / (nxt - fra).days
            for p0, p1, who, part in ((fra, move, a.id, share), (move, nxt, c.id, 1 - share)):
                k.add(
                    f"forbrug_flyt_{art}.csv",
                    maaler_id=m,
                    bygning_id=who,
                    periode_fra=f.day(p0),
                    periode_til=f.day(p1),
                    maengde=f.num(q * part, 4),
                    enhed=unit,
                )
        else:
            row = {"maaler_id": m}
            if named:
                row["bygning_id"] = a.id if nxt <= move else c.id
            row.update(periode_fra=f.day(fra), periode_til=f.day(nxt), maengde=f.num(q, 4), enhed=unit)
            k.add(f"forbrug_flyt_{art}.csv", **row)
    how = "rækker navngiver bygningen" if named else "kortlagt i maalere"
    k.note(a.id, f"flyttet {art}-måler til {c.id} fra {move} ({how})")
    k.note(c.id, f"flyttet {art}-måler fra {a.id} fra {move} ({how})")


def shared_meter(k: Kommune, f: Fmt, rng: random.Random, a: B, c: B, aar: int) -> None:
    """A district-heating meter shared by two buildings, monthly GJ with inclusive date-only ends."""
    share = rng.choice([0.3, 0.4, 0.5, 0.6, 0.75])
    m = f"FV-DELT-{a.id}"
    maaler(k, f, m, a.id, "fjernvarme", andel=share)
    maaler(k, f, m, c.id, "fjernvarme", andel=1 - share)
    kwh = 100 * (a.areal + c.areal)
    monthly(k, f, rng, "forbrug_varme.csv", m, aar, kwh, 277.778, "GJ", HEAT_SHAPE, inclusive_ends=True)
    k.note(a.id, f"delt fjernvarmemåler {share:.2f} (GJ)")
    k.note(c.id, f"delt fjernvarmemåler {1 - share:.2f} (GJ)")


# ---- the other datasets ---------------------------------------------------------------------------------


def other_datasets(
    k: Kommune, f: Fmt, rng: random.Random, b: B, aar: int, expenses: bool, duplicate: bool
) -> None:
    if expenses:
        groups = rng.sample(sorted(GROUPS), rng.randint(3, len(GROUPS)))
        for g in groups:
            lo, hi = GROUPS[g]
            k.add(
                "udgifter.csv",
                bygning_id=b.id,
                kontogruppe=g,
                kildekonto=f"3.22.0{rng.randint(1, 9)}",
                beloeb_kr=f.num(b.areal * rng.uniform(lo, hi), 2),
            )
        if rng.random() < 0.3:
            k.add(
                "udgifter.csv",
                bygning_id=b.id,
                kontogruppe=groups[0],
                kildekonto="refusion",
                beloeb_kr=f.num(-b.areal * rng.uniform(1, 5), 2),
            )
    else:
        k.note(b.id, "ingen udgifter")
    # maintenance: a random subset of parts, some assessments too old to be used
    for part in rng.sample(PARTS, rng.choice([0, 2, 3, 4, 5, 6, 7, 8, 8, 8])):
        when = date(aar, 12, 20) - timedelta(
            days=rng.randint(0, 4 * 365) if rng.random() < 0.8 else rng.randint(4 * 365, 7 * 365)
        )
        if date(aar - 5, 12, 25) <= when <= date(aar - 4, 1, 5):
            when -= timedelta(days=20)  # never next to the 5-year limit
        k.add(
            "vedligehold.csv",
            bygning_id=b.id,
            bygningsdel=part,
            karakter=str(rng.randint(1, 5)),
            vurderingsdato=f.day(when),
            vurderet_af="Ejendomme",
        )
    if duplicate:  # two assessments of one part on one date: both rejected
        when = date(aar, rng.randint(1, 11), 10)
        for grade in ("2", "4"):
            k.add(
                "vedligehold.csv",
                bygning_id=b.id,
                bygningsdel="tag",
                karakter=grade,
                vurderingsdato=f.day(when),
                vurderet_af="dobbelt",
            )
        k.note(b.id, "to tag-vurderinger samme dato")
    # usage: building level, the sports hall per room; bookings sometimes missing
    halves = ((date(aar, 1, 1), date(aar, 6, 30)), (date(aar, 7, 1), date(aar, 12, 31)))
    if rng.random() < 0.85:
        for d0, d1 in halves[: rng.randint(1, 2)]:
            for room in ("Hal A", "Hal B") if b.sektor == "idraet" else (None,):
                avail = rng.uniform(400, 1200)
                used = avail * rng.uniform(0.15, 0.95)
                booked = "" if rng.random() < 0.3 else f.num(min(avail, used * rng.uniform(1.0, 1.4)), 1)
                row = {"bygning_id": b.id, "lokale_id": room or ""}
                row.update(
                    periode_fra=f.day(d0),
                    periode_til=f.day(d1),
                    timer_til_raadighed=f.num(avail, 1),
                    timer_booket=booked,
                    timer_anvendt=f.num(used, 1),
                    metode=rng.choice(["booking", "sensor", "observation"]),
                )
                k.add("anvendelse.csv", **row)
        if b.sektor == "idraet" and rng.random() < 0.4:  # beside room-level rows in the period: rejected
            d0, d1 = halves[0]
            k.add(
                "anvendelse.csv",
                bygning_id=b.id,
                lokale_id="",
                periode_fra=f.day(d0 + timedelta(days=30)),
                periode_til=f.day(d0 + timedelta(days=60)),
                timer_til_raadighed=f.num(100.0, 1),
                timer_booket="",
                timer_anvendt=f.num(10.0, 1),
                metode="observation",
            )
            k.note(b.id, "anvendelse på bygningsniveau ved siden af lokalerne (afvises)")
    # utilisation: the primary user type, sometimes another type beside it (not counted)
    _, _, _, primary, m2 = TYPES[b.sektor]
    zero_users = rng.random() < 0.08
    if zero_users:
        k.note(b.id, "0 brugere")
    if rng.random() < 0.8:
        cap = max(5, int(b.areal / m2))
        k.add(
            "udnyttelse.csv",
            bygning_id=b.id,
            brugertype=primary,
            kapacitet=str(cap),
            brugere=str(0 if zero_users else int(cap * rng.uniform(0.4, 1.1))),
        )
        if rng.random() < 0.5:
            other = "ansat" if primary != "ansat" else "bruger"
            k.add(
                "udnyttelse.csv",
                bygning_id=b.id,
                brugertype=other,
                kapacitet=str(rng.randint(5, 40)),
                brugere=str(rng.randint(1, 30)),
            )
    # support: one row per activity and method; sometimes a second activity beside the building's own
    activities = [b.sektor] + (
        [rng.choice([x for x in TYPES if x != b.sektor])] if rng.random() < 0.4 else []
    )
    for act in activities:
        for metode in rng.sample(["brugerundersoegelse", "faglig_vurdering"], rng.randint(0, 2)):
            n = rng.randint(1, 80)
            k.add(
                "understoettelse.csv",
                bygning_id=b.id,
                aktivitet=act,
                karakter=f.num(rng.uniform(1.0, 5.0), 1),
                antal_besvarelser="" if n == 1 else str(n),
                metode=metode,
            )


def indoor_near_40(k: Kommune, f: Fmt, rng: random.Random, b: B, aar: int, total: int) -> None:
    """Room A (explicit i_brug) and room B (few hours) with `total` occupied room-hours together, counting both
    occurrences of the repeated autumn hour in room A; room C has only a screening grade, room B has one too."""
    autumn = last_sunday(aar, 10)
    n_b = rng.randint(2, 8)
    n_a = total - n_b  # including the two repeated hours
    weekdays = [d for d in (date(aar, 9, 1) + timedelta(days=i) for i in range(80)) if d.weekday() < 5]
    slots = [(d, h) for d in weekdays for h in range(8, 16)]
    chosen = rng.sample(slots, n_a - 2 + n_b + 6)
    a_slots, b_slots, spare = chosen[: n_a - 2], chosen[n_a - 2 : n_a - 2 + n_b], chosen[n_a - 2 + n_b :]

    temp_only_b = rng.random() < 0.5  # room B measures temperature only

    def hour(room: str, start: datetime, pattern: list[bool | None], co2: float, temp: float):
        for j, use in enumerate(pattern):
            t = start + timedelta(minutes=15 * j)
            k.add(
                "indeklima_maalinger.csv",
                bygning_id=b.id,
                lokale_id=room,
                tidspunkt=Fmt.ts(t),
                co2_ppm="" if room == "B" and temp_only_b else f.num(co2 + rng.uniform(-40, 40), 0),
                temperatur_c=f.num(temp + rng.uniform(-0.3, 0.3), 1),
                i_brug="" if use is None else ("ja" if use else "nej"),
            )

    def values():
        return rng.choice([rng.uniform(500, 950), rng.uniform(1060, 1600)]), rng.choice(
            [rng.uniform(20.5, 25.5), rng.uniform(17.0, 19.4), rng.uniform(26.6, 28.0)]
        )

    for i, (d, h) in enumerate(sorted(a_slots)):
        # one occupied hour with i_brug true for exactly half of its readings (occupied)
        pattern = [True, False, True, False] if i == 0 else [True] * 4
        hour("A", datetime(d.year, d.month, d.day, h), pattern, *values())
    # the repeated autumn hour, occupied in both occurrences (in file order: summer time, then winter time);
    # the hours around it are unoccupied
    for w in wall_hours(autumn, autumn + timedelta(days=1))[1:5]:  # 01, 02, 02, 03
        occupied = w.hour == 2
        hour("A", w, [occupied] * 4, *values())
    # unoccupied hours: i_brug true for one reading of four, or false
    for d, h in spare[:3]:
        hour("A", datetime(d.year, d.month, d.day, h), [True, False, False, False], *values())
    for d, h in spare[3:]:
        hour("B", datetime(d.year, d.month, d.day, h), [False] * 4, *values())
    for d, h in sorted(b_slots):
        hour("B", datetime(d.year, d.month, d.day, h), [True] * 4, *values())
    for room in ("B", "C"):
        k.add(
            "indeklima_vurderinger.csv",
            bygning_id=b.id,
            lokale_id=room,
            karakter=str(rng.randint(1, 5)),
            metode="screening",
            vurderingsdato=f.day(date(aar - rng.randint(0, 3), 4, 15)),
        )
    k.note(
        b.id,
        f"indeklima: {total} brugte rumtimer (A {n_a} inkl. den gentagne time to gange, B {n_b}"
        + (" kun temperatur)" if temp_only_b else ")"),
    )


def indoor_default_schedule(
    k: Kommune, f: Fmt, rng: random.Random, b: B, aar: int, holidays: list[date]
) -> None:
    """Room D without i_brug (default schedule Mon–Fri 08–16 except holidays), readings every 20 minutes
    06:00–18:00 on some weekdays, a public holiday and a Saturday."""
    hol = next((d for d in holidays if d.year == aar and d.weekday() < 5 and d.month in (4, 5, 6)), None)
    days = [date(aar, 11, 3) + timedelta(days=i) for i in range(rng.randint(4, 8))]
    if hol:
        days.append(hol)
    days.append(date(aar, 11, 1) + timedelta(days=(5 - date(aar, 11, 1).weekday()) % 7))  # a Saturday
    for d in days:
        for h in range(6, 18):
            co2, temp = rng.uniform(450, 1500), rng.uniform(18.5, 27.5)
            for j in range(3):
                t = datetime(d.year, d.month, d.day, h, 20 * j)
                k.add(
                    "indeklima_maalinger.csv",
                    bygning_id=b.id,
                    lokale_id="D",
                    tidspunkt=Fmt.ts(t),
                    co2_ppm=f.num(co2 + rng.uniform(-30, 30), 0),
                    temperatur_c=f.num(temp + rng.uniform(-0.4, 0.4), 1),
                    i_brug="",
                )
    k.note(b.id, f"indeklima standardbrugstid, {len(days)} dage inkl. helligdag {hol} og en lørdag")


# ---- municipalities -------------------------------------------------------------------------------------


def _buildings(rng: random.Random, kode: str, sectors: list[str]) -> list[B]:
    out = []
    for i, s in enumerate(sectors):
        lo, hi = TYPES[s][2]
        out.append(B(f"{kode}-B{i + 1:02d}", s, round(rng.uniform(lo, hi), 1)))
    return out


def main_kommune(k: Kommune, rng: random.Random, aar: int, opts: dict, holidays: list[date]) -> None:
    f = Fmt(k.danish)
    b1, b2, b3, b4, b5, b6 = _buildings(
        rng,
        k.kode,
        [
            "skole",
            "dagtilbud",
            rng.choice(["kultur", "administration"]),
            "aeldre",
            "administration",
            "idraet",
        ],
    )
    # part-year: b5 always (from and/or to), b3 (receiving the moving meter) sometimes to
    b5.fra = date(aar, rng.randint(1, 4), rng.randint(2, 28)) if opts["b5_from"] else None
    b5.til = date(aar, rng.randint(8, 11), rng.randint(2, 28)) if opts["b5_to"] or not b5.fra else None
    if opts["b3_part_year"]:
        b3.til = date(aar, rng.randint(10, 11), rng.randint(2, 28))
    for i, b in enumerate((b1, b2, b3, b4, b5, b6)):
        building(k, f, rng, b, blank_sektor=(i == 0 and opts["blank_sektor"]))
    # b1: el across both DST changes; natural gas as register readings with a meter swap; water in liter
    maaler(k, f, f"EL-{b1.id}", b1.id, "el")
    dst_el(k, f, rng, f"EL-{b1.id}", aar, 45 * b1.areal)
    k.note(b1.id, "el i timer hen over begge sommertidsskift, periode over årsskiftet")
    register_swap(
        k, f, rng, b1.id, aar, 120 * b1.areal, opts["register_first_missing"], opts["register_early_first"]
    )
    maaler(k, f, f"V-{b1.id}", b1.id, "vand")
    water(k, f, rng, f"V-{b1.id}", aar, 0.15 * b1.areal, liter=True)
    # b2 -> b3: the moving district-heating meter; el in MWh and kWh
    moving_meter(k, f, rng, b2, b3, aar, opts["moving_named"])
    # b4 -> b2: a water meter that moves, in the other variant (both buildings have their own meter too)
    moving_meter(k, f, rng, b4, b2, aar, not opts["moving_named"], art="vand")
    for b, unit, factor in ((b2, "MWh", 1000.0), (b3, "kWh", 1.0), (b4, "kWh", 1.0), (b5, "MWh", 1000.0)):
        maaler(k, f, f"EL-{b.id}", b.id, "el")
        skip = (rng.randint(1, 12),) if b is b4 and opts["el_gap"] else ()
        monthly(k, f, rng, "forbrug_el.csv", f"EL-{b.id}", aar, 40 * b.areal, factor, unit, skip=skip)
        if skip:
            k.note(b.id, f"el mangler måned {skip[0]}")
    # b4 + b5: a shared meter (b5 is part-year: its share counts only inside its in-use period)
    shared_meter(k, f, rng, b4, b5, aar)
    for b in (b2, b3, b4, b5):
        maaler(k, f, f"V-{b.id}", b.id, "vand")
        water(k, f, rng, f"V-{b.id}", aar, 0.2 * b.areal, liter=False)
    # b6: a decreasing el register, oil deliveries named to the building, no water meter
    register_decrease(k, f, rng, f"EL-{b6.id}", b6.id, aar, 35 * b6.areal)
    oil(k, f, rng, f"OLIE-{b6.id}", b6.id, aar, 100 * b6.areal)
    k.note(b6.id, "ingen vandmåler")
    # indoor climate
    indoor_near_40(k, f, rng, b1, aar, opts["indoor_total"])
    indoor_default_schedule(k, f, rng, b2, aar, holidays)
    for b in (b1, b2, b3, b4, b5, b6):
        other_datasets(k, f, rng, b, aar, expenses=b is not b4, duplicate=b is b3 and opts["duplicate_grade"])


def plain_kommune(k: Kommune, rng: random.Random, aar: int, opts: dict) -> None:
    f = Fmt(k.danish)
    n = rng.randint(2, 4)
    bs = _buildings(rng, k.kode, [rng.choice(sorted(TYPES)) for _ in range(n)])
    if rng.random() < 0.5:
        bs[-1].fra = date(aar, rng.randint(2, 5), rng.randint(2, 28))
    for b in bs:
        building(k, f, rng, b, blank_sektor=rng.random() < 0.3)
    for i, b in enumerate(bs):
        unit, factor = rng.choice([("kWh", 1.0), ("MWh", 1000.0)])
        maaler(k, f, f"EL-{b.id}", b.id, "el")
        skip = (rng.randint(1, 12),) if rng.random() < 0.2 else ()
        monthly(k, f, rng, "forbrug_el.csv", f"EL-{b.id}", aar, 40 * b.areal, factor, unit, skip=skip)
        if skip:
            k.note(b.id, f"el mangler måned {skip[0]}")
        if i == 0 and n >= 2 and opts["second_move"]:
            moving_meter(k, f, rng, bs[0], bs[1], aar, named=not opts["moving_named"])
        elif i == 1 and n >= 2 and opts["second_move"]:
            pass
        elif rng.random() < 0.2:
            k.note(b.id, "ingen varmemåler")
        elif rng.random() < 0.5:
            maaler(k, f, f"FV-{b.id}", b.id, "fjernvarme")
            monthly(
                k,
                f,
                rng,
                "forbrug_varme.csv",
                f"FV-{b.id}",
                aar,
                110 * b.areal,
                1000.0,
                "MWh",
                HEAT_SHAPE,
                inclusive_ends=True,
            )
        else:
            maaler(k, f, f"NG-{b.id}", b.id, "naturgas")
            monthly(
                k,
                f,
                rng,
                "forbrug_varme.csv",
                f"NG-{b.id}",
                aar,
                110 * b.areal,
                11.0,
                rng.choice(["Nm3", "m3"]),
                HEAT_SHAPE,
            )
        maaler(k, f, f"V-{b.id}", b.id, "vand")
        water(k, f, rng, f"V-{b.id}", aar, 0.2 * b.areal, liter=rng.random() < 0.5)
        other_datasets(k, f, rng, b, aar, expenses=rng.random() < 0.85, duplicate=rng.random() < 0.2)


def reference(rng: random.Random, aar: int, codes: list[str], opts: dict) -> tuple[dict, list[str]]:
    summary = []
    gd = [(f"{aar}-{m:02d}", round(g * rng.uniform(0.8, 1.0), 1)) for m, g in enumerate(NORMAL_GD, 1)]
    gd += [(f"{aar - 1}-{m:02d}", round(g * 0.9, 1)) for m, g in enumerate(NORMAL_GD, 1)]
    files = {}
    if opts["missing_gd"]:
        miss = rng.randint(1, 12)
        gd = [r for r in gd if r[0] != f"{aar}-{miss:02d}"]
        summary.append(f"graddage mangler {aar}-{miss:02d}")
    files["graddage.csv"] = [{"maaned": m, "graddage": f"{g:.1f}".replace(".", ",")} for m, g in gd]
    if opts["duplicate_gd"]:  # the same month in a second file: identical (counts once) or conflicting
        dup = gd[rng.randrange(len(gd))]
        conflicting = rng.random() < 0.3
        value = dup[1] + (7.0 if conflicting else 0.0)
        files["graddage_tillaeg.csv"] = [{"maaned": dup[0], "graddage": f"{value:.1f}".replace(".", ",")}]
        summary.append(f"graddage {dup[0]} to gange ({'modstridende' if conflicting else 'ens'})")
    ef = [("el", 120.0), ("fjernvarme", 70.0), ("naturgas", 204.0), ("olie", 266.0)]
    if not opts["olie_factor"]:
        ef = ef[:3]
        summary.append("ingen emissionsfaktor for olie")
    files["emissionsfaktorer.csv"] = [
        {
            "forsyningsart": a,
            "aar": str(y),
            "g_co2e_pr_kwh": f"{g * (1 + 0.05 * (aar - y)):.1f}".replace(".", ","),
            "kilde": "test",
        }
        for y in (aar - 1, aar)
        for a, g in ef
    ]
    if opts["conflicting_ef"]:  # naturgas given again with another value: that key is not used
        files["emissionsfaktorer_tillaeg.csv"] = [
            {"forsyningsart": "naturgas", "aar": str(aar), "g_co2e_pr_kwh": "210,0", "kilde": "anden kilde"}
        ]
        summary.append("modstridende emissionsfaktor for naturgas")
    files["befolkning.csv"] = [
        {"kommunekode": c, "aar": str(aar), "indbyggere": str(rng.randint(20_000, 300_000))} for c in codes
    ]
    files["deltagere.csv"] = [{"kommunekode": c, "aar": str(aar)} for c in codes]
    return files, summary


@st.composite
def cases(draw) -> Case:
    aar = draw(st.sampled_from([2024, 2023, 2025]))
    n = draw(st.integers(1, 3))
    codes = draw(st.lists(st.sampled_from(KOMMUNER), min_size=n, max_size=n, unique=True))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    opts = {
        "moving_named": draw(st.booleans()),
        "indoor_total": draw(st.sampled_from([40, 39, 41, 38, 42])),
        "register_first_missing": draw(st.booleans()) and rng.random() < 0.5,
        "register_early_first": draw(st.booleans()),
        "b5_from": draw(st.booleans()),
        "b5_to": draw(st.booleans()),
        "b3_part_year": draw(st.booleans()),
        "el_gap": draw(st.booleans()),
        "blank_sektor": draw(st.booleans()),
        "duplicate_grade": draw(st.booleans()),
        "missing_gd": draw(st.booleans()),
        "duplicate_gd": draw(st.booleans()),
        "olie_factor": draw(st.booleans()),
        "second_move": draw(st.booleans()),
        "conflicting_ef": draw(st.booleans()) and rng.random() < 0.5,
    }
    kommuner = []
    for i, c in enumerate(codes):
        danish = draw(st.booleans())
        folder = c.lstrip("0") if draw(st.booleans()) else c
        k = Kommune(c, folder, danish)
        if i == 0:
            main_kommune(k, rng, aar, opts, HOLIDAYS)
        else:
            plain_kommune(k, rng, aar, opts)
        kommuner.append(k)
    ref, summary = reference(rng, aar, codes, opts)
    summary = [
        f"{aar}, kommuner {', '.join(k.folder + ('(dk)' if k.danish else '') for k in kommuner)}"
    ] + summary
    summary += [f"{k}={v}" for k, v in opts.items()]
    return Case(aar, kommuner, ref, summary)


def _holidays() -> list[date]:
    with open(Path(__file__).resolve().parents[2] / "seeds" / "helligdage.csv", encoding="utf-8") as fh:
        return [date.fromisoformat(r["dato"]) for r in csv.DictReader(fh)]


HOLIDAYS = _holidays()


# ---- writing --------------------------------------------------------------------------------------------


def _write_csv(path: Path, rows: list[dict], danish: bool) -> None:
    cols: list[str] = []
    for r in rows:
        for c in r:
            if c not in cols:
                cols.append(c)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";" if danish else ",", lineterminator="\r\n" if danish else "\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([r.get(c, "") for c in cols])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode("cp1252" if danish else "utf-8"))


def write_case(case: Case, home) -> None:
    """The case's files into a kkm2 home: landing/<kode>/<aar>/ and reference/."""
    for k in case.kommuner:
        folder = Path(home.landing) / k.folder / str(case.aar)
        for name, rows in k.files.items():
            _write_csv(folder / name, rows, k.danish)
    for name, rows in case.reference.items():
        _write_csv(Path(home.reference) / name, rows, danish=True)
