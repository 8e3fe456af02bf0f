"""``playout hub report``: the province's monthly report from every station's as-run log."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.hub import db_option, hub_engine
from playout.cli.report import parse_month
from playout.reports import LANGS, WRITERS, month_bounds
from playout.schedule.model import DEFAULT_TIMEZONE, ReportSettings


@click.command("report")
@click.option("--month", "month_text", metavar="MM/YYYY", help="The month (default: last month).")
@click.option("--area", "--district", "area", help="Only the stations of this area.")
@click.option(
    "--format", "fmt", type=click.Choice(sorted(WRITERS)), default="xlsx", show_default=True
)
@click.option("--lang", type=click.Choice(LANGS), default="vi", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output file (default: province-report-<yyyy-mm>.<format>).",
)
@click.option(
    "--by", "prepared_by", envvar="PLAYOUT_REPORT_BY", help="Prepared by (default: blank)."
)
@click.option(
    "--agency",
    envvar="PLAYOUT_REPORT_AGENCY",
    default="",
    help='The issuing department (default: "Sở Thông tin và Truyền thông").',
)
@click.option(
    "--superior",
    envvar="PLAYOUT_REPORT_SUPERIOR",
    help='The body above it (default: "UBND <province>").',
)
@click.option(
    "--number",
    envvar="PLAYOUT_REPORT_NUMBER",
    default="BC-STTTT",
    show_default=True,
    help="The document number's suffix.",
)
@click.option("--head-title", envvar="PLAYOUT_REPORT_HEAD_TITLE", help='Default "Giám đốc".')
@click.option("--head-name", envvar="PLAYOUT_REPORT_HEAD_NAME", default="", help="Who signs.")
@db_option
@pass_app
def command(
    app: AppContext,
    month_text: str | None,
    area: str | None,
    fmt: str,
    lang: str,
    out: Path | None,
    prepared_by: str | None,
    agency: str,
    superior: str | None,
    number: str,
    head_title: str | None,
    head_name: str,
    db_url: str,
) -> None:
    """Per area, station and campaign: planned, aired, not aired, target met, airtime; and
    the stations that sent no data for the month."""
    from zoneinfo import ZoneInfo

    from playout.hub.report import build_province_report
    from playout.reports.province import province_document

    today = app.clock.now().astimezone(ZoneInfo(DEFAULT_TIMEZONE)).date()
    if month_text:
        month, year = parse_month(month_text)
    else:  # as playout report: the month before this one
        previous = today.replace(day=1) - timedelta(days=1)
        month, year = previous.month, previous.year
    first, last = month_bounds(month, year)
    engine = hub_engine(db_url)
    try:
        report = build_province_report(
            engine,
            first,
            last,
            issued=today,
            area=area,
            prepared_by=prepared_by or "",
        )
        report.agency = agency
        report.settings = ReportSettings(
            superior=superior, number=number, head_title=head_title, head_name=head_name
        )
    finally:
        engine.dispose()
    data = WRITERS[fmt](province_document(report, lang))
    suffix = f"-{area}" if area else ""
    target = out or Path(f"province-report-{year}-{month:02d}{suffix}.{fmt}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    silent = sum(not s.has_data for s in report.stations)
    click.echo(
        f"{target}: {len(report.stations)} station(s), {report.aired} airing(s) aired, "
        f"{silent} station(s) without data"
    )
