"""``playout validate``: check every schedule, playlist and clip, report every problem."""

from __future__ import annotations

from pathlib import Path

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.output import print_problems
from playout.library.catalog import Catalog
from playout.station_folder import load_station


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@pass_app
def command(app: AppContext, paths: tuple[Path, ...]) -> None:
    """Check schedules, playlists and their audio; list every problem with file:line.

    PATHS are files or folders (default: schedules/ and playlists/ of the station folder).
    Exits 1 when there are errors; warnings alone do not fail.
    """
    with app.database(create=False) as db:
        loaded = load_station(app.root, paths, catalog=Catalog(db) if db else None)
    print_problems(loaded.problems)
    errors, warnings = len(loaded.errors), len(loaded.warnings)
    if errors:
        click.secho(
            f"{errors} error(s), {warnings} warning(s): the schedule is NOT valid", fg="red"
        )
        click.get_current_context().exit(1)
    schedule = loaded.schedule
    assert schedule is not None
    click.secho(
        f"OK: station {schedule.station.id}, {len(schedule.sessions)} sessions, "
        f"{len(schedule.campaigns)} campaigns, {len(loaded.durations)} clips"
        + (f", {warnings} warning(s)" if warnings else ""),
        fg="green",
    )
