"""What every command receives: the station folder, the database path and the clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from playout.clock import Clock, SystemClock
from playout.i18n import Words, language_from

if TYPE_CHECKING:
    from playout.store import Database


@dataclass
class AppContext:
    root: Path
    db: Path | None = None  # --db / PLAYOUT_DB
    clock: Clock = field(default_factory=SystemClock)
    language: str = field(default_factory=language_from)  # --lang / PLAYOUT_LANG

    @property
    def words(self) -> Words:
        """Messages rendered in the operator's language."""
        return Words(self.language)

    def database_path(self) -> Path:
        if self.db is not None:  # --db / PLAYOUT_DB: nothing to read
            return self.db
        # imported here: a command that needs no database (status, --help) never loads them
        from playout.schedule.loader import read_station
        from playout.station_folder import database_path

        return database_path(self.root, read_station(self.root), self.db)

    @contextmanager
    def database(self, *, create: bool = True) -> Iterator[Database | None]:
        """The station database, or None when it does not exist and ``create`` is false."""
        from playout.store import open_database

        path = self.database_path()
        if not create and not path.exists():
            yield None
            return
        db = open_database(path)
        try:
            yield db
        finally:
            db.close()


pass_app = click.make_pass_decorator(AppContext)
