"""Retention: a postcard and its messages lose everything personal a while after its cycle ends.

The cycle ends at the later of the event's reminder day and the postcard's own last reminder (sent, or due: a
refreshed pledge comes back six months after it was written; a postcard that asked for no reminder ends when
its reminder would have been due). PLEDGECARD_POSTCARD_RETENTION_MONTHS later (default 12: time to answer "How
did it go?" and to refresh the pledge), the periodic job anonymises it exactly as an erasure does
(`personal_data.postcards_anonymise`): the counts by sector, theme and outcome stay, the person and their
words go.

One setting for the installation, not one per alliance or event: the privacy page states one rule, and a
person should not have to know which alliance's rule applies to them. A postcard whose reminder is still owed
(or being retried) is never touched.
"""

import datetime as dt
import logging
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Count, IntegerField, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from pledgecard.core import dates, personal_data
from pledgecard.core.dates import REMINDER_MONTHS
from pledgecard.core.models import AuditEntry
from pledgecard.delivery.models import Message
from pledgecard.delivery.personal_data import messages_anonymise
from pledgecard.delivery.services import messages_about
from pledgecard.pledges import services
from pledgecard.pledges.models import Postcard
from pledgecard.pledges.personal_data import postcards_anonymise

logger = logging.getLogger(__name__)
REMINDER = Message.Kind.POSTCARD_REMINDER


def _months_later(when: dt.datetime, months: int) -> dt.datetime:
    day = dates.add_months(when.date(), months)
    return when.replace(year=day.year, month=day.month, day=day.day)


def _months_earlier(when: dt.datetime, months: int) -> dt.datetime:
    day = dates.add_months(when.date(), -months)
    return when.replace(year=day.year, month=day.month, day=day.day)


def cycle_end(postcard: Postcard, last_due: dt.datetime | None, last_sent: dt.datetime | None) -> dt.datetime:
    """When a postcard's cycle ended (or will end): see the module's docstring."""
    own = last_due or services.reminder_due_at(
        postcard.event, written_at=postcard.created_at, refreshed=postcard.refreshed_from_id is not None
    )
    return max(t for t in (postcard.event.reminder_due_at, own, last_sent) if t is not None)


def expires_at(postcard, last_due, last_sent, months: int | None = None) -> dt.datetime:
    months = settings.PLEDGECARD_POSTCARD_RETENTION_MONTHS if months is None else months
    return _months_later(cycle_end(postcard, last_due, last_sent), months)


def _candidates(now: dt.datetime, months: int):
    """Postcards whose retention may have ended, narrowed down in SQL; `expires_at` decides for each.

    A cycle ends after the event's reminder day and after the postcard's own reminders (sent or due), so a
    postcard with reminders can be due only if all of them are older than the cutoff, and one without only if
    the event's reminder day is (an event postcard) or it was written six months before the cutoff (a late or
    refreshed one). Each bound has a day's margin for time zones; none can leave a due postcard out.
    """
    cutoff = _months_earlier(now, months)
    margin = dt.timedelta(days=1)
    event_day_passed = Q(event__reminder_date__lte=cutoff.date() + margin)
    # Each postcard's reminders, found by their subject ("pledges.postcard:<pk>", indexed): one small
    # aggregate over that index per candidate.
    reminders = Message.objects.filter(
        kind=REMINDER,
        subject=Concat(Value("pledges.postcard:"), Cast(OuterRef("pk"), output_field=CharField())),
    ).order_by().values("subject")

    def of_reminders(aggregate, output_field=None):
        return Subquery(reminders.annotate(value=aggregate).values("value"), output_field=output_field)

    owed = Q(status__in=[*Message.PENDING, Message.Status.SENDING])
    return (
        Postcard.objects.exclude(email__iendswith="@" + personal_data.ERASED_DOMAIN)
        .filter(event_day_passed, created_at__lt=cutoff)
        .annotate(
            last_due=of_reminders(Max("due_at")),
            last_sent=of_reminders(Max("sent_at")),
            owed=Coalesce(of_reminders(Count("pk", filter=owed), IntegerField()), 0),
        )
        .filter(owed=0)
        .filter(
            Q(last_due__lt=cutoff + margin, last_sent__isnull=True)
            | Q(last_due__lt=cutoff + margin, last_sent__lt=cutoff + margin)
            | Q(last_due__isnull=True, refreshed_from__isnull=True)
            | Q(last_due__isnull=True, created_at__lt=_months_earlier(cutoff, REMINDER_MONTHS) + margin)
        )
        .select_related("event")
        .order_by("pk")
    )


def postcards_expire(now: dt.datetime | None = None, *, limit: int = 2000, chunk: int = 250) -> int:
    """Periodic: anonymise postcards (and their messages) whose retention period has ended; returns how many.

    At most `limit` a run, `chunk` to a transaction: a big event's postcards expiring on one day never hold
    SQLite's write lock for more than a moment (250 take under half a second: bench/people.py), nor
    the worker from delivering for long; the next run, a minute later, goes on."""
    now = now or timezone.now()
    months = settings.PLEDGECARD_POSTCARD_RETENTION_MONTHS
    due = []
    for postcard in _candidates(now, months).iterator(chunk_size=500):
        if expires_at(postcard, postcard.last_due, postcard.last_sent, months) <= now:
            due.append(postcard)
            if len(due) == limit:
                break
    # One replacement per person in this run: two postcards of one writer still count as one writer.
    replacements: dict[str, personal_data.Replacement] = {}
    for start in range(0, len(due), chunk):
        part = due[start : start + chunk]
        with transaction.atomic():
            postcards_anonymise(
                part,
                replacement_for=lambda p: replacements.setdefault(
                    p.email.casefold(), personal_data.Replacement()
                ),
            )
            messages_anonymise(messages_about(Postcard.objects.filter(pk__in=[p.pk for p in part])))
            for alliance_id, count in Counter(p.event.alliance_id for p in part).items():
                AuditEntry.objects.create(
                    alliance_id=alliance_id,
                    action="postcards.retention",
                    detail={"postcards": count, "months": months},
                )
    if due:
        logger.info(
            "Retention: anonymised %d postcards, %d months after their cycles ended", len(due), months
        )
    return len(due)
