"""``playout log``: the as-run log of a day."""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.output import print_table
from playout.cli.params import DATE
from playout.daemon.asrun import AsRunLog
from playout.problems import PlayoutError
from playout.schedule.loader import read_station
from playout.schedule.types import format_date, format_duration
from playout.store import AiringRow


def _as_dict(row: AiringRow) -> dict[str, Any]:
    return {
        "airing_id": row.airing_id,
        "date": row.day.isoformat(),
        "campaign": row.campaign,
        "session": row.session,
        "clip": row.clip,
        "clip_sha256": row.clip_sha256,
        "planned_start": row.planned_start.isoformat(),
        "planned_ms": row.planned_ms,
        "actual_start": row.actual_start.isoformat() if row.actual_start else None,
        "actual_end": row.actual_end.isoformat() if row.actual_end else None,
        "played_ms": row.played_ms,
        "status": row.status,
        "reason": row.reason,
        "trigger": row.trigger,
        "operator": row.operator,
    }


@click.command("log")
@click.option("--date", "day", type=DATE, help="The day to show (default: today).")
@click.option("--today", is_flag=True, help="Show today (the default).")
@click.option("--follow", is_flag=True, help="Keep showing airings as they happen (Ctrl-C stops).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per airing.")
@pass_app
def command(app: AppContext, day: date | None, today: bool, follow: bool, as_json: bool) -> None:
    """Show the as-run log: what aired, when, for how long, and what did not, with why."""
    station = read_station(app.root)
    if station is None:
        raise PlayoutError(
            "no station is defined here", "run playout validate in the station folder"
        )
    tz = station.tz
    if day is None or today:
        day = app.clock.now().astimezone(tz).date()
    with app.database(create=False) as db:
        if db is None:
            raise PlayoutError(
                f"there is no database yet ({app.database_path()})",
                "the daemon (playout run) creates it when it first airs",
            )
        asrun = AsRunLog(db, station.id)
        rows = asrun.rows(day, day)

        def line(row: AiringRow) -> list[str]:
            planned = row.planned_start.astimezone(tz)
            actual = (
                row.actual_start.astimezone(tz).strftime("%H:%M:%S.%f")[:-3]
                if row.actual_start
                else ""
            )
            return [
                planned.strftime("%H:%M:%S"),
                actual,
                row.campaign,
                row.clip,
                format_duration(row.played_ms / 1000),
                row.status,
                row.trigger,
                row.reason,
                row.airing_id,
            ]

        headers = [
            "Planned",
            "Started",
            "Campaign",
            "Clip",
            "Played",
            "Status",
            "Trigger",
            "Reason",
            "Airing",
        ]
        if as_json:
            for row in rows:
                click.echo(json.dumps(_as_dict(row), ensure_ascii=False))
        else:
            print_table(
                f"As-run log {station.id}, {format_date(day)}: {len(rows)} airing(s)",
                headers,
                [line(r) for r in rows],
            )
        if not follow:
            return
        seen = {r.id: r.status for r in rows}
        while True:
            time.sleep(1)
            for row in asrun.rows(day, day):
                if seen.get(row.id) == row.status:
                    continue
                seen[row.id] = row.status
                click.echo(
                    json.dumps(_as_dict(row), ensure_ascii=False)
                    if as_json
                    else "  ".join(line(row)).rstrip()
                )
