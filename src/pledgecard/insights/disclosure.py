"""What a reader may see of a count: the one place that decides, for pages, charts and downloads alike.

Leaders see a count from 1 to 4 as "fewer than 5", so that nobody can be picked out of a small group;
organisers see exact counts. Hiding a small count is not enough where a total is shown beside it: with one
part hidden, the total minus the parts shown gives it back. So a table's figures are protected along *lines*,
each a set of parts and the total they add up to (a row with its row total, a column with its column total).
While a line has exactly one hidden figure, the smallest figure still shown in it (a part, or else the total)
is hidden too, as "not shown". Zero is always shown: "nobody" picks nobody out.

Not covered, and said so on the pages: the difference between two figures that are not parts of one total
(e.g. registered minus attended), and sums across different tables.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

SMALLEST_SHOWN = 5
FEWER_THAN_5 = "fewer than 5"
NOT_SHOWN = "not shown"


@dataclass(frozen=True)
class Cell:
    """A figure as a reader sees it. `value` is None when it is hidden; `text` is what is written."""

    value: int | None
    text: str
    hidden: str = ""  # "" (shown), "small" (from 1 to 4) or "secondary" (would give a small one away)

    @property
    def shown(self) -> bool:
        return self.value is not None

    def __str__(self) -> str:
        return self.text


def exact(n: int) -> Cell:
    """A figure that is not about people (places in a room, number of events): always shown."""
    return Cell(int(n), f"{int(n):,}")


def shown(n: int, *, exact_counts: bool) -> Cell:
    """One count as this reader may see it: the rule every page, chart and download goes through."""
    n = int(n or 0)
    if not exact_counts and 0 < n < SMALLEST_SHOWN:
        return Cell(None, FEWER_THAN_5, "small")
    return exact(n)


def protect(
    values: dict[Hashable, int], lines: Iterable[Iterable[Hashable]], *, exact_counts: bool
) -> dict[Hashable, Cell]:
    """Cells for `values` (parts and totals, by key), hiding small counts and, line by line, whatever would
    let a hidden one be worked out from the others. `lines` name the keys that add up (parts and their total).
    """
    cells = {key: shown(n, exact_counts=exact_counts) for key, n in values.items()}
    if exact_counts:
        return cells
    lines = [[key for key in line if key in values] for line in lines]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(1 for key in line if not cells[key].shown) != 1:
                continue
            # The smallest figure still shown gives the least away; zeros are left (hiding one tells nothing).
            candidates = sorted(
                (values[key], n, key) for n, key in enumerate(line) if cells[key].shown and values[key]
            )
            if candidates:
                cells[candidates[0][2]] = Cell(None, NOT_SHOWN, "secondary")
                changed = True
    return cells


def rate(part: Cell, whole: Cell) -> str:
    """ "64%", or a dash when either figure is hidden (a share of a known total would give the part away)."""
    if not (part.shown and whole.shown) or not whole.value:
        return "–"
    return f"{round(100 * part.value / whole.value)}%"


def rate_value(part: Cell, whole: Cell) -> float | None:
    if not (part.shown and whole.shown) or not whole.value:
        return None
    return part.value / whole.value
