"""Hostile and broken input, class by class (issue "Hostile and broken input"): real files, the real validator
on a real sandbox connection, the real child-process readers. The whole pipeline under the same attacks is in
tests/test_hostile_pipeline.py."""

from __future__ import annotations

import codecs
import json
import os
import zipfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_formats import xlsx_bytes
from test_validator import BYGNINGER, accepted, errors, validate

from pipeline.folders import Years
from pipeline.ingest import FileChanged, FileHashes, discover
from pipeline.settings import Home, connect, sandbox, seal
from pipeline.validation import SubmissionFile, validate_files

SECRET = "kkm2-hemmelighed-7f3a"  # the content of a file no submission may read
HEAD = ["bygning_id", "navn", "anvendelseskode", "bruttodriftsareal_m2", "ejerforhold"]
HOSTILE_NAMES = [  # none folds to a contract column (header matching ignores case, accents and punctuation)
    'felt"1',
    "felt2'); DROP TABLE raw.bygninger; --",
    "felt3;b",
    "felt4 -- kommentar",
    "felt5)",
    "felt6\nny linje",
    "read_text('/etc/passwd')",
]


@pytest.fixture
def secret(tmp_path) -> Path:
    p = tmp_path / "udenfor" / "hemmelig.txt"
    p.parent.mkdir()
    p.write_text(SECRET + "\n", encoding="utf-8")
    return p


def run_validator(tmp_path: Path, files: dict[str, bytes | str], aar=2024):
    """`files` through the validator on a fresh sandbox connection (a validation seals its connection)."""
    con = sandbox(tmp_path / "duckdb")
    result, findings = validate(con, tmp_path, files, aar=aar)
    return con, result, findings


def everything_said(con, findings) -> str:
    """All text the validator produced: findings, rejected rows, accepted rows."""
    parts = [json.dumps(findings, default=str, ensure_ascii=False)]
    for (t,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'acc_%' OR table_name LIKE 'rej_%'"
    ).fetchall():
        parts.append(
            json.dumps(con.execute(f"SELECT * FROM {t}").fetchall(), default=str, ensure_ascii=False)
        )
    return "\n".join(parts)


def xlsx(tmp_path: Path, sheets: dict[str, list[list]], far_cell: bool = False) -> bytes:
    """A workbook (tests/test_formats.py writes it); with `far_cell`, one cell at XFD1048576 as well."""
    content = xlsx_bytes(tmp_path, sheets)
    if far_cell:
        path = tmp_path / "wb.xlsx"
        wb = openpyxl.load_workbook(path)
        wb[next(iter(sheets))]["XFD1048576"] = "x"
        wb.save(path)
        content = path.read_bytes()
    return content


# ------------------------------------------------------------------------------------ 1. identifiers


def test_a_parquet_column_name_never_runs_as_sql(tmp_path, secret):
    # pasted into CAST("…") (as on main before), this name reads the secret and fails with it in the message
    evil = f"bygning_id\" AS VARCHAR) || error((SELECT content FROM read_text('{secret}'))) || CAST(\"navn"
    table = pa.table(
        {
            "bygning_id": ["B1"],
            "navn": ["Skolen"],
            "anvendelseskode": [421],
            "bruttodriftsareal_m2": [100.5],
            "ejerforhold": ["ejet"],
            evil: ["x"],
        }
    )
    p = tmp_path / "b.parquet"
    pq.write_table(table, p)
    con, result, findings = run_validator(tmp_path, {"bygninger.parquet": p.read_bytes()})
    assert SECRET not in everything_said(con, findings)
    assert accepted(con, "bygninger", "bygning_id, navn, bruttodriftsareal_m2") == [("B1", "Skolen", 100.5)]
    [unknown] = [f for f in findings if f["regel"] == "ukendt_kolonne"]
    assert unknown["kolonne"] == evil  # reported literally, as data


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "parquet"])
def test_hostile_headers_and_file_names_are_data_in_every_format(tmp_path, fmt, secret):
    headers = HEAD + [n.replace("/etc/passwd", str(secret)) for n in HOSTILE_NAMES]
    row = ["B1", "Skolen", "421", "100", "ejet"] + [f"v{i}" for i in range(len(HOSTILE_NAMES))]
    name = f"bygninger'); SELECT * FROM read_text('{secret.name}') --.{fmt}"  # a file name has no '/'
    if fmt == "csv":
        content = ";".join('"' + h.replace('"', '""') + '"' for h in headers) + "\n" + ";".join(row) + "\n"
    elif fmt == "xlsx":
        content = xlsx(tmp_path, {"bygninger": [headers, row]})
    elif fmt == "json":
        content = json.dumps([dict(zip(headers, row, strict=True))])
    else:
        p = tmp_path / "w.parquet"
        pq.write_table(pa.table({h: [v] for h, v in zip(headers, row, strict=True)}), p)
        content = p.read_bytes()
    con, result, findings = run_validator(tmp_path, {name: content})
    assert SECRET not in everything_said(con, findings)
    [(building, label)] = accepted(con, "bygninger", "bygning_id, _fil")
    assert building == "B1" and label.startswith(name)  # an XLSX's label adds its sheet
    unknown = {f["kolonne"] for f in findings if f["regel"] == "ukendt_kolonne"}
    assert unknown == set(headers[len(HEAD) :])


def test_hostile_sheet_names_are_data(tmp_path, secret):
    sheet = 'x\'); SELECT 1; -- "navn"'  # Excel forbids only []:*?/\\ in a sheet name
    content = xlsx(tmp_path, {"bygninger": [HEAD, ["B1", "S", 421, 100, "ejet"]], sheet: [["a"], [1]]})
    con, _, findings = run_validator(tmp_path, {"indberetning.xlsx": content})
    assert SECRET not in everything_said(con, findings)
    assert [f["ark"] for f in findings if f["regel"] == "ukendt_ark"] == [sheet]
    assert accepted(con, "bygninger", "bygning_id") == [("B1",)]


def test_the_validation_connection_is_sealed_and_never_the_warehouse(tmp_path, secret):
    con, _, _ = run_validator(tmp_path, {"bygninger.csv": BYGNINGER})
    with pytest.raises(Exception, match="[Pp]ermission|disabled|external"):
        con.execute(f"SELECT * FROM read_text('{secret}')").fetchall()
    with pytest.raises(Exception, match="configuration"):
        con.execute("SET enable_external_access = true")
    warehouse = connect(tmp_path / "w.duckdb")
    with pytest.raises(RuntimeError, match="sandbox"):
        seal(warehouse)
    with pytest.raises(RuntimeError, match="sandbox"):
        validate_files(warehouse, [], "0101", 2024, tmp_path / "t")


# ------------------------------------------------------------------------------------ 2. landing


def landing_home(tmp_path) -> Home:
    home = Home(tmp_path / "home").ensure()
    for k in ("0101", "0147"):
        d = home.landing / k / "2024"
        d.mkdir(parents=True)
        (d / "bygninger.csv").write_text(BYGNINGER, encoding="utf-8")
    return home


def test_no_link_is_followed_out_of_a_submission_or_into_another(tmp_path, secret):
    home = landing_home(tmp_path)
    own = home.landing / "0101" / "2024"
    os.symlink(secret, own / "udgifter.csv")  # a file outside the home
    os.symlink(home.landing / "0147" / "2024" / "bygninger.csv", own / "maalere.csv")  # another's file
    os.symlink(own / "bygninger.csv", own / "vedligehold.csv")  # even inside its own folder
    os.symlink(secret.parent, own / "forbrug")  # a folder
    os.mkfifo(own / "anvendelse.csv")  # a pipe would block a reader forever
    os.symlink(home.landing / "0147" / "2024", home.landing / "0101" / "2023")  # a year linked elsewhere
    os.symlink(home.landing / "0147", home.landing / "0751")  # a municipality linked to another
    subs, problems = discover(home.landing)
    assert sorted(subs) == [("0101", 2024), ("0147", 2024)]
    sub = subs[("0101", 2024)]
    assert [f.relpath for f in sub.files] == ["bygninger.csv"]
    assert sorted(rel for rel, _ in sub.ignored) == [
        "anvendelse.csv",
        "forbrug",
        "maalere.csv",
        "udgifter.csv",
        "vedligehold.csv",
    ]
    assert all("ikke læst" in why for _, why in sub.ignored)
    said = {p.path: p.besked for p in problems}
    assert str(secret) in said["0101/2024/udgifter.csv"]  # the steward is told where it points
    assert "landing/0147/2024" in said["0101/2023"] and "anden kommunes" in said["0101/2023"]
    assert "symbolsk link" in said["0751"]


def test_files_outside_year_folders_and_unknown_folders_are_reported(tmp_path):
    home = landing_home(tmp_path)
    (home.landing / "bygninger.csv").write_text(BYGNINGER, encoding="utf-8")
    (home.landing / "0101" / "bygninger.csv").write_text(BYGNINGER, encoding="utf-8")
    (home.landing / "0101" / "gammelt").mkdir()
    (home.landing / "9999").mkdir()
    _, problems = discover(home.landing)
    said = {p.path: p.besked for p in problems}
    assert "direkte i landing/" in said["bygninger.csv"]
    assert "uden et årstal" in said["0101/bygninger.csv"]
    assert "ikke et årstal" in said["0101/gammelt"]
    assert "ikke en af de 98 kommunekoder" in said["9999"]


def test_a_landing_file_swapped_for_a_link_after_listing_is_refused(tmp_path, secret):
    """The sensor and the load read landing files through the same hashes (ingest.FileHashes): a file, or a
    folder on its way, swapped for a link after listing is not read, and nothing of what it points to is
    archived."""
    home = landing_home(tmp_path)
    subs, _ = discover(home.landing)
    [f] = subs[("0101", 2024)].files
    f.path.unlink()
    os.symlink(secret, f.path)
    with pytest.raises(FileChanged):
        FileHashes(home).entry(f.path)
    folder = home.landing / "0147" / "2024"
    moved = home.landing / "0147" / "gemt"
    folder.rename(moved)
    os.symlink(secret.parent, folder)  # a folder on the way swapped for a link
    (secret.parent / "bygninger.csv").write_text(SECRET, encoding="utf-8")
    with pytest.raises(FileChanged):
        FileHashes(home).entry(folder / "bygninger.csv")
    archived = [p.read_text(encoding="utf-8") for p in home.archive.rglob("*") if p.is_file()]
    assert not any(SECRET in text for text in archived)


# ------------------------------------------------------------------------------------ 3. years


def test_years_outside_the_collaboration_are_rejected(tmp_path, monkeypatch):
    home = landing_home(tmp_path)
    for y in ("1800", "2099", "2016"):
        d = home.landing / "0101" / y
        d.mkdir()
        (d / "bygninger.csv").write_text(BYGNINGER, encoding="utf-8")
    monkeypatch.setenv("KKM2_AAR_FRA", "2017")
    subs, problems = discover(home.landing)
    assert sorted(subs) == [("0101", 2024), ("0147", 2024)]
    said = {p.path: p.besked for p in problems}
    for y in ("1800", "2099", "2016"):
        assert f"Årstallet {y} er ikke et af samarbejdets år" in said[f"0101/{y}"]
    # with a participant list, its years are the collaboration's
    (home.reference / "deltagere.csv").write_text("kommunekode;aar\n0101;2016\n0147;2016\n", encoding="utf-8")
    subs, _ = discover(home.landing)
    assert sorted(subs) == [("0101", 2016)]
    assert Years.for_home(home).problem(2024) is not None


def test_kkm2_validate_rejects_a_year_outside_the_range(tmp_path, capsys):
    from pipeline.cli import main

    (tmp_path / "bygninger.csv").write_text(BYGNINGER, encoding="utf-8")
    assert main(["validate", str(tmp_path), "--kommune", "0101", "--aar", "2099"]) == 1
    assert "Årstallet 2099" in capsys.readouterr().out


# ------------------------------------------------------------------------------------ 4. limits


def test_an_xlsx_whose_dimension_is_huge_is_a_finding_not_an_abort(tmp_path):
    content = xlsx(tmp_path, {"bygninger": [HEAD, ["B1", "S", 421, 100, "ejet"]]}, far_cell=True)
    con, result, findings = run_validator(tmp_path, {"bygninger.xlsx": content})
    [f] = errors(findings, "ulaeselig_fil")
    assert "XFD1048576" in f["besked"] and "celler" in f["besked"]


def test_an_xlsx_that_lies_about_its_dimension_is_read_in_a_child_that_may_die(tmp_path):
    xlsx(tmp_path, {"bygninger": [HEAD, ["B1", "S", 421, 100, "ejet"]]}, far_cell=True)
    p = tmp_path / "wb.xlsx"
    # rewrite the sheet without its <dimension> element: python-calamine then sizes the sheet from its cells
    src = zipfile.ZipFile(p)
    out = tmp_path / "løgn.xlsx"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = data.replace(b'<dimension ref="A1:XFD1048576"/>', b"")
            z.writestr(info, data)
    con, _, findings = run_validator(tmp_path, {"bygninger.xlsx": out.read_bytes()})
    [f] = errors(findings, "ulaeselig_fil")
    assert "kunne ikke læses" in f["besked"] or "celler" in f["besked"]


def test_a_zip_bomb_is_refused_by_its_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("KKM2_MAKS_UKOMPRIMERET_MB", "20")
    p = tmp_path / "bombe.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            for _ in range(64):
                f.write(b" " * (1 << 20))
    assert p.stat().st_size < 200_000
    _, _, findings = run_validator(tmp_path, {"bygninger.xlsx": p.read_bytes()})
    [f] = errors(findings, "ulaeselig_fil")
    assert "udpakket" in f["besked"]


def test_deeply_nested_json_is_a_finding(tmp_path):
    deep = "[" * 200_000 + "]" * 200_000
    _, _, findings = run_validator(tmp_path, {"bygninger.json": deep})
    [f] = errors(findings, "ulaeselig_fil")
    assert "indlejret" in f["besked"]


def test_a_sparse_csv_without_line_breaks_costs_nothing(tmp_path):
    p = tmp_path / "sub" / "bygninger.csv"
    p.parent.mkdir(parents=True)
    with open(p, "wb") as f:
        f.write(b"bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\n")
        f.truncate(300 << 20)  # 300 MB of zero bytes without a line break, no disk used
    con = sandbox(tmp_path / "duckdb")
    result = validate_files(con, [SubmissionFile(p, p.name)], "0101", 2024, tmp_path / "tmp")
    [f] = errors(result.findings(con), "ulaeselig_fil")
    assert "nul-bytes" in f["besked"] and len(f["besked"]) < 500
    # without zero bytes: a 3 MB line is refused by its length, not read into memory whole
    with open(p, "wb") as f:
        f.write(
            b"bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\nB1;"
            + b"x" * (3 << 20)
            + b"\n"
        )
    con = sandbox(tmp_path / "duckdb2")
    result = validate_files(con, [SubmissionFile(p, p.name)], "0101", 2024, tmp_path / "tmp")
    [f] = errors(result.findings(con), "ulaeselig_fil")
    assert "længere end" in f["besked"] and len(f["besked"]) < 500
    p.write_bytes(b"bygning_id;" + b"x" * (1 << 20))  # a header without end
    con = sandbox(tmp_path / "duckdb3")
    result = validate_files(con, [SubmissionFile(p, p.name)], "0101", 2024, tmp_path / "tmp")
    [f] = errors(result.findings(con), "ulaeselig_fil")
    assert "Overskriftsrækken" in f["besked"]


def test_a_file_over_the_size_limit_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setenv("KKM2_MAKS_FIL_MB", "1")
    con, _, findings = run_validator(tmp_path, {"bygninger.csv": BYGNINGER + "B9;x;421;1;ejet\n" * 80_000})
    [f] = errors(findings, "ulaeselig_fil")
    assert "højst 1 MB" in f["besked"]


def test_an_overlong_value_rejects_its_row(tmp_path):
    con, result, findings = run_validator(
        tmp_path, {"bygninger.csv": BYGNINGER + f"B3;{'x' * 20_000};421;1;ejet\n"}
    )
    [f] = errors(findings, "for_lang")
    assert f["raekke"] == 4 and "20000 tegn" in f["besked"]
    assert result.counts["bygninger"].rejected == 1 and result.counts["bygninger"].accepted == 2


# ------------------------------------------------------------------------------------ 6. decoding


def test_a_file_mixing_utf8_and_windows_1252_is_decoded_line_by_line_with_a_warning(tmp_path):
    head = "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\n"
    content = (
        head.encode()
        + "B1;Børnehus;421;100;ejet\n".encode()
        + "B2;Ældrecenter;421;100;ejet\n".encode("cp1252")
    )
    con, _, findings = run_validator(tmp_path, {"bygninger.csv": content})
    assert accepted(con, "bygninger", "navn") == [("Børnehus",), ("Ældrecenter",)]
    [w] = [f for f in findings if f["regel"] == "tegnsaet"]
    assert w["alvorlighed"] == "advarsel" and "(3)" in w["besked"] and "blander UTF-8" in w["besked"]


@pytest.mark.parametrize("empty_line", [False, True], ids=["plain", "with-empty-line"])
def test_a_bom_does_not_make_a_windows_1252_line_utf8(tmp_path, empty_line):
    """Found by make fuzz: a file with a UTF-8 BOM was taken as UTF-8 as a whole, and a Windows-1252 line in it
    ended in a traceback (on the empty-line path) instead of being read."""
    head = "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\n"
    content = (
        codecs.BOM_UTF8
        + head.encode()
        + ("\n" if empty_line else "").encode()
        + "B1;Børnehus;421;100;ejet\n".encode()
        + "B2;Ældrecenter;421;100;ejet\n".encode("cp1252")
    )
    con, _, findings = run_validator(tmp_path, {"bygninger.csv": content})
    assert not errors(findings)
    assert accepted(con, "bygninger", "navn") == [("Børnehus",), ("Ældrecenter",)]
    [w] = [f for f in findings if f["regel"] == "tegnsaet"]
    assert f"({4 if empty_line else 3})" in w["besked"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_files_are_decoded(tmp_path, encoding):
    con, _, findings = run_validator(
        tmp_path, {"bygninger.csv": BYGNINGER.replace("Skolen", "Ærøskolen").encode(encoding)}
    )
    assert not errors(findings)
    assert accepted(con, "bygninger", "navn") == [("Ærøskolen",), ("Hallen",)]


def test_json_nan_infinity_and_overflow_are_invalid_values_not_missing(tmp_path):
    text = (
        '[{"bygning_id": "B1", "navn": "a", "anvendelseskode": 421, "bruttodriftsareal_m2": NaN, "ejerforhold": "ejet"},'
        ' {"bygning_id": "B2", "navn": "b", "anvendelseskode": 421, "bruttodriftsareal_m2": Infinity, "ejerforhold": "ejet"},'
        ' {"bygning_id": "B3", "navn": "c", "anvendelseskode": 421, "bruttodriftsareal_m2": 1e309, "ejerforhold": "ejet"},'
        ' {"bygning_id": "B4", "navn": "d\\ud800", "anvendelseskode": 421, "bruttodriftsareal_m2": 12.5, "ejerforhold": "ejet"}]'
    )
    con, _, findings = run_validator(tmp_path, {"bygninger.json": text})
    bad = {(f["raekke"], f["regel"], f["vaerdi"]) for f in errors(findings)}
    assert bad == {
        (1, "ugyldig_vaerdi", "NaN"),
        (2, "ugyldig_vaerdi", "Infinity"),
        (3, "ugyldig_vaerdi", "1e309"),
    }
    assert accepted(con, "bygninger", "navn, bruttodriftsareal_m2") == [("d\ufffd", 12.5)]


def test_csv_nan_and_inf_are_invalid_values(tmp_path):
    _, _, findings = run_validator(
        tmp_path, {"bygninger.csv": BYGNINGER + "B3;x;421;nan;ejet\nB4;y;421;inf;ejet\nB5;z;1e30;10;ejet\n"}
    )
    assert {(f["raekke"], f["regel"]) for f in errors(findings)} == {
        (4, "ugyldig_vaerdi"),
        (5, "ugyldig_vaerdi"),
        (6, "ugyldig_vaerdi"),
    }


# ------------------------------------------------------------------------------------ 7. decimals


def test_a_column_mixing_decimal_comma_and_point_is_never_rescaled(tmp_path):
    content = (
        "bygning_id,navn,anvendelseskode,bruttodriftsareal_m2,ejerforhold\n"
        'B1,a,421,"1,5",ejet\nB2,b,421,1.5,ejet\nB3,c,421,1234.56,ejet\nB4,d,421,200,ejet\n'
    )
    con, result, findings = run_validator(tmp_path, {"bygninger.csv": content})
    ambiguous = errors(findings, "tvetydigt_decimaltegn")
    assert sorted(f["raekke"] for f in ambiguous) == [2, 3, 4]
    assert "blander decimalkomma og decimalpunktum" in ambiguous[0]["besked"]
    assert accepted(con, "bygninger", "bygning_id, bruttodriftsareal_m2") == [("B4", 200.0)]


def test_a_settled_convention_is_still_read(tmp_path):
    dots = "bygning_id,navn,anvendelseskode,bruttodriftsareal_m2,ejerforhold\nB1,a,421,1.5,ejet\nB2,b,421,1234.56,ejet\n"
    con, _, findings = run_validator(tmp_path / "1", {"bygninger.csv": dots})
    assert not errors(findings) and accepted(con, "bygninger", "bruttodriftsareal_m2") == [(1.5,), (1234.56,)]
    danish = "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\nB1;a;421;1.234,5;ejet\nB2;b;421;2,5;ejet\n"
    con, _, findings = run_validator(tmp_path / "2", {"bygninger.csv": danish})
    assert not errors(findings) and accepted(con, "bygninger", "bruttodriftsareal_m2") == [(1234.5,), (2.5,)]


def test_typed_numbers_are_not_read_by_a_columns_text_convention(tmp_path):
    # a number cell 1234.5 beside a text cell '2,5' (XLSX), a JSON number beside a string with a comma
    content = xlsx(
        tmp_path,
        {"bygninger": [HEAD, ["B1", "a", 421, 1234.5, "ejet"], ["B2", "b", 421, "2,5", "ejet"]]},
    )
    con, _, findings = run_validator(tmp_path / "x", {"bygninger.xlsx": content})
    assert not errors(findings)
    assert accepted(con, "bygninger", "bruttodriftsareal_m2") == [(1234.5,), (2.5,)]
    rows = [
        dict(zip(HEAD, ["B1", "a", 421, 1234.5, "ejet"], strict=True)),
        dict(zip(HEAD, ["B2", "b", 421, "2,5", "ejet"], strict=True)),
    ]
    con, _, findings = run_validator(tmp_path / "j", {"bygninger.json": json.dumps(rows)})
    assert not errors(findings)
    assert accepted(con, "bygninger", "bruttodriftsareal_m2") == [(1234.5,), (2.5,)]


def test_a_paragraph_sign_in_text_is_kept(tmp_path):
    con, _, _ = run_validator(tmp_path, {"bygninger.csv": BYGNINGER.replace("Skolen", "§ 17-boligen")})
    assert accepted(con, "bygninger", "navn")[0] == ("§ 17-boligen",)


# ------------------------------------------------------------------------------------ 9. kkm2 sql --release


def test_sql_release_accepts_only_a_release_under_releases(tmp_path, capsys):
    from pipeline.cli import main
    from pipeline.releases import ReleaseError, resolve

    home = Home(tmp_path / "home").ensure()
    rid = "20261128T101500123Z"
    (home.releases / rid).mkdir()
    (home.releases / rid / "_manifest.json").write_text("{}", encoding="utf-8")
    outside = tmp_path / "x"
    outside.mkdir()
    (outside / "_manifest.json").write_text("{}", encoding="utf-8")
    os.symlink(outside, home.releases / "20261128T101500124Z")
    assert resolve(home, rid) == home.releases / rid
    for bad in ("../../x", "../x", str(outside), "..", ".", "20261128T101500124Z", f"{rid}/..", f"./{rid}"):
        with pytest.raises(ReleaseError, match="findes ikke"):
            resolve(home, bad)
    assert main(["sql", "SELECT 1", "--release", "../../x", "--home", str(home.root)]) == 2
    err = capsys.readouterr().err
    assert "findes ikke" in err and "Traceback" not in err
