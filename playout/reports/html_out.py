"""The report as a printable page (A4, print CSS): the version that gets signed.

Rendered with Jinja2 with autoescaping on, so text from schedules and file names is escaped.
The chart is inline SVG: the page has no external resources and prints the same anywhere.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, select_autoescape

from playout.reports.document import Document

TEMPLATE = """<!DOCTYPE html>
<html lang="{{ w.lang }}">
<head>
<meta charset="utf-8">
<title>{{ title }} - {{ unit }} - {{ period }}</title>
<style>
  @page { size: A4 portrait; margin: 18mm 15mm 18mm 20mm; }
  body { font-family: "Times New Roman", "DejaVu Serif", serif; font-size: 11pt; color: #000; }
  header.gov { display: flex; justify-content: space-between; align-items: flex-start;
               gap: 6mm; text-align: center; }
  /* the agency's names wrap inside their half; the nation and the motto keep their lines */
  header.gov > .agency { flex: 1 1 0; min-width: 0; overflow-wrap: break-word; }
  header.gov > .nation { flex: 0 0 auto; }
  header.gov > .nation > div { white-space: nowrap; }
  .caps { text-transform: uppercase; font-weight: bold; }
  .motto { font-weight: bold; text-decoration: underline; }
  header.gov .above { font-weight: normal; }
  .number { margin-top: 4pt; }
  .signatures .name { font-weight: bold; }
  .issued { text-align: right; font-style: italic; margin: 6pt 0 12pt; }
  h1 { text-align: center; font-size: 14pt; margin: 12pt 0 2pt; }
  .period { text-align: center; font-weight: bold; margin-bottom: 8pt; }
  .summary { margin: 8pt 0; font-weight: bold; }
  h2 { font-size: 12pt; margin: 12pt 0 4pt; break-after: avoid; }
  table { border-collapse: collapse; width: 100%; font-size: 9.5pt; }
  th, td { border: 0.6pt solid #000; padding: 2pt 4pt; }
  td { vertical-align: top; }  /* a wrapped cell: its row reads along its first line */
  th { background: #eee; }
  td.n { text-align: right; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
  .below { font-weight: bold; }
  svg { width: 100%; height: auto; }
  /* a signature block is never split by a page break: one table row, kept whole */
  table.signatures { margin-top: 24pt; width: 100%; font-size: 11pt; break-inside: avoid; }
  table.signatures td { border: none; width: 50%; text-align: center; vertical-align: top;
                        break-inside: avoid; padding: 0 4pt; }
  .signatures .space { height: 60pt; }
  @media screen { body { max-width: 190mm; margin: 10mm auto; } }
</style>
</head>
<body>
<header class="gov">
  <div class="agency"><div class="caps above">{{ above }}</div><div class="caps">{{ unit }}</div>
  {% if number %}<div class="number">{{ number }}</div>{% endif %}</div>
  {% if w['nation'] %}<div class="nation"><div class="caps">{{ w['nation'] }}</div>
  <div class="motto">{{ w['motto'] }}</div></div>{% endif %}
</header>
<p class="issued">{{ issued }}</p>
<h1>{{ title }}</h1>
<p class="period">{{ period }}</p>
<p class="summary">{{ summary }}</p>
{% for kind, number, item in blocks %}
{% if kind == 'table' %}
<section id="{{ item.key }}">
<h2>{{ number }}. {{ item.title }}</h2>
{% if item.rows %}
<table>
<thead><tr>{% for h in item.headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in item.rows %}<tr>{% for c in row %}
<td{% if c is number %} class="n"{% endif %}>{{ c }}</td>{% endfor %}</tr>
{% endfor %}</tbody>
</table>
{% else %}<p>{{ w['none'] }}</p>{% endif %}
</section>
{% else %}
<section id="chart">
<h2>{{ w['chart'] }}</h2>
{% for svg in item %}{{ svg | safe }}{% endfor %}
</section>
{% endif %}
{% endfor %}
<table class="signatures"><tr>
  <td><div class="caps">{{ signers[0] or w['prepared_by'] }}</div><div>{{ w['sign'] }}</div>
    <div class="space"></div><div class="name">{{ prepared_by }}</div></td>
  <td><div class="caps">{{ signers[1] or w['head'] }}</div><div>{{ w['sign'] }}</div>
    <div class="space"></div><div class="name">{{ head_name }}</div></td>
</tr></table>
</body>
</html>
"""


def render_html(doc: Document) -> bytes:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    template = env.from_string(TEMPLATE)
    blocks: list[tuple[str, int, Any]] = []
    number = 0
    for sheet in doc.sheets:
        for table in sheet.tables:
            number += 1
            blocks.append(("table", number, table))
        if sheet.svgs:
            blocks.append(("charts", 0, sheet.svgs))
    page = template.render(
        w=doc.w,
        title=doc.title,
        unit=doc.unit,
        above=doc.above,
        period=doc.period,
        issued=doc.issued,
        summary=doc.summary,
        blocks=blocks,
        prepared_by=doc.prepared_by,
        number=doc.number,
        signers=doc.signers,
        head_name=doc.head_name,
    )
    return page.encode("utf-8")
