from conftest import real_file

from pipeline.readers.csv import (
    CHUNK,
    ReadError,
    read_csv,
    scan,
    sniff_delimiter,
    transcode_to_utf8,
)


def test_real_latin1_file_is_read_as_windows_1252(mem, tmp_path):
    path = real_file("municipalities", "dk_kommuner_regioner_latin1_iholas.csv")
    assert scan(path).encoding == "cp1252"
    res = read_csv(mem, path, tmp_path)
    assert res.headers == ["Kommune", "Region"]
    rows = mem.execute(f"SELECT _row, c0, c1 FROM {res.table} ORDER BY _row").fetchall()
    assert len(rows) == 97
    assert rows[0] == (2, "København", "Hovedstaden")
    assert "Sjælland" in {r[2] for r in rows}


def test_real_eloverblik_export_bom_crlf_trailing_separator(mem, tmp_path):
    path = real_file("energy", "eloverblik_meterdata_hourly_2017_2019_household.csv")
    assert scan(path).encoding == "utf-8-sig"
    res = read_csv(mem, path, tmp_path)
    assert res.delimiter == ";"
    assert res.headers[:7] == [
        "Målepunkt id",
        "Fra dato",
        "Til dato",
        "Mængde",
        "Måleenhed",
        "Kvalitet",
        "Type",
    ]
    assert res.headers[7] == ""  # the trailing ';'
    n, first, last = mem.execute(f"SELECT count(*), min(_row), max(_row) FROM {res.table}").fetchall()[0]
    assert (n, first, last) == (24731, 2, 24732)
    assert mem.execute(f"SELECT c3 FROM {res.table} WHERE _row = 2").fetchall()[0][0] == "0,440"


def test_quoted_newlines_keep_record_numbers(mem, tmp_path):
    path = real_file("energy", "philadelphia_municipal_buildings_energy_2011_2014.csv")
    res = read_csv(mem, path, tmp_path)
    n, last = mem.execute(f"SELECT count(*), max(_row) FROM {res.table}").fetchall()[0]
    assert (n, last) == (94, 95)  # 283 physical lines, 94 records


def test_windows_1252_is_transcoded_in_chunks_including_euro(tmp_path):
    src = tmp_path / "big.csv"
    line = "navn;beløb\n" + "Ærø €;1.234,5\n" * (CHUNK // 5)
    src.write_bytes(line.encode("cp1252"))
    assert src.stat().st_size > 2 * CHUNK
    assert scan(src).encoding == "cp1252"
    dst = tmp_path / "out.csv"
    transcode_to_utf8(src, dst, "cp1252")
    assert dst.read_text(encoding="utf-8") == line


def test_separator_is_sniffed_from_the_header():
    assert sniff_delimiter("a;b;c") == ";"
    assert sniff_delimiter("a,b,c") == ","
    assert sniff_delimiter("a\tb\tc") == "\t"
    assert sniff_delimiter('"navn, fuldt";b;c') == ";"


def test_undecodable_and_empty_files_are_file_level_errors(mem, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"navn;x\n\x81\x8d;1\n")  # bytes undefined in Windows-1252
    for p in (empty, bad):
        try:
            read_csv(mem, p, tmp_path)
        except ReadError as e:
            assert str(e)  # a Danish message for the contributor
        else:
            raise AssertionError(f"{p.name} should not be readable")


def test_blank_lines_are_not_rows_but_keep_the_numbers_the_contributor_sees(mem, tmp_path):
    p = tmp_path / "b.csv"
    p.write_text("a;b\n1;2\n\n3;4\n;\n5;6\n", encoding="utf-8")
    res = read_csv(mem, p, tmp_path)
    # in a spreadsheet the empty line is row 3 and the separator-only line row 5
    assert mem.execute(f"SELECT _row, c0 FROM {res.table} ORDER BY 1").fetchall() == [
        (2, "1"),
        (4, "3"),
        (6, "5"),
    ]
    q = tmp_path / "q.csv"
    q.write_text('a;b\n"x\n\ny";1\n\n2;3\n', encoding="utf-8")  # quoted newlines are one record
    res = read_csv(mem, q, tmp_path)
    assert mem.execute(f"SELECT _row, c0 FROM {res.table} ORDER BY 1").fetchall() == [(2, "x\n\ny"), (4, "2")]
