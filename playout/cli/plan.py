"""``playout plan``: show what will air in a period, and what will not fit."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, timedelta

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.output import print_problems, print_table
from playout.cli.params import DATE
from playout.i18n import Text, Words, msg
from playout.planning import Plan, plan
from playout.problems import PlayoutError
from playout.schedule.types import format_date, format_duration
from playout.station_folder import load_station

FORMATS = ("table", "json", "csv")


@click.command("plan")
@click.option("--from", "first", type=DATE, help="First day (default: Monday of this week).")
@click.option("--to", "last", type=DATE, help="Last day, included (default: 6 days after --from).")
@click.option(
    "--level",
    type=click.IntRange(1, 9),
    default=1,
    show_default=True,
    help="Alert level to plan for (1 = normal).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@pass_app
def command(app: AppContext, first: date | None, last: date | None, level: int, fmt: str) -> None:
    """Print the airings of a period and a per-day summary of requested vs placed airings."""
    loaded = load_station(app.root, capacity=False)
    if loaded.schedule is None or loaded.errors:
        raise PlayoutError(
            msg("the schedule has errors, so no plan can be made"),
            msg("fix the errors above (playout validate lists them)"),
            loaded.problems,
        )
    schedule = loaded.schedule
    print_problems(loaded.warnings, err=True)
    if first is None:
        today = app.clock.now().astimezone(schedule.station.tz).date()
        first = today - timedelta(days=today.weekday())
    if last is None:
        last = first + timedelta(days=6)
    if last < first:
        raise PlayoutError(
            msg(
                "--to {last} is before --from {first}",
                last=format_date(last),
                first=format_date(first),
            ),
            msg("give the first day with --from and the last with --to"),
        )
    if (last - first).days > 3660:
        raise PlayoutError(msg("the period is longer than ten years"), msg("plan a shorter period"))
    result = plan(schedule, first, last, durations=loaded.durations, level=level)
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    elif fmt == "csv":
        _write_csv(result)
    else:
        _print_tables(result, app.words)


def _write_csv(result: Plan) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(
        [
            "airing_id",
            "date",
            "start",
            "end",
            "session",
            "campaign",
            "clip",
            "duration_s",
            "priority",
            "placement",
        ]
    )
    for a in result.airings:
        writer.writerow(
            [
                a.airing_id,
                format_date(a.day),
                a.start.strftime("%H:%M:%S"),
                a.end.strftime("%H:%M:%S"),
                a.session,
                a.campaign,
                a.clip,
                f"{a.duration_ms / 1000:.3f}",
                a.priority.value,
                a.placement.value,
            ]
        )


def _print_tables(result: Plan, say: Words) -> None:
    rows = [
        [
            format_date(a.day),
            a.start.strftime("%H:%M:%S"),
            a.session,
            a.campaign,
            a.clip,
            format_duration(a.duration_ms / 1000),
            a.priority.value,
            a.airing_id
            + (say(msg(" (moved from {wanted})", wanted=f"{a.wanted:%H:%M}")) if a.wanted else ""),
        ]
        for a in result.airings
    ]
    period = f"{format_date(result.first)} - {format_date(result.last)}"
    level: Text = msg(", alert level {level}", level=result.level) if result.level > 1 else ""
    title = msg(
        "Plan for {station}, {period}{level}: {n} airings",
        station=result.station,
        period=period,
        level=level,
        n=len(result.airings),
    )
    headers = [msg("Date"), msg("Time"), msg("Session"), msg("Campaign"), msg("Clip"),
               msg("Length"), msg("Priority"), msg("Airing")]  # fmt: skip
    print_table(say(title), [say(h) for h in headers], rows)
    campaigns = sorted({c.campaign for c in result.counts})
    by_day: dict[date, dict[str, str]] = {}
    for c in result.counts:
        mark = "" if c.placed >= c.requested else " !"
        by_day.setdefault(c.day, {})[c.campaign] = f"{c.placed}/{c.requested}{mark}"
    summary = [
        [format_date(d), *(cells.get(name, "-") for name in campaigns)]
        for d, cells in sorted(by_day.items())
    ]
    print_table(
        say(msg("Per day: placed/requested (! = short)")), [say(msg("Date")), *campaigns], summary
    )
    if result.shortfalls:
        short = [msg("Date"), msg("Campaign"), msg("Wanted"), msg("Airing"), msg("Reason")]
        print_table(
            say(msg("Not placed: {n}", n=len(result.shortfalls))),
            [say(h) for h in short],
            [
                [
                    format_date(s.day),
                    s.campaign,
                    s.wanted.strftime("%H:%M") if s.wanted else "",
                    s.airing_id,
                    say(s.said or s.reason),
                ]
                for s in result.shortfalls
            ],
        )
    else:
        click.echo(say(msg("Every requested airing is placed.")))
