"""A submission's states and the only ways they change, in one place.

A submission version (audit.submissions.status) is `godkendt`, `holdt_tilbage` or `afventer_godkendelse`; the
active version of a submission (audit.active_submissions) is the pinned one, else the newest `godkendt` one.
The transitions:
  - a load makes a version (`version_status`): `godkendt` when GX found nothing and nothing is wrong with the
    submission as a whole, `afventer_godkendelse` when gate 2 saw its buildings or area fall, else
    `holdt_tilbage`;
  - a gate or a failed step of publishing holds the active version back (`hold_back`);
  - the steward accepts a waiting version (`accept`), pins an archived `godkendt` version (`pin`) and unpins it
    (`unpin`); every steward action is logged with who, when and why (audit.steward_log).
Each dataset of a version then has a state (`DatasetState`), computed by one SQL view, audit.dataset_states
(`DATASET_STATES_VIEW`, created with the audit schema), which the status mart, the status snapshot and the CLI
read."""

from __future__ import annotations

import getpass
import os
from enum import StrEnum

from pipeline.validation.core import ERROR, Findings, q, str_list


class SubmissionStatus(StrEnum):
    """A submission version's status (audit.submissions.status)."""

    GODKENDT = "godkendt"  # passed its gates: it can be active
    HOLDT_TILBAGE = "holdt_tilbage"  # a gate or an internal failure held it back
    AFVENTER_GODKENDELSE = "afventer_godkendelse"  # gate 2: waits for the steward's `kkm2 accept`

    @property
    def label(self) -> str:
        """In Danish, for people (the feedback page)."""
        return {
            SubmissionStatus.GODKENDT: "godkendt",
            SubmissionStatus.HOLDT_TILBAGE: "holdt tilbage",
            SubmissionStatus.AFVENTER_GODKENDELSE: "venter på stewardens godkendelse",
        }[self]


class LandingOutcome(StrEnum):
    """What a look at a submission in landing/ found: the landing sensor's decision (pipeline.landing), and a
    load's outcome when it made no version (IngestResult.status, beside a SubmissionStatus when it did)."""

    NY = "ny"  # a submission not loaded before: load it
    AENDRET = "aendret"  # its files changed: load it
    UAENDRET = "uaendret"  # its files are the newest version's
    VENTER = "venter"  # a file is still being written or changed while it was read: looked at again later
    VAGT = "vagt"  # most of its files vanished at once: nothing changed, the steward is told
    FORSVUNDET = "forsvundet"  # its folder is gone: the loaded version stands, the steward is told


class DatasetState(StrEnum):
    """A dataset's state in a submission version (audit.dataset_states.tilstand), in the order it is decided."""

    MANGLER = "mangler"  # no file for the dataset (or no submission at all)
    HOLDT_TILBAGE = "holdt_tilbage"  # the version is held back
    AFVENTER_GODKENDELSE = "afventer_godkendelse"  # the version waits for the steward
    MODTAGET = "modtaget"  # files, but no rows in them
    AFVIST = "afvist"  # rows, none accepted
    DELVIST_GODKENDT = "delvist_godkendt"  # some rows accepted, some rejected
    GODKENDT = "godkendt"  # every received row accepted (or skipped)

    @property
    def label(self) -> str:
        """In Danish, for people (the municipality's report page)."""
        return {
            DatasetState.MANGLER: "Mangler",
            DatasetState.HOLDT_TILBAGE: "Holdt tilbage",
            DatasetState.AFVENTER_GODKENDELSE: "Venter på stewardens godkendelse",
            DatasetState.MODTAGET: "Modtaget uden rækker",
            DatasetState.AFVIST: "Afvist",
            DatasetState.DELVIST_GODKENDT: "Delvist godkendt",
            DatasetState.GODKENDT: "Godkendt",
        }[self]


class StewardAction(StrEnum):
    """audit.steward_log.handling."""

    FASTLAAS = "fastlaas"
    FRIGIV = "frigiv"
    ACCEPTER = "accepter"


def version_status(passed: bool, volume_dropped: bool) -> SubmissionStatus:
    """The status a load gives a new version: `passed` when GX found nothing in the accepted rows and the
    submission as a whole has no problem; `volume_dropped` when gate 2 saw its buildings or area fall."""
    if not passed:
        return SubmissionStatus.HOLDT_TILBAGE
    return SubmissionStatus.AFVENTER_GODKENDELSE if volume_dropped else SubmissionStatus.GODKENDT


def dataset_state_sql(status: str, filer: str, modtaget: str, accepteret: str, afvist: str) -> str:
    """SQL: a dataset's state from its version's status (null: no version) and its row counts (null: no
    file)."""
    s = DatasetState
    return f"""CASE
        WHEN {status} IS NULL OR {filer} IS NULL OR {filer} = '[]' THEN {q(s.MANGLER)}
        WHEN {status} = {q(SubmissionStatus.HOLDT_TILBAGE)} THEN {q(s.HOLDT_TILBAGE)}
        WHEN {status} = {q(SubmissionStatus.AFVENTER_GODKENDELSE)} THEN {q(s.AFVENTER_GODKENDELSE)}
        WHEN {modtaget} = 0 THEN {q(s.MODTAGET)}
        WHEN {accepteret} = 0 AND {afvist} > 0 THEN {q(s.AFVIST)}
        WHEN {afvist} > 0 THEN {q(s.DELVIST_GODKENDT)}
        ELSE {q(s.GODKENDT)}
    END"""


def dataset_states_view(datasets: list[str]) -> str:
    """The view audit.dataset_states: one row per submission version and dataset (every dataset of the
    contract, and any other a version has rows of), with its files, counts and state."""
    state = dataset_state_sql(
        "s.status", "d.filer", "d.raekker_modtaget", "d.raekker_accepteret", "d.raekker_afvist"
    )
    return f"""
CREATE OR REPLACE VIEW audit.dataset_states AS
WITH datasaet AS (
    SELECT unnest({str_list(datasets)}) AS dataset
    UNION
    SELECT DISTINCT dataset FROM audit.submission_datasets
)
SELECT s.kommunekode, s.aar, s.version, ds.dataset, {state} AS tilstand,
       coalesce(d.filer, '[]') AS filer, coalesce(d.raekker_modtaget, 0) AS raekker_modtaget,
       coalesce(d.raekker_accepteret, 0) AS raekker_accepteret, coalesce(d.raekker_afvist, 0) AS raekker_afvist,
       coalesce(d.raekker_sprunget_over, 0) AS raekker_sprunget_over, coalesce(d.advarsler, 0) AS advarsler
FROM audit.submissions s
CROSS JOIN datasaet ds
LEFT JOIN audit.submission_datasets d
    ON d.kommunekode = s.kommunekode AND d.aar = s.aar AND d.version = s.version AND d.dataset = ds.dataset;
"""


# ---- transitions --------------------------------------------------------------------------------------
class StewardError(Exception):
    """A Danish message for the steward: the action was refused and nothing changed."""


def who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user in a container
        return os.environ.get("USER", "ukendt")


def _log(con, action: StewardAction, kommunekode: str, aar: int, version, user: str, reason) -> None:
    con.execute(
        "INSERT INTO audit.steward_log (handling, kommunekode, aar, version, bruger, tid, begrundelse) "
        "VALUES (?, ?, ?, ?, ?, now(), ?)",
        [action, kommunekode, aar, version, user, reason],
    )


def hold_back(con, kommunekode: str, aar: int, regel: str, besked: str) -> int | None:
    """Hold back the active version of a municipality-year (a gate, or a step of publishing, failed for it),
    with a finding saying why; returns the version, or None when there is none to hold back. A pinned version
    is the steward's decision and is not overruled (its failure stands, and publication stops)."""
    row = con.execute(
        "SELECT a.version FROM audit.active_submissions a WHERE kommunekode = ? AND aar = ? "
        "AND NOT EXISTS (SELECT 1 FROM audit.pins p WHERE p.kommunekode = a.kommunekode AND p.aar = a.aar)",
        [kommunekode, aar],
    ).fetchall()
    if not row:
        return None
    v = row[0][0]
    con.execute(
        "UPDATE audit.submissions SET status = ? WHERE kommunekode = ? AND aar = ? AND version = ?",
        [SubmissionStatus.HOLDT_TILBAGE, kommunekode, aar, v],
    )
    Findings(con, (kommunekode, aar, v)).add(regel, besked, ERROR)
    return v


def pin(con, kommunekode: str, aar: int, version: int, reason: str | None, user: str | None = None) -> None:
    """Make an archived version active until unpinned, whatever the landing folder holds now."""
    row = con.execute(
        "SELECT status FROM audit.submissions WHERE kommunekode = ? AND aar = ? AND version = ?",
        [kommunekode, aar, version],
    ).fetchall()
    if not row:
        raise StewardError(f"{kommunekode}/{aar} har ingen version {version} (se `kkm2 versions`).")
    if row[0][0] != SubmissionStatus.GODKENDT:
        raise StewardError(
            f"Version {version} af {kommunekode}/{aar} har status '{row[0][0]}' og kan ikke gøres aktiv; "
            "kun en version, der har bestået kontrollerne, kan fastlåses."
        )
    user = user or who()
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM audit.pins WHERE kommunekode = ? AND aar = ?", [kommunekode, aar])
    con.execute(
        "INSERT INTO audit.pins (kommunekode, aar, version, bruger, tid, begrundelse) VALUES (?, ?, ?, ?, now(), ?)",
        [kommunekode, aar, version, user, reason],
    )
    _log(con, StewardAction.FASTLAAS, kommunekode, aar, version, user, reason)
    con.execute("COMMIT")


def unpin(con, kommunekode: str, aar: int, reason: str | None, user: str | None = None) -> int | None:
    """Remove a pin: the newest version that passed its gates is active again. Returns the unpinned version."""
    row = con.execute(
        "SELECT version FROM audit.pins WHERE kommunekode = ? AND aar = ?", [kommunekode, aar]
    ).fetchall()
    if not row:
        raise StewardError(f"{kommunekode}/{aar} er ikke fastlåst.")
    user = user or who()
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM audit.pins WHERE kommunekode = ? AND aar = ?", [kommunekode, aar])
    _log(con, StewardAction.FRIGIV, kommunekode, aar, row[0][0], user, reason)
    con.execute("COMMIT")
    return row[0][0]


def accept(con, kommunekode: str, aar: int, reason: str, user: str | None = None) -> int:
    """Accept the pending warning of a submission's newest version (gate 2: a volume drop): it becomes the
    active version. Recorded with who, when and why. Returns the version."""
    if not reason or not reason.strip():
        raise StewardError("Angiv en begrundelse (--reason); den gemmes sammen med hvem og hvornår.")
    row = con.execute(
        "SELECT version FROM audit.submissions WHERE kommunekode = ? AND aar = ? AND status = ? "
        "ORDER BY version DESC LIMIT 1",
        [kommunekode, aar, SubmissionStatus.AFVENTER_GODKENDELSE],
    ).fetchall()
    if not row:
        raise StewardError(f"{kommunekode}/{aar} har ingen version, der venter på godkendelse.")
    v = row[0][0]
    user = user or who()
    con.execute("BEGIN TRANSACTION")
    con.execute(
        "UPDATE audit.submissions SET status = ? WHERE kommunekode = ? AND aar = ? AND version = ?",
        [SubmissionStatus.GODKENDT, kommunekode, aar, v],
    )
    _log(con, StewardAction.ACCEPTER, kommunekode, aar, v, user, reason)
    con.execute("COMMIT")
    return v
