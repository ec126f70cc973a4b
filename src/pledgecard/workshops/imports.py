"""Choices sent another way (a paper form, an email, a spreadsheet): `email,choice_1,choice_2,...`, all or nothing."""

from django.db import transaction

from pledgecard.allocation.csvfiles import FileProblems, _rows
from pledgecard.workshops import services


def choices_import(event, data: bytes, *, entered_by=None, name="choices.csv") -> int:
    """Replace the choices of everyone in the file. Raises FileProblems listing every bad line."""
    header, rows = _rows(name, data, ["email"])
    choice_columns = [i for i, h in enumerate(header) if h.replace("_", "").startswith("choice")]
    workshops = {w.title.strip().casefold(): w for w in event.workshops.all()}
    people = {r.email.casefold(): r for r in event.registrations.all()}
    problems, planned = [], []
    for line, _, cells in rows:
        email = cells[header.index("email")]
        registration = people.get(email.casefold())
        if registration is None:
            problems.append(f"line {line}: nobody registered with {email or 'an empty email'}")
            continue
        ranked = []
        for i in choice_columns:
            title = cells[i] if i < len(cells) else ""
            if not title:
                continue
            workshop = workshops.get(title.casefold())
            if workshop is None:
                problems.append(f"line {line}: ‘{title}’ is not one of this event's workshops")
            elif workshop in ranked:
                problems.append(f"line {line}: ‘{workshop.title}’ is ranked twice")
            else:
                ranked.append(workshop)
        planned.append((registration, ranked))
    if not rows:
        problems.append("there are no rows after the header")
    if problems:
        raise FileProblems(name, problems)
    with transaction.atomic():
        for registration, ranked in planned:
            services.choices_save(registration, ranked, no_preference=not ranked, entered_by=entered_by)
    return len(planned)
