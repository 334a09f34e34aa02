"""`kkm2 serve` (issue 21): a real server process on loopback and real HTTP requests, no mocks.

The access matrix: every endpoint × every kind of token × own and other municipalities — a token for 0101
never reads or writes 0147's data. Uploads are atomic: one cut off by the client, one that stalls, one killed
with the server and one too large leave nothing in landing/; a hostile file name writes nothing anywhere."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest

from pipeline.folders import walk
from pipeline.service import audit, tokens
from pipeline.settings import REPO_ROOT, Home, connect
from pipeline.status import write_snapshot
from pipeline.validation.light import validate_light
from pipeline.warehouse import ensure_schema

SAMPLE = (REPO_ROOT / "docs" / "eksempler" / "bygninger.csv").read_bytes()
AAR = 2024
LIMIT_MB = 1
CALLS_PER_MINUTE = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, home: Path, env: dict | None = None, args: tuple = ()):
        self.home = home
        self.port = free_port()
        env = {
            **os.environ,
            "KKM2_MAKS_FIL_MB": str(LIMIT_MB),
            "KKM2_API_KALD_PR_MINUT": str(CALLS_PER_MINUTE),
            **(env or {}),
        }
        env["PYTHONPATH"] = str(REPO_ROOT)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pipeline.cli",
                "serve",
                "--home",
                str(home),
                "--port",
                str(self.port),
                *args,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.request("GET", "/api/v1/sundhed")[0] == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {self.proc.stdout.read()}")
            time.sleep(0.1)

    def request(
        self, method: str, path: str, token: str | None = None, body: bytes | None = None, headers=None
    ):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            h = dict(headers or {})
            if token is not None:
                h["Authorization"] = f"Bearer {token}"
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            return r.status, (json.loads(data) if data else None), dict(r.getheaders())
        finally:
            conn.close()

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.stdout.read()


def tree(root: Path) -> dict[str, int]:
    """Every file below `root` (also dot files) and its size."""
    return {
        str(p.relative_to(root)): p.lstat().st_size
        for p in sorted(root.rglob("*"))
        if p.is_file() or p.is_symlink()
    }


def landing_tree(home: Path) -> dict[str, int]:
    return tree(home / "landing")


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    root = tmp_path_factory.mktemp("service")
    home = Home(root / "home").ensure()
    # a status snapshot with version 1 of 0101/2024 and 0147/2024, by the real writer
    con = connect(home.warehouse)
    ensure_schema(con)
    for k in ("0101", "0147"):
        con.execute(
            f"INSERT INTO audit.submissions VALUES ('{k}', {AAR}, 1, now(), 'fp', '[]', 'godkendt', '{{}}')"
        )
    write_snapshot(con, home)
    con.close()
    t = {}
    t["kommune"], _ = tokens.create(home, "Københavns Kommune", ["0101"], ["indberet", "laes"])
    t["laeser"], _ = tokens.create(home, "København, kun læse", ["0101"], ["laes"])
    t["leverandoer"], _ = tokens.create(home, "Leverandør A/S", ["0101", "0147"], ["indberet", "laes"])
    t["spaerret"], info = tokens.create(home, "Spærret", ["0101"], ["indberet", "laes"])
    tokens.block(home, info.id)
    t["udloebet"], _ = tokens.create(home, "Udløbet", ["0101"], ["indberet", "laes"], date(2020, 1, 1))
    t["uden"] = None
    t["snyd"] = "kkm2_" + "A" * 43
    server = Server(home.root)
    yield server, home, t
    server.stop()


# what each kind of token may do: (municipalities, rights), or the 401 code it gets
KINDS = {
    "kommune": ({"0101"}, {"indberet", "laes"}),
    "laeser": ({"0101"}, {"laes"}),
    "leverandoer": ({"0101", "0147"}, {"indberet", "laes"}),
    "spaerret": "TOKEN_SPAERRET",
    "udloebet": "TOKEN_UDLOEBET",
    "uden": "TOKEN_MANGLER",
    "snyd": "UGYLDIGT_TOKEN",
}
# in order: an upload, a validation, the ready marker, the status, a removal (the file the upload wrote)
ENDPOINTS = [
    ("PUT", "/api/v1/indberetninger/{k}/{aar}/filer/bygninger.csv", "indberet", 200),
    ("POST", "/api/v1/valider?kommunekode={k}&aar={aar}&filnavn=bygninger.csv", "indberet", 200),
    ("POST", "/api/v1/indberetninger/{k}/{aar}/klar", "indberet", 200),
    ("GET", "/api/v1/indberetninger/{k}/{aar}", "laes", 200),
    ("DELETE", "/api/v1/indberetninger/{k}/{aar}/filer/bygninger.csv", "indberet", 204),
]


def expected(kind: str, k: str, right: str, ok: int) -> tuple[int, str | None]:
    rule = KINDS[kind]
    if isinstance(rule, str):
        return 401, rule
    kommuner, rights = rule
    if k not in kommuner:
        return 403, "INGEN_ADGANG_TIL_KOMMUNE"
    if right not in rights:
        return 403, "MANGLER_RETTIGHED"
    return ok, None


def test_the_access_matrix(service):
    """Every endpoint × token kind × municipality (own, the vendor's second, one nobody here has): the answer
    is the one the token's scope and rights allow, a refused request changes nothing in landing/, and every
    request is in the audit with who, what and the result."""
    server, home, t = service

    def api_rows():  # the start-up's health checks aside
        return [r for r in audit.read(home) if r["sti"] != "/api/v1/sundhed"]

    before = len(api_rows())
    made = 0
    for kind, token in t.items():
        for k in ("0101", "0147", "0151"):
            for method, path, right, ok in ENDPOINTS:
                url = path.format(k=k, aar=AAR)
                files_before = landing_tree(home.root)
                body = SAMPLE if method in ("PUT", "POST") and "klar" not in url else None
                status, answer, headers = server.request(method, url, token, body)
                made += 1
                want, code = expected(kind, k, right, ok)
                where = f"{kind} {method} {url}"
                assert status == want, (where, answer)
                if code:
                    assert answer["fejl"]["kode"] == code, where
                    assert answer["fejl"]["besked"], where
                    assert landing_tree(home.root) == files_before, where
                    if status == 401:
                        assert headers.get("www-authenticate") == "Bearer"
                elif method == "PUT":
                    assert answer["kommunekode"] == k and answer["fil"] == "bygninger.csv"
                    assert answer["datasaet"]["bygninger"]["raekker_accepteret"] > 0, answer
                    assert (home.landing / k / str(AAR) / "bygninger.csv").read_bytes() == SAMPLE
                elif method == "GET":
                    assert answer["kommunekode"] == k
                    assert [v["version"] for v in answer["versioner"]] == [1], answer
                    assert answer["klar"] is True
    # nobody here may touch 0151: its folder never came to be
    assert not (home.landing / "0151").exists()
    for k in ("0101", "0147"):  # each upload was removed again by its own token; the ready marker stays
        assert sorted(landing_tree(home.root)) == sorted(f"{k}/{AAR}/.klar" for k in ("0101", "0147"))
    _wait_for(lambda: len(api_rows()) >= before + made)  # each is written as its answer is sent
    rows = api_rows()[before:]
    assert len(rows) == made
    refused = [r for r in rows if r["status"] == 403]
    assert refused and all(r["token_id"] and r["fejlkode"] for r in refused)
    assert all(r["token_id"] is None and r["fejlkode"] for r in rows if r["status"] == 401)
    assert {r["metode"] for r in rows} == {"PUT", "POST", "GET", "DELETE"}
    assert all(r["tid"] and r["sti"].startswith("/api/v1/") for r in rows)


def test_tokens_are_stored_only_as_hashes(service):
    _, home, t = service
    raw = tokens.store_path(home).read_bytes()
    for token in (t["kommune"], t["leverandoer"]):
        assert token.encode() not in raw
        assert tokens.token_hash(token).encode() in raw
        assert len(token) >= 5 + 43  # 256 random bits, url-safe


def test_an_upload_answers_with_the_validators_findings(service):
    """The findings of a bad file are gate 1's, as `kkm2 validate` gives them, with file, row, column, value."""
    server, home, t = service
    bad = SAMPLE.replace(b";421;", b";xyz;", 1)
    url = f"/api/v1/indberetninger/0101/{AAR}/filer/bygninger.csv"
    status, answer, _ = server.request("PUT", url, t["kommune"], bad)
    assert status == 200, answer
    assert answer["godkendt"] is False
    finding = next(f for f in answer["fund"] if f["kolonne"] == "anvendelseskode")
    assert finding["fil"] == "bygninger.csv" and finding["raekke"] == 2 and finding["vaerdi"] == "xyz"
    assert finding["besked"] and finding["alvorlighed"] == "fejl"
    assert answer["datasaet"]["bygninger"]["raekker_afvist"] == 1
    files, ignored, _ = walk(home.landing / "0101" / str(AAR))
    _, direct = validate_light(files, ignored, "0101", AAR, None)
    assert json.loads(json.dumps(direct, default=str)) == answer["fund"]
    # the status shows the file in landing/; then it is removed
    status, answer, _ = server.request("GET", f"/api/v1/indberetninger/101/{AAR}", t["kommune"])
    assert answer["filer_i_landing"] == [{"fil": "bygninger.csv", "bytes": len(bad)}]
    assert server.request("DELETE", url, t["kommune"])[0] == 204
    assert server.request("DELETE", url, t["kommune"])[1]["fejl"]["kode"] == "FIL_FINDES_IKKE"


HOSTILE = [
    "..",
    "../bygninger.csv",
    "../../../../tmp/bygninger.csv",
    "a/bygninger.csv",
    ".klar",
    ".bygninger.csv",
    "~$bygninger.xlsx",
    "bygninger.csv\x00.txt",
    "bygninger\n.csv",
    "C:\\bygninger.csv",
    "bygninger.sh",
    "b" * 200 + ".csv",
    "bygninger..csv",
    "<script>.csv",
    "",
]


def test_hostile_file_names_are_refused_and_nothing_is_written(service):
    server, home, _ = service
    t = {"kommune": tokens.create(home, "Fjendtlig klient", ["0101"], ["indberet"])[0]}  # its own rate limit
    before = tree(home.root.parent)
    for name in HOSTILE:
        for method in ("PUT", "DELETE"):
            url = f"/api/v1/indberetninger/0101/{AAR}/filer/{quote(name, safe='')}"
            status, answer, _ = server.request(method, url, t["kommune"], SAMPLE if method == "PUT" else None)
            if "\n" in name:  # the router's path pattern stops at a line break: no such address
                assert (status, answer["fejl"]["kode"]) == (404, "FINDES_IKKE")
                continue
            assert status == 422, (name, method, answer)
            assert answer["fejl"]["kode"] == "UGYLDIGT_FILNAVN"
        # the same name unencoded in the path, as a hostile client sends it (no normalisation on the way)
        raw = f"/api/v1/indberetninger/0101/{AAR}/filer/{name}"
        if name and "\n" not in name and "\x00" not in name:
            status, answer, _ = server.request("PUT", raw, t["kommune"], SAMPLE)
            assert status == 422, (raw, answer)
    after = tree(home.root.parent)
    changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
    assert all(p.startswith("home/service/") for p in changed), changed  # the audit and nothing else


def test_a_too_large_upload_is_refused_and_leaves_nothing(service):
    server, home, t = service
    before = landing_tree(home.root)
    url = f"/api/v1/indberetninger/0101/{AAR}/filer/bygninger.csv"
    # declared too large: refused before a byte is read
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(
        f"PUT {url} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t['kommune']}\r\n"
        f"Content-Length: {10 * LIMIT_MB << 20}\r\n\r\n".encode()
    )
    s.settimeout(10)
    head = b""
    while b"}}" not in head and (chunk := s.recv(65536)):  # the head and the JSON may come apart
        head += chunk
    s.close()
    head = head.decode()
    assert head.startswith("HTTP/1.1 413"), head
    assert "FIL_FOR_STOR" in head
    # streamed without a length (chunked): refused when the limit is passed
    big = SAMPLE + b"x" * ((LIMIT_MB << 20) + 50_000)
    status, answer, _ = server.request(
        "PUT", url, t["kommune"], iter([big[i : i + 65536] for i in range(0, len(big), 65536)])
    )
    assert status == 413 and answer["fejl"]["kode"] == "FIL_FOR_STOR"
    status, answer, _ = server.request(
        "POST", f"/api/v1/valider?kommunekode=0101&aar={AAR}&filnavn=b.csv", t["kommune"], big
    )
    assert status == 413
    assert landing_tree(home.root) == before
    assert not list((home.tmp / "service").glob("valider-*"))


def _wait_for(check, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_an_upload_cut_off_by_the_client_leaves_nothing(service):
    server, home, t = service
    before = landing_tree(home.root)
    url = f"/api/v1/indberetninger/0147/{AAR}/filer/bygninger.csv"
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(
        f"PUT {url} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t['leverandoer']}\r\n"
        f"Content-Length: {len(SAMPLE) * 2}\r\n\r\n".encode()
        + SAMPLE
    )
    time.sleep(0.3)
    s.close()  # half the body, then gone
    _wait_for(lambda: any(r["fejlkode"] == "UPLOAD_AFBRUDT" for r in audit.read(home)))
    assert landing_tree(home.root) == before


def raw_response(s: socket.socket) -> tuple[int, dict, bytes]:
    """Read an HTTP response from `s` until the server closes the connection: status, headers, body."""
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def test_a_stalled_upload_is_given_up_with_408_and_leaves_nothing(tmp_path):
    """A client sends the headers and 10 bytes of a declared megabyte, then nothing: after the pause allowed
    (KKM2_API_UPLOAD_PAUSE_SEKUNDER, 1 s here) the server answers 408 in Danish, closes the connection and has
    removed the temporary file; a slow upload that keeps sending is not cut off."""
    home = Home(tmp_path / "home").ensure()
    token, _ = tokens.create(home, "Kommune", ["0101"], ["indberet"])
    server = Server(home.root, env={"KKM2_API_UPLOAD_PAUSE_SEKUNDER": "1"})
    url = f"/api/v1/indberetninger/0101/{AAR}/filer/bygninger.csv"
    head = f"PUT {url} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
    try:
        s = socket.create_connection(("127.0.0.1", server.port), timeout=20)
        start = time.monotonic()
        s.sendall(f"{head}Content-Length: 1000000\r\n\r\n".encode() + SAMPLE[:10])
        status, headers, body = raw_response(s)  # returns only when the server closes the connection
        waited = time.monotonic() - start
        s.close()
        assert status == 408
        assert json.loads(body)["fejl"]["kode"] == "UPLOAD_STOD_STILLE"
        assert "stod stille" in json.loads(body)["fejl"]["besked"]
        assert 0.9 < waited < 8, waited
        assert landing_tree(home.root) == {}  # neither the file nor its temporary file
        _wait_for(lambda: any(r["fejlkode"] == "UPLOAD_STOD_STILLE" for r in audit.read(home)))

        # slow but steady: pauses of 0.4 s, 3 s in all, well over the allowed pause in total
        s = socket.create_connection(("127.0.0.1", server.port), timeout=20)
        s.sendall(f"{head}Content-Length: {len(SAMPLE)}\r\nConnection: close\r\n\r\n".encode())
        pieces = [SAMPLE[i : i + len(SAMPLE) // 8 + 1] for i in range(0, len(SAMPLE), len(SAMPLE) // 8 + 1)]
        for piece in pieces:
            time.sleep(0.4)
            s.sendall(piece)
        status, _, body = raw_response(s)
        s.close()
        assert status == 200, body
        assert json.loads(body)["bytes"] == len(SAMPLE)
        assert landing_tree(home.root) == {f"0101/{AAR}/bygninger.csv": len(SAMPLE)}
    finally:
        server.stop()


def test_errors_are_danish_json_with_stable_codes(service):
    server, home, t = service
    cases = [
        ("GET", "/api/v1/findes-ikke", 404, "FINDES_IKKE"),
        ("PATCH", f"/api/v1/indberetninger/0101/{AAR}", 405, "METODE_IKKE_TILLADT"),
        ("GET", f"/api/v1/indberetninger/abc/{AAR}", 422, "UGYLDIG_KOMMUNEKODE"),
        ("GET", "/api/v1/indberetninger/0101/20x4", 422, "UGYLDIGT_AAR"),
        ("GET", f"/api/v1/indberetninger/{quote('٠١٠١')}/{AAR}", 422, "UGYLDIG_KOMMUNEKODE"),
        ("GET", f"/api/v1/indberetninger/0101/{quote('٢٠٢٤')}", 422, "UGYLDIGT_AAR"),
        ("POST", "/api/v1/indberetninger/0101/1999/klar", 422, "UGYLDIGT_AAR"),
        ("POST", f"/api/v1/indberetninger/0101/{AAR}/klar", 404, "INGEN_FILER"),
        ("POST", "/api/v1/valider?kommunekode=0101", 422, "UGYLDIG_FORESPOERGSEL"),
    ]
    (home.landing / "0101" / str(AAR) / ".klar").unlink(missing_ok=True)
    for method, url, status, code in cases:
        got, answer, headers = server.request(method, url, t["kommune"])
        assert (got, answer["fejl"]["kode"]) == (status, code), (url, answer)
        assert headers["content-type"] == "application/json"


def test_the_served_specification_is_the_committed_one(service):
    server, _, _ = service
    status, spec, _ = server.request("GET", "/api/v1/openapi.json")
    assert status == 200
    assert spec == json.loads((REPO_ROOT / "docs" / "api" / "openapi.json").read_text(encoding="utf-8"))


def test_a_token_is_rate_limited(service):
    server, home, _ = service
    token, _ = tokens.create(home, "Travl", ["0151"], ["laes"])
    answers = [
        server.request("GET", f"/api/v1/indberetninger/0151/{AAR}", token)
        for _ in range(CALLS_PER_MINUTE + 1)
    ]
    assert [a[0] for a in answers[:CALLS_PER_MINUTE]] == [200] * CALLS_PER_MINUTE
    status, answer, headers = answers[-1]
    assert status == 429 and answer["fejl"]["kode"] == "FOR_MANGE_KALD" and int(headers["retry-after"]) > 0


def test_an_upload_killed_with_the_server_leaves_nothing(tmp_path):
    """Kill -9 the server mid-upload: no file by the upload's name appears, and the next server start removes
    the half temporary file (which the landing walker never reads anyway: it is a dot file)."""
    home = Home(tmp_path / "home").ensure()
    token, _ = tokens.create(home, "Kommune", ["0101"], ["indberet"])
    server = Server(home.root)
    try:
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall(
            f"PUT /api/v1/indberetninger/0101/{AAR}/filer/bygninger.csv HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: {len(SAMPLE) * 2}\r\n\r\n".encode()
            + SAMPLE
        )
        folder = home.landing / "0101" / str(AAR)
        _wait_for(lambda: folder.is_dir() and any(folder.iterdir()))
        server.proc.kill()
        server.proc.wait()
        s.close()
        assert [f.name for f in folder.iterdir() if not f.name.startswith(".kkm2-upload-")] == []
        assert walk(folder)[0] == []
    finally:
        server.stop()
    server = Server(home.root)
    try:
        assert list(folder.iterdir()) == []
    finally:
        out = server.stop()
    assert "halve uploads" in out


def test_the_readmes_three_curl_commands_deliver_a_year_and_answer_with_the_findings(service, tmp_path):
    """The README's promise, run as written with the real curl: a vendor's token, two uploads and the ready
    marker. Each upload answers with gate 1's findings for the whole submission; the folder ends complete."""
    server, home, t = service
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("three `curl` commands", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [line for line in block.splitlines() if line.strip()]
    assert lines[0].startswith("TOKEN=") and len(lines) == 4, lines
    for name in ("bygninger.csv", "forbrug.csv"):
        (tmp_path / name).write_bytes((REPO_ROOT / "docs" / "eksempler" / name).read_bytes())
    folder = home.landing / "0101" / "2024"
    script = "\n".join([f"TOKEN={t['leverandoer']}; API=http://127.0.0.1:{server.port}/api/v1", *lines[1:]])
    out = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace("\n", "; echo; ")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        assert out.returncode == 0, out.stderr
        first, second, ready = (json.loads(x) for x in out.stdout.splitlines() if x.strip())
        received = [{d: c["raekker_modtaget"] for d, c in a["datasaet"].items()} for a in (first, second)]
        assert first["fil"] == "bygninger.csv" and received[0]["bygninger"] > 0 == received[0]["forbrug"]
        assert second["fil"] == "forbrug.csv" and received[1]["forbrug"] > 0
        assert received[1]["bygninger"] == received[0]["bygninger"]  # the whole submission, each time
        for answer in (first, second):
            for counts in answer["datasaet"].values():
                assert counts["raekker_modtaget"] == (
                    counts["raekker_accepteret"] + counts["raekker_afvist"] + counts["raekker_sprunget_over"]
                )
            assert all(f["besked"] for f in answer["fund"])
        assert ready == {
            "kommunekode": "0101",
            "aar": 2024,
            "klar": True,
            "filer": ["bygninger.csv", "forbrug.csv"],
        }
        assert sorted(p.name for p in folder.iterdir()) == [".klar", "bygninger.csv", "forbrug.csv"]
    finally:
        for p in folder.iterdir():
            p.unlink()
