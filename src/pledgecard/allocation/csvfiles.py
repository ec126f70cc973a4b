"""Allocation on spreadsheets: read sessions, preferences and locked placements from CSV; write placements.

Every problem in a file is collected with its line number, so an organiser can fix them all in one go.
"""

from __future__ import annotations

import csv
import io
import re

from pledgecard.allocation.model import Attendee, Placement, Problem, Result, Session
from pledgecard.core.csv import escape_formula  # plain Python, no Django: the core stays pure

MAX_BYTES = 20_000_000


class FileProblems(ValueError):
    def __init__(self, name: str, problems: list[str]):
        self.name, self.problems = name, problems
        shown = problems[:20] + ([f"… and {len(problems) - 20} more"] if len(problems) > 20 else [])
        super().__init__(f"{name}:\n  " + "\n  ".join(shown))


def _text(name: str, data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise FileProblems(name, [f"the file is {len(data) // 1_000_000} MB; the limit is {MAX_BYTES // 1_000_000} MB"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise FileProblems(name, ["this is not a text file: save it from your spreadsheet as ‘CSV UTF-8’"]) from None
    if "\x00" in text:
        raise FileProblems(name, ["this is not a CSV file: save it from your spreadsheet as ‘CSV UTF-8’"])
    return text


def _rows(name: str, data: bytes, required: list[str]):
    reader = csv.reader(io.StringIO(_text(name, data), newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise FileProblems(name, ["the file is empty; it needs a header row: " + ",".join(required)]) from None
    except csv.Error as exc:
        raise FileProblems(name, [f"line 1: {exc}"]) from None
    missing = [c for c in required if c not in header]
    if missing:
        raise FileProblems(name, [f"the header row is missing: {', '.join(missing)} (it has: {', '.join(header)})"])
    rows = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            cells = [c.strip() for c in row] + [""] * max(0, len(header) - len(row))
            rows.append((reader.line_num, header, cells))
    except csv.Error as exc:
        raise FileProblems(name, [f"line {reader.line_num}: {exc}"]) from None
    return header, rows


def read_sessions(data: bytes, name="sessions.csv") -> list[Session]:
    header, rows = _rows(name, data, ["session_id", "workshop", "slot", "capacity"])
    col = {c: header.index(c) for c in ["session_id", "workshop", "slot", "capacity"]}
    sessions, problems, seen = [], [], set()
    for line, _, cells in rows:
        sid, workshop, slot, capacity = (cells[col[c]] for c in ["session_id", "workshop", "slot", "capacity"])
        if not sid or not workshop or not slot:
            problems.append(f"line {line}: session_id, workshop and slot must all be filled in")
            continue
        if sid in seen:
            problems.append(f"line {line}: session {sid} is listed twice")
        seen.add(sid)
        if not re.fullmatch(r"\d+", capacity) or int(capacity) < 1:
            problems.append(f"line {line}: capacity of {sid} must be a whole number of places, 1 or more "
                            f"(it is ‘{capacity}’)")
            continue
        sessions.append(Session(sid, workshop, slot, int(capacity)))
    if not rows:
        problems.append("there are no sessions")
    if problems:
        raise FileProblems(name, problems)
    return sessions


def read_preferences(data: bytes, workshops: list[str], name="preferences.csv") -> tuple[list[Attendee], int]:
    """Attendees and k, the number of choices anyone could make (the choice columns)."""
    header, rows = _rows(name, data, ["attendee_id"])
    choice_columns = [i for i, h in enumerate(header) if re.fullmatch(r"choice_?\d+", h)]
    by_name = {w.strip().casefold(): w for w in workshops}
    attendees, problems, seen = [], [], set()
    for line, _, cells in rows:
        attendee_id = cells[header.index("attendee_id")]
        if not attendee_id:
            problems.append(f"line {line}: attendee_id is empty")
            continue
        if attendee_id in seen:
            problems.append(f"line {line}: attendee {attendee_id} appears twice")
            continue
        seen.add(attendee_id)
        choices = []
        for i in choice_columns:
            cell = cells[i] if i < len(cells) else ""
            if not cell:
                continue  # blanks allowed: the choices that are filled in keep their order
            workshop = by_name.get(cell.casefold())
            if workshop is None:
                problems.append(f"line {line}: ‘{cell}’ is not a workshop in the sessions file")
            elif workshop in choices:
                problems.append(f"line {line}: {attendee_id} ranked ‘{workshop}’ twice")
            else:
                choices.append(workshop)
        attendees.append(Attendee(attendee_id, tuple(choices)))
    if not rows:
        problems.append("there are no attendees")
    if problems:
        raise FileProblems(name, problems)
    return attendees, len(choice_columns)


def read_locked(data: bytes, attendee_ids: set[str], session_ids: set[str], name="locked.csv"):
    header, rows = _rows(name, data, ["attendee_id", "session_id"])
    locked, problems = [], []
    for line, _, cells in rows:
        attendee_id, session_id = cells[header.index("attendee_id")], cells[header.index("session_id")]
        if attendee_id not in attendee_ids:
            problems.append(f"line {line}: attendee {attendee_id} is not in the preferences file")
        elif session_id not in session_ids:
            problems.append(f"line {line}: session {session_id} is not in the sessions file")
        else:
            locked.append((attendee_id, session_id))
    if problems:
        raise FileProblems(name, problems)
    return locked


def write_placements(result: Result) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["attendee_id", "slot", "session_id", "workshop", "rank"])
    for p in result.placements:
        # Ids and titles come from the organiser's files: a cell like "=HYPERLINK(...)" must stay text.
        row = [p.attendee, p.slot, p.session, p.workshop, "" if p.rank is None else p.rank]
        writer.writerow(escape_formula(v) for v in row)
    return out.getvalue()


def summary(problem: Problem, result: Result) -> list[str]:
    """What an organiser needs to judge the answer, in plain words."""
    ranked = {a.id for a in problem.attendees if a.choices}
    pool: list[Placement] = [p for p in result.placements if p.attendee in ranked]
    lines = [f"{len({p.attendee for p in result.placements})} attendees placed in {len(problem.slots)} slots "
             f"({len(result.placements)} placements)."]
    if pool:
        for rank, label in [(1, "1st"), (2, "2nd"), (3, "3rd")]:
            share = sum(1 for p in pool if p.rank == rank) / len(pool)
            lines.append(f"{label} choice: {share:.1%} of placements of people who ranked")
        unranked = sum(1 for p in pool if p.rank is None)
        lines.append(f"not ranked: {unranked / len(pool):.1%}")
        worst = max((problem.max_choices + 1 if p.rank is None else p.rank) for p in pool)
        lines.append(f"worst rank: {worst}" + (" (a workshop they did not rank)" if worst > problem.max_choices else ""))
    lines.append(f"objective ({problem.objective.value}): {result.objective_value:g}; bound: {result.bound:g}; "
                 f"gap: {result.gap:.2%} ({result.status}); time: {result.time_seconds:.2f} s; method: {result.method}")
    return lines
