"""bench pairs: meet-someone-new groups for 140, 2,000 and 20,000 people, beside random groups, same run.

Rooms are seeded and realistic: sectors of unequal size (NHS about a third), organisations of Zipf-like sizes
inside each sector (a few big trusts and councils, many small charities and schools). Every room has already
had earlier rounds of the same group size (made by the same algorithm with other seeds), so the history is
exactly the people each person has already met today. Measured: time (wall and CPU, medians over repeats),
the share of pairs inside groups that cross sectors beside the most the sector sizes allow, repeats, and
same-organisation pairs beside the fewest the organisation sizes force; and the same figures for a random
shuffle into groups of the same sizes.

Run: `python -m bench.pairs [--quick] [--repeats N]`. Results: bench/results/pairs.json.
"""

# ruff: noqa: S311 - seeded pseudo-random rooms, on purpose
from __future__ import annotations

import argparse
import itertools
import random
import statistics
import time

from bench.common import machine_info, table, write_results
from pledgecard.networking.pairing import Person, describe, make_groups, random_groups

SECTORS = [("NHS", 0.34, 0.02), ("local authority", 0.2, 0.04), ("voluntary sector", 0.2, 0.25),
           ("schools", 0.1, 0.2), ("police and fire", 0.06, 0.03), ("business", 0.05, 0.2),
           ("housing", 0.05, 0.06)]  # (name, share of people, organisations per person)

CASES = [
    # name, people, size, earlier rounds, options
    ("seed event", 140, 2, 2, {}),
    ("seed event, trios", 140, 3, 2, {}),
    ("seed event, fours", 140, 4, 2, {}),
    ("seed event, 6th round", 140, 2, 5, {}),
    ("one table's day, 6th round", 30, 3, 5, {}),
    ("regional", 2000, 2, 2, {}),
    ("regional, trios", 2000, 3, 2, {}),
    ("regional, fours", 2000, 4, 2, {}),
    ("regional, one trust is 60%", 2000, 2, 2, {"dominant": 0.6}),
    ("national", 20000, 2, 2, {}),
    ("national, trios", 20000, 3, 2, {}),
    ("national, fours", 20000, 4, 2, {}),
]


def room(n: int, seed: int = 1, dominant: float = 0.0) -> list[Person]:
    """n people in organisations of Zipf-like sizes within sectors; `dominant`: share in one big trust."""
    rng = random.Random(seed)
    people = []
    big = round(n * dominant)
    for i in range(big):
        people.append(Person(f"p{i}", f"Person {i}", "Big Trust", "NHS"))
    rest = n - big
    for name, share, per_person in SECTORS:
        count = round(rest * share) if name != SECTORS[-1][0] else rest - sum(
            round(rest * s) for _, s, _ in SECTORS[:-1])
        orgs = max(2, round(count * per_person))
        weights = [1 / (k + 1) ** 1.1 for k in range(orgs)]
        for _ in range(count):
            org = rng.choices(range(orgs), weights=weights)[0]
            i = len(people)
            people.append(Person(f"p{i}", f"Person {i}", f"{name[0].upper() + name[1:]} {org + 1}", name))
    rng.shuffle(people)
    return people


def pairs_of(groups) -> set[frozenset]:
    return {frozenset(p) for g in groups for p in itertools.combinations(g, 2)}


def run_case(name, n, size, rounds, options, repeats):
    people = room(n, seed=n, dominant=options.get("dominant", 0.0))
    history: set[frozenset] = set()
    for r in range(rounds):
        history |= pairs_of(make_groups(people, history, size=size, seed=1000 + r).groups)
    runs = []
    for rep in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = make_groups(people, history, size=size, seed=rep)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        runs.append((wall, cpu, result))
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    s = runs[0][2].summary
    ours = {
        "case": name, "people": n, "size": size, "earlier_rounds": rounds, "history_pairs": len(history),
        "grouping": "pledgecard", "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
        "cross_sector_share": round(statistics.median(r[2].summary.cross_sector_share for r in runs), 4),
        "best_cross_sector_share": round(s.best_cross_sector_share, 4),
        "repeats": statistics.median(r[2].summary.repeats for r in runs),
        "same_organisation": statistics.median(r[2].summary.same_organisation for r in runs),
        "min_same_organisation": s.min_same_organisation,
        "groups": s.groups, "method": s.method,
    }
    baseline = [describe(random_groups(people, size, seed=rep), people, history) for rep in range(repeats)]
    theirs = {
        **{k: ours[k] for k in ("case", "people", "size", "earlier_rounds", "history_pairs")},
        "grouping": "random shuffle", "wall_s": None, "cpu_s": None,
        "cross_sector_share": round(statistics.median(b["cross_sector_share"] for b in baseline), 4),
        "best_cross_sector_share": ours["best_cross_sector_share"],
        "repeats": statistics.median(b["repeats"] for b in baseline),
        "same_organisation": statistics.median(b["same_organisation"] for b in baseline),
        "min_same_organisation": ours["min_same_organisation"],
        "groups": baseline[0]["groups"], "method": "shuffle, cut into groups of the same sizes",
    }
    return [ours, theirs]


def report(rows) -> str:
    def num(v, digits=2):
        if v is None:
            return "–"
        return f"{v:.{digits}f}" if isinstance(v, float) and not v.is_integer() else f"{v:g}"

    return table(
        ["case", "people", "size", "grouping", "wall s", "cpu s", "cross-sector", "(best)", "repeats",
         "same org", "(fewest)"],
        [[r["case"], f"{r['people']:,}", r["size"], r["grouping"], num(r["wall_s"]), num(r["cpu_s"]),
          f"{r['cross_sector_share']:.1%}", f"{r['best_cross_sector_share']:.1%}", num(r["repeats"]),
          num(r["same_organisation"]), r["min_same_organisation"]] for r in rows],
    )


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.pairs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the 20,000-people cases")
    parser.add_argument("--repeats", type=int, default=3, help="runs per case (seeds 0..N-1); medians shown")
    args = parser.parse_args(argv)
    data = {"name": "pairs", "machine": machine_info(), "arguments": vars(args), "rows": []}
    for name, n, size, rounds, options in CASES:
        if args.quick and n > 5000:
            continue
        print(f"[bench pairs] {name}: {n:,} people, groups of {size}, after {rounds} rounds", flush=True)
        data["rows"] += run_case(name, n, size, rounds, options, args.repeats)
        write_results("pairs", data)
    print()
    print(report(data["rows"]))
    m = data["machine"]
    print(f"\nMedians over {args.repeats} runs (seeds 0..{args.repeats - 1}); {m['cpu_model']}, "
          f"{m['cores']} cores, load average at start {m['load_average_at_start']}. "
          "(best) = most cross-sector pairs the sector sizes allow; "
          "(fewest) = fewest same-organisation pairs the organisation sizes force. "
          "Results: bench/results/pairs.json")
    return data["rows"]


if __name__ == "__main__":
    main()
