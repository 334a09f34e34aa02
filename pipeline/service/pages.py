"""The service's pages for people (Danish, the pages' Jinja2 environment and base layout, pipeline.pages):

  /log-ind                 paste a token -> a session cookie (pipeline.service.sessions); /log-ud ends it
  /kommune/<kode>?aar=     the municipality's page: choose a year, send files (a file field, and drag and drop
                           with progress per file: assets/upload.js PUTs each file to the API with the session
                           and its CSRF token and shows the findings as soon as they come), each dataset's state
                           (the status snapshot), links to its report and feedback
  /kommune/<kode>/filer    the same upload as a plain form (multipart, the session's CSRF token in a field) for a
                           browser without JavaScript: the page comes back with what was received and the findings
  /rapport/<sti>           the current release's report with access control (pipeline.service.release: the
                           national pages for every participant, kommuner/<kode>/ only for that municipality);
                           the paths are the release's own, so the pages' relative links work unchanged
  /sider/assets/<navn>     the pages' style sheets and script

Every POST form carries a CSRF token that is checked on the server; every answer forbids framing and, on the
service's own pages, any script or style but the service's own files (Content-Security-Policy)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from pipeline.contract.datasets import DATASETS
from pipeline.folders import Years
from pipeline.pages import render
from pipeline.report import ASSETS as REPORT_ASSETS
from pipeline.service import release, sessions
from pipeline.service.tokens import AuthError, Caller
from pipeline.settings import Home
from pipeline.states import DatasetState
from pipeline.text import canonical_kommunekode

HERE = Path(__file__).parent / "assets"
ASSET_FILES = {
    "report.css": REPORT_ASSETS / "report.css",
    "tjeneste.css": HERE / "tjeneste.css",
    "upload.js": HERE / "upload.js",
}
MAX_FORM = 8192
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def add_pages(
    app: FastAPI,
    home: Home,
    *,
    https: bool,
    authenticate,
    caller,
    need_right,
    serve,
    receive_form,
    rate_limit,
) -> None:
    """The pages, on the API's app. `caller(request)` is the API's (bearer token or session), `need_right` its
    right check, `serve(request, caller, sti)` its release-file answer, `receive_form(request, caller, kode, aar,
    csrf)` its upload for a form and `rate_limit(caller)` its limit: one definition of each."""
    from pipeline.service.app import FORM_FILES, ApiError, submission_status

    cookie = sessions.cookie_name(sessions.COOKIE, https)
    login_cookie = sessions.cookie_name(sessions.LOGIN_COOKIE, https)

    def set_cookie(response: Response, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(
            name, value, max_age=max_age, path="/", secure=https, httponly=True, samesite="strict"
        )

    def page(template: str, status: int = 200, **context) -> HTMLResponse:
        context.setdefault("who", None)
        context.setdefault("csrf", None)
        html = render(template, root="/rapport/", assets="/sider/assets/", release_id="", **context)
        return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)

    def error_page(
        request: Request, status: int, kode: str, besked: str, found=None, headers: dict | None = None
    ) -> HTMLResponse:
        request.state.fejlkode = kode
        who, csrf = found or (None, None)
        response = page("service_fejl.html", status, besked=besked, who=who, csrf=csrf)
        response.headers.update(headers or {})
        return response

    def session(request: Request) -> tuple[Caller, str] | None:
        found = sessions.lookup(home, request.cookies.get(cookie))
        if found:
            request.state.caller = found[0]
        return found

    def to_login() -> RedirectResponse:
        return RedirectResponse("/log-ind", status_code=303)

    async def form(request: Request) -> dict[str, str] | None:
        """A urlencoded form of at most MAX_FORM bytes as {field: first value}, or None."""
        if (
            request.headers.get("content-type", "").split(";")[0].strip()
            != "application/x-www-form-urlencoded"
        ):
            return None
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM:
                return None
        try:
            fields = parse_qs(body.decode("utf-8"), max_num_fields=10, strict_parsing=False)
        except (UnicodeDecodeError, ValueError):
            return None
        return {k: v[0] for k, v in fields.items() if v}

    @app.get("/", include_in_schema=False)
    def front(request: Request):
        return RedirectResponse("/kommune" if session(request) else "/log-ind", status_code=303)

    @app.get("/log-ind", include_in_schema=False)
    def login_page(request: Request):
        if session(request):
            return RedirectResponse("/kommune", status_code=303)
        return login_form()

    def login_form(status: int = 200, besked: str | None = None) -> HTMLResponse:
        nonce = sessions.new_csrf()
        response = page("service_login.html", status, besked=besked, login_csrf=nonce)
        set_cookie(response, login_cookie, nonce, 3600)
        return response

    @app.post("/log-ind", include_in_schema=False)
    async def login(request: Request):
        fields = await form(request)
        if fields is None or not sessions.same(
            fields.get(sessions.CSRF_FIELD), request.cookies.get(login_cookie)
        ):
            request.state.fejlkode = "CSRF_MANGLER"
            return login_form(403, "Formularen var udløbet eller ufuldstændig; prøv igen.")
        try:
            who = authenticate(home, "Bearer " + fields.get("token", "").strip())
        except AuthError as e:
            request.state.fejlkode = e.kode
            return login_form(401, e.besked)
        request.state.caller = who
        response = RedirectResponse("/kommune", status_code=303)
        set_cookie(response, cookie, sessions.start(home, who), sessions.SESSION_HOURS * 3600)
        response.delete_cookie(login_cookie, path="/", secure=https, httponly=True, samesite="strict")
        return response

    @app.post("/log-ud", include_in_schema=False)
    async def logout(request: Request):
        found = session(request)
        fields = await form(request)
        if found is None:
            return to_login()
        if fields is None or not sessions.same(fields.get(sessions.CSRF_FIELD), found[1]):
            return error_page(
                request,
                403,
                "CSRF_MANGLER",
                "Formularen manglede sit sikkerhedstegn; du er ikke logget ud.",
                found,
            )
        sessions.end(home, request.cookies.get(cookie))
        response = to_login()
        response.delete_cookie(cookie, path="/", secure=https, httponly=True, samesite="strict")
        return response

    @app.get("/kommune", include_in_schema=False)
    def municipalities(request: Request):
        found = session(request)
        if found is None:
            return to_login()
        who, csrf = found
        if len(who.kommuner) == 1:
            return RedirectResponse(f"/kommune/{next(iter(who.kommuner))}", status_code=303)
        return page("service_kommuner.html", who=who, csrf=csrf, kommuner=sorted(who.kommuner))

    @app.post("/kommune/{kode}/filer", include_in_schema=False)
    async def send_files(kode: str, request: Request, aar: str = ""):
        """The upload form without JavaScript (with it, assets/upload.js PUTs each file to the API instead): the
        page again, with what was received and the findings."""
        found = session(request)
        if found is None:
            return to_login()
        who, csrf = found
        try:
            rate_limit(who)
            sent = await receive_form(request, who, kode, aar, csrf)
        except ApiError as e:
            return error_page(request, e.status, e.kode, e.besked, found, e.headers)
        return municipality_page(request, found, request.state.kommunekode, str(request.state.aar), sent)

    @app.get("/kommune/{kode}", include_in_schema=False)
    def municipality(kode: str, request: Request, aar: str | None = None):
        found = session(request)
        if found is None:
            return to_login()
        return municipality_page(request, found, kode, aar)

    def municipality_page(
        request: Request, found: tuple, kode: str, aar: str | None, sent: dict | None = None
    ):
        who, csrf = found
        k = canonical_kommunekode(kode) if len(kode) <= 8 else None
        if k is None or k not in who.kommuner:
            return error_page(
                request, 403, "INGEN_ADGANG_TIL_KOMMUNE", "Du har ikke adgang til den kommunes side.", found
            )
        request.state.kommunekode = k
        years = sorted(Years.for_home(home).allowed, reverse=True)
        y = int(aar) if aar and aar.isdigit() and int(aar) in years else years[0]
        request.state.aar = y
        state = None
        if "laes" in who.rettigheder:
            try:
                state = submission_status(home, k, y)
            except ApiError as e:
                return error_page(request, e.status, e.kode, e.besked, found)
            latest = state["versioner"][-1] if state["versioner"] else None
            for d in latest["datasaet"] if latest else []:
                d["navn"] = getattr(DATASETS.get(d["dataset"]), "label", d["dataset"])
                d["tilstand_tekst"] = DatasetState(d["tilstand"]).label if d["tilstand"] else ""
            state["seneste"] = latest
            # the versions whose findings the snapshot carries (the newest and the active one), newest first
            state["med_fund"] = [v for v in reversed(state["versioner"]) if v["fund"] is not None]
            for v in state["med_fund"]:
                for f in v["fund"]:
                    f["navn"] = getattr(DATASETS.get(f["dataset"]), "label", f["dataset"] or "")
        links = []
        if "laes" in who.rettigheder:
            for sti, text in (
                (f"kommuner/{k}/rapport.html", "Kommunens rapport"),
                (f"kommuner/{k}/tilbagemelding_{y}.html", f"Tilbagemelding på indberetningen for {y}"),
                (f"kommuner/{k}/afviste_raekker_{y}.xlsx", f"Afviste rækker for {y} (regneark)"),
                ("report/index.html", "Landsoverblik"),
            ):
                try:
                    release.release_file(home, sti, who.kommuner)
                    links.append({"href": "/rapport/" + sti, "tekst": text})
                except release.Refusal:
                    pass
        return page(
            "service_kommune.html",
            who=who,
            csrf=csrf,
            kommunekode=k,
            aar=y,
            years=years,
            upload="indberet" in who.rettigheder,
            sent=sent,
            form_files=FORM_FILES,
            state=state,
            links=links,
        )

    @app.get("/rapport", include_in_schema=False)
    def report_root():
        return RedirectResponse("/rapport/report/index.html", status_code=303)

    @app.get("/rapport/{sti:path}", include_in_schema=False)
    def report(sti: str, request: Request):
        if not sti:
            return report_root()
        found = session(request) if request.headers.get("authorization") is None else None
        try:
            who = caller(request)
            need_right(who, "laes")
            return serve(request, who, sti)
        except ApiError as e:
            if e.status == 401:
                return to_login()
            return error_page(request, e.status, e.kode, e.besked, found)

    @app.get("/sider/assets/{navn}", include_in_schema=False)
    def asset(navn: str):
        path = ASSET_FILES.get(navn)
        if path is None:
            raise ApiError(404, "FINDES_IKKE", "Filen findes ikke.")
        media = "text/css; charset=utf-8" if navn.endswith(".css") else "text/javascript; charset=utf-8"
        return FileResponse(path, media_type=media, headers={"X-Content-Type-Options": "nosniff"})
