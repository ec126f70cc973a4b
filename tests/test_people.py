"""People's rights over their data: export everything held about an address, erase it, nothing sent after.

The person (tests/people_world.py) has data in every app. Erasure is checked against the whole database: every
text, JSON and binary column of every table is searched for her address, her name and her words.
"""

import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from pledgecard.core import people, personal_data
from pledgecard.core.models import Alliance, AuditEntry
from pledgecard.delivery.models import Message
from pledgecard.delivery.sending import deliver_due
from pledgecard.delivery.services import message_schedule
from pledgecard.events.models import ImportUpload, Registration
from pledgecard.networking import services as networking
from pledgecard.networking.models import Meeting, Member
from pledgecard.networking.models import Preference as Wishes
from pledgecard.pledges.models import FollowUp, Postcard
from pledgecard.workshops.models import Placement

from . import people_world as pw

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(alliance):
    return pw.build(alliance)


def _json(document) -> str:
    return json.dumps(document, ensure_ascii=False)


# ------------------------------------------------------------------------------------------------- export


def test_export_holds_every_piece_and_matches_any_case(world):
    document = people.people_export("  ZAINAB.quereshi@example.ORG ")
    data = document["data"]
    text = _json(document)

    registrations = data["events.registrations"]
    past = next(r for r in registrations if r["what"] == "registration" and r["event"] == "Past event")
    assert past["access_needs"] == pw.ACCESS and past["dietary_requirements"] == pw.DIETARY
    assert past["checked_in_at"] and past["organisation"] == pw.ORGANISATION and past["role"]
    assert past["reference_in_the_source"] == "ZQ-1234567"
    assert any(r["event"] == "Future event" and r["what"] == "registration" for r in registrations)
    upload = next(r for r in registrations if r["what"] == "attendee file being imported")
    assert upload["rows_about_this_address"] == [
        {"name": pw.NAME, "email": pw.EMAIL.upper(), "organisation": pw.ORGANISATION}
    ]

    meet = data["networking.meet_someone_new"]
    assert [r["phone"] for r in meet if r["what"].endswith("wishes")] == [pw.NETWORK_PHONE]
    assert [r["your_code"] for r in meet if r["what"].endswith("group")] == ["ZQAB"]
    meetings = [r for r in meet if r["what"].endswith("meeting")]
    assert sorted(r["who_confirmed"] for r in meetings) == ["the other person", "you"]
    assert {r["other_person_sector"] for r in meetings} == {"Local authority"}

    workshops = data["workshops.choices_and_places"]
    assert {r["what"] for r in workshops} == {"workshop choice", "workshop choices made", "workshop place"}
    assert sum(1 for r in workshops if r["what"] == "workshop place") == 2

    postcards = data["pledges.postcards"]
    assert [p["what_i_will_do_differently"] for p in postcards] == [pw.COMMITMENT, pw.REFRESHED]
    first = postcards[0]
    assert first["what_i_learnt"] == pw.LEARNT and first["mobile_number"] == pw.PHONE
    assert first["postal_address"] == pw.ADDRESS.splitlines()
    assert first["how_did_it_go"]["reflection"] == pw.REFLECTION
    assert postcards[1]["refreshes_postcard"] == first["id"]

    messages = data["delivery.messages"]
    kinds = Counter(m["kind"] for m in messages)
    assert kinds == {
        "postcard confirmation": 2,
        "postcard reminder": 2,
        "registration confirmation": 1,
        "agenda": 1,
    }
    assert any(m["provider_reference"] == "zq-provider-ref-1" and m["status"] == "Sent" for m in messages)
    assert any("mailbox full" in m["last_error"] for m in messages)
    assert any(m["to"] == "Flat 9 Zq House, 1 Quereshi Road, Bradford, BD1 1ZQ" for m in messages)

    audit = data["core.audit_log"]
    assert sorted(a["action"] for a in audit) == ["note", "print.badges"]  # by address, and by her name

    # Nothing of the other people beside her: not Olu's name, address or words.
    for other in ["Olu Bankole", pw.OLU_EMAIL, "Olu will visit", "Wren"]:
        assert other not in text
    assert document["held_by"] == [
        {"alliance": "test-alliance", "name": "Test Alliance", "contact": "alliance@example.org"}
    ]


def test_export_is_recorded_without_the_address(world):
    people.people_export(pw.EMAIL)
    entry = AuditEntry.objects.get(action="people.export")
    assert entry.detail["subject"] == people.subject_hash(pw.EMAIL.upper())
    assert entry.detail["records"]["pledges.postcards"] == 2
    assert "zainab" not in json.dumps(entry.detail).casefold()


def test_nothing_held_says_so(world):
    document = people.people_export("nobody@example.org")
    assert document["nothing_held"] is True and all(not r for r in document["data"].values())
    report = people.people_erase("nobody@example.org")
    assert not report.matched and report.changed == {}
    entry = AuditEntry.objects.get(action="people.erase")
    assert entry.detail["records"] == {} and entry.detail["changed"] == 0


# -------------------------------------------------------------------------------------------------- erase


def _aggregates(world) -> dict:
    live = networking.live(world.past)
    return {
        "live": (
            live.present,
            live.met_someone,
            live.meetings,
            live.cross_sector_share,
            live.grid,
            live.sectors,
        ),
        "network": networking.network(world.past.alliance),
        "postcards": Counter(
            Postcard.objects.values_list("event__slug", "sector__name", "theme__name", "source")
        ),
        "outcomes": Counter(FollowUp.objects.values_list("outcome", flat=True)),
        "registrations": Registration.objects.count(),
        "past_statuses": Counter(world.past.registrations.values_list("status", "sector__name")),
        "checked_in": world.past.registrations.filter(checked_in_at__isnull=False).count(),
        "past_places": Counter(
            Placement.objects.filter(session=world.session).values_list("rank", flat=True)
        ),
        "members": Member.objects.count(),
        "meetings": Counter(
            Meeting.objects.values_list("cross_sector", "registration__sector__name", "met__sector__name")
        ),
        # Wren, behind her on the waiting list, is offered her place: that message is new, and hers alone.
        "messages": Message.objects.exclude(subject=world.waiting.subject).count(),
    }


def _olu(world) -> list:
    """Every row of Olu's, as values."""
    return [
        list(Registration.objects.filter(email=pw.OLU_EMAIL).values()),
        list(Postcard.objects.filter(email=pw.OLU_EMAIL).values()),
        list(Message.objects.filter(to_address=pw.OLU_EMAIL).values()),
        list(Placement.objects.filter(registration=world.olu).values()),
    ]


def test_erase_leaves_nothing_of_her_anywhere_and_keeps_the_counts(world):
    stored = pw.everything_stored()
    assert all(needle.casefold() in stored for needle in pw.NEEDLES)  # the search below can find each one
    counts, olu = _aggregates(world), _olu(world)

    report = people.people_erase(pw.EMAIL.lower())

    stored = pw.everything_stored()
    left = [needle for needle in pw.NEEDLES if needle.casefold() in stored]
    assert left == [], f"still in the database: {left}"
    after = _aggregates(world)
    assert after == counts, {k: (counts[k], after[k]) for k in counts if counts[k] != after[k]}
    assert _olu(world) == olu  # other people's rows are exactly as they were
    assert report.matched and report.changed["pledges.postcards"] >= 2
    assert report.changed["events.registrations"] == 3  # two registrations and the import file
    assert not ImportUpload.objects.exists()


def test_erased_rows_keep_what_others_need_and_lose_what_identifies_her(world):
    people.people_erase(pw.EMAIL)
    registration = Registration.objects.get(pk=world.registration.pk)
    assert registration.name == personal_data.ERASED_NAME and personal_data.is_erased(registration.email)
    assert registration.organisation.startswith("Erased organisation")  # hers alone: it identified her
    assert registration.sector.name == "NHS" and registration.checked_in_at is not None
    assert registration.status == Registration.Status.CONFIRMED  # she came: the event's counts say so
    postcard = Postcard.objects.get(pk=world.postcard.pk)
    assert (
        postcard.organisation == pw.SHARED_ORGANISATION
    )  # Olu's organisation too: it does not single her out
    assert postcard.theme.name == "Maternity" and postcard.commitment == "" and not postcard.share_on_wall
    assert postcard.email == registration.email  # one placeholder per erasure: still one person in the counts
    assert Postcard.for_token(world.postcard.token) is None  # her private links stop working
    assert Registration.for_token(world.registration.token) is None
    assert FollowUp.objects.get(postcard=postcard).outcome == "done"
    assert not Wishes.objects.filter(registration=registration).exists()
    # The event to come: she will not be there, her workshop seat is free, her place went to the waiting list.
    future = Registration.objects.get(pk=world.future_registration.pk)
    assert future.status == Registration.Status.CANCELLED
    assert not Placement.objects.filter(registration=future).exists()
    assert Registration.objects.get(pk=world.waiting.pk).status == Registration.Status.OFFERED
    assert Message.objects.filter(subject=world.waiting.subject, kind=Message.Kind.PLACE_OFFERED).exists()


def test_erasure_is_recorded_without_her_data(world):
    report = people.people_erase(pw.EMAIL)
    entry = AuditEntry.objects.get(action="people.erase")
    assert entry.alliance == world.past.alliance and entry.detail["subject"] == report.subject
    assert entry.detail["records"]["events.registrations"] == 3 and entry.detail["changed"] > 0
    log = json.dumps(list(AuditEntry.objects.values_list("detail", flat=True))).casefold()
    for needle in ["zainab", "quereshi", pw.EMAIL.casefold()]:
        assert needle not in log
    scrubbed = AuditEntry.objects.get(action="print.badges")
    assert scrubbed.detail["query"] == "q=" + people.ERASED_TEXT and scrubbed.detail["people"] == 1


def test_erasing_twice_finds_nothing_the_second_time(world):
    assert people.people_erase(pw.EMAIL).matched
    again = people.people_erase(pw.EMAIL)
    assert not again.matched and again.changed == {}


def test_nothing_is_sent_to_her_afterwards(world, smtp):
    """Her confirmations are due now and her reminders are made due: after erasure the worker sends none of
    them (or anything else to her), while Olu's mail still goes through the same real SMTP server."""
    now = timezone.now()
    Message.objects.filter(kind=Message.Kind.POSTCARD_REMINDER).update(due_at=now)
    people.people_erase(pw.EMAIL)
    # Something scheduled later for a row that was hers (an agenda for the event she came to) is never sent.
    late = message_schedule(
        kind=Message.Kind.AGENDA,
        subject=world.registration.subject,
        alliance_id=world.registration.event.alliance_id,
        to_address=world.registration.__class__.objects.get(pk=world.registration.pk).email,
        due_at=now,
    )
    assert late.status == Message.Status.CANCELLED
    while deliver_due().handled:
        pass
    recipients = [address.casefold() for received in smtp.received for address in received.rcpt]
    assert recipients and set(recipients) == {pw.OLU_EMAIL, "wren@example.org"}  # Wren: offered her place
    assert not any(personal_data.is_erased(a) or "zainab" in a for a in recipients)
    hers = Message.objects.exclude(to_address=pw.OLU_EMAIL).exclude(subject=world.waiting.subject)
    assert not hers.filter(status__in=[*Message.PENDING, Message.Status.SENDING]).exists()
    assert set(hers.values_list("to_address", flat=True)) == {""}


def test_a_message_claimed_before_erasure_is_not_sent(world, smtp):
    """A worker took her reminder just before the erasure: when it sends, the row says no."""
    from pledgecard.delivery.sending import deliver, messages_claim

    Message.objects.filter(subject=world.refreshed.subject, kind=Message.Kind.POSTCARD_REMINDER).update(
        due_at=timezone.now(), channel="email", to_address=pw.EMAIL
    )
    Message.objects.exclude(subject=world.refreshed.subject, kind=Message.Kind.POSTCARD_REMINDER).update(
        status=Message.Status.SENT
    )
    claimed = messages_claim(limit=10)
    assert len(claimed) == 1
    people.people_erase(pw.EMAIL)
    report = deliver(claimed)
    assert smtp.received == [] and report.outcomes["sent"] == 0


def test_an_organiser_erases_only_what_their_alliance_holds(world):
    other = Alliance.objects.create(name="Other", slug="other", contact_email="o@example.org")
    other_world_event = world.past.__class__.objects.create(
        alliance=other, slug="other-event", title="Other", date=world.past.date
    )
    theirs = Registration.objects.create(
        event=other_world_event,
        name=pw.NAME,
        email=pw.EMAIL,
        organisation=pw.ORGANISATION,
        sector=world.registration.sector,
    )
    found = people.people_find(pw.EMAIL, alliances=[other])
    assert [r["event"] for r in found.held["events.registrations"]] == ["Other"]
    assert "delivery.messages" in found.held and not found.held["pledges.postcards"]

    people.people_erase(pw.EMAIL, alliances=[world.past.alliance])
    theirs.refresh_from_db()
    assert theirs.name == pw.NAME and theirs.email == pw.EMAIL
    assert AuditEntry.objects.get(action="people.erase").alliance == world.past.alliance
    assert people.people_find(pw.EMAIL).total == 1  # only the other alliance's registration is left


def test_an_unscoped_holder_is_left_out_of_an_alliance_erasure(world):
    """An app whose functions cannot be limited to an alliance is searched only when everything is."""
    calls = []
    personal_data.register(
        "test.unscoped", export=lambda email: calls.append(email) or [{"x": 1}], erase=lambda email: 1
    )
    try:
        found = people.people_find(pw.EMAIL, alliances=[world.past.alliance])
        assert found.not_searched == ["test.unscoped"] and calls == []
        assert people.people_find(pw.EMAIL).held["test.unscoped"] == [{"x": 1}]
    finally:
        personal_data._holders.pop("test.unscoped")


def test_an_organiser_account_with_the_address_is_exported_and_kept(world):
    from .conftest import make_organiser

    make_organiser(world.past.alliance, email=pw.EMAIL.lower())
    found = people.people_find(pw.EMAIL)
    account = found.held["core.organiser_accounts"][0]
    assert account["roles"] == [{"alliance": "test-alliance", "role": "Organiser"}]
    report = people.people_erase(pw.EMAIL)
    assert report.kept and "organiser account" in report.kept[0]
    assert people.people_find(pw.EMAIL).held["core.organiser_accounts"]


# ---------------------------------------------------------------------------------------------------- CLI


def test_cli_export_writes_one_readable_file(world, tmp_path, capsys):
    out = tmp_path / "zainab.json"
    call_command("people", "export", pw.EMAIL.upper(), "--out", str(out))
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["data"]["pledges.postcards"][0]["what_i_will_do_differently"] == pw.COMMITMENT
    assert out.read_text(encoding="utf-8").startswith("{\n  ")  # indented: readable
    assert "Wrote" in capsys.readouterr().out
    assert AuditEntry.objects.get(action="people.export").detail["by"] == "cli"


def test_cli_erase_without_yes_refuses_when_it_cannot_ask(world, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(CommandError, match="--yes"):
        call_command("people", "erase", pw.EMAIL)
    assert "pledges.postcards: 2" in capsys.readouterr().out  # what would be erased was shown
    assert Postcard.objects.filter(email__iexact=pw.EMAIL).count() == 2
    assert not AuditEntry.objects.filter(action="people.erase").exists()


def test_cli_erase_asks_and_stops_unless_told_yes(world, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Not erased"):
        call_command("people", "erase", pw.EMAIL)
    assert Postcard.objects.filter(email__iexact=pw.EMAIL).count() == 2
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    call_command("people", "erase", pw.EMAIL)
    assert not Postcard.objects.filter(email__iexact=pw.EMAIL).exists()


def test_cli_erase_yes_and_nothing_matched(world, capsys):
    call_command("people", "erase", pw.EMAIL, "--yes")
    out = capsys.readouterr().out
    assert "Erased:" in out and people.subject_hash(pw.EMAIL) in out
    assert not Registration.objects.filter(email__iexact=pw.EMAIL).exists()
    call_command("people", "erase", pw.EMAIL, "--yes")
    assert "Nothing is held about" in capsys.readouterr().out


def test_the_outbox_never_sends_to_an_erased_address(world, smtp):
    """However a row came to hold an erased person's placeholder address, the worker cancels it unsent."""
    placeholder = personal_data.Replacement().email
    row = Message.objects.create(
        kind=Message.Kind.AGENDA, subject=world.olu.subject, to_address=placeholder, due_at=timezone.now()
    )
    Message.objects.exclude(pk=row.pk).update(status=Message.Status.SENT)
    assert deliver_due().outcomes["cancelled"] == 1
    row.refresh_from_db()
    assert row.status == Message.Status.CANCELLED and row.to_address == "" and smtp.received == []
