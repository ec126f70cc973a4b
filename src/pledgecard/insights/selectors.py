"""The figures behind the insights pages, exact, each from one aggregate query (the database counts; Python only
arranges the few rows of counts that come back).

Definitions, the same on every page, download and export:
- registered: registrations with a confirmed place; attended: registrations checked in on the day;
- postcards: those written at or for the event (on a phone, on paper, imported). A refreshed pledge is not a
  postcard of its own here: it is counted as "refreshed" on the postcard it renews, and as "refreshed pledges"
  in the growth tables;
- reminder delivered: the postcard has a reminder message (kind `postcard_reminder`, on any channel, a
  fallback included) with status sent; answered: it has a "How did it go?" answer; refreshed: a pledge was
  written from it with "Refresh my pledge";
- meetings: confirmed "we met" pairs, counted once however many of the two confirmed;
- a person across events: their email address, ignoring case; returning: registered (with a confirmed place)
  at an earlier event of the same alliance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Min, OuterRef, Q, Sum
from django.db.models.functions import ExtractYear, Greatest, Least, Lower

from pledgecard.core import selectors as core_selectors
from pledgecard.core.models import Alliance, Membership, Role, Sector
from pledgecard.delivery.models import Message
from pledgecard.events.models import Event, Registration
from pledgecard.insights import taxonomy
from pledgecard.networking.models import Meeting
from pledgecard.pledges.models import FollowUp, Postcard, Theme, WallStatus
from pledgecard.workshops.models import Placement, Preference, Session, Workshop

OUTCOMES = FollowUp.Outcome.choices  # [("done", "I did it"), ...]


@dataclass(frozen=True)
class Scope:
    """Which events the figures are about: one event, one calendar year of an alliance's events, or all of them."""

    alliance: Alliance
    event: Event | None = None
    year: int | None = None

    def where(self, path: str = "event") -> Q:
        """The scope as a filter on a row's event, reached through `path` (e.g. "postcard__event")."""
        if self.event is not None:
            return Q(**{path: self.event.pk})
        q = Q(**{f"{path}__alliance": self.alliance.pk})
        if self.year is not None:
            q &= Q(**{f"{path}__date__year": self.year})
        return q

    @property
    def starts(self) -> dt.date | None:
        """The first day of the scope (None: all time), for "new since" figures."""
        if self.event is not None:
            return self.event.date
        return dt.date(self.year, 1, 1) if self.year is not None else None

    @property
    def label(self) -> str:
        if self.event is not None:
            return self.event.title
        return f"events in {self.year}" if self.year is not None else "all events"


@dataclass
class Funnel:
    registered: int = 0
    attended: int = 0
    written: int = 0
    delivered: int = 0
    answered: int = 0
    refreshed: int = 0


@dataclass
class Network:
    meetings: int = 0
    cross_sector: int = 0
    cross_organisation: int = 0
    people: int = 0
    organisation_pairs: int = 0
    new_organisation_pairs: int = 0
    # (sector id, sector id) with the smaller id first: meetings between people of those two sectors.
    grid: dict[tuple[int, int], int] = field(default_factory=dict)


@dataclass
class EventCohort:
    event: Event
    people: int = 0
    returning: int = 0
    postcards: int = 0
    refreshed: int = 0
    meetings: int = 0


@dataclass
class YearCohort:
    year: int
    people: int = 0
    returning: int = 0
    postcards: int = 0
    refreshed: int = 0
    meetings: int = 0


@dataclass
class WorkshopFigures:
    """One workshop (on an event's page) or one event's workshops together (on an alliance's page)."""

    label: str
    places: int = 0
    short: str = ""  # a shorter label for charts
    first_choices: int = 0  # people whose first choice it was (an event: people who ranked workshops)
    placed: int = 0  # places filled (an event: people given at least one place)
    first_choice_placed: int = 0  # of those, placed in their first choice
    attended: int = 0  # of those placed, checked in on the day
    workshops: int = 0


@dataclass
class Figures:
    scope: Scope
    events: list[Event]
    sectors: list[Sector]
    themes: list[Theme]
    funnel: Funnel
    by_sector: dict[int, int]
    by_theme: dict[int | None, int]
    suggested: dict[int | None, int]  # postcards without a theme, by suggested theme (None: no word matched)
    follow_by_sector: dict[tuple[str, int], int]
    follow_by_theme: dict[tuple[str, int | None], int]
    network: Network
    cohorts: list[EventCohort]
    years: list[YearCohort]
    workshops: list[WorkshopFigures]


def original_postcards():
    """Postcards from the event itself, not the pledges refreshed from them."""
    return Postcard.objects.filter(refreshed_from__isnull=True).exclude(source=Postcard.Source.REFRESH)


def _reminder_sent():
    return Message.objects.filter(postcard=OuterRef("pk"), kind=Message.Kind.POSTCARD_REMINDER,
                                  status=Message.Status.SENT)


def funnel(scope: Scope) -> Funnel:
    people = Registration.objects.filter(scope.where()).aggregate(
        registered=Count("pk", filter=Q(status=Registration.Status.CONFIRMED)),
        attended=Count("pk", filter=Q(checked_in_at__isnull=False)),
    )
    cards = original_postcards().filter(scope.where()).aggregate(
        written=Count("pk"),
        delivered=Count("pk", filter=Q(Exists(_reminder_sent()))),
        answered=Count("pk", filter=Q(follow_up__isnull=False)),
        refreshed=Count("pk", filter=Q(Exists(Postcard.objects.filter(refreshed_from=OuterRef("pk"))))),
    )
    return Funnel(**people, **cards)


def _grouped(queryset, *keys) -> dict:
    rows = queryset.values(*keys).annotate(n=Count("pk")).order_by()
    if len(keys) == 1:
        return {row[keys[0]]: row["n"] for row in rows}
    return {tuple(row[k] for k in keys): row["n"] for row in rows}


def pledges(scope: Scope, rules: list[taxonomy.Rule]) -> tuple[dict, dict, dict]:
    cards = original_postcards().filter(scope.where())
    by_sector = _grouped(cards, "sector_id")
    by_theme = _grouped(cards, "theme_id")
    expression = taxonomy.suggestion(rules)
    untagged = cards.filter(theme__isnull=True)
    if expression is None:
        suggested = {None: by_theme[None]} if by_theme.get(None) else {}
    else:
        suggested = _grouped(untagged.annotate(suggested=expression), "suggested")
    return by_sector, by_theme, suggested


def follow_through(scope: Scope) -> tuple[dict, dict]:
    answers = FollowUp.objects.filter(scope.where("postcard__event"), postcard__in=original_postcards())
    return (_grouped(answers, "outcome", "postcard__sector_id"), _grouped(answers, "outcome", "postcard__theme_id"))


def meetings(scope: Scope):
    """Confirmed meetings in scope, one row per pair: A confirming B and B confirming A is one meeting."""
    reverse = Meeting.objects.filter(round=OuterRef("round"), registration=OuterRef("met"),
                                     met=OuterRef("registration"))
    return Meeting.objects.filter(scope.where("round__event")).filter(
        Q(registration_id__lt=F("met_id")) | Q(~Exists(reverse)))


def network(scope: Scope) -> Network:
    rows = (meetings(scope)
            .annotate(lo=Least("registration__sector_id", "met__sector_id"),
                      hi=Greatest("registration__sector_id", "met__sector_id"),
                      org_a=Lower("registration__organisation"), org_b=Lower("met__organisation"))
            .values("lo", "hi")
            .annotate(n=Count("pk"), same_organisation=Count("pk", filter=Q(org_a=F("org_b"))))
            .order_by())
    result = Network()
    for row in rows:  # one row per pair of sectors
        result.grid[(row["lo"], row["hi"])] = row["n"]
        result.meetings += row["n"]
        result.cross_organisation += row["n"] - row["same_organisation"]
        if row["lo"] != row["hi"]:
            result.cross_sector += row["n"]
    confirmed = Meeting.objects.filter(scope.where("round__event"))
    result.people = (Registration.objects.filter(scope.where())
                     .filter(Q(Exists(confirmed.filter(registration=OuterRef("pk"))))
                             | Q(Exists(confirmed.filter(met=OuterRef("pk")))))
                     .aggregate(n=Count(Lower("email"), distinct=True))["n"])
    # Pairs of organisations (ignoring case) whose people met in scope, and those that had never met before it.
    pairs = (Meeting.objects.filter(round__event__alliance=scope.alliance.pk)
             .annotate(org_a=Least(Lower("registration__organisation"), Lower("met__organisation")),
                       org_b=Greatest(Lower("registration__organisation"), Lower("met__organisation")))
             .exclude(org_a=F("org_b"))
             .values("org_a", "org_b")
             .annotate(first=Min("round__event__date"), here=Count("pk", filter=scope.where("round__event")))
             .filter(here__gt=0))
    starts = scope.starts
    counted = pairs.aggregate(connected=Count("org_a"),
                              new=Count("org_a", filter=Q(first__gte=starts)) if starts else Count("org_a"))
    result.organisation_pairs, result.new_organisation_pairs = counted["connected"], counted["new"]
    return result


def _people(alliance: Alliance):
    return Registration.objects.filter(event__alliance=alliance.pk, status=Registration.Status.CONFIRMED
                                       ).annotate(person=Lower("email"))


def cohorts(scope: Scope, events: list[Event]) -> tuple[list[EventCohort], list[YearCohort]]:
    """People at each event (and in each year) in scope, and how many had come to an earlier one."""
    before_event = _people(scope.alliance).filter(event__date__lt=OuterRef("event__date"), person=OuterRef("person"))
    per_event = (_people(scope.alliance).filter(scope.where())
                 .annotate(back=Exists(before_event)).values("event_id")
                 .annotate(people=Count("pk"), returning=Count("pk", filter=Q(back=True))).order_by())
    before_year = _people(scope.alliance).filter(event__date__year__lt=OuterRef("year"), person=OuterRef("person"))
    per_year = (_people(scope.alliance).filter(scope.where())
                .annotate(year=ExtractYear("event__date")).annotate(back=Exists(before_year)).values("year")
                .annotate(people=Count("person", distinct=True),
                          returning=Count("person", distinct=True, filter=Q(back=True))).order_by())
    original = Q(refreshed_from__isnull=True) & ~Q(source=Postcard.Source.REFRESH)
    cards = (Postcard.objects.filter(scope.where()).values("event_id")
             .annotate(postcards=Count("pk", filter=original), refreshed=Count("pk", filter=~original)).order_by())
    met = _grouped(meetings(scope), "round__event_id")

    by_event = {e.pk: EventCohort(e) for e in events}
    for row in per_event:
        by_event[row["event_id"]].people, by_event[row["event_id"]].returning = row["people"], row["returning"]
    for row in cards:
        by_event[row["event_id"]].postcards, by_event[row["event_id"]].refreshed = row["postcards"], row["refreshed"]
    for event_id, n in met.items():
        by_event[event_id].meetings = n
    years = {row["year"]: YearCohort(row["year"], row["people"], row["returning"]) for row in per_year}
    for cohort in by_event.values():  # a handful of events: the counts of each, added up by year
        year = years.setdefault(cohort.event.date.year, YearCohort(cohort.event.date.year))
        year.postcards += cohort.postcards
        year.refreshed += cohort.refreshed
        year.meetings += cohort.meetings
    return (sorted(by_event.values(), key=lambda c: (c.event.date, c.event.pk)),
            [years[y] for y in sorted(years)])


def workshops(scope: Scope, events: list[Event]) -> list[WorkshopFigures]:
    """An event: each workshop's demand, places and attendance. More events: each event's workshops together."""
    if scope.event is not None:
        return _workshops_of(scope.event)
    where = scope.where("workshop__event")
    places = {row["workshop__event_id"]: row for row in Session.objects.filter(where).values("workshop__event_id")
              .annotate(places=Sum("capacity"), workshops=Count("workshop", distinct=True)).order_by()}
    ranked = _grouped(Preference.objects.filter(where, rank=1), "workshop__event_id")
    placed = {row["session__workshop__event_id"]: row for row in Placement.objects
              .filter(scope.where("session__workshop__event")).values("session__workshop__event_id")
              .annotate(placed=Count("registration", distinct=True),
                        first=Count("registration", distinct=True, filter=Q(rank=1)),
                        attended=Count("registration", distinct=True,
                                       filter=Q(registration__checked_in_at__isnull=False))).order_by()}
    rows = []
    for event in sorted(events, key=lambda e: (e.date, e.pk)):
        if event.pk not in places:
            continue  # no workshops at this event
        p = placed.get(event.pk, {})
        rows.append(WorkshopFigures(
            label=f"{event.title} ({event.date:%Y})", short=f"{event.date:%b %Y}", places=places[event.pk]["places"] or 0,
            workshops=places[event.pk]["workshops"], first_choices=ranked.get(event.pk, 0),
            placed=p.get("placed", 0), first_choice_placed=p.get("first", 0), attended=p.get("attended", 0)))
    return rows


def _workshops_of(event: Event) -> list[WorkshopFigures]:
    places = {row["workshop_id"]: row["places"] for row in Session.objects.filter(workshop__event=event.pk)
              .values("workshop_id").annotate(places=Sum("capacity")).order_by()}
    first = _grouped(Preference.objects.filter(workshop__event=event.pk, rank=1), "workshop_id")
    placed = {row["session__workshop_id"]: row for row in Placement.objects
              .filter(session__workshop__event=event.pk).values("session__workshop_id")
              .annotate(placed=Count("pk"), first=Count("pk", filter=Q(rank=1)),
                        attended=Count("pk", filter=Q(registration__checked_in_at__isnull=False))).order_by()}
    rows = []
    for workshop in Workshop.objects.filter(event=event.pk).order_by("title"):
        p = placed.get(workshop.pk, {})
        rows.append(WorkshopFigures(
            label=workshop.title, places=places.get(workshop.pk) or 0, first_choices=first.get(workshop.pk, 0),
            placed=p.get("placed", 0), first_choice_placed=p.get("first", 0), attended=p.get("attended", 0),
            workshops=1))
    return rows


def events_in(scope: Scope) -> list[Event]:
    if scope.event is not None:
        return [scope.event]
    events = Event.objects.filter(alliance=scope.alliance.pk)
    if scope.year is not None:
        events = events.filter(date__year=scope.year)
    return list(events.order_by("date", "pk"))


def years_of(alliance: Alliance) -> list[int]:
    """The years in which the alliance held events, newest first: the choices of the period filter."""
    return sorted({d.year for d in Event.objects.filter(alliance=alliance.pk).dates("date", "year")}, reverse=True)


def figures(scope: Scope) -> Figures:
    events = events_in(scope)
    rules = taxonomy.rules_for(scope.alliance)
    by_sector, by_theme, suggested = pledges(scope, rules)
    follow_by_sector, follow_by_theme = follow_through(scope)
    event_cohorts, year_cohorts = cohorts(scope, events)
    return Figures(
        scope=scope, events=events, sectors=list(Sector.objects.all()), themes=[r.theme for r in rules],
        funnel=funnel(scope), by_sector=by_sector, by_theme=by_theme, suggested=suggested,
        follow_by_sector=follow_by_sector, follow_by_theme=follow_by_theme, network=network(scope),
        cohorts=event_cohorts, years=year_cohorts, workshops=workshops(scope, events),
    )


# Who may see the figures ---------------------------------------------------------------------------------------

INSIGHT_ROLES = (Role.ORGANISER, Role.LEADER)


def sees_exact_counts(user, alliance: Alliance) -> bool:
    """Organisers see exact counts; leaders see counts from 1 to 4 as "fewer than 5"."""
    return user.is_superuser or Membership.objects.filter(user=user, alliance=alliance, role=Role.ORGANISER).exists()


def access_alliance_insights(user, slug: str) -> tuple[Alliance, bool]:
    """The alliance, for its organisers and leaders (others: 403), and whether this reader sees exact counts."""
    alliance = core_selectors.access_alliance(user, slug, roles=INSIGHT_ROLES)
    return alliance, sees_exact_counts(user, alliance)


def access_event_insights(user, slug: str) -> tuple[Event, bool]:
    event = core_selectors.access_event(user, slug, roles=INSIGHT_ROLES)
    return event, sees_exact_counts(user, event.alliance)


def published_pledges(alliance: Alliance, limit: int = 6) -> list[str]:
    """A handful of pledges their writers shared and a moderator published: the words only, never a name."""
    return list(original_postcards().filter(event__alliance=alliance.pk, share_on_wall=True,
                                            wall_status=WallStatus.PUBLISHED)
                .order_by("-created_at", "-pk").values_list("commitment", flat=True)[:limit])


def impact_page_public(alliance: Alliance) -> bool:
    from pledgecard.insights.models import ImpactPage

    return ImpactPage.objects.filter(alliance=alliance, public=True).exists()
