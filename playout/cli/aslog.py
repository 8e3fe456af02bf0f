"""``playout log``: the as-run log of a day.

The running daemon answers it (nothing heavy is imported: it answers in ~0.2 s); without a
daemon, or with ``--follow``, the command reads the database itself.
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.control import ask
from playout.cli.output import print_table
from playout.cli.params import DATE
from playout.problems import PlayoutError
from playout.schedule.values import format_date, format_duration

HEADERS = ["Planned", "Started", "Campaign", "Clip", "Played", "Status", "Trigger", "Reason",
           "Airing"]  # fmt: skip


def _line(record: dict[str, Any], tz: ZoneInfo) -> list[str]:
    planned = datetime.fromisoformat(record["planned_start"]).astimezone(tz)
    started = record["actual_start"]
    actual = (
        datetime.fromisoformat(started).astimezone(tz).strftime("%H:%M:%S.%f")[:-3]
        if started
        else ""
    )
    return [
        planned.strftime("%H:%M:%S"),
        actual,
        record["campaign"],
        record["clip"],
        format_duration(record["played_ms"] / 1000),
        record["status"],
        record["trigger"],
        record["reason"],
        record["airing_id"],
    ]


def _show(
    station: str, day: date, tz: ZoneInfo, records: list[dict[str, Any]], as_json: bool
) -> None:
    if as_json:
        for record in records:
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    print_table(
        f"As-run log {station}, {format_date(day)}: {len(records)} airing(s)",
        HEADERS,
        [_line(r, tz) for r in records],
    )


@click.command("log")
@click.option("--date", "day", type=DATE, help="The day to show (default: today).")
@click.option("--today", is_flag=True, help="Show today (the default).")
@click.option("--follow", is_flag=True, help="Keep showing airings as they happen (Ctrl-C stops).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per airing.")
@pass_app
def command(app: AppContext, day: date | None, today: bool, follow: bool, as_json: bool) -> None:
    """Show the as-run log: what aired, when, for how long, and what did not, with why."""
    if today:
        day = None
    if not follow:
        try:
            answer = ask(app, "log", {"day": day.isoformat() if day else None})
        except PlayoutError:  # no daemon (or an older one): read the database here
            answer = None
        if answer is not None:
            _show(
                answer["station"],
                date.fromisoformat(answer["day"]),
                ZoneInfo(answer["timezone"]),
                answer["rows"],
                as_json,
            )
            return
    _from_database(app, day, follow, as_json)


def _from_database(app: AppContext, day: date | None, follow: bool, as_json: bool) -> None:
    from playout.daemon.asrun import AsRunLog, airing_record
    from playout.schedule.loader import read_station

    station = read_station(app.root)
    if station is None:
        raise PlayoutError(
            "no station is defined here", "run playout validate in the station folder"
        )
    tz = station.tz
    if day is None:
        day = app.clock.now().astimezone(tz).date()
    with app.database(create=False) as db:
        if db is None:
            raise PlayoutError(
                f"there is no database yet ({app.database_path()})",
                "the daemon (playout run) creates it when it first airs",
            )
        asrun = AsRunLog(db, station.id)
        rows = asrun.rows(day, day)
        _show(station.id, day, tz, [airing_record(r) for r in rows], as_json)
        if not follow:
            return
        seen = {r.id: r.status for r in rows}
        while True:
            time.sleep(1)
            for row in asrun.rows(day, day):
                if seen.get(row.id) == row.status:
                    continue
                seen[row.id] = row.status
                record = airing_record(row)
                click.echo(
                    json.dumps(record, ensure_ascii=False)
                    if as_json
                    else "  ".join(_line(record, tz)).rstrip()
                )
