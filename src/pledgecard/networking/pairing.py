"""Meet someone new: put the people in a room into pairs (or groups of three or four). Pure: no Django.

Rules, in order of priority:
1. never two people from the same organisation in a group;
2. never two people who have met before (an earlier round, an earlier event);
3. mix sectors as much as possible;
and people who opted out are left out. Pairs, with one trio when the number is odd; or groups of three or
four when asked, with sizes as close to the asked size as the numbers allow (see `plan_sizes`).

When rules 1 and 2 cannot both hold for everyone (one organisation is more than half the room, everyone has
already met everyone), nothing fails: the answer breaks the lowest-priority rule it has to, as few times as it
can, and says which rule, for how many people and pairs, beside the least the sizes of the organisations alone
force (`Summary.relaxed`).

The algorithm, and why
----------------------
Every pair of people (i, j) gets a cost ``A·[same organisation] + B·[met before] + C·[same sector]`` with
``A ≫ B ≫ C`` (A > B × the number of pairs, B > C × the number of pairs), so adding costs up compares
groupings lexicographically: fewer same-organisation pairs first, then fewer repeats, then more cross-sector
pairs. A grouping's cost is the sum over the pairs of people inside its groups. That one number is what every
step below minimises, and it is what makes "relax the lowest rule, minimally" fall out of the optimisation
rather than out of special cases.

- **Pairs: maximum-weight matching (exact).** For pairs the problem *is* a minimum-cost perfect matching on
  the complete graph of the people, which Edmonds' blossom algorithm (networkx ``max_weight_matching`` with
  ``maxcardinality=True``, weight ``BIG − cost``) solves exactly in polynomial time. So up to ``dense_limit``
  (500) people — any real room — pairs are *optimal*: no same-organisation pair and no repeat whenever such a
  pairing exists, otherwise the fewest (organisations first), and among those the most cross-sector pairs.
  A greedy or random method only gets "valid" and cannot tell what was unavoidable; the matching gets the
  best. An integer programme would also be exact, but needs a solver and is slower; matching needs neither.
- **Odd rooms: the trio.** The matching leaves one person, who joins the pair that suits them best. If that
  breaks a rule, each person in turn (the likeliest first, at most ``odd_tries``) is set aside as the trio's
  third and the rest re-matched with an extra cost level for pairs that person could not join; this is exact
  (it finds a clean grouping whenever one exists) for rooms up to ``odd_tries`` + 1 people.
- **Large rooms: stratified blocks and sparse candidates.** networkx's blossom is pure Python and roughly
  O(n·m): 0.5 s for 480 people on the complete graph, minutes for 20,000 (200 million pairs). Above
  ``dense_limit``, people are dealt into blocks of about ``block_size`` (240) in (sector, organisation) order,
  so every block has the room's mix and a block's best is the room's best, scaled. In a block each person
  keeps only ``candidates`` (6) partners: half their cheapest (other organisation, not met, other sector;
  random among equals), half cheapest by the two rules alone (so a sector that is most of the room still has
  partners inside it). The matching runs on that sparse graph (random k-out graphs have perfect matchings with
  overwhelming probability); whoever is left over — e.g. the surplus of an organisation that is most of the
  room — is matched exactly among themselves. Linear in n.
- **Groups of three or four: a second matching and an assignment.** A trio is a pair plus a single, a four
  two pairs, a five two pairs and a single. After the pairs are matched, the worst pairs are split into the
  singles the sizes need; pairs are merged into fours by a second maximum-weight matching on the graph of
  pairs (cost: the four new cross pairs; dummy nodes keep the right number of pairs unmerged), and singles are
  placed by a minimum-cost assignment (SciPy's ``linear_sum_assignment``). Partitioning into groups of three
  is NP-hard, so this is a heuristic.
- **Repair.** A local search swaps two people between groups while that lowers the total cost (people whose
  group breaks a rule first; against everyone up to 3,000 people, a seeded sample above), and stops as soon as
  the cost reaches a lower bound that no grouping can beat (the fewest same-organisation and same-sector pairs
  the sizes of the organisations and sectors force). In small rooms (up to ``restart_limit``, 200) with groups
  of three or four, when a rule is still broken beyond that bound, the whole construction is retried with
  other random choices (``restarts``) and then a simulated annealing on swaps runs for up to ``anneal_moves``
  moves.

Measured (bench/pairs.py, realistic rooms after two earlier rounds, 2-core machine): 140 people in 0.03 s,
2,000 in 0.2 s, 20,000 in 2–3 s, for pairs, trios and fours; in every case the share of cross-sector pairs
equals the upper bound the sector sizes allow and the same-organisation pairs equal the lower bound, with no
repeats, so those groupings are provably optimal on both. The heuristic limits: in small rooms where half of
all pairs have already met, groups of four with a valid grouping hidden in them still miss it about 4% of the
time (trios about 0.5%, pairs never); the miss is reported as a relaxed rule, never hidden.

Same people, history, size and seed give the same groups (every random choice comes from the seed; the
people are first put in order of id, so the order of the input rows does not matter either).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from scipy.optimize import linear_sum_assignment

RULE_ORGANISATION = "different organisations"
RULE_NOT_MET = "not met before"
SIZES = (2, 3, 4)
ANNEAL_TEMPERATURES = (0.8, 0.2)  # start, end: in units of the search's own costs (met = 2)


class PairingError(ValueError):
    """The input cannot be grouped at all (fewer than two people present, duplicate ids, an unknown size)."""


@dataclass(frozen=True)
class Person:
    id: str
    name: str = ""
    organisation: str = ""  # blank: unknown, so it constrains nobody
    sector: str = ""  # blank: unknown (counted as a sector of its own)
    opt_out: bool = False


@dataclass(frozen=True)
class Relaxation:
    rule: str  # RULE_ORGANISATION or RULE_NOT_MET
    people: int  # people in a group that breaks the rule
    pairs: int  # pairs of people inside groups that break it
    unavoidable: int | None  # pairs that had to break it, when that can be counted (organisations), else None
    reason: str


@dataclass(frozen=True)
class Summary:
    present: int
    opted_out: int
    groups: int
    sizes: dict[int, int]  # group size -> number of groups
    pairs: int  # pairs of people inside groups (1 per pair, 3 per trio, 6 per four)
    cross_sector_pairs: int
    cross_sector_share: float
    best_cross_sector_share: float  # upper bound from the sizes of the sectors alone
    repeats: int  # pairs inside groups who had met before
    same_organisation: int  # pairs inside groups from one organisation
    min_same_organisation: int  # lower bound from the sizes of the organisations alone
    relaxed: tuple[Relaxation, ...]
    method: str
    swaps: int  # improving swaps made by the repair step
    seconds: float


@dataclass(frozen=True)
class Result:
    groups: tuple[tuple[str, ...], ...]
    left_out: tuple[str, ...]  # ids of people who opted out
    summary: Summary
    by_person: dict[str, int] = field(default_factory=dict, repr=False)  # id -> group number (from 1)


# ----------------------------------------------------------------------------------------------- sizes


def plan_sizes(n: int, size: int) -> dict[int, int]:
    """Group sizes for `n` people asked for groups of `size`: {size: count}.

    Sizes are balanced (they differ by at most one), never below 2, and chosen to be as close to `size` as
    possible: smallest largest deviation, then smallest total deviation, then more (smaller) groups. So pairs
    with one trio when n is odd; for threes, one four or one pair as needed; for fours, threes or one five.
    """
    if size not in SIZES:
        raise PairingError(f"groups can be of 2, 3 or 4 people, not {size}")
    if n < 2:
        raise PairingError("at least two people are needed to make a group")
    best = None
    for g in range(max(1, n // size - 1), min(n // 2, n // size + 2) + 1):
        q, r = divmod(n, g)
        if q < 2 or q + (r > 0) > size + 1:
            continue
        up, down = abs(q + 1 - size), abs(q - size)  # deviations of the r bigger and g - r smaller groups
        key = (max(up if r else 0, down if g - r else 0), r * up + (g - r) * down, -g)
        if best is None or key < best[0]:
            best = (key, {s: c for s, c in ((q + 1, r), (q, g - r)) if c})
    if best is None:  # fewer people than the size asked: one group of everyone
        return {n: 1}
    return best[1]


# ------------------------------------------------------------------------------------------------ costs


class _Costs:
    """Pair costs between people by index, vectorised: A·same organisation + B·met + C·same sector."""

    def __init__(self, org: np.ndarray, sector: np.ndarray, met_lo: np.ndarray, met_hi: np.ndarray):
        self.n = n = len(org)
        self.org, self.sector = org, sector
        self.met_lo, self.met_hi = met_lo, met_hi
        self.met_keys = np.unique(met_lo.astype(np.int64) * n + met_hi)
        # lexicographic weights: at most 2n pairs inside groups (groups of at most five)
        self.C = 1
        self.B = 2 * n + 1
        self.A = (2 * n + 1) * (self.B + 1)
        self.BIG = self.A + self.B + self.C + 1

    def met(self, u, v) -> np.ndarray:
        u, v = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
        keys = np.minimum(u, v) * self.n + np.maximum(u, v)
        if not len(self.met_keys):
            return np.zeros(np.broadcast(u, v).shape, dtype=bool)
        pos = np.minimum(np.searchsorted(self.met_keys, keys), len(self.met_keys) - 1)
        return self.met_keys[pos] == keys

    def cost(self, u, v) -> np.ndarray:
        """Cost between u and v (broadcast arrays of indices; callers mask out padding and u == v)."""
        u, v = np.asarray(u), np.asarray(v)
        return (self.A * (self.org[u] == self.org[v]) + self.C * (self.sector[u] == self.sector[v])
                + self.B * self.met(u, v))

    def matrix(self, idx: np.ndarray) -> np.ndarray:
        """Dense cost matrix among the people `idx` (diagonal 0)."""
        m = len(idx)
        org, sec = self.org[idx], self.sector[idx]
        mat = (self.A * (org[:, None] == org[None, :]).astype(np.int64)
               + self.C * (sec[:, None] == sec[None, :]))
        if len(self.met_lo):
            pos = np.full(self.n, -1, dtype=np.int64)
            pos[idx] = np.arange(m)
            a, b = pos[self.met_lo], pos[self.met_hi]
            both = (a >= 0) & (b >= 0)
            mat[a[both], b[both]] += self.B
            mat[b[both], a[both]] += self.B
        np.fill_diagonal(mat, 0)
        return mat


def _matching(m: int, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> list[tuple[int, int]]:
    """Maximum-weight matching of largest cardinality on nodes 0..m-1 and edges (u, v, w)."""
    graph = nx.Graph()
    graph.add_nodes_from(range(m))
    graph.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist(), strict=True))
    pairs = nx.max_weight_matching(graph, maxcardinality=True)
    return sorted((min(a, b), max(a, b)) for a, b in pairs)


# ---------------------------------------------------------------------------------------------- pairing


class _Grouper:
    def __init__(self, costs: _Costs, rng: np.random.Generator, *, dense_limit: int, candidates: int):
        self.costs, self.rng = costs, rng
        self.dense_limit, self.candidates = dense_limit, candidates

    # --- pairs

    def dense_pairs(self, idx: np.ndarray) -> tuple[list[tuple[int, int]], list[int]]:
        """Exact: the matching on the complete graph of `idx`; at most one person left (odd count)."""
        idx = self.rng.permutation(idx)
        m = len(idx)
        if m < 2:
            return [], idx.tolist()
        mat = self.costs.matrix(idx)
        u, v = np.triu_indices(m, 1)
        found = _matching(m, u, v, self.costs.BIG - mat[u, v])
        matched = {x for pair in found for x in pair}
        left = [int(idx[i]) for i in range(m) if i not in matched]
        return [(int(idx[a]), int(idx[b])) for a, b in found], left

    def nearest(self, cost: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Sparse candidate edges (u < v) from a square cost matrix: each row's cheapest k/2 partners (random
        among equals), and k/2 more cheapest by the rules alone (same organisation, met) ignoring sectors, so
        that a sector which is most of the room still has candidate partners inside it."""
        m = len(cost)
        k = min(k, m - 1)
        rules = cost // self.costs.B
        parts = []
        for key, take in ((cost + self.rng.random((m, m)) * 0.5, (k + 1) // 2),
                          (rules + self.rng.random((m, m)) * 0.5, k // 2)):
            if take:
                np.fill_diagonal(key, np.inf)
                parts.append(np.argpartition(key, take - 1, axis=1)[:, :take])
        u = np.concatenate([np.repeat(np.arange(m), p.shape[1]) for p in parts])
        v = np.concatenate([p.ravel() for p in parts])
        edges = np.unique(np.minimum(u, v).astype(np.int64) * m + np.maximum(u, v))
        return np.divmod(edges, m)

    def sparse_pairs(self, idx: np.ndarray) -> tuple[list[tuple[int, int]], list[int]]:
        """Heuristic for a large block: the matching on each person's few cheapest partners (`nearest`)."""
        idx = self.rng.permutation(idx)
        m = len(idx)
        mat = self.costs.matrix(idx)
        u, v = self.nearest(mat, self.candidates)
        found = _matching(m, u, v, self.costs.BIG - mat[u, v])
        matched = np.zeros(m, dtype=bool)
        for a, b in found:
            matched[a] = matched[b] = True
        return [(int(idx[a]), int(idx[b])) for a, b in found], idx[~matched].tolist()

    def pairs(self, idx: np.ndarray, exact: bool) -> tuple[list[tuple[int, int]], list[int]]:
        if exact:
            return self.dense_pairs(idx)
        pairs, left = self.sparse_pairs(idx)
        while len(left) > self.dense_limit:  # rare: then the leftovers are matched sparsely again
            more, rest = self.sparse_pairs(np.array(left))
            if len(rest) == len(left):
                break
            pairs += more
            left = rest
        while len(left) >= 2:
            chunk, left = left[: self.dense_limit], left[self.dense_limit:]
            more, rest = self.dense_pairs(np.array(chunk))
            pairs += more
            left = rest + left
            if len(left) <= 1 or not more:
                break
        return pairs, left

    # --- groups from pairs

    def pair_cost(self, pair) -> int:
        return int(self.costs.cost(pair[0], pair[1]))

    def groups(self, idx: np.ndarray, plan: dict[int, int], exact: bool) -> list[list[int]]:
        """Groups with sizes `plan` from the people `idx`: pairs, split, merged into fours, singles placed."""
        pairs, singles = self.pairs(idx, exact)
        c2, c3, c4, c5 = (plan.get(s, 0) for s in (2, 3, 4, 5))
        assert c3 == 0 or c5 == 0, plan  # balanced sizes never include both 3 and 5
        need_singles = c3 + c5
        split = (need_singles - len(singles)) // 2
        if split > 0:
            # split the worst pairs (random among equals) into singles
            order = self.rng.permutation(len(pairs))
            order = sorted(order.tolist(), key=lambda i: -self.pair_cost(pairs[i]))
            chosen = set(order[:split])
            singles += [x for i in sorted(chosen) for x in pairs[i]]
            pairs = [p for i, p in enumerate(pairs) if i not in chosen]
        units = self.merge(pairs, merges=c4 + c5, exact=exact)
        if need_singles:
            targets = [i for i, u in enumerate(units) if len(u) == (2 if c3 else 4)]
            rows = np.array(singles)
            cost = np.zeros((len(rows), len(targets)), dtype=np.int64)
            for col, t in enumerate(targets):
                members = np.array(units[t])
                cost[:, col] = self.costs.cost(rows[:, None], members[None, :]).sum(axis=1)
            r, c = linear_sum_assignment(cost)
            for row, col in zip(r.tolist(), c.tolist(), strict=True):
                units[targets[col]] = units[targets[col]] + [int(rows[row])]
        return units

    def merge(self, pairs: list[tuple[int, int]], merges: int, exact: bool) -> list[list[int]]:
        """Merge `merges` couples of pairs into fours, chosen by a matching on the graph of pairs."""
        units = [list(p) for p in pairs]
        if merges == 0:
            return units
        p = len(pairs)
        a = np.array([x[0] for x in pairs])
        b = np.array([x[1] for x in pairs])
        cost = self.costs
        q = (cost.cost(a[:, None], a[None, :]) + cost.cost(a[:, None], b[None, :])
             + cost.cost(b[:, None], a[None, :]) + cost.cost(b[:, None], b[None, :]))
        lone = p - 2 * merges
        if merges <= 2 and lone > 0:
            # a few merges: greedy, cheapest first
            q = q.astype(float)
            np.fill_diagonal(q, np.inf)
            merged = []
            for _ in range(merges):
                i, j = np.unravel_index(np.argmin(q), q.shape)
                merged.append((int(i), int(j)))
                q[[i, j], :] = np.inf
                q[:, [i, j]] = np.inf
        else:
            # `lone` dummy nodes, each joined to every pair, keep that many pairs unmerged; sparse candidates
            # first in a block, and the complete graph of pairs if they do not give every pair a partner
            for sparse in ([True, False] if not exact else [False]):
                u, v = self.nearest(q, self.candidates) if sparse else np.triu_indices(p, 1)
                w = 4 * cost.BIG - q[u, v]
                if lone:
                    du = np.repeat(np.arange(p), lone)
                    dv = np.tile(np.arange(p, p + lone), p)
                    u, v = np.concatenate([u, du]), np.concatenate([v, dv])
                    w = np.concatenate([w, np.full(len(du), 4 * cost.BIG)])
                found = _matching(p + lone, u, v, w)
                if len(found) == (p + lone) // 2:
                    break
            merged = [(i, j) for i, j in found if j < p]
        used = {x for pair in merged for x in pair}
        return [units[i] + units[j] for i, j in merged] + [units[i] for i in range(p) if i not in used]

    # --- odd rooms: the trio

    def odd_trio_search(self, groups: list[list[int]], min_same_org: int, tries: int) -> list[list[int]]:
        """Pairs and one trio, exactly as far as the rules go: try each person y as the trio's third.

        With y set aside, the others are matched exactly with one more level in the costs, between "met" and
        "same sector": a pair y cannot join (same organisation as y, or met y) costs more. If any grouping
        keeps both rules, one with y as a trio's third does for some y, and then this matching has a pair y
        can join cleanly. Stops at the first y that keeps both rules (or reaches the organisations' bound),
        and after `tries` people: exact for rooms up to `tries` + 1 people, a strong heuristic above.
        """
        costs, n = self.costs, self.costs.n
        A, B = costs.A, costs.B

        def total(gs):
            same_org, repeats, same_sector = _broken(gs, costs)
            clean = same_org == min_same_org and not repeats
            return A * same_org + B * repeats + costs.C * same_sector, clean

        best, (best_total, done) = groups, total(groups)
        if done:
            return best
        everyone = np.arange(n)
        H = n + 1  # above every sector cost together
        B2 = n * (H + 1)
        A2 = n * (B2 + H + 1)
        # the likeliest thirds first: people from the smallest organisations, who have met the fewest
        org_size = np.bincount(costs.org)[costs.org]
        degree = np.bincount(np.concatenate([costs.met_lo, costs.met_hi]), minlength=n)
        order = np.lexsort((self.rng.random(n), degree, org_size))
        for y in order[:tries].tolist():
            idx = everyone[everyone != y]
            mat = costs.matrix(idx)
            same_org, rest = np.divmod(mat, A)
            met, same_sector = np.divmod(rest, B)
            bad_for_y = costs.cost(y, idx) >= B  # same organisation as y, or met y
            cannot_host = bad_for_y[:, None] | bad_for_y[None, :]
            level = A2 * same_org + B2 * met + H * cannot_host + same_sector
            u, v = np.triu_indices(len(idx), 1)
            found = _matching(len(idx), u, v, (A2 + B2 + H + 2) * 2 - level[u, v])
            pairs = [[int(idx[a]), int(idx[b])] for a, b in found]
            host = min(range(len(pairs)), key=lambda i: int(costs.cost(y, np.array(pairs[i])).sum()))
            pairs[host].append(y)
            this, clean = total(pairs)
            if this < best_total:
                best, best_total, done = pairs, this, clean
            if done:
                break
        return best

    # --- small rooms, groups of three or four: annealing

    def anneal(self, groups: list[list[int]], min_same_org: int, moves: int) -> tuple[list[list[int]], int]:
        """Simulated annealing on swaps, for the rules only (organisations, then history; sectors lightly),
        keeping the best grouping by the true costs. For small rooms where the swaps of `repair` are stuck in
        a local optimum that breaks a rule (many people have already met). Returns (groups, moves made)."""
        costs, n = self.costs, self.costs.n
        org, sector = costs.org.tolist(), costs.sector.tolist()
        met = set((costs.met_lo * n + costs.met_hi).tolist())
        rng = np.random.default_rng(self.rng.integers(2**63))
        randoms = iter(rng.random(2 * moves + 1).tolist())
        picks = iter(rng.integers(0, 2**31, 2 * moves + 1).tolist())

        def hard(a, b):  # (same organisation, met) as 0/1
            return org[a] == org[b], (a * n + b if a < b else b * n + a) in met

        def sums(x, others):  # (same organisation, met, same sector) between x and others
            o = m = s = 0
            for z in others:
                ho, hm = hard(x, z)
                o += ho
                m += hm
                s += sector[x] == sector[z]
            return o, m, s

        gs = [list(g) for g in groups]
        where = {x: (g, i) for g, members in enumerate(gs) for i, x in enumerate(members)}

        def bad_people():
            return [x for members in gs for x in members if any(any(hard(x, y)) for y in members if y != x)]

        o_now, m_now, _ = _broken(gs, costs)
        best_score, best, made = (o_now, m_now), [list(g) for g in gs], 0
        people = list(where)
        bad = bad_people()
        t0, t1 = ANNEAL_TEMPERATURES
        for step in range(moves):
            if step % 500 == 0:
                bad = bad_people()
                if not bad:
                    break
            x = bad[next(picks) % len(bad)]
            y = people[next(picks) % len(people)]
            gx, ix = where[x]
            gy, iy = where[y]
            if gx == gy:
                continue
            mx = [z for z in gs[gx] if z != x]
            my = [z for z in gs[gy] if z != y]
            new_y, new_x, old_x, old_y = sums(y, mx), sums(x, my), sums(x, mx), sums(y, my)
            do, dm, ds = (new_y[k] + new_x[k] - old_x[k] - old_y[k] for k in range(3))
            delta = 4.0 * do + 2.0 * dm + 0.05 * ds  # the search's own scale: organisations, then history
            temperature = t0 * (t1 / t0) ** (step / moves)
            if delta <= 0 or next(randoms) < math.exp(-delta / temperature):
                gs[gx][ix], gs[gy][iy] = y, x
                where[x], where[y] = (gy, iy), (gx, ix)
                made += 1
                o_now, m_now = o_now + do, m_now + dm
                if (o_now, m_now) < best_score:
                    best_score, best = (o_now, m_now), [list(g) for g in gs]
                    if best_score == (min_same_org, 0):
                        break
        return best, made

    # --- repair

    def repair(self, groups: list[list[int]], total: int, bound: int, *, full_limit: int = 3000,
               sample: int = 400) -> int:
        """Swap people between groups while that lowers the total cost, until it reaches `bound` (no grouping
        can cost less); returns the number of swaps."""
        costs, n = self.costs, self.costs.n
        if len(groups) < 2:
            return 0
        members = np.full((len(groups), max(len(g) for g in groups)), -1, dtype=np.int64)
        gid = np.full(n, -1, dtype=np.int64)
        for g, people in enumerate(groups):
            members[g, : len(people)] = people
            gid[people] = g
        placed = np.flatnonzero(gid >= 0)

        def own_cost(x_arr):
            rows = members[gid[x_arr]]
            mask = (rows >= 0) & (rows != x_arr[:, None])
            return (costs.cost(x_arr[:, None], rows) * mask).sum(axis=1)

        swaps = 0
        for _ in range(10 if len(placed) <= full_limit else 3):
            current = own_cost(placed)
            todo = placed[current > 0]
            if not len(todo):
                break
            # people whose group breaks a rule first, then the rest; random among equals
            todo = todo[self.rng.permutation(len(todo))]
            todo = todo[np.argsort(-(own_cost(todo) // costs.B), kind="stable")]
            improved = 0
            for x in todo.tolist():
                if total <= bound:
                    break
                a = gid[x]
                mine = members[a][(members[a] >= 0) & (members[a] != x)]
                old_x = int(costs.cost(x, mine).sum())
                if old_x == 0:
                    continue
                if len(placed) <= full_limit:
                    ys = placed[gid[placed] != a]
                else:
                    ys = placed[self.rng.integers(0, len(placed), sample)]
                    ys = ys[gid[ys] != a]
                if not len(ys):
                    continue
                rows = members[gid[ys]]
                mask = (rows >= 0) & (rows != ys[:, None])
                old_y = (costs.cost(ys[:, None], rows) * mask).sum(axis=1)
                new_x = (costs.cost(x, rows) * mask).sum(axis=1)
                new_y = costs.cost(ys[:, None], mine[None, :]).sum(axis=1)
                delta = new_x + new_y - old_x - old_y
                best = int(np.argmin(delta))
                if delta[best] < 0:
                    y = int(ys[best])
                    b = gid[y]
                    members[a][members[a] == x] = y
                    members[b][members[b] == y] = x
                    gid[x], gid[y] = b, a
                    improved += 1
                    total += int(delta[best])
            swaps += improved
            if not improved or total <= bound:
                break
        for g in range(len(groups)):
            groups[g] = [int(x) for x in members[g] if x >= 0]
        return swaps


# ------------------------------------------------------------------------------------------------ blocks


def _blocks(n: int, block_size: int, dense_limit: int) -> list[int]:
    """Block sizes: one block up to `dense_limit` (or about one block's worth); else multiples of 12."""
    count = max(1, round(n / block_size))
    if n <= dense_limit or count == 1:
        return [n]
    base = 12 * max(1, (n // count) // 12)
    return [base] * (count - 1) + [n - base * (count - 1)]


def _deal(keys: np.ndarray, sizes: list[int]) -> np.ndarray:
    """Block number for each person: people in `keys` order are dealt in proportion to the block sizes."""
    positions = np.concatenate([(np.arange(s) + 0.5) / s for s in sizes])
    labels = np.concatenate([np.full(s, b) for b, s in enumerate(sizes)])
    slots = labels[np.argsort(positions, kind="stable")]
    block = np.empty(len(keys), dtype=np.int64)
    block[keys] = slots
    return block


def _spread_pairs(counts, groups: int) -> int:
    """Fewest pairs with the same label inside `groups` groups: each label spread as evenly as it goes."""
    total = 0
    for k in counts:
        q, r = divmod(k, groups)
        total += r * (q + 1) * q // 2 + (groups - r) * q * (q - 1) // 2
    return total


# --------------------------------------------------------------------------------------------- the entry


def _normal(text: str) -> str:
    return " ".join((text or "").split()).casefold()


def make_groups(
    people,
    history=(),
    size: int = 2,
    seed: int = 0,
    *,
    dense_limit: int = 500,
    block_size: int = 240,
    candidates: int = 6,
    odd_limit: int = 200,
    odd_tries: int = 40,
    restart_limit: int = 200,
    restarts: int = 4,
    anneal_moves: int = 200_000,
) -> Result:
    """Group the people who have not opted out; see the module docstring.

    `people`: Person objects (ids unique). `history`: pairs of ids who have met (frozensets or 2-tuples);
    pairs naming someone not in `people`, or one person twice, are ignored. Raises PairingError only when no
    group can be made at all (fewer than two people present, duplicate ids, a size other than 2, 3 or 4).
    """
    started = time.perf_counter()
    people = list(people)
    if size not in SIZES:
        raise PairingError(f"groups can be of 2, 3 or 4 people, not {size}")
    ids = [str(p.id) for p in people]
    dup = sorted(i for i, c in Counter(ids).items() if c > 1)
    if dup:
        raise PairingError(f"these ids are used for more than one person: {', '.join(dup[:10])}"
                           + (f" and {len(dup) - 10} more" if len(dup) > 10 else ""))
    left_out = tuple(sorted(str(p.id) for p in people if p.opt_out))
    present = sorted((p for p in people if not p.opt_out), key=lambda p: str(p.id))
    n = len(present)
    if n < 2:
        who = "nobody is" if n == 0 else f"only one person ({present[0].id}) is"
        raise PairingError(f"{who} present (not opted out), so there is no group to make")
    plan_sizes(n, size)  # validates

    # organisations and sectors as numbers; a blank organisation is a new one for each person
    org_code, org_name, org = {}, {}, np.empty(n, dtype=np.int64)
    for i, p in enumerate(present):
        key = _normal(p.organisation) or f"\x00{i}"
        if key not in org_code:
            org_code[key] = len(org_code)
            org_name[org_code[key]] = p.organisation.strip()
        org[i] = org_code[key]
    sector_code, sector = {}, np.empty(n, dtype=np.int64)
    for i, p in enumerate(present):
        sector[i] = sector_code.setdefault(_normal(p.sector), len(sector_code))
    index = {str(p.id): i for i, p in enumerate(present)}
    met = set()
    for pair in history:
        pair = tuple(str(x) for x in pair)
        if len(set(pair)) == 2 and pair[0] in index and pair[1] in index:
            a, b = index[pair[0]], index[pair[1]]
            met.add((min(a, b), max(a, b)))
    met_arr = np.array(sorted(met), dtype=np.int64).reshape(-1, 2)
    costs = _Costs(org, sector, met_arr[:, 0], met_arr[:, 1])

    rng = np.random.default_rng(seed)
    grouper = _Grouper(costs, rng, dense_limit=dense_limit, candidates=candidates)
    sizes = _blocks(n, block_size, dense_limit)
    if len(sizes) == 1:
        blocks = [np.arange(n)]
        method = (f"exact maximum-weight matching on all {n * (n - 1) // 2:,} pairs" if n <= dense_limit else
                  f"maximum-weight matching, {candidates} candidate partners each, leftovers matched exactly")
    else:
        # deal people out in (sector, organisation) order, random within, so every block has the room's mix
        org_rank, sector_rank = rng.permutation(len(org_code))[org], rng.permutation(len(sector_code))[sector]
        order = np.lexsort((rng.random(n), org_rank, sector_rank))
        block_of = _deal(order, sizes)
        blocks = [np.flatnonzero(block_of == b) for b in range(len(sizes))]
        method = (f"maximum-weight matching in {len(sizes)} blocks of about {sizes[0]}, "
                  f"{candidates} candidate partners each, leftovers matched exactly")
    if size > 2:
        method += "; pairs merged into groups by a second matching and an assignment"
    plans = [plan_sizes(len(idx), size) for idx in blocks]
    count = sum(sum(plan.values()) for plan in plans)
    min_org = _spread_pairs(Counter(org.tolist()).values(), count)
    min_sector = _spread_pairs(Counter(sector.tolist()).values(), count)
    bound = costs.A * min_org + costs.C * min_sector  # no grouping costs less

    def attempt():
        groups = []
        for idx, plan in zip(blocks, plans, strict=True):
            groups += grouper.groups(idx, plan, exact=n <= dense_limit)
        total = _total(groups, costs)
        # repair only when the groups are not already provably best (at the bounds the sizes alone allow)
        swaps = grouper.repair(groups, total, bound) if total > bound else 0
        return groups, swaps, _total(groups, costs)

    groups, swaps, total = attempt()
    tries = 1
    # groups of three or four are a heuristic: in a small room, when a rule is broken beyond what the sizes of
    # the organisations force, try again from other random choices and keep the best
    while size > 2 and n <= restart_limit and tries < restarts and total >= costs.A * min_org + costs.B:
        again = attempt()
        tries += 1
        if again[2] < total:
            groups, swaps, total = again
    if tries > 1:
        method += f"; best of {tries} tries"
    if size > 2 and n <= restart_limit and total >= costs.A * min_org + costs.B:
        annealed, made = grouper.anneal(groups, min_org, moves=anneal_moves)
        if _total(annealed, costs) < total:
            groups = annealed
            swaps += made + grouper.repair(groups, _total(groups, costs), bound)
            method += "; then simulated annealing"
    if size == 2 and n % 2 and n <= odd_limit:
        same_org, repeats, _ = _broken(groups, costs)
        if same_org > min_org or repeats:
            groups = grouper.odd_trio_search(groups, min_org, tries=odd_tries)
            method += "; the trio found by trying each person as its third"

    groups = sorted((sorted(g) for g in groups), key=lambda g: g[0])
    summary = _summarise(groups, costs, present, org_name, size, len(left_out), method, swaps, started)
    out = tuple(tuple(str(present[i].id) for i in g) for g in groups)
    by_person = {pid: number for number, g in enumerate(out, start=1) for pid in g}
    return Result(groups=out, left_out=left_out, summary=summary, by_person=by_person)


def _total(groups, costs: _Costs) -> int:
    same_org, repeats, same_sector = _broken(groups, costs)
    return costs.A * same_org + costs.B * repeats + costs.C * same_sector


def _broken(groups, costs: _Costs) -> tuple[int, int, int]:
    """(same-organisation pairs, repeats, same-sector pairs) inside the groups."""
    u, v = [], []
    for g in groups:
        for i, a in enumerate(g):
            for b in g[i + 1:]:
                u.append(a)
                v.append(b)
    u, v = np.array(u, dtype=np.int64), np.array(v, dtype=np.int64)
    return (int((costs.org[u] == costs.org[v]).sum()), int(costs.met(u, v).sum()),
            int((costs.sector[u] == costs.sector[v]).sum()))


def _summarise(groups, costs: _Costs, present, org_name, size, opted_out, method, swaps, started) -> Summary:
    n = len(present)
    pairs = cross = repeats = same_org = 0
    broke_org, broke_met = set(), set()
    for g in groups:
        for i, a in enumerate(g):
            for b in g[i + 1:]:
                pairs += 1
                if costs.sector[a] != costs.sector[b]:
                    cross += 1
                if costs.org[a] == costs.org[b]:
                    same_org += 1
                    broke_org.update((a, b))
                if costs.met(a, b):
                    repeats += 1
                    broke_met.update((a, b))
    count = len(groups)
    min_same_org = _spread_pairs(Counter(costs.org.tolist()).values(), count)
    min_same_sector = _spread_pairs(Counter(costs.sector.tolist()).values(), count)
    relaxed = []
    if same_org:
        biggest, members = Counter(costs.org.tolist()).most_common(1)[0]
        name = org_name.get(biggest) or "one organisation"
        if min_same_org:
            why = (f"{name} has {members} of the {n} people present and there are {count} groups, so some "
                   f"groups must have two people from one organisation")
            if same_org > min_same_org:
                why += f" (at least {min_same_org} such pairs were unavoidable)"
        else:
            why = "with who has already met whom, no grouping was found that keeps organisations apart"
        relaxed.append(Relaxation(RULE_ORGANISATION, len(broke_org), same_org, min_same_org, why))
    if repeats:
        why = ("too many of these people have already met each other to keep everyone with someone new "
               "(keeping organisations apart comes first)")
        relaxed.append(Relaxation(RULE_NOT_MET, len(broke_met), repeats, None, why))
    sizes = Counter(len(g) for g in groups)
    return Summary(
        present=n,
        opted_out=opted_out,
        groups=count,
        sizes=dict(sorted(sizes.items())),
        pairs=pairs,
        cross_sector_pairs=cross,
        cross_sector_share=cross / pairs if pairs else 0.0,
        best_cross_sector_share=1 - min_same_sector / pairs if pairs else 0.0,
        repeats=repeats,
        same_organisation=same_org,
        min_same_organisation=min_same_org,
        relaxed=tuple(relaxed),
        method=method,
        swaps=swaps,
        seconds=time.perf_counter() - started,
    )


def random_groups(people, size: int = 2, seed: int = 0) -> list[list[str]]:
    """The baseline: shuffle the present people and cut them into groups of the planned sizes."""
    ids = [str(p.id) for p in people if not p.opt_out]
    rng = np.random.default_rng(seed)
    ids = [ids[i] for i in rng.permutation(len(ids))]
    out, at = [], 0
    for s, c in sorted(plan_sizes(len(ids), size).items()):
        for _ in range(c):
            out.append(ids[at: at + s])
            at += s
    return out


def describe(groups, people, history=()) -> dict:
    """Figures for any grouping (ours or a baseline): pairs, cross-sector share, repeats, same organisation.

    Uses the same rules as `make_groups`: tidied names, and a blank organisation is nobody's colleague."""
    by_id = {str(p.id): p for p in people}
    met = {frozenset(map(str, pair)) for pair in history}
    pairs = cross = repeats = same = 0
    for g in groups:
        for i, a in enumerate(g):
            for b in g[i + 1:]:
                pa, pb = by_id[a], by_id[b]
                pairs += 1
                cross += _normal(pa.sector) != _normal(pb.sector)
                org_a, org_b = _normal(pa.organisation), _normal(pb.organisation)
                same += bool(org_a) and org_a == org_b
                repeats += frozenset((a, b)) in met
    return {"groups": len(groups), "pairs": pairs, "cross_sector_share": cross / pairs if pairs else 0.0,
            "repeats": repeats, "same_organisation": same}


__all__ = [
    "RULE_NOT_MET", "RULE_ORGANISATION", "PairingError", "Person", "Relaxation", "Result", "Summary",
    "describe", "make_groups", "plan_sizes", "random_groups",
]
