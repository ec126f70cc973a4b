"""bench allocate: the optimal allocation beside first-come-first-served and random serial dictatorship.

Instances are seeded and skewed (Zipf-like popularity: a few workshops far more wanted), capacities about 1.1×
the people in each slot, some workshops repeated in several slots. Run: `python -m bench.allocate [--quick]`.
"""

import argparse
import json
import platform
import random
import statistics
from pathlib import Path

from pledgecard.allocation import Attendee, Objective, Problem, Session, solve, validate_solution
from pledgecard.allocation.baselines import first_come_first_served, random_serial_dictatorship

RESULTS = Path(__file__).parent / "results"
CASES = {
    "seed (140 × 6 workshops × 2 slots)": dict(people=140, workshops=6, slots=2, sessions=12, choices=6),
    "regional (2,000 × 40 workshops × 3 slots)": dict(people=2000, workshops=40, slots=3, sessions=60, choices=6),
    "national (20,000 × 200 sessions × 4 slots)": dict(people=20000, workshops=120, slots=4, sessions=200, choices=6),
}


def instance(*, people, workshops, slots, sessions, choices, seed=1, objective=Objective.FAIR) -> Problem:
    rng = random.Random(seed)
    names = [f"Workshop {i + 1}" for i in range(workshops)]
    slot_names = [f"slot {j + 1}" for j in range(slots)]
    # every workshop runs once; the most popular ones run again in other slots until `sessions` are placed
    runs = [(names[i], slot_names[i % slots]) for i in range(workshops)]
    extra = 0
    while len(runs) < sessions:
        name = names[extra % workshops]
        used = {s for w, s in runs if w == name}
        free = [s for s in slot_names if s not in used]
        if free:
            runs.append((name, free[0]))
        extra += 1
    popularity = [1 / (i + 1) ** 0.9 for i in range(workshops)]
    rng.shuffle(popularity)
    weight = dict(zip(names, popularity, strict=True))
    by_slot = {s: [w for w, t in runs if t == s] for s in slot_names}
    session_list = []
    for slot, here in by_slot.items():
        total = sum(weight[w] for w in here)
        for w in here:
            # places in proportion to popularity, squashed so that popular sessions are still oversubscribed
            share = (weight[w] / total) ** 0.6
            session_list.append([f"{w} @ {slot}", w, slot, share])
    for slot in slot_names:
        rows = [r for r in session_list if r[2] == slot]
        scale = sum(r[3] for r in rows)
        for r in rows:
            r[3] = max(1, round(1.1 * people * r[3] / scale))
    sessions_t = tuple(Session(*r) for r in session_list)
    attendees = []
    for a in range(people):
        ranked: list[str] = []
        want = choices if rng.random() > 0.05 else 0  # 5% rank nothing
        while len(ranked) < want:
            pick = rng.choices(names, weights=popularity)[0]
            if pick not in ranked:
                ranked.append(pick)
        attendees.append(Attendee(f"p{a}", tuple(ranked)))
    return Problem(sessions_t, tuple(attendees), choices, objective=objective, seed=seed)


def describe(problem, result):
    ranked = {a.id for a in problem.attendees if a.choices}
    pool = [p for p in result.placements if p.attendee in ranked]
    first = sum(1 for p in pool if p.rank == 1) / len(pool)
    worst = max((problem.max_choices + 1 if p.rank is None else p.rank) for p in pool)
    unplaced = len(problem.attendees) * len(problem.slots) - len(result.placements)
    return {
        "method": result.method,
        "time_s": round(result.time_seconds, 3),
        "objective_value": result.objective_value,
        "bound": result.bound,
        "gap": round(result.gap, 6) if result.bound == result.bound else None,
        "first_choice_share": round(first, 4),
        "worst_rank": worst,
        "unplaced": unplaced,
        "rules_broken": len(validate_solution(problem, result)) if unplaced == 0 else None,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the national case")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    rows = []
    for name, spec in CASES.items():
        if args.quick and spec["people"] > 5000:
            continue
        for objective in Objective:
            problem = instance(**spec, objective=objective)
            repeats = args.repeats if spec["people"] <= 5000 else 1
            runs = [solve(problem, time_limit=300) for _ in range(repeats)]
            best = describe(problem, runs[0])
            best["time_s"] = round(statistics.median(r.time_seconds for r in runs), 3)
            rows.append({"case": name, "objective": objective.value, "allocator": "optimal (HiGHS)", **best})
            for label, result in [("first come, first served", first_come_first_served(problem)),
                                  ("random serial dictatorship", random_serial_dictatorship(problem, seed=1))]:
                rows.append({"case": name, "objective": objective.value, "allocator": label,
                             **describe(problem, result)})
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "allocate.json").write_text(json.dumps({"machine": platform.platform(), "rows": rows}, indent=2))
    header = f"{'case':<45} {'obj':<6} {'allocator':<28} {'time s':>8} {'objective':>11} {'bound':>11} {'gap':>7} {'1st':>6} {'worst':>5}"
    print(header)
    for r in rows:
        gap = "" if r["gap"] is None else f"{r['gap']:.2%}"
        bound = "" if r["bound"] != r["bound"] else f"{r['bound']:.0f}"
        print(f"{r['case']:<45} {r['objective']:<6} {r['allocator']:<28} {r['time_s']:>8.3f} {r['objective_value']:>11.0f} "
              f"{bound:>11} {gap:>7} {r['first_choice_share']:>6.1%} {r['worst_rank']:>5}")
    return rows


if __name__ == "__main__":
    main()
