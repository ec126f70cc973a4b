"""Meet someone new in the app: rounds, codes, repeats avoided across rounds and events, live counts, sharing."""

import datetime as dt

import pytest
from django.utils import timezone

from pledgecard.core.models import Role, Sector
from pledgecard.events.models import Event, Registration
from pledgecard.networking import services
from pledgecard.networking.models import Meeting, Member, Round

from .conftest import make_organiser

pytestmark = pytest.mark.django_db


def arrive(event, n, organisation=None, sector="NHS"):
    return Registration.objects.create(event=event, name=f"Person {n}", email=f"p{n}@example.org",
                                       organisation=organisation or f"Org {n}", sector=Sector.objects.get(name=sector),
                                       checked_in_at=timezone.now())


@pytest.fixture
def facilitator(client, alliance):
    client.force_login(make_organiser(alliance, email="fac@example.org", role=Role.FACILITATOR))
    return client


def pairs_of(round_):
    groups = {}
    for member in Member.objects.filter(round=round_):
        groups.setdefault(member.group_id, []).append(member.registration_id)
    return [frozenset(g) for g in groups.values()]


def test_a_round_pairs_everyone_checked_in_across_organisations(facilitator, event):
    sectors = ["NHS", "Police", "Education", "Housing"]
    for n in range(9):
        arrive(event, n, organisation=f"Org {n % 3}", sector=sectors[n % 4])
    Registration.objects.create(event=event, name="Not here", email="x@example.org", organisation="Org 9",
                                sector=Sector.objects.first())
    response = facilitator.post(f"/organise/events/{event.slug}/meet/start/", {"size": "2", "among": "checked_in",
                                                                               "after_round": "0"})
    assert response.status_code == 302
    round_ = Round.objects.get()
    groups = pairs_of(round_)
    assert sorted(len(g) for g in groups) == [2, 2, 2, 3]  # odd numbers: one trio
    placed = [r for g in groups for r in g]
    assert len(placed) == len(set(placed)) == 9
    by_id = {r.pk: r for r in Registration.objects.all()}
    for group in groups:
        orgs = [by_id[r].organisation for r in group]
        assert len(orgs) == len(set(orgs))
    assert round_.summary["same_organisation"] == 0


def test_round_two_never_repeats_round_one_and_nor_does_the_next_event(facilitator, event, alliance):
    for n in range(6):
        arrive(event, n)
    first = services.round_start(event, size=2, among="checked_in", after_round=0)
    second = services.round_start(event, size=2, among="checked_in", after_round=1)
    assert not set(pairs_of(first)) & set(pairs_of(second))
    later = Event.objects.create(alliance=alliance, slug="later", title="Later", date=dt.date(2031, 1, 1))
    again = [Registration.objects.create(event=later, name=f"Person {n}", email=f"p{n}@example.org",
                                         organisation=f"Org {n}", sector=Sector.objects.first(),
                                         checked_in_at=timezone.now()) for n in range(6)]
    third = services.round_start(later, size=2, among="checked_in", after_round=0)
    email = {r.pk: r.email for r in Registration.objects.all()}
    earlier = {frozenset(email[i] for i in g) for g in pairs_of(first) + pairs_of(second)}
    now = {frozenset(email[i] for i in g) for g in pairs_of(third)}
    assert not earlier & now
    assert len(again) == 6


def test_a_round_started_twice_at_once_makes_one_round(facilitator, event):
    for n in range(4):
        arrive(event, n)
    facilitator.post(f"/organise/events/{event.slug}/meet/start/", {"size": "2", "among": "checked_in", "after_round": "0"})
    response = facilitator.post(f"/organise/events/{event.slug}/meet/start/",
                                {"size": "2", "among": "checked_in", "after_round": "0"}, follow=True)
    assert Round.objects.count() == 1
    assert "was just started" in response.content.decode()


def test_one_person_alone_is_a_clear_message(facilitator, event):
    arrive(event, 1)
    response = facilitator.post(f"/organise/events/{event.slug}/meet/start/",
                                {"size": "2", "among": "checked_in", "after_round": "0"})
    assert response.status_code == 400
    assert "No round was started" in response.content.decode()


def test_everyone_from_one_organisation_relaxes_the_rule_and_says_so(facilitator, event):
    for n in range(4):
        arrive(event, n, organisation="Same Trust")
    round_ = services.round_start(event, size=2, among="checked_in", after_round=0)
    assert round_.summary["relaxed"] and round_.summary["same_organisation"] == 2
    page = facilitator.get(f"/organise/events/{event.slug}/meet/rounds/1/").content.decode()
    assert "A rule was relaxed" in page


def open_page(client, registration):
    client.get(f"/r/{registration.token}/")
    return client.get(f"/registrations/{registration.public_id}/meet/")


def test_attendees_see_their_match_and_confirm_with_the_partners_code(client, event):
    a, b = arrive(event, 1, sector="NHS"), arrive(event, 2, sector="Police")
    services.round_start(event, size=2, among="checked_in", after_round=0)
    page = open_page(client, a).content.decode()
    assert "Person 2" in page and "Table 1" in page
    my_code = Member.objects.get(registration=a).code
    their_code = Member.objects.get(registration=b).code
    assert my_code in page
    url = f"/registrations/{a.public_id}/meet/confirm/"
    assert "your own code" in client.post(url, {"code": my_code}).content.decode()
    assert "does not match anyone" in client.post(url, {"code": "ZZZZ"}).content.decode()
    assert client.post(url, {"code": their_code.lower()}).status_code == 302
    response = client.post(url, {"code": their_code})
    assert response.status_code == 400 and "already confirmed" in response.content.decode()
    meeting = Meeting.objects.get()
    assert (meeting.registration, meeting.met, meeting.cross_sector) == (a, b, True)


def test_opted_out_people_are_left_out(event):
    people = [arrive(event, n) for n in range(5)]
    services.preference_for(people[0]).__class__.objects.filter(registration=people[0]).update(opt_out=True)
    round_ = services.round_start(event, size=2, among="checked_in", after_round=0)
    assert not Member.objects.filter(round=round_, registration=people[0]).exists()
    assert round_.summary["opted_out"] == 1


def test_contact_card_only_with_the_fields_shared(client, event):
    a, b = arrive(event, 1), arrive(event, 2)
    services.round_start(event, size=2, among="checked_in", after_round=0)
    member_b = Member.objects.get(registration=b)
    open_page(client, a)
    assert client.get(f"/registrations/{a.public_id}/meet/{member_b.pk}.vcf").status_code == 404
    other = client.__class__()
    open_page(other, b)
    other.post(f"/registrations/{b.public_id}/meet/sharing/", {"share_email": "on"})
    card = client.get(f"/registrations/{a.public_id}/meet/{member_b.pk}.vcf")
    assert card.status_code == 200
    text = card.content.decode()
    assert "p2@example.org" in text and "TEL" not in text


def test_live_view_counts_and_refreshes_itself(facilitator, event):
    a, b = arrive(event, 1, sector="NHS"), arrive(event, 2, sector="Police")
    services.round_start(event, size=2, among="checked_in", after_round=0)
    services.meeting_confirm(a, Member.objects.get(registration=b).code)
    page = facilitator.get(f"/organise/events/{event.slug}/meet/live/").content.decode()
    assert 'id="met">1</strong> of <span id="present">2</span> people here have met someone new' in page
    assert '<span id="share">100</span>% of <span id="meetings">1</span> meetings crossed sectors' in page
    assert "live.json" in page  # the figures refresh themselves
    data = facilitator.get(f"/organise/events/{event.slug}/meet/live.json").json()
    assert data["met_someone"] == 1


def test_network_page_counts_but_does_not_list_people(organiser_client, event, alliance):
    a, b = arrive(event, 1), arrive(event, 2, sector="Police")
    services.round_start(event, size=2, among="checked_in", after_round=0)
    services.meeting_confirm(a, Member.objects.get(registration=b).code)
    page = organiser_client.get(f"/organise/alliances/{alliance.slug}/network/").content.decode()
    assert "1 people have confirmed 1 meetings" in page
    assert "Person 1" not in page


def test_organisers_edit_the_prompt_list_and_rounds_use_it(organiser_client, event, alliance):
    from pledgecard.networking.models import Group, Prompt

    url = f"/organise/alliances/{alliance.slug}/prompts/"
    page = organiser_client.get(url).content.decode()
    assert "What did you learn this morning that surprised you?" in page
    seed = Prompt.objects.get(alliance__isnull=True, text__startswith="What did you learn this morning")
    assert organiser_client.post(url, {"stop": str(seed.pk)}).status_code == 302
    assert organiser_client.post(url, {"text": "What would a fairer district look like on your street?"}).status_code == 302
    assert organiser_client.post(url, {"text": ""}).status_code == 400
    own = list(alliance.prompts.filter(active=True).values_list("text", flat=True))
    assert "What would a fairer district look like on your street?" in own
    assert not any(t.startswith("What did you learn this morning") for t in own)
    for n in range(2):
        arrive(event, n)
    services.round_start(event, size=2, among="checked_in", after_round=0)
    assert Group.objects.get().prompt in own
