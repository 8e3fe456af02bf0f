"""The rollout of the province's campaign bundles: for each bundle, every station it is sent to
and what that station did with it (running since, waiting for its operator, refused and why)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select

from playout.hub.bundles import audience_matches, newest_bundles
from playout.hub.schema import rollout, stations


@dataclass(frozen=True)
class StationRollout:
    station_id: str
    name: str
    area: str
    state: str  # a rollout state, or "not_yet"
    version: int
    since: datetime | None
    reason: str


@dataclass
class BundleRollout:
    name: str
    version: int
    audience: str
    published_at: datetime
    published_by: str
    withdrawn: bool
    stations: list[StationRollout] = field(default_factory=list)

    def count(self, state: str) -> int:
        return sum(1 for s in self.stations if s.state == state)


def bundle_rollout(engine: Engine, *, area: str = "", station: str = "") -> list[BundleRollout]:
    """Every bundle with the stations it reaches (of ``area``, or only ``station``)."""
    query = select(stations.c.id, stations.c.name, stations.c.area).where(
        stations.c.revoked_at.is_(None)
    )
    if area:
        query = query.where(stations.c.area == area)
    if station:
        query = query.where(stations.c.id == station)
    with engine.connect() as conn:
        found = conn.execute(query.order_by(stations.c.area, stations.c.name)).all()
        said = {(r.station_id, r.name): r for r in conn.execute(select(rollout))}
        bundles = conn.execute(newest_bundles()).all()
    out = []
    for b in bundles:
        item = BundleRollout(
            b.name, b.version, b.audience, b.published_at, b.published_by,
            b.withdrawn_at is not None,
        )  # fmt: skip
        for s in found:
            r = said.get((s.id, b.name))
            if not audience_matches(b.audience, s.id, s.area) and r is None:
                continue
            if r is None:
                item.stations.append(StationRollout(s.id, s.name, s.area, "not_yet", 0, None, ""))
            else:
                item.stations.append(
                    StationRollout(s.id, s.name, s.area, r.state, r.version, r.since, r.reason)
                )
        if item.stations or not area:
            out.append(item)
    return out
