"""Who is asking, and may they: the session's user, CSRF tokens, the language, and the throttle
on failed logins from one address (the per-user lock is in the database, ``users.py``).

Sessions are kept by the hub (``web_sessions``): Starlette's signed cookie (HttpOnly,
SameSite=Lax, Secure behind TLS) holds only a random session id and the CSRF token; logout, a
new password and removing the user delete the row, so a copied cookie stops working with them.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fastapi import HTTPException, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from playout.hub.users import User, end_session, start_session, user_for_session
from playout.hub.web.words import LANGS


class LoginNeeded(Exception):
    """The page needs a logged-in user: the handler sends the browser to the login page."""


class CsrfRefused(Exception):
    """A form came without the session's CSRF token."""


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf(request: Request, sent: object) -> None:
    token = request.session.get("csrf")
    if not isinstance(token, str) or not isinstance(sent, str):
        raise CsrfRefused
    if not hmac.compare_digest(token.encode(), sent.encode()):
        raise CsrfRefused


async def current_user(request: Request, engine: Engine, now: datetime) -> User:
    session_id = request.session.get("sid")
    if isinstance(session_id, str):
        user = await run_in_threadpool(user_for_session, engine, session_id, now)
        if user is not None:
            return user
        request.session.clear()  # ended: logout, a new password, the user removed, expired
    raise LoginNeeded


async def log_in(
    request: Request, engine: Engine, user: User, now: datetime, lasts: timedelta
) -> None:
    """A new session at login (kept by the hub): a planted cookie is worth nothing."""
    session_id = await run_in_threadpool(start_session, engine, user, now, lasts)
    request.session.clear()
    request.session.update({"sid": session_id, "csrf": secrets.token_urlsafe(32)})


async def log_out(request: Request, engine: Engine) -> None:
    session_id = request.session.get("sid")
    if isinstance(session_id, str):
        await run_in_threadpool(end_session, engine, session_id)
    request.session.clear()


def language(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get("lang", "vi")
    return asked if asked in LANGS else "vi"


def forbid_unless(allowed: bool) -> None:
    if not allowed:
        raise HTTPException(403)


@dataclass
class AddressThrottle:
    """At most ``limit`` failed logins per address in ``window`` seconds (per server process)."""

    limit: int = 20
    window: float = 600.0
    failures: dict[str, deque[float]] = field(default_factory=dict)

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self.failures.setdefault(address, deque())
        while times and times[0] < now - self.window:
            times.popleft()
        return times

    def blocked(self, address: str) -> bool:
        return len(self._recent(address, time.monotonic())) >= self.limit

    def failed(self, address: str) -> None:
        now = time.monotonic()
        self._recent(address, now).append(now)
        if len(self.failures) > 10_000:  # a spray from many addresses: forget the oldest
            for key in list(self.failures)[:5_000]:
                del self.failures[key]
