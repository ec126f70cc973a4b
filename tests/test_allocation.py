"""The allocation core: constraints always hold and the objective equals a brute-force optimum."""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pledgecard.allocation import (
    Attendee,
    InfeasibleProblem,
    Objective,
    Problem,
    Session,
    solve,
    validate_solution,
)
from pledgecard.allocation.solver import rank_cost


def brute_force(problem: Problem):
    """The optimum by trying every allocation: the independent check. None when nothing is feasible."""
    slots = problem.slots
    by_slot = {slot: [s for s in problem.sessions if s.slot == slot] for slot in slots}
    locked = {}
    for attendee_id, session_id in problem.locked:
        locked.setdefault(attendee_id, set()).add(session_id)
    options = []
    for attendee in problem.attendees:
        mine = []
        for combo in itertools.product(*(by_slot[slot] for slot in slots)):
            workshops = [s.workshop for s in combo]
            if len(set(workshops)) != len(workshops):
                continue
            if not locked.get(attendee.id, set()) <= {s.id for s in combo}:
                continue
            ranks = {w: r for r, w in enumerate(attendee.choices, start=1)}
            cost = sum(rank_cost(ranks.get(s.workshop, problem.max_choices + 1), problem.objective)
                       for s in combo) if attendee.choices else 0
            mine.append((cost, combo))
        options.append(mine)
    best = None
    capacity = {s.id: s.capacity for s in problem.sessions}
    for choice in itertools.product(*options):
        used = {}
        for _, combo in choice:
            for s in combo:
                used[s.id] = used.get(s.id, 0) + 1
        if any(n > capacity[sid] for sid, n in used.items()):
            continue
        cost = sum(c for c, _ in choice)
        best = cost if best is None else min(best, cost)
    return best


@st.composite
def small_problems(draw):
    n_workshops = draw(st.integers(2, 4))
    n_slots = draw(st.integers(1, 2))
    workshops = [f"W{i}" for i in range(n_workshops)]
    slots = [f"S{j}" for j in range(n_slots)]
    sessions = []
    for w in workshops:
        for slot in slots:
            if draw(st.booleans()) or not any(s.workshop == w for s in sessions) and slot == slots[-1]:
                sessions.append(Session(f"{w}@{slot}", w, slot, draw(st.integers(1, 3))))
    n_attendees = draw(st.integers(1, 4))
    k = draw(st.integers(1, n_workshops))
    attendees = []
    for a in range(n_attendees):
        choices = draw(st.lists(st.sampled_from(workshops), max_size=k, unique=True))
        attendees.append(Attendee(f"a{a}", tuple(choices)))
    objective = draw(st.sampled_from(list(Objective)))
    locked = []
    if sessions and draw(st.booleans()):
        session = draw(st.sampled_from(sessions))
        locked.append((attendees[0].id, session.id))
    return Problem(tuple(sessions), tuple(attendees), k, tuple(locked), objective, seed=draw(st.integers(0, 3)))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_solver_matches_brute_force_and_keeps_every_rule(problem):
    expected = brute_force(problem)
    if expected is None:
        with pytest.raises(InfeasibleProblem):
            solve(problem)
        return
    result = solve(problem)
    assert validate_solution(problem, result) == []
    assert result.objective_value == expected
    assert result.bound == expected and result.gap == 0 and result.status == "optimal"


def seed_case(objective=Objective.FAIR):
    sessions = tuple(Session(f"{w}{slot}", w, slot, 3) for w in "ABC" for slot in ("1", "2"))
    attendees = tuple(Attendee(f"p{i}", ("A", "B", "C")) for i in range(9))
    return Problem(sessions, attendees, 3, objective=objective)


def test_everyone_is_placed_once_per_slot_in_different_workshops():
    problem = seed_case()
    result = solve(problem)
    assert validate_solution(problem, result) == []
    assert len(result.placements) == 18


def test_fair_weighs_one_person_dropped_far_more_than_two_moved_a_little():
    # Two sessions of capacity 2 and one of 1 in one slot; three people want A, one of them can go to B (2nd)
    # or C (their 4th). `fair` never sacrifices one person for small gains elsewhere.
    sessions = (Session("A", "A", "1", 2), Session("B", "B", "1", 1), Session("C", "C", "1", 1))
    attendees = (
        Attendee("x", ("A", "B", "D", "C")),
        Attendee("y", ("A", "C", "D", "B")),
        Attendee("z", ("B", "A", "D", "C")),
    )
    fair = solve(Problem(sessions, attendees, 4, objective=Objective.FAIR))
    total = solve(Problem(sessions, attendees, 4, objective=Objective.TOTAL))
    worst_fair = max(p.rank for p in fair.placements)
    assert worst_fair <= 2
    assert total.objective_value <= sum(p.rank for p in fair.placements)


def test_people_who_ranked_nothing_are_placed_and_cost_nothing():
    sessions = (Session("A1", "A", "1", 1), Session("B1", "B", "1", 1), Session("A2", "A", "2", 1),
                Session("B2", "B", "2", 1))
    attendees = (Attendee("keen", ("A", "B")), Attendee("easy", ()))
    result = solve(Problem(sessions, attendees, 2))
    assert validate_solution(Problem(sessions, attendees, 2), result) == []
    assert result.objective_value == 1 + 4  # keen: first and second choice; easy: 0


def test_locked_placements_are_kept_even_when_they_cost_more():
    problem = seed_case()
    locked = Problem(problem.sessions, problem.attendees, 3, locked=(("p0", "C1"), ("p0", "B2")))
    result = solve(locked)
    assert {("p0", "C1"), ("p0", "B2")} <= {(p.attendee, p.session) for p in result.placements}
    assert validate_solution(locked, result) == []


def test_same_input_same_output_and_seed_breaks_ties():
    problem = seed_case()
    first = solve(problem)
    again = solve(problem)
    assert first.placements == again.placements


def test_more_people_than_places_names_the_slot_and_how_many_to_add():
    sessions = (Session("A1", "A", "13:30", 1), Session("B1", "B", "13:30", 1))
    attendees = tuple(Attendee(f"p{i}", ("A",)) for i in range(3))
    with pytest.raises(InfeasibleProblem, match="Slot 13:30 has 2 free places for 3 people: add at least 1"):
        solve(Problem(sessions, attendees, 1))


def test_locked_placements_over_capacity_are_named():
    sessions = (Session("A1", "A", "1", 1), Session("B1", "B", "1", 5))
    attendees = (Attendee("p", ()), Attendee("q", ()))
    with pytest.raises(InfeasibleProblem, match="Session A1 .* more locked placements"):
        solve(Problem(sessions, attendees, 1, locked=(("p", "A1"), ("q", "A1"))))


def test_too_few_workshops_for_the_slots_says_so():
    sessions = (Session("A1", "A", "1", 5), Session("A2", "A", "2", 5))
    with pytest.raises(InfeasibleProblem, match="only 1 different workshops"):
        solve(Problem(sessions, (Attendee("p", ("A",)),), 1))
