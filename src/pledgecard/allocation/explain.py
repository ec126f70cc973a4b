"""Why someone got what they got, in words: for each slot, what happened to the choices they preferred."""

from __future__ import annotations

from collections import defaultdict

from pledgecard.allocation.model import Problem, Result

ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth"}


def ordinal(rank: int) -> str:
    return ORDINALS.get(rank, f"{rank}th")


def explain(problem: Problem, result: Result, attendee_id: str, *, workshop_names: dict[str, str] | None = None,
            slot_names: dict[str, str] | None = None) -> list[str]:
    """Lines, one per slot. The names maps turn ids into what people read (default: the ids themselves)."""
    w_name = (workshop_names or {}).get
    s_name = (slot_names or {}).get
    attendee = next(a for a in problem.attendees if a.id == attendee_id)
    ranks = {w: r for r, w in enumerate(attendee.choices, start=1)}
    occupants = defaultdict(list)
    for p in result.placements:
        occupants[p.session].append(p.attendee)
    rank_by_attendee = {a.id: {w: r for r, w in enumerate(a.choices, start=1)} for a in problem.attendees}
    locked = {(a, s) for a, s in problem.locked}
    mine = sorted((p for p in result.placements if p.attendee == attendee_id), key=lambda p: problem.slots.index(p.slot))
    lines = []
    if not attendee.choices:
        return [f"{s_name(p.slot, p.slot)}: {w_name(p.workshop, p.workshop)}. You did not rank the workshops, so you were placed where there was room."
                for p in mine]
    for p in mine:
        got = f"{s_name(p.slot, p.slot)}: {w_name(p.workshop, p.workshop)}"
        if (attendee_id, p.session) in locked:
            lines.append(f"{got}. The organisers fixed this place for you.")
            continue
        if p.rank == 1:
            lines.append(f"{got}, your first choice.")
            continue
        reasons = []
        better = [w for w in attendee.choices if p.rank is None or ranks[w] < p.rank]
        for workshop in better:
            elsewhere = next((q for q in mine if q.workshop == workshop), None)
            if elsewhere:
                reasons.append(f"you have {w_name(workshop, workshop)} ({ordinal(ranks[workshop])} choice) at "
                               f"{s_name(elsewhere.slot, elsewhere.slot)}")
                continue
            here = [s for s in problem.sessions if s.workshop == workshop and s.slot == p.slot]
            if not here:
                reasons.append(f"{w_name(workshop, workshop)} ({ordinal(ranks[workshop])} choice) does not run at "
                               f"{s_name(p.slot, p.slot)}")
                continue
            for session in here:
                taken = occupants[session.id]
                if len(taken) < session.capacity:
                    reasons.append(f"{w_name(workshop, workshop)} had room, but moving you there would have meant a worse place "
                                   "for you or someone else in another slot")
                    continue
                as_high = sum(1 for other in taken if rank_by_attendee[other].get(workshop, 99) <= ranks[workshop])
                if as_high == len(taken):
                    reasons.append(f"{w_name(workshop, workshop)} ({ordinal(ranks[workshop])} choice) was full with people who ranked "
                                   f"it {ordinal(ranks[workshop])} or higher")
                else:
                    reasons.append(f"{w_name(workshop, workshop)} ({ordinal(ranks[workshop])} choice) was full ({session.capacity} "
                                   f"places); giving you one would have pushed someone else further down their list")
        what = f"your {ordinal(p.rank)} choice" if p.rank else "a workshop you did not rank"
        lines.append(f"{got}, {what}: " + "; ".join(reasons) + ".")
    return lines
