"""The rules on a submission's files, before their rows: what is read, and how headers map to the contract.
Each names its finding code, its severity and its Danish text (a str.format template)."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.validation.core import ERROR, INFO, WARNING


@dataclass(frozen=True)
class FileCheck:
    code: str
    severity: str
    message: str  # str.format template with named fields
    doc: str | None = None  # for the documentation, where the text is the reader's own

    def text(self, **fields) -> str:
        return self.message.format(**fields)


UKENDT_FORMAT = FileCheck(
    "ukendt_format", ERROR, "Filformatet '{suffix}' understøttes ikke; brug CSV, XLSX, JSON eller Parquet."
)
ULAESELIG_FIL = FileCheck(
    "ulaeselig_fil",
    ERROR,
    "{grund}",
    "Filen kan ikke læses (for stor, beskadiget, forkert format, for mange kolonner, for lange linjer …); "
    "teksten siger hvorfor. Hele filen er afvist.",
)
TEGNSAET = FileCheck(
    "tegnsaet",
    WARNING,
    "{grund}",
    "Filen blander tegnsæt (UTF-8 og Windows-1252); teksten nævner linjerne.",
)
UKENDT_ARK = FileCheck(
    "ukendt_ark", WARNING, "Arket '{ark}' passer ikke til noget datasæt og er ikke indlæst."
)
UKENDT_FIL = FileCheck(
    "ukendt_fil",
    ERROR,
    "Filnavnet passer ikke til noget datasæt i informationsmodellen; filen er ikke indlæst. Navngiv filen efter "
    "datasættet, fx {datasaet}.",
)
DOBBELT_KOLONNE = FileCheck("dobbelt_kolonne", ERROR, "Kolonnen '{navn}' optræder to gange i overskriften.")
UKENDT_KOLONNE = FileCheck(
    "ukendt_kolonne", WARNING, "Kolonnen '{kolonne}' kendes ikke i datasættet {datasaet} og ignoreres."
)
KOLONNE_MANGLER = FileCheck(
    "kolonne_mangler",
    ERROR,
    "Påkrævet kolonne mangler: {mangler}. Overskriften i række 1 har: {overskrift}.",
)
FORKERT_KOMMUNE = FileCheck(
    "forkert_kommune",
    ERROR,
    "Kolonnen kommunekode har værdien '{tekst}' (række {raekke}), men filen ligger i kommune {kommune}s mappe. "
    "En kommune kan ikke indberette for en anden; hele filen er afvist.",
)
PROFIL = FileCheck("profil", INFO, "Filen er læst med importprofilen '{profil}'.")
MANGLER_BYGNINGER = FileCheck(
    "mangler_bygninger", ERROR, "Datasættet bygninger mangler; det er påkrævet i hver indberetning."
)
SPRUNGET_OVER = FileCheck(
    "sprunget_over",
    INFO,
    "{grund} ({antal} rækker).",
    "Rækker, som en importprofil springer over (fx Eloverbliks periodesummer), med profilens grund og antallet.",
)

FILE_CHECKS: tuple[FileCheck, ...] = (
    UKENDT_FORMAT,
    ULAESELIG_FIL,
    TEGNSAET,
    UKENDT_ARK,
    UKENDT_FIL,
    DOBBELT_KOLONNE,
    UKENDT_KOLONNE,
    KOLONNE_MANGLER,
    FORKERT_KOMMUNE,
    PROFIL,
    MANGLER_BYGNINGER,
    SPRUNGET_OVER,
)
