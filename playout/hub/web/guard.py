"""Who is asking, and may they: the session's user, CSRF tokens, the language, and the throttle
on failed logins from one address (the per-user lock is in the database, ``users.py``).

Sessions are Starlette's signed cookies (HttpOnly, SameSite=Lax, Secure behind TLS) holding the
user's name, a stamp of its password hash (a new password ends old sessions) and the CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from dataclasses import dataclass, field

from fastapi import HTTPException, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from playout.hub.users import User, user_for_session
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


async def current_user(request: Request, engine: Engine) -> User:
    name, stamp = request.session.get("user"), request.session.get("stamp")
    if isinstance(name, str) and isinstance(stamp, str):
        user = await run_in_threadpool(user_for_session, engine, name, stamp)
        if user is not None:
            return user
        request.session.clear()  # removed, or a new password: this session is over
    raise LoginNeeded


def log_in(request: Request, user: User) -> None:
    request.session.clear()  # a new session at login: a planted cookie is worth nothing
    request.session.update(
        {"user": user.name, "stamp": user.stamp, "csrf": secrets.token_urlsafe(32)}
    )


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
