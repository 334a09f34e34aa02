"""The submission service's HTTP API v1 (FastAPI). Danish field names; every error is Danish JSON with a
stable code: `{"fejl": {"kode": "…", "besked": "…"}}`.

What it writes: only `<home>/landing/<kommunekode>/<aar>/` (an upload is streamed into a dot-named temporary
file in that folder, which the landing walker ignores, fsynced and renamed into place, so a file in landing/
is always whole) and its own `<home>/service/` (tokens, audit). What it reads: the landing folder, the status
snapshot (`<home>/status/`, pipeline.status) and the current release — never the live warehouse.

Who may do what: `authenticate` (pipeline.service.tokens, the OIDC seam) names the caller; a caller may act
only on its own municipalities (403 otherwise, before anything about the submission is looked at), and only
with the right the endpoint needs (`indberet` to change or validate, `laes` to read)."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
import unicodedata
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import FastAPI, Query, Request
from fastapi import Path as InPath
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from pipeline.folders import Years, is_hidden, list_entries, walk
from pipeline.ingest import READY_MARKER
from pipeline.limits import _env_int, limits
from pipeline.service import audit, release, sessions, tokens
from pipeline.service.tokens import AuthError, Caller
from pipeline.settings import Home
from pipeline.text import KOMMUNEKODE_PATTERN, canonical_kommunekode
from pipeline.validation import SUPPORTED_SUFFIXES
from pipeline.validation.light import validate_light

API = "/api/v1"
UPLOAD_PREFIX = ".kkm2-upload-"  # a dot name: the landing walker (pipeline.folders.walk) never reads it
MAX_NAME = 120
NAME = re.compile(r"[0-9A-Za-zÆØÅæøåÉéÜüÖöÄä][0-9A-Za-zÆØÅæøåÉéÜüÖöÄä _.()+-]*")
MAX_FINDINGS = 1000  # in one answer; the rest are counted
FORM_FILES = 10  # files in one upload form (the page without JavaScript)
MAX_FORM_OVERHEAD = 64 * 1024  # the form's fields and part headers
VALIDATIONS_AT_ONCE = 2  # gate-1 runs in parallel (each a DuckDB sandbox with its own memory limit)


AAR_PATTERN = "[0-9]{4}"
UPLOAD_PAUSE_SECONDS = 30  # the default of KKM2_API_UPLOAD_PAUSE_SEKUNDER


def calls_per_minute() -> int:
    return int(os.environ.get("KKM2_API_KALD_PR_MINUT") or 600)


def upload_pause_seconds() -> int:
    """The longest an upload may stand still (no byte of its body arriving) before it is given up with 408: a
    client that sends part of a body and stalls must not hold a connection and a temporary file forever."""
    return _env_int("KKM2_API_UPLOAD_PAUSE_SEKUNDER", UPLOAD_PAUSE_SECONDS)


class ApiError(Exception):
    def __init__(self, status: int, kode: str, besked: str, headers: dict | None = None):
        super().__init__(besked)
        self.status, self.kode, self.besked, self.headers = status, kode, besked, headers


# ---- the answers' shapes (for the OpenAPI document) ----


class FejlIndhold(BaseModel):
    kode: str
    besked: str


class Fejl(BaseModel):
    fejl: FejlIndhold


class Fund(BaseModel):
    dataset: str | None
    fil: str | None
    ark: str | None
    raekke: int | None
    kolonne: str | None
    vaerdi: str | None
    regel: str
    besked: str
    alvorlighed: str
    antal: int | None


class DatasaetTal(BaseModel):
    filer: list[str]
    raekker_modtaget: int
    raekker_accepteret: int
    raekker_afvist: int
    raekker_sprunget_over: int
    advarsler: int


class Validering(BaseModel):
    kommunekode: str
    aar: int
    fil: str
    bytes: int
    godkendt: bool  # no finding of severity `fejl`
    datasaet: dict[str, DatasaetTal]
    fund: list[Fund]
    fund_i_alt: int


class Klar(BaseModel):
    kommunekode: str
    aar: int
    klar: bool
    filer: list[str]


class LandingFil(BaseModel):
    fil: str
    bytes: int


class DatasaetTilstand(BaseModel):
    dataset: str
    tilstand: str
    raekker_modtaget: int | None
    raekker_accepteret: int | None
    raekker_afvist: int | None
    raekker_sprunget_over: int | None
    advarsler: int | None


class FundOptalt(BaseModel):
    """A version's findings of one rule and severity, all of them, and how many the answer leaves out."""

    regel: str
    alvorlighed: str
    fund: int  # findings
    antal: int  # what they count (a finding may stand for several rows)
    udeladt: int  # findings not in `fund` of the version (it has the first ones by row)


class GateResultat(BaseModel):
    """A check of gate 2 or 3 in the newest gate run that checked the municipality-year (audit.gate_results),
    and the version it checked: the one active in that build (null for a run from before kkm2 recorded it)."""

    version: int | None
    gate: str
    kontrol: str
    status: str  # ok | advarsel | fejl
    evalueret: int
    antal: int
    besked: str
    eksempler: list[str]
    koersel: str
    tid: str


class Version(BaseModel):
    version: int
    modtaget: str
    status: str
    aktiv: bool
    fastlaast: bool
    datasaet: list[DatasaetTilstand]
    # the newest and the active version carry their findings (at most pipeline.status.FINDINGS_PER_RULE per
    # rule and severity, the rest counted in fund_optalt and udeladt); the others have null
    fund: list[Fund] | None
    fund_optalt: list[FundOptalt] | None
    udeladt: int | None


class UdgivelseFil(BaseModel):
    sti: str
    bytes: int


class UdgivelseFiler(BaseModel):
    release_id: str
    filer: list[UdgivelseFil]


class Indberetning(BaseModel):
    kommunekode: str
    aar: int
    klar: bool
    filer_i_landing: list[LandingFil]
    versioner: list[Version]
    gate_resultater: list[GateResultat]


ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": Fejl, "description": d}
    for s, d in (
        (401, "intet, et ukendt, et spærret eller et udløbet token"),
        (403, "ikke callerens kommune, eller tokenet mangler rettigheden"),
        (422, "ugyldig kommunekode, år eller filnavn"),
        (429, "for mange kald med tokenet"),
    )
}
UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    408: {"model": Fejl, "description": "uploaden stod stille for længe (KKM2_API_UPLOAD_PAUSE_SEKUNDER)"},
    413: {"model": Fejl, "description": "filen er for stor"},
}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "filens bytes, uændret (CSV, XLSX, JSON eller Parquet)",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _parameter(
    where, description: str, example: str, pattern: str | None = None, max_length: int | None = None
):
    """A path or query parameter as the OpenAPI document shows it. The document only describes: the server
    checks every name itself (parse_*), so a name that breaks the pattern gets kkm2's own 422 with its code."""
    extra = {k: v for k, v in (("pattern", pattern and f"^{pattern}$"), ("maxLength", max_length)) if v}
    return Annotated[str, where(description=description, examples=[example], json_schema_extra=extra or None)]


def _parameters(where):
    return (
        _parameter(
            where, "Kommunekoden, 4 cifre (3 cifre læses med foranstillet 0)", "0101", KOMMUNEKODE_PATTERN
        ),
        _parameter(where, "Indberetningsåret", "2024", AAR_PATTERN),
        _parameter(where, "Filens navn (uden mappe)", "bygninger.csv", max_length=MAX_NAME),
    )


Kommunekode, Aar, Filnavn = _parameters(InPath)
Sti = _parameter(
    InPath, "Filens sti i udgivelsen", "exports/dim_kommune.parquet", max_length=release.MAX_PATH
)
KommunekodeQ, AarQ, FilnavnQ = _parameters(Query)


def error_response(status: int, kode: str, besked: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"fejl": {"kode": kode, "besked": besked}}, status_code=status, headers=headers)


# ---- names: every name is hostile until parsed ----


def parse_kommunekode(text: str) -> str:
    k = canonical_kommunekode(text) if len(text) <= 8 else None
    if k is None:
        raise ApiError(422, "UGYLDIG_KOMMUNEKODE", "Kommunekoden skal være 3-4 cifre, fx 0101.")
    return k


def parse_aar(text: str) -> int:
    if not re.fullmatch(AAR_PATTERN, text):
        raise ApiError(422, "UGYLDIGT_AAR", "Året skal være fire cifre, fx 2024.")
    return int(text)


def parse_filnavn(text: str) -> str:
    """A plain file name of a supported type: no folder, no `..`, no dot file, no control character."""
    why = None
    if not text or len(text) > MAX_NAME or len(text.encode("utf-8", "surrogatepass")) > 255:
        why = f"Filnavnet skal have 1-{MAX_NAME} tegn."
    elif "/" in text or "\\" in text:
        why = "Filnavnet må ikke indeholde / eller \\: send en fil ad gangen under sit eget navn."
    elif is_hidden(text) or ".." in text:
        why = "Filnavnet må ikke begynde med . eller ~$ og ikke indeholde '..'."
    elif unicodedata.normalize("NFC", text) != text or not NAME.fullmatch(text):
        why = "Filnavnet må kun indeholde bogstaver, cifre, mellemrum og . _ - ( ) +."
    elif Path(text).suffix.lower() not in SUPPORTED_SUFFIXES:
        why = f"Filtypen skal være en af {', '.join(sorted(SUPPORTED_SUFFIXES))}."
    if why:
        raise ApiError(422, "UGYLDIGT_FILNAVN", why)
    return text


def submission_folder(home: Home, k: str, aar: int, create: bool) -> Path:
    """landing/<kommunekode>/<aar>/: an existing folder spelled `101/` is the same municipality as `0101/`
    (pipeline.ingest.discover); a folder that is a symbolic link is refused."""
    kfolder = home.landing / k
    for e in list_entries(home.landing):
        if not is_hidden(e.name) and canonical_kommunekode(e.name) == k:
            kfolder = Path(e.path)
            break
    folder = kfolder / str(aar)
    for p in (home.landing, kfolder, folder):
        if p.is_symlink() or (p.exists() and not p.is_dir()):
            raise ApiError(
                409, "MAPPE_UGYLDIG", "Indberetningens mappe er ikke en almindelig mappe; kontakt stewarden."
            )
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def csrf_refused() -> ApiError:
    return ApiError(403, "CSRF_MANGLER", "Formularen manglede sit sikkerhedstegn; intet er gemt.")


FORM_FIELDS = 4  # the form's own field (csrf) and what a browser may add


class FormFiles:
    """python-multipart's callbacks for the upload form: fields are kept as text (at most FORM_FIELDS, together
    at most MAX_FORM_OVERHEAD bytes), each file of the field `filer` is written as it arrives (see receive_form).
    A file part before a valid CSRF field ends the form with 403 before anything is written."""

    def __init__(self, csrf: str, file_limit: int, too_large: str, make_folder):
        self.csrf, self.file_limit, self.too_large, self.make_folder = (
            csrf,
            file_limit,
            too_large,
            make_folder,
        )
        self.csrf_ok = False
        self.folder: Path | None = None
        self.sent: list[dict] = []
        self.fields = self.field_bytes = 0
        self.header = [b"", b""]
        self.headers: dict[bytes, bytes] = {}
        self.part: dict = {"kind": "skip"}

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self.begin,
            "on_header_field": lambda d, a, b: self._grow(0, d[a:b]),
            "on_header_value": lambda d, a, b: self._grow(1, d[a:b]),
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.data,
            "on_part_end": self.end,
        }

    def _grow(self, i: int, data: bytes) -> None:
        self.header[i] += data
        if len(self.header[i]) > MAX_FORM_OVERHEAD:
            raise ApiError(400, "FORMULAR_UGYLDIG", "Formularen kunne ikke læses (for lange overskrifter).")

    def begin(self) -> None:
        self.headers, self.part = {}, {"kind": "skip"}

    def header_end(self) -> None:
        self.headers[self.header[0].lower()] = self.header[1]
        self.header = [b"", b""]

    def headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        field = options.get(b"name", b"")
        if b"filename" not in options:
            self.fields += 1
            if self.fields > FORM_FIELDS:
                raise ApiError(400, "FORMULAR_UGYLDIG", "Formularen har for mange felter.")
            self.part = {"kind": "field", "name": field, "data": bytearray()}
            return
        if not self.csrf_ok:
            raise csrf_refused()
        raw = options[b"filename"]
        if field != b"filer" or not raw:  # another field, or the file field left empty
            return
        if len(self.sent) >= FORM_FILES:
            raise ApiError(413, "FORMULAR_FOR_STOR", f"Send højst {FORM_FILES} filer ad gangen.")
        shown = raw.decode("utf-8", "replace")[:MAX_NAME]
        try:
            name = parse_filnavn(raw.decode("utf-8"))
            if any(x["fil"] == name for x in self.sent):
                raise ApiError(
                    422, "UGYLDIGT_FILNAVN", "En fil med samme navn er allerede sendt i formularen."
                )
        except UnicodeDecodeError:
            self.sent.append({"fil": shown, "bytes": None, "fejl": "Filnavnet er ikke UTF-8."})
            return
        except ApiError as e:
            self.sent.append({"fil": shown, "bytes": None, "fejl": e.besked})
            return
        if self.folder is None:
            self.folder = self.make_folder()
        tmp, f = open_upload(self.folder)
        self.part = {"kind": "file", "name": name, "tmp": tmp, "file": f, "size": 0}

    def data(self, data: bytes, start: int, end: int) -> None:
        p = self.part
        if p["kind"] == "field":
            self.field_bytes += end - start
            if self.field_bytes > MAX_FORM_OVERHEAD:
                raise ApiError(400, "FORMULAR_UGYLDIG", "Formularens felter er for lange.")
            p["data"] += data[start:end]
        elif p["kind"] == "file":
            p["size"] += end - start
            if p["size"] > self.file_limit:
                self.drop_open_file()
                self.sent.append({"fil": p["name"], "bytes": None, "fejl": self.too_large})
                return
            p["file"].write(data[start:end])

    def end(self) -> None:
        p = self.part
        if p["kind"] == "field" and p["name"] == sessions.CSRF_FIELD.encode():
            self.csrf_ok = sessions.same(p["data"].decode("utf-8", "replace"), self.csrf)
            if not self.csrf_ok:
                raise csrf_refused()
        elif p["kind"] == "file":
            commit_upload(p["file"], p["tmp"], self.folder / p["name"])
            self.sent.append({"fil": p["name"], "bytes": p["size"], "fejl": None})
        self.part = {"kind": "skip"}

    def drop_open_file(self) -> None:
        """A file part cut off (the form broke or stalled, or the file went over the limit): nothing of it
        stays."""
        p = self.part
        if p.get("kind") == "file":
            p["file"].close()
            p["tmp"].unlink(missing_ok=True)
        self.part = {"kind": "skip"}


def open_upload(folder: Path):
    """A new dot-named temporary file in `folder` (the landing walker never reads it): (its path, the file)."""
    tmp = folder / f"{UPLOAD_PREFIX}{secrets.token_hex(8)}.part"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o640)
    return tmp, os.fdopen(fd, "wb")


def commit_upload(f, tmp: Path, target: Path) -> None:
    """The whole file in place, atomically: fsync, close, rename over `target`, fsync the folder."""
    f.flush()
    os.fsync(f.fileno())
    f.close()
    os.replace(tmp, target)
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_uploads(home: Home) -> int:
    """Temporary files left by a server that was killed mid-upload (at start, when none can be in use)."""
    n = 0
    for kdir in list_entries(home.landing):
        if kdir.is_symlink() or not kdir.is_dir(follow_symlinks=False):
            continue
        for ydir in list_entries(Path(kdir.path)):
            if ydir.is_symlink() or not ydir.is_dir(follow_symlinks=False):
                continue
            for f in list_entries(Path(ydir.path)):
                if f.name.startswith(UPLOAD_PREFIX) and f.is_file(follow_symlinks=False):
                    os.unlink(f.path)
                    n += 1
    return n


# ---- the app ----


def create_app(home: Home, authenticate=tokens.authenticate, https: bool = False) -> FastAPI:
    """The API and the pages for `home`. `authenticate(home, authorization_header) -> Caller` (raising
    AuthError) is the one identity check: replace it for OIDC. `https`: the service is reached over https
    (behind a reverse proxy with TLS), so its cookies are Secure. Building the app touches nothing on disk."""
    app = FastAPI(
        title="kkm2 indberetnings-API",
        version="1",
        description=(
            "Indberetning af kommunernes bygningsdata til Nøgletalssamarbejdet. Kald med headeren "
            "`Authorization: Bearer <token>`; stewarden udsteder tokens med `kkm2 token opret`. Et token gælder "
            "kun sine egne kommuner."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{API}/openapi.json",
    )
    validations = anyio.CapacityLimiter(VALIDATIONS_AT_ONCE)
    session_cookie = sessions.cookie_name(sessions.COOKIE, https)
    recent: dict[str, deque] = defaultdict(deque)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        request.state.fejlkode = exc.kode
        return error_response(exc.status, exc.kode, exc.besked, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError):
        request.state.fejlkode = "UGYLDIG_FORESPOERGSEL"
        fields = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors())[:300]
        return error_response(
            422, "UGYLDIG_FORESPOERGSEL", f"Forespørgslen er ikke gyldig ({fields or 'ukendt felt'})."
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        kode, besked = {
            404: ("FINDES_IKKE", "Adressen findes ikke i API'et (se /api/v1/openapi.json)."),
            405: ("METODE_IKKE_TILLADT", "Metoden er ikke tilladt på denne adresse."),
        }.get(exc.status_code, ("HTTP_FEJL", "Forespørgslen kunne ikke behandles."))
        request.state.fejlkode = kode
        return error_response(exc.status_code, kode, besked)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):
        return error_response(
            500,
            "INTERN_FEJL",
            "Der skete en intern fejl i tjenesten; det er ikke noget, du har gjort forkert.",
        )

    def caller(request: Request) -> Caller:
        """The request's caller: its bearer token, or else the page session's cookie (with the session's
        CSRF token in the header X-CSRF-Token for anything but a read)."""
        if request.headers.get("authorization") is None and request.cookies.get(session_cookie):
            found = sessions.lookup(home, request.cookies.get(session_cookie))
            if found is None:
                raise ApiError(401, "SESSION_UDLOEBET", "Sessionen er udløbet eller logget ud; log ind igen.")
            who, csrf = found
            request.state.caller = who
            if request.method not in ("GET", "HEAD") and not sessions.same(
                request.headers.get(sessions.CSRF_HEADER), csrf
            ):
                raise ApiError(
                    403,
                    "CSRF_MANGLER",
                    "Forespørgslen mangler sessionens CSRF-token (headeren X-CSRF-Token).",
                )
        else:
            try:
                who = authenticate(home, request.headers.get("authorization"))
            except AuthError as e:
                raise ApiError(401, e.kode, e.besked, {"WWW-Authenticate": "Bearer"}) from None
            request.state.caller = who
        rate_limit(who)
        return who

    def rate_limit(who: Caller) -> None:
        window = recent[who.id]
        now = time.monotonic()
        while window and now - window[0] > 60:
            window.popleft()
        if len(window) >= calls_per_minute():
            wait = int(60 - (now - window[0])) + 1
            raise ApiError(
                429,
                "FOR_MANGE_KALD",
                f"For mange kald med tokenet (højst {calls_per_minute()} i minuttet); prøv igen om {wait} s.",
                {"Retry-After": str(wait)},
            )
        window.append(now)

    def access(request: Request, who: Caller, kommunekode: str, aar: str, right: str) -> tuple[str, int]:
        k = parse_kommunekode(kommunekode)
        request.state.kommunekode = k
        if k not in who.kommuner:
            raise ApiError(403, "INGEN_ADGANG_TIL_KOMMUNE", f"Tokenet giver ikke adgang til kommune {k}.")
        if right not in who.rettigheder:
            raise ApiError(
                403, "MANGLER_RETTIGHED", f"Tokenet har ikke rettigheden '{right}' ({tokens.RIGHTS[right]})."
            )
        y = parse_aar(aar)
        request.state.aar = y
        return k, y

    def check_year(y: int) -> Years:
        years = Years.for_home(home)
        if problem := years.problem(y):
            raise ApiError(422, "UGYLDIGT_AAR", problem)
        return years

    def file_target(
        request: Request, kommunekode: str, aar: str, filnavn: str
    ) -> tuple[str, int, Years, str]:
        """An upload's or a validation's caller, municipality, year and file name, each checked."""
        k, y = access(request, caller(request), kommunekode, aar, "indberet")
        return k, y, check_year(y), parse_filnavn(filnavn)

    def stalled() -> ApiError:
        pause = upload_pause_seconds()
        return ApiError(
            408,
            "UPLOAD_STOD_STILLE",
            f"Uploaden stod stille i mere end {pause} s (KKM2_API_UPLOAD_PAUSE_SEKUNDER); intet er gemt. "
            "Send filen igen.",
            {"Connection": "close"},
        )

    def too_large() -> ApiError:
        return ApiError(
            413, "FIL_FOR_STOR", f"Filen er større end grænsen på {limits().file_mb} MB (KKM2_MAKS_FIL_MB)."
        )

    async def paced(request: Request) -> AsyncIterator[bytes]:
        """The request's body chunk by chunk; 408 when it stands still for longer than upload_pause_seconds(),
        so a client that sends part of a body and stalls holds no connection or temporary file for ever."""
        pause = upload_pause_seconds()
        chunks = request.stream().__aiter__()
        while True:
            try:
                with anyio.fail_after(pause):
                    chunk = await chunks.__anext__()
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise stalled() from None
            yield chunk

    async def write_atomically(folder: Path, name: str, chunks: AsyncIterator[bytes]) -> int:
        """`chunks` into `folder/name`, atomically: a dot-named temporary file beside it, fsync, rename. Too large
        (413), cut off (400) or stalled (408): the temporary file is removed and nothing else changed."""
        limit = limits().file_bytes
        tmp, f = open_upload(folder)
        size = 0
        try:
            with f:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise too_large()
                    f.write(chunk)
                commit_upload(f, tmp, folder / name)
        except ClientDisconnect:
            tmp.unlink(missing_ok=True)
            raise ApiError(400, "UPLOAD_AFBRUDT", "Uploaden blev afbrudt; intet er gemt.") from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return size

    async def receive_file(request: Request, folder: Path, name: str) -> int:
        """The request's body (the file's bytes, unchanged) into `folder/name`, atomically."""
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limits().file_bytes:
            raise too_large()
        return await write_atomically(folder, name, paced(request))

    async def receive_form(request: Request, who: Caller, kommunekode: str, aar: str, csrf: str) -> dict:
        """The municipality page's upload form without JavaScript (multipart/form-data: the session's CSRF token
        in the field `csrf`, before the files in `filer`, as the page sends them). The body is parsed as it
        streams: the CSRF token is checked before any file's first byte is taken, and each file goes straight
        into a dot-named temporary file in the submission's folder, counted against the file limit, and is
        renamed into place when its part ends (atomically, as an upload is); a file with a bad name or over the
        limit is refused and its bytes dropped. Then the submission is validated once.
        {"filer": [{"fil", "bytes", "fejl"}], "svar": the upload's answer, or None}."""
        k, y = access(request, who, kommunekode, aar, "indberet")
        years = check_year(y)
        declared = request.headers.get("content-length", "")
        if not declared.isdigit():
            raise ApiError(411, "LAENGDE_MANGLER", "Formularen skal sendes med sin længde (Content-Length).")
        if int(declared) > FORM_FILES * limits().file_bytes + MAX_FORM_OVERHEAD:
            raise ApiError(
                413,
                "FORMULAR_FOR_STOR",
                f"Send højst {FORM_FILES} filer ad gangen, hver på højst {limits().file_mb} MB.",
            )
        kind, params = parse_options_header(request.headers.get("content-type", ""))
        if kind.lower() != b"multipart/form-data" or not params.get(b"boundary"):
            raise ApiError(415, "FORKERT_FORMULAR", "Formularen skal sendes som multipart/form-data.")
        form = FormFiles(
            csrf, limits().file_bytes, too_large().besked, lambda: submission_folder(home, k, y, True)
        )
        parser = MultipartParser(params[b"boundary"], form.callbacks())
        try:
            async for chunk in paced(request):
                parser.write(chunk)
            parser.finalize()
        except ClientDisconnect:
            raise ApiError(
                400,
                "UPLOAD_AFBRUDT",
                "Uploaden blev afbrudt; filen, der var ved at blive sendt, er ikke gemt.",
            ) from None
        except FormParserError:
            raise ApiError(
                400, "FORMULAR_UGYLDIG", "Formularen kunne ikke læses (ugyldig multipart)."
            ) from None
        finally:
            form.drop_open_file()
        if not form.csrf_ok:
            raise csrf_refused()
        if not form.sent:
            raise ApiError(422, "INGEN_FILER", "Vælg mindst én fil.")
        svar = None
        if form.folder is not None and any(x["fejl"] is None for x in form.sent):
            folder = form.folder
            counts, findings = await validate(folder, k, y, years, (folder.parent.name, folder.name))
            received = ", ".join(x["fil"] for x in form.sent if x["fejl"] is None)
            svar = answer(k, y, received, None, counts, findings)
        return {"filer": form.sent, "svar": svar}

    async def validate(
        folder_or_file: Path, k: str, y: int, years: Years, landing_parts: tuple | None
    ) -> tuple:
        def run():
            if landing_parts is not None:
                files, ignored, _ = walk(folder_or_file, home.landing, landing_parts)
            else:
                from pipeline.validation import SubmissionFile

                files, ignored = [SubmissionFile(folder_or_file, folder_or_file.name)], []
            return validate_light(files, ignored, k, y, years.problem(y), home.tmp / "service")

        return await anyio.to_thread.run_sync(run, limiter=validations)

    def answer(k, y, name, size, counts, findings) -> dict:
        return {
            "kommunekode": k,
            "aar": y,
            "fil": name,
            "bytes": size,
            "godkendt": not any(f["alvorlighed"] == "fejl" for f in findings),
            "datasaet": counts,
            "fund": findings[:MAX_FINDINGS],
            "fund_i_alt": len(findings),
        }

    base = f"{API}/indberetninger/{{kommunekode}}/{{aar}}"

    @app.get(f"{API}/sundhed", summary="Svarer tjenesten?", tags=["drift"])
    def sundhed() -> dict:
        return {"status": "ok"}

    @app.put(
        f"{base}/filer/{{filnavn:path}}",
        summary="Upload en fil til indberetningen; svaret er gate 1's fund for hele indberetningen",
        response_model=Validering,
        responses={**ERRORS, **UPLOAD_ERRORS},
        openapi_extra=UPLOAD_BODY,
        tags=["indberetning"],
    )
    async def upload(kommunekode: Kommunekode, aar: Aar, filnavn: Filnavn, request: Request):
        k, y, years, name = file_target(request, kommunekode, aar, filnavn)
        folder = submission_folder(home, k, y, create=True)
        size = await receive_file(request, folder, name)
        counts, findings = await validate(folder, k, y, years, (folder.parent.name, folder.name))
        return answer(k, y, name, size, counts, findings)

    @app.delete(
        f"{base}/filer/{{filnavn:path}}",
        summary="Slet en fil fra indberetningen (næste version er uden den)",
        status_code=204,
        responses={**ERRORS, 404: {"model": Fejl, "description": "filen findes ikke"}},
        tags=["indberetning"],
    )
    def delete(kommunekode: Kommunekode, aar: Aar, filnavn: Filnavn, request: Request):
        who = caller(request)
        k, y = access(request, who, kommunekode, aar, "indberet")
        name = parse_filnavn(filnavn)
        folder = submission_folder(home, k, y, create=False)
        target = folder / name
        if target.is_symlink() or not target.is_file():
            raise ApiError(404, "FIL_FINDES_IKKE", f"Indberetningen {k}/{y} har ingen fil '{name}'.")
        target.unlink()
        _fsync_dir(folder)
        return Response(status_code=204)

    @app.post(
        f"{base}/klar",
        summary="Meld indberetningen klar: mappen er komplet, som den er (markøren .klar)",
        response_model=Klar,
        responses={**ERRORS, 404: {"model": Fejl, "description": "indberetningen har ingen filer"}},
        tags=["indberetning"],
    )
    def klar(kommunekode: Kommunekode, aar: Aar, request: Request):
        who = caller(request)
        k, y = access(request, who, kommunekode, aar, "indberet")
        check_year(y)
        folder = submission_folder(home, k, y, create=False)
        files, _, _ = walk(folder) if folder.is_dir() else ([], [], [])
        if not files:
            raise ApiError(404, "INGEN_FILER", f"Indberetningen {k}/{y} har ingen filer endnu.")
        marker = folder / READY_MARKER
        if not marker.exists():
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o640)
            os.close(fd)
            _fsync_dir(folder)
        return {"kommunekode": k, "aar": y, "klar": True, "filer": [f.relpath for f in files]}

    @app.get(
        base,
        summary="Indberetningens filer i landing/, dens versioner med tilstand pr. datasæt og fund, og gate-resultaterne "
        "(statusbilledet)",
        response_model=Indberetning,
        responses=ERRORS,
        tags=["indberetning"],
    )
    def status(kommunekode: Kommunekode, aar: Aar, request: Request):
        who = caller(request)
        k, y = access(request, who, kommunekode, aar, "laes")
        return submission_status(home, k, y)

    @app.post(
        f"{API}/valider",
        summary="Kontrollér en fil uden at indberette den (den lette validator som tjeneste)",
        response_model=Validering,
        responses={**ERRORS, **UPLOAD_ERRORS},
        openapi_extra=UPLOAD_BODY,
        tags=["validering"],
    )
    async def valider(kommunekode: KommunekodeQ, aar: AarQ, filnavn: FilnavnQ, request: Request):
        k, y, years, name = file_target(request, kommunekode, aar, filnavn)
        work = home.tmp / "service" / f"valider-{secrets.token_hex(8)}"
        work.mkdir(parents=True)
        try:
            size = await receive_file(request, work, name)
            counts, findings = await validate(work / name, k, y, years, None)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return answer(k, y, name, size, counts, findings)

    @app.get(
        f"{API}/udgivelser/aktuel",
        summary="Den aktuelle udgivelses filer, som du kan læse: de nationale tabeller og dine kommuners egne",
        response_model=UdgivelseFiler,
        responses={**ERRORS, 404: {"model": Fejl, "description": "der er endnu ingen udgivelse"}},
        tags=["udgivelser"],
    )
    def release_files(request: Request):
        who = caller(request)
        need_right(who, "laes")
        try:
            release_id, files = release.listing(home, who.kommuner)
        except release.Refusal as r:
            raise ApiError(r.status, r.kode, r.besked) from None
        return {"release_id": release_id, "filer": files}

    @app.get(
        f"{API}/udgivelser/aktuel/{{sti:path}}",
        summary="En fil fra den aktuelle udgivelse: nationale tabeller for alle, kommuner/<kode>/ kun for kommunen",
        response_class=FileResponse,
        responses={
            **ERRORS,
            200: {"description": "filens bytes", "content": {t: {} for t in RELEASE_MEDIA_TYPES}},
            404: {"model": Fejl, "description": "ingen sådan fil, eller ingen udgivelse"},
        },
        tags=["udgivelser"],
    )
    def release_file(sti: Sti, request: Request):
        who = caller(request)
        need_right(who, "laes")
        return serve_release_file(request, who, sti)

    def need_right(who: Caller, right: str) -> None:
        if right not in who.rettigheder:
            raise ApiError(
                403, "MANGLER_RETTIGHED", f"Tokenet har ikke rettigheden '{right}' ({tokens.RIGHTS[right]})."
            )

    def serve_release_file(request: Request, who: Caller, sti: str) -> FileResponse:
        try:
            path = release.release_file(home, sti, who.kommuner)
        except release.Refusal as r:
            raise ApiError(r.status, r.kode, r.besked) from None
        return FileResponse(path, media_type=media_type(path), headers=FILE_HEADERS)

    from pipeline.service.pages import add_pages

    add_pages(
        app,
        home,
        https=https,
        authenticate=authenticate,
        caller=caller,
        need_right=need_right,
        serve=serve_release_file,
        receive_form=receive_form,
        rate_limit=rate_limit,
    )
    app.add_middleware(AuditMiddleware, home=home)
    return app


FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "private, no-cache",
}
# What a release holds (pipeline.publish: tables, pages, workbooks, GX Data Docs and their assets), one table
# for the answers and for the OpenAPI document (independent of the host's /etc/mime.types); anything else is
# served as application/octet-stream.
MEDIA_TYPES = {
    ".parquet": "application/vnd.apache.parquet",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".csv": "text/csv; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".gif": "image/gif",
    ".ico": "image/vnd.microsoft.icon",
    ".otf": "font/otf",
    ".ttf": "font/ttf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}
OTHER_MEDIA_TYPE = "application/octet-stream"


def media_type(path: Path) -> str:
    return MEDIA_TYPES.get(path.suffix.lower(), OTHER_MEDIA_TYPE)


RELEASE_MEDIA_TYPES = sorted({t.split(";")[0] for t in MEDIA_TYPES.values()} | {OTHER_MEDIA_TYPE})


def submission_status(home: Home, k: str, y: int) -> dict:
    """A submission's files in landing/, its versions with each dataset's state and their findings, and the gate
    results, from the status snapshot (never the live warehouse): the API's answer, and what the municipality's
    page shows."""
    from pipeline.status import FINDING_COUNTS, FINDINGS, GATES, SNAPSHOT, read_submission

    folder = submission_folder(home, k, y, create=False)
    files, _, _ = walk(folder) if folder.is_dir() else ([], [], [])
    snapshot = read_submission(home, k, y)
    versions: dict[int, dict] = {}
    for r in snapshot[SNAPSHOT]:
        v = versions.setdefault(
            r["version"],
            {
                "version": r["version"],
                "modtaget": r["oprettet_tid"].isoformat(),
                "status": r["status"],
                "aktiv": bool(r["aktiv"]),
                "fastlaast": bool(r["fastlaast"]),
                "datasaet": [],
                "fund": [] if r.get("med_fund") else None,
                "fund_optalt": [] if r.get("med_fund") else None,
                "udeladt": 0 if r.get("med_fund") else None,
            },
        )
        v["datasaet"].append({c: r[c] for c in DatasaetTilstand.model_fields})
    for r in snapshot[FINDING_COUNTS]:
        if (v := versions.get(r["version"])) is not None and v["fund_optalt"] is not None:
            v["fund_optalt"].append({c: r[c] for c in FundOptalt.model_fields})
            v["udeladt"] += r["udeladt"]
    for r in snapshot[FINDINGS]:
        if (v := versions.get(r["version"])) is not None and v["fund"] is not None:
            v["fund"].append({c: r[c] for c in Fund.model_fields})
    gates = [
        {
            # r.get: a snapshot written before a field existed (version) lacks its column until rewritten
            **{c: r.get(c) for c in GateResultat.model_fields if c not in ("eksempler", "tid")},
            "eksempler": [str(e) for e in json.loads(r["eksempler"] or "[]")],
            "tid": r["tid"].isoformat(),
        }
        for r in snapshot[GATES]
    ]
    return {
        "kommunekode": k,
        "aar": y,
        "klar": folder.is_dir() and os.path.lexists(folder / READY_MARKER),
        "filer_i_landing": [{"fil": f.relpath, "bytes": f.path.lstat().st_size} for f in files],
        "versioner": [versions[v] for v in sorted(versions)],
        "gate_resultater": gates,
    }


class AuditMiddleware:
    """Every request into `<home>/service/audit.sqlite`: who, what, when, and what was answered."""

    def __init__(self, app, home: Home):
        self.app = app
        self.home = home

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.monotonic()
        state = scope.setdefault("state", {})
        seen = {"status": 0, "bytes": 0, "error": None}

        async def counting_receive():
            message = await receive()
            if message["type"] == "http.request":
                seen["bytes"] += len(message.get("body", b""))
            return message

        async def status_send(message):
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, counting_receive, status_send)
        except BaseException:
            seen["error"] = "INTERN_FEJL"
            raise
        finally:
            who = state.get("caller")
            row = {
                "token_id": who.id if who else None,
                "navn": who.navn if who else None,
                "metode": scope["method"],
                "sti": scope["path"][:500],
                "kommunekode": state.get("kommunekode"),
                "aar": state.get("aar"),
                "status": seen["status"],
                "fejlkode": state.get("fejlkode") or seen["error"],
                "bytes_modtaget": seen["bytes"],
                "klient": (scope.get("client") or ("?",))[0],
                "varighed_ms": round((time.monotonic() - start) * 1000),
            }
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(audit.record, self.home, row)
