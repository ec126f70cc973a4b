"""Optimal workshop allocation with HiGHS (through SciPy), proven optimal by its own bound.

The integer programme: choose for every attendee one session per slot, never the same workshop twice, no
session over capacity, locked placements kept, minimising the sum of rank costs (rank² for `fair`, rank
for `total`; an unranked workshop is rank k + 1; someone who ranked nothing costs 0 anywhere).

Making it fast at scale (research/FINDINGS.md measured these choices):
- Sparse: variables only for (attendee, session) pairs of workshops the attendee ranked, plus one "any other
  workshop" variable per attendee per slot. Unranked placements all cost the same, so *which* unranked session
  someone gets does not change the objective; the model only keeps count of them against the slot's free
  places, and a completion step assigns actual sessions afterwards. The sparse model is a relaxation of the
  full one, so when the completion succeeds the answer is optimal for the full problem too. When it cannot
  succeed (the free places left are all in workshops those people already have), we solve the full model.
- LP first: each attendee's own rules form a small matching polytope and only capacities couple attendees, so
  the LP relaxation is integral or nearly so. We solve the LP (dual simplex), keep every attendee whose LP
  placements are already whole, and re-solve exactly (MILP) only the attendees left fractional.
- Honest: costs are whole numbers, so the optimum is at least the LP bound rounded up. The answer says its
  objective, that bound and the gap; when the quick route leaves a gap we run the full MILP, time-limited,
  and report whatever gap remains.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_matrix

from pledgecard.allocation.model import Attendee, InfeasibleProblem, Objective, Placement, Problem, Result, Session

INTEGRAL_TOLERANCE = 1e-6


def rank_cost(rank: int, objective: Objective) -> int:
    return rank * rank if objective == Objective.FAIR else rank


@dataclass
class _Prepared:
    """The problem after validation and locked placements: what is left to decide."""

    problem: Problem
    sessions: list[Session]
    session_index: dict[str, int]
    sessions_in_slot: dict[str, list[int]]
    remaining: np.ndarray  # free places per session after locked placements
    attendees: list[Attendee]  # in seeded order
    free_slots: dict[str, list[str]]  # attendee -> slots still to fill
    used_workshops: dict[str, set[str]]  # attendee -> workshops already placed (locked)
    rank_of: dict[str, dict[str, int]]  # attendee -> workshop -> rank
    locked_placements: list[Placement]
    constant_cost: int  # cost of locked placements


def _unranked_cost(problem: Problem, attendee: Attendee) -> int:
    return rank_cost(problem.max_choices + 1, problem.objective) if attendee.choices else 0


def _prepare(problem: Problem) -> _Prepared:
    sessions = list(problem.sessions)
    session_index = {s.id: i for i, s in enumerate(sessions)}
    sessions_in_slot: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sessions):
        sessions_in_slot[s.slot].append(i)
    slots = problem.slots
    remaining = np.array([s.capacity for s in sessions], dtype=np.int64)
    rank_of = {a.id: {w: r for r, w in enumerate(a.choices, start=1)} for a in problem.attendees}
    free_slots = {a.id: list(slots) for a in problem.attendees}
    used_workshops: dict[str, set[str]] = {a.id: set() for a in problem.attendees}
    by_id = {a.id: a for a in problem.attendees}
    locked_placements, constant = [], 0
    for attendee_id, session_id in problem.locked:
        session = sessions[session_index[session_id]]
        if session.slot not in free_slots[attendee_id]:
            raise InfeasibleProblem(f"Attendee {attendee_id} is locked into two sessions at {session.slot}.")
        if session.workshop in used_workshops[attendee_id]:
            raise InfeasibleProblem(f"Attendee {attendee_id} is locked into {session.workshop} twice.")
        remaining[session_index[session_id]] -= 1
        if remaining[session_index[session_id]] < 0:
            raise InfeasibleProblem(
                f"Session {session_id} ({session.workshop}, {session.slot}) has {session.capacity} places but more "
                "locked placements than that: unlock some or add places."
            )
        free_slots[attendee_id].remove(session.slot)
        used_workshops[attendee_id].add(session.workshop)
        rank = rank_of[attendee_id].get(session.workshop)
        cost = rank_cost(rank, problem.objective) if rank else _unranked_cost(problem, by_id[attendee_id])
        constant += cost
        locked_placements.append(Placement(attendee_id, session.slot, session.id, session.workshop, rank))
    for slot in slots:
        people = sum(1 for a in problem.attendees if slot in free_slots[a.id])
        places = int(remaining[sessions_in_slot[slot]].sum())
        if people > places:
            raise InfeasibleProblem(
                f"Slot {slot} has {places} free places for {people} people: add at least {people - places} places "
                "in that slot."
            )
    order = sorted(problem.attendees, key=lambda a: a.id)
    random.Random(problem.seed).shuffle(order)  # seeded tie-breaks: same seed, same answer
    return _Prepared(problem, sessions, session_index, dict(sessions_in_slot), remaining, order, free_slots,
                     used_workshops, rank_of, locked_placements, constant)


@dataclass
class _Model:
    costs: np.ndarray
    # variable -> (attendee position, session index or -1 for "any other workshop", slot)
    var_attendee: np.ndarray
    var_session: np.ndarray
    var_slot: list[str]
    a_rows: list[int]
    a_cols: list[int]
    a_vals: list[float]
    lower: list[float]
    upper: list[float]
    capacity_rows: dict[int, int]  # session index -> row


def _build(prep: _Prepared, dense_for: set[str] = frozenset(), attendees: list[Attendee] | None = None,
           remaining: np.ndarray | None = None, any_other_taken: dict[str, int] | None = None) -> _Model:
    """Rows and columns of the (sparse, or for `dense_for` attendees full) model."""
    problem = prep.problem
    attendees = prep.attendees if attendees is None else attendees
    remaining = prep.remaining if remaining is None else remaining
    costs, var_att, var_ses, var_slot = [], [], [], []
    rows, cols, vals, lower, upper = [], [], [], [], []
    session_vars: dict[int, list[int]] = defaultdict(list)
    any_other_vars: dict[str, list[int]] = defaultdict(list)
    row = 0
    for position, attendee in enumerate(attendees):
        ranks = prep.rank_of[attendee.id]
        used = prep.used_workshops[attendee.id]
        dense = attendee.id in dense_for
        unranked = _unranked_cost(problem, attendee)
        workshop_vars: dict[str, list[int]] = defaultdict(list)
        for slot in prep.free_slots[attendee.id]:
            slot_vars = []
            for i in prep.sessions_in_slot[slot]:
                workshop = prep.sessions[i].workshop
                if workshop in used or (workshop not in ranks and not dense) or remaining[i] <= 0:
                    continue
                var = len(costs)
                rank = ranks.get(workshop)
                costs.append(rank_cost(rank, problem.objective) if rank else unranked)
                var_att.append(position), var_ses.append(i), var_slot.append(slot)
                slot_vars.append(var)
                workshop_vars[workshop].append(var)
                session_vars[i].append(var)
            if not dense:
                var = len(costs)
                costs.append(unranked)
                var_att.append(position), var_ses.append(-1), var_slot.append(slot)
                slot_vars.append(var)
                any_other_vars[slot].append(var)
            # exactly one placement in this slot
            rows.extend([row] * len(slot_vars)), cols.extend(slot_vars), vals.extend([1.0] * len(slot_vars))
            lower.append(1.0), upper.append(1.0)
            row += 1
        for variables in workshop_vars.values():
            if len(variables) > 1:  # never the same workshop twice
                rows.extend([row] * len(variables)), cols.extend(variables), vals.extend([1.0] * len(variables))
                lower.append(-np.inf), upper.append(1.0)
                row += 1
    capacity_rows = {}
    for i, variables in session_vars.items():
        rows.extend([row] * len(variables)), cols.extend(variables), vals.extend([1.0] * len(variables))
        lower.append(-np.inf), upper.append(float(remaining[i]))
        capacity_rows[i] = row
        row += 1
    for slot, others in any_other_vars.items():
        # "any other workshop" placements use the slot's free places, together with everyone's ranked ones.
        ranked = [v for i in prep.sessions_in_slot[slot] for v in session_vars.get(i, [])]
        variables = others + ranked
        rows.extend([row] * len(variables)), cols.extend(variables), vals.extend([1.0] * len(variables))
        free = remaining[prep.sessions_in_slot[slot]].sum() - (any_other_taken or {}).get(slot, 0)
        lower.append(-np.inf), upper.append(float(free))
        row += 1
    return _Model(np.array(costs, dtype=float), np.array(var_att), np.array(var_ses), var_slot, rows, cols, vals,
                  lower, upper, capacity_rows)


def _matrix(model: _Model):
    n_rows = len(model.lower)
    return coo_matrix((model.a_vals, (model.a_rows, model.a_cols)), shape=(n_rows, len(model.costs))).tocsr()


def _solve_lp(model: _Model):
    matrix = _matrix(model)
    lower, upper = np.array(model.lower), np.array(model.upper)
    equality = lower == upper
    result = linprog(
        model.costs,
        A_ub=matrix[~equality] if (~equality).any() else None,
        b_ub=upper[~equality] if (~equality).any() else None,
        A_eq=matrix[equality],
        b_eq=upper[equality],
        bounds=(0, 1),
        method="highs-ds",
    )
    return result


def _solve_milp(model: _Model, time_limit: float):
    constraint = LinearConstraint(_matrix(model), np.array(model.lower), np.array(model.upper))
    return milp(
        model.costs,
        constraints=constraint,
        integrality=np.ones(len(model.costs)),
        bounds=Bounds(0, 1),
        options={"disp": False, "time_limit": time_limit, "mip_rel_gap": 0.0},
    )


def solve(problem: Problem, *, time_limit: float = 120.0) -> Result:
    """The optimal allocation for `problem`, with its bound. Raises InfeasibleProblem with advice."""
    started = time.perf_counter()
    prep = _prepare(problem)
    if not any(prep.free_slots[a.id] for a in prep.attendees):
        return _result(prep, [], started, "locked only", bound=prep.constant_cost)

    model = _build(prep)
    lp = _solve_lp(model)
    if lp.status == 2:
        raise InfeasibleProblem(_infeasibility_advice(prep))
    if lp.status != 0:
        raise RuntimeError(f"The LP solver stopped: {lp.message}")
    bound = prep.constant_cost + math.ceil(lp.fun - 1e-6)
    x = lp.x
    fractional = np.abs(x - np.round(x)) > INTEGRAL_TOLERANCE
    method = "LP (integral)"
    if fractional.any():
        x = _resolve_fractional(prep, model, x, fractional, time_limit)
        method = "LP + exact re-solve of fractional attendees"
    chosen = np.round(x).astype(bool)
    placements = _complete(prep, model, chosen)
    if placements is None:
        # The free places left cannot host everyone's "any other workshop" placements: solve the full model
        # for the people concerned. Rare; exact.
        return _solve_dense(prep, started, time_limit, bound)
    result = _result(prep, placements, started, method, bound=bound)
    if result.objective_value > result.bound:
        # The quick route left a gap: let the MILP search, and keep the better answer and the better bound.
        dense = _solve_dense(prep, started, time_limit, bound)
        if dense.objective_value <= result.objective_value:
            return dense
        result.bound = max(result.bound, dense.bound)
        result.status = "optimal" if result.objective_value <= result.bound else "feasible"
    return result


def _resolve_fractional(prep, model, x, fractional, time_limit):
    """Keep attendees whose LP placements are whole; solve the others exactly in the seats that are left."""
    fractional_positions = set(model.var_attendee[fractional].tolist())
    keep = ~np.isin(model.var_attendee, list(fractional_positions))
    remaining = prep.remaining.copy()
    for var in np.flatnonzero(keep & (np.round(x) == 1)):
        if model.var_session[var] >= 0:
            remaining[model.var_session[var]] -= 1
    # "any other workshop" places of kept attendees still use up their slot's free places.
    other_used = defaultdict(int)
    for var in np.flatnonzero(keep & (np.round(x) == 1) & (model.var_session < 0)):
        other_used[model.var_slot[var]] += 1
    subset = [prep.attendees[p] for p in sorted(fractional_positions)]
    sub = _build(prep, attendees=subset, remaining=remaining, any_other_taken=other_used)
    answer = _solve_milp(sub, time_limit)
    if answer.x is None:
        raise RuntimeError(f"The exact re-solve found no answer: {answer.message}")
    x = np.where(keep, np.round(x), 0.0)
    # Map the sub-model's answer back onto the main model's variables.
    index = {(int(model.var_attendee[v]), int(model.var_session[v]), model.var_slot[v]): v for v in range(len(x))}
    positions = sorted(fractional_positions)
    for v in np.flatnonzero(np.round(answer.x) == 1):
        key = (positions[int(sub.var_attendee[v])], int(sub.var_session[v]), sub.var_slot[v])
        x[index[key]] = 1.0
    return x


def _complete(prep: _Prepared, model: _Model, chosen: np.ndarray) -> list[Placement] | None:
    """Turn chosen variables into placements, giving "any other workshop" people actual sessions."""
    placements: list[Placement] = []
    remaining = prep.remaining.copy()
    has: dict[str, set[str]] = {a.id: set(prep.used_workshops[a.id]) for a in prep.attendees}
    waiting: list[tuple[Attendee, str]] = []
    for var in np.flatnonzero(chosen):
        attendee = prep.attendees[int(model.var_attendee[var])]
        session_position = int(model.var_session[var])
        if session_position < 0:
            waiting.append((attendee, model.var_slot[var]))
            continue
        session = prep.sessions[session_position]
        remaining[session_position] -= 1
        has[attendee.id].add(session.workshop)
        placements.append(Placement(attendee.id, session.slot, session.id, session.workshop,
                                    prep.rank_of[attendee.id].get(session.workshop)))
    # People with the fewest options first; in each slot, the session with the most free places first.
    waiting.sort(key=lambda item: -len(has[item[0].id]))
    for attendee, slot in waiting:
        options = [i for i in prep.sessions_in_slot[slot]
                   if remaining[i] > 0 and prep.sessions[i].workshop not in has[attendee.id]]
        if not options:
            return None
        best = max(options, key=lambda i: (remaining[i], -i))
        session = prep.sessions[best]
        remaining[best] -= 1
        has[attendee.id].add(session.workshop)
        placements.append(Placement(attendee.id, slot, session.id, session.workshop,
                                    prep.rank_of[attendee.id].get(session.workshop)))
    return placements


def _solve_dense(prep: _Prepared, started: float, time_limit: float, bound: float) -> Result:
    """The full model: a variable for every (attendee, session) pair. Exact, slower; used when needed."""
    model = _build(prep, dense_for={a.id for a in prep.attendees})
    if not len(model.costs):
        if any(prep.free_slots[a.id] for a in prep.attendees):
            raise InfeasibleProblem(_infeasibility_advice(prep))
        return _result(prep, [], started, "locked only", bound=prep.constant_cost)
    answer = _solve_milp(model, max(1.0, time_limit - (time.perf_counter() - started)))
    if answer.x is None:
        if answer.status == 2:
            raise InfeasibleProblem(_infeasibility_advice(prep))
        raise RuntimeError(f"The solver found no allocation in time: {answer.message}")
    chosen = np.round(answer.x).astype(bool)
    placements = _complete(prep, model, chosen)
    dual_bound = getattr(answer, "mip_dual_bound", None)
    best_bound = max(bound, prep.constant_cost + math.ceil((dual_bound if dual_bound is not None else -np.inf) - 1e-6))
    return _result(prep, placements, started, "MILP (full model)", bound=best_bound)


def _result(prep: _Prepared, placements: list[Placement], started: float, method: str, *, bound: float) -> Result:
    placements = sorted(prep.locked_placements + placements, key=lambda p: (p.attendee, p.slot))
    by_id = {a.id: a for a in prep.problem.attendees}
    value = 0
    for p in placements:
        attendee = by_id[p.attendee]
        value += rank_cost(p.rank, prep.problem.objective) if p.rank else _unranked_cost(prep.problem, attendee)
    status = "optimal" if value <= bound else "feasible"
    return Result(placements, float(value), float(bound), time.perf_counter() - started, method, status)


def _infeasibility_advice(prep: _Prepared) -> str:
    workshops_per_slot = {slot: {prep.sessions[i].workshop for i in ids if prep.remaining[i] > 0}
                          for slot, ids in prep.sessions_in_slot.items()}
    distinct = set().union(*workshops_per_slot.values()) if workshops_per_slot else set()
    slots = prep.problem.slots
    if len(distinct) < len(slots):
        return (f"There are {len(slots)} slots but only {len(distinct)} different workshops with places, and "
                "nobody may join the same workshop twice: add workshops or remove a slot.")
    return ("No allocation can keep every rule: with nobody joining the same workshop twice, the places in some "
            "workshops run out. Add places to the workshops that run in only one slot, or run them in another slot.")


def validate_solution(problem: Problem, result: Result) -> list[str]:
    """Every rule the answer must keep, checked independently of how it was found. Empty when all hold."""
    problems = []
    sessions = {s.id: s for s in problem.sessions}
    use = defaultdict(int)
    by_attendee = defaultdict(list)
    for p in result.placements:
        use[p.session] += 1
        by_attendee[p.attendee].append(p)
    for session_id, n in use.items():
        if n > sessions[session_id].capacity:
            problems.append(f"{session_id} over capacity: {n} > {sessions[session_id].capacity}")
    slots = set(problem.slots)
    for attendee in problem.attendees:
        mine = by_attendee.get(attendee.id, [])
        if sorted(p.slot for p in mine) != sorted(slots):
            problems.append(f"{attendee.id} not placed once in every slot")
        workshops = [p.workshop for p in mine]
        if len(workshops) != len(set(workshops)):
            problems.append(f"{attendee.id} placed in the same workshop twice")
    placed = {(p.attendee, p.session) for p in result.placements}
    for locked in problem.locked:
        if locked not in placed:
            problems.append(f"locked placement {locked} not kept")
    return problems
