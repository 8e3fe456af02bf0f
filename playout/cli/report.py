"""``playout report``: the monthly airtime report (XLSX, CSV or a printable HTML page)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.output import words
from playout.cli.params import DATE
from playout.i18n import msg
from playout.library.catalog import Catalog
from playout.problems import PlayoutError
from playout.reports import LANGS, RENDERERS, build_report, month_bounds
from playout.schedule import load_schedule
from playout.schedule.loader import read_station


def parse_month(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{1,2})/(\d{4})\s*", text) or re.fullmatch(
        r"\s*(\d{4})-(\d{1,2})\s*", text
    )
    if not m:
        raise click.BadParameter(
            words()(msg('"{text}" is not a month; write it as mm/yyyy, e.g. 08/2020', text=text))
        )
    a, b = int(m[1]), int(m[2])
    month, year = (a, b) if "/" in text else (b, a)
    if not 1 <= month <= 12:
        raise click.BadParameter(
            words()(msg('"{text}": there is no month {month}', text=text, month=month))
        )
    return month, year


@click.command("report")
@click.option("--month", "month_text", metavar="MM/YYYY", help="The month (default: last month).")
@click.option("--from", "first", type=DATE, help="First day, instead of a whole month.")
@click.option("--to", "last", type=DATE, help="Last day, included.")
@click.option(
    "--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="xlsx", show_default=True
)
@click.option("--lang", type=click.Choice(LANGS), default="vi", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output file (default: playout-report-<period>.<format>).",
)
@click.option(
    "--by", "prepared_by", help="Prepared by (default: station.report.prepared_by, else blank)."
)
@pass_app
def command(
    app: AppContext,
    month_text: str | None,
    first: date | None,
    last: date | None,
    fmt: str,
    lang: str,
    out: Path | None,
    prepared_by: str | None,
) -> None:
    """Airings planned and aired per campaign and clip, day by day, with what did not air."""
    station = read_station(app.root)
    if station is None:
        raise PlayoutError(
            msg("no station is defined here"), msg("run playout validate in the station folder")
        )
    today = app.clock.now().astimezone(station.tz).date()
    if first is not None or last is not None:
        if first is None or last is None:
            raise PlayoutError(msg("give both --from and --to (or --month)"))
        if last < first:
            raise PlayoutError(msg("--to is before --from"))
        label = f"{first:%Y%m%d}-{last:%Y%m%d}"
    else:
        if month_text:
            month, year = parse_month(month_text)
        else:
            previous = today.replace(day=1) - timedelta(days=1)
            month, year = previous.month, previous.year
        first, last = month_bounds(month, year)
        label = f"{year}-{month:02d}"
    schedule = load_schedule(app.root).schedule
    titles = {c.id: c.title or c.id for c in schedule.campaigns} if schedule else {}
    with app.database(create=False) as db:
        if db is None:
            raise PlayoutError(
                msg("there is no database yet ({path})", path=str(app.database_path())),
                msg("the daemon (playout run) creates it when it first airs"),
            )
        report = build_report(
            db,
            station.id,
            first,
            last,
            tz=station.tz,
            issued=today,
            station_name=station.name,
            area=station.area or "",
            province=station.province or "",
            prepared_by=prepared_by if prepared_by is not None else station.report.prepared_by,
            settings=station.report,
            titles=titles,
            clip_titles=_clip_titles(Catalog(db)),
            now=app.clock.now(),
        )
    data = RENDERERS[fmt](report, lang)
    target = out or Path(f"playout-report-{label}.{fmt}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    said = msg(
        "{target}: {campaigns} campaign(s), {aired} airing(s) aired, {short} not completed",
        target=str(target),
        campaigns=len(report.campaigns),
        aired=report.aired,
        short=len(report.not_completed),
    )
    click.echo(app.words(said))


def _clip_titles(catalog: Catalog) -> dict[str, str]:
    """Each catalogued path's title (a province bundle's copy of a station clip has its)."""
    rows = [c for c in catalog.all_current() if c.title]
    copies = catalog.copies()
    return {f: c.title for c in rows for f in [c.file, *copies.get(c.sha256, [])]}
