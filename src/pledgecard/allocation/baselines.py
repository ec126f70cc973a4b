"""Simple allocations to compare against: first come, first served, and random serial dictatorship."""

import random
import time
from collections import defaultdict

from pledgecard.allocation.model import Placement, Problem, Result
from pledgecard.allocation.solver import rank_cost


def serial(problem: Problem, order: list[str], method: str) -> Result:
    """Each attendee in turn takes their best remaining choices; then everyone left gets any free place."""
    started = time.perf_counter()
    left = {s.id: s.capacity for s in problem.sessions}
    by_workshop_slot = defaultdict(list)
    for s in problem.sessions:
        by_workshop_slot[(s.workshop, s.slot)].append(s)
    attendees = {a.id: a for a in problem.attendees}
    placements = []
    has = defaultdict(set)
    free_slots = {a: set(problem.slots) for a in attendees}
    for attendee_id in order:
        for rank, workshop in enumerate(attendees[attendee_id].choices, start=1):
            for slot in problem.slots:
                if slot not in free_slots[attendee_id] or workshop in has[attendee_id]:
                    continue
                for s in by_workshop_slot[(workshop, slot)]:
                    if left[s.id] > 0:
                        left[s.id] -= 1
                        has[attendee_id].add(workshop)
                        free_slots[attendee_id].discard(slot)
                        placements.append(Placement(attendee_id, slot, s.id, workshop, rank))
                        break
    for attendee_id in order:
        for slot in problem.slots:
            if slot not in free_slots[attendee_id]:
                continue
            options = [s for s in problem.sessions if s.slot == slot and left[s.id] > 0
                       and s.workshop not in has[attendee_id]]
            if not options:
                continue  # a greedy dead end; counted as unplaced
            s = max(options, key=lambda s: left[s.id])
            left[s.id] -= 1
            has[attendee_id].add(s.workshop)
            rank = {w: r for r, w in enumerate(attendees[attendee_id].choices, start=1)}.get(s.workshop)
            placements.append(Placement(attendee_id, slot, s.id, s.workshop, rank))
    value = sum(rank_cost(p.rank or problem.max_choices + 1, problem.objective) if attendees[p.attendee].choices
                else 0 for p in placements)
    return Result(placements, float(value), float("nan"), time.perf_counter() - started, method, "heuristic")


def first_come_first_served(problem: Problem) -> Result:
    return serial(problem, [a.id for a in problem.attendees], "first come, first served")


def random_serial_dictatorship(problem: Problem, seed: int = 0) -> Result:
    order = [a.id for a in problem.attendees]
    random.Random(seed).shuffle(order)
    return serial(problem, order, "random serial dictatorship")
