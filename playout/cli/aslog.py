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
from playout.cli.output import print_table, words
from playout.cli.params import DATE
from playout.i18n import Msg, Words, msg
from playout.problems import PlayoutError
from playout.reasons import render
from playout.schedule.values import format_date, format_duration

HEADERS = [msg("Planned"), msg("Started"), msg("Campaign"), msg("Clip"), msg("Played"),
           msg("Status"), msg("Trigger"), msg("Reason"), msg("Airing")]  # fmt: skip
# the as-run log's codes, in words (the log keeps the codes)
WORDS: dict[str, Msg] = {
    "playing": msg("playing"),
    "completed": msg("completed"),
    "interrupted": msg("interrupted"),
    "failed": msg("failed"),
    "missed": msg("missed"),
    "skipped": msg("skipped"),
    "schedule": msg("schedule"),
    "make-good": msg("make-good"),
    "fallback": msg("fallback"),
    "manual": msg("manual"),
    "priority": msg("priority"),
    "emergency": msg("emergency"),
}


def _line(record: dict[str, Any], tz: ZoneInfo, say: Words) -> list[str]:
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
        say(WORDS.get(record["status"], record["status"])),
        say(WORDS.get(record["trigger"], record["trigger"])),
        render(record["reason"], say.language) if record["reason"] else "",
        record["airing_id"],
    ]


def _show(
    station: str, day: date, tz: ZoneInfo, records: list[dict[str, Any]], as_json: bool
) -> None:
    if as_json:
        for record in records:
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    say = words()
    print_table(
        say(
            msg(
                "As-run log {station}, {day}: {n} airing(s)",
                station=station,
                day=format_date(day),
                n=len(records),
            )
        ),
        [say(h) for h in HEADERS],
        [_line(r, tz, say) for r in records],
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
            msg("no station is defined here"), msg("run playout validate in the station folder")
        )
    tz = station.tz
    if day is None:
        day = app.clock.now().astimezone(tz).date()
    with app.database(create=False) as db:
        if db is None:
            raise PlayoutError(
                msg("there is no database yet ({path})", path=str(app.database_path())),
                msg("the daemon (playout run) creates it when it first airs"),
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
                    else "  ".join(_line(record, tz, app.words)).rstrip()
                )
