"""The figures as one reader may see them: tables (with their charts) for the pages, rows for the downloads.

Every count on a page or in a download is a cell of one ledger, protected in one pass (disclosure.protect), so
a figure shown in two places is hidden in both or in neither, and the lines that add up across tables
(postcards by sector and by theme, each event's people and meetings, the sector grid) are protected together.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field

from markupsafe import Markup

from pledgecard.insights import charts
from pledgecard.insights.disclosure import Cell, exact, protect, rate
from pledgecard.insights.selectors import OUTCOMES, Figures

NO_THEME = "No theme chosen"
NO_MATCH = "No word matched"
TOTAL = "Total"


@dataclass(frozen=True)
class Column:
    label: str
    measure: str = (
        ""  # the download's `measure` for this column's figures; "" for a column that is not a count
    )


@dataclass(frozen=True)
class Row:
    label: str
    cells: list  # a Cell for each count column, text for the others (rates)
    group: str = ""  # the download's `group` (default: the label)
    total: bool = False


@dataclass
class Table:
    id: str
    caption: str
    row_header: str
    columns: list[Column]
    rows: list[Row]
    chart: Markup = Markup("")
    note: str = ""

    @property
    def hides_some(self) -> bool:
        return any(isinstance(c, Cell) and c.hidden == "secondary" for r in self.rows for c in r.cells)


@dataclass
class Report:
    figures: Figures
    exact: bool
    cells: dict[Hashable, Cell]
    tables: dict[str, Table] = field(default_factory=dict)
    headline: list[tuple[str, str]] = field(default_factory=list)

    def cell(self, key) -> Cell:
        return self.cells[key]

    def rows(self) -> Iterator[tuple[str, str, int | str]]:
        """(measure, group, count) for each figure, as this reader may see it: the downloads' rows."""
        for table in self.tables.values():
            for i, column in enumerate(table.columns):
                if not column.measure:
                    continue
                for row in table.rows:
                    cell = row.cells[i]
                    if isinstance(cell, Cell):
                        yield column.measure, row.group or row.label, cell.value if cell.shown else cell.text


class Ledger:
    """Counts by key and the lines along which they add up (parts, then their total)."""

    def __init__(self):
        self.values: dict[Hashable, int] = {}
        self.lines: list[list[Hashable]] = []

    def add(self, key: Hashable, n: int) -> Hashable:
        self.values[key] = int(n or 0)
        return key

    def line(self, parts, total) -> None:
        self.lines.append([*parts, total])


def _event_label(event) -> str:
    return f"{event.date:%Y-%m-%d} {event.title}"


def build(figures: Figures, *, exact_counts: bool) -> Report:
    f = figures
    ledger = Ledger()
    sectors = {s.pk: s.name for s in f.sectors}
    themes = {t.pk: t.name for t in f.themes}

    # The funnel; postcards and answers are also the totals of the tables below.
    for stage in ("registered", "attended", "written", "delivered", "answered", "refreshed"):
        ledger.add(("funnel", stage), getattr(f.funnel, stage))
    postcards, answered, registered = ("funnel", "written"), ("funnel", "answered"), ("funnel", "registered")

    # Postcards by sector and by theme; the suggestions split the postcards that have no theme.
    for pk in sectors:
        ledger.add(("sector", pk), f.by_sector.get(pk, 0))
    ledger.line([("sector", pk) for pk in sectors], postcards)
    theme_keys = [*themes, None]
    for pk in theme_keys:
        ledger.add(("theme", pk), f.by_theme.get(pk, 0))
        ledger.add(("suggested", pk), f.suggested.get(pk, 0))
    ledger.line([("theme", pk) for pk in theme_keys], postcards)
    ledger.line([("suggested", pk) for pk in theme_keys], ("theme", None))

    # Follow-through: outcome × sector and outcome × theme, with their row and column totals.
    outcomes = [key for key, _ in OUTCOMES]
    for kind, counts, keys in (
        ("sector", f.follow_by_sector, list(sectors)),
        ("theme", f.follow_by_theme, theme_keys),
    ):
        for pk in keys:
            for o in outcomes:
                ledger.add((f"follow_{kind}", o, pk), counts.get((o, pk), 0))
            ledger.add((f"follow_{kind}_total", pk), sum(counts.get((o, pk), 0) for o in outcomes))
            ledger.line([(f"follow_{kind}", o, pk) for o in outcomes], (f"follow_{kind}_total", pk))
        for o in outcomes:
            ledger.line([(f"follow_{kind}", o, pk) for pk in keys], ("follow", o))
        ledger.line([(f"follow_{kind}_total", pk) for pk in keys], answered)
    for o in outcomes:
        ledger.add(("follow", o), sum(f.follow_by_sector.get((o, pk), 0) for pk in sectors))
    ledger.line([("follow", o) for o in outcomes], answered)

    # The network: the sector grid adds up to the meetings; its diagonal and the cross-sector meetings do too.
    n = f.network
    meetings = ledger.add(("network", "meetings"), n.meetings)
    ledger.add(("network", "cross_sector"), n.cross_sector)
    for key in ("people", "cross_organisation", "organisation_pairs", "new_organisation_pairs"):
        ledger.add(("network", key), getattr(n, key))
    grid_keys = [ledger.add(("grid", lo, hi), count) for (lo, hi), count in n.grid.items()]
    ledger.line(grid_keys, meetings)
    ledger.line([k for k in grid_keys if k[1] != k[2]], ("network", "cross_sector"))
    ledger.line([*(k for k in grid_keys if k[1] == k[2]), ("network", "cross_sector")], meetings)

    # Growth: each event's people (returning and new), postcards and meetings add up to the totals above.
    for c in f.cohorts:
        e = c.event.pk
        ledger.add(("event_people", e), c.people)
        ledger.add(("event_returning", e), c.returning)
        ledger.add(("event_new", e), c.people - c.returning)
        ledger.line([("event_returning", e), ("event_new", e)], ("event_people", e))
        ledger.add(("event_postcards", e), c.postcards)
        ledger.add(("event_refreshed", e), c.refreshed)
        ledger.add(("event_meetings", e), c.meetings)
    for measure, total in (
        ("event_people", registered),
        ("event_postcards", postcards),
        ("event_meetings", meetings),
    ):
        ledger.line([(measure, c.event.pk) for c in f.cohorts], total)
    for y in f.years:
        ledger.add(("year_people", y.year), y.people)
        ledger.add(("year_returning", y.year), y.returning)
        ledger.add(("year_new", y.year), y.people - y.returning)
        ledger.line([("year_returning", y.year), ("year_new", y.year)], ("year_people", y.year))
        for measure in ("postcards", "refreshed", "meetings"):
            ledger.add((f"year_{measure}", y.year), getattr(y, measure))
            ledger.line(
                [(f"event_{measure}", c.event.pk) for c in f.cohorts if c.event.date.year == y.year],
                (f"year_{measure}", y.year),
            )
    ledger.line([("year_postcards", y.year) for y in f.years], postcards)
    ledger.line([("year_meetings", y.year) for y in f.years], meetings)

    # Workshops: places are rooms, not people (always shown); the rest add up to a total row.
    for i, w in enumerate(f.workshops):
        for measure in ("first_choices", "placed", "first_choice_placed", "attended"):
            ledger.add((f"workshop_{measure}", i), getattr(w, measure))
    for measure in ("first_choices", "placed", "first_choice_placed", "attended"):
        total = ledger.add((f"workshop_{measure}", TOTAL), sum(getattr(w, measure) for w in f.workshops))
        ledger.line([(f"workshop_{measure}", i) for i in range(len(f.workshops))], total)

    report = Report(
        figures=f, exact=exact_counts, cells=protect(ledger.values, ledger.lines, exact_counts=exact_counts)
    )
    _tables(report, sectors, themes, outcomes)
    return report


def _tables(report: Report, sectors: dict, themes: dict, outcomes: list[str]) -> None:
    f, c, t = report.figures, report.cell, report.tables
    outcome_labels = dict(OUTCOMES)

    # The funnel.
    stages = [
        ("registered", "registered", "Registered with a place", None, ""),
        ("attended", "attended", "Attended (checked in)", "registered", "of those registered"),
        ("written", "wrote_postcard", "Wrote a postcard", "attended", "of those who attended"),
        ("delivered", "reminder_delivered", "Reminder delivered", "written", "of postcards"),
        ("answered", "answered_how_did_it_go", "Answered “How did it go?”", "written", "of postcards"),
        ("refreshed", "refreshed", "Refreshed their pledge", "written", "of postcards"),
    ]
    rows = []
    for key, group, label, base, of in stages:
        share = f"{rate(c(('funnel', key)), c(('funnel', base)))} {of}" if base else ""
        rows.append(Row(label, [c(("funnel", key)), share], group=group))
    t["funnel"] = Table(
        "funnel",
        "From registration to a refreshed pledge",
        "Step",
        [Column("Number", "funnel"), Column("Share")],
        rows,
    )
    t["funnel"].chart = charts.bars(
        "chart-funnel",
        "From registration to a refreshed pledge",
        "Bars for each step: registered, attended, wrote a postcard, reminder delivered, "
        "answered How did it go, refreshed.",
        [r.label for r in rows],
        [charts.Series("Number", [r.cells[0] for r in rows])],
    )

    # Postcards by sector, and by theme with the suggestions for those without one.
    rows = [Row(name, [c(("sector", pk))]) for pk, name in sectors.items()]
    rows.append(Row(TOTAL, [c(("funnel", "written"))], total=True))
    t["sectors"] = Table(
        "sectors",
        "Postcards by the writer’s sector",
        "Sector",
        [Column("Postcards", "postcards_by_sector")],
        rows,
    )
    t["sectors"].chart = charts.bars(
        "chart-sectors",
        "Postcards by sector",
        "A bar for each sector.",
        list(sectors.values()),
        [charts.Series("Postcards", [c(("sector", pk)) for pk in sectors])],
    )
    theme_rows = [(pk, name) for pk, name in themes.items() if f.by_theme.get(pk) or f.suggested.get(pk)]
    rows = [Row(name, [c(("theme", pk)), c(("suggested", pk))]) for pk, name in theme_rows]
    rows.append(
        Row(
            f"{NO_THEME} (suggestion: {NO_MATCH.lower()})",
            [c(("theme", None)), c(("suggested", None))],
            group=NO_THEME,
        )
    )
    rows.append(Row(TOTAL, [c(("funnel", "written")), c(("theme", None))], total=True))
    t["themes"] = Table(
        "themes",
        "Postcards by theme, and themes suggested for postcards without one",
        "Theme",
        [
            Column("Chosen by the writer", "postcards_by_theme"),
            Column("Suggested (no theme chosen)", "postcards_suggested_theme"),
        ],
        rows,
        note="A suggestion comes from words on the postcard (the alliance’s list of theme words). "
        "It is never saved on the postcard: the writer’s choice is the only theme it has.",
    )
    t["themes"].chart = charts.bars(
        "chart-themes",
        "Postcards by theme",
        "Two bars for each theme: chosen by the writer, and suggested.",
        [name for _, name in theme_rows],
        [
            charts.Series("Chosen", [c(("theme", pk)) for pk, _ in theme_rows]),
            charts.Series("Suggested", [c(("suggested", pk)) for pk, _ in theme_rows]),
        ],
    )

    # Follow-through.
    rows = [Row(outcome_labels[o], [c(("follow", o))], group=o) for o in outcomes]
    rows.append(Row(TOTAL, [c(("funnel", "answered"))], total=True))
    t["follow"] = Table(
        "follow", "Answers to “How did it go?”", "Answer", [Column("Answers", "follow_up")], rows
    )
    for kind, labels, caption in (
        ("sector", sectors, "sector"),
        ("theme", {**themes, None: NO_THEME}, "theme"),
    ):
        counts = f.follow_by_sector if kind == "sector" else f.follow_by_theme
        keys = [pk for pk in labels if any(counts.get((o, pk)) for o in outcomes)]
        columns = [Column(outcome_labels[o], f"follow_up_{o}_by_{kind}") for o in outcomes]
        columns.append(Column("Answered", f"follow_up_by_{kind}"))
        rows = [
            Row(
                labels[pk],
                [*(c((f"follow_{kind}", o, pk)) for o in outcomes), c((f"follow_{kind}_total", pk))],
            )
            for pk in keys
        ]
        rows.append(
            Row(TOTAL, [*(c(("follow", o)) for o in outcomes), c(("funnel", "answered"))], total=True)
        )
        table = Table(f"follow_{kind}", f"How it went, by {caption}", caption.capitalize(), columns, rows)
        table.chart = charts.bars(
            f"chart-follow-{kind}",
            f"How it went, by {caption}",
            f"A bar for each {caption}, split by answer: "
            + ", ".join(outcome_labels[o] for o in outcomes)
            + ".",
            [labels[pk] for pk in keys],
            [
                charts.Series(outcome_labels[o], [c((f"follow_{kind}", o, pk)) for pk in keys])
                for o in outcomes
            ],
            stacked=True,
        )
        t[table.id] = table

    # The network.
    net = [
        ("meetings", "Meetings confirmed (each pair once)"),
        ("people", "People who met someone"),
        ("cross_sector", "Meetings across sectors"),
        ("cross_organisation", "Meetings across organisations"),
        ("organisation_pairs", "Pairs of organisations whose people met"),
        ("new_organisation_pairs", "Pairs of organisations connected for the first time"),
    ]
    meetings = c(("network", "meetings"))
    rows = []
    for key, label in net:
        share = rate(c(("network", key)), meetings) + " of meetings" if key.startswith("cross") else ""
        rows.append(Row(label, [c(("network", key)), share], group=key))
    t["network"] = Table(
        "network", "The network", "Measure", [Column("Number", "network"), Column("Share")], rows
    )
    grid_sectors = [(pk, name) for pk, name in sectors.items() if any(pk in pair for pair in f.network.grid)]
    cells, rows = [], []
    for pk, name in grid_sectors:
        line = [
            c(("grid", min(pk, other), max(pk, other)))
            if (min(pk, other), max(pk, other)) in f.network.grid
            else exact(0)
            for other, _ in grid_sectors
        ]
        cells.append(line)
        rows.append(Row(name, line))
    t["grid"] = Table(
        "grid",
        "Meetings between people of each pair of sectors",
        "Sector",
        [Column(name) for _, name in grid_sectors],
        rows,
        note="Each meeting is counted once, in the cells of both its sectors.",
    )
    # The download lists each pair once.
    t["grid_pairs"] = Table(
        "grid_pairs",
        "",
        "",
        [Column("Meetings", "meetings_by_sectors")],
        [
            Row("", [c(("grid", lo, hi))], group=f"{sectors[lo]} & {sectors[hi]}")
            for lo, hi in sorted(f.network.grid)
        ],
    )
    t["grid"].chart = charts.grid(
        "chart-grid",
        "Meetings between sectors",
        "A grid with a row and a column for each sector; each square shows the meetings "
        "between people of the two sectors.",
        [name for _, name in grid_sectors],
        cells,
    )

    # Growth across events and years.
    if f.scope.event is None:
        rows = [
            Row(
                f"{co.event.title} ({co.event.date.day} {co.event.date:%B %Y})",
                [
                    c(("event_people", co.event.pk)),
                    c(("event_returning", co.event.pk)),
                    c(("event_new", co.event.pk)),
                    c(("event_postcards", co.event.pk)),
                    c(("event_refreshed", co.event.pk)),
                    c(("event_meetings", co.event.pk)),
                ],
                group=_event_label(co.event),
            )
            for co in f.cohorts
        ]
        t["events"] = Table(
            "events",
            "Each event: people, who came back, postcards and meetings",
            "Event",
            [
                Column("People registered", "people_by_event"),
                Column("Came to an earlier event", "returning_by_event"),
                Column("New", "new_by_event"),
                Column("Postcards", "postcards_by_event"),
                Column("Pledges refreshed", "refreshed_by_event"),
                Column("Meetings", "meetings_by_event"),
            ],
            rows,
        )
        t["events"].chart = charts.bars(
            "chart-events",
            "People at each event: new and returning",
            "A bar for each event, split into people who came to an earlier event and people who are new.",
            [f"{co.event.date:%b %Y}" for co in f.cohorts],
            [
                charts.Series("Came before", [c(("event_returning", co.event.pk)) for co in f.cohorts]),
                charts.Series("New", [c(("event_new", co.event.pk)) for co in f.cohorts]),
            ],
            stacked=True,
        )
        rows = [
            Row(
                str(y.year),
                [
                    c(("year_people", y.year)),
                    c(("year_returning", y.year)),
                    c(("year_new", y.year)),
                    c(("year_postcards", y.year)),
                    c(("year_refreshed", y.year)),
                    c(("year_meetings", y.year)),
                ],
            )
            for y in f.years
        ]
        t["years"] = Table(
            "years",
            "Each year: people, who came back, postcards and meetings",
            "Year",
            [
                Column("People", "people_by_year"),
                Column("Came in an earlier year", "returning_by_year"),
                Column("New", "new_by_year"),
                Column("Postcards", "postcards_by_year"),
                Column("Pledges refreshed", "refreshed_by_year"),
                Column("Meetings", "meetings_by_year"),
            ],
            rows,
            note="A person who came to two events in one year is counted once in that year.",
        )
    else:
        co = f.cohorts[0] if f.cohorts else None
        if co is not None:
            e = co.event.pk
            t["events"] = Table(
                "events",
                "Who came back",
                "Measure",
                [Column("Number", "growth")],
                [
                    Row("People registered", [c(("event_people", e))], group="people"),
                    Row(
                        "Came to an earlier event of the alliance",
                        [c(("event_returning", e))],
                        group="returning",
                    ),
                    Row("New", [c(("event_new", e))], group="new"),
                    Row(
                        "Pledges refreshed from this event’s postcards",
                        [c(("event_refreshed", e))],
                        group="refreshed",
                    ),
                ],
            )

    # Workshops.
    if f.workshops:
        per_event = f.scope.event is None
        rows = []
        for i, w in enumerate(f.workshops):
            first, placed = c(("workshop_first_choice_placed", i)), c(("workshop_placed", i))
            rows.append(
                Row(
                    w.label,
                    [
                        exact(w.places),
                        c(("workshop_first_choices", i)),
                        placed,
                        c(("workshop_first_choice_placed", i)),
                        rate(first, c(("workshop_first_choices", i)) if per_event else placed),
                        c(("workshop_attended", i)),
                        rate(c(("workshop_attended", i)), placed),
                    ],
                )
            )
        total_first, total_placed = c(("workshop_first_choice_placed", TOTAL)), c(("workshop_placed", TOTAL))
        rows.append(
            Row(
                TOTAL,
                [
                    exact(sum(w.places for w in f.workshops)),
                    c(("workshop_first_choices", TOTAL)),
                    total_placed,
                    total_first,
                    rate(total_first, c(("workshop_first_choices", TOTAL)) if per_event else total_placed),
                    c(("workshop_attended", TOTAL)),
                    rate(c(("workshop_attended", TOTAL)), total_placed),
                ],
                total=True,
            )
        )
        if per_event:
            columns = [
                Column("Places", "workshop_places"),
                Column("People who ranked workshops", "workshop_ranked"),
                Column("People given a place", "workshop_placed"),
                Column("Placed in their first choice", "workshop_first_choice_placed"),
                Column("First-choice share"),
                Column("Placed and checked in", "workshop_attended"),
                Column("Attendance"),
            ]
        else:
            columns = [
                Column("Places", "workshop_places"),
                Column("First choices", "workshop_first_choices"),
                Column("Places filled", "workshop_placed"),
                Column("Filled by a first choice", "workshop_first_choice_placed"),
                Column("First-choice share"),
                Column("Filled and checked in", "workshop_attended"),
                Column("Attendance"),
            ]
        table = Table(
            "workshops",
            "Workshops: demand, places and attendance",
            "Event" if per_event else "Workshop",
            columns,
            rows,
        )
        labels = [w.short or w.label for w in f.workshops]
        indexes = range(len(labels))
        if per_event:
            table.chart = charts.bars(
                "chart-workshops",
                "Workshops at each event: who ranked them, who got their first choice",
                "Three bars for each event: people who ranked workshops, people placed in their first "
                "choice, and people placed who checked in.",
                labels,
                [
                    charts.Series("Ranked", [c(("workshop_first_choices", i)) for i in indexes]),
                    charts.Series("First choice", [c(("workshop_first_choice_placed", i)) for i in indexes]),
                    charts.Series("Placed and checked in", [c(("workshop_attended", i)) for i in indexes]),
                ],
            )
        else:
            table.chart = charts.bars(
                "chart-workshops",
                "Demand against places",
                "Two bars for each workshop: people whose first choice it was, and its places.",
                labels,
                [
                    charts.Series("First choices", [c(("workshop_first_choices", i)) for i in indexes]),
                    charts.Series("Places", [exact(w.places) for w in f.workshops]),
                ],
            )
        t["workshops"] = table

    # The figures at the top of the page.
    report.headline = [
        ("Registered", str(c(("funnel", "registered")))),
        ("Attended", str(c(("funnel", "attended")))),
        ("Postcards written", str(c(("funnel", "written")))),
        ("Answered “How did it go?”", str(c(("funnel", "answered")))),
        ("Meetings confirmed", str(c(("network", "meetings")))),
        ("Organisations connected for the first time", str(c(("network", "new_organisation_pairs")))),
    ]
