"""Charts drawn on the server as SVG: they show with JavaScript off, print, and carry a title and description
for screen readers. Every chart has a table of the same figures next to it (the page puts it there); a figure
that is hidden from this reader (see disclosure.py) is not drawn, and its label says why.

Colours are from the NHS.UK palette and never the only way to tell series apart: each series is named in a
legend and in the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from pledgecard.insights.disclosure import Cell

TEXT = "#212b32"
GRID = "#d8dde0"
SERIES_COLOURS = ["#005eb8", "#007f3b", "#ffb81c", "#330072", "#aeb7bd", "#d5281b"]
FONT = 'font-family="Frutiger W01, Arial, sans-serif"'


@dataclass(frozen=True)
class Series:
    name: str
    cells: list[Cell]


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _open(chart_id: str, title: str, description: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" class="pc-chart__svg" {FONT}>',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)} '
        "The table with this chart has the same figures.</desc>",
    ]


def _legend(series: list[Series], y: int, x: int = 0) -> tuple[list[str], int]:
    parts, cursor = [], x
    for n, s in enumerate(series):
        colour = SERIES_COLOURS[n % len(SERIES_COLOURS)]
        parts.append(f'<rect x="{cursor}" y="{y}" width="14" height="14" fill="{colour}"/>')
        parts.append(
            f'<text x="{cursor + 20}" y="{y + 12}" font-size="13" fill="{TEXT}">{escape(s.name)}</text>'
        )
        cursor += 34 + 7 * len(s.name)
    return parts, y + 26


def bars(
    chart_id: str,
    title: str,
    description: str,
    labels: list[str],
    series: list[Series],
    *,
    stacked: bool = False,
    width: int = 640,
    label_width: int = 230,
) -> Markup:
    """Horizontal bars, one group per label: side by side (several series) or stacked (parts of a whole)."""
    if not labels:
        return Markup("")
    bar = 18
    per_row = bar if stacked else bar * len(series)
    gap = 12
    if stacked:
        top = max(
            (sum(c.value or 0 for c in (s.cells[i] for s in series)) for i in range(len(labels))), default=0
        )
    else:
        top = max((c.value or 0 for s in series for c in s.cells), default=0)
    top = max(top, 1)
    plot = width - label_width - 110
    scale = plot / top
    legend_rows = 1 if len(series) > 1 else 0
    height = legend_rows * 26 + len(labels) * (per_row + gap) + 8
    parts = _open(chart_id, title, description, width, height)
    y = 4
    if legend_rows:
        legend, y = _legend(series, y)
        parts += legend
    parts.append(
        f'<line x1="{label_width}" y1="{y - 2}" x2="{label_width}" y2="{height - 4}" stroke="{GRID}"/>'
    )
    for i, label in enumerate(labels):
        parts.append(
            f'<text x="{label_width - 8}" y="{y + per_row / 2 + 5:.0f}" font-size="13" text-anchor="end" '
            f'fill="{TEXT}">{escape(_short(label, 30))}</text>'
        )
        x = label_width
        hidden = []
        for n, s in enumerate(series):
            cell = s.cells[i]
            colour = SERIES_COLOURS[n % len(SERIES_COLOURS)]
            if not cell.shown:
                hidden.append(f"{s.name}: {cell.text}" if len(series) > 1 else cell.text)
                if not stacked:
                    parts.append(
                        f'<text x="{label_width + 6}" y="{y + bar - 5}" font-size="12" fill="{TEXT}">'
                        f"{escape(cell.text)}</text>"
                    )
                    y += bar
                continue
            w = cell.value * scale
            if stacked:
                if w > 0:
                    parts.append(
                        f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar - 2}" fill="{colour}"/>'
                    )
                x += w
            else:
                parts.append(
                    f'<rect x="{label_width}" y="{y}" width="{max(w, 0.5):.1f}" height="{bar - 2}" '
                    f'fill="{colour}"/>'
                )
                parts.append(
                    f'<text x="{label_width + w + 6:.1f}" y="{y + bar - 5}" font-size="12" fill="{TEXT}">'
                    f"{escape(cell.text)}</text>"
                )
                y += bar
        if stacked:
            shown_total = sum(s.cells[i].value or 0 for s in series)
            # Hidden parts are not drawn; how many is said here, what they are in the table.
            words = [f"{shown_total:,}"] if shown_total or not hidden else []
            if hidden:
                words.append(f"{len(hidden)} hidden" if len(series) > 1 else hidden[0])
            note = " + ".join(words)
            parts.append(
                f'<text x="{x + 6:.1f}" y="{y + bar - 5}" font-size="12" fill="{TEXT}">{escape(note)}</text>'
            )
            y += bar
        y += gap
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in `parts` went through escape()


def grid(
    chart_id: str,
    title: str,
    description: str,
    labels: list[str],
    cells: list[list[Cell]],
    *,
    width: int = 640,
) -> Markup:
    """A square grid (rows and columns share `labels`), each cell shaded by its figure and labelled."""
    if not labels:
        return Markup("")
    label_width = 200
    size = min(56, (width - label_width) // max(len(labels), 1))
    head = 110
    height = head + size * len(labels) + 4
    top = max((c.value or 0 for row in cells for c in row), default=0) or 1
    parts = _open(chart_id, title, description, width, height)
    for j, label in enumerate(labels):  # column labels, turned to fit
        x = label_width + j * size + size / 2
        parts.append(
            f'<text x="{x:.0f}" y="{head - 6}" font-size="12" fill="{TEXT}" '
            f'transform="rotate(-45 {x:.0f} {head - 6})">{escape(_short(label, 18))}</text>'
        )
    for i, label in enumerate(labels):
        y = head + i * size
        parts.append(
            f'<text x="{label_width - 8}" y="{y + size / 2 + 4:.0f}" font-size="12" text-anchor="end" '
            f'fill="{TEXT}">{escape(_short(label, 28))}</text>'
        )
        for j, cell in enumerate(cells[i]):
            x = label_width + j * size
            if cell.shown:
                share = cell.value / top
                # From white to NHS blue; the figure is written in a colour that stays readable on the shade.
                shade = _mix(share)
                ink = "#ffffff" if share > 0.55 else TEXT
                text = f"{cell.value:,}" if cell.value < 10_000 else f"{cell.value / 1000:.0f}k"
            else:
                shade, ink, text = "#f0f4f5", TEXT, "<5" if cell.hidden == "small" else "–"
            parts.append(
                f'<rect x="{x}" y="{y}" width="{size - 2}" height="{size - 2}" fill="{shade}" '
                f'stroke="{GRID}"/>'
            )
            parts.append(
                f'<text x="{x + (size - 2) / 2:.0f}" y="{y + size / 2 + 4:.0f}" font-size="12" '
                f'text-anchor="middle" fill="{ink}">{escape(text)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in `parts` went through escape()


def _mix(share: float) -> str:
    """White (0) to NHS blue #005eb8 (1)."""
    start, end = (255, 255, 255), (0, 94, 184)
    r, g, b = (round(s + (e - s) * share) for s, e in zip(start, end, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"
