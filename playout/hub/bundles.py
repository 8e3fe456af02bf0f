"""Publishing campaign bundles at the province (``playout hub campaign``), and serving them.

A bundle checked by ``bundle_check.py`` is stored here, every file once by sha256. Each
publication is a new version; publishing the same files to the same audience again changes
nothing. The bundle's format and the station's side are in ``playout/sync/bundle_format.py`` and
``playout/sync/bundles.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import yaml
from sqlalchemy import Connection, Engine, Select, case, func, select, update
from sqlalchemy.dialects.postgresql import insert

from playout.hub.bundle_check import CheckedBundle
from playout.hub.schema import blobs, bundles, rollout, stations
from playout.problems import PlayoutError, did_you_mean
from playout.sync.bundle_format import (
    NAME_PATTERN,
    Manifest,
)


def parse_audience(engine: Engine, text: str) -> str:
    """``all``, ``area:<name>`` (``district:<name>``, the older word, means the same) or
    ``station:<id>``, checked against the stations; an area is stored as ``area:<name>``."""
    kind, _, value = text.partition(":")
    with engine.connect() as conn:
        if kind == "all" and not value:
            return "all"
        if kind in ("area", "district") and value:
            known = sorted({r[0] for r in conn.execute(select(stations.c.area)) if r[0]})
            if value not in known:
                raise PlayoutError(
                    f"no station of the hub is in the area {value!r}",
                    did_you_mean(value, known) if known else "register stations first",
                )
            return f"area:{value}"
        if kind == "station" and value:
            ids = [r[0] for r in conn.execute(select(stations.c.id))]
            if value not in ids:
                raise PlayoutError(
                    f"there is no station {value} on this hub", did_you_mean(value, ids)
                )
            return text
    raise PlayoutError(
        f"--to {text!r} is not an audience",
        "write --to all, --to area:<area name> or --to station:<station id>",
    )


@dataclass(frozen=True)
class Published:
    name: str
    version: int
    audience: str
    files: int
    new_blobs: int
    unchanged: bool


def publish(
    engine: Engine, checked: CheckedBundle, name: str, audience: str, by: str, now: datetime
) -> Published:
    """Store a checked bundle as the next version of ``name`` (or nothing when the newest
    version has the same files and audience)."""
    if not re.fullmatch(NAME_PATTERN, name):
        raise PlayoutError(
            f'"{name}" cannot name a bundle',
            "use lower-case letters, digits and '-', e.g. bluezone-2020 (--name)",
        )
    assert not checked.errors
    files = sorted(checked.files, key=lambda f: f.path)
    new_blobs = 0
    mine = {
        cid
        for f in files
        if f.kind == "schedule"
        for cid in campaign_ids(checked.contents[f.sha256].read_bytes())
    }
    with engine.begin() as conn:
        # one publisher at a time per name: the version numbers never collide
        conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(name))))
        _refuse_taken_ids(conn, name, mine)
        newest = conn.execute(
            select(
                bundles.c.version, bundles.c.audience, bundles.c.manifest, bundles.c.withdrawn_at
            )
            .where(bundles.c.name == name)
            .order_by(bundles.c.version.desc())
            .limit(1)
        ).first()
        listed = [f.as_dict() for f in files]
        if (
            newest is not None
            and newest.withdrawn_at is None
            and newest.audience == audience
            and newest.manifest.get("files") == listed
        ):
            return Published(name, newest.version, audience, len(files), 0, True)
        have = set(
            conn.execute(
                select(blobs.c.sha256).where(blobs.c.sha256.in_([f.sha256 for f in files]))
            ).scalars()
        )
        for f in files:
            if f.sha256 in have:
                continue
            content = checked.contents[f.sha256].read_bytes()
            conn.execute(
                insert(blobs)
                .values(sha256=f.sha256, size=len(content), content=content, created_at=now)
                .on_conflict_do_nothing()
            )
            have.add(f.sha256)
            new_blobs += 1
        version = (newest.version if newest is not None else 0) + 1
        manifest = Manifest(name, version, tuple(files), now.isoformat()).as_dict()
        conn.execute(
            bundles.insert().values(
                name=name, version=version, audience=audience, published_at=now,
                published_by=by, manifest=manifest,
            )
        )  # fmt: skip
    return Published(name, version, audience, len(files), new_blobs, False)


def _campaigns(schedule_yaml: bytes) -> list[dict[str, Any]]:
    """The campaigns a bundle's schedule file defines, each with a string id (nothing when it
    cannot be read)."""
    try:
        data = yaml.safe_load(schedule_yaml.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return []
    campaigns = data.get("campaigns") if isinstance(data, dict) else None
    return [c for c in campaigns or [] if isinstance(c, dict) and isinstance(c.get("id"), str)]


def campaign_ids(schedule_yaml: bytes) -> list[str]:
    return [str(c["id"]) for c in _campaigns(schedule_yaml)]


def campaign_titles(conn: Connection) -> dict[str, str]:
    """campaign id -> its title, for the province's campaigns (the newest version of every
    bundle, withdrawn ones too: their months stay in the reports). Officials read titles
    ("Bluezone - bản ngắn"); a campaign without one, or a station's own, keeps its id."""
    titles: dict[str, str] = {}
    for bundle in conn.execute(newest_bundles()).all():
        for f in bundle.manifest.get("files", []):
            if f.get("kind") != "schedule":
                continue
            content = conn.execute(
                select(blobs.c.content).where(blobs.c.sha256 == f["sha256"])
            ).scalar()
            titles.update(_titles(bytes(content or b"")))
    return titles


@lru_cache(maxsize=256)
def _titles(schedule_yaml: bytes) -> dict[str, str]:
    """A schedule file's campaign titles (parsed once per content: pages ask every minute)."""
    out = {}
    for c in _campaigns(schedule_yaml):
        title = c.get("title")
        if isinstance(title, str) and title.strip():
            out[str(c["id"])] = title.strip()
    return out


def _refuse_taken_ids(conn: Connection, name: str, mine: set[str]) -> None:
    """A campaign id is unique in a station: a bundle whose campaigns another live bundle has
    (the same folder published under a new name, say) would be refused by every station."""
    for other in conn.execute(newest_bundles()).all():
        if other.name == name or other.withdrawn_at is not None:
            continue
        for f in other.manifest.get("files", []):
            if f.get("kind") != "schedule":
                continue
            content = conn.execute(
                select(blobs.c.content).where(blobs.c.sha256 == f["sha256"])
            ).scalar()
            taken = mine & set(campaign_ids(bytes(content or b"")))
            if taken:
                raise PlayoutError(
                    f"the bundle {other.name} has the campaign(s) {', '.join(sorted(taken))} "
                    "already: every station would refuse this one (a campaign id is unique in "
                    "a station)",
                    f"to change {other.name}, publish this folder as --name {other.name} (its "
                    f"next version); else withdraw {other.name} first, or give these campaigns "
                    "other ids",
                )


@dataclass(frozen=True)
class BundleInfo:
    name: str
    version: int
    audience: str
    published_at: datetime
    published_by: str
    withdrawn_at: datetime | None
    files: int
    size: int
    states: dict[str, int]  # rollout state -> stations


def newest_bundles() -> Select[Any]:
    """The newest version of every bundle."""
    top = (
        select(bundles.c.name, func.max(bundles.c.version).label("version"))
        .group_by(bundles.c.name)
        .subquery()
    )
    return (
        select(bundles)
        .join(top, (bundles.c.name == top.c.name) & (bundles.c.version == top.c.version))
        .order_by(bundles.c.name)
    )


def list_bundles(engine: Engine) -> list[BundleInfo]:
    """The newest version of every bundle, with its rollout."""
    with engine.connect() as conn:
        rows = conn.execute(newest_bundles()).all()
        states: dict[str, dict[str, int]] = {}
        for name, version, state, n in conn.execute(
            select(rollout.c.name, rollout.c.version, rollout.c.state, func.count()).group_by(
                rollout.c.name, rollout.c.version, rollout.c.state
            )
        ):
            newest = next((r.version for r in rows if r.name == name), None)
            key = state if version == newest else f"{state} (older version)"
            states.setdefault(name, {})[key] = states.setdefault(name, {}).get(key, 0) + n
    return [
        BundleInfo(
            r.name, r.version, r.audience, r.published_at, r.published_by, r.withdrawn_at,
            len(r.manifest.get("files", [])), sum(f["size"] for f in r.manifest.get("files", [])),
            states.get(r.name, {}),
        )
        for r in rows
    ]  # fmt: skip


def withdraw(engine: Engine, name: str, now: datetime) -> int:
    """Withdraw every version of ``name``: stations remove its files (clips stay)."""
    with engine.begin() as conn:
        names = sorted({r[0] for r in conn.execute(select(bundles.c.name))})
        if name not in names:
            raise PlayoutError(f"there is no bundle {name!r}", did_you_mean(name, names))
        done = conn.execute(
            update(bundles)
            .where(bundles.c.name == name, bundles.c.withdrawn_at.is_(None))
            .values(withdrawn_at=now)
        )
    return int(done.rowcount)


def audience_matches(audience: str, station_id: str, area: str) -> bool:
    return audience == "all" or audience == f"area:{area}" or audience == f"station:{station_id}"


def bundles_for(engine: Engine, station_id: str) -> dict[str, Any]:
    """What a station must hold: the newest live version of each bundle addressed to it, and
    the names it must drop (withdrawn, or no longer addressed to it)."""
    with engine.connect() as conn:
        area = conn.execute(select(stations.c.area).where(stations.c.id == station_id)).scalar_one()
        rows = conn.execute(newest_bundles()).all()
    live, drop = [], []
    for r in rows:
        if r.withdrawn_at is None and audience_matches(r.audience, station_id, area):
            live.append(r.manifest)
        else:
            drop.append(r.name)
    return {"bundles": live, "drop": drop}


def blob_for(engine: Engine, station_id: str, sha256: str) -> int | None:
    """The size of a blob this station may fetch (one of its live bundles names it), or None."""
    wanted = bundles_for(engine, station_id)["bundles"]
    if not any(f["sha256"] == sha256 for m in wanted for f in m["files"]):
        return None
    with engine.connect() as conn:
        size = conn.execute(select(blobs.c.size).where(blobs.c.sha256 == sha256)).scalar()
    return int(size) if size is not None else None


def read_blob(engine: Engine, sha256: str, start: int, length: int) -> bytes:
    with engine.connect() as conn:
        part = conn.execute(
            select(func.substring(blobs.c.content, start + 1, length)).where(
                blobs.c.sha256 == sha256
            )
        ).scalar_one()
    return bytes(part)


ROLLOUT_STATES = ("applied", "waiting", "refused", "declined", "removed")


def record_rollout(engine: Engine, station_id: str, report: Any, now: datetime) -> None:
    """Store what a station did with a bundle (the newest word per station and bundle)."""
    if not isinstance(report, dict):
        raise ValueError("the report is not an object")
    name, version, state = report.get("name"), report.get("version"), report.get("state")
    reason = str(report.get("reason", ""))[:2000]
    if not isinstance(name, str) or not re.fullmatch(NAME_PATTERN, name):
        raise ValueError("the report names no bundle")
    if not isinstance(version, int) or isinstance(version, bool) or state not in ROLLOUT_STATES:
        raise ValueError("the report has no valid version or state")
    if not 0 < version < 2**31:
        raise ValueError("the report has no valid version or state")
    with engine.connect() as conn:
        area = conn.execute(select(stations.c.area).where(stations.c.id == station_id)).scalar_one()
        audience = conn.execute(
            select(bundles.c.audience).where(bundles.c.name == name, bundles.c.version == version)
        ).scalar()
    if audience is None or not audience_matches(audience, station_id, area):
        # a station speaks only of what was sent to it: never of another area's bundle
        raise ValueError(f"bundle {name} version {version} was not addressed to this station")
    stmt = insert(rollout).values(
        station_id=station_id, name=name, version=version, state=state, reason=reason,
        since=now, updated_at=now,
    )  # fmt: skip
    changed = (rollout.c.version != stmt.excluded.version) | (
        rollout.c.state != stmt.excluded.state
    )
    with engine.begin() as conn:
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["station_id", "name"],
                set_={
                    "version": stmt.excluded.version,
                    "state": stmt.excluded.state,
                    "reason": stmt.excluded.reason,
                    "updated_at": stmt.excluded.updated_at,
                    # 'since' moves only when the version or the state changes
                    "since": case((changed, stmt.excluded.since), else_=rollout.c.since),
                },
            )
        )
