"""Retention: postcards and their messages lose everything personal 12 months (configurable) after the cycle
ends, by the worker's periodic job; a reminder still owed is never touched."""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.utils.module_loading import import_string

from pledgecard.core import personal_data
from pledgecard.core.models import AuditEntry, Sector
from pledgecard.delivery.models import Message
from pledgecard.events.models import Event
from pledgecard.pledges import services
from pledgecard.pledges.models import FollowUp, Postcard
from pledgecard.pledges.retention import postcards_expire
from pledgecard.pledges.services import PostcardWords

pytestmark = pytest.mark.django_db

UTC = dt.UTC
REMINDER_DAY = dt.datetime(2024, 5, 7, 9, 0, tzinfo=UTC)  # 10:00 in London, the event's reminder


@pytest.fixture
def past_event(alliance):
    return Event.objects.create(
        alliance=alliance,
        slug="past",
        title="Past",
        date=dt.date(2023, 11, 7),
        reminder_date=dt.date(2024, 5, 7),
    )


def _write(event, name, *, reminder=True, refreshed_from=None, created_at, sent_at=None, status="sent"):
    words = PostcardWords(
        name=name,
        email=f"{name.lower()}@example.org",
        organisation="Org",
        sector=Sector.objects.get(name="NHS"),
        learnt=f"{name} learnt",
        commitment=f"{name} will",
        theme=None,
        wants_reminder=reminder,
        share_on_wall=False,
    )
    postcard = services.postcard_write(
        event=event, words=words, source="online", refreshed_from=refreshed_from
    ).postcard
    Postcard.objects.filter(pk=postcard.pk).update(created_at=created_at)
    Message.objects.filter(subject=postcard.subject, kind="postcard_confirmation").update(
        status="sent", due_at=created_at, sent_at=created_at
    )
    if reminder:
        Message.objects.filter(subject=postcard.subject, kind="postcard_reminder").update(
            status=status, due_at=sent_at, sent_at=sent_at if status == "sent" else None
        )
    return postcard


@pytest.fixture
def cards(past_event):
    sent = _write(
        past_event, "Sent", created_at=dt.datetime(2023, 11, 7, 15, tzinfo=UTC), sent_at=REMINDER_DAY
    )
    FollowUp.objects.create(postcard=sent, outcome="done", reflection="Sent reflected")
    unasked = _write(
        past_event, "Unasked", reminder=False, created_at=dt.datetime(2023, 11, 7, 15, tzinfo=UTC)
    )
    refreshed = _write(
        past_event,
        "Refreshed",
        refreshed_from=sent,
        created_at=dt.datetime(2024, 6, 1, tzinfo=UTC),
        sent_at=dt.datetime(2024, 12, 1, 10, tzinfo=UTC),
    )
    owed = _write(
        past_event,
        "Owed",
        created_at=dt.datetime(2023, 11, 7, 15, tzinfo=UTC),
        sent_at=REMINDER_DAY,
        status="retrying",
    )
    return {"sent": sent, "unasked": unasked, "refreshed": refreshed, "owed": owed}


def _erased(postcard) -> bool:
    postcard.refresh_from_db()
    return personal_data.is_erased(postcard.email)


def test_nothing_goes_before_twelve_months(cards):
    assert postcards_expire(now=REMINDER_DAY + dt.timedelta(days=364)) == 0
    assert not any(_erased(p) for p in cards.values())


def test_twelve_months_after_the_reminder_the_postcard_and_its_messages_lose_everything_personal(cards):
    assert postcards_expire(now=dt.datetime(2025, 5, 7, 8, 59, tzinfo=UTC)) == 0
    assert postcards_expire(now=dt.datetime(2025, 5, 7, 9, 1, tzinfo=UTC)) == 2
    sent, unasked = cards["sent"], cards["unasked"]
    assert _erased(sent) and _erased(unasked)  # no reminder asked for: ends when it would have come back
    assert sent.name == personal_data.ERASED_NAME and sent.learnt == sent.commitment == ""
    assert sent.sector.name == "NHS" and FollowUp.objects.get(postcard=sent).outcome == "done"
    assert FollowUp.objects.get(postcard=sent).reflection == ""
    assert set(Message.objects.filter(subject=sent.subject).values_list("to_address", flat=True)) == {""}
    # The count stays.
    assert Message.objects.get(subject=sent.subject, kind="postcard_reminder").status == "sent"
    # The refreshed pledge has a cycle of its own; the one whose reminder is still owed is not touched.
    assert not _erased(cards["refreshed"]) and not _erased(cards["owed"])
    entry = AuditEntry.objects.get(action="postcards.retention")
    assert entry.detail == {"postcards": 2, "months": 12} and entry.alliance == sent.event.alliance
    # Running again changes nothing more.
    assert postcards_expire(now=dt.datetime(2025, 5, 8, tzinfo=UTC)) == 0


def test_a_refreshed_pledge_goes_twelve_months_after_its_own_reminder(cards):
    assert postcards_expire(now=dt.datetime(2025, 12, 1, 9, 59, tzinfo=UTC)) == 2
    assert not _erased(cards["refreshed"])
    assert postcards_expire(now=dt.datetime(2025, 12, 1, 10, 1, tzinfo=UTC)) == 1
    assert _erased(cards["refreshed"]) and not _erased(cards["owed"])


def test_the_period_is_a_setting(cards, settings):
    settings.PLEDGECARD_POSTCARD_RETENTION_MONTHS = 1
    assert postcards_expire(now=dt.datetime(2024, 6, 7, 9, 1, tzinfo=UTC)) == 2


def test_the_worker_runs_it(settings):
    assert "pledgecard.pledges.retention.postcards_expire" in django_settings.PLEDGECARD_PERIODIC_JOBS
    for path in django_settings.PLEDGECARD_PERIODIC_JOBS:
        assert callable(import_string(path))


def test_the_privacy_page_states_the_policy(client, settings):
    settings.PLEDGECARD_POSTCARD_RETENTION_MONTHS = 18
    html = client.get("/privacy/").content.decode()
    assert "18 months after your postcard came back to you" in html
    assert "ask for a copy of everything we hold" in html


def test_a_big_day_is_done_a_little_at_a_time(cards):
    """At most `limit` a run, `chunk` to a transaction: the rest waits for the next run."""
    when = dt.datetime(2025, 5, 8, tzinfo=UTC)
    assert postcards_expire(now=when, limit=1, chunk=1) == 1
    assert postcards_expire(now=when, limit=1, chunk=1) == 1
    assert postcards_expire(now=when, limit=1, chunk=1) == 0
    assert AuditEntry.objects.filter(action="postcards.retention").count() == 2


def test_postgresql_never_compiles_the_sweep_to_machine_code():
    """On PostgreSQL, JIT compiling the sweep's estimated-expensive query took 2.3 s of a 2.3 s sweep over
    10,000 postcards that found nothing (every worker start, every minute); the product's connections turn
    JIT off (settings.py)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("JIT is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_pgoptions_still_reach_the_database_beside_jit_off(monkeypatch):
    """libpq's `options` parameter replaces PGOPTIONS: a deployment's PGOPTIONS (a lock timeout, say) must
    still apply, and may even turn JIT back on."""
    import importlib

    import pledgecard.settings as product_settings

    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x?options=-c%20statement_timeout%3D5000")
    monkeypatch.setenv("PGOPTIONS", "-c lock_timeout=300")
    try:
        reloaded = importlib.reload(product_settings)
        assert reloaded.DATABASES["default"]["OPTIONS"]["options"] == (
            "-c jit=off -c lock_timeout=300 -c statement_timeout=5000")
    finally:
        monkeypatch.undo()
        importlib.reload(product_settings)
