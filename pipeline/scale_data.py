"""Deterministic demo data at national scale for the benchmark (`kkm2 demo-data --scale S`).

Everything grows linearly with S. S = 1: 98 municipalities, 10 000 buildings with hourly electricity
(8 784 hours in 2024 → 87,8 M rows), monthly heat and water, and 10-minute indoor-climate series for
2 000 rooms (52 704 readings each → 105 M rows). Values come from DuckDB's hash of (seed, ids), so the same S
and seed give the same bytes; written by DuckDB's COPY, one folder per municipality, plain UTF-8 CSV (comma, decimal point) with the
contract's column names and timestamps with an explicit UTC offset (no DST ambiguity)."""

from __future__ import annotations

import random
from pathlib import Path

from pipeline.contract import codes as code_lists
from pipeline.settings import connect

YEAR = 2024
HOURS = 8784  # 2024 is a leap year
TEN_MINUTES = HOURS * 6
SECTORS = [(421, "skole"), (441, "dagtilbud"), (531, "aeldre"), (321, "administration"), (532, "kultur")]


def plan(scale: float) -> dict:
    buildings = max(1, round(10_000 * scale))
    return {
        "kommuner": max(1, min(98, round(98 * scale))),
        "bygninger": buildings,
        "lokaler": max(1, round(2_000 * scale)),
        "el_raekker": buildings * HOURS,
        "indeklima_raekker": max(1, round(2_000 * scale)) * TEN_MINUTES,
    }


def generate_scaled(landing: Path, scale: float, seed: int = 1, reference: Path | None = None) -> dict:
    """Write the submissions for `scale` under `landing/<kommunekode>/2024/`. Returns the plan with files."""
    p = plan(scale)
    codes = list(code_lists.codes("kommunekode"))
    chosen = sorted(random.Random(seed).sample(codes, p["kommuner"]))
    con = connect()
    files = []
    try:
        for i, k in enumerate(chosen):
            # buildings and rooms spread evenly over the municipalities
            b0, b1 = p["bygninger"] * i // len(chosen), p["bygninger"] * (i + 1) // len(chosen)
            r0, r1 = p["lokaler"] * i // len(chosen), p["lokaler"] * (i + 1) // len(chosen)
            folder = landing / k / str(YEAR)
            folder.mkdir(parents=True, exist_ok=True)
            files += _municipality(con, folder, k, b0, b1, r0, r1, seed)
        if reference is not None:
            reference.mkdir(parents=True, exist_ok=True)
            rows = "".join(f"{k};{YEAR};{20_000 + (int(k) * 37) % 80_000}\n" for k in chosen)
            (reference / "befolkning.csv").write_text("kommunekode;aar;indbyggere\n" + rows, encoding="utf-8")
    finally:
        con.close()
    return {**p, "kommunekoder": chosen, "filer": [str(f) for f in files]}


def _copy(con, sql: str, path: Path) -> Path:
    con.execute(f"COPY ({sql}) TO '{path}' (FORMAT csv, HEADER, DELIMITER ',')")
    return path


def _municipality(con, folder: Path, k: str, b0: int, b1: int, r0: int, r1: int, seed: int) -> list[Path]:
    n_sectors = len(SECTORS)
    sector_codes = "[" + ", ".join(str(c) for c, _ in SECTORS) + "]"
    bid = f"'{k}-B' || lpad(CAST(b AS VARCHAR), 6, '0')"
    buildings = f"SELECT b, {bid} AS bygning_id FROM range({b0}, {b1}) t(b)"
    out = [
        _copy(
            con,
            f"SELECT {bid} AS bygning_id, 'Bygning ' || b AS navn, "
            f"{sector_codes}[1 + CAST(hash(b, {seed}) % {n_sectors} AS BIGINT)] AS anvendelseskode, "
            f"round(300 + (hash(b, {seed}, 1) % 9700), 1) AS bruttodriftsareal_m2, 'ejet' AS ejerforhold "
            f"FROM range({b0}, {b1}) t(b)",
            folder / "bygninger.csv",
        ),
        _copy(
            con,
            f"SELECT bygning_id || '-' || art AS maaler_id, bygning_id, art AS forsyningsart "
            f"FROM ({buildings}) CROSS JOIN (VALUES ('el'), ('fjernvarme'), ('vand')) v(art)",
            folder / "maalere.csv",
        ),
        # hourly electricity: a daily and a weekly pattern on a per-building level
        _copy(
            con,
            f"SELECT bygning_id || '-el' AS maaler_id, "
            "strftime(TIMESTAMP '2023-12-31 23:00:00' + INTERVAL 1 HOUR * h, '%Y-%m-%dT%H:%M:%S+00:00') "
            "AS periode_fra, "
            "strftime(TIMESTAMP '2023-12-31 23:00:00' + INTERVAL 1 HOUR * (h + 1), '%Y-%m-%dT%H:%M:%S+00:00') "
            "AS periode_til, "
            f"round((1 + (hash(b, {seed}, 2) % 20)) * (0.3 + 0.7 * (h % 24 BETWEEN 6 AND 17)::INT)"
            f" * (1 + (hash(b, h, {seed}) % 100) / 500.0), 3) AS maengde, 'kWh' AS enhed, 'forbrug' AS maaletype "
            f"FROM ({buildings}) CROSS JOIN range({HOURS}) t(h)",
            folder / "forbrug_el.csv",
        ),
        _copy(
            con,
            "SELECT bygning_id || '-' || art AS maaler_id, "
            f"make_date({YEAR}, m, 1) AS periode_fra, "
            f"CASE WHEN m = 12 THEN make_date({YEAR + 1}, 1, 1) ELSE make_date({YEAR}, m + 1, 1) END AS periode_til, "
            f"round(CASE art WHEN 'fjernvarme' THEN 2000 + (hash(b, m, {seed}) % 20000) "
            f"ELSE 10 + (hash(b, m, {seed}) % 200) END, 1) AS maengde, "
            "CASE art WHEN 'fjernvarme' THEN 'kWh' ELSE 'm3' END AS enhed, 'forbrug' AS maaletype "
            f"FROM ({buildings}) CROSS JOIN range(1, 13) t(m) CROSS JOIN (VALUES ('fjernvarme'), ('vand')) v(art)",
            folder / "forbrug_varme_vand.csv",
        ),
    ]
    if r1 > r0:
        # rooms in the municipality's first buildings, one room per building (round robin)
        out.append(
            _copy(
                con,
                f"SELECT '{k}-B' || lpad(CAST({b0} + (r - {r0}) % greatest({b1 - b0}, 1) AS VARCHAR), 6, '0') "
                "AS bygning_id, 'L' || r AS lokale_id, "
                "strftime(TIMESTAMP '2023-12-31 23:00:00' + INTERVAL 10 MINUTE * s, '%Y-%m-%dT%H:%M:%S+00:00') "
                "AS tidspunkt, "
                f"400 + (hash(r, s, {seed}) % 900) AS co2_ppm, "
                f"round(19 + (hash(r, s, {seed}, 1) % 70) / 10.0, 1) AS temperatur_c "
                f"FROM range({r0}, {r1}) t(r) CROSS JOIN range({TEN_MINUTES}) u(s)",
                folder / "indeklima_maalinger.csv",
            )
        )
    return out
