"""Shared pages (core/pagecache.py): the postcard form, the event page and the pledge wall are drawn once
per process for everyone who would see the same page. These tests prove the shared copy never carries one
visitor's token, nonce, words or header into another's page, and that any change to what a page shows is
seen at once, even when made by another process (an UPDATE that no code in this one hears about)."""

import datetime as dt
import re

import pytest
from django.core import signing
from django.test import Client

from pledgecard.core import access, pagecache
from pledgecard.events.models import Event
from pledgecard.pledges import wall
from pledgecard.pledges.forms import FollowUpForm, PostcardForm
from pledgecard.pledges.models import FollowUp, Postcard, Theme

from .conftest import postcard_data

pytestmark = pytest.mark.django_db

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NONCE = re.compile(r'<script type="module" nonce="([^"]+)"')


@pytest.fixture(autouse=True)
def _empty_cache():
    pagecache.pages.clear()
    pagecache.fragments.clear()
    yield
    pagecache.pages.clear()
    pagecache.fragments.clear()


def _get(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return response, response.content.decode()


def _csp_nonce(response):
    return re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)


@pytest.mark.parametrize("path", ["/e/test-event/", "/events/test-event/", "/e/test-event/wall/"])
def test_each_visitor_gets_their_own_token_and_nonce_in_the_shared_page(event, path, nhs):
    [postcard] = _written(event, 1)
    wall.moderate(event, ids=[postcard.pk], publish=True, actor=None)  # the wall then has a report form
    first, second = Client(), Client()
    r1, html1 = _get(first, path)
    r2, html2 = _get(second, path)
    assert len(pagecache.pages) == 1  # the second visitor was served the shared copy
    for response, html, client in ((r1, html1, first), (r2, html2, second)):
        tokens = set(CSRF_INPUT.findall(html))
        assert tokens, "the page has a form"
        assert pagecache.CSRF_MARK not in html and pagecache.NONCE_MARK not in html
        assert NONCE.search(html).group(1) == _csp_nonce(response)
        # The token in the page goes with this visitor's own CSRF cookie: a POST with them is accepted.
        assert client.cookies["csrftoken"].value
    assert _csp_nonce(r1) != _csp_nonce(r2)
    assert set(CSRF_INPUT.findall(html1)).isdisjoint(CSRF_INPUT.findall(html2))
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value


def test_a_form_sent_with_the_token_from_a_shared_page_is_accepted(event, nhs):
    visitor = Client(enforce_csrf_checks=True)
    _get(Client(), "/e/test-event/")  # someone else drew the shared copy
    _, html = _get(visitor, "/e/test-event/")
    data = postcard_data(csrfmiddlewaretoken=CSRF_INPUT.search(html).group(1))
    assert visitor.post("/e/test-event/", data).status_code == 302


def test_words_typed_in_a_bad_post_stay_in_that_visitors_page(event, nhs):
    typed = postcard_data(name="Zainab Typed-Name", email="not an address")
    response = Client().post("/e/test-event/", typed)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Zainab Typed-Name" in html and 'href="#email"' in html  # the error beside the field, words kept
    _, other = _get(Client(), "/e/test-event/")
    assert "Zainab Typed-Name" not in other and "There is a problem" not in other
    assert not any("Zainab" in html for _, html in pagecache.fragments._pages.values())


def test_a_signed_in_organiser_gets_their_own_header_and_visitors_never_see_it(organiser_client, event):
    _get(Client(), "/e/test-event/")
    _, theirs = _get(organiser_client, "/e/test-event/")
    assert "Sign out" in theirs
    _, visitor = _get(Client(), "/e/test-event/")
    assert "Sign out" not in visitor and "Your events" not in visitor


def test_a_message_waiting_for_a_visitor_is_theirs_alone(event):
    reporter = Client()
    [postcard] = _written(event, 1)
    wall.moderate(event, ids=[postcard.pk], publish=True, actor=None)
    _get(Client(), "/e/test-event/wall/")
    response = reporter.post(f"/e/test-event/wall/{postcard.pk}/report/", follow=True)
    assert "That pledge is hidden until an organiser has looked at it" in response.content.decode()
    _, other = _get(Client(), "/e/test-event/wall/")
    assert "That pledge is hidden" not in other


def test_an_edit_to_the_event_by_another_process_shows_at_once(event):
    _, before = _get(Client(), "/e/test-event/")
    assert "Test event" in before
    # An UPDATE, as the admin or another web worker would make it: nothing in this process is told.
    Event.objects.filter(pk=event.pk).update(title="Renamed by the organiser", summary="A new summary")
    _, form = _get(Client(), "/e/test-event/")
    _, page = _get(Client(), "/events/test-event/")
    assert "Renamed by the organiser" in form and "Test event" not in form
    assert "A new summary" in page
    event.alliance.__class__.objects.filter(pk=event.alliance_id).update(contact_email="new@example.org")
    _, form = _get(Client(), "/e/test-event/")
    assert "new@example.org" in form


def test_a_rescheduled_reminder_and_a_new_theme_show_on_the_form(organiser_client, event):
    _, before = _get(Client(), "/e/test-event/")
    response = organiser_client.post("/organise/events/test-event/reschedule/",
                                     {"reminder_date": "9/9/2031", "reminder_time": "10:00:00"})
    assert response.status_code == 302
    Theme.objects.create(name="A theme added today")
    _, after = _get(Client(), "/e/test-event/")
    assert "9 September 2031" in after and "9 September 2031" not in before
    assert "A theme added today" in after


def test_publishing_and_hiding_a_card_changes_the_wall_at_once(event):
    first, second = _written(event, 2)
    _, empty = _get(Client(), "/e/test-event/wall/")
    assert "Pledge 0" not in empty
    wall.moderate(event, ids=[first.pk, second.pk], publish=True, actor=None)
    _, shown = _get(Client(), "/e/test-event/wall/")
    assert "Pledge 0" in shown and "Pledge 1" in shown
    wall.moderate(event, ids=[second.pk], publish=False, actor=None)
    _, hidden = _get(Client(), "/e/test-event/wall/")
    assert "Pledge 0" in hidden and "Pledge 1" not in hidden
    Postcard.objects.filter(pk=first.pk).update(commitment="Words corrected by an organiser")
    _, corrected = _get(Client(), "/e/test-event/wall/")
    assert "Words corrected by an organiser" in corrected


def test_a_registration_changes_the_places_left_on_the_event_page(event, nhs):
    Event.objects.filter(pk=event.pk).update(capacity=3)
    _, before = _get(Client(), "/events/test-event/")
    assert "Only 3 places left" in before
    response = Client().post("/events/test-event/", {
        "name": "Sam Register", "email": "sam@example.org", "organisation": "Council", "role": "Officer",
        "sector": str(nhs.pk), "special_consent": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    _, after = _get(Client(), "/events/test-event/")
    assert "Only 2 places left" in after


def test_one_persons_follow_up_never_reaches_anothers_postcard_page(event):
    mine, theirs = _written(event, 2)
    FollowUp.objects.create(postcard=mine, outcome="done", reflection="My private reflection about the ward")
    for postcard in (mine, theirs):
        owner = _may_open(postcard)
        _, html = _get(owner, f"/postcards/{postcard.public_id}/")
        if postcard is mine:
            assert "My private reflection about the ward" in html
        else:
            assert "My private reflection" not in html and "Pledge 0" not in html
    assert not any("private reflection" in html for _, html in pagecache.fragments._pages.values())


def test_a_shared_page_cannot_read_anything_else_of_the_request():
    with pytest.raises(pagecache.SharedPageError):
        pagecache.SharedRequest().session  # noqa: B018 - the attribute read is the test
    assert not pagecache.SharedRequest().user.is_authenticated


def test_the_fingerprint_follows_every_value_and_refuses_what_it_cannot_read(event):
    form = PostcardForm()
    event = Event.objects.select_related("alliance").get(pk=event.pk)
    key = pagecache.fingerprint({"event": event, "form": form})
    again = Event.objects.select_related("alliance").get(pk=event.pk)
    assert key == pagecache.fingerprint({"event": again, "form": PostcardForm()})
    again.alliance.name = "Another name"  # a related row the page shows
    assert key != pagecache.fingerprint({"event": again, "form": PostcardForm()})
    assert key != pagecache.fingerprint({"event": event, "form": PostcardForm(reminder_hint="Another day")})
    event.venue = "Another hall"
    assert key != pagecache.fingerprint({"event": event, "form": form})
    with pytest.raises(ValueError, match="bound form"):
        pagecache.fingerprint({"form": FollowUpForm({"outcome": "done"})})
    with pytest.raises(TypeError):
        pagecache.fingerprint({"thing": object()})


def test_old_pages_are_dropped(event, monkeypatch):
    _get(Client(), "/e/test-event/")
    [(key, (drawn_at, html))] = pagecache.pages._pages.items()
    monkeypatch.setattr(pagecache, "MAX_AGE_SECONDS", 0.0)
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: drawn_at + 1)
    assert pagecache.pages.get(key) is None and len(pagecache.pages) == 0


def _may_open(postcard):
    """A browser holding the signed grant its writer's browser got (core/access.py)."""
    owner = Client()
    owner.cookies[access.COOKIE] = signing.dumps({"postcard": [str(postcard.public_id)]}, salt=access.SALT)
    return owner


def _written(event, n):
    for i in range(n):
        data = postcard_data(name=f"Writer {i}", email=f"writer{i}@example.org", commitment=f"Pledge {i}")
        assert Client().post(f"/e/{event.slug}/", data).status_code == 302
    return list(Postcard.objects.filter(event=event).order_by("pk"))


def test_the_date_in_a_key_is_exact():
    assert pagecache.fingerprint({"d": dt.date(2030, 1, 2)}) != pagecache.fingerprint({"d": "2030-01-02"})


def test_within_the_recheck_time_the_page_comes_without_queries_and_changes_show_after_it(
        event, settings, monkeypatch, django_assert_num_queries):
    settings.PLEDGECARD_PAGE_RECHECK_SECONDS = 1.0
    clock = [1000.0]
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: clock[0])
    _get(Client(), "/e/test-event/")
    Event.objects.filter(pk=event.pk).update(title="Renamed a moment ago")
    clock[0] += 0.5
    with django_assert_num_queries(0):
        response, html = _get(Client(), "/e/test-event/")
    assert "Test event" in html  # within the second: the page as it was checked
    assert NONCE.search(html).group(1) == _csp_nonce(response) and pagecache.CSRF_MARK not in html
    clock[0] += 0.6
    _, html = _get(Client(), "/e/test-event/")
    assert "Renamed a moment ago" in html  # past it: checked again
    # A signed-in organiser, or a POST, never gets the page without its checks.
    bad = Client().post("/e/test-event/", postcard_data(email="wrong"))
    assert bad.status_code == 400 and "There is a problem" in bad.content.decode()


def test_a_postcards_page_reads_the_alliances_resources_at_most_once_in_the_recheck_time(
        event, settings, monkeypatch):
    from .makers import make_resource

    settings.PLEDGECARD_PAGE_RECHECK_SECONDS = 1.0
    pagecache._values.clear()
    clock = [5000.0]
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: clock[0])
    [postcard] = _written(event, 1)
    owner = _may_open(postcard)
    _get(owner, f"/postcards/{postcard.public_id}/")
    make_resource(event.alliance, "A new call to action", url="https://example.org/new")
    clock[0] += 0.5
    assert "A new call to action" not in _get(owner, f"/postcards/{postcard.public_id}/")[1]
    clock[0] += 0.6
    assert "A new call to action" in _get(owner, f"/postcards/{postcard.public_id}/")[1]


def test_a_postcards_page_reads_its_event_and_themes_at_most_once_in_the_recheck_time(
        event, settings, monkeypatch, django_assert_num_queries):
    settings.PLEDGECARD_PAGE_RECHECK_SECONDS = 1.0
    pagecache._values.clear()
    clock = [7000.0]
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: clock[0])
    mine, theirs = _written(event, 2)
    owner, other = _may_open(mine), _may_open(theirs)
    page = f"/postcards/{mine.public_id}/"
    _get(owner, page)
    with django_assert_num_queries(2):  # the postcard with its follow-up, and its reminder
        _get(owner, page)
    Event.objects.filter(pk=event.pk).update(title="Renamed by an organiser")
    Theme.objects.filter(pk=mine.theme_id).update(name="Renamed theme")
    clock[0] += 0.5
    html = _get(owner, page)[1]
    assert "Renamed by an organiser" not in html and "Renamed theme" not in html
    clock[0] += 0.6
    html = _get(owner, page)[1]
    assert "Renamed by an organiser" in html and "Renamed theme" in html
    # The event held for every postcard's page carries nobody's postcard: another writer sees only their own.
    assert mine.commitment not in _get(other, f"/postcards/{theirs.public_id}/")[1]
    cached_event = pagecache._values.get(("event", event.pk))[0]
    assert not cached_event._state.fields_cache.keys() - {"alliance"}


def test_a_shared_macro_tells_safe_html_from_text_of_the_same_characters():
    """Text is escaped by the macro, safe HTML (Markup or Django's SafeString) is not: the same characters
    must not find each other's drawn HTML."""
    from django.utils.safestring import mark_safe
    from jinja2 import Environment

    macro = Environment(autoescape=True).from_string(
        "{% macro show(params) %}<p>{{ params.text }}</p>{% endmacro %}").module.show
    words = "<b>bold</b>"
    assert pagecache.shared_macro(macro, {"text": words}) == "<p>&lt;b&gt;bold&lt;/b&gt;</p>"
    assert pagecache.shared_macro(macro, {"text": mark_safe(words)}) == "<p><b>bold</b></p>"  # noqa: S308
    assert pagecache.shared_macro(macro, {"text": words}) == "<p>&lt;b&gt;bold&lt;/b&gt;</p>"
    assert len(pagecache.fragments) == 2


def test_addresses_with_ids_are_what_reverse_gives(settings):
    """`url()` reverses a postcard's addresses once with stand-in ids and puts each page's own id in."""
    import uuid

    from django.urls import NoReverseMatch, reverse

    from pledgecard.jinja2 import url

    for name in ("pledges:postcard", "pledges:channel", "pledges:stop", "pledges:follow_up", "pledges:refresh"):
        for public_id in [uuid.uuid4() for _ in range(5)] + [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)]:
            assert url(name, public_id=public_id) == reverse(name, kwargs={"public_id": public_id})
    with pytest.raises(NoReverseMatch):
        url("pledges:postcard", public_id="not-an-id")  # not a UUID: reverse() itself decides
    settings.FORCE_SCRIPT_NAME = "/pledgecard/"
    from django.urls import set_script_prefix

    set_script_prefix("/pledgecard/")
    try:
        public_id = uuid.uuid4()
        assert url("pledges:postcard", public_id=public_id) == f"/pledgecard/postcards/{public_id}/"
    finally:
        set_script_prefix("/")


@pytest.mark.parametrize("state", ["email", "sms", "letter", "withdrawn", "answered", "sent"])
def test_a_postcards_page_in_every_state_needs_only_its_two_queries(
        event, state, settings, monkeypatch, django_assert_num_queries):
    """The page reads only the columns it shows (`_SHOWN_ON_ITS_PAGE`): in each state it says what it should,
    and a column it reads but did not load would be a third query."""
    from pledgecard.delivery.models import Message

    settings.PLEDGECARD_PAGE_RECHECK_SECONDS = 1.0
    pagecache._values.clear()
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: 9000.0)

    (postcard,) = _written(event, 1)
    changes = {
        "sms": {"channel": "sms", "phone": "447700900123"},
        "letter": {"channel": "letter", "address": "1 High Street\nBradford\nBD1 1AA"},
        "withdrawn": {"reminder_withdrawn_at": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)},
    }.get(state, {})
    Postcard.objects.filter(pk=postcard.pk).update(**changes)
    reminders = Message.objects.filter(subject=postcard.subject, kind=Message.Kind.POSTCARD_REMINDER)
    if state == "withdrawn":
        reminders.update(status=Message.Status.CANCELLED)
    if state == "sent":
        reminders.update(status=Message.Status.SENT, sent_at=dt.datetime(2030, 9, 5, 9, tzinfo=dt.UTC))
    if state == "answered":
        FollowUp.objects.create(postcard=postcard, outcome="done", reflection="We did it, quarterly.")
    owner, page = _may_open(postcard), f"/postcards/{postcard.public_id}/"
    _get(owner, page)
    with django_assert_num_queries(2):
        html = _get(owner, page)[1]
    expected = {
        "email": "We will email it back to you",
        "sms": "by text message to 07700 900123",
        "letter": "as a printed letter to 1 High Street, Bradford, BD1 1AA",
        "withdrawn": "You asked us not to send it back to you.",
        "answered": "We did it, quarterly.",
        "sent": "We emailed it back to you on",
    }[state]
    assert expected in html and postcard.commitment in html and postcard.name in html
