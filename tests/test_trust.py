"""Issue 9's holes, each as a class of defect: every test here failed on the code before the fix."""

import datetime as dt
import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from pledgecard.core.models import Sector
from pledgecard.delivery.models import Message
from pledgecard.delivery.services import deliver_due
from pledgecard.events.models import Registration
from pledgecard.pledges.models import Postcard

from .conftest import make_organiser, postcard_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_and_fresh(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


# --- /admin/ and two-factor -------------------------------------------------------------------------------------


def _totp_code(secret: str) -> str:
    import time

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def staff_with_totp(db):
    user = get_user_model().objects.create_user(
        "admin@example.org", "admin@example.org", "a-long-admin-password", is_staff=True, is_superuser=True
    )
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return user, secret


def test_admin_login_form_does_not_skip_the_second_factor(staff_with_totp):
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "admin@example.org", "password": "a-long-admin-password"}
    )
    # The admin's own form is not used: it sends people to the sign-in that asks for the code.
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/admin/pledges/postcard/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_session_without_the_second_factor_is_asked_for_it(staff_with_totp):
    user, secret = staff_with_totp
    client = Client()
    client.force_login(user)  # signed in by some other way than allauth's two steps (e.g. a password alone)
    for url in ["/admin/", "/organise/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_reauthenticate")), url
    # Giving the code in this session opens them.
    response = client.post(reverse("mfa_reauthenticate") + "?next=/admin/", {"code": _totp_code(secret)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get("/organise/").status_code == 200


def test_signing_in_with_both_steps_opens_the_admin(staff_with_totp):
    user, secret = staff_with_totp
    client = Client()
    response = client.post("/accounts/login/", {"login": "admin@example.org", "password": "a-long-admin-password"})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    assert client.get("/admin/").status_code == 302  # half signed in is not signed in
    response = client.post(reverse("mfa_authenticate"), {"code": _totp_code(secret)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


# --- Registering again with someone's address -------------------------------------------------------------------


def _form(**overrides):
    data = {"name": "Amina Hussain", "email": "amina@example.org", "organisation": "Bradford Council",
            "sector": str(Sector.objects.get(name="Local authority").pk), "role": "Public health officer",
            "access_needs": "Step-free access", "dietary": "Halal", "special_consent": "on"}
    data.update(overrides)
    return data


def test_a_cancelled_registration_is_never_handed_to_a_new_sign_up(client, event, smtp):
    from pledgecard.events import registrations

    assert client.post(f"/events/{event.slug}/", _form()).status_code == 302
    first = Registration.objects.get()
    old_token = first.token
    registrations.cancel(first)
    first.refresh_from_db()
    # Special-category data goes with the cancellation.
    assert (first.access_needs, first.dietary, first.special_consent_at) == ("", "", None)

    newcomer = Client()
    response = newcomer.post(f"/events/{event.slug}/", _form(name="Someone Else", email="AMINA@example.org",
                                                             access_needs="", dietary="", special_consent=""))
    assert response.status_code == 302
    new = Registration.objects.exclude(pk=first.pk).get()
    assert new.status == Registration.Status.CONFIRMED and new.name == "Someone Else"
    assert new.token != old_token and new.public_id != first.public_id
    first.refresh_from_db()
    assert first.status == Registration.Status.CANCELLED and first.name == "Amina Hussain"
    # The newcomer's browser opens nothing of the first registration.
    assert newcomer.get(f"/registrations/{first.public_id}/").status_code == 404
    assert Client().get(f"/r/{old_token}/").status_code == 302  # the old link still shows its cancelled owner
    deliver_due()
    assert f"/r/{new.token}/" in smtp.received[-1].message.get_body(("plain",)).get_content()


def _without_nonce(response) -> str:
    return re.sub(r'nonce="[^"]+"', "", response.content.decode())


def test_the_form_never_reveals_whether_an_address_is_registered(client, event, smtp):
    first = client.post(f"/events/{event.slug}/", _form())
    registration = Registration.objects.get()
    deliver_due()
    smtp.received.clear()

    stranger = Client()
    again = stranger.post(f"/events/{event.slug}/", _form(name="Not Amina", organisation="Elsewhere"))
    assert (again.status_code, again["Location"]) == (first.status_code, first["Location"])
    assert _without_nonce(stranger.get(again["Location"])) == _without_nonce(client.get(first["Location"]))
    # The stranger changed nothing and reached nothing; the owner got their own link again.
    registration.refresh_from_db()
    assert (registration.name, registration.organisation) == ("Amina Hussain", "Bradford Council")
    assert Registration.objects.count() == 1
    assert stranger.get(f"/registrations/{registration.public_id}/").status_code == 404
    deliver_due()
    [received] = smtp.received
    assert received.message["To"] == "amina@example.org"
    assert f"/r/{registration.token}/" in received.message.get_body(("plain",)).get_content()
    assert "Not Amina" not in received.message.as_string()
    # Sending the form again and again does not fill her inbox.
    for _ in range(3):
        stranger.post(f"/events/{event.slug}/", _form())
    assert Message.objects.filter(registration=registration, kind="registration_link_again").count() == 1


def test_a_companion_already_registered_gets_their_link_and_the_newcomer_is_registered(client, event, smtp):
    client.post(f"/events/{event.slug}/", _form(email="ben@example.org", name="Ben Carer"))
    response = Client().post(f"/events/{event.slug}/", _form(companion_name="Ben Carer",
                                                             companion_email="BEN@example.org"))
    assert response.status_code == 302
    assert set(Registration.objects.values_list("email", flat=True)) == {"ben@example.org", "amina@example.org"}
    ben = Registration.objects.get(email="ben@example.org")
    assert ben.messages.filter(kind="registration_link_again").count() == 1


# --- Knowing a postcard's words ---------------------------------------------------------------------------------


def test_sending_a_postcards_words_again_does_not_open_it(client, event, smtp):
    client.post(f"/e/{event.slug}/", postcard_data(phone="", address=""))
    postcard = Postcard.objects.get()
    deliver_due()
    smtp.received.clear()

    stranger = Client()
    response = stranger.post(f"/e/{event.slug}/", postcard_data())
    assert response.status_code == 200
    page = response.content.decode()
    assert "We already have this postcard" in page and postcard.learnt not in page
    for path in ["", "how-did-it-go/", "refresh/", "stop/", "how-it-comes-back/"]:
        assert stranger.get(f"/postcards/{postcard.public_id}/{path}").status_code in (404, 405), path
    assert Postcard.objects.count() == 1
    # Its writer is sent the link, once however often the words are sent.
    for _ in range(3):
        stranger.post(f"/e/{event.slug}/", postcard_data())
    deliver_due()
    [received] = smtp.received
    assert received.message["To"] == "amina@example.org"
    assert f"/p/{postcard.token}/" in received.message.get_body(("plain",)).get_content()
    # The writer's own browser (a double tap) still goes straight to it.
    assert client.post(f"/e/{event.slug}/", postcard_data())["Location"] == f"/postcards/{postcard.public_id}/"


# --- Rate limits behind a proxy ---------------------------------------------------------------------------------


def test_behind_a_trusted_proxy_each_client_has_its_own_count(settings, event):
    import secrets

    from pledgecard.core import ratelimit

    settings.PLEDGECARD_TRUSTED_PROXY_COUNT = 1
    client = Client()
    postcard_page = client.post(f"/e/{event.slug}/", postcard_data())
    assert postcard_page.status_code == 302
    token = Postcard.objects.get().token
    proxy = "10.0.0.1"  # every request arrives from the load balancer
    for _ in range(ratelimit.MAX_FAILURES):
        Client(REMOTE_ADDR=proxy).get(f"/p/{secrets.token_urlsafe(32)}/", HTTP_X_FORWARDED_FOR="203.0.113.9")
    guesser = Client(REMOTE_ADDR=proxy).get(f"/p/{secrets.token_urlsafe(32)}/", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert guesser.status_code == 429
    # Another client behind the same proxy is not counted with the guesser.
    colleague = Client(REMOTE_ADDR=proxy)
    assert colleague.get(f"/p/{secrets.token_urlsafe(32)}/", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 404
    # A client cannot dodge its count by writing its own X-Forwarded-For in front of the proxy's.
    dodge = Client(REMOTE_ADDR=proxy).get(f"/p/{secrets.token_urlsafe(32)}/",
                                          HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.9")
    assert dodge.status_code == 429
    assert colleague.get(f"/p/{token}/", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 302
