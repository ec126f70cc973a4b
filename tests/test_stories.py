"""Stories: submitted without an account, moderated (publish, return with a note, reject) with emails through
a real SMTP server, resubmitted through the author's private link, published on a page and a feed, spam
refused, and covered by people's export and erase."""

import re

import pytest
from defusedxml import ElementTree as ET
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from markupsafe import escape

from pledgecard.core import personal_data
from pledgecard.delivery.models import Message
from pledgecard.delivery.sending import deliver_due
from pledgecard.pledges.models import Theme
from pledgecard.stories import services
from pledgecard.stories.models import Story

from .makers import jpeg_with_location, make_story, png_bytes

pytestmark = pytest.mark.django_db
SCRIPT = '<script>alert("pwned")</script>'


def story_data(**overrides):
    data = {
        "title": "We asked the mosque first",
        "name": "Saima Hussain",
        "organisation": "Bradford Council",
        "email": "saima@example.org",
        "credit": "named",
        "image_alt": "",
        "website": "",
        "text": "At the event I pledged to ask a community group first.\r\n\r\nFourteen people came.\r\nSix "
        "had high blood pressure.",
    }
    data.update(overrides)
    return data


def submit(client, alliance, **overrides):
    return client.post(f"/stories/{alliance.slug}/new/", story_data(**overrides))


def received_by(smtp, address):
    return [r.message for r in smtp.received if r.rcpt == [address]]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


# --- submitting ---------------------------------------------------------------------------------------------


def test_anyone_submits_a_story_and_it_waits_for_an_organiser(client, alliance, smtp, settings):
    settings.SITE_URL = "https://pc.example.org"
    maternity = Theme.objects.get(name="Maternity")
    response = submit(client, alliance, themes=[str(maternity.pk)])
    assert response.status_code == 302
    story = Story.objects.get()
    assert response["Location"] == f"/my-story/{story.public_id}/"
    assert story.status == Story.Status.SUBMITTED and story.credit == "named" and story.consent_at
    assert story.text == (
        "At the event I pledged to ask a community group first.\n\nFourteen people came.\nSix had "
        "high blood pressure."
    )  # plain text, paragraphs kept, one kind of line break
    assert story.paragraphs == [
        "At the event I pledged to ask a community group first.",
        "Fourteen people came.\nSix had high blood pressure.",
    ]
    assert list(story.themes.all()) == [maternity]
    mine = client.get(response["Location"]).content.decode()
    assert "Waiting for an organiser" in mine
    # Not public until published.
    assert story.title not in Client().get(f"/stories/{alliance.slug}/").content.decode()
    assert Client().get(f"/stories/{alliance.slug}/{story.public_id}/").status_code == 404
    # The author is told we have it, with their private link.
    deliver_due()
    [email] = received_by(smtp, "saima@example.org")
    assert email["Subject"] == "We have your story: We asked the mosque first"
    assert f"https://pc.example.org/s/{story.token}/" in text_of(email)


def test_the_form_without_javascript_is_plain_html(client, alliance):
    html = client.get(f"/stories/{alliance.slug}/new/").content.decode()
    assert 'enctype="multipart/form-data"' in html and 'method="post"' in html
    for name in ["title", "text", "themes", "image", "image_alt", "name", "organisation", "email", "credit"]:
        assert f'name="{name}"' in html, name
    assert 'class="pc-honeypot" aria-hidden="true"' in html


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"title": ""}, "title", "Enter a title for your story"),
        ({"text": "   "}, "text", "Write your story"),
        ({"text": "x" * 10_001}, "text", "10,000 characters or fewer"),
        ({"name": ""}, "name", "Enter your name"),
        ({"email": "nope"}, "email", "Enter an email address in the correct format"),
        ({"credit": ""}, "credit", "Select how we may publish your story"),
        ({"credit": "everywhere"}, "credit", "Select how we may publish your story"),
        ({"themes": ["99999"]}, "themes", "Select themes from the list"),
        ({"themes": ["1\x00"]}, "themes", "Select themes from the list"),
        ({"title": "Ti\x00tle"}, "title", None),
    ],
    ids=[
        "no-title",
        "no-text",
        "long-text",
        "no-name",
        "bad-email",
        "no-consent",
        "bad-consent",
        "unknown-theme",
        "nul-theme",
        "nul-title",
    ],
)
def test_bad_input_is_said_beside_the_field_and_nothing_is_saved(client, alliance, overrides, field, message):
    response = submit(client, alliance, **overrides)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'href="#{field}' in html and "There is a problem" in html
    if message:
        assert message in html
    assert not Story.objects.exists() and not Message.objects.exists()


def test_a_picture_is_checked_stored_without_metadata_and_needs_a_description(client, alliance):
    photo = SimpleUploadedFile("holiday.jpg", jpeg_with_location(), content_type="image/jpeg")
    missing_alt = client.post(f"/stories/{alliance.slug}/new/", {**story_data(), "image": photo})
    assert missing_alt.status_code == 400
    assert "Describe the picture for people who cannot see it" in missing_alt.content.decode()
    photo.seek(0)
    response = client.post(
        f"/stories/{alliance.slug}/new/",
        {**story_data(image_alt="Volunteers at the open day"), "image": photo},
    )
    assert response.status_code == 302
    story = Story.objects.get()
    assert story.image_type == "image/jpeg" and story.image_alt == "Volunteers at the open day"
    picture = client.get(f"/stories/{alliance.slug}/{story.public_id}/picture")  # the author's browser
    assert picture.status_code == 200 and picture["Content-Type"] == "image/jpeg"
    assert picture["X-Content-Type-Options"] == "nosniff"
    assert picture["Content-Disposition"].startswith("inline;")
    assert b"SecretCameraMaker" not in b"".join(picture.streaming_content)
    # Nobody else sees it before it is published.
    assert Client().get(f"/stories/{alliance.slug}/{story.public_id}/picture").status_code == 404


@pytest.mark.parametrize(
    "data, name, content_type",
    [
        (b"%PDF-1.4\n%%EOF\n", "photo.jpg", "image/jpeg"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "photo.png",
            "image/png",
        ),
        (b"GIF89a" + b"\x00" * 20, "photo.gif", "image/gif"),
        (b"<html><body>hi</body></html>", "photo.jpeg", "image/jpeg"),
    ],
    ids=["pdf-as-jpeg", "svg-as-png", "forged-gif", "html-as-jpeg"],
)
def test_forged_pictures_are_refused(client, alliance, data, name, content_type):
    response = client.post(
        f"/stories/{alliance.slug}/new/",
        {
            **story_data(image_alt="A picture"),
            "image": SimpleUploadedFile(name, data, content_type=content_type),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="image-error"' in html
    assert "must be a picture" in html or "could not be read" in html
    assert not Story.objects.exists()


def test_an_oversized_picture_is_refused_with_a_clear_message(client, alliance, settings):
    big = png_bytes() + b"\x00" * settings.PLEDGECARD_STORY_IMAGE_MAX_BYTES  # just over 5 MB
    response = client.post(
        f"/stories/{alliance.slug}/new/",
        {
            **story_data(image_alt="A picture"),
            "image": SimpleUploadedFile("big.png", big, content_type="image/png"),
        },
    )
    assert response.status_code == 400
    assert "The picture must be smaller than 5 MB" in response.content.decode()
    assert not Story.objects.exists()


# --- spam ---------------------------------------------------------------------------------------------------


def test_a_burst_from_one_client_is_refused_politely_and_keeps_the_words(alliance):
    robot = Client(REMOTE_ADDR="203.0.113.66")
    from pledgecard.core.models import RateCounter
    from pledgecard.stories.views import BURST_LIMIT

    for n in range(BURST_LIMIT):
        assert submit(robot, alliance, title=f"Story {n}").status_code == 302
    refused = submit(robot, alliance, title="One too many", text="My words are kept")
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "You have sent several stories in the last few minutes" in html
    assert "My words are kept" in html and 'value="One too many"' in html  # nothing they typed is lost
    assert Story.objects.count() == BURST_LIMIT
    # Someone else is not affected.
    assert submit(Client(REMOTE_ADDR="198.51.100.1"), alliance, title="Another person").status_code == 302
    # Nothing about the sender is stored: the shared count names the client by a keyed hash only.
    [counter] = RateCounter.objects.filter(scope="story-submit", count=BURST_LIMIT)
    assert "203.0.113.66" not in repr(list(RateCounter.objects.values())) and len(counter.client) == 64
    assert "203.0.113.66" not in repr(list(Story.objects.values()))


def test_the_honeypot_catches_robots_and_saves_nothing(client, alliance):
    response = submit(client, alliance, website="http://spam.example/")
    assert response.status_code == 302
    assert response["Location"] == f"/stories/{alliance.slug}/"
    assert not Story.objects.exists() and not Message.objects.exists()


# --- moderation ---------------------------------------------------------------------------------------------


@pytest.fixture
def submitted(client, alliance):
    submit(client, alliance)
    Message.objects.all().delete()  # the "we have your story" email: not what these tests are about
    return Story.objects.get()


def queue_url(alliance):
    return f"/organise/alliances/{alliance.slug}/stories/"


def test_organiser_publishes_and_the_author_is_told(organiser_client, alliance, submitted, smtp, settings):
    settings.SITE_URL = "https://pc.example.org"
    queue = organiser_client.get(queue_url(alliance)).content.decode()
    assert submitted.title in queue
    review = organiser_client.get(f"{queue_url(alliance)}{submitted.public_id}/").content.decode()
    assert "Publish it with my name and organisation" in review and "saima@example.org" in review
    response = organiser_client.post(f"{queue_url(alliance)}{submitted.public_id}/publish/")
    assert response.status_code == 302 and response["Location"] == queue_url(alliance)
    submitted.refresh_from_db()
    assert submitted.status == Story.Status.PUBLISHED and submitted.published_at
    [message] = Message.objects.all()
    assert (message.kind, message.subject) == ("stories_published", f"stories.story:{submitted.pk}")
    deliver_due()
    [email] = received_by(smtp, "saima@example.org")
    assert email["Subject"] == "Your story is published: We asked the mosque first"
    assert f"https://pc.example.org/stories/{alliance.slug}/{submitted.public_id}/" in text_of(email)
    assert email["Reply-To"] == alliance.contact_email
    public = Client().get(f"/stories/{alliance.slug}/{submitted.public_id}/").content.decode()
    assert "Saima Hussain, Bradford Council" in public
    assert "<p>Fourteen people came.<br>Six had high blood pressure.</p>" in public
    # Publishing twice sends nothing more.
    organiser_client.post(f"{queue_url(alliance)}{submitted.public_id}/publish/")
    assert Message.objects.count() == 1


def test_published_without_a_name_shows_no_name(organiser_client, alliance, client):
    submit(client, alliance, credit="anonymous", title="Quiet work")
    story = Story.objects.get(title="Quiet work")
    organiser_client.post(f"{queue_url(alliance)}{story.public_id}/publish/")
    for url in [
        f"/stories/{alliance.slug}/",
        f"/stories/{alliance.slug}/{story.public_id}/",
        f"/stories/{alliance.slug}/feed/",
    ]:
        html = Client().get(url).content.decode()
        assert "Quiet work" in html and "Saima" not in html and "Bradford Council" not in html, url
        assert "saima@example.org" not in html


def test_return_with_a_note_then_the_author_edits_and_resubmits(
    organiser_client, alliance, submitted, smtp, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://testserver"
    empty = organiser_client.post(f"{queue_url(alliance)}{submitted.public_id}/return/", {"note": " "})
    assert empty.status_code == 400 and "Write a note to the author" in empty.content.decode()
    note = "Could you say what you will change now?\n\nAnd <b>which</b> ward?"
    response = organiser_client.post(f"{queue_url(alliance)}{submitted.public_id}/return/", {"note": note})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Story.Status.RETURNED and submitted.note == note
    deliver_due()
    [email] = received_by(smtp, "saima@example.org")
    assert email["Subject"] == "A question about your story: We asked the mosque first"
    text = text_of(email)
    assert "Could you say what you will change now?" in text
    assert "&lt;b&gt;which&lt;/b&gt;" in email.get_body(("html",)).get_content()  # the note is escaped there
    link = re.search(r"(http://testserver/s/\S+/)", text).group(1)
    # The author opens the link on another device (a fresh browser): GET changes nothing.
    author = Client()
    opened = author.get(link.removeprefix("http://testserver"))
    assert opened.status_code == 302 and opened["Location"] == f"/my-story/{submitted.public_id}/"
    page = author.get(opened["Location"]).content.decode()
    assert "The organisers ask" in page and str(escape("And <b>which</b> ward?")) in page
    assert 'value="We asked the mosque first"' in page  # the form, filled in
    changed = author.post(
        opened["Location"], story_data(text="Now with the change we will make.\n\nWard: Manningham.")
    )
    assert changed.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Story.Status.SUBMITTED and "Manningham" in submitted.text
    # Now it waits again: the author can no longer change it, and the queue shows it.
    assert author.post(opened["Location"], story_data(title="Sneaky change")).status_code == 302
    submitted.refresh_from_db()
    assert submitted.title == "We asked the mosque first"
    assert submitted.title in organiser_client.get(queue_url(alliance)).content.decode()


def test_a_returned_story_email_is_not_sent_once_it_was_sent_again(
    organiser_client, alliance, submitted, smtp
):
    organiser_client.post(f"{queue_url(alliance)}{submitted.public_id}/return/", {"note": "Add a ward"})
    services.story_resubmit(
        submitted,
        words=services.StoryWords(
            title="New",
            text="Text",
            themes=[],
            name="Saima",
            organisation="",
            email="saima@example.org",
            credit="named",
        ),
    )
    report = deliver_due()
    assert report.outcomes["cancelled"] == 1 and not smtp.received


def test_reject_publishes_nothing_and_sends_nothing(organiser_client, alliance, submitted, smtp):
    response = organiser_client.post(f"{queue_url(alliance)}{submitted.public_id}/reject/", follow=True)
    assert "will not be published" in response.content.decode()  # the banner, once
    submitted.refresh_from_db()
    assert submitted.status == Story.Status.REJECTED
    assert not Message.objects.exists()
    assert Client().get(f"/stories/{alliance.slug}/{submitted.public_id}/").status_code == 404
    waiting = organiser_client.get(queue_url(alliance)).content.decode()
    assert submitted.title not in waiting
    assert submitted.title in organiser_client.get(queue_url(alliance) + "?show=rejected").content.decode()


def test_taking_a_published_story_down_stops_its_email(organiser_client, alliance, submitted, smtp):
    organiser_client.post(f"{queue_url(alliance)}{submitted.public_id}/publish/")
    organiser_client.post(f"{queue_url(alliance)}{submitted.public_id}/reject/")
    report = deliver_due()
    assert report.outcomes["cancelled"] == 1 and not smtp.received


def test_personal_details_in_a_story_are_flagged_for_the_organiser(organiser_client, alliance, client):
    submit(client, alliance, title="Join us", text="Ring me on 07700 900123 or write to priya@example.org.")
    story = Story.objects.get()
    queue = organiser_client.get(queue_url(alliance)).content.decode()
    assert "Has an email address and a phone number" in queue
    review = organiser_client.get(f"{queue_url(alliance)}{story.public_id}/").content.decode()
    assert "Check for personal details" in review


def test_another_alliances_organiser_cannot_moderate(client, alliance, submitted):
    from pledgecard.core.models import Alliance

    from .conftest import make_organiser

    other = Alliance.objects.create(name="Other", slug="other", contact_email="o@example.org")
    client.force_login(make_organiser(other, email="other@example.org"))
    assert client.post(f"{queue_url(alliance)}{submitted.public_id}/publish/").status_code == 403
    assert client.post(f"/organise/alliances/other/stories/{submitted.public_id}/publish/").status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == Story.Status.SUBMITTED


# --- published: escaped, never HTML -------------------------------------------------------------------------


def test_story_text_is_plain_text_everywhere(organiser_client, alliance, client):
    submit(
        client,
        alliance,
        title=f"Title {SCRIPT}",
        text=f"{SCRIPT}\n\n<img src=x onerror=alert(1)> & more",
        name=SCRIPT,
    )
    story = Story.objects.get()
    assert story.text.startswith(SCRIPT)  # stored as typed
    organiser_client.post(f"{queue_url(alliance)}{story.public_id}/publish/")
    for url in [
        f"/stories/{alliance.slug}/",
        f"/stories/{alliance.slug}/{story.public_id}/",
        queue_url(alliance) + "?show=all",
        f"{queue_url(alliance)}{story.public_id}/",
    ]:
        html = (organiser_client if "organise" in url else Client()).get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert str(escape(SCRIPT)) in html, url
    feed = Client().get(f"/stories/{alliance.slug}/feed/")
    assert feed["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    [entry] = root.findall("a:entry", ns)
    summary = entry.find("a:summary", ns)
    assert summary.get("type") == "html"
    # Inside the feed the HTML is the escaped text: a reader shows the tags as words, never runs them.
    assert summary.text.startswith("<p>&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;</p>")
    assert "<img" not in summary.text
    assert entry.find("a:title", ns).text == f"Title {SCRIPT}"  # a title is text in Atom


def test_feed_lists_published_stories_newest_first(alliance):
    make_story(alliance, title="Waiting one")
    make_story(alliance, title="Older", status=Story.Status.PUBLISHED)
    newer = make_story(alliance, title="Newer", status=Story.Status.PUBLISHED)
    root = ET.fromstring(Client().get(f"/stories/{alliance.slug}/feed/").content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert [e.find("a:title", ns).text for e in root.findall("a:entry", ns)] == ["Newer", "Older"]
    assert root.find("a:entry/a:id", ns).text == f"urn:uuid:{newer.public_id}"
    assert (
        root.find("a:entry/a:link", ns).get("href").endswith(f"/stories/{alliance.slug}/{newer.public_id}/")
    )


# --- people's data ------------------------------------------------------------------------------------------


def test_people_export_and_erase_cover_stories(alliance, django_capture_on_commit_callbacks, settings):
    import pathlib

    story = make_story(alliance, email="Saima@Example.org", image=True)
    services.story_publish(story, actor=None)
    holder = next(h for h in personal_data.holders() if h.name == "stories.stories")
    assert holder.scoped and holder.label == "Stories"
    assert holder.export_for("saima@example.org", alliances={alliance.pk + 1}) == []  # not theirs
    [record] = holder.export("saima@example.ORG")
    assert record["story"] == story.title and record["email"] == "Saima@Example.org" and record["picture"]
    assert record["alliance"] == alliance.slug
    picture = pathlib.Path(settings.MEDIA_ROOT) / story.image
    assert picture.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert holder.erase("SAIMA@example.org") == 1
    assert not Story.objects.exists()
    assert not Message.objects.filter(subject=f"stories.story:{story.pk}").exists()
    assert not picture.exists()
    assert holder.export("saima@example.org") == []


def test_people_erase_from_core_removes_stories_and_an_alliance_page_only_its_own(alliance, organiser):
    from pledgecard.core import people
    from pledgecard.core.models import Alliance

    other = Alliance.objects.create(name="Other", slug="other", contact_email="o@example.org")
    mine = make_story(alliance, email="amina@example.org", title="Mine")
    theirs = make_story(other, email="AMINA@example.org", title="Theirs")
    document = people.people_export("amina@example.org")
    assert "Mine" in repr(document) and "Theirs" in repr(document)
    people.people_erase("amina@example.org", alliances={alliance.pk})  # this alliance's organiser
    assert not Story.objects.filter(pk=mine.pk).exists()
    assert Story.objects.filter(pk=theirs.pk).exists()
    people.people_erase("amina@example.org")  # the command line: everything
    assert not Story.objects.exists()
