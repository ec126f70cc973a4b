# ruff: noqa: E501 - the matrix below is a table, one address a line
"""Who may open what, private links, and the settings that protect every page.

The first test is a written matrix: every address in urls.py, for an anonymous visitor, an organiser of
another alliance and an organiser of this event's alliance, with GET and POST. CSRF checks are off for the
matrix (the test client's default) so that it shows the permission rules alone; test_bad_input.py proves that
every form refuses a forged CSRF token.
"""

import datetime as dt
import hashlib
import os
import re
import secrets
import subprocess
import sys
import time
import uuid
from unittest import mock

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session as DjangoSession
from django.core import signing
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from pledgecard.core import access, ratelimit
from pledgecard.core.models import Alliance, Job, Role, Sector
from pledgecard.events.models import Registration
from pledgecard.pledges.models import FollowUp, Postcard
from pledgecard.workshops.models import Placement, Session, Slot, Workshop

from .conftest import make_organiser, postcard_data

pytestmark = pytest.mark.django_db

LOGIN = "302→/accounts/login/?next="

# Every address of urls.py. Cells: a status code, "302→<start of the Location>", or "login" (sent to sign in).
# {event}, {alliance}: this organiser's; {postcard}/{token} and {registration}/{rtoken}: an attendee's postcard
# and registration with their private links; {placement}: a workshop place at the event; {upload}: an attendee
# import nobody made (so even this event's organiser gets 404: an upload opens only for its uploader).
MATRIX = """
URL                                                         | anon GET | anon POST | other GET | other POST | own GET | own POST
/                                                           | 200      | 200       | 200       | 200        | 200     | 200
/privacy/                                                   | 200      | 200       | 200       | 200        | 200     | 200
/bench/bare/                                                | 404      | 404       | 404       | 404        | 404     | 404
/e/{event}/                                                 | 200      | 400       | 200       | 400        | 200     | 400
/e/no-such-event/                                           | 404      | 404       | 404       | 404        | 404     | 404
/e/{event}/wall/                                            | 200      | 200       | 200       | 200        | 200     | 200
/p/{token}/                                                 | 302→/postcards/{postcard}/ | 302→/postcards/{postcard}/ | 302→/postcards/{postcard}/ | 302→/postcards/{postcard}/ | 302→/postcards/{postcard}/ | 302→/postcards/{postcard}/
/p/{wrong_token}/                                           | 404      | 404       | 404       | 404        | 404     | 404
/postcards/{postcard}/                                      | 404      | 404       | 404       | 404        | 404     | 404
/postcards/{postcard}/how-did-it-go/                        | 405      | 404       | 405       | 404        | 405     | 404
/postcards/{postcard}/refresh/                              | 404      | 404       | 404       | 404        | 404     | 404
/postcards/{postcard}/stop/                                 | 404      | 404       | 404       | 404        | 404     | 404
/events/{event}/                                            | 200      | 400       | 200       | 400        | 200     | 400
/events/{event}/check-your-email/                           | 200      | 200       | 200       | 200        | 200     | 200
/r/{rtoken}/                                                | 302→/registrations/{registration}/ | 302→/registrations/{registration}/ | 302→/registrations/{registration}/ | 302→/registrations/{registration}/ | 302→/organise/events/{event}/check-in/{registration}/ | 302→/organise/events/{event}/check-in/{registration}/
/r/{token}/                                                 | 404      | 404       | 404       | 404        | 404     | 404
/registrations/{registration}/                              | 404      | 404       | 404       | 404        | 404     | 404
/registrations/{registration}/change/                       | 404      | 404       | 404       | 404        | 404     | 404
/registrations/{registration}/cancel/                       | 404      | 404       | 404       | 404        | 404     | 404
/registrations/{registration}/take-place/                   | 405      | 404       | 405       | 404        | 405     | 404
/registrations/{registration}/workshops/                    | 404      | 404       | 404       | 404        | 404     | 404
/registrations/{registration}/meet/                         | 404      | 404       | 404       | 404        | 404     | 404
/registrations/{registration}/meet/confirm/                 | 405      | 404       | 405       | 404        | 405     | 404
/registrations/{registration}/meet/sharing/                 | 405      | 404       | 405       | 404        | 405     | 404
/registrations/{registration}/meet/1.vcf                    | 404      | 404       | 404       | 404        | 404     | 404
/organise/                                                  | login    | login     | 200       | 200        | 200     | 200
/organise/alliances/new/                                    | login    | login     | 200       | 400        | 200     | 400
/organise/jobs/{job}/                                       | login    | login     | 403       | 403        | 200     | 200
/organise/jobs/{job}/status.json                            | login    | login     | 403       | 403        | 200     | 200
/organise/jobs/{upload}/                                    | login    | login     | 404       | 404        | 404     | 404
/organise/alliances/{alliance}/events/new/                  | login    | login     | 403       | 403        | 200     | 400
/organise/alliances/no-such/events/new/                     | login    | login     | 404       | 404        | 404     | 404
/organise/events/{event}/                                   | login    | login     | 403       | 403        | 200     | 200
/organise/events/no-such-event/                             | login    | login     | 404       | 404        | 404     | 404
/organise/events/{event}/reschedule/                        | login    | login     | 405       | 403        | 405     | 400
/organise/events/{event}/qr.svg                             | login    | login     | 403       | 403        | 200     | 200
/organise/events/{event}/postcards/                         | login    | login     | 403       | 403        | 200     | 200
/organise/events/{event}/postcards.csv                      | login    | login     | 403       | 403        | 200     | 200
/organise/events/{event}/postcards/paper/                   | login    | login     | 403       | 403        | 200     | 400
/organise/events/{event}/postcards/import/                  | login    | login     | 403       | 403        | 200     | 400
/organise/events/{event}/workshops/                         | login    | login     | 403       | 403        | 200     | 200
/organise/events/{event}/workshops/add/                     | login    | login     | 405       | 403        | 405     | 400
/organise/events/{event}/workshops/slots/add/               | login    | login     | 405       | 403        | 405     | 400
/organise/events/{event}/workshops/sessions/add/            | login    | login     | 405       | 403        | 405     | 400
/organise/events/{event}/workshops/choosing/                | login    | login     | 405       | 403        | 405     | 302→/organise/events/{event}/workshops/
/organise/events/{event}/workshops/choices/                 | login    | login     | 403       | 403        | 200     | 400
/organise/events/{event}/workshops/allocate/                | login    | login     | 405       | 403        | 405     | 400
/organise/events/{event}/workshops/placements/              | login    | login     | 403       | 403        | 200     | 200
/organise/events/{event}/workshops/placements.csv           | login    | login     | 403       | 403        | 200     | 200
/organise/events/{event}/workshops/placements/{placement}/lock/ | login | login    | 405       | 403        | 405     | 302→/organise/events/{event}/workshops/placements/
/organise/events/{event}/workshops/publish/                 | login    | login     | 405       | 403        | 405     | 302→/organise/events/{event}/workshops/placements/
/organise/events/{event}/attendees/                         | login    | login     | 403       | 403        | 200     | 200
/organise/events/{event}/attendees/registered.csv           | login    | login     | 403       | 403        | 200     | 200
/organise/events/{event}/registration-settings/             | login    | login     | 405       | 403        | 405     | 302→/organise/events/{event}/attendees/
/organise/events/{event}/check-in/                          | login    | login     | 403       | 403        | 200     | 200
/organise/events/{event}/check-in/count/                    | login    | login     | 403       | 403        | 200     | 200
/organise/events/{event}/check-in/walk-in/                  | login    | login     | 403       | 403        | 200     | 400
/organise/events/{event}/check-in/{registration}/           | login    | login     | 403       | 403        | 200     | 302→/organise/events/{event}/check-in/?q=
/organise/events/{event}/check-in/{registration}/undo/      | login    | login     | 405       | 403        | 405     | 302→/organise/events/{event}/check-in/{registration}/
/organise/events/{event}/attendees/import/                  | login    | login     | 403       | 403        | 200     | 400
/organise/events/{event}/attendees/import/{upload}/columns/ | login    | login     | 403       | 403        | 404     | 404
/organise/events/{event}/attendees/import/{upload}/preview/ | login    | login     | 403       | 403        | 404     | 404
/organise/events/{event}/attendees/import/{upload}/confirm/ | login    | login     | 405       | 403        | 405     | 404
/organise/events/{event}/attendees/import/{upload}/discard/ | login    | login     | 405       | 403        | 405     | 302→/organise/events/{event}/attendees/import/
/organise/events/{event}/attendees/export/csv/              | login    | login     | 403       | 403        | 200     | 200
/organise/events/{event}/attendees/export/xlsx/             | login    | login     | 403       | 403        | 200     | 200
/organise/events/{event}/print/                             | login    | login     | 403       | 403        | 200     | 200
/organise/events/{event}/print/start/                       | login    | login     | 405       | 403        | 405     | 302→/organise/events/{event}/print/
/organise/events/{event}/print/files/{job}/                 | login    | login     | 403       | 403        | 404     | 404
/organise/events/{event}/print/badges.pdf                   | login    | login     | 403       | 403        | 302→/organise/events/{event}/print/ | 302→/organise/events/{event}/print/
/organise/events/{event}/print/badges.pdf?registration={registration} | login | login | 403   | 403        | 200     | 200
/organise/events/{event}/print/postcards.pdf                | login    | login     | 403       | 403        | 302→/organise/events/{event}/print/ | 302→/organise/events/{event}/print/
/organise/events/{event}/meet/                              | login    | login     | 403       | 403        | 200     | 200
/organise/events/{event}/meet/start/                        | login    | login     | 405       | 403        | 405     | 400
/organise/events/{event}/meet/rounds/1/                     | login    | login     | 403       | 403        | 404     | 404
/organise/events/{event}/meet/live/                         | login    | login     | 403       | 403        | 200     | 200
/organise/events/{event}/meet/live.json                     | login    | login     | 403       | 403        | 200     | 200
/organise/alliances/{alliance}/network/                     | login    | login     | 403       | 403        | 200     | 200
/organise/alliances/{alliance}/prompts/                     | login    | login     | 403       | 403        | 200     | 400
/postcards/{postcard}/how-it-comes-back/                    | 404      | 404       | 404       | 404        | 404     | 404
/organise/alliances/{alliance}/notify/                      | login    | login     | 403       | 403        | 200     | 400
/organise/alliances/{alliance}/notify/test/                 | login    | login     | 405       | 403        | 405     | 302→/organise/alliances/{alliance}/notify/
/organise/alliances/{alliance}/notify/remove/               | login    | login     | 405       | 403        | 405     | 302→/organise/alliances/{alliance}/notify/
/organise/events/{event}/reminders/{upload}/fallback/       | login    | login     | 405       | 403        | 405     | 404
/organise/events/{event}/postcards/{postcard}/letter.pdf    | login    | login     | 403       | 403        | 200     | 200
/organise/alliances/{alliance}/insights/                    | login    | login     | 403       | 405        | 200     | 405
/organise/alliances/{alliance}/insights/?year=1999          | login    | login     | 403       | 405        | 400     | 405
/organise/alliances/{alliance}/insights.csv                 | login    | login     | 403       | 405        | 200     | 405
/organise/alliances/{alliance}/insights.xlsx                | login    | login     | 403       | 405        | 200     | 405
/organise/alliances/{alliance}/insights/theme-words/        | login    | login     | 403       | 403        | 200     | 302→/organise/alliances/{alliance}/insights/theme-words/
/organise/alliances/{alliance}/insights/impact-page/        | login    | login     | 403       | 403        | 200     | 400
/organise/events/{event}/insights/                          | login    | login     | 403       | 405        | 200     | 405
/organise/events/{event}/insights.csv                       | login    | login     | 403       | 405        | 200     | 405
/organise/events/{event}/insights.xlsx                      | login    | login     | 403       | 405        | 200     | 405
/impact/{alliance}/                                         | 404      | 405       | 404       | 405        | 404     | 405
/impact/no-such/                                            | 404      | 405       | 404       | 405        | 404     | 405
/notify/callback/{alliance}/                                | 405      | 401       | 405       | 401        | 405     | 401
/organise/people/                                           | login    | login     | 200       | 400        | 200     | 400
/organise/people/export/                                    | login    | login     | 405       | 400        | 405     | 400
/organise/people/erase/                                     | login    | login     | 405       | 400        | 405     | 400
/organise/alliances/{alliance}/audit/                       | login    | login     | 403       | 405        | 200     | 405
/organise/alliances/{alliance}/audit.csv                    | login    | login     | 403       | 405        | 200     | 405
/go/{code}                                                  | 302→https://www.example.org/page | 405 | 302→https://www.example.org/page | 405 | 302→https://www.example.org/page | 405
/go/no-such-code                                            | 404      | 405       | 404       | 405        | 404     | 405
/resources/{resource}/call-to-action.pdf                    | 200      | 405       | 200       | 405        | 200     | 405
/organise/alliances/{alliance}/resources/                   | login    | login     | 403       | 405        | 200     | 405
/organise/alliances/{alliance}/resources/new/               | login    | login     | 403       | 403        | 200     | 400
/organise/alliances/{alliance}/resources/{resource}/        | login    | login     | 403       | 403        | 200     | 400
/organise/alliances/{alliance}/resources/{resource}/archive/ | login   | login     | 405       | 403        | 405     | 302→/organise/alliances/{alliance}/resources/
/organise/alliances/{alliance}/links/                       | login    | login     | 405       | 403        | 405     | 400
/organise/alliances/{alliance}/links/{code}/                | login    | login     | 403       | 405        | 200     | 405
/organise/alliances/{alliance}/links/{code}/qr.svg          | login    | login     | 403       | 405        | 200     | 405
/stories/{alliance}/                                        | 200      | 405       | 200       | 405        | 200     | 405
/stories/{alliance}/feed/                                   | 200      | 405       | 200       | 405        | 200     | 405
/stories/{alliance}/new/                                    | 200      | 400       | 200       | 400        | 200     | 400
/stories/{alliance}/{published_story}/                      | 200      | 405       | 200       | 405        | 200     | 405
/stories/{alliance}/{story}/                                | 404      | 405       | 404       | 405        | 404     | 405
/stories/{alliance}/{published_story}/picture               | 200      | 405       | 200       | 405        | 200     | 405
/stories/{alliance}/{story}/picture                         | 404      | 405       | 404       | 405        | 200     | 405
/s/{story_token}/                                           | 302→/my-story/{story}/ | 302→/my-story/{story}/ | 302→/my-story/{story}/ | 302→/my-story/{story}/ | 302→/my-story/{story}/ | 302→/my-story/{story}/
/s/{wrong_token}/                                           | 404      | 404       | 404       | 404        | 404     | 404
/my-story/{story}/                                          | 404      | 404       | 404       | 404        | 404     | 404
/organise/alliances/{alliance}/stories/                     | login    | login     | 403       | 405        | 200     | 405
/organise/alliances/{alliance}/stories/{story}/             | login    | login     | 403       | 405        | 200     | 405
/organise/alliances/{alliance}/stories/{story}/publish/     | login    | login     | 405       | 403        | 405     | 302→/organise/alliances/{alliance}/stories/
/organise/alliances/{alliance}/stories/{story}/return/      | login    | login     | 405       | 403        | 405     | 400
/organise/alliances/{alliance}/stories/{story}/reject/      | login    | login     | 405       | 403        | 405     | 302→/organise/alliances/{alliance}/stories/
/e/{event}/wall/{postcard_pk}/report/                       | 405      | 302→/e/{event}/wall/ | 405 | 302→/e/{event}/wall/ | 405 | 302→/e/{event}/wall/
/organise/events/{event}/wall/                              | login    | login     | 403       | 403        | 200     | 400
/organise/events/{event}/wall/settings/                     | login    | login     | 405       | 403        | 405     | 400
/accounts/login/                                            | 200      | 200       | 302→/organise/ | 302→/organise/ | 302→/organise/ | 302→/organise/
/accounts/signup/                                           | 200      | 200       | 302→/organise/ | 302→/organise/ | 302→/organise/ | 302→/organise/
/accounts/logout/                                           | 302→/    | 302→/     | 200       | 302→/      | 200     | 302→/
/accounts/password/reset/                                   | 200      | 200       | 200       | 200        | 200     | 200
/accounts/password/change/                                  | 302→/accounts/login/ | 302→/accounts/login/ | 200 | 200 | 200 | 200
/accounts/2fa/                                              | 302→/accounts/login/ | 302→/accounts/login/ | 200 | 405 | 200 | 405
/admin/                                                     | 302→/admin/login/ | 302→/admin/login/ | 302→/admin/login/ | 302→/admin/login/ | 302→/admin/login/ | 302→/admin/login/
/admin/pledges/postcard/                                    | 302→/admin/login/ | 302→/admin/login/ | 302→/admin/login/ | 302→/admin/login/ | 302→/admin/login/ | 302→/admin/login/
"""

ROLES = ["anon", "other", "own"]
METHODS = ["GET", "POST"]


def _matrix_rows():
    lines = [line for line in MATRIX.strip().splitlines()[1:] if line.strip()]
    rows = []
    for line in lines:
        url, *cells = [c.strip() for c in line.split("|")]
        assert len(cells) == 6, line
        rows.append((url, dict(zip([(r, m) for r in ROLES for m in METHODS], cells, strict=True))))
    return rows


ROWS = _matrix_rows()


@pytest.fixture(autouse=True)
def _fast_and_fresh(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(event, organiser):
    """This alliance's event with a postcard, a registration and a workshop place; another alliance."""
    other_alliance = Alliance.objects.create(
        name="Other", slug="other-alliance", contact_email="o@example.org"
    )
    other = make_organiser(other_alliance, email="other@example.org")
    assert Client().post(f"/e/{event.slug}/", postcard_data()).status_code == 302
    postcard = Postcard.objects.get()
    registration = Registration.objects.create(
        event=event,
        name="Ravi",
        email="ravi@example.org",
        organisation="Org",
        sector=Sector.objects.get(name="NHS"),
    )
    slot = Slot.objects.create(event=event, starts_at=dt.time(13, 30), ends_at=dt.time(14, 30))
    workshop = Workshop.objects.create(event=event, title="Housing")
    session = Session.objects.create(workshop=workshop, slot=slot, capacity=10)
    placement = Placement.objects.create(registration=registration, session=session)
    job = Job.objects.create(kind="pledges.postcards_import", alliance=event.alliance, started_by=organiser)
    names = {
        "job": job.pk,
        "event": event.slug,
        "alliance": event.alliance.slug,
        "postcard": postcard.public_id,
        "token": postcard.token,
        "registration": registration.public_id,
        "rtoken": registration.token,
        "placement": placement.pk,
        "wrong_token": secrets.token_urlsafe(32),
        "upload": uuid.uuid4(),
        "postcard_pk": postcard.pk,
        **_resources_and_stories(event),
    }
    return {
        "names": names,
        "own": organiser,
        "other": other,
        "postcard": postcard,
        "registration": registration,
    }


def _resources_and_stories(event) -> dict:
    """A resource with a PDF, a short link to a page, a story waiting and a published story with a picture."""
    from pledgecard.resources import services as resources
    from pledgecard.stories.models import Story

    from .makers import make_resource, make_story

    resource = make_resource(event.alliance)
    link = resources.link_create(alliance=event.alliance, url="https://www.example.org/page", code="page")
    story = make_story(event.alliance, image=True)
    published = make_story(event.alliance, title="Published", status=Story.Status.PUBLISHED, image=True)
    return {"resource": resource.public_id, "code": link.code, "story": story.public_id, "story_token": story.token,
            "published_story": published.public_id}


def _client(world, role) -> Client:
    client = Client()
    if role != "anon":
        client.force_login(world[role])
    return client


def _outcome(response) -> str:
    if response.status_code in (301, 302):
        return f"{response.status_code}→{response['Location']}"
    return str(response.status_code)


def _matches(expected: str, actual: str) -> bool:
    if expected == "login":
        expected = LOGIN
    if "→" in expected:
        return actual.startswith(expected)
    return actual == expected


@pytest.mark.parametrize("url, expected", ROWS, ids=[url for url, _ in ROWS])
def test_url_role_method_matrix(world, url, expected):
    concrete = url.format(**world["names"])
    wrong = []
    for role in ROLES:  # GET before POST, so a POST that acts comes last
        client = _client(world, role)
        for method in METHODS:
            response = client.get(concrete) if method == "GET" else client.post(concrete, {})
            want = expected[(role, method)].format(**world["names"])
            actual = _outcome(response)
            if not _matches(want, actual):
                wrong.append(f"{role} {method}: expected {want}, got {actual}")
    assert not wrong, f"{url}: " + "; ".join(wrong)


def _our_url_names():
    """Names of every route in urls.py outside allauth and the admin (whose own tests cover them)."""
    names = set()

    def walk(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.app_name in ("account", "mfa", "admin") or "allauth" in str(p.urlconf_name):
                    continue
                walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern):
                names.add(f"{namespace}:{p.name}" if namespace else p.name)

    walk(get_resolver().url_patterns)
    return names


def test_matrix_covers_every_url(world):
    covered = set()
    for url, _ in ROWS:
        match = resolve(url.format(**world["names"]).split("?")[0])
        covered.add(match.view_name)
    missing = _our_url_names() - covered
    assert not missing, f"add these to the matrix in test_security.py: {sorted(missing)}"


def test_a_member_without_the_organiser_role_is_refused(world, event):
    facilitator = make_organiser(event.alliance, email="facilitator@example.org", role=Role.FACILITATOR)
    client = Client()
    client.force_login(facilitator)
    for url in [
        f"/organise/events/{event.slug}/",
        f"/organise/events/{event.slug}/postcards.csv",
        f"/organise/alliances/{event.alliance.slug}/events/new/",
    ]:
        assert client.get(url).status_code == 403, url


def test_check_in_shows_no_one_from_another_alliance(world, event):
    """An organiser checking people in at their own event cannot look up another alliance's registrations."""
    other_event = event.__class__.objects.create(
        alliance=world["other"].memberships.get().alliance, slug="other-event", title="Other", date=event.date
    )
    registration = world["registration"]
    client = _client(world, "other")
    for url in [
        f"/organise/events/{other_event.slug}/check-in/{registration.public_id}/",
        f"/organise/events/{other_event.slug}/check-in/{registration.public_id}/?scanned_at={event.slug}",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert registration.name not in response.content.decode()
    response = client.post(f"/organise/events/{other_event.slug}/check-in/{registration.public_id}/")
    assert response.status_code == 404
    registration.refresh_from_db()
    assert registration.checked_in_at is None
    # Nor can they read another alliance's event through `scanned_at`.
    Registration.objects.create(
        event=other_event,
        name="Theirs",
        email="t@example.org",
        organisation="O",
        sector=Sector.objects.get(name="NHS"),
    )
    theirs = Registration.objects.get(name="Theirs")
    response = client.get(
        f"/organise/events/{other_event.slug}/check-in/{theirs.public_id}/?scanned_at={event.slug}"
    )
    assert response.status_code == 403


def test_other_organisers_pages_do_not_show_this_alliance(world, event):
    client = _client(world, "other")
    home = client.get("/organise/").content.decode()
    assert event.title not in home and event.alliance.name not in home
    csv = client.get(f"/organise/events/{event.slug}/postcards.csv")
    assert csv.status_code == 403 and b"amina@example.org" not in csv.content


# ------------------------------------------------------------------------------------------ private pages


def test_postcard_pages_open_only_after_the_private_link(world):
    postcard = world["postcard"]
    base = f"/postcards/{postcard.public_id}"
    browser = Client()
    for url in [f"{base}/", f"{base}/refresh/", f"{base}/stop/"]:
        assert browser.get(url).status_code == 404
    assert browser.post(f"{base}/stop/").status_code == 404
    assert browser.post(f"{base}/how-did-it-go/", {"outcome": "done"}).status_code == 404
    postcard.refresh_from_db()
    assert postcard.wants_reminder and postcard.reminder_withdrawn_at is None
    assert not FollowUp.objects.exists()

    opened = browser.get(f"/p/{postcard.token}/")
    assert opened.status_code == 302 and opened["Location"] == f"{base}/"
    for url in [f"{base}/", f"{base}/refresh/", f"{base}/stop/"]:
        assert browser.get(url).status_code == 200, url
    # Another browser, and the organiser of the event, still cannot.
    assert Client().get(f"{base}/").status_code == 404
    assert _client(world, "own").get(f"{base}/").status_code == 404


def test_one_postcards_link_does_not_open_another(world, event):
    first = world["postcard"]
    Client().post(f"/e/{event.slug}/", postcard_data(name="Second writer", email="second@example.org"))
    second = Postcard.objects.exclude(pk=first.pk).get()
    browser = Client()
    browser.get(f"/p/{first.token}/")
    assert browser.get(f"/postcards/{first.public_id}/").status_code == 200
    assert browser.get(f"/postcards/{second.public_id}/").status_code == 404


def test_registration_pages_open_only_after_their_link(world):
    registration = world["registration"]
    browser = Client()
    assert browser.get(f"/registrations/{registration.public_id}/").status_code == 404
    assert (
        browser.get(f"/r/{world['postcard'].token}/").status_code == 404
    )  # a postcard's token opens no registration
    assert browser.get(f"/p/{registration.token}/").status_code == 404  # and the other way round
    assert browser.get(f"/r/{registration.token}/").status_code == 302
    assert browser.get(f"/registrations/{registration.public_id}/").status_code == 200


def test_revoked_link_stops_working(world):
    postcard = world["postcard"]
    old = postcard.token
    postcard.set_new_link()
    postcard.save()
    assert Client().get(f"/p/{old}/").status_code == 404
    assert Client().get(f"/p/{postcard.token}/").status_code == 302


# -------------------------------------------------------------------------------- guessing private links


@pytest.mark.parametrize("prefix, scope", [("/p/", "postcard-link"), ("/r/", "registration-link")])
def test_guessing_links_finds_nothing_then_is_refused(world, prefix, scope):
    valid = world["postcard"].token if prefix == "/p/" else world["registration"].token
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    before = _snapshot(include_sessions=True)
    guesses = [secrets.token_urlsafe(32) for _ in range(ratelimit.MAX_FAILURES - 3)] + [
        "short",
        "x" * 43,
        "%00" * 3,
    ]
    hits = [g for g in guesses if attacker.get(f"{prefix}{g}/").status_code != 404]
    assert hits == []
    # The limit is reached: every further wrong try is refused...
    refused = attacker.get(f"{prefix}{secrets.token_urlsafe(32)}/")
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()
    # ...and nothing was written but the count of failures (no session, no other row).
    after = _snapshot(include_sessions=True)
    counters = after.pop("core.RateCounter")
    before.pop("core.RateCounter")
    assert after == before and len(counters) == 1 and "203.0.113.9" not in counters[0]
    # A right link still opens, from the same address (a colleague behind the same NHS proxy) and any other.
    assert attacker.get(f"{prefix}{valid}/").status_code == 302
    assert Client(REMOTE_ADDR="198.51.100.7").get(f"{prefix}{valid}/").status_code == 302
    # The count is shared by every process through the database, not held in this one's memory.
    cache.clear()
    assert ratelimit.failures(scope, attacker.get("/").wsgi_request) > ratelimit.MAX_FAILURES


def test_token_never_reaches_a_referer(world):
    """The link answers with a redirect to a token-free address; pages say Referrer-Policy: same-origin."""
    postcard = world["postcard"]
    token = postcard.token
    browser = Client()
    for query in ["", "?next=stop"]:
        opened = browser.get(f"/p/{token}/{query}")
        assert opened.status_code == 302
        assert token not in opened["Location"]
        assert opened["Referrer-Policy"] == "same-origin"
        page = browser.get(opened["Location"])
        assert page.status_code == 200
        assert page["Referrer-Policy"] == "same-origin"
        html = page.content.decode()
        assert token not in html
        # Nothing on the page is loaded from, or links to, another site that could receive a Referer.
        assert not re.search(r'(?:src|href|action)="(?:https?:)?//', html), re.findall(
            r'(?:src|href)="[^"]*"', html
        )


def test_next_parameter_is_not_an_open_redirect(world):
    token = world["postcard"].token
    for target in ["https://evil.example/", "//evil.example/", "/\\evil.example", "stop@evil.example"]:
        response = Client().get(f"/p/{token}/", {"next": target})
        assert response.status_code == 302
        assert response["Location"].startswith("/postcards/"), response["Location"]


def test_login_next_is_not_an_open_redirect(world):
    response = Client().post(
        "/accounts/login/?next=https://evil.example/",
        {"login": "organiser@example.org", "password": "a-long-test-password"},
    )
    assert response.status_code == 302
    assert not response["Location"].startswith(("http", "//")), response["Location"]


# ------------------------------------------------------------------------------------- what is stored


def _snapshot(include_sessions=False) -> dict:
    """Every row of every table, as values."""
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.managed or model._meta.proxy:
            continue
        if model is DjangoSession and not include_sessions:
            continue
        rows[model._meta.label] = sorted(map(repr, model._default_manager.values_list()))
    return rows


def test_tokens_are_stored_hashed(world, mailoutbox):
    """No table holds a raw token: not the postcard, not the outbox, not a session, not the task queue."""
    from pledgecard.delivery.sending import deliver_due

    postcard, registration = world["postcard"], world["registration"]
    browser = Client()
    browser.get(f"/p/{postcard.token}/")
    browser.get(f"/r/{registration.token}/")
    deliver_due()  # the confirmation email, with the link in it, is written and sent
    assert any(postcard.token in m.body for m in mailoutbox)  # the email has it; the database must not
    assert postcard.token_hash == hashlib.sha256(postcard.token.encode()).hexdigest()
    dump = repr(_snapshot(include_sessions=True))
    dump += "".join(repr(s.get_decoded()) for s in DjangoSession.objects.all())
    for token in (postcard.token, registration.token):
        assert token not in dump
        assert token[:20] not in dump


def test_opening_a_link_changes_nothing(world):
    """Mail scanners open every link in an email: GET and HEAD must not act (sessions aside)."""
    postcard, registration = world["postcard"], world["registration"]
    before = _snapshot()
    scanner = Client()
    for url in [f"/p/{postcard.token}/", f"/p/{postcard.token}/?next=stop", f"/r/{registration.token}/"]:
        assert scanner.get(url).status_code == 302
        assert scanner.head(url).status_code == 302
        assert scanner.get(url, follow=True).status_code == 200  # and the page it leads to
    assert scanner.get(f"/postcards/{postcard.public_id}/stop/").status_code == 200
    assert scanner.get(f"/postcards/{postcard.public_id}/refresh/").status_code == 200
    assert scanner.get(f"/registrations/{registration.public_id}/workshops/").status_code == 200
    assert _snapshot() == before
    postcard.refresh_from_db()
    assert postcard.wants_reminder and postcard.reminder_withdrawn_at is None


def test_signup_is_closed(world):
    users = get_user_model().objects.count()
    Client().post(
        "/accounts/signup/",
        {"email": "new@example.org", "password1": "a-long-pass-1234", "password2": "a-long-pass-1234"},
    )
    assert get_user_model().objects.count() == users


def test_wall_shows_only_shared_words_without_names(world, event):
    Client().post(
        f"/e/{event.slug}/",
        postcard_data(name="Private Person", email="private@example.org", commitment="Secret plan", share=""),
    )
    Postcard.objects.update(wall_status="published")  # an organiser approved everything, shared or not
    html = Client().get(f"/e/{event.slug}/wall/").content.decode()
    assert "Ask one community group" in html  # shared
    assert "Secret plan" not in html  # not shared
    for private in [
        "Amina",
        "amina@example.org",
        "Private Person",
        "private@example.org",
        "Bradford Council",
    ]:
        assert private not in html


# ---------------------------------------------------------------------------------------- headers


def _header_pages(world):
    names = world["names"]
    own, anon = _client(world, "own"), Client()
    ratelimited = Client(REMOTE_ADDR="192.0.2.55")
    for _ in range(ratelimit.MAX_FAILURES):  # the next wrong link is the one refused
        ratelimited.get(f"/p/{secrets.token_urlsafe(32)}/")
    return {
        "start page": anon.get("/"),
        "postcard form": anon.get(f"/e/{names['event']}/"),
        "form with errors": anon.post(f"/e/{names['event']}/", {}),
        "private link": anon.get(f"/p/{names['token']}/"),
        "not found": anon.get("/no-such-page/"),
        "too many": ratelimited.get(f"/p/{secrets.token_urlsafe(32)}/"),
        "login": anon.get("/accounts/login/"),
        "organiser page": own.get(f"/organise/events/{names['event']}/"),
        "forbidden": _client(world, "other").get(f"/organise/events/{names['event']}/"),
        "csv": own.get(f"/organise/events/{names['event']}/postcards.csv"),
        "qr": own.get(f"/organise/events/{names['event']}/qr.svg"),
        "admin": anon.get("/admin/login/"),
    }


def test_security_headers_on_every_kind_of_page(world):
    for name, response in _header_pages(world).items():
        csp = response.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp, name
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "base-uri 'self'" in csp, (
            name
        )
        assert "form-action 'self'" in csp, name
        script_src = re.search(r"script-src ([^;]*)", csp).group(1)
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, name
        assert response.get("X-Frame-Options") == "DENY", name
        assert response.get("X-Content-Type-Options") == "nosniff", name
        assert response.get("Referrer-Policy") == "same-origin", name
        assert response.get("Cross-Origin-Opener-Policy") == "same-origin", name


def test_csp_nonce_is_fresh_and_used_by_the_only_inline_script(world):
    first, second = Client().get("/"), Client().get("/")
    nonces = [re.search(r"'nonce-([^']+)'", r["Content-Security-Policy"]).group(1) for r in (first, second)]
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 16
    html = first.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all(f'nonce="{nonces[0]}"' in tag or "src=" in tag for tag in scripts), scripts


def test_session_and_csrf_cookies(world, event, organiser):
    client = Client()
    client.post(f"/e/{event.slug}/", postcard_data(name="Cookie Person"))
    # What lets this browser open its postcard is a signed cookie of its own (core/access.py), not a session.
    grant = client.cookies[access.COOKIE]
    assert grant["httponly"] and grant["samesite"] == "Lax"
    assert grant["max-age"] == django_settings.SESSION_COOKIE_AGE
    assert django_settings.SESSION_COOKIE_NAME not in client.cookies and not DjangoSession.objects.exists()
    signed_in = Client()
    signed_in.post("/accounts/login/", {"login": organiser.email, "password": "a-long-test-password"})
    session = signed_in.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax"


def test_the_access_cookie_opens_only_what_it_was_given(world, event):
    writer = Client()
    writer.post(f"/e/{event.slug}/", postcard_data(name="Grant Person"))
    postcard = Postcard.objects.get(name="Grant Person")
    page = f"/postcards/{postcard.public_id}/"
    assert writer.get(page).status_code == 200
    value = writer.cookies[access.COOKIE].value

    def opens(cookie):
        visitor = Client()
        visitor.cookies[access.COOKIE] = cookie
        return visitor.get(page).status_code == 200

    assert opens(value)  # the cookie is the whole grant: it works from another browser, like a session's
    # Made or changed without the server's key: nothing opens.
    assert not opens(signing.dumps({"postcard": [str(postcard.public_id)]}, key="not the key", salt=access.SALT))
    assert not opens(value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    # A grant for another kind of row with the same id, or a signature for another purpose, opens nothing.
    assert not opens(signing.dumps({"registration": [str(postcard.public_id)]}, salt=access.SALT))
    assert not opens(signing.dumps({"postcard": [str(postcard.public_id)]}, salt="another.purpose"))
    assert not opens(signing.dumps(["postcard", str(postcard.public_id)], salt=access.SALT))
    # It expires as a session would.
    with mock.patch("django.core.signing.time.time", return_value=time.time() + django_settings.SESSION_COOKIE_AGE + 5):
        assert not opens(value)


def test_the_access_cookie_keeps_the_newest_grants_and_old_session_grants_still_open(world, event):
    client = Client()
    for i in range(access.MAX_PER_KIND + 2):
        client.post(f"/e/{event.slug}/", postcard_data(name=f"Many {i}", commitment=f"Pledge number {i}"))
    written = list(Postcard.objects.filter(name__startswith="Many ").order_by("pk"))
    kept = signing.loads(client.cookies[access.COOKIE].value, salt=access.SALT)["postcard"]
    assert kept == [str(p.public_id) for p in written[-access.MAX_PER_KIND:]]
    assert client.get(f"/postcards/{written[-1].public_id}/").status_code == 200
    assert client.get(f"/postcards/{written[0].public_id}/").status_code == 404  # its email link opens it again
    # A grant given before the cookie existed, in the browser's session, still counts.
    earlier = Client()
    session = earlier.session
    session["may_open_postcard"] = [str(written[0].public_id)]
    session.save()
    earlier.cookies[django_settings.SESSION_COOKIE_NAME] = session.session_key
    assert earlier.get(f"/postcards/{written[0].public_id}/").status_code == 200


# ---------------------------------------------------------------------------------- production settings


def _production_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLEDGECARD_", "DJANGO_"))}
    env.update(
        PLEDGECARD_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="pledgecard.example.org",
        SITE_URL="https://pledgecard.example.org",
        PLEDGECARD_ENCRYPTION_KEY="x5IYF0yaD6cBQfVyHd3Xhlv8kq3Qe6fLjUlJ0wH1ZtY=",  # a Fernet key, for tests only
        PLEDGECARD_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="pledgecard.settings",
    )
    env.update(extra)
    return env


def _check_deploy(env):
    return subprocess.run(
        [sys.executable, "-m", "pledgecard", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = _check_deploy(_production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr.upper().replace("DJANGO_TASKS", "")


def test_check_deploy_does_notice_a_weak_secret(tmp_path):
    """The clean result above means something: a weak key is reported under the same settings."""
    result = _check_deploy(_production_env(tmp_path, SECRET_KEY="short"))  # noqa: S106
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret(tmp_path):
    env = _production_env(tmp_path)
    del env["SECRET_KEY"]
    result = _check_deploy(env)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


# Transactional: allauth announces a new authenticator when its transaction commits, as in production.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_organiser_without_authenticator_is_sent_to_set_up_two_factor(settings, world, event):
    from allauth.mfa.models import Authenticator

    settings.PLEDGECARD_REQUIRE_MFA = True
    own = _client(world, "own")
    activate = reverse("mfa_activate_totp")
    for url in [
        "/organise/",
        f"/organise/events/{event.slug}/",
        f"/organise/events/{event.slug}/postcards.csv",
    ]:
        response = own.get(url)
        assert response.status_code == 302 and response["Location"] == f"{activate}?next={url}", url
    response = own.post(f"/organise/events/{event.slug}/postcards/paper/", postcard_data(name="Not saved"))
    assert response.status_code == 302 and response["Location"].startswith(activate)
    assert not Postcard.objects.filter(name="Not saved").exists()
    # The set-up page itself is reachable (no loop), and attendees' pages are not affected.
    setup = own.get(activate)
    assert setup.status_code in (200, 302) and not setup.get("Location", "").startswith("/organise/")
    assert own.get(f"/e/{event.slug}/").status_code == 200
    # Once the authenticator app is set up (which proves a code in this session), the organiser's pages open.
    from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value

    own = Client()  # signed in through the sign-in page (setting up an app asks for a recent sign-in)
    assert own.post("/accounts/login/", {"login": "organiser@example.org",
                                         "password": "a-long-test-password"}).status_code == 302
    # allauth asks for the password again before a new authenticator is added.
    assert own.post("/accounts/reauthenticate/", {"password": "a-long-test-password"}).status_code == 302
    assert own.get(activate).status_code == 200
    secret = own.session[SECRET_SESSION_KEY]
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    assert own.post(activate, {"code": code}).status_code == 302
    assert Authenticator.objects.filter(user=world["own"], type=Authenticator.Type.TOTP).exists()
    assert own.get("/organise/").status_code == 200
    # Another session of the same account must give the code itself.
    other_session = Client()
    other_session.force_login(world["own"])
    assert other_session.get("/organise/")["Location"].startswith(reverse("mfa_reauthenticate"))


def test_staff_without_authenticator_cannot_use_the_admin_under_mfa(settings, world):
    settings.PLEDGECARD_REQUIRE_MFA = True
    staff = get_user_model().objects.create_user(
        "admin@example.org", "admin@example.org", "a-long-admin-password", is_staff=True, is_superuser=True
    )
    client = Client()
    client.force_login(staff)
    response = client.get("/admin/pledges/postcard/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_activate_totp"))
