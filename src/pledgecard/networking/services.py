"""Meet someone new: start rounds, confirm meetings by code, count the network. The grouping itself is the pure
core in `networking/pairing.py`; this module turns rows into its people and history and its groups into rows."""

from __future__ import annotations

import secrets
import unicodedata
from collections import Counter
from dataclasses import dataclass

import segno
import segno.helpers
from django.db import IntegrityError, transaction

from pledgecard.events.models import Event, Registration
from pledgecard.networking import pairing
from pledgecard.networking.models import Group, Meeting, Member, Preference, Prompt, Round

# No 0/O, 1/I/L: codes are read off a phone screen and typed on another.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 4


class RoundError(ValueError):
    pass


class RoundAlreadyStarted(RoundError):
    def __init__(self, round_):
        self.round = round_
        super().__init__(f"Round {round_.number} was just started"
                         + (f" by {round_.started_by.get_full_name() or round_.started_by.email}" if round_.started_by else "")
                         + ". Here it is: nothing was started twice.")


def _person_key(registration) -> str:
    """The same person across an alliance's events: their email address."""
    return registration.email.casefold()


def history_pairs(event: Event, people: list[Registration]) -> set[frozenset[str]]:
    """Pairs among `people` (by registration id) who have met: grouped in an earlier round of any of the alliance's
    events, or confirmed a meeting there."""
    by_key = {_person_key(r): str(r.pk) for r in people}
    members = (Member.objects.filter(round__event__alliance_id=event.alliance_id, registration__email__in=[r.email for r in people])
               .values_list("group_id", "registration__email"))
    groups: dict[int, list[str]] = {}
    for group_id, email in members:
        key = by_key.get(email.casefold())
        if key:
            groups.setdefault(group_id, []).append(key)
    met = set()
    for ids in groups.values():
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                if a != b:
                    met.add(frozenset((a, b)))
    confirmed = (Meeting.objects.filter(round__event__alliance_id=event.alliance_id)
                 .values_list("registration__email", "met__email"))
    for a, b in confirmed:
        ka, kb = by_key.get(a.casefold()), by_key.get(b.casefold())
        if ka and kb and ka != kb:
            met.add(frozenset((ka, kb)))
    return met


def _present(event: Event, among: str) -> list[Registration]:
    people = event.registrations.filter(status=Registration.Status.CONFIRMED).select_related("sector")
    if among == Round.Among.CHECKED_IN:
        people = people.filter(checked_in_at__isnull=False)
    return list(people.order_by("pk"))


def prompts_for(event: Event) -> list[str]:
    own = list(Prompt.objects.filter(alliance_id=event.alliance_id, active=True).values_list("text", flat=True))
    return own or list(Prompt.objects.filter(alliance__isnull=True, active=True).values_list("text", flat=True))


def prompts_start_own(alliance) -> None:
    """An alliance's first edit copies the seeded prompts into its own list, so it can change any of them."""
    if not Prompt.objects.filter(alliance=alliance).exists():
        seeds = Prompt.objects.filter(alliance__isnull=True, active=True)
        Prompt.objects.bulk_create(Prompt(alliance=alliance, text=p.text, position=p.position) for p in seeds)


def round_start(event: Event, *, size: int, among: str, by=None, after_round: int | None = None) -> Round:
    """Group the people present into a new round. `after_round` is the round number the starter last saw: if
    someone else started one since, that one is returned (RoundAlreadyStarted) instead of a second."""
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        latest = event.rounds.select_related("started_by").first()
        if latest and (after_round is None or latest.number > after_round):
            raise RoundAlreadyStarted(latest)
        people = _present(event, among)
        wishes = {p.registration_id: p for p in Preference.objects.filter(registration__in=people)}
        core_people = [
            pairing.Person(id=str(r.pk), name=r.name, organisation=r.organisation, sector=r.sector.name,
                           opt_out=bool(wishes.get(r.pk) and (wishes[r.pk].opt_out or wishes[r.pk].paused)))
            for r in people
        ]
        try:
            result = pairing.make_groups(core_people, history_pairs(event, people), size=size,
                                         seed=(latest.number if latest else 0) + 1)
        except pairing.PairingError as exc:
            raise RoundError(str(exc)) from exc
        round_ = Round.objects.create(event=event, number=(latest.number if latest else 0) + 1, size=size,
                                      among=among, started_by=by, summary=_summary_json(result.summary))
        prompts = prompts_for(event) or ["Tell each other why you came today."]
        codes = _codes(sum(len(g) for g in result.groups))
        for number, ids in enumerate(result.groups, start=1):
            group = Group.objects.create(round=round_, number=number, spot=f"Table {number}",
                                         prompt=prompts[(number - 1) % len(prompts)])
            Member.objects.bulk_create(Member(round=round_, group=group, registration_id=int(i), code=next(codes))
                                       for i in ids)
    return round_


def _codes(n: int):
    seen: set[str] = set()
    while len(seen) < n:
        seen.add("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))
    codes = list(seen)
    secrets.SystemRandom().shuffle(codes)
    return iter(codes)


def _summary_json(summary) -> dict:
    return {
        "present": summary.present, "opted_out": summary.opted_out, "groups": summary.groups,
        "cross_sector_share": summary.cross_sector_share, "repeats": summary.repeats,
        "same_organisation": summary.same_organisation, "seconds": summary.seconds,
        "relaxed": [{"rule": r.rule, "people": r.people, "reason": r.reason} for r in summary.relaxed],
    }


@dataclass
class MyGroup:
    round: Round
    group: Group
    me: Member
    others: list[Member]
    confirmed: set[int]  # registration ids I have confirmed meeting


def my_group(registration: Registration) -> MyGroup | None:
    member = (Member.objects.filter(registration=registration).select_related("round", "group")
              .order_by("-round__number").first())
    if member is None:
        return None
    others = list(member.group.members.exclude(pk=member.pk).select_related("registration__sector",
                                                                            "registration__networking"))
    confirmed = set(Meeting.objects.filter(round=member.round, registration=registration).values_list("met_id", flat=True))
    return MyGroup(member.round, member.group, member, others, confirmed)


class CodeError(ValueError):
    pass


def meeting_confirm(registration: Registration, code: str) -> Meeting:
    """`registration` met the person whose code this is, in their current round's group."""
    mine = my_group(registration)
    if mine is None:
        raise CodeError("You are not in a round yet")
    code = "".join(code.split()).upper()
    if code == mine.me.code:
        raise CodeError("That is your own code. Enter the code shown on the other person’s phone")
    other = next((m for m in mine.others if m.code == code), None)
    if other is None:
        raise CodeError("That code does not match anyone in your group. Check it on their phone and try again")
    if other.registration_id in mine.confirmed:
        raise CodeError(f"You have already confirmed meeting {other.registration.name}")
    try:
        with transaction.atomic():
            return Meeting.objects.create(
                round=mine.round, registration=registration, met=other.registration,
                cross_sector=registration.sector_id != other.registration.sector_id)
    except IntegrityError as exc:  # a double tap
        raise CodeError(f"You have already confirmed meeting {other.registration.name}") from exc


def preference_for(registration: Registration) -> Preference:
    return Preference.objects.get_or_create(registration=registration)[0]


def vcard(member: Member) -> str | None:
    """A vCard with only what the person agreed to share; None if they share nothing beyond their name."""
    wishes = getattr(member.registration, "networking", None)
    if wishes is None or not (wishes.share_email or wishes.share_phone or wishes.share_role):
        return None
    r = member.registration
    name, organisation, role, phone = (_one_line(v) for v in (r.name, r.organisation, r.role, wishes.phone))
    return segno.helpers.make_vcard_data(
        name=";".join(reversed(name.rsplit(" ", 1))) if " " in name else name,
        displayname=name,
        email=_one_line(r.email) if wishes.share_email else None,
        phone=phone if wishes.share_phone and phone else None,
        org=organisation,
        title=role if wishes.share_role and role else None,
    )


def _one_line(text: str) -> str:
    """A vCard is one property a line: a line break (or any control character) in a name would start a new
    property ("EMAIL:someone-else@..."), so each becomes a space."""
    return " ".join("".join(" " if unicodedata.category(c).startswith("C") else c for c in text or "").split())


@dataclass
class Live:
    present: int
    met_someone: int
    meetings: int
    cross_sector_share: float
    grid: list[tuple[str, list[int]]]
    sectors: list[str]


def live(event: Event) -> Live:
    """How the room is doing: counts only, never a list of who met whom."""
    meetings = Meeting.objects.filter(round__event=event)
    pairs = list(meetings.values_list("registration__sector__name", "met__sector__name", "cross_sector"))
    sectors = sorted({s for a, b, _ in pairs for s in (a, b)})
    counts = Counter((a, b) for a, b, _ in pairs)
    grid = [(a, [counts[(a, b)] for b in sectors]) for a in sectors]
    present = event.registrations.filter(status=Registration.Status.CONFIRMED, checked_in_at__isnull=False).count()
    met = meetings.values("registration").distinct().count()
    total = len(pairs)
    return Live(present, met, total, (sum(1 for *_, c in pairs if c) / total) if total else 0.0, grid, sectors)


def network(alliance) -> dict:
    """The alliance's network over all its events: meetings by sector pair and organisations connected."""
    meetings = Meeting.objects.filter(round__event__alliance=alliance)
    by_sector = Counter(tuple(sorted(p)) for p in meetings.values_list("registration__sector__name", "met__sector__name"))
    org_links = {frozenset(p) for p in meetings.values_list("registration__organisation", "met__organisation")
                 if p[0].casefold() != p[1].casefold()}
    by_event = list(meetings.values_list("round__event__title", "round__event__date").annotate().order_by())
    per_event = Counter((t, d) for t, d in by_event)
    return {
        "meetings": meetings.count(),
        "people": meetings.values("registration__email").distinct().count(),
        "organisation_links": len(org_links),
        "by_sector": sorted(by_sector.items(), key=lambda kv: -kv[1]),
        "per_event": sorted(per_event.items(), key=lambda kv: kv[0][1]),
    }

