"""Pairings on spreadsheets: read people and who-has-met from CSV, write groups. Pure: no Django.

Every problem in a file is collected with its line number, so an organiser can fix them all in one go.
Files saved from Excel (a byte-order mark, or Windows-1252 text) are read as they are.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from pledgecard.core.csv import FORMULA_STARTS, escape_formula
from pledgecard.networking.pairing import Person, Result

MAX_BYTES = 50_000_000
PEOPLE_COLUMNS = ["id", "name", "organisation", "sector"]
ALIASES = {"organization": "organisation", "org": "organisation", "opt-out": "opt_out", "optout": "opt_out"}
YES = {"yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0", ""}
OUTPUT_COLUMNS = ["group", "id", "name", "organisation", "sector", "spot", "prompt"]

DEFAULT_PROMPTS = [
    "What is one health inequality you see in your work that others might not notice?",
    "Who finds it hardest to use your service, and what gets in their way?",
    "Which voices are missing when decisions about local services are made?",
    "Where have you seen a small change make a big difference to someone's health?",
    "What is one thing your organisation does that could be widening a gap without meaning to?",
    "How are cost-of-living pressures showing up in the lives of the people you work with?",
    "What would it take for people in our most deprived neighbourhoods to trust public services more?",
    "What do you wish you knew about the people your service is not reaching?",
    "If our two organisations worked on one thing together for a year, what should it be?",
    "Which of the Core20PLUS5 areas does your work touch, and where does it get stuck?",
    "What is one barrier to good health in our area you would remove tomorrow, and why?",
    "What could each of you do in the next month that the other would notice?",
]


NOT_TEXT = "this is not a text file: save it from your spreadsheet as ‘CSV UTF-8’"
NOT_CSV = "this is not a CSV file: save it from your spreadsheet as ‘CSV UTF-8’"


class FileProblems(ValueError):
    def __init__(self, name: str, problems: list[str]):
        self.name, self.problems = name, problems
        shown = problems[:20] + ([f"… and {len(problems) - 20} more"] if len(problems) > 20 else [])
        super().__init__(f"{name}:\n  " + "\n  ".join(shown))


@dataclass
class History:
    pairs: set[frozenset] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)  # what was ignored, and why


def _text(name: str, data: bytes) -> str:
    if len(data) > MAX_BYTES:
        size, limit = len(data) // 1_000_000, MAX_BYTES // 1_000_000
        raise FileProblems(name, [f"the file is {size} MB; the limit is {limit} MB"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise FileProblems(name, [NOT_TEXT]) from None
    if "\x00" in text:
        raise FileProblems(name, [NOT_CSV])
    return text


def _rows(name: str, data: bytes, expected: str):
    """(header, [(line, cells)]) with the header stripped, lower-cased and aliased; blank rows skipped."""
    text = _text(name, data)
    if not text.strip():
        raise FileProblems(name, [f"the file is empty; it needs a header row: {expected}"])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
        header = [ALIASES.get(h, h) for h in header]
        rows = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            cells = [c.strip() for c in row] + [""] * max(0, len(header) - len(row))
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        hint = " (a quote \" opened in an earlier cell is never closed)" if "end of data" in str(exc) else ""
        raise FileProblems(name, [f"line {reader.line_num}: {exc}{hint}"]) from None
    return header, rows


def read_people(data: bytes, name: str = "people.csv") -> list[Person]:
    """People from `id,name,organisation,sector[,opt_out]` (any order, any other columns ignored)."""
    expected = "id,name,organisation,sector,opt_out (opt_out is optional)"
    header, rows = _rows(name, data, expected)
    missing = [c for c in PEOPLE_COLUMNS if c not in header]
    if missing:
        raise FileProblems(name, [f"the header row is missing: {', '.join(missing)} (it has: "
                                  f"{', '.join(h for h in header if h) or 'nothing'}); expected {expected}"])
    col = {c: header.index(c) for c in [*PEOPLE_COLUMNS, "opt_out"] if c in header}
    people, problems, seen = [], [], {}
    for line, cells in rows:
        pid, person_name, organisation, sector = (cells[col[c]] for c in PEOPLE_COLUMNS)
        opt = cells[col["opt_out"]].lower() if "opt_out" in col else ""
        if not pid:
            problems.append(f"line {line}: the id is empty")
            continue
        if pid in seen:
            problems.append(f"line {line}: id {pid} is already used on line {seen[pid]} (ids must be unique)")
            continue
        seen[pid] = line
        if opt not in YES | NO:
            problems.append(f"line {line}: opt_out must be yes or no (it is ‘{cells[col['opt_out']]}’)")
            continue
        people.append(Person(pid, person_name, organisation, sector, opt_out=opt in YES))
    if not rows:
        problems.append(f"there are no people, only a header row; expected {expected}")
    if problems:
        raise FileProblems(name, problems)
    return people


def read_history(data: bytes, known_ids: set[str], name: str = "met.csv") -> History:
    """Who has met: `id_a,id_b` rows, or an earlier round's groups file (`group,id`: everyone in a group met).

    Ids that are not in the people file are ignored, and said so: a history usually spans earlier events, so
    it names people who are not in the room today.
    """
    expected = "id_a,id_b (or group,id, as in an earlier groups file)"
    header, rows = _rows(name, data, expected)
    history, problems = History(), []
    unknown, same = set(), 0
    if "id_a" in header and "id_b" in header:
        ia, ib = header.index("id_a"), header.index("id_b")
        for line, cells in rows:
            a, b = cells[ia], cells[ib]
            if not a or not b:
                problems.append(f"line {line}: {'id_a' if not a else 'id_b'} is empty")
                continue
            if a == b:
                same += 1
                continue
            missing = {x for x in (a, b) if x not in known_ids}
            if missing:
                unknown |= missing
                continue
            history.pairs.add(frozenset((a, b)))
    elif "group" in header and "id" in header:
        ig, ii = header.index("group"), header.index("id")
        groups: dict[str, list[str]] = {}
        for line, cells in rows:
            cells[ii] = _unescape(cells[ii])
            if not cells[ig] or not cells[ii]:
                problems.append(f"line {line}: {'group' if not cells[ig] else 'id'} is empty")
                continue
            if cells[ii] not in known_ids:
                unknown.add(cells[ii])
                continue
            groups.setdefault(cells[ig], []).append(cells[ii])
        for members in groups.values():
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    if a != b:
                        history.pairs.add(frozenset((a, b)))
    else:
        has = ", ".join(h for h in header if h) or "nothing"
        problems.append(f"the header row needs id_a and id_b (it has: {has}); expected {expected}")
    if problems:
        raise FileProblems(name, problems)
    if unknown:
        shown = sorted(unknown)[:5]
        history.notes.append(f"{name}: {len(unknown)} id(s) are not in the people file and were ignored "
                             f"({', '.join(shown)}{', …' if len(unknown) > 5 else ''})")
    if same:
        history.notes.append(f"{name}: {same} row(s) pair someone with themselves and were ignored")
    return history


def _unescape(cell: str) -> str:
    """An id as written by `write_groups`: a leading ' kept a formula-like id as text in a spreadsheet."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def read_prompts(data: bytes, name: str = "prompts.txt") -> list[str]:
    prompts = [line.strip() for line in _text(name, data).splitlines() if line.strip()]
    if not prompts:
        raise FileProblems(name, ["the file has no prompts; put one conversation prompt on each line"])
    return prompts


def write_groups(result: Result, people: list[Person], prompts: list[str] | None = None) -> str:
    """groups.csv: one row per person placed, with the group's spot (table) and conversation prompt."""
    prompts = prompts or DEFAULT_PROMPTS
    by_id = {p.id: p for p in people}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(OUTPUT_COLUMNS)
    for number, group in enumerate(result.groups, start=1):
        spot, prompt = f"Table {number}", prompts[(number - 1) % len(prompts)]
        for pid in group:
            p = by_id[pid]
            row = [number, p.id, p.name, p.organisation, p.sector, spot, prompt]
            writer.writerow(escape_formula(v) for v in row)
    return out.getvalue()
