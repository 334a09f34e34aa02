"""`kkm2 serve`'s release access, report and pages for people (issue 21): a real server on loopback, real HTTP
and Debian's Chromium, no mocks.

The release is made by hand (it is only files, in the folders pipeline.publish writes), with hostile links in
it: one from 0101's folder into 0147's, and two out of the release. The access matrix: every kind of token ×
national, own and another municipality's files × the API and the report; a token for 0101 never gets a byte
of 0147's files, and no path leaves the release."""

from __future__ import annotations

import http.client
import json
import os
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from test_service import AAR, SAMPLE, Server, landing_tree, tree

from pipeline.publish import switch_current
from pipeline.service import sessions, tokens
from pipeline.settings import Home

SECRET = b"HEMMELIGT-UDENFOR-UDGIVELSEN"

NATIONAL = [
    "exports/dim_kommune.parquet",
    "offentlig/benchmark.parquet",
    "report/index.html",
    "quality/nationalt/index.html",
]
OWN = [
    "kommuner/{k}/dim_bygning.parquet",
    "kommuner/{k}/rapport.html",
    "kommuner/{k}/tilbagemelding_2024.html",
    "kommuner/{k}/afviste_raekker_2024.xlsx",
    "quality/{k}/index.html",
]
NEVER = ["warehouse.duckdb", "_manifest.json", "quality/_resultater.json"]


def page_html(title: str, body: str = "") -> bytes:
    return (
        f'<!doctype html><html lang="da"><head><meta charset="utf-8"><title>{title}</title>'
        f'<link rel="stylesheet" href="../../report/assets/report.css"></head><body><h1>{title}</h1>{body}'
        "</body></html>"
    ).encode()


def make_release(home: Home, outside: Path) -> Path:
    """A release as pipeline.publish lays it out, with each file's content naming the file."""
    root = home.releases / "20250101T000000000Z"
    files = [*NATIONAL, *NEVER, "report/assets/report.css"]
    files += [p.format(k=k) for p in OWN for k in ("0101", "0147")]
    for rel in files:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith(".html"):
            p.write_bytes(page_html(rel))
        else:
            p.write_bytes(f"indhold af {rel}".encode())
    # hostile links: into another municipality's folder, and out of the release (a file and a folder)
    os.symlink("../0147/dim_bygning.parquet", root / "kommuner/0101/snyd.parquet")
    os.symlink(outside / "hemmelig.txt", root / "kommuner/0101/ud.txt")
    os.symlink(outside, root / "report/ud")
    os.symlink(outside, root / "exports/ud")
    switch_current(home, root)
    return root


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    top = tmp_path_factory.mktemp("service_pages")
    outside = top / "udenfor"
    outside.mkdir()
    (outside / "hemmelig.txt").write_bytes(SECRET)
    home = Home(top / "home").ensure()
    (home.tmp / "service").mkdir(parents=True, exist_ok=True)
    root = make_release(home, outside)
    t = {
        "kommune": tokens.create(home, "Københavns Kommune", ["0101"], ["indberet", "laes"])[0],
        "anden": tokens.create(home, "Frederiksberg Kommune", ["0147"], ["indberet", "laes"])[0],
        "leverandoer": tokens.create(home, "Leverandør A/S", ["0101", "0147"], ["laes"])[0],
        "kun_indberet": tokens.create(home, "Kun indberetning", ["0101"], ["indberet"])[0],
        "uden": None,
        "snyd": "kkm2_" + "B" * 43,
    }
    spaerret, info = tokens.create(home, "Spærret", ["0101"], ["indberet", "laes"])
    tokens.block(home, info.id)
    t["spaerret"] = spaerret
    server = Server(home.root)
    yield server, home, root, t
    server.stop()


def raw(server: Server, method: str, path: str, headers=None, body: bytes | None = None):
    """One request exactly as given (no redirects followed): (status, headers, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return r.status, r.headers, r.read()
    finally:
        conn.close()


def bearer(token):
    return {"Authorization": f"Bearer {token}"} if token else {}


# who may read what: the municipalities whose own files a kind may read, or the refusal every path gets
KINDS = {
    "kommune": {"0101"},
    "anden": {"0147"},
    "leverandoer": {"0101", "0147"},
    "kun_indberet": (403, "MANGLER_RETTIGHED"),
    "spaerret": (401, "TOKEN_SPAERRET"),
    "uden": (401, "TOKEN_MANGLER"),
    "snyd": (401, "UGYLDIGT_TOKEN"),
}


def expected(kind: str, rel: str) -> tuple[int, str | None]:
    rule = KINDS[kind]
    if isinstance(rule, tuple):
        return rule
    if rel in NEVER:
        return 404, "FIL_FINDES_IKKE"
    k = re.search(r"/(\d{4})/", rel)
    if k and k[1] not in rule:
        return 403, "INGEN_ADGANG_TIL_KOMMUNE"
    return 200, None


def test_release_files_by_token_kind_and_municipality(site):
    """The API and the report answer the same: the national files for every token with `laes`, a
    municipality's own files only for its tokens, the release's warehouse and manifest for nobody."""
    server, home, root, t = site
    paths = NATIONAL + NEVER + [p.format(k=k) for p in OWN for k in ("0101", "0147")]
    for kind, token in t.items():
        for rel in paths:
            want, code = expected(kind, rel)
            status, headers, body = raw(server, "GET", f"/api/v1/udgivelser/aktuel/{rel}", bearer(token))
            where = f"{kind} API {rel}"
            assert status == want, (where, body[:300])
            if want == 200:
                assert body == (root / rel).read_bytes(), where
                assert headers["x-content-type-options"] == "nosniff"
            else:
                assert json.loads(body)["fejl"]["kode"] == code, where
                assert b"indhold af" not in body and b"<h1>" not in body
            # the report: the same rule; no token means the login page, a refusal a Danish page
            status, headers, body = raw(server, "GET", f"/rapport/{rel}", bearer(token))
            where = f"{kind} rapport {rel}"
            if want == 401:
                assert (status, headers["location"]) == (303, "/log-ind"), where
            else:
                assert status == want, (where, body[:300])
                assert (body == (root / rel).read_bytes()) == (want == 200), where
    # a municipality's listing names the national tables and its own folder, nothing of another's
    status, _, body = raw(server, "GET", "/api/v1/udgivelser/aktuel", bearer(t["kommune"]))
    listing = json.loads(body)
    assert status == 200 and listing["release_id"] == root.name
    names = {f["sti"] for f in listing["filer"]}
    assert "exports/dim_kommune.parquet" in names and "kommuner/0101/dim_bygning.parquet" in names
    assert not any("0147" in n for n in names) and "warehouse.duckdb" not in names
    assert not any(n.endswith(("snyd.parquet", "ud.txt")) for n in names)  # links are not listed


TRAVERSALS = [
    "../../home/service/tokens.sqlite",
    "../current/warehouse.duckdb",
    "kommuner/0101/../0147/dim_bygning.parquet",
    "kommuner/0101/%2e%2e/0147/dim_bygning.parquet",
    "kommuner/0101/..%2f0147%2fdim_bygning.parquet",
    "%2e%2e/%2e%2e/udenfor/hemmelig.txt",
    "kommuner/0101/snyd.parquet",  # a link into 0147's folder
    "kommuner/0101/ud.txt",  # a link out of the release
    "report/ud/hemmelig.txt",  # a folder link out of the release
    "exports/ud/hemmelig.txt",
    "report//index.html",
    "report/./index.html",
    "kommuner/101/dim_bygning.parquet",
    "kommuner/0101/.skjult",
    "kommuner/0101\\..\\0147\\dim_bygning.parquet",
    "exports/%00.parquet",
    "kommuner/0101",
    "kommuner",
    "/etc/passwd",
    "%2fetc%2fpasswd",
]


def test_paths_out_of_the_release_or_into_another_municipality_are_refused(site):
    server, home, root, t = site
    token, _ = tokens.create(home, "Fjendtlig", ["0101"], ["laes"])  # its own rate limit
    for rel in TRAVERSALS:
        for prefix in ("/api/v1/udgivelser/aktuel/", "/rapport/"):
            status, _, body = raw(server, "GET", prefix + rel, bearer(token))
            assert status in (403, 404, 422), (prefix + rel, status, body[:200])
            assert SECRET not in body and b"indhold af kommuner/0147" not in body, prefix + rel
    # the vendor for both municipalities may read 0147's file, but not through 0101's link out of the release
    status, _, body = raw(server, "GET", "/rapport/kommuner/0101/ud.txt", bearer(t["leverandoer"]))
    assert status == 404 and SECRET not in body


# ---- sessions, CSRF and the pages ----


def cookies_of(headers) -> dict[str, str]:
    """name -> the whole Set-Cookie line."""
    return {line.split("=", 1)[0]: line for line in headers.get_all("set-cookie") or []}


def login(server: Server, token: str) -> tuple[str, str]:
    """Log in through the form as a browser does: (the session id, its CSRF token)."""
    status, headers, body = raw(server, "GET", "/log-ind")
    assert status == 200
    nonce = re.search(rb'name="csrf" value="([^"]+)"', body)[1].decode()
    login_cookie = cookies_of(headers)[sessions.LOGIN_COOKIE].split(";")[0]
    status, headers, body = raw(
        server,
        "POST",
        "/log-ind",
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": login_cookie},
        urlencode({"csrf": nonce, "token": token}).encode(),
    )
    assert status == 303 and headers["location"] == "/kommune", body
    line = cookies_of(headers)[sessions.COOKIE]
    sid = line.split(";")[0].split("=", 1)[1]
    status, _, body = raw(server, "GET", "/kommune/0101", {"Cookie": f"{sessions.COOKIE}={sid}"})
    assert status == 200, body
    csrf = re.search(rb'name="csrf" value="([^"]+)"', body)[1].decode()
    return sid, csrf


def test_login_sets_a_strict_httponly_session_cookie_without_the_token(site):
    server, home, _, t = site
    status, headers, body = raw(server, "GET", "/log-ind")
    assert status == 200 and b'<label for="token">Token</label>' in body and b'lang="da"' in body
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    # the login form without its CSRF value, or with a wrong token: refused, no session
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, headers, body = raw(server, "POST", "/log-ind", form, urlencode({"token": t["kommune"]}).encode())
    assert status == 403 and sessions.COOKIE not in cookies_of(headers)
    assert "Formularen var udløbet" in body.decode()
    status, headers, body = raw(
        server, "POST", "/log-ind", {**form, "Cookie": f"{sessions.LOGIN_COOKIE}=x" * 1},
        urlencode({"csrf": "x", "token": "kkm2_forkert"}).encode(),
    )  # fmt: skip
    assert status == 401 and "Tokenet er ikke gyldigt" in body.decode()
    assert sessions.COOKIE not in cookies_of(headers)
    # the real thing
    _, headers, body = raw(server, "GET", "/log-ind")
    nonce = re.search(rb'name="csrf" value="([^"]+)"', body)[1].decode()
    login_line = cookies_of(headers)[sessions.LOGIN_COOKIE]
    status, headers, _ = raw(
        server, "POST", "/log-ind", {**form, "Cookie": login_line.split(";")[0]},
        urlencode({"csrf": nonce, "token": t["kommune"]}).encode(),
    )  # fmt: skip
    assert status == 303
    line = cookies_of(headers)[sessions.COOKIE]
    flags = {f.strip().lower() for f in line.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= flags, line
    assert "secure" not in flags  # plain http on loopback; `kkm2 serve --https` adds Secure
    assert t["kommune"] not in line and t["kommune"].encode() not in sessions.store_path(home).read_bytes()
    assert {"httponly", "samesite=strict"} <= {f.strip().lower() for f in login_line.split(";")[1:]}


def test_a_request_without_the_csrf_token_is_refused_and_changes_nothing(site):
    server, home, _, t = site
    sid, csrf = login(server, t["kommune"])
    cookie = {"Cookie": f"{sessions.COOKIE}={sid}"}
    url = f"/api/v1/indberetninger/0101/{AAR}/filer/bygninger.csv"
    before = tree(home.root / "landing")
    for headers in (cookie, {**cookie, "X-CSRF-Token": "forkert"}):
        status, _, body = raw(server, "PUT", url, headers, SAMPLE)
        assert (status, json.loads(body)["fejl"]["kode"]) == (403, "CSRF_MANGLER")
        status, _, body = raw(server, "POST", f"/api/v1/indberetninger/0101/{AAR}/klar", headers)
        assert status == 403
        status, _, _ = raw(
            server, "POST", "/log-ud", {**headers, "Content-Type": "application/x-www-form-urlencoded"}, b""
        )
        assert status == 403
    assert tree(home.root / "landing") == before
    # the session still works (the logout without its token did nothing), and with its token the upload goes in
    status, _, body = raw(server, "GET", f"/api/v1/indberetninger/0101/{AAR}", cookie)
    assert status == 200, body
    status, _, body = raw(server, "PUT", url, {**cookie, "X-CSRF-Token": csrf}, SAMPLE)
    assert status == 200 and json.loads(body)["godkendt"] is True
    # one session's CSRF token is not another's
    sid2, csrf2 = login(server, t["kommune"])
    status, _, _ = raw(server, "PUT", url, {**cookie, "X-CSRF-Token": csrf2}, SAMPLE)
    assert status == 403
    assert raw(server, "DELETE", url, {**cookie, "X-CSRF-Token": csrf})[0] == 204
    # logout with the token ends the session
    form = {**cookie, "Content-Type": "application/x-www-form-urlencoded"}
    status, headers, _ = raw(server, "POST", "/log-ud", form, urlencode({"csrf": csrf}).encode())
    assert (status, headers["location"]) == (303, "/log-ind")
    assert raw(server, "GET", "/kommune/0101", cookie)[0] == 303
    assert raw(server, "GET", f"/api/v1/indberetninger/0101/{AAR}", cookie)[0] == 401
    assert landing_tree(home.root) == before


def multipart(fields: dict[str, str], files: list[tuple[str, bytes]]) -> tuple[dict, bytes]:
    """A multipart/form-data body as a browser sends the upload form: (headers, body)."""
    boundary = "----kkm2test" + os.urandom(8).hex()
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    for name, data in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="filer"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return {"Content-Type": f"multipart/form-data; boundary={boundary}"}, body


def test_the_upload_form_without_javascript_checks_its_csrf_names_and_size(site):
    """The page's form posted as a browser without JavaScript posts it: without the session's CSRF token
    nothing is written; with it each file is checked as an upload is (a hostile name is refused, the others go
    in atomically) and the page comes back with the findings; a form without its length, or longer than the
    limit, or for another municipality, writes nothing."""
    server, home, _, t = site
    sid, csrf = login(server, t["kommune"])
    cookie = {"Cookie": f"{sessions.COOKIE}={sid}"}
    url = f"/kommune/0101/filer?aar={AAR}"
    bad = SAMPLE.replace(b";421;", b";xyz;", 1)
    before = landing_tree(home.root)
    for fields in ({}, {"csrf": "forkert"}):
        headers, body = multipart(fields, [("bygninger.csv", SAMPLE)])
        status, _, page = raw(server, "POST", url, {**cookie, **headers}, body)
        assert status == 403 and "sikkerhedstegn" in page.decode(), page
    headers, body = multipart({"csrf": csrf}, [("bygninger.csv", SAMPLE)])
    assert raw(server, "POST", "/kommune/0147/filer?aar=2024", {**cookie, **headers}, body)[0] == 403
    assert raw(server, "POST", url, {**headers}, body)[0] == 303  # no session: to the login
    # the token sent as a file, or a file before the token: refused before any file is taken (the folder is
    # not even made)
    boundary = "----kkm2x"
    as_file = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"; filename="a.csv"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="filer"; filename="bygninger.csv"\r\n\r\n'
        ).encode()
        + SAMPLE
        + f"\r\n--{boundary}--\r\n".encode()
    )
    file_first = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="filer"; filename="bygninger.csv"\r\n\r\n'
        ).encode()
        + SAMPLE
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n--{boundary}--\r\n'.encode()
    )
    for hostile in (as_file, file_first):
        kind = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        status, _, page = raw(server, "POST", url, {**cookie, **kind}, hostile)
        assert status == 403 and "sikkerhedstegn" in page.decode(), page
    # not multipart, and broken multipart: a Danish page, never a 500
    status, _, page = raw(server, "POST", url, {**cookie, "Content-Type": "text/plain"}, b"x")
    assert status == 415 and "multipart" in page.decode()
    kind = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    status, _, page = raw(
        server, "POST", url, {**cookie, **kind}, b"--" + boundary.encode() + b"\r\nnonsense"
    )
    assert status in (400, 403, 422) and "<html" in page.decode()
    assert landing_tree(home.root) == before
    # without a length (chunked), and longer than the limit: refused before the body is read
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.putrequest("POST", url)
    for k, v in {**cookie, **headers, "Transfer-Encoding": "chunked"}.items():
        conn.putheader(k, v)
    conn.endheaders()
    conn.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
    assert conn.getresponse().status == 411
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.putrequest("POST", url)
    for k, v in {**cookie, **headers, "Content-Length": str(11 * 1024 * 1024)}.items():
        conn.putheader(k, v)
    conn.endheaders()
    assert conn.getresponse().status == 413  # ten files of the 1 MB limit and the fields, at most
    conn.close()
    assert landing_tree(home.root) == before
    # with its token: the good file and the bad one go in, the hostile names do not, the findings come back
    headers, body = multipart(
        {"csrf": csrf},
        [
            ("bygninger.csv", bad),
            ("../../udenfor.csv", SAMPLE),
            (".skjult.csv", SAMPLE),
            ("a.exe", SAMPLE),
            ("stor.csv", b"x" * (1024 * 1024 + 1)),  # over the file limit: refused, nothing of it left
        ],
    )
    status, _, page = raw(server, "POST", url, {**cookie, **headers}, body)
    html = page.decode()
    assert status == 200, html
    folder = home.landing / "0101" / str(AAR)
    assert (folder / "bygninger.csv").read_bytes() == bad
    assert sorted(p.name for p in folder.iterdir()) == ["bygninger.csv"]
    assert (
        html.count("Ikke modtaget:") == 4 and "Filtypen skal være en af" in html and "grænsen på 1 MB" in html
    )
    assert "Kontrolleret: " in html and "<td>anvendelseskode</td><td>xyz</td>" in html
    assert not (home.root / "udenfor.csv").exists() and not (home.landing / "udenfor.csv").exists()
    os.unlink(folder / "bygninger.csv")


def test_a_session_sees_only_its_own_municipality_and_ends_with_its_token(site):
    server, home, _, t = site
    token, info = tokens.create(home, "Kortvarig", ["0101"], ["indberet", "laes"])
    sid, _ = login(server, token)
    cookie = {"Cookie": f"{sessions.COOKIE}={sid}"}
    status, _, body = raw(server, "GET", "/kommune/0147", cookie)
    assert status == 403 and "ikke adgang" in body.decode()
    status, _, body = raw(server, "GET", "/rapport/kommuner/0147/rapport.html", cookie)
    assert status == 403 and b"indhold af" not in body and b"kommuner/0147/rapport.html</h1>" not in body
    status, _, body = raw(server, "GET", "/rapport/kommuner/0101/rapport.html", cookie)
    assert status == 200 and b"kommuner/0101/rapport.html</h1>" in body
    status, _, body = raw(
        server, "GET", "/api/v1/udgivelser/aktuel/kommuner/0147/dim_bygning.parquet", cookie
    )
    assert status == 403
    tokens.block(home, info.id)  # blocking the token ends its sessions at once
    assert raw(server, "GET", "/kommune/0101", cookie)[0] == 303
    assert raw(server, "GET", "/rapport/kommuner/0101/rapport.html", cookie)[0] == 303


# ---- the browser ----


def test_a_person_logs_in_drops_files_and_sees_the_danish_findings(site, browser):
    """Log in with a token, send one file with the file field and drop another onto the page: each shows its
    progress and then the validator's findings in Danish; the report link opens the municipality's report,
    and another municipality's report is refused. The session cookie is HttpOnly and SameSite=Strict, and
    the page asks nothing of any host but the service."""
    server, home, root, _ = site
    token, _ = tokens.create(home, "Browser", ["0101"], ["indberet", "laes"])
    base = f"http://127.0.0.1:{server.port}"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    elsewhere = []

    def only_here(route):
        if route.request.url.startswith(base + "/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_here)
    page = context.new_page()
    from axe_playwright_python.sync_playwright import Axe

    def serious():  # axe-core on the page as it stands: no serious or critical WCAG violation
        found = Axe().run(page).response["violations"]
        return [v["id"] for v in found if v.get("impact") in ("serious", "critical")]

    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(base + "/")
        assert serious() == []
        page.get_by_label("Token").fill(token)
        page.get_by_role("button", name="Log ind").click()
        page.wait_for_url(base + "/kommune/0101")
        cookie = next(c for c in context.cookies() if c["name"] == sessions.COOKIE)
        assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
        assert token not in cookie["value"]
        assert page.evaluate("document.cookie") == ""  # no script can read it
        # choose the year, then send with the file field
        page.get_by_label("Indberetningsår").select_option(str(AAR))
        page.get_by_role("button", name="Vis året").click()
        page.wait_for_url(f"{base}/kommune/0101?aar={AAR}")
        assert page.get_by_role("heading", name=f"Send filer for {AAR}").is_visible()
        good = home.tmp / "bygninger.csv"
        good.write_bytes(SAMPLE)
        page.get_by_label("Vælg filer").set_input_files(str(good))
        page.get_by_role("button", name="Send filerne").click()
        first = page.locator("#sendte > li").nth(0)
        first.locator("p.godkendt").wait_for()
        assert "Kontrolleret: ingen fejl." in first.inner_text()
        assert first.locator("progress").get_attribute("value") == "100"
        # drag and drop: a file with a wrong use code
        bad = SAMPLE.replace(b";421;", b";xyz;", 1).decode()
        data = page.evaluate_handle(
            "text => { const d = new DataTransfer(); d.items.add(new File([text], 'bygninger.csv')); return d; }",
            bad,
        )
        page.dispatch_event("#slip", "drop", {"dataTransfer": data})
        second = page.locator("#sendte > li").nth(1)
        second.locator("p.afvist").wait_for()
        row = second.locator("tbody tr", has_text="anvendelseskode")
        cells = row.locator("td").all_inner_texts()
        assert cells[:4] == ["bygninger.csv", "2", "anvendelseskode", "xyz"], cells
        assert cells[5] == "fejl" and re.search(r"[æøå]|anvendelseskode", cells[4]), cells
        assert (home.landing / "0101" / str(AAR) / "bygninger.csv").read_text() == bad
        assert serious() == []  # with the findings on the page
        # the municipality's report and feedback are linked and open; another's is refused
        page.get_by_role("link", name="Kommunens rapport").click()
        page.wait_for_url(base + "/rapport/kommuner/0101/rapport.html")
        assert page.locator("h1").inner_text() == "kommuner/0101/rapport.html"
        assert errors == []  # (the refused page below is logged as a failed load)
        answer = page.goto(base + "/rapport/kommuner/0147/rapport.html")
        assert answer.status == 403 and "ikke adgang til kommune 0147" in page.locator("main").inner_text()
        # log out: the session is gone
        page.goto(base + "/kommune/0101")
        page.get_by_role("button", name=re.compile("Log ud")).click()
        page.wait_for_url(base + "/log-ind")
        assert page.goto(base + "/kommune/0101").url == base + "/log-ind"
    finally:
        context.close()
    assert elsewhere == []


def sign_in(page, base: str, token: str) -> None:
    """Log in through the page as a person does; lands on the one municipality's page."""
    page.goto(base + "/log-ind")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(base + "/kommune/0101")


def test_a_person_without_javascript_sends_files_with_the_form_and_sees_the_findings(site, browser):
    """The same page with JavaScript turned off (a locked-down browser): the file field and the button send
    the files as a form, and the page comes back with what was received and the Danish findings."""
    server, home, _, _ = site
    token, _ = tokens.create(home, "Uden JavaScript", ["0101"], ["indberet", "laes"])
    base = f"http://127.0.0.1:{server.port}"
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, base, token)
        assert page.locator("noscript").count() == 1
        page.get_by_label("Indberetningsår").select_option(str(AAR))
        page.get_by_role("button", name="Vis året").click()
        page.wait_for_url(f"{base}/kommune/0101?aar={AAR}")
        bad = home.tmp / "nojs" / "bygninger.csv"
        bad.parent.mkdir(exist_ok=True)
        bad.write_bytes(SAMPLE.replace(b";421;", b";xyz;", 1))
        page.get_by_label("Vælg filer").set_input_files(str(bad))
        page.get_by_role("button", name="Send filerne").click()
        page.wait_for_url(f"{base}/kommune/0101/filer?aar={AAR}")
        sent = page.locator("#sendte > li").nth(0)
        assert "bygninger.csv" in sent.inner_text() and "Modtaget" in sent.inner_text()
        row = page.locator("#send-h ~ table tbody tr", has_text="anvendelseskode")
        cells = row.locator("td").all_inner_texts()
        assert cells[:4] == ["bygninger.csv", "2", "anvendelseskode", "xyz"], cells
        assert (home.landing / "0101" / str(AAR) / "bygninger.csv").read_bytes() == bad.read_bytes()
    finally:
        context.close()
    # the page the form brings back, checked by axe-core (which needs JavaScript): the same form posted by the
    # browser itself (form.submit() posts without the script's submit handler)
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context()
    page = context.new_page()
    try:
        sign_in(page, base, token)
        page.goto(f"{base}/kommune/0101?aar={AAR}")
        page.get_by_label("Vælg filer").set_input_files(str(bad))
        page.evaluate("document.getElementById('upload').submit()")
        page.wait_for_url(f"{base}/kommune/0101/filer?aar={AAR}")
        assert "anvendelseskode" in page.locator("#send-h ~ table").inner_text()
        found = Axe().run(page).response["violations"]
        assert [v["id"] for v in found if v.get("impact") in ("serious", "critical")] == []
    finally:
        context.close()
        (home.landing / "0101" / str(AAR) / "bygninger.csv").unlink(missing_ok=True)
