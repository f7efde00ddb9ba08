"""The web face's pages and endpoints (Starlette). Handlers call the library and render; no rule
of scoring is stated here (the docs' web page lists the URLs and the safety rules).
"""

from __future__ import annotations

import asyncio
import collections
import http
import json
import logging
import os
import secrets
import threading
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import kpirules
from kpirules import _output
from kpirules._numbers import plain
from kpirules._records import FORMATS
from kpirules._table import _WEIGHT, _caption, _headers, _row, _total_cells
from kpirules.errors import KpiRulesError, ParseError
from kpirules.model import RuleSet
from kpirules.web import _charts, _workbook
from kpirules.web._highlight import highlight
from kpirules.web._run import ENCODINGS, ScoreRun, score_upload
from kpirules.web._shelf import Entry, Shelf, digest
from kpirules.web._strings import LANGUAGES, STRINGS, label

__all__ = ["LOOPBACK", "create_app"]

log = logging.getLogger("kpirules.web")

HERE = Path(__file__).parent
LOOPBACK = ("127.0.0.1", "localhost", "::1")
COOKIE = "kpirules_lang"
# Uploads of records may be large workbooks; rule text and JSON requests are small.
UPLOAD_LIMIT = 20 * 1024 * 1024
TEXT_LIMIT = 2 * 1024 * 1024
# How many subjects the results page shows in full (the downloads carry them all), how many
# finished runs are kept for their downloads.
SHOWN_SUBJECTS = 200
KEPT_RUNS = 16


def create_app(folder: str | os.PathLike[str] = ".", *,
               allowed_hosts: tuple[str, ...] | None = LOOPBACK,
               upload_limit: int = UPLOAD_LIMIT, text_limit: int = TEXT_LIMIT,
               language: str = "th") -> Starlette:
    """The web face over the shipped catalogues and the ``.kpi`` files of ``folder``, in
    ``language`` until a reader switches (Thai unless ``"en"``).

    ``allowed_hosts`` are the names the browser may reach the server by (``None`` for any, when
    it listens on every address); a request naming another host is refused, so that a web page
    elsewhere cannot reach the server through a name that it points at 127.0.0.1.
    """
    site = _Site(Shelf(folder))
    routes = [
        Route("/", site.index),
        Route("/catalogues/{name}", site.catalogue),
        Route("/catalogues/{name}/{file}", site.catalogue_file),
        Route("/score", site.score_form, methods=["GET"]),
        Route("/score", site.score_page, methods=["POST"]),
        Route("/results/{token}", site.results_page),
        Route("/results/{token}/{file}", site.results_file),
        Route("/edit", site.editor),
        Route("/edit/{name}", site.editor),
        Route("/api/check", site.api_check, methods=["POST"]),
        Route("/api/score", site.api_score, methods=["POST"]),
        Route("/api/highlight", site.api_highlight, methods=["POST"]),
        Route("/api/format", site.api_format, methods=["POST"]),
        Route("/api/save", site.api_save, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [Middleware(_SecurityHeaders),
                  Middleware(_BodyLimit, upload_limit=upload_limit, text_limit=text_limit)]
    if allowed_hosts is not None:
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={HTTPException: site.http_error, Exception: site.crash})
    app.state.site = site
    app.state.language = "en" if language == "en" else "th"
    return app


# Scripts, styles and pictures come from this server only (no inline script: a title that slipped
# past escaping could not run); no other site may frame the pages or receive their forms.
_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
           "object-src 'none'")
_HEADERS = [(b"content-security-policy", _POLICY.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin")]


class _SecurityHeaders:
    """Adds the Content-Security-Policy and its companions to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


class _BodyLimit:
    """Refuses a request body over the limit (413) while it is read, whatever Content-Length says."""

    def __init__(self, app: ASGIApp, upload_limit: int, text_limit: int) -> None:
        self.app = app
        self.upload_limit = upload_limit
        self.text_limit = text_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = self.upload_limit if path in ("/score", "/api/score") else self.text_limit
        declared = dict(scope.get("headers", ())).get(b"content-length", b"0")
        received = 0

        async def limited() -> Message:
            nonlocal received
            if declared.isdigit() and int(declared) > limit:
                raise HTTPException(413, _size(limit))
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, _size(limit))
            return message

        await self.app(scope, limited, send)


def _size(limit: int) -> str:
    """A limit as people read one: ``20 MB``, ``512 KB``, ``100 bytes``."""
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if limit >= size:
            return f"{limit / size:g} {unit}"
    return f"{limit} bytes"


def language_of(request: Request) -> Literal["th", "en"]:
    """The page's language: ``?lang=``, else the cookie it set, else the server's (Thai unless
    ``kpirules serve --lang en``)."""
    default = getattr(request.app.state, "language", "th")
    for asked in (request.query_params.get("lang"), request.cookies.get(COOKIE), default):
        if asked == "en":
            return "en"
        if asked == "th":
            return "th"
    return "th"


def same_origin(request: Request) -> bool:
    """Whether the request comes from a page of this server: its Origin (or, without one, its
    Referer) names the host the request was sent to. A request with neither is refused."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return False
    return urlsplit(source).netloc.lower() == request.headers.get("host", "").lower()


class _Site:
    """The handlers, sharing the shelf of catalogues, the templates and the finished runs."""

    def __init__(self, shelf: Shelf) -> None:
        self.shelf = shelf
        # StrictUndefined: a name a template gets wrong fails the tests instead of printing
        # nothing on the page.
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                 autoescape=True, trim_blocks=True, lstrip_blocks=True,
                                 undefined=jinja2.StrictUndefined)
        env.filters["plain"] = _plain
        self.templates = Jinja2Templates(env=env)
        self.runs: collections.OrderedDict[str, ScoreRun] = collections.OrderedDict()
        self.lock = threading.Lock()
        self.save_lock = asyncio.Lock()

    # -- rendering --------------------------------------------------------------------------

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        language = language_of(request)
        other = "en" if language == "th" else "th"
        switch = request.url.include_query_params(lang=other)
        response = self.templates.TemplateResponse(
            request, template, {
                "t": partial(label, language), "lang": language, "switch": str(switch),
                "strings": STRINGS[language],
                "quote": _quote, **context},
            status_code=status)
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(COOKIE, language, max_age=365 * 24 * 3600, samesite="strict")
        return response

    def entry(self, request: Request, name: str) -> Entry:
        found = self.shelf.find(name)
        if found is None:
            raise HTTPException(404, label(language_of(request), "not_found_name", name=name))
        return found

    # -- pages ------------------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        language = language_of(request)

        def described(entry: Entry) -> dict[str, Any]:
            try:
                rules = entry.load()
            except KpiRulesError as error:
                return {"entry": entry, "rules": None, "error": str(error.in_language(language))}
            return {"entry": entry, "rules": rules, "error": None}

        own = [described(entry) for entry in self.shelf.own()]
        shipped = [described(entry) for entry in self.shelf.shipped()]
        return self.page(request, "index.html", own=own, shipped=shipped,
                         folder=str(self.shelf.folder))

    async def catalogue(self, request: Request) -> Response:
        entry = self.entry(request, request.path_params["name"])
        language = language_of(request)
        try:
            rules = entry.load(language)
        except KpiRulesError as error:
            return self.page(request, "broken.html", status=422, entry=entry,
                             error=str(error.in_language(language)), editable=True)
        rows = [_row(indicator, rules, language) for indicator in rules]
        total = _total_cells(rules, language)[_WEIGHT]
        return self.page(request, "catalogue.html", entry=entry, rules=rules, rows=rows,
                         headers=_headers(rules, language), caption=_caption(rules, language),
                         total=total,
                         total_ok=total in ("", "100"))

    async def catalogue_file(self, request: Request) -> Response:
        entry = self.entry(request, request.path_params["name"])
        file = request.path_params["file"]
        if file == "rules.kpi":
            return _download(entry.read_bytes(), f"{entry.name}.kpi", "text/plain; charset=utf-8")
        rules = self.rules_or_422(request, entry)
        if file == "table.csv":
            # A byte order mark, so that Excel shows the Thai text (as `kpirules table -o` does).
            table = kpirules.table(rules, format="csv", language=language_of(request))
            data = ("\ufeff" + table).encode("utf-8")
            return _download(data, f"{entry.name}.csv", "text/csv; charset=utf-8")
        if file == "table.xlsx":
            data = await run_in_threadpool(_workbook.catalogue_workbook, rules,
                                           language_of(request))
            return _download(data, f"{entry.name}.xlsx", _XLSX)
        if file == "template.xlsx":
            data = await run_in_threadpool(_workbook.template_workbook, rules,
                                           language_of(request))
            return _download(data, f"{entry.name}-records.xlsx", _XLSX)
        raise HTTPException(404, label(language_of(request), "not_found"))

    def rules_or_422(self, request: Request, entry: Entry) -> RuleSet:
        try:
            return entry.load(language_of(request))
        except KpiRulesError as error:
            raise HTTPException(422, str(error.in_language(language_of(request)))) from None

    async def score_form(self, request: Request) -> Response:
        return self.page(request, "score.html", entries=self._scoreable(),
                         chosen=request.query_params.get("rules", ""),
                         formats=",".join(FORMATS), error=None)

    def _scoreable(self) -> list[Entry]:
        seen = {entry.name for entry in self.shelf.own()}
        return self.shelf.own() + [e for e in self.shelf.shipped() if e.name not in seen]

    async def score_page(self, request: Request) -> Response:
        language = language_of(request)
        async with request.form(max_files=1, max_fields=10) as form:
            name = str(form.get("rules", ""))
            upload = form.get("records")
            encoding = str(form.get("encoding", "auto"))
            strict = form.get("strict") is not None
            data = await upload.read() if isinstance(upload, UploadFile) else b""
            filename = upload.filename if isinstance(upload, UploadFile) else None

        def again(message: str) -> Response:
            return self.page(request, "score.html", status=400, entries=self._scoreable(),
                             chosen=name, formats=",".join(FORMATS),
                             error=message)

        entry = self.entry(request, name)
        if not filename:
            return again(label(language, "choose_file"))
        if encoding not in ENCODINGS:
            encoding = "auto"
        try:
            rules = entry.load(language)
            run = await run_in_threadpool(score_upload, rules, entry.name, filename, data,
                                          encoding, strict, language)
        except KpiRulesError as error:
            return again(str(error.in_language(language)))
        token = self.keep(run)
        # Post/Redirect/Get: the results have their own address, so that reloading the page or
        # switching its language does not send the file again.
        return RedirectResponse(f"/results/{token}", status_code=303)

    async def results_page(self, request: Request) -> Response:
        token = request.path_params["token"]
        run = self.run(request, token)
        cards = run.cards()
        language = language_of(request)
        return self.page(
            request, "results.html", run=run, token=token, entry_name=run.rules_name,
            cards=cards[:SHOWN_SUBJECTS], card_count=len(cards), shown=SHOWN_SUBJECTS,
            rejected=run.rejected(), rejected_rows=list(run.rejected_rows(language)),
            ranking=_charts.ranking(cards), levels=_charts.level_chart(
                run.rules, [card for _, card in cards]),
            subjects=run.subjects[:SHOWN_SUBJECTS])

    def run(self, request: Request, token: str) -> ScoreRun:
        with self.lock:
            found = self.runs.get(token)
        if found is None:
            raise HTTPException(404, label(language_of(request), "run_gone"))
        return found

    def keep(self, run: ScoreRun) -> str:
        token = secrets.token_urlsafe(16)
        with self.lock:
            self.runs[token] = run
            while len(self.runs) > KEPT_RUNS:
                self.runs.popitem(last=False)
        return token

    async def results_file(self, request: Request) -> Response:
        run = self.run(request, request.path_params["token"])
        language = language_of(request)
        stem = f"{run.rules_name}-{os.path.splitext(run.source)[0]}-results"
        file = request.path_params["file"]
        if file == "results.json":
            return _download(run.json(language).encode("utf-8"), f"{stem}.json",
                             "application/json; charset=utf-8")
        if file == "results.csv":
            return _download(("\ufeff" + run.csv(language)).encode("utf-8"), f"{stem}.csv",
                             "text/csv; charset=utf-8")
        if file == "results.xlsx":
            data = await run_in_threadpool(_workbook.results_workbook, run, language)
            return _download(data, f"{stem}.xlsx", _XLSX)
        raise HTTPException(404, label(language_of(request), "not_found"))

    async def editor(self, request: Request) -> Response:
        name = request.path_params.get("name")
        if name is None:
            language = language_of(request)
            # The starting text in the page's language: the formatter translates the keywords.
            return self.page(request, "edit.html", name="", hash="", shipped=False,
                             source=kpirules.format(_NEW_FILE, keywords=language),
                             title=label(language, "new_file"))
        entry = self.entry(request, name)
        data = entry.read_bytes()
        try:
            source = entry.text()
        except KpiRulesError as error:
            # Shown with its bytes replaced, the file would be saved back without them.
            return self.page(request, "broken.html", status=422, entry=entry, error=str(error),
                             editable=False)
        return self.page(request, "edit.html", name="" if entry.shipped else entry.name,
                         source=source, hash="" if entry.shipped else digest(data),
                         shipped=entry.shipped, title=entry.name)

    # -- the JSON endpoints -----------------------------------------------------------------

    async def api_check(self, request: Request) -> Response:
        source = await _body_text(request)
        asked = request.query_params.get("lang")
        return JSONResponse(await run_in_threadpool(
            diagnostics, source, asked if asked in LANGUAGES else None))

    async def api_score(self, request: Request) -> Response:
        name = request.query_params.get("rules", "")
        entry = self.shelf.find(name)
        if entry is None:
            return _json_error(404, label(language_of(request), "not_found_name", name=name))
        encoding = request.query_params.get("encoding", "auto")
        async with request.form(max_files=1, max_fields=10) as form:
            upload = form.get("records")
            if not isinstance(upload, UploadFile):
                return _json_error(400, "send the records file as the multipart field `records`")
            data = await upload.read()
            filename = upload.filename
        # ?lang= as the command line's --lang; without it, the rule file's language.
        asked = request.query_params.get("lang")
        language = asked if asked in LANGUAGES else None
        try:
            rules = entry.load(language)
            run = await run_in_threadpool(score_upload, rules, entry.name, filename, data,
                                          encoding if encoding in ENCODINGS else "auto",
                                          request.query_params.get("strict") != "false", language)
        except KpiRulesError as error:
            shown = error if language is None else error.in_language(language)
            return _json_error(400, str(shown))
        return Response(run.json(), media_type="application/json; charset=utf-8")

    async def api_highlight(self, request: Request) -> Response:
        body = await _json_body(request)
        source = body.get("text")
        marks = body.get("marks", [])
        if not isinstance(source, str) or not isinstance(marks, list):
            return _json_error(400, 'send {"text": "...", "marks": [[line, column, severity]]}')
        wanted = [(int(m[0]), int(m[1]), str(m[2])) for m in marks
                  if isinstance(m, list) and len(m) == 3
                  and all(isinstance(n, int) for n in m[:2])]
        return JSONResponse({"html": str(highlight(source, wanted))})

    async def api_format(self, request: Request) -> Response:
        body = await _json_body(request)
        source = body.get("text")
        keywords = body.get("keywords")
        if not isinstance(source, str) or keywords not in (None, "th", "en"):
            return _json_error(400, 'send {"text": "...", "keywords": null | "th" | "en"}')
        try:
            formatted = await run_in_threadpool(kpirules.format, source, keywords)
        except ParseError as error:
            return JSONResponse({"error": error.message, "line": error.line,
                                 "column": error.column}, status_code=422)
        except KpiRulesError as error:
            return _json_error(422, str(error))
        return JSONResponse({"text": formatted})

    async def api_save(self, request: Request) -> Response:
        language = language_of(request)
        if not same_origin(request):
            return _json_error(403, label(language, "cross_origin"))
        body = await _json_body(request)
        name, source, base = body.get("name"), body.get("text"), body.get("hash")
        if not isinstance(name, str) or not isinstance(source, str) or not (
                base is None or isinstance(base, str)):
            return _json_error(400, 'send {"name": "...", "text": "...", "hash": "..." | null}')
        target = self.shelf.target(name.strip())
        if target is None:
            return _json_error(400, label(language, "bad_name"))
        data = source.encode("utf-8")
        async with self.save_lock:
            try:
                current = target.read_bytes()
            except FileNotFoundError:
                current = None
            if current is None and base:
                return _json_error(409, label(language, "save_conflict"))
            if current is not None and not base:
                return _json_error(409, label(language, "save_exists"))
            if current is not None and digest(current) != base:
                return _json_error(409, label(language, "save_conflict"))
            try:
                await run_in_threadpool(_write_atomic, target, data)
            except OSError as error:
                return _json_error(500, f"{label(language, 'save_failed')}: "
                                        f"{error.strerror or error}")
        return JSONResponse({"name": target.stem, "hash": digest(data)})

    # -- errors -----------------------------------------------------------------------------

    async def http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        language = language_of(request)
        # Starlette's own details are the English reason phrases; ours are worded for the reader.
        standard = exc.detail == http.HTTPStatus(exc.status_code).phrase
        detail = "" if standard or not isinstance(exc.detail, str) else exc.detail
        if exc.status_code == 404 and not detail:
            detail = label(language, "not_found")
        elif exc.status_code == 413:
            detail = label(language, "too_large", limit=exc.detail)
        elif exc.status_code == 405:
            detail = label(language, "not_allowed")
        if request.url.path.startswith("/api/"):
            return _json_error(exc.status_code, detail)
        return self.page(request, "error.html", status=exc.status_code, detail=detail)

    async def crash(self, request: Request, exc: Exception) -> Response:
        # The details go to the log of whoever runs the server, never to the browser.
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
        detail = label(language_of(request), "internal_error")
        if request.url.path.startswith("/api/"):
            return _json_error(500, detail)
        return HTMLResponse(self.templates.get_template("error.html").render(
            t=partial(label, language_of(request)), lang=language_of(request), switch="/",
            detail=detail, strings={}, quote=_quote), status_code=500)


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_NEW_FILE = 'ตัวชี้วัด 1 "ชื่อตัวชี้วัด"\n  น้ำหนัก 100\n  ตัววัด ร้อยละ ตัวเลข ช่วง 0..100\n' \
            "  ระดับ 1 ถ้า ร้อยละ >= 60\n  ระดับ 2 ถ้า ร้อยละ >= 70\n  ระดับ 3 ถ้า ร้อยละ >= 80\n" \
            "  ระดับ 4 ถ้า ร้อยละ >= 90\n  ระดับ 5 ถ้า ร้อยละ >= 100\n"


def _plain(value: Decimal | None) -> str:
    """A number with its exact digits, as the command line writes it."""
    return "" if value is None else plain(value)


def _quote(name: str) -> str:
    return quote(name, safe="")


def _download(data: bytes, filename: str, media_type: str) -> Response:
    # RFC 6266/5987: a Thai file name is sent UTF-8 encoded, with an ASCII fallback.
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in filename)
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{_quote(filename)}"
    return Response(data, media_type=media_type, headers={"Content-Disposition": disposition})


def _json_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _body_text(request: Request) -> str:
    data = await request.body()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, "the rule text must be UTF-8") from None


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await _body_text(request))
    except json.JSONDecodeError:
        raise HTTPException(400, "the request body is not JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "the request body must be a JSON object")
    return body


def diagnostics(source: str, language: str | None = None) -> list[dict[str, Any]]:
    """``POST /api/check``: the checker's findings on ``source``, or its parse error, each as a
    dict of a :class:`~kpirules.Diagnostic`'s fields (a parse error's code is the error's
    ``.code``, or ``syntax`` where it has none, as ``kpirules check --format json`` and the
    language server say), with messages in ``language`` (by default the file's)."""
    try:
        rules = kpirules.parse(source, source="<editor>", language=language)
    except ParseError as error:
        # The error's own code; where it has none more precise than the generic "error", the word
        # the command line and the language server use.
        code = "syntax" if error.code == "error" else error.code
        return [{"severity": "error", "code": code, "message": error.message,
                 "indicator": None, "line": error.line, "column": error.column}]
    return [{"severity": d.severity, "code": d.code, "message": d.message,
             "indicator": d.indicator, "line": d.line, "column": d.column}
            for d in kpirules.check(rules, language)]


def _write_atomic(target: Path, data: bytes) -> None:
    """``data`` becomes ``target`` all at once, as ``kpirules fmt`` rewrites a file: a temporary
    file in the same folder, then ``os.replace``."""
    with _output.atomic(str(target)) as handle:
        handle.write(data)
