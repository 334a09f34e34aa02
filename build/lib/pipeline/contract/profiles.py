"""Import profiles: a system's own export delivered unchanged, mapped to the contract.

Built-in profiles are recognised by their header (Eloverblik). Steward profiles live in
`reference/profiler/*.toml` and say which files they apply to (municipalities and a file-name pattern),
which source column fills which contract column, constant values, the time zone and the unit:

    navn = "relife_varmemaaler"
    datasaet = "forbrug"
    kommuner = ["0851"]               # empty or absent: every municipality
    filer = "varme/*.csv"             # pattern on the path below <kommunekode>/<aar>/
    tidszone = "UTC"                  # timestamps without an offset are in this zone
    ignorer = ["customer_id"]         # the export's columns that carry nothing for kkm2 (no warning)
    [kolonner]                        # contract column = the export's header
    maaler_id = "meter_id"
    periode_til = "time_rounded"
    maengde = "energy_heat_kwh"
    [konstanter]                      # contract column = value for every row
    forsyningsart = "fjernvarme"
    maaletype = "aflaesning"
    enhed = "kWh"

Profiles are validated like everything else: a profile that names an unknown dataset, column or time zone
is reported and not used."""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.contract.datasets import DATASETS
from pipeline.text import canonical_kommunekode, header_key


@dataclass(frozen=True)
class Profile:
    name: str
    dataset: str
    signature: frozenset[str] = frozenset()  # header keys that identify a built-in export
    files: str | None = None  # pattern on the submission-relative path (steward profiles)
    kommuner: tuple[str, ...] = ()  # empty: every municipality
    columns: dict[str, str] = field(default_factory=dict)  # contract column -> source header
    constants: dict[str, str] = field(default_factory=dict)  # contract column -> value
    time_zone: str | None = None
    skip_column: str | None = None  # header key of a column that marks rows to skip
    skip_values: frozenset[str] = frozenset()  # header_key()-folded values that are skipped
    skip_reason: str = ""
    ignore_columns: frozenset[str] = frozenset()  # known columns that carry nothing for kkm2
    source_text: str = ""  # the profile file as written (part of a submission version's fingerprint)

    def applies_to(self, kommunekode: str, relpath: str) -> bool:
        if self.files is None:
            return False
        if self.kommuner and kommunekode not in self.kommuner:
            return False
        return fnmatch.fnmatch(relpath.lower(), self.files.lower())

    def column_for(self, header: str) -> str | None:
        key = header_key(header)
        for col, src in self.columns.items():
            if header_key(src) == key:
                return col
        return None


ELOVERBLIK = Profile(
    name="eloverblik",
    dataset="forbrug",
    signature=frozenset(
        header_key(h) for h in ("Målepunkt id", "Fra dato", "Til dato", "Mængde", "Måleenhed", "Type")
    ),
    skip_column=header_key("Type"),
    skip_values=frozenset({header_key("Måling")}),
    skip_reason=(
        "Eloverblik-række af typen 'Måling' er en periodesum fra separate aflæsninger; "
        "den springes over, timeværdierne (Tidsserier) tælles"
    ),
    ignore_columns=frozenset({header_key("Kvalitet")}),
)

BUILTIN: tuple[Profile, ...] = (ELOVERBLIK,)


def detect_builtin(dataset: str, headers: list[str]) -> Profile | None:
    keys = {header_key(h) for h in headers}
    for p in BUILTIN:
        if p.dataset == dataset and p.signature <= keys:
            return p
    return None


def parse_profile(data: dict, source: str, source_text: str = "") -> tuple[Profile | None, list[str]]:
    """A steward profile from its TOML data; (None, problems in Danish) when it is not usable."""
    problems: list[str] = []
    name = str(data.get("navn") or Path(source).stem)
    dataset = data.get("datasaet")
    if dataset not in DATASETS:
        return None, [f"Profilen {source}: datasaet '{dataset}' findes ikke ({', '.join(DATASETS)})."]
    contract = DATASETS[dataset]
    columns = {str(k): str(v) for k, v in (data.get("kolonner") or {}).items()}
    constants = {str(k): str(v) for k, v in (data.get("konstanter") or {}).items()}
    for col in [*columns, *constants]:
        if col not in contract.column_names:
            problems.append(f"Profilen {source}: kolonnen '{col}' findes ikke i {dataset}.")
    tz = data.get("tidszone")
    if tz:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(
                f"Profilen {source}: tidszonen '{tz}' kendes ikke (brug fx UTC eller Europe/Copenhagen)."
            )
    kommuner = []
    for k in data.get("kommuner") or []:
        c = canonical_kommunekode(str(k))
        if c is None:
            problems.append(f"Profilen {source}: '{k}' er ikke en kommunekode.")
        else:
            kommuner.append(c)
    if not data.get("filer"):
        problems.append(f"Profilen {source}: 'filer' (et filnavnsmønster) mangler.")
    if problems:
        return None, problems
    return (
        Profile(
            name=name,
            dataset=dataset,
            files=str(data["filer"]),
            kommuner=tuple(kommuner),
            columns=columns,
            constants=constants,
            time_zone=tz,
            ignore_columns=frozenset(header_key(str(h)) for h in data.get("ignorer") or []),
            source_text=source_text,
        ),
        [],
    )


def load_profiles(folder: Path) -> tuple[list[Profile], list[str]]:
    """Steward profiles from `reference/profiler/*.toml`, with the problems of those that are not usable."""
    profiles: list[Profile] = []
    problems: list[str] = []
    if not folder.exists():
        return profiles, problems
    for path in sorted(folder.glob("*.toml")):
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            problems.append(f"Profilen {path.name} kan ikke læses: {e}")
            continue
        profile, errs = parse_profile(data, path.name, text)
        problems += errs
        if profile:
            profiles.append(profile)
    return profiles, problems
