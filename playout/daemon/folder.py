"""The station folder as the running daemon uses it: loaded and checked again at each reload,
checked for ``playout validate``, one file imported for ``playout library import``. The clip
checks stay warm between calls (a clip unchanged since the last check is not decoded again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playout.clock import Clock
from playout.daemon.demo import shift_to_now
from playout.daemon.service import Loaded
from playout.library import ClipChecker
from playout.library.catalog import Catalog
from playout.problems import Problem
from playout.station_folder import LoadedStation, import_file, load_station, validation


@dataclass
class DaemonFolder:
    root: Path
    catalog: Catalog
    clock: Clock
    demo: bool = False  # every campaign moved to a session starting now (``run --demo``)
    checker: ClipChecker = field(default_factory=ClipChecker)

    def check(self) -> LoadedStation:
        """The folder as it is, with every problem (the first load, before the air starts)."""
        return load_station(self.root, catalog=self.catalog, capacity=False, checker=self.checker)

    def load(self) -> Loaded | list[Problem]:
        """What the daemon airs: the schedule, the clips' durations and the approved audio's
        sha256 (what the catalogue recorded at import); the errors when there are any."""
        loaded = self.check()
        if loaded.schedule is None or loaded.errors:
            return loaded.errors
        schedule = loaded.schedule
        if self.demo:
            schedule = shift_to_now(schedule, self.clock.now())
        checksums = {}
        for clip in loaded.durations:
            row = self.catalog.current(clip)
            if row is not None:
                checksums[clip] = row.sha256
        return schedule, loaded.durations, checksums

    def validate(self) -> dict[str, Any]:
        """What ``playout validate`` says of the folder (nothing is applied)."""
        checked = load_station(self.root, catalog=self.catalog, checker=self.checker)
        return validation(checked, str(self.root))

    def import_clip(self, source: Path, into: str, title: str | None) -> dict[str, Any]:
        now = self.clock.now()
        return import_file(self.root, self.catalog, source, into=into, title=title, now=now)
