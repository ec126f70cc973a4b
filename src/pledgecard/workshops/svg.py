"""A server-rendered bar chart of demand against places, drawn as accessible SVG with a table behind it."""

from markupsafe import Markup, escape


def demand_chart(rows, *, width=640, bar_height=22, gap=10, label_width=260) -> Markup:
    """Two bars per workshop: first choices (dark) and places (light)."""
    if not rows:
        return Markup("")
    top = max(max(r.first_choices, r.places, 1) for r in rows)
    scale = (width - label_width - 60) / top
    height = len(rows) * (2 * bar_height + gap) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="demand-title"><title id="demand-title">First choices against places for each workshop. '
        f'The table below has the same figures.</title>'
    ]
    y = 20
    for r in rows:
        title = r.workshop.title if len(r.workshop.title) <= 40 else r.workshop.title[:38] + "…"
        parts.append(f'<text x="0" y="{y + bar_height}" font-size="13" fill="#212b32">{escape(title)}</text>')
        for value, colour, label in [(r.first_choices, "#005eb8", "first choices"), (r.places, "#aeb7bd", "places")]:
            w = max(1, value * scale)
            parts.append(f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_height - 2}" fill="{colour}"/>')
            parts.append(f'<text x="{label_width + w + 6:.1f}" y="{y + bar_height - 6}" font-size="12" '
                         f'fill="#212b32">{value} {label}</text>')
            y += bar_height
        y += gap
    parts.append("</svg>")
    return Markup("".join(parts))
