"""The station's monthly report as a document (see ``document.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from playout.reports.data import Report
from playout.reports.document import BarChart, Document, Sheet
from playout.reports.tables import campaign_table, clip_table, daily_table, not_completed_table
from playout.reports.text import Words


def station_document(report: Report, lang: str) -> Document:
    w = Words(lang)
    n = len(report.campaigns)
    daily = Sheet(
        w["sheet_daily"],
        [daily_table(report, w)],
        svgs=[
            chart_svg(report, f.campaign, w.title(f.campaign, f.title), w) for f in report.campaigns
        ],
        chart=BarChart(
            w["chart"], w["aired"], [(2 + 2 * i, 3 + 2 * i) for i in range(n)], len(report.days)
        ),
    )
    settings = report.settings
    if settings.superior:
        above = settings.superior
    elif report.area:
        above = f"{w['people_committee']} {report.area}"
    else:
        above = report.province
    return Document(
        w=w,
        above=above,
        unit=report.station_name or report.station_id,
        title=w["title"],
        subject=f"{w['station']}: {report.station_name or report.station_id}",
        period=w.period(report),
        issued=w.issued(report, settings.place),
        summary=w.summary(report),
        sheets=[
            # one table a sheet: each sheet's columns fit its own table when printed
            Sheet(w["sheet_summary"], [campaign_table(report, w)]),
            Sheet(w["sheet_clips"], [clip_table(report, w)]),
            daily,
            Sheet(
                w["sheet_not_completed"],
                [not_completed_table(report, w)],
            ),
        ],
        prepared_by=report.prepared_by,
        number=w["number"].format(prefix=settings.number),
        signers=(settings.prepared_by_title or w["prepared_by"], settings.head_title or w["head"]),
        head_name=settings.head_name,
    )


def _esc(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def chart_svg(report: Report, campaign: str, title: str, w: Words) -> str:
    """Bars: airings per day; a line: the day's target."""
    days = report.days
    return bars_svg(days, [report.grid[(d, campaign)] for d in days], title, w)


def bars_svg(days: Sequence[date], values: Sequence[tuple[int, int]], title: str, w: Words) -> str:
    """One bar per day (aired) and a line over them (the day's target); the station report and
    the hub's station page draw the same chart."""
    top = max([1] + [max(a, t) for a, t in values])
    width, height, left, bottom = 700, 190, 30, 20
    plot_w, plot_h = width - left - 10, height - bottom - 25
    step = plot_w / max(len(days), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{_esc(title)}">',
        f'<text x="{left}" y="14" font-size="12" font-weight="bold">{_esc(title)}</text>',
    ]
    for k in range(top + 1):
        y = 25 + plot_h - k * plot_h / top
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ccc" '
            'stroke-width="0.5"/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{y + 3:.1f}" font-size="8" text-anchor="end">{k}</text>'
        )
    points = []
    for i, (day, (aired, target)) in enumerate(zip(days, values, strict=True)):
        x = left + i * step
        bar_h = aired * plot_h / top
        parts.append(
            f'<rect class="aired" x="{x + step * 0.15:.1f}" y="{25 + plot_h - bar_h:.1f}" '
            f'width="{step * 0.7:.1f}" height="{bar_h:.1f}" fill="#4a7ebb"/>'
        )
        y_target = 25 + plot_h - target * plot_h / top
        points.append(f"{x + step / 2:.1f},{y_target:.1f}")
        # a mark across each day's bar: the target stays visible for a period of one day
        parts.append(
            f'<line class="target-mark" x1="{x + step * 0.1:.1f}" x2="{x + step * 0.9:.1f}" '
            f'y1="{y_target:.1f}" y2="{y_target:.1f}" stroke="#c00" stroke-width="2"/>'
        )
        if len(days) <= 31:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{height - 6}" font-size="8" '
                f'text-anchor="middle">{day.day}</text>'
            )
    parts.append(
        f'<polyline class="target" points="{" ".join(points)}" fill="none" stroke="#c00" '
        'stroke-width="1.5"/>'
    )
    parts.append(
        f'<text x="{width - 10}" y="14" font-size="9" text-anchor="end">'
        f'<tspan fill="#4a7ebb">■ {_esc(w["aired"])}</tspan>  '
        f'<tspan fill="#c00">— {_esc(w["target"])}</tspan></text>'
    )
    parts.append("</svg>")
    return "".join(parts)
