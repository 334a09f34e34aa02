"""The contract validator (gate 1) on real files in a real in-memory DuckDB."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipeline.validation import SubmissionFile, validate_files

CPH = ZoneInfo("Europe/Copenhagen")
FORBRUG_HEAD = "maaler_id;bygning_id;forsyningsart;periode_fra;periode_til;maengde;enhed\n"
BYGNINGER = (
    "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\n"
    "B1;Skolen;421;1.000,0;ejet\nB2;Hallen;533;500;Ejet\n"
)


def validate(mem, tmp_path: Path, files: dict[str, str | bytes], kommune="0101", aar=2024):
    root = tmp_path / "sub"
    subs = []
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        subs.append(SubmissionFile(p, rel))
    result = validate_files(mem, subs, kommune, aar, tmp_path / "tmp")
    return result, result.findings(mem)


def errors(findings, regel=None):
    return [f for f in findings if f["alvorlighed"] == "fejl" and (regel is None or f["regel"] == regel)]


def accepted(mem, dataset, cols="*"):
    return mem.execute(f"SELECT {cols} FROM acc_{dataset} ORDER BY _fil, _row").fetchall()


def test_a_broken_row_is_rejected_with_a_danish_reason_and_the_rest_is_accepted(mem, tmp_path):
    result, findings = validate(mem, tmp_path, {"bygninger.csv": BYGNINGER + "B3;Børnehus;441;-5;ejet\n"})
    c = result.counts["bygninger"]
    assert (c.received, c.accepted, c.rejected, c.skipped) == (3, 2, 1, 0)
    [f] = errors(findings)
    assert (f["fil"], f["raekke"], f["kolonne"], f["vaerdi"]) == (
        "bygninger.csv",
        4,
        "bruttodriftsareal_m2",
        "-5",
    )
    assert "ikke tilladt" in f["besked"] and "over 0 og højst 200.000" in f["besked"]
    rej = mem.execute("SELECT _row, vaerdier, aarsager FROM rej_bygninger").fetchall()
    assert rej[0][0] == 4 and '"bygning_id":"B3"' in rej[0][1].replace(" ", "")


def test_danish_numbers_and_codes_are_understood(mem, tmp_path):
    _, findings = validate(mem, tmp_path, {"bygninger.csv": BYGNINGER})
    assert not errors(findings)
    assert accepted(mem, "bygninger", "bygning_id, bruttodriftsareal_m2, ejerforhold") == [
        ("B1", 1000.0, "ejet"),
        ("B2", 500.0, "ejet"),
    ]


def test_windows_1252_with_danish_labels_and_tabs(mem, tmp_path):
    content = (
        "Bygnings-id\tNavn\tBBR-anvendelseskode\tBruttodriftsareal (m²)\tEjerforhold\tSektor\n"
        "S1\tÆblehaven Børnehus\t441\t1.234,5\tselvejende\tDagtilbud\n"
    ).encode("cp1252")
    _, findings = validate(mem, tmp_path, {"bygninger.csv": content})
    assert not errors(findings)
    assert accepted(mem, "bygninger", "navn, bruttodriftsareal_m2, ejerforhold, sektor") == [
        ("Æblehaven Børnehus", 1234.5, "selvejende", "dagtilbud")
    ]


def test_duplicate_building_ids_are_all_rejected(mem, tmp_path):
    result, findings = validate(mem, tmp_path, {"bygninger.csv": BYGNINGER + "B1;Igen;421;10;ejet\n"})
    assert sorted(f["raekke"] for f in errors(findings, "dublet")) == [2, 4]
    assert result.counts["bygninger"].accepted == 1


def test_a_missing_required_column_rejects_the_whole_file(mem, tmp_path):
    result, findings = validate(mem, tmp_path, {"bygninger.csv": "bygning_id;navn\nB1;x\nB2;y\n"})
    [f] = errors(findings, "kolonne_mangler")
    assert f["raekke"] is None and "anvendelseskode" in f["besked"] and "ejerforhold" in f["besked"]
    assert result.counts["bygninger"].rejected == 2 and result.counts["bygninger"].accepted == 0


def test_another_municipality_in_the_file_rejects_the_whole_file(mem, tmp_path):
    content = "kommunekode;" + BYGNINGER.replace("\nB", "\n101;B").replace("bygning_id", "bygning_id", 1)
    content = content.replace("\n101;B2", "\n751;B2")
    result, findings = validate(mem, tmp_path, {"bygninger.csv": content}, kommune="0101")
    [f] = errors(findings, "forkert_kommune")
    assert f["vaerdi"] == "751"
    assert result.counts["bygninger"].accepted == 0


def test_unknown_building_and_unit_that_does_not_fit(mem, tmp_path):
    forbrug = (
        "maaler_id;bygning_id;forsyningsart;periode_fra;periode_til;maengde;enhed\n"
        "M1;B1;el;2024-01-01;2024-02-01;100;kWh\n"
        "M2;B9;el;2024-01-01;2024-02-01;100;kWh\n"
        "M3;B1;vand;2024-01-01;2024-02-01;100;kWh\n"
    )
    result, findings = validate(mem, tmp_path, {"bygninger.csv": BYGNINGER, "forbrug.csv": forbrug})
    assert [f["raekke"] for f in errors(findings, "ukendt_bygning")] == [3]
    [unit] = errors(findings, "enhed_passer_ikke")
    assert unit["raekke"] == 4 and "m3, liter" in unit["besked"]
    assert result.counts["forbrug"].accepted == 1


def test_overlapping_periods_of_one_meter_are_both_rejected(mem, tmp_path):
    forbrug = (
        "maaler_id;bygning_id;forsyningsart;periode_fra;periode_til;maengde;enhed\n"
        "M1;B1;el;2024-01-01;2024-02-01;100;kWh\n"
        "M1;B1;el;2024-02-01;2024-03-01;100;kWh\n"
        "M1;B1;el;2024-02-15;2024-02-20;5;kWh\n"
        "M2;B1;el;2024-02-15;2024-02-20;5;kWh\n"
    )
    result, findings = validate(mem, tmp_path, {"bygninger.csv": BYGNINGER, "forbrug.csv": forbrug})
    assert sorted(f["raekke"] for f in errors(findings, "overlappende_perioder")) == [3, 4]
    assert result.counts["forbrug"].accepted == 2


@pytest.mark.parametrize(
    ("fra", "til", "next_fra", "expected_end"),
    [
        ("01.01.2024", "31.01.2024", None, datetime(2024, 2, 1, tzinfo=CPH)),  # inclusive end
        ("01.01.2024", "01.02.2024", None, datetime(2024, 2, 1, tzinfo=CPH)),  # first of a month: exclusive
        (
            "05.01.2024",
            "20.01.2024",
            "20.01.2024",
            datetime(2024, 1, 20, tzinfo=CPH),
        ),  # next start: exclusive
        ("05.01.2024", "20.01.2024", "22.01.2024", datetime(2024, 1, 21, tzinfo=CPH)),  # else inclusive
    ],
)
def test_date_only_period_ends(mem, tmp_path, fra, til, next_fra, expected_end):
    rows = f"M1;B1;el;{fra};{til};10;kWh\n"
    if next_fra:
        rows += f"M1;B1;el;{next_fra};30.01.2024;10;kWh\n"
    _, findings = validate(
        mem,
        tmp_path,
        {
            "bygninger.csv": BYGNINGER,
            "forbrug.csv": FORBRUG_HEAD + rows,
        },
    )
    assert not errors(findings)
    assert accepted(mem, "forbrug", "periode_til")[0][0] == expected_end


def test_autumn_dst_hour_is_kept_twice_in_file_order_and_spring_gap_is_no_overlap(mem, tmp_path):
    rows = "".join(f"M1;B1;el;2024-10-27 {h:02d}.00;2024-10-27 {h + 1:02d}.00;1;kWh\n" for h in (1, 2))
    rows += "M1;B1;el;2024-10-27 02.00;2024-10-27 03.00;1;kWh\n"
    rows += (
        "M1;B1;el;2024-03-31 01.00;2024-03-31 02.00;1;kWh\nM1;B1;el;2024-03-31 03.00;2024-03-31 04.00;1;kWh\n"
    )
    _, findings = validate(
        mem,
        tmp_path,
        {
            "bygninger.csv": BYGNINGER,
            "forbrug.csv": FORBRUG_HEAD + rows,
        },
    )
    assert not errors(findings)
    got = mem.execute(
        "SELECT _row, epoch(periode_fra), epoch(periode_til) FROM acc_forbrug ORDER BY _row"
    ).fetchall()
    utc = [
        (r, datetime.utcfromtimestamp(a).strftime("%m-%d %H"), datetime.utcfromtimestamp(b).strftime("%H"))
        for r, a, b in got
    ]
    assert utc == [
        (2, "10-26 23", "00"),
        (3, "10-27 00", "01"),
        (4, "10-27 01", "02"),
        (5, "03-31 00", "01"),
        (6, "03-31 01", "02"),
    ]


def test_timestamps_with_offsets_are_instants(mem, tmp_path):
    rows = (
        "M1;B1;el;2024-06-01T00:00:00Z;2024-06-01T01:00:00+00:00;1;kWh\n"
        # fractional seconds and a dot between hours and minutes, both with an offset
        "M2;B1;el;2024-06-01T02:00:00.000+02:00;2024-06-01 01.00+00:00;1;kWh\n"
    )
    _, findings = validate(
        mem,
        tmp_path,
        {
            "bygninger.csv": BYGNINGER,
            "forbrug.csv": FORBRUG_HEAD + rows,
        },
    )
    assert not errors(findings)
    assert mem.execute(
        "SELECT epoch(periode_fra), epoch(periode_til) FROM acc_forbrug ORDER BY _row"
    ).fetchall() == [
        (1717200000, 1717203600),
        (1717200000, 1717203600),
    ]


def test_meter_from_maalere_fills_building_and_supply(mem, tmp_path):
    files = {
        "bygninger.csv": BYGNINGER,
        "maalere.csv": "maaler_id;bygning_id;forsyningsart;andel\nM1;B1;fjernvarme;0,6\nM1;B2;fjernvarme;0,4\n"
        "M2;B1;el;0,5\n",
        "forbrug_varme.csv": "maaler_id;periode_fra;periode_til;maengde;enhed\nM1;01.01.2024;31.01.2024;2,5;MWh\n"
        "M7;01.01.2024;31.01.2024;2,5;MWh\n",
    }
    result, findings = validate(mem, tmp_path, files)
    assert [f["raekke"] for f in errors(findings, "andele_summer_ikke")] == [4]
    assert [f["raekke"] for f in errors(findings, "maaler_uden_bygning")] == [3]
    assert accepted(mem, "forbrug", "maaler_id, forsyningsart, maaletype, maengde") == [
        ("M1", "fjernvarme", "forbrug", 2.5)
    ]


def test_a_decreasing_register_rejects_its_interval_and_keeps_the_reading_for_the_next(mem, tmp_path):
    """INFORMATION_MODEL.md §3: the interval that contains the decrease is rejected, not the reading: the lower
    reading starts the next interval (the model pairs 20 → 45, never 1 500 → 45)."""
    rows = (
        "M1;B1;el;;2024-01-01;1000;kWh;aflaesning\nM1;B1;el;;2024-02-01;1500;kWh;aflaesning\n"
        "M1;B1;el;;2024-03-01;20;kWh;aflaesning\nM1;B1;el;;2024-04-01;45;kWh;aflaesning\n"
    )
    result, findings = validate(
        mem,
        tmp_path,
        {
            "bygninger.csv": BYGNINGER,
            "forbrug.csv": "maaler_id;bygning_id;forsyningsart;periode_fra;periode_til;"
            "maengde;enhed;maaletype\n" + rows,
        },
    )
    assert not errors(findings)
    [f] = [f for f in findings if f["regel"] == "faldende_taellerstand"]
    assert (f["raekke"], f["alvorlighed"], f["vaerdi"]) == (4, "advarsel", "20")
    assert "målerskift" in f["besked"] and "intervallet" in f["besked"] and "tælles ikke med" in f["besked"]
    assert result.counts["forbrug"].accepted == 4
    assert [m for (m,) in accepted(mem, "forbrug", "maengde")] == [1000, 1500, 20, 45]


def test_register_readings_in_the_repeated_autumn_hour_are_two_instants_in_file_order(mem, tmp_path):
    """Readings with only periode_til: the two 02:00 readings of the last Sunday of October are 02:00 summer
    time and 02:00 winter time (file order), an hour apart, so no interval vanishes."""
    rows = "".join(
        f"M1;B1;el;;2024-10-27 {hh};{v};kWh;aflaesning\n"
        for hh, v in (("01:00", 100), ("02:00", 110), ("02:00", 120), ("03:00", 130))
    )
    _, findings = validate(
        mem,
        tmp_path,
        {
            "bygninger.csv": BYGNINGER,
            "forbrug.csv": "maaler_id;bygning_id;forsyningsart;periode_fra;periode_til;"
            "maengde;enhed;maaletype\n" + rows,
        },
    )
    assert not errors(findings)
    got = mem.execute("SELECT epoch(periode_til) FROM acc_forbrug ORDER BY _row").fetchall()
    utc = [datetime.utcfromtimestamp(a).strftime("%H:%M") for (a,) in got]
    assert utc == ["23:00", "00:00", "01:00", "02:00"]


def test_unknown_files_and_columns_are_reported_not_guessed(mem, tmp_path):
    result, findings = validate(
        mem,
        tmp_path,
        {
            "bygninger.csv": BYGNINGER.replace("ejerforhold\n", "ejerforhold;note\n"),
            "budget.csv": "a;b\n1;2\n",
        },
    )
    assert [f["fil"] for f in errors(findings, "ukendt_fil")] == ["budget.csv"]
    assert any(f["regel"] == "ukendt_kolonne" and f["kolonne"] == "note" for f in findings)
    assert result.counts["bygninger"].accepted == 2


def test_a_submission_without_buildings_is_an_error(mem, tmp_path):
    _, findings = validate(mem, tmp_path, {"maalere.csv": "maaler_id;bygning_id;forsyningsart\nM1;B1;el\n"})
    assert errors(findings, "mangler_bygninger")
    assert errors(findings, "ukendt_bygning")


def test_consumption_outside_the_in_use_or_active_period_is_said_not_silently_dropped(mem, tmp_path):
    """KEY_FIGURES.md, Coverage: only consumption inside the building's in-use period (and, for a meter that
    maalere registers for the building, inside its active period) counts; the rest is accepted but not
    counted, and the contributor is told so, per file."""
    files = {
        "bygninger.csv": "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold;i_brug_til\n"
        "B1;Skolen;421;1000;ejet;2024-09-30\nB2;Hallen;533;500;ejet;\n",
        "maalere.csv": "maaler_id;bygning_id;forsyningsart;aktiv_til\nM2;B2;el;2024-06-30\n",
        "forbrug.csv": FORBRUG_HEAD
        + "M1;B1;fjernvarme;01.09.2024;01.10.2024;1;MWh\nM1;B1;fjernvarme;01.10.2024;01.11.2024;1;MWh\n"
        + "M2;B2;el;01.06.2024;01.07.2024;100;kWh\nM2;B2;el;01.08.2024;01.09.2024;100;kWh\n",
    }
    result, findings = validate(mem, tmp_path, files)
    assert not errors(findings) and result.counts["forbrug"].accepted == 4
    by_rule = {f["regel"]: f for f in findings if f["alvorlighed"] == "advarsel"}
    assert by_rule["uden_for_brugsperiode"]["raekke"] == 3
    assert "1 række(r)" in by_rule["uden_for_brugsperiode"]["besked"]
    assert by_rule["uden_for_aktiv_periode"]["raekke"] == 5
    assert "tælles ikke med" in by_rule["uden_for_aktiv_periode"]["besked"]


def test_no_finding_has_an_empty_message(mem, tmp_path):
    """Found by make fuzz: a share rule concatenated a missing maaler_id into its message, which came out
    empty. Every message is non-empty, whatever value is missing."""
    files = {
        "bygninger.csv": BYGNINGER,
        "maalere.csv": "maaler_id;bygning_id;forsyningsart;andel\n;B1;el;0,5\n;B2;el;0,2\nM1;B1;el;0,3\n",
    }
    _, findings = validate(mem, tmp_path, files)
    assert errors(findings, "paakraevet")
    assert findings and all((f["besked"] or "").strip() for f in findings), findings


def test_one_findings_writer_for_gate_1_and_the_warehouse(mem):
    """A finding is written by column name, the same way into a validation's `_findings` and, with the
    submission's key, into the warehouse's audit.findings (the columns in another order there)."""
    from pipeline.validation import FINDING_COLUMNS, Findings
    from pipeline.validation.core import FINDINGS_DDL
    from pipeline.warehouse import ensure_schema

    mem.execute(FINDINGS_DDL)
    Findings(mem).add("ikke_laest", "Filen er ikke læst.", "advarsel", fil="x.csv", antal=0)
    ensure_schema(mem)
    Findings(mem, ("0101", 2024, 3)).add("intern_fejl", "Intern fejl.", dataset="forbrug", raekke=7)
    assert mem.execute(f"SELECT {FINDING_COLUMNS} FROM _findings").fetchall() == [
        (None, "x.csv", None, None, None, None, "ikke_laest", "Filen er ikke læst.", "advarsel", 0)
    ]
    assert mem.execute(
        f"SELECT kommunekode, aar, version, {FINDING_COLUMNS} FROM audit.findings"
    ).fetchall() == [
        ("0101", 2024, 3, "forbrug", None, None, 7, None, None, "intern_fejl", "Intern fejl.", "fejl", 1)
    ]
