"""`kkm2 serve --https` behind Debian's nginx with TLS, on loopback: the example docs/deploy/nginx.conf itself,
its placeholders filled in with this test's ports and paths, a self-signed certificate made with `openssl`, and
real requests over https. No mocks: a real nginx and a real uvicorn, each a child process, stopped at the end.

What the example must do: pass uploads (streamed) and answers through with the Danish findings, make the login
cookie Secure, refuse an upload over the service's limit with the service's Danish JSON 413, not pass on a
client's own X-Forwarded-For, send HSTS, redirect plain http to https, and answer Danish JSON when the service is
down. The service believes X-Forwarded-For only from its proxy's address (`kkm2 serve --proxy`)."""

from __future__ import annotations

import http.client
import json
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from test_service import AAR, LIMIT_MB, SAMPLE, Server, free_port, landing_tree

from pipeline.service import audit, sessions, tokens
from pipeline.settings import REPO_ROOT, Home

EXAMPLE = REPO_ROOT / "docs" / "deploy" / "nginx.conf"
INSTALL_HINT = (
    "nginx is missing: the reverse-proxy test runs Debian's nginx. Install it with `make nginx` "
    "(or `apt-get install -y nginx-light`, as root)."
)


def nginx_binary() -> str:
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(INSTALL_HINT, pytrace=False)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1, valid for two days, made by the openssl command."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def render_example(values: dict[str, str]) -> str:
    """docs/deploy/nginx.conf with its @…@ placeholders filled in; every placeholder must be filled."""
    text = EXAMPLE.read_text(encoding="utf-8")
    # the comment's own example sed line names the placeholders too: fill only the configuration's lines
    lines = []
    for line in text.splitlines():
        if not line.lstrip().startswith("#"):
            for name, value in values.items():
                line = line.replace(f"@{name}@", value)
            assert not re.search(r"@[A-Z_]+@", line), f"a placeholder is not filled in: {line}"
        lines.append(line)
    return "\n".join(lines) + "\n"


class Nginx:
    """nginx in the foreground as a child: the rendered example included in a minimal main configuration that
    keeps everything (pid, logs, temporary files) under `folder`, as Debian's /etc/nginx/nginx.conf would."""

    def __init__(self, folder: Path, values: dict[str, str]):
        self.folder = folder
        (folder / "kkm2.conf").write_text(render_example(values), encoding="utf-8")
        temp = {n: folder / "temp" / n for n in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
        for p in temp.values():
            p.mkdir(parents=True)
        user = pwd.getpwuid(os.getuid()).pw_name  # the workers run as the test's user (root: root)
        (folder / "main.conf").write_text(
            f"user {user};\n"
            "worker_processes 1;\n"
            f"error_log {folder}/error.log info;\n"
            f"pid {folder}/nginx.pid;\n"
            "events { worker_connections 64; }\n"
            "http {\n"
            "    default_type application/octet-stream;\n"
            f"    access_log {folder}/access.log;\n"
            + "".join(f"    {n}_temp_path {p};\n" for n, p in temp.items())
            + f"    include {folder}/kkm2.conf;\n"
            "}\n",
            encoding="utf-8",
        )
        self.https_port = int(values["HTTPS_LISTEN"].rsplit(":", 1)[1])
        command = [nginx_binary(), "-e", str(folder / "error.log"), "-p", str(folder), "-c", "main.conf"]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert check.returncode == 0, f"nginx -t refuses the example: {check.stderr}"
        self.proc = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.https_port), timeout=1):
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start: {self.log()}") from None
                time.sleep(0.05)

    def log(self) -> str:
        p = self.folder / "error.log"
        return p.read_text(errors="replace")[-3000:] if p.exists() else ""

    def stop(self) -> int:
        """Graceful stop (SIGQUIT: finish the requests under way, then exit); the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    top = tmp_path_factory.mktemp("service_nginx")
    home = Home(top / "home").ensure()
    token, _ = tokens.create(home, "Københavns Kommune", ["0101"], ["indberet", "laes"])
    cert, key = self_signed(top)
    server = Server(home.root, args=("--https",))
    ports = {"https": free_port(), "http": free_port()}
    nginx = None
    (top / "nginx").mkdir()
    try:
        nginx = Nginx(
            top / "nginx",
            {
                "SERVER_NAME": "localhost",
                "HTTPS_LISTEN": f"127.0.0.1:{ports['https']}",
                "HTTP_LISTEN": f"127.0.0.1:{ports['http']}",
                "CERT": str(cert),
                "KEY": str(key),
                "SERVICE_PORT": str(server.port),
                "MAX_MB": str(LIMIT_MB),  # the service's own limit (KKM2_MAKS_FIL_MB in test_service.Server)
            },
        )
        context = ssl.create_default_context(cafile=str(cert))
        yield {"server": server, "nginx": nginx, "home": home, "token": token, "ssl": context, **ports}
    finally:
        if nginx is not None:
            nginx.stop()
        server.stop()


def https(p, method: str, path: str, headers=None, body=None, chunked: bool = False):
    """One request through nginx over https, exactly as given: (status, headers, body bytes)."""
    conn = http.client.HTTPSConnection("127.0.0.1", p["https"], context=p["ssl"], timeout=60)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}), encode_chunked=chunked)
        r = conn.getresponse()
        return r.status, r.headers, r.read()
    finally:
        conn.close()


def bearer(p) -> dict:
    return {"Authorization": f"Bearer {p['token']}"}


def test_an_upload_through_nginx_is_answered_with_the_danish_findings(proxied):
    p = proxied
    url = f"/api/v1/indberetninger/0101/{AAR}/filer/bygninger.csv"
    status, headers, body = https(p, "PUT", url, bearer(p), SAMPLE)
    assert status == 200, body
    answer = json.loads(body)
    assert answer["kommunekode"] == "0101" and answer["fil"] == "bygninger.csv"
    assert answer["bytes"] == len(SAMPLE) and answer["datasaet"]["bygninger"]["raekker_modtaget"] > 0
    assert headers["strict-transport-security"] == "max-age=63072000"
    assert headers["server"] == "nginx"  # server_tokens off: no version
    assert landing_tree(p["home"].root) == {f"0101/{AAR}/bygninger.csv": len(SAMPLE)}
    # a chunked upload (no Content-Length) streams through too
    chunks = (SAMPLE[i : i + 4096] for i in range(0, len(SAMPLE), 4096))
    status, _, body = https(p, "PUT", url.replace("bygninger.csv", "b2.csv"), bearer(p), chunks, chunked=True)
    assert status == 200 and json.loads(body)["bytes"] == len(SAMPLE), body
    status, _, body = https(p, "GET", f"/api/v1/indberetninger/0101/{AAR}", bearer(p))
    assert status == 200
    assert {f["fil"] for f in json.loads(body)["filer_i_landing"]} == {"bygninger.csv", "b2.csv"}
    # the service's own Danish errors come through unchanged
    status, _, body = https(p, "GET", f"/api/v1/indberetninger/0147/{AAR}", bearer(p))
    assert status == 403 and json.loads(body)["fejl"]["kode"] == "INGEN_ADGANG_TIL_KOMMUNE"


def test_plain_http_is_redirected_to_https(proxied):
    conn = http.client.HTTPConnection("127.0.0.1", proxied["http"], timeout=30)
    try:
        conn.request("GET", "/log-ind")
        r = conn.getresponse()
        r.read()
        assert r.status == 301 and r.headers["location"].startswith("https://")
        assert r.headers["location"].endswith("/log-ind")
    finally:
        conn.close()


def test_the_login_cookie_through_the_proxy_is_secure(proxied):
    p = proxied
    status, headers, body = https(p, "GET", "/log-ind")
    assert status == 200 and b'lang="da"' in body
    login_name = sessions.cookie_name(sessions.LOGIN_COOKIE, True)
    lines = {line.split("=", 1)[0]: line for line in headers.get_all("set-cookie")}
    nonce = re.search(rb'name="csrf" value="([^"]+)"', body)[1].decode()
    form = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": lines[login_name].split(";")[0],
    }
    status, headers, body = https(
        p, "POST", "/log-ind", form, urlencode({"csrf": nonce, "token": p["token"]})
    )
    assert status == 303, body
    line = {c.split("=", 1)[0]: c for c in headers.get_all("set-cookie")}[
        sessions.cookie_name(sessions.COOKIE, True)
    ]
    assert line.startswith("__Host-")
    assert {"secure", "httponly", "samesite=strict", "path=/"} <= {
        f.strip().lower() for f in line.split(";")[1:]
    }
    sid = line.split(";")[0].split("=", 1)[1]
    status, _, body = https(p, "GET", "/kommune/0101", {"Cookie": f"__Host-{sessions.COOKIE}={sid}"})
    assert status == 200 and "0101" in body.decode()


def test_an_upload_over_the_limit_gets_danish_json_413_and_leaves_nothing(proxied):
    p = proxied
    before = landing_tree(p["home"].root)
    url = f"/api/v1/indberetninger/0101/{AAR}/filer/stor.csv"
    big = SAMPLE + b"x" * (LIMIT_MB * 1024 * 1024)
    # declared too large: nginx refuses it before sending anything on (client_max_body_size), in the service's
    # shape and words via the example's error_page
    status, headers, body = https(p, "PUT", url, bearer(p), big)
    assert status == 413, body
    assert headers["content-type"] == "application/json"
    danish = {
        "kode": "FIL_FOR_STOR",
        "besked": f"Filen er større end grænsen på {LIMIT_MB} MB (KKM2_MAKS_FIL_MB).",
    }
    assert json.loads(body)["fejl"] == danish
    # chunked, so nobody knows the size in advance: streamed on until nginx's count passes the limit, then
    # refused the same way; the service sees an upload cut off and removes its temporary file
    chunks = (big[i : i + 65536] for i in range(0, len(big), 65536))
    status, headers, body = https(p, "PUT", url, bearer(p), chunks, chunked=True)
    assert status == 413 and json.loads(body)["fejl"] == danish, body
    deadline = time.monotonic() + 20
    while landing_tree(p["home"].root) != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert landing_tree(p["home"].root) == before
    # the service heard only of the second, cut off by nginx; the first never reached it
    deadline = time.monotonic() + 20
    while not (seen := [(r["status"], r["fejlkode"]) for r in audit.read(p["home"]) if r["sti"] == url]):
        assert time.monotonic() < deadline, "the cut-off upload was not audited"
        time.sleep(0.05)
    assert seen == [(400, "UPLOAD_AFBRUDT")]


def wait_for_audit(home: Home, paths: set[str]) -> dict[str, str]:
    """The audited client address of each of `paths` (the audit row is written just after the answer)."""
    deadline = time.monotonic() + 20
    while True:
        found = {r["sti"]: r["klient"] for r in audit.read(home) if r["sti"] in paths}
        if set(found) == paths or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_only_the_proxy_is_believed_about_the_clients_address(proxied, tmp_path):
    """nginx replaces a client's own X-Forwarded-For with the address it saw; the service believes the header
    from its proxy's address (loopback, --proxy's default) and from nowhere else."""
    p = proxied
    forged = {"X-Forwarded-For": "203.0.113.9", **bearer(p)}
    via_nginx, direct = f"/api/v1/indberetninger/0101/{AAR}", f"/api/v1/indberetninger/101/{AAR}"
    assert https(p, "GET", via_nginx, forged)[0] == 200
    assert p["server"].request("GET", direct, None, None, forged)[0] == 200
    clients = wait_for_audit(p["home"], {via_nginx, direct})
    assert clients[via_nginx] == "127.0.0.1"  # through nginx: the forged header did not get through
    assert clients[direct] == "203.0.113.9"  # straight from 127.0.0.1, the trusted proxy's address
    # a service whose proxy is elsewhere does not believe a header from 127.0.0.1
    home = Home(tmp_path / "home").ensure()
    token, _ = tokens.create(home, "Kommune", ["0101"], ["laes"])
    other = Server(home.root, args=("--proxy", "192.0.2.1"))
    try:
        forged["Authorization"] = f"Bearer {token}"
        assert other.request("GET", via_nginx, None, None, forged)[0] == 200
        assert wait_for_audit(home, {via_nginx}) == {via_nginx: "127.0.0.1"}
    finally:
        other.stop()


def test_without_the_service_nginx_answers_danish_json_and_both_stop_cleanly(proxied):
    p = proxied
    p["server"].stop()
    status, headers, body = https(p, "GET", "/api/v1/sundhed")
    assert status == 503 and headers["content-type"] == "application/json"
    assert json.loads(body)["fejl"]["kode"] == "TJENESTE_UTILGAENGELIG"
    assert p["nginx"].stop() == 0
    assert not (p["nginx"].folder / "nginx.pid").exists()
    assert "[emerg]" not in p["nginx"].log() and "[alert]" not in p["nginx"].log()
