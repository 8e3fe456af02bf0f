"""The dashboard's users: a name, an argon2 password hash and a role (the whole province, or one
area). Failed logins are counted per user in the database (so every server process of the
hub sees them), each attempt in one row update before its password is checked: after
``FREE_ATTEMPTS`` in a row the user is locked for a time that doubles with each further
failure, up to ``MAX_LOCK``, however many guesses arrive at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, case, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from playout.hub.schema import hub_settings, stations, users, web_sessions
from playout.problems import PlayoutError, did_you_mean

FREE_ATTEMPTS = 5
FIRST_LOCK = timedelta(seconds=30)
MAX_LOCK = timedelta(minutes=15)
MIN_PASSWORD = 8


class Role(StrEnum):
    PROVINCE = "province"
    AREA = "area"


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    area: str  # "" for the province
    stamp: str  # changes with the password: sessions made before a change end

    def sees(self, area: str) -> bool:
        return self.role is Role.PROVINCE or area == self.area

    @property
    def label(self) -> str:
        return "province" if self.role is Role.PROVINCE else f"area:{self.area}"


def parse_role(text: str) -> tuple[Role, str]:
    """``province``, or ``area:<name>`` (a commune or ward today; ``district:<name>``, the
    older word, means the same): the user sees the stations of that area only."""
    kind, _, area = text.partition(":")
    if kind == Role.PROVINCE and not area:
        return Role.PROVINCE, ""
    if kind in (Role.AREA, "district") and area.strip():
        return Role.AREA, area.strip()
    raise PlayoutError(
        f"{text!r} is not a role",
        "write --role province, or --role area:<area name> (as the stations have it)",
    )


def _stamp(password_hash: str) -> str:
    return password_hash[-16:]


def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, the library's current recommended parameters


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise PlayoutError(
            f"the password is too short ({len(password)} characters)",
            f"use at least {MIN_PASSWORD} characters; a few unrelated words are easy to remember",
        )


def _areas(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted({str(r[0]) for r in conn.execute(select(stations.c.area)) if r[0]})


def add_user(engine: Engine, name: str, password: str, role: str, now: datetime) -> User:
    kind, area = parse_role(role)
    check_password(password)
    if not name.strip() or name != name.strip():
        raise PlayoutError(f"{name!r} is not a user name", "use a name without spaces at the ends")
    known = _areas(engine)
    if kind is Role.AREA and area not in known:
        raise PlayoutError(
            f"no station of the hub is in the area {area!r}",
            did_you_mean(area, known) if known else "register the area's stations first",
        )
    hashed = _hasher().hash(password)
    with engine.connect() as conn:
        same = conn.execute(
            select(users.c.name).where(func.lower(users.c.name) == name.lower())
        ).scalar()
    if same is not None:  # names are matched whatever their case at login
        raise PlayoutError(
            f"user {same} exists already",
            f"to change the password: playout hub user password {same}",
        )
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(users).values(
                    name=name,
                    password_hash=hashed,
                    role=kind.value,
                    area=area,
                    created_at=now,
                    failed_logins=0,
                )
            )
    except IntegrityError as exc:
        raise PlayoutError(
            f"user {name} exists already",
            f"to change the password: playout hub user password {name}",
        ) from exc
    return User(name, kind, area, _stamp(hashed))


@dataclass(frozen=True)
class UserInfo:
    name: str
    role: str
    created_at: datetime
    last_login: datetime | None
    failed_logins: int
    locked_until: datetime | None


def list_users(engine: Engine) -> list[UserInfo]:
    with engine.connect() as conn:
        rows = conn.execute(select(users).order_by(users.c.role, users.c.area, users.c.name))
        return [
            UserInfo(
                r.name,
                "province" if r.role == Role.PROVINCE else f"area:{r.area}",
                r.created_at,
                r.last_login,
                r.failed_logins,
                r.locked_until,
            )
            for r in rows
        ]


def _known(engine: Engine, name: str) -> None:
    names = [u.name for u in list_users(engine)]
    if name not in names:
        raise PlayoutError(f"there is no user {name!r}", did_you_mean(name, names))


def set_password(engine: Engine, name: str, password: str) -> None:
    """A new password (ends the user's sessions) and the lock lifted."""
    check_password(password)
    _known(engine, name)
    with engine.begin() as conn:
        conn.execute(
            update(users)
            .where(users.c.name == name)
            .values(password_hash=_hasher().hash(password), failed_logins=0, locked_until=None)
        )
        conn.execute(delete(web_sessions).where(web_sessions.c.user_name == name))


def remove_user(engine: Engine, name: str) -> None:
    _known(engine, name)
    with engine.begin() as conn:
        conn.execute(delete(web_sessions).where(web_sessions.c.user_name == name))
        conn.execute(delete(users).where(users.c.name == name))


def _session_key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(engine: Engine, user: User, now: datetime, lasts: timedelta) -> str:
    """A new dashboard session of ``user``: its random id (for the cookie); the hub keeps only
    its sha256, with whose it is and until when."""
    session_id = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(delete(web_sessions).where(web_sessions.c.expires_at <= now))
        conn.execute(
            insert(web_sessions).values(
                id=_session_key(session_id),
                user_name=user.name,
                created_at=now,
                expires_at=now + lasts,
            )
        )
    return session_id


def end_session(engine: Engine, session_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(web_sessions).where(web_sessions.c.id == _session_key(session_id)))


def user_for_session(engine: Engine, session_id: str, now: datetime) -> User | None:
    """The user of a live session (not ended, not expired, the user not removed)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(users.c.name, users.c.role, users.c.area, users.c.password_hash)
            .join(web_sessions, web_sessions.c.user_name == users.c.name)
            .where(web_sessions.c.id == _session_key(session_id), web_sessions.c.expires_at > now)
        ).first()
    if row is None:
        return None
    return User(row.name, Role(row.role), row.area, _stamp(row.password_hash))


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    locked_for: timedelta | None = None  # refused without checking: the user is locked
    failures: int = 0  # failures in a row, this one included


@cache
def _dummy_hash() -> str:
    """Verified when the name is unknown, so a wrong name takes as long as a wrong password."""
    return _hasher().hash(secrets.token_hex(16))


def _lock_after(failures: Any, now: datetime) -> Any:
    """SQL: when a user with ``failures`` failures in a row is locked until (NULL: not)."""
    steps = [
        (failures == FREE_ATTEMPTS + k, now + min(FIRST_LOCK * 2**k, MAX_LOCK)) for k in range(6)
    ]
    return case((failures < FREE_ATTEMPTS, None), *steps, else_=now + MAX_LOCK)


def authenticate(engine: Engine, name: str, password: str, now: datetime) -> LoginResult:
    """Check a login. Every attempt is counted as a failure *before* the password is checked,
    in one row update (PostgreSQL serialises them on the user's row), so guesses sent at once
    cannot all be checked: the lock falls after ``FREE_ATTEMPTS`` of them; a right password
    then clears the count."""
    failures = users.c.failed_logins + 1
    with engine.begin() as conn:
        row = conn.execute(
            update(users)
            .where(
                func.lower(users.c.name) == name.lower(),  # "Tinh" logs in as "tinh"
                or_(users.c.locked_until.is_(None), users.c.locked_until <= now),
            )
            .values(failed_logins=failures, locked_until=_lock_after(failures, now))
            .returning(
                users.c.name,
                users.c.failed_logins,
                users.c.password_hash,
                users.c.role,
                users.c.area,
            )
        ).first()
        if row is None:
            locked = conn.execute(
                select(users.c.locked_until, users.c.failed_logins).where(
                    func.lower(users.c.name) == name.lower()
                )
            ).first()
    hasher = _hasher()
    if row is None:
        if locked is not None and locked.locked_until is not None:
            return LoginResult(None, locked.locked_until - now, locked.failed_logins)
        with contextlib.suppress(VerificationError, InvalidHashError):
            hasher.verify(_dummy_hash(), password)  # an unknown name takes as long
        return LoginResult(None)
    try:
        hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return LoginResult(None, None, row.failed_logins)  # counted already
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None, "last_login": now}
    hashed = row.password_hash
    if hasher.check_needs_rehash(hashed):
        hashed = values["password_hash"] = hasher.hash(password)
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.name == row.name).values(**values))
    return LoginResult(User(row.name, Role(row.role), row.area, _stamp(hashed)))


def user_exists(engine: Engine, name: str) -> bool:
    with engine.connect() as conn:
        found = select(users.c.name).where(func.lower(users.c.name) == name.lower())
        return conn.execute(found).first() is not None


def session_key(engine: Engine) -> str:
    """The key that signs the dashboard's session cookies (made by the migration)."""
    with engine.connect() as conn:
        key = conn.execute(
            select(hub_settings.c.value).where(hub_settings.c.name == "session_key")
        ).scalar_one()
    return str(key)
