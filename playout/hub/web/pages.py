"""The dashboard's pages, server-rendered: login and logout, the overview, a station, the
province report. Every page checks the user; an area user sees only its area's stations
and report, whatever URL it asks for."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles

from playout.clock import Clock
from playout.hub.body import read_limited
from playout.hub.bundles import campaign_titles
from playout.hub.report import build_province_report, months_with_airings
from playout.hub.users import User, authenticate, session_key, user_exists
from playout.hub.web.guard import (
    AddressThrottle,
    CsrfRefused,
    LoginNeeded,
    check_csrf,
    csrf_token,
    current_user,
    forbid_unless,
    language,
    log_in,
    log_out,
)
from playout.hub.web.overview import ShareCache, StationLine, area_names, station_lines
from playout.hub.web.rollout import bundle_rollout
from playout.hub.web.state import SEVERITY, State
from playout.hub.web.station_view import station_view
from playout.hub.web.words import LANGS, Words
from playout.problems import PlayoutError
from playout.reports import WRITERS, month_bounds
from playout.reports.province import province_document
from playout.reports.station import bars_svg
from playout.reports.text import Words as ReportWords
from playout.reports.text import area_word
from playout.schedule.model import DEFAULT_TIMEZONE, ReportSettings

log = logging.getLogger("playout.hub.web")

STATIC = Path(__file__).parent / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
SORTS = ("state", "name", "contact", "share")
FAILED_LOGIN_DELAY = 1.0  # seconds every failed login waits before its answer


@dataclass(frozen=True)
class DashboardSettings:
    silent_after: timedelta = timedelta(minutes=20)
    secure_cookies: bool = False  # set behind TLS: the cookie is then sent only over HTTPS
    session_hours: int = 12
    refresh: timedelta = timedelta(seconds=60)  # how often the overview refreshes its table
    report_agency: str = ""  # the province report's issuing department (default: the words')
    report: ReportSettings = field(default_factory=lambda: ReportSettings(number="BC-STTTT"))


def _sort_key(sort: str) -> Any:
    if sort == "name":
        return lambda s: (s.name.casefold(), s.id)
    if sort == "contact":  # longest silent first
        return lambda s: (s.last_contact is not None, s.last_contact or datetime.min, s.id)
    if sort == "share":  # lowest share first, no target last
        return lambda s: (s.share is None, s.share or 0.0, s.id)
    return lambda s: (SEVERITY[s.verdict.state], s.name.casefold(), s.id)


def group_by_area(
    lines: list[StationLine], sort: str, problems_only: bool
) -> list[tuple[str, list[StationLine]]]:
    groups: dict[str, list[StationLine]] = {}
    for line in lines:
        assert line.verdict is not None
        if problems_only and line.verdict.state in (State.GREEN,):
            continue
        groups.setdefault(line.area, []).append(line)
    key = _sort_key(sort)
    return [(d, sorted(groups[d], key=key)) for d in sorted(groups, key=str.casefold)]


def titles_of(engine: Engine) -> dict[str, str]:
    """The province's campaign titles by id (a station's own campaigns' titles come with its
    day plans: ``StationView.titles``, ``Today.titles``)."""
    with engine.connect() as conn:
        return campaign_titles(conn)


def _months(today: date, with_data: list[tuple[int, int]], count: int = 13) -> list[str]:
    """The months a report can be asked for, newest first: the last ``count`` and every
    earlier one that has airings (a campaign of 2020 stays reportable)."""
    chosen, year, month = set(with_data), today.year, today.month
    for _ in range(count):
        chosen.add((year, month))
        month, year = (month - 1, year) if month > 1 else (12, year - 1)
    return [
        f"{m:02d}/{y}"
        for y, m in sorted(chosen, reverse=True)
        if (y, m) <= (today.year, today.month)
    ]


def add_dashboard(app: FastAPI, engine: Engine, clock: Clock, settings: DashboardSettings) -> None:
    templates = Environment(
        loader=PackageLoader("playout.hub.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    throttle = AddressThrottle()
    shares = ShareCache()
    router = APIRouter()

    def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        lang = language(request)
        w = context.pop("w", None) or Words(lang, DEFAULT_TIMEZONE)
        html = templates.get_template(name).render(
            w=w, lang=lang, langs=LANGS, csrf=csrf_token(request), path=request.url.path,
            now=clock.now(), **context,
        )  # fmt: skip
        response = HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
        if request.query_params.get("lang") in LANGS:
            response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax", httponly=True)
        return response

    def address(request: Request) -> str:
        return request.client.host if request.client else "?"

    @router.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request) -> Response:
        return render(request, "login.html", next=request.query_params.get("next", "/"))

    @router.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        form = await read_form(request)
        check_csrf(request, form.get("csrf"))
        name, password = str(form.get("user", "")), str(form.get("password", ""))
        target = str(form.get("next") or "/")
        if not target.startswith("/") or target.startswith("//"):
            target = "/"  # never an open redirect
        w = Words(language(request), DEFAULT_TIMEZONE)
        client = address(request)
        # many failures from this address (it may be a whole office behind one proxy): the
        # password is still checked for a known user (whose own lock bounds the guesses), so
        # others' failures never lock out the right password; unknown names stop here
        blocked = throttle.blocked(client)
        if blocked and not await run_in_threadpool(user_exists, engine, name):
            log.warning("dashboard: login for %r from %s refused: too many failures", name, client)
            return render(request, "login.html", 429, error=w["too_many"], next=target)
        result = await run_in_threadpool(authenticate, engine, name, password, clock.now())
        if result.user is None:
            throttle.failed(client)
            await asyncio.sleep(FAILED_LOGIN_DELAY)
            if blocked and result.locked_for is None:
                log.warning("dashboard: failed login for %r from %s (too many)", name, client)
                return render(request, "login.html", 429, error=w["too_many"], next=target)
            if result.locked_for is not None:
                minutes = max(1, round(result.locked_for.total_seconds() / 60))
                log.warning("dashboard: login for %r from %s refused: locked", name, client)
                return render(
                    request, "login.html", 429, error=w.say("locked", minutes=minutes), next=target
                )
            log.warning(
                "dashboard: failed login for %r from %s (%d in a row)",
                name, client, result.failures,
            )  # fmt: skip
            return render(request, "login.html", 401, error=w["bad_login"], next=target)
        await log_in(
            request, engine, result.user, clock.now(), timedelta(hours=settings.session_hours)
        )
        log.info("dashboard: %s (%s) logged in from %s", name, result.user.label, client)
        return RedirectResponse(target, 303)

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        form = await read_form(request)
        check_csrf(request, form.get("csrf"))
        await log_out(request, engine)
        return RedirectResponse("/login", 303)

    @router.get("/", response_class=HTMLResponse)
    async def overview(request: Request) -> Response:
        user = await current_user(request, engine, clock.now())
        sort = request.query_params.get("sort", "state")
        sort = sort if sort in SORTS else "state"
        problems = request.query_params.get("problems") == "1"
        lines = await run_in_threadpool(
            partial(station_lines, area=user.area, shares=shares),
            engine, clock.now(), settings.silent_after,
        )  # fmt: skip
        counts = {s: sum(1 for x in lines if x.verdict and x.verdict.state is s) for s in State}
        titles = await run_in_threadpool(titles_of, engine)
        template = "overview_table.html" if request.headers.get("x-partial") else "overview.html"
        return render(
            request,
            template,
            user=user,
            groups=group_by_area(lines, sort, problems),
            counts=counts,
            total=len(lines),
            sort=sort,
            problems=problems,
            refresh=max(1, int(settings.refresh.total_seconds())),
            titles=titles,
        )

    @router.get("/stations/{station_id:path}", response_class=HTMLResponse)
    async def station(request: Request, station_id: str) -> Response:
        user = await current_user(request, engine, clock.now())
        view = await run_in_threadpool(
            station_view, engine, station_id, clock.now(), settings.silent_after
        )
        if view is None:
            raise HTTPException(404)
        forbid_unless(user.sees(view.line.area))
        w = Words(language(request), view.line.timezone)
        rw = ReportWords(w.lang)
        titles = {**view.titles, **await run_in_threadpool(titles_of, engine)}
        charts = [bars_svg(view.month_days, v, titles.get(c, c), rw) for c, v in view.month.items()]
        bundles = await run_in_threadpool(partial(bundle_rollout, engine, station=station_id))
        return render(
            request, "station.html", w=w, user=user, view=view, charts=charts, bundles=bundles,
            titles=titles,
        )  # fmt: skip

    @router.get("/campaigns", response_class=HTMLResponse)
    async def campaigns(request: Request) -> Response:
        user = await current_user(request, engine, clock.now())
        found = await run_in_threadpool(partial(bundle_rollout, engine, area=user.area))
        kind = area_word([s.area for b in found for s in b.stations])
        return render(request, "campaigns.html", user=user, bundles=found, area_kind=kind)

    @router.get("/reports", response_class=HTMLResponse)
    async def reports(request: Request) -> Response:
        user = await current_user(request, engine, clock.now())
        return await _reports_page(request, user)

    async def _reports_page(
        request: Request, user: User, error: str = "", status_code: int = 200
    ) -> Response:
        areas = await run_in_threadpool(area_names, engine, user)
        with_data = await run_in_threadpool(months_with_airings, engine)
        today = clock.now().astimezone(Words("vi", DEFAULT_TIMEZONE).zone).date()
        return render(
            request, "reports.html", status_code, user=user, areas=areas,
            area_kind=area_word(areas), months=_months(today, with_data),
            formats=sorted(WRITERS), error=error,
        )  # fmt: skip

    @router.post("/reports")
    async def download(request: Request) -> Response:
        user = await current_user(request, engine, clock.now())
        form = await read_form(request)
        check_csrf(request, form.get("csrf"))
        area = str(form.get("area", ""))
        forbid_unless(user.sees(area) if area else user.area == "")
        fmt, lang = str(form.get("format", "xlsx")), str(form.get("lang", "vi"))
        if fmt not in WRITERS or lang not in LANGS:
            raise HTTPException(400)
        try:
            month, year = (int(x) for x in str(form.get("month", "")).split("/"))
            first, last = month_bounds(month, year)
        except ValueError:
            raise HTTPException(400) from None
        issued = clock.now().astimezone(Words("vi", DEFAULT_TIMEZONE).zone).date()
        try:
            report = await run_in_threadpool(
                lambda: build_province_report(
                    engine, first, last, issued=issued, area=area or None,
                    prepared_by=settings.report.prepared_by,  # never the login name
                )
            )  # fmt: skip
            report.agency, report.settings = settings.report_agency, settings.report
        except PlayoutError as exc:
            return await _reports_page(request, user, str(exc), 400)
        data = WRITERS[fmt](province_document(report, lang))
        suffix = f"-{area}" if area else ""
        filename = f"province-report-{year}-{month:02d}{suffix}.{fmt}"
        log.info("dashboard: %s downloaded %s", user.name, filename)
        return Response(
            data,
            media_type={
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "csv": "text/csv; charset=utf-8",
                "html": "text/html; charset=utf-8",
            }[fmt],
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(filename)}",
                "Cache-Control": "no-store",
            },
        )

    async def login_needed(request: Request, _exc: Exception) -> Response:
        if request.headers.get("x-partial"):  # the overview's refresh: the page reloads
            return Response(status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={_quote(target)}", 303)

    async def csrf_refused(request: Request, _exc: Exception) -> Response:
        log.warning("dashboard: %s %s without a valid CSRF token", request.method, request.url)
        w = Words(language(request), DEFAULT_TIMEZONE)
        return render(request, "error.html", 403, message=w["csrf"])

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if request.url.path.startswith("/api/"):  # the upload API answers JSON, as before
            return await http_exception_handler(request, exc)
        w = Words(language(request), DEFAULT_TIMEZONE)
        key = {403: "forbidden", 404: "not_found"}.get(exc.status_code)
        message = w[key] if key else str(exc.detail)
        return render(request, "error.html", exc.status_code, message=message)

    app.add_exception_handler(LoginNeeded, login_needed)
    app.add_exception_handler(CsrfRefused, csrf_refused)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # pages of 700 stations are ~400 kB of HTML, ~30 kB gzipped: a phone on 3G gets them in time
    app.add_middleware(GZipMiddleware, minimum_size=4096, compresslevel=5)
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_key(engine),
        session_cookie="playout_session",
        max_age=settings.session_hours * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )


FORM_BYTES = 16 << 10  # the dashboard's forms are a few fields


async def read_form(request: Request) -> dict[str, str]:
    """A dashboard form (URL-encoded), its body read within FORM_BYTES: a huge POST is refused
    (413) as it arrives, never held whole."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("application/x-www-form-urlencoded", ""):
        raise HTTPException(415)
    body = await read_limited(request, FORM_BYTES)
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400) from None
    return dict(pairs)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
