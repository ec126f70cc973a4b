"""The pledge wall's moderation: waits by default, the alliance may publish first, bulk approve and hide,
visitors' reports hide a pledge until an organiser looks, and personal details are flagged."""

import pytest
from django.test import Client

from pledgecard.core.models import AuditEntry
from pledgecard.pledges import moderation, wall
from pledgecard.pledges.models import Postcard, WallSettings

from .conftest import postcard_data

pytestmark = pytest.mark.django_db


def write(event, n=1, **overrides):
    for i in range(n):
        data = postcard_data(name=f"Writer {i}", email=f"w{i}@example.org", commitment=f"Pledge number {i}")
        data.update(overrides)
        assert Client().post(f"/e/{event.slug}/", data).status_code == 302
    return list(Postcard.objects.order_by("pk"))


def wall_html(event) -> str:
    return Client().get(f"/e/{event.slug}/wall/").content.decode()


def moderate_url(event):
    return f"/organise/events/{event.slug}/wall/"


def test_new_shared_pledges_wait_for_approval_by_default(event):
    [postcard] = write(event)
    assert postcard.wall_status == "pending"
    assert "Pledge number 0" not in wall_html(event)


def test_the_alliance_can_publish_first_and_moderate_after(organiser_client, event):
    response = organiser_client.post(f"{moderate_url(event)}settings/", {"publish_first": "yes"})
    assert response.status_code == 302
    assert WallSettings.objects.get(alliance=event.alliance).publish_first
    assert AuditEntry.objects.filter(action="wall.settings").exists()
    write(event)
    write(event, commitment="Private one", share="", name="Private", email="p@example.org")
    write(event, commitment="Call me on 07700 900123", name="Phone", email="ph@example.org")
    shown, not_shared, with_phone = (
        Postcard.objects.get(commitment=c)
        for c in ("Pledge number 0", "Private one", "Call me on 07700 900123")
    )
    assert shown.wall_status == "published"
    assert not_shared.wall_status == "pending"  # not shared: never on the wall whatever its status
    assert with_phone.wall_status == "pending"  # personal details wait, even when publishing first
    html = wall_html(event)
    assert "Pledge number 0" in html and "Private one" not in html and "07700" not in html
    # And back again.
    organiser_client.post(f"{moderate_url(event)}settings/", {"publish_first": "no"})
    write(event, commitment="After the change", name="Later", email="later@example.org")
    assert Postcard.objects.get(commitment="After the change").wall_status == "pending"


def test_bad_settings_input_is_said_beside_the_field(organiser_client, event):
    for data in [{}, {"publish_first": "maybe"}, {"publish_first": "yes\x00"}]:
        response = organiser_client.post(f"{moderate_url(event)}settings/", data)
        assert response.status_code == 400
        assert 'href="#publish_first"' in response.content.decode()
    assert not WallSettings.objects.exists()


def test_organisers_approve_and_hide_in_bulk(organiser_client, event):
    postcards = write(event, 4)
    ids = [str(p.pk) for p in postcards]
    queue = organiser_client.get(moderate_url(event)).content.decode()
    assert all(f"Pledge number {i}" in queue for i in range(4)) and "Waiting (4)" in queue
    response = organiser_client.post(
        moderate_url(event) + "?show=waiting", {"action": "publish", "postcard": ids[:3]}
    )
    assert response.status_code == 302
    assert [p.wall_status for p in Postcard.objects.order_by("pk")] == ["published"] * 3 + ["pending"]
    html = wall_html(event)
    assert all(f"Pledge number {i}" in html for i in range(3)) and "Pledge number 3" not in html
    organiser_client.post(moderate_url(event), {"action": "hide", "postcard": ids[1:]})
    assert [p.wall_status for p in Postcard.objects.order_by("pk")] == [
        "published",
        "hidden",
        "hidden",
        "hidden",
    ]
    assert "Pledge number 1" not in wall_html(event)
    assert AuditEntry.objects.filter(action="wall.hide").get().detail == {"event": event.slug, "postcards": 3}


def test_bulk_actions_touch_only_this_events_shared_pledges(organiser_client, event, alliance):
    from pledgecard.events.models import Event

    other_event = Event.objects.create(alliance=alliance, slug="other-event", title="Other", date=event.date)
    [mine] = write(event)
    theirs = Client().post(f"/e/{other_event.slug}/", postcard_data(name="Other", email="o@example.org"))
    assert theirs.status_code == 302
    other = Postcard.objects.get(event=other_event)
    private = write(event, share="", name="Private", email="private@example.org", commitment="Private")[-1]
    organiser_client.post(
        moderate_url(event), {"action": "publish", "postcard": [mine.pk, other.pk, private.pk]}
    )
    assert Postcard.objects.get(pk=mine.pk).wall_status == "published"
    assert Postcard.objects.get(pk=other.pk).wall_status == "pending"
    assert Postcard.objects.get(pk=private.pk).wall_status == "pending"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"postcard": ["1"]}, "Choose Publish or Hide"),
        ({"action": "delete", "postcard": ["1"]}, "Choose Publish or Hide"),
        ({"action": "publish"}, "Select at least one pledge first"),
        ({"action": "publish", "postcard": ["abc", "\x00", "9" * 40]}, "Select at least one pledge first"),
    ],
)
def test_bulk_bad_input_is_a_400_with_a_message(organiser_client, event, data, message):
    write(event)
    response = organiser_client.post(moderate_url(event), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert Postcard.objects.get().wall_status == "pending"


def test_a_visitor_reports_a_pledge_and_it_is_hidden_until_an_organiser_looks(organiser_client, event):
    postcards = write(event, 2)
    wall.moderate(event, ids=[p.pk for p in postcards], publish=True, actor=None)
    visitor = Client()
    html = visitor.get(f"/e/{event.slug}/wall/").content.decode()
    assert "Report this pledge" in html and 'method="post"' in html
    response = visitor.post(f"/e/{event.slug}/wall/{postcards[1].pk}/report/", follow=True)
    assert "That pledge is hidden until an organiser has looked at it" in response.content.decode()
    reported = Postcard.objects.get(pk=postcards[1].pk)
    assert reported.wall_status == "pending" and reported.wall_reported_at and reported.wall_reports == 1
    assert "Pledge number 1" not in wall_html(event) and "Pledge number 0" in wall_html(event)
    # The organiser's queue lists it first, marked as reported; approving it puts it back.
    write(event, commitment="A newer pledge", name="Newer", email="newer@example.org")
    queue = organiser_client.get(moderate_url(event)).content.decode()
    assert "1 reported by visitors" in queue
    assert queue.index("Pledge number 1") < queue.index("A newer pledge")
    assert "Reported" in queue
    organiser_client.post(moderate_url(event), {"action": "publish", "postcard": [postcards[1].pk]})
    again = Postcard.objects.get(pk=postcards[1].pk)
    assert again.wall_status == "published" and again.wall_reported_at is None
    assert "Pledge number 1" in wall_html(event)


def test_reporting_needs_a_post_and_a_published_pledge(event):
    [postcard] = write(event)  # still pending
    assert Client().get(f"/e/{event.slug}/wall/{postcard.pk}/report/").status_code == 405
    Client().post(f"/e/{event.slug}/wall/{postcard.pk}/report/")
    postcard.refresh_from_db()
    assert postcard.wall_reports == 0 and postcard.wall_reported_at is None
    assert (
        Client().post(f"/e/{event.slug}/wall/999999/report/").status_code == 302
    )  # nothing to say to a guess


def test_one_visitor_cannot_empty_the_wall(event):
    postcards = write(event, 8)
    wall.moderate(event, ids=[p.pk for p in postcards], publish=True, actor=None)
    troll = Client(REMOTE_ADDR="203.0.113.50")
    for postcard in postcards:
        troll.post(f"/e/{event.slug}/wall/{postcard.pk}/report/")
    assert Postcard.objects.filter(wall_status="published").count() == 8 - 5
    # Another visitor can still report.
    Client(REMOTE_ADDR="198.51.100.2").post(f"/e/{event.slug}/wall/{postcards[-1].pk}/report/")
    assert Postcard.objects.filter(wall_status="published").count() == 2


def test_personal_details_are_flagged_in_the_queue(organiser_client, event):
    write(event, commitment="Email me: amina.h@nhs.net")
    write(event, commitment="Ring 01274 123456 to join", name="B", email="b@example.org")
    write(event, commitment="Meet 3 new people by 2025", name="C", email="c@example.org")
    queue = organiser_client.get(moderate_url(event)).content.decode()
    assert queue.count("Has an email address") == 1 and queue.count("Has a phone number") == 1


@pytest.mark.parametrize(
    "text, found",
    [
        ("Write to amina@example.org", ["an email address"]),
        ("amina (at) nhs (dot) net", ["an email address"]),
        ("07700 900123", ["a phone number"]),
        ("+44 7700 900123", ["a phone number"]),
        ("(01274) 123456", ["a phone number"]),
        ("0113-496-0000", ["a phone number"]),
        ("NHS number 943 476 5919", ["a long number (a phone or NHS number?)"]),
        ("Reduce waits by 20% in 2025", []),
        ("Meet 10 people, 12 groups and 100 families", []),
        ("", []),
    ],
)
def test_personal_details_detector(text, found):
    assert moderation.personal_details(text) == found


def test_the_public_wall_shows_only_published_shared_pledges_and_no_names(event):
    postcards = write(event, 3)
    wall.moderate(event, ids=[postcards[0].pk], publish=True, actor=None)
    wall.moderate(event, ids=[postcards[1].pk], publish=False, actor=None)
    html = wall_html(event)
    assert "Pledge number 0" in html
    assert "Pledge number 1" not in html and "Pledge number 2" not in html
    assert "Writer 0" not in html and "w0@example.org" not in html
