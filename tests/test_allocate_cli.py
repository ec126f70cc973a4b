"""`pledgecard allocate` on spreadsheets: placements, summary, and clear errors for bad files."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from pledgecard.allocation import Attendee, Problem, Session, solve
from pledgecard.allocation.explain import explain

SESSIONS = "session_id,workshop,slot,capacity\nR1,Research,13:30,2\nR2,Research,14:45,1\nT1,Trust,13:30,2\nC2,Co-production,14:45,3\n"
PREFERENCES = "attendee_id,choice_1,choice_2,choice_3\np1,Research,Trust,Co-production\np2,research,,Trust\np3,Trust,Research,\np4,,,\n"


def files(tmp_path, sessions=SESSIONS, preferences=PREFERENCES, locked=None):
    (tmp_path / "sessions.csv").write_text(sessions)
    (tmp_path / "preferences.csv").write_text(preferences)
    args = ["allocate", "--sessions", str(tmp_path / "sessions.csv"), "--preferences",
            str(tmp_path / "preferences.csv"), "--out", str(tmp_path / "placements.csv")]
    if locked is not None:
        (tmp_path / "locked.csv").write_text(locked)
        args += ["--locked", str(tmp_path / "locked.csv")]
    return args


def run(args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_allocate_writes_one_row_per_attendee_per_slot_and_a_summary(tmp_path):
    output = run(files(tmp_path))
    rows = list(csv.DictReader((tmp_path / "placements.csv").open()))
    assert len(rows) == 8
    assert {r["slot"] for r in rows if r["attendee_id"] == "p1"} == {"13:30", "14:45"}
    for attendee in ("p1", "p2", "p3", "p4"):
        workshops = [r["workshop"] for r in rows if r["attendee_id"] == attendee]
        assert len(set(workshops)) == 2
    assert [r["rank"] for r in rows if r["attendee_id"] == "p4"] == ["", ""]
    assert "gap: 0.00% (optimal)" in output
    assert "1st choice: 50.0%" in output
    assert "worst rank: 4" in output


def test_locked_placement_is_kept(tmp_path):
    run(files(tmp_path, locked="attendee_id,session_id\np4,R2\n"))
    rows = list(csv.DictReader((tmp_path / "placements.csv").open()))
    assert {"attendee_id": "p4", "slot": "14:45", "session_id": "R2", "workshop": "Research", "rank": ""} in rows


def test_objective_total_is_accepted(tmp_path):
    assert "objective (total)" in run(files(tmp_path) + ["--objective", "total"])


@pytest.mark.parametrize(
    ("sessions", "preferences", "message"),
    [
        (SESSIONS, "attendee_id,choice_1\np1,Knitting\n", "‘Knitting’ is not a workshop in the sessions file"),
        (SESSIONS, "attendee_id,choice_1,choice_2\np1,Trust,trust\n", "p1 ranked ‘Trust’ twice"),
        (SESSIONS, "attendee_id,choice_1\np1,Trust\np1,Research\n", "attendee p1 appears twice"),
        (SESSIONS.replace("R1,Research,13:30,2", "R1,Research,13:30,0"), PREFERENCES, "capacity of R1 must be a whole number"),
        ("session_id,workshop,slot\nR1,Research,1\n", PREFERENCES, "the header row is missing: capacity"),
        ("session_id,workshop,slot,capacity\nA,A,1,1\nB,B,1,1\nC,C,2,1\nD,D,2,1\n",
         "attendee_id,choice_1\np1,A\np2,B\np3,C\n", "Slot 1 has 2 free places for 3 people: add at least 1"),
    ],
)
def test_bad_files_get_a_clear_message_and_no_output(tmp_path, sessions, preferences, message):
    with pytest.raises(CommandError, match="Nothing allocated") as raised:
        run(files(tmp_path, sessions, preferences))
    assert message in str(raised.value)
    assert not (tmp_path / "placements.csv").exists()


def test_ten_megabytes_of_junk_is_refused_plainly(tmp_path):
    args = files(tmp_path)
    (tmp_path / "sessions.csv").write_bytes(bytes(range(256)) * 40_000)
    with pytest.raises(CommandError, match="not a (text|CSV) file"):
        run(args)


def test_locked_placement_over_capacity_names_the_session(tmp_path):
    with pytest.raises(CommandError, match="Session R2 .* more locked placements than that"):
        run(files(tmp_path, locked="attendee_id,session_id\np1,R2\np2,R2\n"))


def test_explanation_says_why_a_first_choice_was_missed():
    sessions = (Session("A1", "A", "1", 1), Session("B1", "B", "1", 1), Session("C2", "C", "2", 2),
                Session("D2", "D", "2", 2))
    attendees = (Attendee("first", ("A", "B", "C", "D")), Attendee("second", ("A", "B", "C", "D")))
    problem = Problem(sessions, attendees, 4)
    result = solve(problem)
    lines = {a.id: explain(problem, result, a.id) for a in attendees}
    missed = next(a for a, text in lines.items() if "second choice" in text[0])
    assert lines[missed] == [
        "1: B, your second choice: A (first choice) was full with people who ranked it first or higher.",
        "2: C, your third choice: A (first choice) does not run at 2; you have B (second choice) at 1.",
    ]
