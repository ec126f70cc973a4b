"""The figures behind the insights pages, exact, from a handful of aggregate queries: the database counts, and
Python only adds up the few rows of counts that come back (one per event, sector and theme at most), never
rows of people or postcards. The number of queries does not grow with the number of events.

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

A condition that another table holds something about a row is written `pk__in=<subquery>`, never as a
correlated EXISTS: PostgreSQL runs an uncorrelated IN once, as a hash, while an EXISTS inside an aggregate's
FILTER runs once per row (with 20,000 registrations, minutes instead of milliseconds).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.db import connection, transaction
from django.db.models import Count, Exists, F, IntegerField, Min, OuterRef, Q, Sum, Value, Window
from django.db.models.functions import Collate, ExtractYear, Greatest, Lag, Least, Lower

from pledgecard.core import selectors as core_selectors
from pledgecard.core.models import Alliance, Membership, Role, Sector
from pledgecard.delivery.models import Message
from pledgecard.delivery.services import subject_expression
from pledgecard.events.models import Event, Registration
from pledgecard.events.selectors import access_event
from pledgecard.insights import taxonomy
from pledgecard.networking.models import Meeting
from pledgecard.pledges.models import FollowUp, Postcard, Theme, WallStatus
from pledgecard.workshops.models import Placement, Preference, Session, Workshop

OUTCOMES = FollowUp.Outcome.choices  # [("done", "I did it"), ...]
OUTCOME_KEYS = [key for key, _ in OUTCOMES]


@dataclass(frozen=True)
class Scope:
    """Which events the figures are about: one event, one calendar year of an alliance's events, or all."""

    alliance: Alliance
    event: Event | None = None
    year: int | None = None
    # The ids of the events in scope and of all the alliance's events, once known (see `figures`): filtering
    # on them spares each query a join to the events table.
    event_ids: tuple[int, ...] | None = None
    alliance_event_ids: tuple[int, ...] | None = None

    def where(self, path: str = "event") -> Q:
        """The scope as a filter on a row's event, reached through `path` (e.g. "postcard__event")."""
        if self.event is not None:
            return Q(**{path: self.event.pk})
        if self.event_ids is not None:
            return Q(**{f"{path}__in": self.event_ids})
        q = Q(**{f"{path}__alliance": self.alliance.pk})
        if self.year is not None:
            q &= Q(**{f"{path}__date__year": self.year})
        return q

    def everywhere(self, path: str = "event") -> Q:
        """All the alliance's events, whatever the scope (for "first time" and "came before")."""
        if self.alliance_event_ids is not None:
            return Q(**{f"{path}__in": self.alliance_event_ids})
        return Q(**{f"{path}__alliance": self.alliance.pk})

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


ORIGINAL = Q(refreshed_from__isnull=True) & ~Q(source=Postcard.Source.REFRESH)


def original_postcards():
    """Postcards from the event itself, not the pledges refreshed from them."""
    return Postcard.objects.filter(ORIGINAL)


def _key(field: str):
    """A person's email address or an organisation's name, ignoring case, as a key to group and sort by. On
    PostgreSQL it is compared byte by byte ("C" collation): sorting by a language's rules, which a key does
    not need, took most of the time of the queries that match people across events."""
    key = Lower(field)
    return Collate(key, "C") if connection.vendor == "postgresql" else key


def _grouped(queryset, *keys) -> dict:
    rows = queryset.values(*keys).annotate(n=Count("pk")).order_by()
    if len(keys) == 1:
        return {row[keys[0]]: row["n"] for row in rows}
    return {tuple(row[k] for k in keys): row["n"] for row in rows}


@dataclass
class _Postcards:
    funnel: dict = field(default_factory=lambda: defaultdict(int))
    by_sector: dict = field(default_factory=lambda: defaultdict(int))
    by_theme: dict = field(default_factory=lambda: defaultdict(int))
    follow_by_sector: dict = field(default_factory=lambda: defaultdict(int))
    follow_by_theme: dict = field(default_factory=lambda: defaultdict(int))
    by_event: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))


def postcards(scope: Scope) -> _Postcards:
    """Every postcard figure from one query: counts for each event, sector and theme, then added up."""
    # Postcards whose reminder was sent: the outbox names them by subject ("pledges.postcard:<pk>").
    sent = Message.objects.filter(kind=Message.Kind.POSTCARD_REMINDER, status=Message.Status.SENT)
    reminded = (
        Postcard.objects.filter(scope.where())
        .alias(message_subject=subject_expression(Postcard))
        .filter(message_subject__in=sent.values("subject"))
        .values("pk")
    )
    refreshed = Postcard.objects.filter(scope.where(), refreshed_from__isnull=False).values(
        "refreshed_from_id"
    )
    counts = {
        "written": Count("pk", filter=ORIGINAL),
        "delivered": Count("pk", filter=ORIGINAL & Q(pk__in=reminded)),
        "answered": Count("pk", filter=ORIGINAL & Q(follow_up__isnull=False)),
        "refreshed": Count("pk", filter=ORIGINAL & Q(pk__in=refreshed)),
        "refresh_pledges": Count("pk", filter=~ORIGINAL),
        **{o: Count("pk", filter=ORIGINAL & Q(follow_up__outcome=o)) for o in OUTCOME_KEYS},
    }
    rows = (
        Postcard.objects.filter(scope.where()).values("event_id", "sector_id", "theme_id").annotate(**counts)
        .order_by()
    )
    result = _Postcards()
    for row in rows:  # one row per event, sector and theme: a few hundred at most
        for key in ("written", "delivered", "answered", "refreshed"):
            result.funnel[key] += row[key]
        result.by_sector[row["sector_id"]] += row["written"]
        result.by_theme[row["theme_id"]] += row["written"]
        for o in OUTCOME_KEYS:
            result.follow_by_sector[(o, row["sector_id"])] += row[o]
            result.follow_by_theme[(o, row["theme_id"])] += row[o]
        result.by_event[row["event_id"]]["postcards"] += row["written"]
        result.by_event[row["event_id"]]["refreshed"] += row["refresh_pledges"]
    return result


def suggestions(scope: Scope, rules: list[taxonomy.Rule]) -> dict[int | None, int]:
    """Postcards with no theme, by the theme their words suggest (None: no word matched). One query when every
    such postcard has its suggestion for these words already; else they are worked out first."""
    version = taxonomy.digest(rules)
    untagged = original_postcards().filter(scope.where(), theme__isnull=True)

    def counted():
        return list(untagged.values("insights_suggestion__theme_id", "insights_suggestion__words_version")
                    .annotate(n=Count("pk")).order_by())

    rows = counted()
    if any(row["insights_suggestion__words_version"] != version for row in rows):
        _suggestions_fill(scope.alliance, rules, version)
        rows = counted()
    return {row["insights_suggestion__theme_id"]: row["n"] for row in rows}


def _suggestions_fill(alliance: Alliance, rules: list[taxonomy.Rule], version: str) -> None:
    """Work out, in the database, the suggestion of each of the alliance's postcards without a theme that has
    none for these words yet (new postcards, or every one after the words changed)."""
    from pledgecard.insights.models import Suggestion

    mine = Suggestion.objects.filter(postcard__event__alliance=alliance.pk)
    missing = original_postcards().filter(event__alliance=alliance.pk, theme__isnull=True).exclude(
        pk__in=mine.filter(words_version=version).values("postcard_id")
    )
    expression = taxonomy.suggestion(rules) or Value(None, output_field=IntegerField())
    select = (
        missing.annotate(suggested=expression, version=Value(version))
        .values_list("pk", "suggested", "version")
        .order_by()
    )
    sql, params = select.query.sql_with_params()
    table = connection.ops.quote_name(Suggestion._meta.db_table)
    with transaction.atomic():
        mine.exclude(words_version=version).delete()
        with connection.cursor() as cursor:
            # INSERT ... SELECT: the matching runs in the database, and a page opened at the same moment that
            # did the same work first is no error.
            cursor.execute(
                f"INSERT INTO {table} (postcard_id, theme_id, words_version) {sql} ON CONFLICT DO NOTHING",  # noqa: S608 - our table, the ORM's query
                params,
            )


def _second_confirmations(scope: Scope):
    """When both people confirmed a meeting there are two rows: the second (by registration id) of each."""
    reverse = Meeting.objects.filter(
        round=OuterRef("round"), registration=OuterRef("met"), met=OuterRef("registration")
    )
    return (
        Meeting.objects.filter(scope.where("round__event"), registration_id__gt=F("met_id"))
        .filter(Exists(reverse))
        .values("pk")
    )


def meetings(scope: Scope):
    """Confirmed meetings in scope, one row per pair: A confirming B and B confirming A is one meeting."""
    return Meeting.objects.filter(scope.where("round__event")).exclude(pk__in=_second_confirmations(scope))


def network(scope: Scope) -> tuple[Network, dict[int, int]]:
    """The network's figures, and the meetings at each event."""
    rows = (
        meetings(scope)
        .annotate(
            lo=Least("registration__sector_id", "met__sector_id"),
            hi=Greatest("registration__sector_id", "met__sector_id"),
        )
        .values("round__event_id", "lo", "hi")
        .annotate(
            n=Count("pk"),
            across=Count("pk", filter=~Q(registration__organisation__iexact=F("met__organisation"))),
        )
        .order_by()
    )
    result, per_event = Network(), defaultdict(int)
    for row in rows:  # one row per event and pair of sectors
        result.grid[(row["lo"], row["hi"])] = result.grid.get((row["lo"], row["hi"]), 0) + row["n"]
        per_event[row["round__event_id"]] += row["n"]
        result.meetings += row["n"]
        result.cross_organisation += row["across"]
        if row["lo"] != row["hi"]:
            result.cross_sector += row["n"]
    # Everyone on either side of a meeting. Meetings are not narrowed to the scope: the registrations are, and
    # a registration only meets people at its own event.
    result.people = (
        Registration.objects.filter(scope.where())
        .filter(
            Q(pk__in=Meeting.objects.values("registration_id")) | Q(pk__in=Meeting.objects.values("met_id"))
        )
        .aggregate(n=Count(_key("email"), distinct=True))["n"]
    )
    # Pairs of organisations (ignoring case) whose people met in scope, and those that had never met before:
    # one pass over the alliance's meetings, grouped by the pair; the conditions on a pair are applied to the
    # groups (so each key is worked out once a meeting).
    pairs = (
        Meeting.objects.filter(scope.everywhere("round__event"))
        .annotate(
            org_a=Least(_key("registration__organisation"), _key("met__organisation")),
            org_b=Greatest(_key("registration__organisation"), _key("met__organisation")),
        )
        .values("org_a", "org_b")
        .annotate(first=Min("round__event__date"), here=Count("pk", filter=scope.where("round__event")))
    )
    pair = Q(here__gt=0) & ~Q(org_a=F("org_b"))
    starts = scope.starts
    counted = pairs.aggregate(
        connected=Count("org_a", filter=pair),
        new=Count("org_a", filter=pair & Q(first__gte=starts)) if starts else Count("org_a", filter=pair),
    )
    result.organisation_pairs, result.new_organisation_pairs = counted["connected"], counted["new"]
    return result, per_event


def _people(scope: Scope):
    return Registration.objects.filter(
        scope.everywhere(), status=Registration.Status.CONFIRMED
    ).annotate(person=_key("email"))


def registrations(scope: Scope) -> dict:
    """For each event in scope: registered and attended, and the workshop figures that count people (ranked,
    placed, placed in their first choice, placed and checked in)."""
    # Not narrowed to the scope: the registrations they are matched with already are, and narrowing them
    # would join each to its registration and event again (three times the work).
    placements = Placement.objects.all()
    first_choices = Preference.objects.filter(rank=1)
    placed = Q(pk__in=placements.values("registration_id"))
    return {
        row["event_id"]: row
        for row in Registration.objects.filter(scope.where())
        .values("event_id")
        .annotate(
            registered=Count("pk", filter=Q(status=Registration.Status.CONFIRMED)),
            attended=Count("pk", filter=Q(checked_in_at__isnull=False)),
            ranked=Count("pk", filter=Q(pk__in=first_choices.values("registration_id"))),
            placed=Count("pk", filter=placed),
            first_choice_placed=Count(
                "pk", filter=Q(pk__in=placements.filter(rank=1).values("registration_id"))
            ),
            placed_attended=Count("pk", filter=placed & Q(checked_in_at__isnull=False)),
        )
        .order_by()
    }


def returning(scope: Scope) -> dict[int, dict[str, int]]:
    """For each of the alliance's events, from its people with a confirmed place: how many had come to an
    earlier event (`returning`); how many it was the first event of the year for (`first_of_year`: adding
    these up over a year's events counts each person of that year once); and how many of those had come in an
    earlier year (`returning_in_year`).

    One pass: each person's registrations in date order (a window), with their first day and the year of their
    registration before. The windowed rows are built by the ORM; the few sums over them are a plain SELECT
    around its SQL, because Django cannot aggregate over a window (a filter on one, as a subquery, cost a sort
    of everyone for each figure)."""
    person = {"partition_by": [F("person")], "order_by": [F("event__date").asc(), F("pk").asc()]}
    windowed = (
        _people(scope)
        .annotate(
            event_ref=F("event_id"),
            day=F("event__date"),
            year=ExtractYear("event__date"),
            first_day=Window(Min("event__date"), **person),  # in date order: the running minimum is the first
            year_before=Window(Lag(ExtractYear("event__date")), **person),
        )
        .values("event_ref", "day", "year", "first_day", "year_before")
        .order_by()
    )
    sql, params = windowed.query.sql_with_params()
    e, day, year, first, before = (connection.ops.quote_name(c) for c in
                                   ("event_ref", "day", "year", "first_day", "year_before"))
    query = (
        f"SELECT {e}, SUM(CASE WHEN {first} < {day} THEN 1 ELSE 0 END),"  # noqa: S608 - our columns, the ORM's SQL
        f" SUM(CASE WHEN {before} IS NULL OR {before} < {year} THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN {before} < {year} THEN 1 ELSE 0 END)"
        f" FROM ({sql}) windowed GROUP BY {e}"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return {
            event: {"returning": int(r or 0), "first_of_year": int(f or 0), "returning_in_year": int(ry or 0)}
            for event, r, f, ry in cursor.fetchall()
        }


def _workshops_of(event: Event) -> list[WorkshopFigures]:
    places = {
        row["workshop_id"]: row["places"]
        for row in Session.objects.filter(workshop__event=event.pk)
        .values("workshop_id")
        .annotate(places=Sum("capacity"))
        .order_by()
    }
    first = _grouped(Preference.objects.filter(workshop__event=event.pk, rank=1), "workshop_id")
    placed = {
        row["session__workshop_id"]: row
        for row in Placement.objects.filter(session__workshop__event=event.pk)
        .values("session__workshop_id")
        .annotate(
            placed=Count("pk"),
            first=Count("pk", filter=Q(rank=1)),
            attended=Count("pk", filter=Q(registration__checked_in_at__isnull=False)),
        )
        .order_by()
    }
    rows = []
    for workshop in Workshop.objects.filter(event=event.pk).order_by("title"):
        p = placed.get(workshop.pk, {})
        rows.append(
            WorkshopFigures(
                label=workshop.title,
                places=places.get(workshop.pk) or 0,
                first_choices=first.get(workshop.pk, 0),
                placed=p.get("placed", 0),
                first_choice_placed=p.get("first", 0),
                attended=p.get("attended", 0),
                workshops=1,
            )
        )
    return rows


def _workshops_by_event(scope: Scope, events: list[Event], people: dict) -> list[WorkshopFigures]:
    places = {
        row["workshop__event_id"]: row
        for row in Session.objects.filter(scope.where("workshop__event"))
        .values("workshop__event_id")
        .annotate(places=Sum("capacity"), workshops=Count("workshop", distinct=True))
        .order_by()
    }
    rows = []
    for event in events:
        if event.pk not in places:
            continue  # no workshops at this event
        p = people.get(event.pk, {})
        rows.append(
            WorkshopFigures(
                label=f"{event.title} ({event.date:%Y})",
                short=f"{event.date:%b %Y}",
                places=places[event.pk]["places"] or 0,
                workshops=places[event.pk]["workshops"],
                first_choices=p.get("ranked", 0),
                placed=p.get("placed", 0),
                first_choice_placed=p.get("first_choice_placed", 0),
                attended=p.get("placed_attended", 0),
            )
        )
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
    return sorted(
        {d.year for d in Event.objects.filter(alliance=alliance.pk).dates("date", "year")}, reverse=True
    )


def figures(scope: Scope) -> Figures:
    everything = list(Event.objects.filter(alliance=scope.alliance.pk).order_by("date", "pk"))
    if scope.event is not None:
        events = [scope.event]
    else:
        events = [e for e in everything if scope.year is None or e.date.year == scope.year]
    scope = replace(
        scope, event_ids=tuple(e.pk for e in events), alliance_event_ids=tuple(e.pk for e in everything)
    )
    rules = taxonomy.rules_for(scope.alliance)
    cards = postcards(scope)
    people, back = registrations(scope), returning(scope)
    net, met = network(scope)
    cohorts = []
    for event in events:  # a handful of events: each one's counts from the queries above
        row, card = people.get(event.pk, {}), cards.by_event.get(event.pk, {})
        cohorts.append(EventCohort(event, people=row.get("registered", 0),
                                   returning=back.get(event.pk, {}).get("returning", 0),
                                   postcards=card.get("postcards", 0), refreshed=card.get("refreshed", 0),
                                   meetings=met.get(event.pk, 0)))
    years = {}
    for cohort in cohorts if scope.event is None else []:  # the years table is the alliance's, not an event's
        y = cohort.event.date.year
        year = years.setdefault(y, YearCohort(y))
        year.people += back.get(cohort.event.pk, {}).get("first_of_year", 0)
        year.returning += back.get(cohort.event.pk, {}).get("returning_in_year", 0)
        year.postcards += cohort.postcards
        year.refreshed += cohort.refreshed
        year.meetings += cohort.meetings
    funnel = Funnel(registered=sum(r["registered"] for r in people.values()),
                    attended=sum(r["attended"] for r in people.values()),
                    **{k: cards.funnel[k] for k in ("written", "delivered", "answered", "refreshed")})
    return Figures(
        scope=scope,
        events=events,
        sectors=list(Sector.objects.all()),
        themes=[r.theme for r in rules],
        funnel=funnel,
        by_sector=dict(cards.by_sector),
        by_theme=dict(cards.by_theme),
        suggested=suggestions(scope, rules),
        follow_by_sector=dict(cards.follow_by_sector),
        follow_by_theme=dict(cards.follow_by_theme),
        network=net,
        cohorts=cohorts,
        years=[years[y] for y in sorted(years)],
        workshops=_workshops_of(scope.event) if scope.event else _workshops_by_event(scope, events, people),
    )


# Who may see the figures
# ---------------------------------------------------------------------------------------

INSIGHT_ROLES = (Role.ORGANISER, Role.LEADER)


def sees_exact_counts(user, alliance: Alliance) -> bool:
    """Organisers see exact counts; leaders see counts from 1 to 4 as "fewer than 5"."""
    return (
        user.is_superuser
        or Membership.objects.filter(user=user, alliance=alliance, role=Role.ORGANISER).exists()
    )


def access_alliance_insights(user, slug: str) -> tuple[Alliance, bool]:
    """The alliance, for its organisers and leaders (others: 403), and whether this reader sees exact counts.
    """
    alliance = core_selectors.access_alliance(user, slug, roles=INSIGHT_ROLES)
    return alliance, sees_exact_counts(user, alliance)


def access_event_insights(user, slug: str) -> tuple[Event, bool]:
    event = access_event(user, slug, roles=INSIGHT_ROLES)
    return event, sees_exact_counts(user, event.alliance)


def published_pledges(alliance: Alliance, limit: int = 6) -> list[str]:
    """A handful of pledges their writers shared and a moderator published: the words only, never a name."""
    return list(
        original_postcards()
        .filter(event__alliance=alliance.pk, share_on_wall=True, wall_status=WallStatus.PUBLISHED)
        .order_by("-created_at", "-pk")
        .values_list("commitment", flat=True)[:limit]
    )


def impact_page_public(alliance: Alliance) -> bool:
    from pledgecard.insights.models import ImpactPage

    return ImpactPage.objects.filter(alliance=alliance, public=True).exists()
