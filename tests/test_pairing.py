"""The pure pairing core: unit tests and properties (hypothesis). No database."""
# ruff: noqa: S311 - seeded pseudo-random rooms, on purpose

import itertools
import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pledgecard.networking.pairing import (
    RULE_NOT_MET,
    RULE_ORGANISATION,
    PairingError,
    Person,
    describe,
    make_groups,
    plan_sizes,
    random_groups,
)

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# small limits so that the block / sparse-candidate route (used above 500 people) is exercised on small rooms
BLOCKS = dict(dense_limit=12, block_size=24, candidates=4)


def people_of(spec):
    """[(organisation, sector), ...] -> Person list with ids p0, p1, ..."""
    return [Person(f"p{i}", f"Person {i}", org, sector) for i, (org, sector) in enumerate(spec)]


def pairs_in(groups):
    return {frozenset(pair) for g in groups for pair in itertools.combinations(g, 2)}


def check_partition(result, people, size):
    present = [p.id for p in people if not p.opt_out]
    placed = [pid for g in result.groups for pid in g]
    assert sorted(placed) == sorted(present), "every present person is in exactly one group"
    assert Counter(len(g) for g in result.groups) == Counter(plan_sizes(len(present), size))
    assert set(result.left_out) == {p.id for p in people if p.opt_out}


def check_summary(result, people, history):
    s, seen = result.summary, describe(result.groups, people, history)
    assert (s.groups, s.pairs, s.repeats, s.same_organisation) == (
        seen["groups"], seen["pairs"], seen["repeats"], seen["same_organisation"])
    assert s.cross_sector_share == pytest.approx(seen["cross_sector_share"])
    assert s.same_organisation >= s.min_same_organisation
    assert s.cross_sector_share <= s.best_cross_sector_share + 1e-9
    rules = {r.rule: r for r in s.relaxed}
    assert (RULE_ORGANISATION in rules) == (s.same_organisation > 0)
    assert (RULE_NOT_MET in rules) == (s.repeats > 0)
    if s.same_organisation:
        assert rules[RULE_ORGANISATION].pairs == s.same_organisation
    if s.repeats:
        assert rules[RULE_NOT_MET].pairs == s.repeats


# ------------------------------------------------------------------------------------------------ sizes


@pytest.mark.parametrize(("n", "size", "expected"), [
    (2, 2, {2: 1}), (3, 2, {3: 1}), (7, 2, {2: 2, 3: 1}), (140, 2, {2: 70}), (141, 2, {2: 69, 3: 1}),
    (4, 3, {4: 1}), (5, 3, {3: 1, 2: 1}), (9, 3, {3: 3}), (10, 3, {3: 2, 4: 1}), (11, 3, {3: 3, 2: 1}),
    (5, 4, {5: 1}), (6, 4, {3: 2}), (10, 4, {4: 1, 3: 2}), (11, 4, {4: 2, 3: 1}), (12, 4, {4: 3}),
    (2, 4, {2: 1}), (3, 4, {3: 1}),
])
def test_plan_sizes(n, size, expected):
    assert plan_sizes(n, size) == expected


@given(st.integers(2, 3000), st.sampled_from([2, 3, 4]))
def test_planned_sizes_are_balanced_and_close_to_the_size_asked(n, size):
    plan = plan_sizes(n, size)
    assert sum(s * c for s, c in plan.items()) == n
    assert max(plan) - min(plan) <= 1
    assert min(plan) >= 2
    assert all(abs(s - size) <= 1 for s in plan) or len(plan) == 1 and sum(plan.values()) == 1
    if size == 2:
        assert plan.get(3, 0) == n % 2  # pairs, and one trio when odd
    off = sum(c for s, c in plan.items() if s != size)
    assert off < size or sum(plan.values()) <= size  # only a few groups differ from the size asked


# --------------------------------------------------------------------------------------------- examples


def test_pairs_cross_organisations_and_sectors():
    people = people_of([("Trust A", "NHS"), ("Trust A", "NHS"), ("Council B", "council"),
                        ("Charity C", "voluntary")])
    result = make_groups(people, seed=1)
    check_partition(result, people, 2)
    s = result.summary
    assert (s.groups, s.same_organisation, s.repeats, s.cross_sector_share) == (2, 0, 0, 1.0)
    assert s.relaxed == ()


def test_cross_sector_pairs_are_preferred_when_the_rules_allow_both():
    # p0 (NHS) could pair with p1 (NHS, other trust) or p2 (council); p3 is NHS too. Best: both pairs mixed.
    people = people_of([("A", "NHS"), ("B", "NHS"), ("C", "council"), ("D", "school")])
    for seed in range(10):
        groups = make_groups(people, seed=seed).groups
        assert frozenset({"p0", "p1"}) not in pairs_in(groups)


def test_organisations_come_before_history():
    # four people, two organisations, all cross pairs have met: two repeats, or two same-organisation pairs
    people = people_of([("A", "NHS"), ("A", "NHS"), ("B", "council"), ("B", "council")])
    history = {frozenset(p) for p in [("p0", "p2"), ("p0", "p3"), ("p1", "p2"), ("p1", "p3")]}
    result = make_groups(people, history, seed=3)
    s = result.summary
    assert (s.same_organisation, s.repeats) == (0, 2)
    (relaxed,) = s.relaxed
    assert relaxed.rule == RULE_NOT_MET and relaxed.people == 4 and relaxed.pairs == 2


def test_fewest_repeats_when_some_are_unavoidable():
    people = people_of([("A", "NHS"), ("A", "NHS"), ("B", "council"), ("B", "council")])
    history = {frozenset(p) for p in [("p0", "p2"), ("p0", "p3"), ("p1", "p2")]}  # only p1-p3 is new
    s = make_groups(people, history).summary
    assert (s.same_organisation, s.repeats) == (0, 1)


def test_one_organisation_more_than_half_the_room_is_relaxed_minimally_and_reported():
    spec = [("Big Trust", "NHS")] * 14 + [(f"Org {i}", "council" if i % 2 else "voluntary") for i in range(6)]
    people = people_of(spec)
    result = make_groups(people, seed=5)
    check_partition(result, people, 2)
    s = result.summary
    # 14 of 20 in 10 pairs: 6 can pair outside, the other 8 must pair among themselves: 4 pairs
    assert s.min_same_organisation == 4
    assert s.same_organisation == 4
    (relaxed,) = s.relaxed
    assert relaxed.rule == RULE_ORGANISATION
    assert (relaxed.people, relaxed.pairs, relaxed.unavoidable) == (8, 4, 4)
    assert "Big Trust has 14 of the 20 people" in relaxed.reason


def test_everyone_from_one_organisation_still_gets_groups():
    people = people_of([("Only Org", "NHS")] * 5 + [("only org ", "council")] * 4)  # same after tidying
    result = make_groups(people, size=3, seed=2)
    check_partition(result, people, 3)
    s = result.summary
    assert s.same_organisation == s.pairs == s.min_same_organisation
    assert s.relaxed[0].rule == RULE_ORGANISATION and s.relaxed[0].people == 9


def test_everyone_has_met_everyone():
    people = people_of([(f"Org {i}", "NHS" if i % 2 else "council") for i in range(8)])
    history = {frozenset(p) for p in itertools.combinations([p.id for p in people], 2)}
    result = make_groups(people, history, seed=1)
    s = result.summary
    assert s.same_organisation == 0 and s.repeats == 4
    assert [(r.rule, r.people, r.pairs) for r in s.relaxed] == [(RULE_NOT_MET, 8, 4)]
    assert s.cross_sector_share == 1.0  # sectors still mixed


def test_opted_out_people_are_left_out():
    people = [Person("a", organisation="A", sector="x"),
              Person("b", organisation="B", sector="y", opt_out=True),
              Person("c", organisation="C", sector="y"), Person("d", organisation="D", sector="x")]
    result = make_groups(people)
    assert result.left_out == ("b",)
    assert sorted(pid for g in result.groups for pid in g) == ["a", "c", "d"]
    assert result.summary.opted_out == 1 and result.summary.sizes == {3: 1}


def test_blank_organisation_constrains_nobody():
    people = [Person(pid, sector=sector) for pid, sector in [("a", "x"), ("b", "y"), ("c", "x"), ("d", "y")]]
    s = make_groups(people).summary
    assert s.same_organisation == 0 and s.min_same_organisation == 0 and s.cross_sector_share == 1.0


def test_history_naming_people_not_here_is_ignored():
    people = people_of([("A", "x"), ("B", "y")])
    history = {frozenset({"p0", "ghost"}), ("p1", "p1"), ("p0", "p1")}
    s = make_groups(people, history).summary
    assert s.repeats == 1  # the one real pair; the others are ignored, not an error


@pytest.mark.parametrize(("people", "message"), [
    ([Person("a"), Person("a", organisation="X")], "more than one person: a"),
    ([Person("a")], "only one person (a) is present"),
    ([Person("a", opt_out=True), Person("b", opt_out=True)], "nobody is present"),
    ([], "nobody is present"),
])
def test_inputs_that_cannot_be_grouped_raise_a_clear_error(people, message):
    with pytest.raises(PairingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_groups(people)


def test_size_must_be_two_three_or_four():
    with pytest.raises(PairingError, match="2, 3 or 4"):
        make_groups(people_of([("A", "x"), ("B", "y")]), size=5)


def test_same_input_and_seed_give_the_same_groups_whatever_the_row_order():
    rng = random.Random(4)
    people = people_of([(f"Org {rng.randrange(12)}", f"S{rng.randrange(4)}") for _ in range(61)])
    history = {frozenset(rng.sample([p.id for p in people], 2)) for _ in range(80)}
    first = make_groups(people, history, size=3, seed=9)
    shuffled = people[:]
    rng.shuffle(shuffled)
    again = make_groups(shuffled, set(history), size=3, seed=9)
    assert first.groups == again.groups
    others = {make_groups(people, history, size=3, seed=s).groups for s in range(5)}
    assert len(others) > 1  # another seed, other (equally good) groups


def test_large_room_uses_blocks_and_keeps_the_rules():
    rng = random.Random(8)
    people = people_of([(f"Org {rng.randrange(150)}", f"S{rng.randrange(6)}") for _ in range(1201)])
    history = pairs_in(random_groups(people, 2, seed=1))
    result = make_groups(people, history, seed=2)
    check_partition(result, people, 2)
    s = result.summary
    assert "blocks" in s.method
    assert s.repeats == 0 and s.same_organisation == s.min_same_organisation
    assert s.cross_sector_share == pytest.approx(s.best_cross_sector_share, abs=0.01)
    check_summary(result, people, history)


def test_groups_beat_random_groups():
    rng = random.Random(2)
    def skewed(k):  # small numbers likelier: a few big organisations and sectors
        return min(rng.randrange(k), rng.randrange(k))

    people = people_of([(f"Org {skewed(12)}", f"S{skewed(6)}") for _ in range(140)])
    ours = make_groups(people, seed=1).summary
    theirs = describe(random_groups(people, 2, seed=1), people)
    assert ours.same_organisation == 0 < theirs["same_organisation"]
    assert ours.cross_sector_share > theirs["cross_sector_share"]


# ------------------------------------------------------------------------------------------- properties


@st.composite
def rooms(draw, max_people=40):
    n = draw(st.integers(2, max_people))
    orgs = draw(st.integers(1, 12))
    sectors = draw(st.integers(1, 5))
    people = [
        Person(f"p{i}", organisation=f"Org {draw(st.integers(0, orgs - 1))}",
               sector=f"S{draw(st.integers(0, sectors - 1))}", opt_out=draw(st.booleans()) and i % 4 == 0)
        for i in range(n)
    ]
    ids = [p.id for p in people]
    history = draw(st.sets(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=3 * n))
    return people, {frozenset(pair) for pair in history if len(set(pair)) == 2}


@PROPERTY
@given(rooms(), st.sampled_from([2, 3, 4]), st.integers(0, 2**32 - 1), st.booleans())
def test_every_present_person_is_in_exactly_one_group_of_the_planned_size(room, size, seed, blocks):
    people, history = room
    assume(sum(not p.opt_out for p in people) >= 2)
    result = make_groups(people, history, size=size, seed=seed, **(BLOCKS if blocks else {}))
    check_partition(result, people, size)
    check_summary(result, people, history)


@st.composite
def planted_rooms(draw, size, tight):
    """A room with a valid grouping hidden in it: every planted group has distinct organisations and nobody in
    it has met; history is drawn only between planted groups. `tight`: as few organisations as possible."""
    n = draw(st.integers(2 if size == 2 else 4, 48))
    plan = plan_sizes(n, size)
    group_sizes = [s for s, c in sorted(plan.items()) for _ in range(c)]
    orgs = max(group_sizes) if tight else draw(st.integers(2 * max(group_sizes) + 2, 24))
    sectors = draw(st.integers(1, 5))
    rng = random.Random(draw(st.integers(0, 10**6)))
    people, planted, at = [], [], 0
    for s in group_sizes:
        members = []
        for org in rng.sample(range(orgs), s):
            people.append(Person(f"p{at}", organisation=f"Org {org}", sector=f"S{rng.randrange(sectors)}"))
            members.append(f"p{at}")
            at += 1
        planted.append(members)
    same_group = pairs_in(planted)
    ids = [p.id for p in people]
    density = draw(st.floats(0, 0.6 if tight else 0.25))
    history = {frozenset(pair) for pair in itertools.combinations(ids, 2)
               if frozenset(pair) not in same_group and rng.random() < density}
    order = draw(st.permutations(range(len(people))))
    return [people[i] for i in order], history


@PROPERTY
@given(planted_rooms(size=2, tight=True), st.integers(0, 2**32 - 1))
def test_pairs_keep_both_rules_whenever_a_valid_pairing_exists(room, seed):
    # pairs are exact (a maximum-weight matching), so even tight rooms with much history must be clean
    people, history = room
    result = make_groups(people, history, seed=seed)
    check_partition(result, people, 2)
    assert (result.summary.same_organisation, result.summary.repeats) == (0, 0)
    assert result.summary.relaxed == ()


@PROPERTY
@given(st.sampled_from([2, 3, 4]).flatmap(lambda s: st.tuples(st.just(s), planted_rooms(s, tight=False))),
       st.integers(0, 2**32 - 1), st.booleans())
def test_groups_keep_both_rules_when_valid_groupings_are_plentiful(sized_room, seed, blocks):
    size, (people, history) = sized_room
    result = make_groups(people, history, size=size, seed=seed, **(BLOCKS if blocks else {}))
    check_partition(result, people, size)
    assert (result.summary.same_organisation, result.summary.repeats) == (0, 0)


@PROPERTY
@given(st.integers(18, 60), st.sampled_from([2, 3, 4]), st.integers(0, 2**32 - 1))
def test_round_two_never_repeats_round_one(n, size, seed):
    # at most two people per organisation, so later rounds are always possible (everyone can still meet
    # n - 1 - 2 - (size - 1) × rounds people, more than enough for a clean grouping)
    rng = random.Random(seed)
    orgs = list(range(n))
    rng.shuffle(orgs)
    people = people_of([(f"Org {orgs[i // 2]}", f"S{rng.randrange(5)}") for i in range(n)])
    first = make_groups(people, size=size, seed=seed)
    second = make_groups(people, pairs_in(first.groups), size=size, seed=seed)
    assert not pairs_in(first.groups) & pairs_in(second.groups)
    assert second.summary.repeats == 0 and second.summary.same_organisation == 0
    third = make_groups(people, pairs_in(first.groups) | pairs_in(second.groups), size=2, seed=seed + 1)
    assert third.summary.repeats == 0 and third.summary.same_organisation == 0


@PROPERTY
@given(rooms(max_people=30), st.sampled_from([2, 3, 4]), st.integers(0, 1000))
def test_same_input_and_seed_same_output(room, size, seed):
    people, history = room
    assume(sum(not p.opt_out for p in people) >= 2)
    assert make_groups(people, history, size=size, seed=seed).groups == make_groups(
        list(reversed(people)), set(history), size=size, seed=seed).groups


@PROPERTY
@given(st.integers(1, 8), st.integers(4, 40), st.integers(0, 1000))
def test_a_dominant_organisation_costs_no_more_same_organisation_pairs_than_it_must(others, n, seed):
    rng = random.Random(seed)
    big = n - others
    assume(big > n / 2)
    people = people_of([("Big", "NHS")] * big + [(f"O{i}", f"S{rng.randrange(3)}") for i in range(others)])
    result = make_groups(people, seed=seed)
    s = result.summary
    assert s.same_organisation == s.min_same_organisation
    if n % 2 == 0:  # all pairs: everyone else pairs with Big; Big's surplus pairs among itself
        assert s.min_same_organisation == (big - others) // 2
    in_big = {p.id for p in people if p.organisation == "Big"}
    with_colleague = {pid for g in result.groups if len(in_big.intersection(g)) > 1
                      for pid in in_big.intersection(g)}
    assert (s.relaxed[0].rule, s.relaxed[0].people) == (RULE_ORGANISATION, len(with_colleague))
