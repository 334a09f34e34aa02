"""The archive of original bytes (issue 18, "Archive in one pass"): a new landing file is read once, hashed
while it is copied into the archive; the archive only ever holds read-only bytes named by their sha256; a
file that changes or becomes a link while it is copied waits for the next look. In-process, on a real
DuckDB warehouse; os.open is only counted (landing files are opened with it, folder by folder)."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections import Counter

import pytest

from pipeline import ingest
from pipeline.ingest import discover, ingest_submission, unchanged_municipalities
from pipeline.settings import Home, connect

FILES = {
    "bygninger.csv": "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\nB1;Skole;421;1000;ejet\n",
    "maalere.csv": "maaler_id;bygning_id;forsyningsart\nM1;B1;el\n",
    "udgifter.csv": "bygning_id;kontogruppe;beloeb_kr\nB1;rengoering;1000\n",
}
SECRET = b"kkm2-hemmelighed-7f3a\n"


@pytest.fixture
def home_con(tmp_path):
    home = Home(tmp_path / "home").ensure()
    folder = home.landing / "0101" / "2024"
    folder.mkdir(parents=True)
    hour_ago = time.time() - 3600  # settled files, as the landing sensor hands them over
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
        os.utime(folder / name, (hour_ago, hour_ago))
    con = connect(home.warehouse)
    yield home, con, folder
    con.close()


@pytest.fixture
def opens(monkeypatch):
    """How many times each landing file is opened (open_below opens the file by its name in its folder)."""
    counted: Counter = Counter()
    real = os.open

    def counting(path, flags, *args, **kwargs):
        name = os.path.basename(os.fspath(path))
        if name in FILES:
            counted[name] += 1
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", counting)
    return counted


def load(con, home: Home):
    subs, _ = discover(home.landing)
    return ingest_submission(con, home, subs[("0101", 2024)])


def entries(con) -> list[dict]:
    [(filer,)] = con.execute("SELECT filer FROM audit.submissions ORDER BY version DESC LIMIT 1").fetchall()
    return json.loads(filer)


def assert_content_addressed(home: Home) -> set:
    """Every file in the archive is read-only and named by the sha256 of its bytes; no temporary file is left."""
    kept = {p for p in home.archive.rglob("*") if not p.is_dir()}
    for p in kept:
        assert p.is_file() and not p.is_symlink()
        assert hashlib.sha256(p.read_bytes()).hexdigest() == p.name.split(".")[0], p
        assert p.parent.name == p.name[:2]
        assert stat.S_IMODE(p.stat().st_mode) == 0o444
    return kept


def test_a_new_file_is_read_once_and_archived_by_its_sha256(home_con, opens):
    home, con, folder = home_con
    r = load(con, home)
    assert r.status == "godkendt"
    assert opens == {name: 1 for name in FILES}  # hashed as it was copied: not read a second time
    kept = assert_content_addressed(home)
    assert kept == {home.root / e["arkiv"] for e in entries(con)}
    for e in entries(con):
        assert (home.root / e["arkiv"]).read_bytes() == (folder / e["fil"]).read_bytes()
        assert e["bytes"] == len(FILES[e["fil"]].encode())
    opens.clear()
    assert load(con, home).status == "uaendret"
    assert not opens  # unchanged (same size and mtime) and archived: not opened at all


def test_the_unchanged_check_archives_what_it_reads_so_ingestion_reads_nothing_more(home_con, opens):
    home, con, folder = home_con
    assert load(con, home).status == "godkendt"
    opens.clear()
    (folder / "udgifter.csv").write_text(FILES["udgifter.csv"] + "B1;vinduespolering;500\n", encoding="utf-8")
    subs, _ = discover(home.landing)
    assert unchanged_municipalities(con, home, subs, []) == set()
    r = ingest_submission(con, home, subs[("0101", 2024)])
    assert (r.status, r.version) == ("godkendt", 2)
    assert opens == {"udgifter.csv": 1}  # one read in the whole run
    assert_content_addressed(home)
    [e] = [e for e in entries(con) if e["fil"] == "udgifter.csv"]
    assert (home.root / e["arkiv"]).read_bytes() == (folder / "udgifter.csv").read_bytes()


def test_a_remembered_hash_without_its_archive_copy_is_archived_again(home_con):
    home, con, folder = home_con
    assert load(con, home).status == "godkendt"
    for e in entries(con):
        (home.root / e["arkiv"]).unlink()
    assert load(con, home).status == "uaendret"
    assert_content_addressed(home)
    for e in entries(con):
        assert (home.root / e["arkiv"]).read_bytes() == (folder / e["fil"]).read_bytes()


def test_a_file_over_the_size_limit_is_hashed_once_and_not_archived(home_con, opens, monkeypatch):
    home, con, folder = home_con
    monkeypatch.setenv("KKM2_MAKS_FIL_MB", "1")
    big = FILES["bygninger.csv"] + "B2;Hal;421;1000;ejet\n" * 60_000  # about 1.3 MB
    (folder / "bygninger.csv").write_text(big, encoding="utf-8")
    assert load(con, home).version == 1
    assert opens == {name: 1 for name in FILES}
    by_file = {e["fil"]: e for e in entries(con)}
    assert by_file["bygninger.csv"]["arkiv"] is None
    assert by_file["bygninger.csv"]["sha256"] == hashlib.sha256(big.encode()).hexdigest()
    kept = assert_content_addressed(home)
    assert kept == {home.root / e["arkiv"] for e in by_file.values() if e["arkiv"]}
    assert len(kept) == 2


def _edit(path):
    with open(path, "r+b") as f:  # same size, other bytes, in place
        f.seek(len("bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\nB1;"))
        f.write(b"Skolo")


def _grow(path):
    with open(path, "ab") as f:
        f.write(b"B2;Hal;421;500;ejet\n")


def _link(path, secret):
    path.unlink()
    os.symlink(secret, path)


@pytest.mark.parametrize("change", ["edited", "grown", "link"])
def test_a_file_changing_while_it_is_copied_waits_for_the_next_look(home_con, tmp_path, monkeypatch, change):
    home, con, folder = home_con
    secret = tmp_path / "hemmelig.csv"
    secret.write_bytes(SECRET)
    target = folder / "bygninger.csv"
    real_sha256 = hashlib.sha256
    fired = []

    class Hooked:
        """sha256 that changes the landing file right after the first chunk of it was hashed (mid-copy)."""

        def __init__(self, data=b""):
            self.h = real_sha256(data)

        def update(self, chunk):
            self.h.update(chunk)
            if not fired and chunk.startswith(b"bygning_id;"):
                fired.append(change)
                {"edited": _edit, "grown": _grow, "link": lambda p: _link(p, secret)}[change](target)

        def hexdigest(self):
            return self.h.hexdigest()

    monkeypatch.setattr(ingest, "hashlib", type("H", (), {"sha256": Hooked}))
    r = load(con, home)
    assert fired == [change]
    assert (r.status, r.version) == ("venter", None)
    assert "bygninger.csv" in r.besked
    assert con.execute("SELECT count(*) FROM audit.submissions").fetchall() == [(0,)]
    for p in assert_content_addressed(home):  # nothing torn kept; the secret never
        assert p.read_bytes() != SECRET
    monkeypatch.undo()

    r = load(con, home)  # the next look
    assert r.version == 1
    kept = assert_content_addressed(home)
    assert all(p.read_bytes() != SECRET for p in kept)
    if change == "link":  # not followed: the file is not read, and the submission says so
        assert "bygninger.csv" not in {e["fil"] for e in entries(con)}
    else:
        assert r.status == "godkendt"
        [e] = [e for e in entries(con) if e["fil"] == "bygninger.csv"]
        assert (home.root / e["arkiv"]).read_bytes() == target.read_bytes()
