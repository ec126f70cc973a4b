import datetime as dt
import os

import pytest
from django.contrib.auth import get_user_model

from pledgecard.core.models import Alliance, Membership, Role, Sector
from pledgecard.events.models import Event
from pledgecard.pledges.models import Theme

from .browser import visit  # noqa: F401 - the browser fixture, for every test module
from .smtp_server import SMTPTestServer

# Tests never talk to the real GOV.UK Notify: anything that forgets to point at the stand-in (tests/notify_standin.py)
# reaches a closed port on loopback instead, in this process and in the worker processes tests start.
NO_NOTIFY = "http://127.0.0.1:9"
os.environ["NOTIFY_BASE_URL"] = NO_NOTIFY


@pytest.fixture(scope="session", autouse=True)
def _static_files_collected():
    """Pages name static files by their content's hash, as in production: collectstatic makes those names."""
    from pledgecard.core.staticfiles import collect_if_stale

    collect_if_stale()


@pytest.fixture(scope="session")
def live_server(request, _static_files_collected):
    """pytest-django's live server, but static files go through the whole application, so whitenoise serves
    them as in production (hashed names, compressed, cache headers) instead of Django's finders, which do not
    know the hashed names."""
    from pytest_django.live_server_helper import LiveServer

    addr = (request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
            or "localhost")
    server = LiveServer(addr, start=False)
    server.thread.static_handler = lambda application: application
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _shared_pages_checked_every_time(settings):
    """Every request checks a shared page against the database (tests/test_page_cache.py tests the window)."""
    settings.PLEDGECARD_PAGE_RECHECK_SECONDS = 0


@pytest.fixture(autouse=True)
def _no_real_notify(settings):
    settings.NOTIFY_BASE_URL = NO_NOTIFY


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path_factory):
    """Uploaded files of a test go to a folder of their own, never to var/media."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1; Django's SMTP backend sends to it."""
    server = SMTPTestServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()


@pytest.fixture
def alliance(db):
    return Alliance.objects.create(name="Test Alliance", slug="test-alliance", contact_email="alliance@example.org")


@pytest.fixture
def event(alliance):
    return Event.objects.create(
        alliance=alliance, slug="test-event", title="Test event", date=dt.date(2030, 3, 5), venue="Town hall"
    )


@pytest.fixture
def nhs(db):
    return Sector.objects.get(name="NHS")


@pytest.fixture
def maternity(db):
    return Theme.objects.get(name="Maternity")


def make_organiser(alliance, email="organiser@example.org", role=Role.ORGANISER):
    user = get_user_model().objects.create_user(username=email, email=email, password="a-long-test-password")
    Membership.objects.create(user=user, alliance=alliance, role=role)
    return user


@pytest.fixture
def organiser(alliance):
    return make_organiser(alliance)


@pytest.fixture
def organiser_client(client, organiser):
    client.force_login(organiser)
    return client


def postcard_data(**overrides):
    data = {
        "name": "Amina Hussain",
        "email": "amina@example.org",
        "organisation": "Bradford Council",
        "sector": str(Sector.objects.get(name="Local authority").pk),
        "learnt": "Life expectancy differs by years between wards.",
        "commitment": "Ask one community group to shape our next service change.",
        "theme": str(Theme.objects.get(name="Maternity").pk),
        "reminder": "yes",
        "share": "on",
    }
    data.update(overrides)
    return data
