"""GOV.UK Notify: reminders by email, text message and letter, through the real notifications-python-client
talking to a local stand-in (tests/notify_standin.py) on 127.0.0.1.

Every test asserts on what the stand-in received and on the rows, never on which functions were called.
Run on both databases:
    .venv/bin/python -m pytest tests/test_notify.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pledgecard .venv/bin/python -m pytest tests/test_notify.py
"""

import datetime as dt
import threading
import time
from collections import Counter
from types import SimpleNamespace

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from pledgecard.core.models import Alliance, AuditEntry, Sector
from pledgecard.delivery import notify, postal, sending
from pledgecard.delivery.models import Message, NotifySettings
from pledgecard.events.models import Event
from pledgecard.pledges import fallback
from pledgecard.pledges import services as pledges
from pledgecard.pledges.emails import sms_text
from pledgecard.pledges.models import Postcard

from .conftest import make_organiser, postcard_data
from .notify_standin import NotifyStandIn

Status = Message.Status
REMINDER = Message.Kind.POSTCARD_REMINDER
ADDRESS = "Amina Hussain\n1 Town Hall Square\nBradford\nBD1 1HY"

transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)


# --- Fixtures and helpers ------------------------------------------------------------------------------------


@pytest.fixture
def standin():
    server = NotifyStandIn().start()
    yield server
    server.stop()


def connect(standin, alliance, *, trial_mode=False, **overrides) -> SimpleNamespace:
    """A Notify service on the stand-in with a key and templates, and the alliance connected to it."""
    service = standin.add_service(trial_mode=trial_mode)
    key = standin.add_key(service)
    email_template = standin.add_template(service, "email", "((body))", "((subject))")
    sms_template = standin.add_template(service, "sms", "((body))")
    fields = dict(
        api_key=key,
        email_template_id=email_template,
        sms_template_id=sms_template,
        offer_sms=True,
        offer_letter=True,
        callback_token="callback-token-for-tests-0123456789",  # noqa: S106 - a test value
    )
    fields.update(overrides)
    settings_row = NotifySettings.objects.create(alliance=alliance, **fields)
    return SimpleNamespace(
        service=service,
        key=key,
        email_template=email_template,
        sms_template=sms_template,
        settings=settings_row,
    )


@pytest.fixture
def fast(settings, standin):
    settings.NOTIFY_BASE_URL = standin.url
    settings.NOTIFY_TIMEOUT = 2
    settings.NOTIFY_BACKOFF_SECONDS = 0.2
    settings.DELIVERY_RETRY_BASE_SECONDS = 0.01
    settings.DELIVERY_RETRY_MAX_SECONDS = 0.05
    return settings


@pytest.fixture
def connected(db, fast, standin, alliance):
    return connect(standin, alliance)


def write(
    event,
    *,
    name="Amina Hussain",
    email="amina@example.org",
    channel="email",
    phone="",
    address="",
    commitment="Ask one community group to shape our next service change.",
) -> Postcard:
    words = pledges.PostcardWords(
        name=name,
        email=email,
        organisation="Bradford Council",
        sector=Sector.objects.get(name="NHS"),
        learnt="Life expectancy differs by years between wards.",
        commitment=commitment,
        theme=None,
        wants_reminder=True,
        share_on_wall=False,
        channel=channel,
        phone=phone,
        address=address,
    )
    return pledges.postcard_write(
        event=event, words=words, source=Postcard.Source.PAPER, send_confirmation=False
    ).postcard


def reminder(postcard) -> Message:
    return Message.objects.filter(kind=REMINDER, subject=postcard.subject).order_by("created_at").first()


def make_due(*postcards):
    Message.objects.filter(
        kind=REMINDER, subject__in=[p.subject for p in postcards], status__in=Message.PENDING
    ).update(
        due_at=timezone.now() - dt.timedelta(seconds=1)
    )


def drain(until, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "the outbox did not drain in time"
        sending.deliver_due()
        time.sleep(0.02)


# --- Sending on each channel ---------------------------------------------------------------------------------


def test_text_message_goes_through_notify_with_the_message_id_as_reference(connected, standin, event):
    postcard = write(event, channel="sms", phone="07700 900123")
    make_due(postcard)
    assert sending.deliver_due().outcomes == {"sent": 1}
    row = reminder(postcard)
    [sent] = standin.notifications.values()
    assert (sent.type, sent.recipient, sent.reference) == ("sms", "447700900123", str(row.id))
    assert (
        row.status == Status.SENT and row.provider_reference == sent.id and row.provider_status == "created"
    )
    assert row.channel == "sms" and row.to_address == postcard.phone
    # Short, with the link, and nothing personal but the first name.
    assert postcard.token in sent.body and "Amina" in sent.body
    assert "Hussain" not in sent.body and "community group" not in sent.body and "Bradford" not in sent.body
    assert postal.sms_parts(sent.body) == 1 and len(sent.body) <= 160


def test_sms_text_fits_one_message_even_for_a_long_event_name(db, event):
    event.title = (
        "Reducing health inequalities together: a system-wide workforce conference for West Yorkshire"
    )
    event.save()
    postcard = write(event, channel="sms", phone="07700900123")
    text = sms_text(Postcard.objects.select_related("event").get(pk=postcard.pk))
    assert postal.sms_parts(text) == 1 and len(text) <= 160
    assert postcard.token in text and text.startswith("Hi Amina,")


def test_email_reminder_goes_through_notify_when_the_alliance_has_an_email_template(
    connected, standin, event, smtp
):
    postcard = write(event)
    make_due(postcard)
    sending.deliver_due()
    [sent] = standin.notifications.values()
    assert sent.type == "email" and sent.recipient == "amina@example.org"
    assert sent.subject == "Your postcard is back: how did it go?" and "community group" in sent.body
    assert sent.reference == str(reminder(postcard).id)
    assert smtp.received == []  # not by SMTP as well


def test_without_notify_email_goes_by_smtp_and_confirmations_always_do(
    db, fast, standin, alliance, event, smtp
):
    postcard = write(event)
    make_due(postcard)
    sending.deliver_due()
    assert len(smtp.received) == 1 and standin.requests == []
    connect(standin, alliance)
    response = Client().post(f"/e/{event.slug}/", postcard_data(email="ravi@example.org", name="Ravi Patel"))
    assert response.status_code == 302
    sending.deliver_due()  # the confirmation has a calendar-free email body; it stays on SMTP
    assert [r.rcpt for r in smtp.received][-1] == ["ravi@example.org"] and standin.requests == []


def test_letter_is_posted_as_a_precompiled_pdf_notify_can_read(connected, standin, event):
    postcard = write(event, channel="letter", address=ADDRESS)
    make_due(postcard)
    assert sending.deliver_due().outcomes == {"sent": 1}
    [letter] = standin.notifications.values()
    assert letter.type == "letter" and letter.reference == str(reminder(postcard).id)
    # The stand-in read the address from the address block as Notify does, and found nothing wrong.
    assert letter.problem == "" and letter.status == "accepted"
    assert letter.address == ["Amina Hussain", "1 Town Hall Square", "Bradford", "BD1 1HY"]
    assert letter.postage == "second"


# --- Unknown outcomes: ask by reference before sending again ---------------------------------------------------


def test_connection_dropped_after_notify_accepted_the_letter_means_no_second_letter(
    connected, standin, event
):
    postcard = write(event, channel="letter", address=ADDRESS)
    make_due(postcard)
    standin.drop_after_accept_next(1)
    assert sending.deliver_due().outcomes == {"retrying": 1}
    row = reminder(postcard)
    assert row.status == Status.RETRYING and row.provider_reference == ""
    assert "did not answer" in row.last_error
    assert len(standin.notifications) == 1  # Notify has it; we do not know

    drain(lambda: reminder(postcard).status == Status.SENT)
    [letter] = standin.notifications.values()
    assert reminder(postcard).provider_reference == letter.id
    lookups = [r for r in standin.requests if r["method"] == "GET" and "reference=" in r["path"]]
    assert len(lookups) == 1 and len(standin.sends()) == 1


def test_timeout_after_notify_accepted_means_no_second_text(connected, standin, event, settings):
    settings.NOTIFY_TIMEOUT = 0.3
    postcard = write(event, channel="sms", phone="07700900123")
    make_due(postcard)
    standin.time_out_next(1, seconds=0.8, accept=True)
    assert sending.deliver_due().outcomes == {"retrying": 1}
    time.sleep(0.6)  # Notify finishes answering the request nobody is waiting for
    drain(lambda: reminder(postcard).status == Status.SENT)
    assert standin.references() == Counter({str(reminder(postcard).id): 1})


def test_timeout_before_notify_stored_it_sends_once_after_the_lookup(connected, standin, event, settings):
    settings.NOTIFY_TIMEOUT = 0.3
    postcard = write(event, channel="sms", phone="07700900123")
    make_due(postcard)
    standin.time_out_next(1, seconds=0.5, accept=False)
    assert sending.deliver_due().outcomes == {"retrying": 1}
    drain(lambda: reminder(postcard).status == Status.SENT)
    assert standin.references() == Counter({str(reminder(postcard).id): 1})


def test_crash_between_request_and_record_the_next_worker_does_not_send_a_second_letter(
    connected, standin, event
):
    """A worker sends, Notify accepts, and the worker dies before recording "sent". Its lease runs out and
    another worker takes the message: the lookup by reference (or the id written on the row the moment Notify
    answered) stops a second letter."""
    postcard = write(event, channel="letter", address=ADDRESS)
    make_due(postcard)
    [claimed] = sending.messages_claim(limit=1)
    dispatch = notify.Dispatch()
    notification_id = dispatch.send(claimed)  # ... and the worker dies here, before record_sent
    dispatch.close()
    # The crash may also come before the id reached the row: take that away too, the worse case.
    Message.objects.filter(pk=claimed.pk).update(provider_reference="", provider_status="")

    later = timezone.now() + dt.timedelta(seconds=600)  # the dead worker's lease has expired
    [taken] = sending.messages_claim(limit=1, now=later)
    assert taken.attempts == 2 and taken.lease_token != claimed.lease_token
    assert sending.deliver([taken]).outcomes == {"sent": 1}
    row = reminder(postcard)
    assert row.status == Status.SENT and row.provider_reference == notification_id
    assert len([n for n in standin.notifications.values() if n.type == "letter"]) == 1
    # The first worker's late record is refused by the fencing check.
    assert sending.record_sent(claimed, notification_id) is False


def test_crash_after_notify_answered_needs_no_lookup(connected, standin, event):
    postcard = write(event, channel="sms", phone="07700900123")
    make_due(postcard)
    [claimed] = sending.messages_claim(limit=1)
    dispatch = notify.Dispatch()
    notification_id = dispatch.send(claimed)  # crash: never recorded
    dispatch.close()
    [taken] = sending.messages_claim(limit=1, now=timezone.now() + dt.timedelta(seconds=600))
    requests_before = len(standin.requests)
    assert sending.deliver([taken]).outcomes == {"sent": 1}
    assert len(standin.requests) == requests_before  # the id on the row was enough
    assert reminder(postcard).provider_reference == notification_id and len(standin.notifications) == 1


def test_technical_failure_is_sent_again_and_the_failed_one_does_not_count(
    connected, standin, event, settings
):
    settings.NOTIFY_POLL_MINUTES = 0
    postcard = write(event, channel="sms", phone="07700900123")
    make_due(postcard)
    sending.deliver_due()
    first = reminder(postcard).provider_reference
    standin.set_status(first, "technical-failure")
    assert notify.statuses_poll() >= 1
    row = reminder(postcard)
    assert row.status == Status.RETRYING and row.provider_reference == ""
    drain(lambda: reminder(postcard).status == Status.SENT)
    assert standin.references() == Counter({str(row.id): 2})  # Notify's advice: resend
    assert reminder(postcard).provider_reference not in ("", first)


# --- Rate limits, 429 and 5xx ----------------------------------------------------------------------------------


@transactional
def test_429_storm_all_sent_under_the_rate_limit_no_duplicate_references(settings, alliance, event):
    """40 text messages and 4 workers against a stand-in that allows 45 requests in any 3 seconds and starts with
    a second of 429s and some 500s. Our limiter allows 10 a second (at most 40 in any 3 seconds)."""
    standin = NotifyStandIn(rate_limit=45, rate_window=3.0).start()
    try:
        settings.NOTIFY_BASE_URL = standin.url
        settings.NOTIFY_TIMEOUT = 2
        settings.NOTIFY_BACKOFF_SECONDS = 0.3
        settings.NOTIFY_RATE_LIMIT_PER_MINUTE = 600
        settings.DELIVERY_RETRY_BASE_SECONDS = 0.2
        settings.DELIVERY_RETRY_MAX_SECONDS = 1
        settings.DELIVERY_BATCH_SIZE = 5
        connect(standin, alliance)
        postcards = [
            write(event, name=f"Person {i}", email=f"p{i}@example.org", channel="sms", phone=f"077009{i:05d}")
            for i in range(40)
        ]
        make_due(*postcards)
        standin.fail_for(1.0, status=429)
        standin.fail_next(5, status=500)
        stop = threading.Event()
        errors = []

        def worker():
            try:
                while not stop.is_set():
                    if not sending.deliver_due().handled:
                        time.sleep(0.05)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while Message.objects.filter(kind=REMINDER, status=Status.SENT).count() < 40:
            assert time.monotonic() < deadline, Counter(Message.objects.values_list("status", flat=True))
            time.sleep(0.1)
        stop.set()
        for thread in threads:
            thread.join(30)
        assert not errors
        references = standin.references()
        assert len(references) == 40 and set(references.values()) == {1}
        assert standin.limited() == 0  # never over the stand-in's limit
        assert standin.max_in_window(3.0) <= 45
        answered_429 = sum(1 for r in standin.requests if r["status"] == 429)
        assert answered_429 >= 1
        assert Message.objects.filter(kind=REMINDER, status=Status.FAILED).count() == 0
        sent = {m.provider_reference for m in Message.objects.filter(kind=REMINDER)}
        assert sent == {n.id for n in standin.notifications.values()}
    finally:
        standin.stop()


def test_429_pauses_the_rest_of_the_batch_instead_of_hammering(connected, standin, event):
    postcards = [
        write(event, name=f"P {i}", email=f"p{i}@example.org", channel="sms", phone=f"0770090000{i}")
        for i in range(5)
    ]
    make_due(*postcards)
    standin.fail_next(1, status=429)
    assert sending.deliver_due().outcomes == {"retrying": 5}
    assert len(standin.sends()) == 1  # one 429, then the batch waited
    assert all("slow down" in m.last_error for m in Message.objects.filter(kind=REMINDER))
    drain(lambda: Message.objects.filter(kind=REMINDER, status=Status.SENT).count() == 5)
    assert set(standin.references().values()) == {1}


def test_server_errors_are_retried_not_failed(connected, standin, event):
    postcard = write(event, channel="sms", phone="07700900123")
    make_due(postcard)
    standin.fail_next(3, status=500)
    drain(lambda: reminder(postcard).status == Status.SENT)
    assert reminder(postcard).attempts == 4 and len(standin.notifications) == 1


# --- Bad input: a clear message to whoever can fix it, nothing lost, nothing sent twice --------------------------


@pytest.mark.parametrize(
    "number, words",
    [
        ("07700 90012", "Mobile number is too short"),
        ("07700 9001234", "Mobile number is too long"),
        ("020 7946 0000", "does not look like a UK mobile number"),
        ("07700 9OO123", "Mobile numbers can only include"),
        ("", "Enter a mobile number"),
    ],
)
def test_postcard_form_refuses_numbers_notify_would(connected, event, number, words):
    response = Client().post(f"/e/{event.slug}/", postcard_data(channel="sms", phone=number))
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not Postcard.objects.exists()


@pytest.mark.parametrize(
    "address, words",
    [
        ("1 Town Hall Square\nBD1 1HY", "at least 3 lines"),
        ("\n".join(["Line"] * 7 + ["BD1 1HY"]), "no more than 7 lines"),
        ("Amina\n1 Town Hall Square\nBradford\nBD1 XYZ", "real UK postcode"),
        ("Amina\n1 Town Hall Square\nParis\nFrance", "real UK postcode"),
        ("Amina\n@home\nBradford\nBD1 1HY", "must not start with"),
        ("Amina\nNo fixed abode\nBradford\nBD1 1HY", "no fixed abode"),
        ("", "Enter your postal address"),
    ],
)
def test_postcard_form_refuses_addresses_notify_would(connected, event, address, words):
    response = Client().post(f"/e/{event.slug}/", postcard_data(channel="letter", address=address))
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not Postcard.objects.exists()


def test_postcard_form_takes_a_letter_address_as_notify_prints_it(connected, event):
    address = "Amina Hussain\n1 Town Hall Square,\nBradford\nbd11hy\nUnited Kingdom"
    response = Client().post(
        f"/e/{event.slug}/", postcard_data(channel="letter", address=address, phone="07700 900123")
    )
    assert response.status_code == 302
    postcard = Postcard.objects.get()
    assert postcard.channel == "letter"
    assert postcard.address == "Amina Hussain\n1 Town Hall Square\nBradford\nBD1 1HY"
    assert postcard.phone == "447700900123"  # kept for a fallback
    assert reminder(postcard).channel == "letter"


def test_without_notify_attendees_are_not_offered_text_or_letter(db, event):
    page = Client().get(f"/e/{event.slug}/").content.decode()
    assert "By text message" not in page and "printed letter" not in page
    # A forged choice is ignored: email it is.
    response = Client().post(f"/e/{event.slug}/", postcard_data(channel="sms", phone="07700900123"))
    assert response.status_code == 302
    assert Postcard.objects.get().channel == "email" and reminder(Postcard.objects.get()).channel == "email"


def test_with_notify_the_form_offers_only_the_channels_the_organiser_chose(
    db, fast, standin, alliance, event
):
    connect(standin, alliance, offer_letter=False)
    page = Client().get(f"/e/{event.slug}/").content.decode()
    assert "By text message" in page and "printed letter" not in page
    response = Client().post(f"/e/{event.slug}/", postcard_data(channel="letter", address=ADDRESS))
    assert (
        response.status_code == 400
        and "Select how we should send your postcard back" in response.content.decode()
    )


def test_a_number_that_got_past_the_form_fails_without_asking_notify(connected, standin, event):
    postcard = write(event, channel="sms", phone="0123")  # e.g. edited in the database by hand
    make_due(postcard)
    assert sending.deliver_due().outcomes == {"failed": 1}
    assert "Ask for a new number" in reminder(postcard).last_error
    assert standin.requests == []


def test_notify_refusing_the_recipient_fails_it_with_notifys_words_and_offers_a_fallback(
    connected, standin, organiser_client, event
):
    postcard = write(
        event, email="amina@localhost", phone="447700900123"
    )  # Django accepts it, Notify does not
    make_due(postcard)
    assert sending.deliver_due().outcomes == {"failed": 1}
    row = reminder(postcard)
    assert row.last_error == "GOV.UK Notify refused it: email_address Not a valid email address"
    page = organiser_client.get(f"/organise/events/{event.slug}/postcards/").content.decode()
    assert "email_address Not a valid email address" in page and "Send by text message instead" in page

    response = organiser_client.post(
        f"/organise/events/{event.slug}/reminders/{row.pk}/fallback/", {"channel": "sms"}
    )
    assert response.status_code == 302
    again = organiser_client.post(
        f"/organise/events/{event.slug}/reminders/{row.pk}/fallback/", {"channel": "sms"}
    )
    assert again.status_code == 302  # a double click finds the first fallback
    [second] = Message.objects.filter(kind=REMINDER, fallback_for=row)
    assert second.channel == "sms" and second.to_address == "447700900123"
    sending.deliver_due()
    assert [n.type for n in standin.notifications.values()] == ["sms"]
    assert AuditEntry.objects.filter(action="reminder.fallback").count() == 1


def test_revoked_key_tells_the_organiser_and_loses_nothing(
    connected, standin, organiser_client, event, alliance
):
    postcards = [
        write(event, name=f"P {i}", email=f"p{i}@example.org", channel="sms", phone=f"0770090000{i}")
        for i in range(3)
    ]
    make_due(*postcards)
    standin.revoke(connected.key)
    assert sending.deliver_due().outcomes == {"retrying": 3}
    assert len(standin.requests) == 1  # refused once; the rest of the batch waited
    rows = Message.objects.filter(kind=REMINDER)
    assert all("refused the API key" in r.last_error and "API key revoked" in r.last_error for r in rows)
    connected.settings.refresh_from_db()
    assert "An organiser needs to add a current API key" in connected.settings.problem
    assert (
        "GOV.UK Notify needs you"
        in organiser_client.get(f"/organise/events/{event.slug}/postcards/").content.decode()
    )
    assert (
        "GOV.UK Notify needs you"
        in organiser_client.get(f"/organise/alliances/{alliance.slug}/notify/").content.decode()
    )

    new_key = standin.add_key(connected.service, name="second")
    response = organiser_client.post(
        f"/organise/alliances/{alliance.slug}/notify/",
        {
            "api_key": new_key,
            "email_template_id": connected.email_template,
            "sms_template_id": connected.sms_template,
            "offer_sms": "on",
            "offer_letter": "on",
            "postage": "second",
            "callback_token": connected.settings.callback_token,
        },
    )
    assert response.status_code == 302
    connected.settings.refresh_from_db()
    assert connected.settings.problem == "" and connected.settings.api_key == new_key
    make_due(*postcards)
    drain(lambda: Message.objects.filter(kind=REMINDER, status=Status.SENT).count() == 3)
    assert len(standin.notifications) == 3 and set(standin.references().values()) == {1}


def test_unknown_key_is_refused_too(connected, standin, event):
    NotifySettings.objects.filter(pk=connected.settings.pk).update(
        api_key=f"made-up-{connected.service.id}-00000000-0000-4000-8000-000000000000"
    )
    postcard = write(event, channel="sms", phone="07700900123")
    make_due(postcard)
    assert sending.deliver_due().outcomes == {"retrying": 1}
    assert "API key not found" in reminder(postcard).last_error and standin.notifications == {}


def test_trial_mode_refuses_letters_the_organiser_is_told_and_texts_still_go(
    db, fast, standin, alliance, event
):
    connected = connect(standin, alliance, trial_mode=True)
    letter = write(event, channel="letter", address=ADDRESS)
    text = write(event, name="Ravi Patel", email="ravi@example.org", channel="sms", phone="07700900999")
    make_due(letter, text)
    assert sending.deliver_due().outcomes == {"retrying": 1, "sent": 1}
    assert reminder(letter).status == Status.RETRYING and "trial mode" in reminder(letter).last_error
    connected.settings.refresh_from_db()
    assert "trial mode" in connected.settings.problem
    assert [n.type for n in standin.notifications.values()] == ["sms"]
    # Text messages going out do not hide the letter problem from the organiser.
    another = write(event, name="Jo Bloggs", email="jo@example.org", channel="sms", phone="07700900998")
    make_due(another)
    Message.objects.filter(pk=reminder(letter).pk).update(due_at=timezone.now() + dt.timedelta(hours=1))
    assert sending.deliver_due().outcomes == {"sent": 1}
    connected.settings.refresh_from_db()
    assert "trial mode" in connected.settings.problem

    connected.service.trial_mode = False  # the organiser asks Notify to go live
    make_due(letter)
    drain(lambda: reminder(letter).status == Status.SENT)
    assert [n.type for n in standin.notifications.values()] == ["sms", "sms", "letter"]
    connected.settings.refresh_from_db()
    assert connected.settings.problem == ""


def test_a_template_with_fields_we_do_not_fill_is_a_setup_problem(db, fast, standin, alliance, event):
    connected = connect(standin, alliance)
    connected.settings.sms_template_id = standin.add_template(
        connected.service, "sms", "((body)) ((nhs_number))"
    )
    connected.settings.save()
    postcard = write(event, channel="sms", phone="07700900123")
    make_due(postcard)
    assert sending.deliver_due().outcomes == {"retrying": 1}
    connected.settings.refresh_from_db()
    assert "Missing personalisation: nhs_number" in connected.settings.problem


def test_channel_no_longer_offered_fails_and_falls_back_to_email(connected, standin, event, smtp):
    postcard = write(event, channel="sms", phone="07700900123")
    NotifySettings.objects.all().delete()  # the alliance stopped using Notify
    make_due(postcard)
    assert sending.deliver_due().outcomes == {"failed": 1}
    row = reminder(postcard)
    assert "no longer sends by text message" in row.last_error
    assert fallback.options(row) == ["email"]
    fallback.resend(row, "email")
    sending.deliver_due()
    assert [r.rcpt for r in smtp.received] == [["amina@example.org"]]


# --- Statuses: callbacks and polling ---------------------------------------------------------------------------


def _callback(alliance, payload, token):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().post(
        f"/notify/callback/{alliance.slug}/", payload, content_type="application/json", **headers
    )


def test_callback_needs_the_bearer_token_and_records_delivery(connected, standin, event, alliance):
    postcard = write(event, channel="sms", phone="07700900123")
    make_due(postcard)
    sending.deliver_due()
    row = reminder(postcard)
    payload = {
        "id": row.provider_reference,
        "reference": str(row.id),
        "to": "447700900123",
        "status": "delivered",
        "notification_type": "sms",
    }
    assert _callback(alliance, payload, None).status_code == 401
    assert _callback(alliance, payload, "wrong-token-wrong-token").status_code == 401
    assert reminder(postcard).provider_status == "created"
    assert _callback(alliance, payload, connected.settings.callback_token).status_code == 204
    row = reminder(postcard)
    assert row.provider_status == "delivered" and row.status == Status.SENT
    # Another alliance's token cannot touch this alliance's messages.
    other = Alliance.objects.create(name="Other", slug="other", contact_email="o@example.org")
    other_settings = connect(standin, other).settings
    failed = dict(payload, status="permanent-failure")
    assert _callback(other, failed, other_settings.callback_token).status_code == 204
    assert reminder(postcard).status == Status.SENT


def test_permanent_failure_tells_the_organiser_to_ask_for_a_new_address(
    connected, event, alliance, organiser_client
):
    postcard = write(event, channel="letter", address=ADDRESS)
    make_due(postcard)
    sending.deliver_due()
    row = reminder(postcard)
    _callback(
        alliance,
        {"id": row.provider_reference, "reference": str(row.id), "status": "permanent-failure"},
        connected.settings.callback_token,
    )
    row = reminder(postcard)
    assert row.status == Status.FAILED and row.provider_status == "permanent-failure"
    assert "Ask for a new postal address" in row.last_error
    page = organiser_client.get(f"/organise/events/{event.slug}/postcards/").content.decode()
    assert "Ask for a new postal address" in page and "Send by email instead" in page


def test_statuses_are_polled_because_callbacks_can_be_lost(connected, standin, event, settings):
    settings.NOTIFY_POLL_MINUTES = 0
    texts = [
        write(event, name=f"P {i}", email=f"p{i}@example.org", channel="sms", phone=f"0770090000{i}")
        for i in range(3)
    ]
    make_due(*texts)
    sending.deliver_due()
    ids = [reminder(p).provider_reference for p in texts]
    standin.set_status(ids[0], "delivered")
    standin.set_status(ids[1], "temporary-failure")
    notify.statuses_poll()
    rows = [reminder(p) for p in texts]
    assert [r.provider_status for r in rows] == ["delivered", "temporary-failure", "created"]
    assert [r.status for r in rows] == [Status.SENT, Status.FAILED, Status.SENT]
    assert "tried for 72 hours" in rows[1].last_error
    # Our record stays after Notify forgets (7 days): nothing is asked about any more, nothing changes.
    Message.objects.filter(pk=rows[2].pk).update(sent_at=timezone.now() - dt.timedelta(days=8))
    asked = len(standin.requests)
    notify.statuses_poll()
    assert len(standin.requests) == asked and reminder(texts[2]).provider_status == "created"


def test_automatic_fallback_sends_the_other_way_when_the_alliance_turned_it_on(
    connected, standin, event, alliance
):
    NotifySettings.objects.filter(pk=connected.settings.pk).update(auto_fallback=True)
    postcard = write(event, channel="sms", phone="07700900123", address=ADDRESS)
    make_due(postcard)
    sending.deliver_due()
    row = reminder(postcard)
    _callback(
        alliance,
        {"id": row.provider_reference, "reference": str(row.id), "status": "permanent-failure"},
        NotifySettings.objects.get().callback_token,
    )
    [second] = Message.objects.filter(fallback_for=row)
    assert second.channel == "email" and second.status == Status.SCHEDULED
    sending.deliver_due()
    assert [n.type for n in standin.notifications.values()] == ["sms", "email"]
    # The email fails too: the letter is next. Then nothing is left to try.
    second.refresh_from_db()
    _callback(
        alliance,
        {"id": second.provider_reference, "reference": str(second.id), "status": "permanent-failure"},
        NotifySettings.objects.get().callback_token,
    )
    [third] = Message.objects.filter(fallback_for=second)
    assert third.channel == "letter"
    sending.deliver_due()
    third.refresh_from_db()
    _callback(
        alliance,
        {"id": third.provider_reference, "reference": str(third.id), "status": "permanent-failure"},
        NotifySettings.objects.get().callback_token,
    )
    assert Message.objects.filter(kind=REMINDER).count() == 3


def test_failures_at_send_time_fall_back_through_the_periodic_job(connected, standin, event):
    NotifySettings.objects.filter(pk=connected.settings.pk).update(auto_fallback=True)
    postcard = write(event, email="amina@localhost", phone="07700900123")
    make_due(postcard)
    assert sending.deliver_due().outcomes == {"failed": 1}
    assert fallback.fallbacks_auto() == 1
    assert fallback.fallbacks_auto() == 0  # once
    sending.deliver_due()
    assert [n.type for n in standin.notifications.values()] == ["sms"]


# --- Attendees change how it comes back ------------------------------------------------------------------------


def test_attendee_changes_to_a_letter_from_their_postcard_page(connected, standin, event):
    client = Client()
    assert client.post(f"/e/{event.slug}/", postcard_data()).status_code == 302
    postcard = Postcard.objects.get()
    page = client.get(f"/postcards/{postcard.public_id}/").content.decode()
    assert "Change how it comes back" in page
    url = f"/postcards/{postcard.public_id}/how-it-comes-back/"
    bad = client.post(url, {"channel": "letter", "address": "Flat 1\nBD1 1HY"})
    assert bad.status_code == 400 and "at least 3 lines" in bad.content.decode()
    assert client.post(url, {"channel": "letter", "address": ADDRESS}).status_code == 302
    row = reminder(postcard)
    assert (
        row.channel == "letter" and row.to_address == "Amina Hussain, 1 Town Hall Square, Bradford, BD1 1HY"
    )
    page = client.get(f"/postcards/{postcard.public_id}/").content.decode()
    assert "as a printed letter to Amina Hussain, 1 Town Hall Square" in page
    make_due(postcard)
    sending.deliver_due()
    assert [n.type for n in standin.notifications.values()] == ["letter"]
    # Someone else's browser cannot change it.
    assert Client().post(url, {"channel": "email"}).status_code == 404


# --- Organiser settings ----------------------------------------------------------------------------------------


def test_settings_page_never_shows_the_key_and_checks_it(db, fast, standin, organiser_client, alliance):
    service = standin.add_service()
    key = standin.add_key(service)
    email_template = standin.add_template(service, "email", "((body))", "((subject))")
    url = f"/organise/alliances/{alliance.slug}/notify/"
    bad = organiser_client.post(
        url, {"api_key": "not-a-key", "postage": "second", "offer_sms": "on", "email_template_id": "nope"}
    )
    page = bad.content.decode()
    assert bad.status_code == 400
    assert (
        "Enter the API key as GOV.UK Notify shows it" in page
        and "Enter the template ID as GOV.UK Notify" in page
    )
    assert "Enter the text message template ID, or do not offer text messages" in page
    assert "not-a-key" not in page  # a pasted key is never written back into the page
    assert (
        organiser_client.post(
            url, {"api_key": key, "postage": "second", "email_template_id": email_template}
        ).status_code
        == 302
    )
    saved = NotifySettings.objects.get(alliance=alliance)
    assert saved.api_key == key and len(saved.callback_token) >= 32
    page = organiser_client.get(url).content.decode()
    secret = key[-36:]
    assert secret not in page and key[-4:] in page and f"/notify/callback/{alliance.slug}/" in page
    audit = AuditEntry.objects.get(action="notify.settings")
    assert secret not in str(audit.detail)
    # Saving again without a key keeps the saved one.
    assert (
        organiser_client.post(
            url, {"api_key": "", "postage": "first", "email_template_id": email_template}
        ).status_code
        == 302
    )
    assert NotifySettings.objects.get().api_key == key and NotifySettings.objects.get().postage == "first"


def test_send_a_test_to_me(db, fast, standin, alliance, client):
    organiser = make_organiser(alliance, email="org@example.org")
    client.force_login(organiser)
    connected = connect(standin, alliance)
    response = client.post(
        f"/organise/alliances/{alliance.slug}/notify/test/", {"mobile": "07700 900123"}, follow=True
    )
    page = response.content.decode()
    assert "accepted the test email to org@example.org" in page and "accepted the test text message" in page
    assert sorted(n.recipient for n in standin.notifications.values()) == ["447700900123", "org@example.org"]
    standin.revoke(connected.key)
    page = client.post(f"/organise/alliances/{alliance.slug}/notify/test/", {}, follow=True).content.decode()
    assert "was not sent" in page and "API key revoked" in page


def test_only_the_alliances_organisers_see_its_notify_settings(db, fast, standin, alliance, client):
    connect(standin, alliance)
    other = Alliance.objects.create(name="Other", slug="other", contact_email="o@example.org")
    client.force_login(make_organiser(other, email="other@example.org"))
    assert client.get(f"/organise/alliances/{alliance.slug}/notify/").status_code == 403
    assert client.post(f"/organise/alliances/{alliance.slug}/notify/remove/").status_code == 403
    assert NotifySettings.objects.filter(alliance=alliance).exists()


def test_stopping_notify_offers_email_only(connected, organiser_client, alliance, event):
    assert "By text message" in Client().get(f"/e/{event.slug}/").content.decode()
    assert organiser_client.post(f"/organise/alliances/{alliance.slug}/notify/remove/").status_code == 302
    assert not NotifySettings.objects.exists()
    assert "By text message" not in Client().get(f"/e/{event.slug}/").content.decode()


def test_another_event_of_another_alliance_is_not_sent_with_this_key(connected, standin, event, smtp):
    other = Alliance.objects.create(name="Other", slug="other", contact_email="o@example.org")
    other_event = Event.objects.create(
        alliance=other, slug="other-event", title="Other", date=dt.date(2030, 3, 5)
    )
    mine, theirs = write(event), write(other_event, email="them@example.org")
    make_due(mine, theirs)
    sending.deliver_due()
    assert [n.recipient for n in standin.notifications.values()] == ["amina@example.org"]
    assert [r.rcpt for r in smtp.received] == [["them@example.org"]]
