"""pipeline.states: the dataset state view gives every state, and the transitions change only what they say."""

from __future__ import annotations

import json

import pytest

from pipeline.contract.datasets import DATASETS
from pipeline.states import (
    DatasetState,
    StewardError,
    SubmissionStatus,
    accept,
    hold_back,
    pin,
    unpin,
    version_status,
)
from pipeline.warehouse import ensure_schema


def add_version(con, k: str, aar: int, version: int, status: str, datasets: dict[str, tuple]) -> None:
    """A submission version with the given status and, per dataset, (files, received, accepted, rejected)."""
    con.execute(
        "INSERT INTO audit.submissions VALUES (?, ?, ?, now(), 'fp', '[]', ?, '{}')",
        [k, aar, version, status],
    )
    for ds, (files, received, accepted, rejected) in datasets.items():
        con.execute(
            "INSERT INTO audit.submission_datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0)",
            [k, aar, version, ds, json.dumps(files), received, accepted, rejected],
        )


def states(con, k: str, version: int) -> dict[str, str]:
    return dict(
        con.execute(
            "SELECT dataset, tilstand FROM audit.dataset_states WHERE kommunekode = ? AND version = ?",
            [k, version],
        ).fetchall()
    )


def test_the_view_gives_every_dataset_of_every_version_one_state(mem):
    ensure_schema(mem)
    add_version(
        mem,
        "0101",
        2024,
        1,
        SubmissionStatus.GODKENDT,
        {
            "bygninger": (["b.csv"], 10, 10, 0),
            "maalere": (["m.csv"], 10, 7, 3),
            "forbrug": (["f.csv"], 5, 0, 5),
            "udgifter": (["u.csv"], 0, 0, 0),
        },
    )
    add_version(mem, "0147", 2024, 1, SubmissionStatus.HOLDT_TILBAGE, {"bygninger": (["b.csv"], 1, 1, 0)})
    add_version(
        mem, "0147", 2024, 2, SubmissionStatus.AFVENTER_GODKENDELSE, {"bygninger": (["b.csv"], 1, 1, 0)}
    )
    godkendt = states(mem, "0101", 1)
    assert set(godkendt) == set(DATASETS)  # every dataset of the contract, with a file or not
    assert godkendt["bygninger"] == DatasetState.GODKENDT
    assert godkendt["maalere"] == DatasetState.DELVIST_GODKENDT
    assert godkendt["forbrug"] == DatasetState.AFVIST
    assert godkendt["udgifter"] == DatasetState.MODTAGET
    assert godkendt["vedligehold"] == DatasetState.MANGLER
    assert states(mem, "0147", 1)["bygninger"] == DatasetState.HOLDT_TILBAGE
    assert states(mem, "0147", 1)["maalere"] == DatasetState.MANGLER  # no file: nothing to hold back
    assert states(mem, "0147", 2)["bygninger"] == DatasetState.AFVENTER_GODKENDELSE
    seen = {s for (s,) in mem.execute("SELECT DISTINCT tilstand FROM audit.dataset_states").fetchall()}
    assert seen == set(DatasetState)


def test_a_load_gives_a_version_its_status():
    assert version_status(True, volume_dropped=False) == SubmissionStatus.GODKENDT
    assert version_status(True, volume_dropped=True) == SubmissionStatus.AFVENTER_GODKENDELSE
    assert version_status(False, volume_dropped=True) == SubmissionStatus.HOLDT_TILBAGE


def test_hold_back_pin_unpin_and_accept_change_only_what_they_say(mem):
    ensure_schema(mem)
    add_version(mem, "0101", 2024, 1, SubmissionStatus.GODKENDT, {})
    add_version(mem, "0101", 2024, 2, SubmissionStatus.GODKENDT, {})

    def active():
        return mem.execute(
            "SELECT version FROM audit.active_submissions WHERE kommunekode = '0101'"
        ).fetchall()

    assert active() == [(2,)]
    pin(mem, "0101", 2024, 1, "v2 mangler noget", user="steward")
    assert active() == [(1,)]
    assert hold_back(mem, "0101", 2024, "gate3_x", "fejl") is None  # a pinned version is the steward's
    unpin(mem, "0101", 2024, None, user="steward")
    assert hold_back(mem, "0101", 2024, "gate3_x", "Gate 3: fejl") == 2
    assert active() == [(1,)]  # the newest version that passed is active again
    assert mem.execute("SELECT regel, besked FROM audit.findings WHERE version = 2").fetchall() == [
        ("gate3_x", "Gate 3: fejl")
    ]
    with pytest.raises(StewardError, match="kan ikke gøres aktiv"):
        pin(mem, "0101", 2024, 2, None, user="steward")
    with pytest.raises(StewardError, match="venter"):
        accept(mem, "0101", 2024, "ok", user="steward")
    add_version(mem, "0101", 2024, 3, SubmissionStatus.AFVENTER_GODKENDELSE, {})
    with pytest.raises(StewardError, match="begrundelse"):
        accept(mem, "0101", 2024, " ", user="steward")
    assert accept(mem, "0101", 2024, "nedlagte skoler", user="steward") == 3
    assert active() == [(3,)]
    log = mem.execute(
        "SELECT handling, version, bruger FROM audit.steward_log ORDER BY tid, handling"
    ).fetchall()
    assert [(h, v) for h, v, _ in log] == [("fastlaas", 1), ("frigiv", 1), ("accepter", 3)]
