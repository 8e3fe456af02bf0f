"""The daemon's background upload to the province hub.

Its own thread and its own database connection: the airer never waits on the network or on
the upload's reads (SQLite WAL: readers never block the as-run writer). Runs at start, then
every ``station.hub.every``; after a failure it retries sooner, with backoff and jitter.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playout.clock import Clock
from playout.problems import PlayoutError
from playout.schedule.model import Station
from playout.store import open_database
from playout.sync import Uploader, load_token, read_state
from playout.sync.bundles import puller_for
from playout.sync.runner import HubError

log = logging.getLogger("playout.sync")

RETRY_FIRST_S = 30.0


class SyncLoop:
    def __init__(
        self,
        db_path: Path,
        root: Path,
        station: Callable[[], Station],
        clock: Clock,
        stopping: threading.Event,
    ) -> None:
        self.db_path = db_path
        self.root = root
        self.station = station
        self.clock = clock
        self.stopping = stopping
        self.wake = threading.Event()
        self.rng = random.Random()
        self.state: dict[str, Any] = {}
        self._failures = 0
        self._last_error = ""

    def run(self) -> None:
        db = open_database(self.db_path)
        try:
            while not self.stopping.is_set():
                delay = self._once(db)
                self.wake.clear()
                if self.clock.wait(delay, self.wake) and self.stopping.is_set():
                    break
        finally:
            db.close()

    def _pull(self, station: Station, token: str, db: Any) -> None:
        """Campaign bundles: a new one is applied by writing its files, which the file watcher
        reloads (the airing on air is never touched); a failure is retried at the next sync."""
        try:
            outcomes = puller_for(self.root, station, token, db).run(self.clock.now())
        except HubError as exc:
            log.warning("campaign bundles not fetched (tried again at the next sync): %s", exc)
            return
        for o in outcomes:
            if o.state == "applied":
                log.info("campaign bundle %s v%d applied", o.name, o.version)
            elif o.state == "waiting":
                log.warning(
                    "campaign bundle %s v%d waits for the operator: playout campaign accept %s",
                    o.name, o.version, o.name,
                )  # fmt: skip
            elif o.state in ("refused", "failed"):
                log.error("campaign bundle %s v%d %s:\n%s", o.name, o.version, o.state, o.reason)
            elif o.state == "removed":
                log.info("campaign bundle %s withdrawn by the province: removed", o.name)

    def _once(self, db: Any) -> float:
        station = self.station()
        if station.hub is None:
            self.state = {}
            return 60.0
        every = station.hub.every.total_seconds()
        try:
            token = load_token(self.root, station.hub)
            result = Uploader(station.hub.url, token, station, rng=self.rng).run(
                db, self.clock, stop=self.stopping
            )
            error = result.error
            if result.rows_sent:
                log.info(
                    "sent %d row(s) to the hub; %d waiting", result.rows_sent, result.rows_waiting
                )
            if not error:  # the hub answers: fetch the province's campaigns too
                self._pull(station, token, db)
        except PlayoutError as exc:
            error = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
        self.state = read_state(db, station.id).as_dict(station.tz)
        if not error:
            if self._failures:
                log.warning("the hub upload works again")
            self._failures, self._last_error = 0, ""
            return every
        self._failures += 1
        if error != self._last_error:  # once per kind of failure, not every retry
            log.error("hub upload failed (the rows wait in the station database): %s", error)
            self._last_error = error
        backoff = min(every, RETRY_FIRST_S * 2 ** min(self._failures - 1, 10))
        return self.rng.uniform(backoff / 2, backoff)
