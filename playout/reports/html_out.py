"""The report as a printable page (A4, print CSS): the version that gets signed.

Rendered with Jinja2 with autoescaping on, so text from schedules and file names is escaped.
The chart is inline SVG: the page has no external resources and prints the same anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Environment, select_autoescape

from playout.reports.data import Report
from playout.reports.tables import all_tables
from playout.reports.text import Words

TEMPLATE = """<!DOCTYPE html>
<html lang="{{ w.lang }}">
<head>
<meta charset="utf-8">
<title>{{ w['title'] }} - {{ station }} - {{ period }}</title>
<style>
  @page { size: A4 portrait; margin: 18mm 15mm 18mm 20mm; }
  body { font-family: "Times New Roman", "DejaVu Serif", serif; font-size: 11pt; color: #000; }
  header.gov { display: flex; justify-content: space-between; text-align: center; }
  header.gov div { width: 48%; }
  .caps { text-transform: uppercase; font-weight: bold; }
  .motto { font-weight: bold; text-decoration: underline; }
  .issued { text-align: right; font-style: italic; margin: 6pt 0 12pt; }
  h1 { text-align: center; font-size: 14pt; margin: 12pt 0 2pt; }
  .period { text-align: center; font-weight: bold; margin-bottom: 8pt; }
  .summary { margin: 8pt 0; font-weight: bold; }
  h2 { font-size: 12pt; margin: 12pt 0 4pt; break-after: avoid; }
  table { border-collapse: collapse; width: 100%; font-size: 9.5pt; }
  th, td { border: 0.6pt solid #000; padding: 2pt 4pt; }
  th { background: #eee; }
  td.n { text-align: right; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
  .below { font-weight: bold; }
  svg { width: 100%; height: auto; }
  .signatures { display: flex; justify-content: space-between; margin-top: 24pt;
                text-align: center; break-inside: avoid; }
  .signatures div { width: 45%; }
  .signatures .space { height: 60pt; }
  @media screen { body { max-width: 190mm; margin: 10mm auto; } }
</style>
</head>
<body>
<header class="gov">
  <div><div>{{ province }}</div><div class="caps">{{ station }}</div></div>
  {% if w['nation'] %}<div><div class="caps">{{ w['nation'] }}</div>
  <div class="motto">{{ w['motto'] }}</div></div>{% endif %}
</header>
<p class="issued">{{ issued }}</p>
<h1>{{ w['title'] }}</h1>
<p class="period">{{ period }}</p>
<p class="summary">{{ summary }}</p>
{% for t in tables %}
<section id="{{ t.key }}">
<h2>{{ loop.index }}. {{ t.title }}</h2>
{% if t.rows %}
<table>
<thead><tr>{% for h in t.headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in t.rows %}<tr>{% for c in row %}
<td{% if c is number %} class="n"{% endif %}>{{ c }}</td>{% endfor %}</tr>
{% endfor %}</tbody>
</table>
{% else %}<p>{{ w['none'] }}</p>{% endif %}
</section>
{% if t.key == 'daily' %}
<section id="chart">
<h2>{{ w['chart'] }}</h2>
{% for c in charts %}{{ c.svg | safe }}{% endfor %}
</section>
{% endif %}
{% endfor %}
<div class="signatures">
  <div><div class="caps">{{ w['prepared_by'] }}</div><div>{{ w['sign'] }}</div>
    <div class="space"></div><div>{{ prepared_by }}</div></div>
  <div><div class="caps">{{ w['head'] }}</div><div>{{ w['sign'] }}</div>
    <div class="space"></div></div>
</div>
</body>
</html>
"""


@dataclass(frozen=True)
class Chart:
    campaign: str
    svg: str


def _esc(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def chart_svg(report: Report, campaign: str, title: str, w: Words) -> str:
    """Bars: airings per day; a line: the day's target."""
    days = report.days
    values = [report.grid[(d, campaign)] for d in days]
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
        points.append(f"{x + step / 2:.1f},{25 + plot_h - target * plot_h / top:.1f}")
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


def render_html(report: Report, lang: str) -> bytes:
    w = Words(lang)
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    template = env.from_string(TEMPLATE)
    charts = [
        Chart(f.campaign, chart_svg(report, f.campaign, f.title, w)) for f in report.campaigns
    ]
    page = template.render(
        w=w,
        station=report.station_name or report.station_id,
        province=report.district or report.province,
        period=w.period(report),
        issued=w.issued(report),
        summary=w.summary(report),
        tables=all_tables(report, w),
        charts=charts,
        prepared_by=report.prepared_by,
    )
    return page.encode("utf-8")
