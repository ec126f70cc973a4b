"""One person with data in every app, and another beside them at the same events (for the people tests).

Zainab has: registrations at an event that has happened (access needs, dietary requirements, checked in) and
at one to come (a workshop place; a waiting list behind her); "meet someone new" wishes with a phone number, a
group and meetings in both directions with Olu; workshop choices and a place; a postcard sent back by letter
(with a phone number and an address), its follow-up and a refreshed pledge; messages in every state; an
attendee file waiting to be imported that holds her address; audit entries that name her. Olu has a
registration, a postcard and messages of his own at the same events.
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone

from pledgecard.core.models import AuditEntry, Sector
from pledgecard.delivery.models import Message
from pledgecard.delivery.services import message_schedule
from pledgecard.events.models import Event, ImportUpload, Registration
from pledgecard.networking.models import Group, Meeting, Member, Round
from pledgecard.networking.models import Preference as Wishes
from pledgecard.pledges import services as pledges
from pledgecard.pledges.models import Theme
from pledgecard.pledges.services import PostcardWords
from pledgecard.workshops.models import ChoiceRecord, Placement, Session, Slot, Workshop
from pledgecard.workshops.models import Preference as Choice

EMAIL = "Zainab.Quereshi@Example.org"  # stored like this; looked up in other cases
NAME = "Zainab Quereshi"
ORGANISATION = "Quereshi Wellbeing CIC"  # nobody else's: it identifies her
SHARED_ORGANISATION = "Bradford Council"  # Olu's too: it does not
LEARNT = "Zq-learnt: the bus timetable decides who reaches the clinic"
COMMITMENT = "Zq-commit: move the Tuesday clinic to the evening"
REFLECTION = "Zq-reflect: two clinics moved, three to go"
REFRESHED = "Zq-refresh: ask the bus company to the next panel"
PHONE = "447700900321"
ADDRESS = "Flat 9 Zq House\n1 Quereshi Road\nBradford\nBD1 1ZQ"
ACCESS = "Zq-access: a step-free route to the hall"
DIETARY = "Zq-diet: halal, no nuts"
NETWORK_PHONE = "07700 900654"

# Everything of hers that must be gone after erasure, anywhere in the database.
NEEDLES = [
    EMAIL,
    "zainab",
    "quereshi",
    ORGANISATION,
    LEARNT,
    COMMITMENT,
    REFLECTION,
    REFRESHED,
    PHONE,
    "7700900321",
    "900654",
    "BD1 1ZQ",
    ACCESS,
    DIETARY,
]

OLU_EMAIL = "olu.bankole@example.org"


@dataclass
class World:
    past: Event
    future: Event
    registration: Registration
    future_registration: Registration
    olu: Registration
    waiting: Registration
    postcard: object
    refreshed: object
    olu_postcard: object
    session: Session


def build(alliance, uploader=None) -> World:
    nhs, council = Sector.objects.get(name="NHS"), Sector.objects.get(name="Local authority")
    past = Event.objects.create(
        alliance=alliance,
        slug="past-event",
        title="Past event",
        date=dt.date(2023, 11, 7),
        reminder_date=dt.date(2024, 5, 7),
    )
    future = Event.objects.create(
        alliance=alliance,
        slug="future-event",
        title="Future event",
        date=timezone.localdate() + dt.timedelta(days=60),
        capacity=2,
    )
    now = timezone.now()
    registration = Registration.objects.create(
        event=past,
        name=NAME,
        email=EMAIL,
        organisation=ORGANISATION,
        sector=nhs,
        role="Zq-role: practice lead",
        access_needs=ACCESS,
        dietary=DIETARY,
        special_consent_at=now,
        checked_in_at=now,
        group="zq-carer-group",
        source="eventbrite",
        external_ref="ZQ-1234567",
    )
    olu = Registration.objects.create(
        event=past,
        name="Olu Bankole",
        email=OLU_EMAIL,
        organisation=SHARED_ORGANISATION,
        sector=council,
        checked_in_at=now,
    )
    future_registration = Registration.objects.create(
        event=future, name=NAME, email=EMAIL.lower(), organisation=ORGANISATION, sector=nhs
    )
    Registration.objects.create(
        event=future, name="Olu Bankole", email=OLU_EMAIL, organisation=SHARED_ORGANISATION, sector=council
    )
    waiting = Registration.objects.create(
        event=future,
        name="Wren Waiting",
        email="wren@example.org",
        organisation="Age UK",
        sector=council,
        status=Registration.Status.WAITING,
    )

    # Meet someone new: her wishes, a group with Olu, a meeting each way.
    Wishes.objects.create(registration=registration, share_email=True, share_phone=True, phone=NETWORK_PHONE)
    round_ = Round.objects.create(event=past, number=1, size=2, among=Round.Among.CHECKED_IN, summary={})
    group = Group.objects.create(round=round_, number=1, spot="Table 1", prompt="Why did you come?")
    Member.objects.create(round=round_, group=group, registration=registration, code="ZQAB")
    Member.objects.create(round=round_, group=group, registration=olu, code="OLCD")
    Meeting.objects.create(round=round_, registration=registration, met=olu, cross_sector=True)
    Meeting.objects.create(round=round_, registration=olu, met=registration, cross_sector=True)

    # Workshops at both events.
    slot = Slot.objects.create(event=past, starts_at=dt.time(13, 30), ends_at=dt.time(14, 30))
    trust = Workshop.objects.create(event=past, title="The role of trust")
    session = Session.objects.create(workshop=trust, slot=slot, capacity=10, room="Studio")
    Choice.objects.create(registration=registration, workshop=trust, rank=1)
    ChoiceRecord.objects.create(registration=registration)
    Placement.objects.create(registration=registration, session=session, rank=1)
    Placement.objects.create(registration=olu, session=session, rank=2)
    future_slot = Slot.objects.create(event=future, starts_at=dt.time(13, 30), ends_at=dt.time(14, 30))
    future_session = Session.objects.create(
        workshop=Workshop.objects.create(event=future, title="Co-production"), slot=future_slot, capacity=1
    )
    Placement.objects.create(registration=future_registration, session=future_session)

    # Postcards: hers comes back by letter; a follow-up; a refreshed pledge. Olu's beside it.
    maternity = Theme.objects.get(name="Maternity")
    words = PostcardWords(
        name=NAME,
        email=EMAIL,
        organisation=SHARED_ORGANISATION,
        sector=nhs,
        learnt=LEARNT,
        commitment=COMMITMENT,
        theme=maternity,
        wants_reminder=True,
        share_on_wall=True,
        channel="letter",
        phone=PHONE,
        address=ADDRESS,
    )
    postcard = pledges.postcard_write(event=past, words=words, source="online").postcard
    pledges.follow_up_answer(postcard, outcome="done", reflection=REFLECTION)
    refreshed = pledges.postcard_refresh(
        postcard, learnt=LEARNT + " again", commitment=REFRESHED, theme=None, wants_reminder=True
    ).postcard
    olu_words = PostcardWords(
        name="Olu Bankole",
        email=OLU_EMAIL,
        organisation=SHARED_ORGANISATION,
        sector=council,
        learnt="Olu learnt about housing",
        commitment="Olu will visit",
        theme=maternity,
        wants_reminder=True,
        share_on_wall=False,
    )
    olu_postcard = pledges.postcard_write(event=past, words=olu_words, source="online").postcard

    # Messages in other states: a registration confirmation sent, one refused by her mail server.
    sent = message_schedule(
        kind=Message.Kind.REGISTRATION_CONFIRMATION,
        subject=registration.subject,
        alliance_id=registration.event.alliance_id,
        to_address=EMAIL,
        due_at=now - dt.timedelta(days=400),
    )
    Message.objects.filter(pk=sent.pk).update(
        status=Message.Status.SENT,
        sent_at=now - dt.timedelta(days=400),
        provider_reference="zq-provider-ref-1",
    )
    failed = message_schedule(
        kind=Message.Kind.AGENDA,
        subject=registration.subject,
        alliance_id=registration.event.alliance_id,
        to_address=EMAIL,
        due_at=now - dt.timedelta(days=300),
    )
    Message.objects.filter(pk=failed.pk).update(
        status=Message.Status.FAILED, last_error=f"550 5.1.1 <{EMAIL}>: mailbox full"
    )
    message_schedule(
        kind=Message.Kind.REGISTRATION_CONFIRMATION,
        subject=olu.subject,
        alliance_id=olu.event.alliance_id,
        to_address=OLU_EMAIL,
        due_at=now - dt.timedelta(days=400),
    )

    # An attendee file waiting to be imported, with her row in it.
    uploader = uploader or get_user_model().objects.create_user(
        username="uploader@example.org", email="uploader@example.org"
    )
    ImportUpload.objects.create(
        event=future,
        uploaded_by=uploader,
        filename="attendees.csv",
        kind="csv",
        data=(
            f"name,email,organisation\n{NAME},{EMAIL.upper()},{ORGANISATION}\n"
            f"Olu Bankole,{OLU_EMAIL},Council\n"
        ).encode(),
    )

    # Audit entries that name her: a print job's search, and a note with her address.
    AuditEntry.objects.create(
        alliance=alliance,
        action="print.badges",
        detail={"event": past.slug, "people": 1, "query": "q=Zainab+Quereshi"},
    )
    AuditEntry.objects.create(
        alliance=alliance, action="note", detail={"about": [f"sent to {EMAIL.lower()}"]}
    )
    return World(
        past=past,
        future=future,
        registration=registration,
        future_registration=future_registration,
        olu=olu,
        waiting=waiting,
        postcard=postcard,
        refreshed=refreshed,
        olu_postcard=olu_postcard,
        session=session,
    )


def everything_stored() -> str:
    """Every text, JSON and binary column of every row of every table, as one casefolded string."""
    from django.apps import apps
    from django.db import models

    kinds = (models.CharField, models.TextField, models.JSONField, models.BinaryField)
    parts = []
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.managed or model._meta.proxy:
            continue
        names = [f.attname for f in model._meta.concrete_fields if isinstance(f, kinds)]
        if names:
            for row in model._default_manager.values_list(*names):
                parts.append(
                    repr(
                        [
                            bytes(v).decode("utf-8", "replace") if isinstance(v, memoryview | bytes) else v
                            for v in row
                        ]
                    )
                )
    return "\n".join(parts).casefold()
