"""Bar charts drawn on the server as SVG: no script, nothing from another origin, readable
when printed. The numbers are also in the table beside the chart; the chart is a picture of
them with a text alternative."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

BAR = 14
GAP = 6
LABEL_WIDTH = 120
CHART_WIDTH = 640
FONT = 13


@dataclass(frozen=True, slots=True)
class Series:
    key: str
    label: str
    colour: str  # a colour that keeps 3:1 contrast against white


def grouped_bars(title: str, groups: Sequence[tuple[str, dict[str, int]]],
                 series: Sequence[Series]) -> Markup:
    """Horizontal bars, one group per label, one bar per series, scaled to the largest."""
    top = max((v.get(s.key, 0) for _, v in groups for s in series), default=0) or 1
    plot = CHART_WIDTH - LABEL_WIDTH - 50
    group_height = len(series) * (BAR + 2) + GAP * 2
    legend_height = 24
    height = legend_height + len(groups) * group_height + GAP
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'viewBox="0 0 {CHART_WIDTH} {height}" aria-labelledby="chart-title">',
             f'<title id="chart-title">{escape(title)}</title>']
    x = 0
    for s in series:
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{s.colour}"/>'
                     f'<text x="{x + 16}" y="15" font-size="{FONT}">{escape(s.label)}</text>')
        x += 24 + len(s.label) * 7
    y = legend_height
    for label, values in groups:
        parts.append(f'<text x="0" y="{y + group_height / 2 + 4:.0f}" font-size="{FONT}">'
                     f'{escape(label)}</text>')
        bar_y = y + GAP
        for s in series:
            value = values.get(s.key, 0)
            width = round(plot * value / top)
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{bar_y}" width="{width}" height="{BAR}" '
                         f'fill="{s.colour}"><title>{escape(label)} – {escape(s.label)}: '
                         f'{value}</title></rect>'
                         f'<text x="{LABEL_WIDTH + width + 4}" y="{bar_y + BAR - 3}" '
                         f'font-size="{FONT - 1}">{value}</text>')
            bar_y += BAR + 2
        y += group_height
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text in it is escaped above)
