"""Business rules for workshops: choices, demand, running the allocation, locking, publishing.

The solver itself is `pledgecard.allocation` (pure, no Django); this module turns rows into its dataclasses and
its answer back into rows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from pledgecard import allocation
from pledgecard.allocation.explain import explain
from pledgecard.events.models import Event, Registration
from pledgecard.workshops.models import AllocationRun, ChoiceRecord, Placement, Preference, Programme, Session, Workshop


class ChoiceError(ValueError):
    pass


def programme_for(event: Event) -> Programme:
    programme, _ = Programme.objects.get_or_create(event=event)
    return programme


def programme_peek(event: Event) -> Programme:
    """The event's programme, unsaved if it has none yet: for attendees' pages, which a GET must not change
    (mail scanners follow private links)."""
    return Programme.objects.filter(event=event).first() or Programme(event=event)


def max_choices(event: Event) -> int:
    """k: how many workshops anyone may rank (all of them)."""
    return event.workshops.count()


def choices_save(registration: Registration, workshops_in_order: list[Workshop], *, no_preference=False,
                 entered_by=None) -> None:
    """Replace someone's ranked choices. An empty list with `no_preference` means "place me anywhere"."""
    if len({w.pk for w in workshops_in_order}) != len(workshops_in_order):
        raise ChoiceError("Choose each workshop only once")
    if any(w.event_id != registration.event_id for w in workshops_in_order):
        raise ChoiceError("Choose from this event's workshops")
    with transaction.atomic():
        registration.preferences.all().delete()
        Preference.objects.bulk_create(
            Preference(registration=registration, workshop=w, rank=rank)
            for rank, w in enumerate(workshops_in_order, start=1)
        )
        ChoiceRecord.objects.update_or_create(
            registration=registration,
            defaults={"no_preference": no_preference or not workshops_in_order, "entered_by": entered_by},
        )


@dataclass
class Demand:
    workshop: Workshop
    first_choices: int
    top_two: int
    ranked: int
    places: int


def demand(event: Event) -> list[Demand]:
    """How wanted each workshop is, against its places (all its sessions together)."""
    ranks = defaultdict(Counter)
    for workshop_id, rank in Preference.objects.filter(workshop__event=event).values_list("workshop_id", "rank"):
        ranks[workshop_id][rank] += 1
    places = Counter()
    for workshop_id, capacity in Session.objects.filter(workshop__event=event).values_list("workshop_id", "capacity"):
        places[workshop_id] += capacity
    return [
        Demand(w, ranks[w.pk][1], ranks[w.pk][1] + ranks[w.pk][2], sum(ranks[w.pk].values()), places[w.pk])
        for w in event.workshops.order_by("title")
    ]


def _problem(event: Event, objective: str, locked: list[tuple[str, str]]) -> allocation.Problem:
    sessions = tuple(
        allocation.Session(str(s.pk), str(s.workshop_id), str(s.slot_id), s.capacity)
        for s in Session.objects.filter(workshop__event=event).order_by("slot__starts_at", "workshop__title")
    )
    ranked = defaultdict(list)
    for registration_id, workshop_id in (
        Preference.objects.filter(registration__event=event).order_by("registration_id", "rank")
        .values_list("registration_id", "workshop_id")
    ):
        ranked[registration_id].append(str(workshop_id))
    attendees = tuple(
        allocation.Attendee(str(pk), tuple(ranked.get(pk, ())))
        for pk in event.registrations.order_by("pk").values_list("pk", flat=True)
    )
    return allocation.Problem(sessions, attendees, max(max_choices(event), 1), tuple(locked),
                              allocation.Objective(objective))


def _locked_pairs(event: Event, *, keep_everyone: bool) -> list[tuple[str, str]]:
    placements = Placement.objects.filter(registration__event=event)
    if not keep_everyone:
        placements = placements.filter(locked=True)
    return [(str(r), str(s)) for r, s in placements.values_list("registration_id", "session_id")]


@dataclass
class Proposal:
    """An allocation worked out but not yet saved: what it is, and who it would move."""

    problem: allocation.Problem
    result: allocation.Result
    mode: str
    moves: list[tuple[Registration, str, str]]  # (person, from, to) for people already placed


def allocation_propose(event: Event, *, objective: str, mode: str) -> Proposal:
    """Solve. `fill` keeps everyone already placed where they are; `full` re-runs everyone (locks kept)."""
    problem = _problem(event, objective, _locked_pairs(event, keep_everyone=mode == AllocationRun.Mode.FILL))
    result = allocation.solve(problem)
    current = defaultdict(dict)
    for p in Placement.objects.filter(registration__event=event).select_related("session__workshop", "session__slot"):
        current[p.registration_id][p.session.slot_id] = p.session
    sessions = {s.pk: s for s in Session.objects.filter(workshop__event=event).select_related("workshop", "slot")}
    registrations = {r.pk: r for r in event.registrations.all()}
    moves = []
    for placement in result.placements:
        registration_id, session = int(placement.attendee), sessions[int(placement.session)]
        before = current.get(registration_id, {}).get(session.slot_id)
        if before is not None and before.pk != session.pk:
            moves.append((registrations[registration_id], before.workshop.title, session.workshop.title))
    return Proposal(problem, result, mode, moves)


def allocation_save(event: Event, proposal: Proposal, *, user=None) -> AllocationRun:
    """Replace the event's placements with the proposal's, keeping locks, and record the run."""
    result = proposal.result
    locked = {(int(a), int(s)) for a, s in Placement.objects.filter(registration__event=event, locked=True)
              .values_list("registration_id", "session_id")}
    before = {(r, s) for r, s in Placement.objects.filter(registration__event=event)
              .values_list("registration_id", "session_id")}
    with transaction.atomic():
        Placement.objects.filter(registration__event=event).delete()
        Placement.objects.bulk_create(
            Placement(registration_id=int(p.attendee), session_id=int(p.session), rank=p.rank,
                      locked=(int(p.attendee), int(p.session)) in locked)
            for p in result.placements
        )
        ranked = {a.id for a in proposal.problem.attendees if a.choices}
        pool = [p for p in result.placements if p.attendee in ranked]
        shares = {str(r): (sum(1 for p in pool if p.rank == r) / len(pool) if pool else 0) for r in (1, 2, 3)}
        worst = max(((proposal.problem.max_choices + 1) if p.rank is None else p.rank for p in pool), default=0)
        run = AllocationRun.objects.create(
            event=event, objective=proposal.problem.objective.value, mode=proposal.mode,
            objective_value=result.objective_value, bound=result.bound, status=result.status, method=result.method,
            time_seconds=result.time_seconds, placed=len({p.attendee for p in result.placements}),
            moved=len(proposal.moves), created_by=user,
            summary={"shares": shares, "worst_rank": worst, "unranked": sum(1 for p in pool if p.rank is None)},
        )
        if programme_for(event).published_at:
            # Already published: whoever is new or moved hears about it.
            after = {(int(p.attendee), int(p.session)) for p in result.placements}
            _send_agendas({r for r, _ in after - before})
    return run


def placement_lock(placement: Placement, locked: bool) -> None:
    Placement.objects.filter(pk=placement.pk).update(locked=locked)


def _send_agendas(registration_ids) -> int:
    """Email each person their workshops, with a calendar file per session (written when sent)."""
    from pledgecard.delivery import services as delivery
    from pledgecard.delivery.models import Message

    people = Registration.objects.filter(pk__in=list(registration_ids), status=Registration.Status.CONFIRMED
                                         ).select_related("event")
    now = timezone.now()
    for registration in people:
        delivery.message_schedule(kind=Message.Kind.AGENDA, subject=registration.subject,
                                  alliance_id=registration.event.alliance_id, to_address=registration.email,
                                  due_at=now)
    return len(people)


def placements_publish(event: Event) -> int:
    """Show everyone their workshops and email them. Returns how many emails were scheduled."""
    with transaction.atomic():
        programme = programme_for(event)
        programme.published_at = timezone.now()
        programme.choosing_open = False
        programme.save(update_fields=["published_at", "choosing_open"])
        placed = Placement.objects.filter(registration__event=event).values_list("registration_id", flat=True)
        return _send_agendas(set(placed))


def agenda_for(registration: Registration) -> list[Placement]:
    return list(registration.placements.select_related("session__workshop", "session__slot")
                .order_by("session__slot__starts_at"))


def explanation_for(registration: Registration) -> list[str]:
    """Why this person got what they got, worked out from the current placements and choices."""
    event = registration.event
    locked = _locked_pairs(event, keep_everyone=False)
    problem = _problem(event, programme_for(event).objective, locked)
    placements = [
        allocation.Placement(str(r), str(slot), str(s), str(w), rank)
        for r, s, slot, w, rank in Placement.objects.filter(registration__event=event)
        .values_list("registration_id", "session_id", "session__slot_id", "session__workshop_id", "rank")
    ]
    result = allocation.Result(placements, 0, 0, 0, "current")
    names = {str(w.pk): w.title for w in event.workshops.all()}
    slots = {str(s.pk): f"{s.starts_at:%H:%M}" for s in event.slots.all()}
    return explain(problem, result, str(registration.pk), workshop_names=names, slot_names=slots)
