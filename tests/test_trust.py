"""Issue 9's holes, each as a class of defect: every test here failed on the code before the fix."""

import contextlib
import json
import datetime as dt
import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from pledgecard.core.models import Sector
from pledgecard.delivery.models import Message
from pledgecard.delivery.sending import deliver_due
from pledgecard.events.models import Registration
from pledgecard.pledges.models import Postcard

from .conftest import postcard_data
from .test_delivery_reliability import workers  # noqa: F401 - real worker processes, for the import test

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
    assert Message.objects.filter(subject=registration.subject, kind="registration_link_again").count() == 1


def test_a_companion_already_registered_gets_their_link_and_the_newcomer_is_registered(client, event, smtp):
    client.post(f"/events/{event.slug}/", _form(email="ben@example.org", name="Ben Carer"))
    response = Client().post(f"/events/{event.slug}/", _form(companion_name="Ben Carer",
                                                             companion_email="BEN@example.org"))
    assert response.status_code == 302
    assert set(Registration.objects.values_list("email", flat=True)) == {"ben@example.org", "amina@example.org"}
    ben = Registration.objects.get(email="ben@example.org")
    assert Message.objects.filter(subject=ben.subject, kind="registration_link_again").count() == 1


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


# --- Cells too big to show ---------------------------------------------------------------------------------------


def test_a_workbook_with_a_giant_cell_is_refused_before_any_page_shows_it(organiser_client, event):
    import io

    import openpyxl

    from pledgecard.events.models import ImportUpload

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["First Name", "Last Name", "Email", "Company"])
    sheet.append(["Amina", "Hussain", "amina@example.org", "x" * 30_000])  # compresses to almost nothing
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert len(buffer.getvalue()) < 20_000
    response = organiser_client.post(f"/organise/events/{event.slug}/attendees/import/",
                                     {"file": _named(buffer.getvalue(), "people.xlsx")})
    assert response.status_code == 400
    page = response.content.decode()
    assert "row 2, column D (30,000 characters)" in page and len(page) < 100_000
    assert not ImportUpload.objects.exists()


def test_a_postcard_file_with_a_giant_cell_is_refused(organiser_client, event):
    rows = "name,email,organisation,sector,learnt,commitment,reminder\n"
    rows += f"Amina,amina@example.org,Council,NHS,{'y' * 5000},Do it,yes\n"
    response = organiser_client.post(f"/organise/events/{event.slug}/postcards/import/",
                                     {"file": _named(rows.encode(), "postcards.csv")})
    assert response.status_code == 400
    assert "row 2, column E (5,000 characters)" in response.content.decode()
    assert not Postcard.objects.exists()


def _named(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


# --- Numbers and text that crashed pages ------------------------------------------------------------------------

# "²" and "٣" pass str.isdigit(); int() refuses the first and reads the second as 3.
STRANGE_NUMBERS = ["²", "٣", "1²", "১০", "１０", "1e3", "-1", "99999999999999999999999", " ", "\x00"]


@pytest.mark.parametrize("number", STRANGE_NUMBERS)
def test_strange_numbers_in_organiser_forms_are_refused_politely(organiser_client, event, number):
    event.capacity = 50
    event.save()
    response = organiser_client.post(f"/organise/events/{event.slug}/registration-settings/",
                                     {"capacity": number, "special_data_retention_days": "30"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.capacity == 50 or (number.strip() == "" and event.capacity is None)
    response = organiser_client.post(f"/organise/events/{event.slug}/registration-settings/",
                                     {"capacity": "50", "special_data_retention_days": number})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.special_data_retention_days == 30
    assert organiser_client.post(f"/organise/alliances/{event.alliance.slug}/prompts/",
                                 {"stop": number}).status_code in (302, 400)
    assert organiser_client.post(f"/organise/events/{event.slug}/meet/start/",
                                 {"size": "2", "among": "registered", "after_round": number}).status_code in (302, 400)
    assert organiser_client.post(f"/organise/events/{event.slug}/print/start/",
                                 {"what": "blank_postcards", "sheets": number}).status_code in (302, 400)


@pytest.mark.parametrize("path", [
    "/organise/events/{event}/check-in/?q=Am%00ina",
    "/organise/events/{event}/check-in/?q=%00",
    "/organise/events/{event}/check-in/?scanned_at=a%00b",
    "/organise/events/{event}/attendees/?table=registered%00",
    "/organise/events/{event}/print/badges.pdf?registration=%00",
    "/e/{event}/?x%00=1",
    "/p/abc/?next=stop%00",
])
def test_nul_in_a_web_address_is_a_clear_400(organiser_client, event, path):
    response = organiser_client.get(path.format(event=event.slug))
    assert response.status_code == 400
    assert "Something was wrong with that request" in response.content.decode()


def test_nul_in_a_notify_receipt_changes_nothing_and_is_no_error(event):
    from pledgecard.delivery import notify
    from pledgecard.delivery.models import NotifySettings

    settings_row = NotifySettings.objects.create(alliance=event.alliance, api_key="k" * 74, callback_token="t" * 40)
    response = Client().post(f"/notify/callback/{event.alliance.slug}/",
                             data='{"id": "a\\u0000b", "reference": "r\\u0000", "status": "delivered"}',
                             content_type="application/json", HTTP_AUTHORIZATION="Bearer " + "t" * 40)
    assert response.status_code == 204
    assert notify.callback_record(settings_row, {"id": "\x00", "status": "delivered"}) == 0


# --- Line injection ----------------------------------------------------------------------------------------------


def test_a_line_break_in_a_name_cannot_add_lines_to_a_contact_card(event):
    from pledgecard.networking import services
    from pledgecard.networking.models import Member, Preference

    nhs = Sector.objects.get(name="NHS")
    people = [Registration.objects.create(event=event, name=name, email=f"p{i}@example.org", organisation=org,
                                          sector=nhs, role="Nurse\r\nURL:https://evil.example",
                                          checked_in_at=dt.datetime.now(dt.UTC))
              for i, (name, org) in enumerate([("Amina\r\nEMAIL:evil@example.org", "Org\nTEL:+440000"),
                                               ("Ben Ng", "Council")])]
    Preference.objects.create(registration=people[0], share_email=True, share_role=True, share_phone=True,
                              phone="0770\r\nNOTE:x")
    services.round_start(event, size=2, among="checked_in", after_round=0)
    card = services.vcard(Member.objects.get(registration=people[0]))
    properties = [line.split(":", 1)[0].split(";")[0] for line in card.strip().split("\r\n")]
    assert sorted(properties) == sorted(["BEGIN", "VERSION", "N", "FN", "EMAIL", "TEL", "ORG", "TITLE", "END"])
    assert "\n" not in card.replace("\r\n", "")


def test_placements_csv_from_the_allocation_cli_escapes_formulas(tmp_path):
    import csv
    import io

    from django.core.management import call_command

    (tmp_path / "s.csv").write_text("session_id,workshop,slot,capacity\n=cmd|' /C calc'!A0,@SUM(1),13:30,2\n")
    (tmp_path / "p.csv").write_text("attendee_id,choice_1\n+HYPERLINK(\"http://x\"),@SUM(1)\n")
    call_command("allocate", "--sessions", str(tmp_path / "s.csv"), "--preferences", str(tmp_path / "p.csv"),
                 "--out", str(tmp_path / "out.csv"), stdout=io.StringIO())
    [row] = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert row["attendee_id"].startswith("'+") and row["session_id"].startswith("'=")
    assert row["workshop"].startswith("'@")


# --- Production with a local SITE_URL ---------------------------------------------------------------------------


@pytest.mark.parametrize("site_url, code", [
    ("http://127.0.0.1:8000", "pledgecard.E001"),
    ("https://localhost", "pledgecard.E001"),
    ("https://10.1.2.3", "pledgecard.E001"),
    ("http://[::1]:8000", "pledgecard.E001"),
    ("http://pledgecard.example.org", "pledgecard.E002"),
])
def test_production_with_a_site_url_people_cannot_reach_fails_the_deploy_check(tmp_path, site_url, code):
    from .test_security import _check_deploy, _production_env

    result = _check_deploy(_production_env(tmp_path, SITE_URL=site_url))
    assert result.returncode != 0
    assert code in result.stdout + result.stderr


# --- A busy database ---------------------------------------------------------------------------------------------


@pytest.fixture
def short_waits():
    """Database connections that give up waiting for a lock after 0.3 s (production waits 20 s)."""
    from django.db import connection

    options = connection.settings_dict["OPTIONS"]
    before = dict(options)
    if connection.vendor == "sqlite":
        options["timeout"] = 0.3
        options["init_command"] = re.sub(r"busy_timeout=\d+", "busy_timeout=300", options["init_command"])
    else:
        options["options"] = "-c lock_timeout=300"
    connection.close()
    yield
    options.clear()
    options.update(before)
    connection.close()


@contextlib.contextmanager
def _database_held():
    """Another connection holds the write lock: SQLite's one writer, or PostgreSQL's lock on the tables."""
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
    else:
        import psycopg

        params = connection.get_connection_params()
        other = psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"})
        other.execute("LOCK TABLE pledges_postcard, events_registration, delivery_message IN ACCESS EXCLUSIVE MODE")
    try:
        yield
    finally:
        other.rollback() if connection.vendor != "sqlite" else other.execute("ROLLBACK")
        other.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_busy_database_gives_a_try_again_with_every_word_kept(event, short_waits):
    words = postcard_data(learnt="Trust is built slowly & lost quickly.", commitment="Ask the mosque first.")
    client = Client()
    with _database_held():
        response = client.post(f"/e/{event.slug}/", words)
        assert response.status_code == 503 and response["Retry-After"]
        page = response.content.decode()
        assert "could not save this just now" in page
        assert "Trust is built slowly &amp; lost quickly." in page and "Ask the mosque first." in page
        busy_registration = client.post(f"/events/{event.slug}/", _form())
        assert busy_registration.status_code == 503
        assert "Bradford Council" in busy_registration.content.decode()
    assert not Postcard.objects.exists() and not Registration.objects.exists()
    # Sent again once the database is free, it is saved.
    assert client.post(f"/e/{event.slug}/", words).status_code == 302
    assert client.post(f"/events/{event.slug}/", _form()).status_code == 302
    assert Postcard.objects.count() == 1 and Registration.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_any_other_page_that_meets_a_busy_database_says_try_again(event, organiser, short_waits):
    client = Client()
    client.force_login(organiser)
    with _database_held():
        response = client.post(f"/organise/events/{event.slug}/postcards/paper/", postcard_data())
    assert response.status_code == 503
    assert "The service is busy" in response.content.decode()


# --- A big import while attendees write postcards ----------------------------------------------------------------


def _postcards_csv(count: int) -> bytes:
    lines = ["name,email,organisation,sector,learnt,commitment,reminder"]
    lines += [f"Writer {i},w{i}@example.org,Trust {i % 7},NHS,Lesson {i},Commitment {i},yes" for i in range(count)]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_big_import_never_stops_attendees_writing_and_survives_kill_9(event, organiser, workers):
    """3,000 paper postcards imported by a real worker process, which is killed (-9) part-way and started
    again, while attendees post postcards with a 2-second wait for the database (production waits 20 s; the
    old one-transaction import held it for seconds). Every attendee's postcard is saved, the import ends
    exactly once, and nothing is saved twice."""
    from django.db import connection

    from pledgecard.core.models import Job
    from pledgecard.pledges import imports

    from .test_delivery_reliability import wait_until

    rows = 3000
    data = _postcards_csv(rows)
    _, report = imports.postcards_check(data=data)
    assert report.ok
    job = imports.postcards_import_start(event=event, data=data, created_by=organiser)
    lease = {"PLEDGECARD_JOB_LEASE_SECONDS": "3"}
    first = workers.start("import-1", **lease)

    options = connection.settings_dict["OPTIONS"]
    if connection.vendor == "sqlite":
        options["init_command"] = re.sub(r"busy_timeout=\d+", "busy_timeout=2000", options["init_command"])
        options["timeout"] = 2
    connection.close()
    statuses = []

    def attendee_writes(n):
        response = Client().post(f"/e/{event.slug}/", postcard_data(email=f"attendee{n}@example.org",
                                                                    learnt=f"Attendee {n} learnt"))
        statuses.append(response.status_code)

    def done():
        return Job.objects.get(pk=job.pk).done

    wait_until(lambda: done() >= 200, 120, "the import to start", lambda: workers.log(first))
    for n in range(5):
        attendee_writes(n)
    workers.kill(first)
    killed_at = done()
    assert 0 < killed_at < rows
    second = workers.start("import-2", **lease)
    wait_until(lambda: done() > killed_at, 60, "the second worker to take the job over", lambda: workers.log(second))
    for n in range(5, 15):
        attendee_writes(n)
    wait_until(lambda: Job.objects.get(pk=job.pk).finished, 240, "the import to finish", lambda: workers.log(second))
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.result
    assert statuses == [302] * 15
    assert Postcard.objects.filter(source="import").count() == rows
    assert Postcard.objects.filter(source="online").count() == 15
    assert (job.result["created"], job.result["already_there"]) == (rows, 0)
    assert job.data is None  # the file (personal data) is gone once imported
    assert "Sweep failed" not in workers.log(second)


# --- The worker and `serve` survive -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_survives_a_database_it_cannot_use_and_delivers_after(event, workers, smtp):
    from .test_delivery_reliability import make_reminders_due, wait_until, write_postcards

    postcards = write_postcards(event, 5, prefix="survive")
    make_reminders_due(postcards)
    short = {"PLEDGECARD_SQLITE_BUSY_SECONDS": "0.3", "PGOPTIONS": "-c lock_timeout=300",
             "PLEDGECARD_PERIODIC_SECONDS": "3600"}
    with _database_held():
        worker = workers.start("survivor", **short)
        wait_until(lambda: "Sweep failed (2 in a row)" in workers.log(worker), 60, "two failed sweeps",
                   lambda: workers.log(worker))
        assert worker.poll() is None  # still running
        assert smtp.received == []
    sent = Message.objects.filter(kind="postcard_reminder", status="sent")
    wait_until(lambda: sent.count() == 5, 60, "the reminders after the database came back",
               lambda: workers.log(worker))
    assert worker.poll() is None
    assert sorted(r.rcpt[0] for r in smtp.received) == sorted(m.to_address for m in sent)


def _children(pid: int) -> set[int]:
    from pathlib import Path

    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _cmdline(pid: int) -> str:
    from pathlib import Path

    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.slow
def test_serve_starts_a_dead_worker_again_and_the_web_server_goes_on(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import urllib.request

    from .smtp_server import free_port
    from .test_delivery_reliability import wait_until

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(PLEDGECARD_VAR_DIR=str(tmp_path), PORT=str(port), PYTHONUNBUFFERED="1")
    subprocess.run([sys.executable, "-m", "pledgecard", "migrate", "-v0"], env=env, check=True, timeout=300)
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen([sys.executable, "-m", "pledgecard", "serve", "--port", str(port)],  # noqa: S603
                             env=env, stdout=log, stderr=subprocess.STDOUT)

    def workers_running():
        return [pid for pid in _children(serve.pid) if " worker" in _cmdline(pid)]

    def web_answers():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:  # noqa: S310
                return response.status == 200
        except OSError:
            return False

    try:
        wait_until(lambda: len(workers_running()) == 1 and web_answers(), 60, "serve to start")
        [first] = workers_running()
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: workers_running() not in ([], [first]), 60, "a new worker",
                   lambda: (tmp_path / "serve.log").read_text())
        assert serve.poll() is None and web_answers()
        assert "starting it again" in (tmp_path / "serve.log").read_text()
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
        log.close()


def test_debug_pages_are_off_unless_asked_for(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DATABASE_URL")}
    env["PLEDGECARD_VAR_DIR"] = str(tmp_path)
    shown = subprocess.run([sys.executable, "-m", "pledgecard", "shell", "-c",
                            "from django.conf import settings; print(settings.DEBUG)"],
                           env=env, capture_output=True, text=True, timeout=120, check=True)
    assert shown.stdout.strip().splitlines()[-1] == "False"


def test_sign_in_limits_live_in_the_database_shared_by_every_process(organiser):
    """allauth's failed-sign-in counts (and its record of used two-factor codes) are in the cache: the cache
    is a database table, so a second web process sees the same counts."""
    from django.core.cache.backends.db import DatabaseCache

    client = Client()
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": organiser.email, "password": "wrong-password-x"})
        assert response.status_code == 200
    refused = client.post("/accounts/login/", {"login": organiser.email, "password": "a-long-test-password"})
    assert "_auth_user_id" not in client.session
    assert refused.status_code in (200, 429)
    another_process = DatabaseCache("pledgecard_cache", {})  # a cache object of its own, as in another process
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM pledgecard_cache")
        keys = [row[0] for row in cursor.fetchall()]
    limit_keys = [key.split(":", 2)[2] for key in keys if "login_failed" in key]  # stored as ":1:<key>"
    assert limit_keys, keys
    assert all(another_process.get(key) for key in limit_keys)


def test_erasing_someone_stops_an_import_of_a_file_that_names_them(event, organiser):
    from pledgecard.core import jobs
    from pledgecard.core.models import Job
    from pledgecard.core.people import people_erase, people_export
    from pledgecard.pledges import imports

    data = _postcards_csv(3).replace(b"w1@example.org", b"Amina.Erase@example.org")
    job = imports.postcards_import_start(event=event, data=data, created_by=organiser)
    other = imports.postcards_import_start(event=event, data=_postcards_csv(2), created_by=organiser)
    exported = people_export("amina.erase@example.org")
    assert "an import that names them" in json.dumps(exported, default=str)
    people_erase("amina.erase@example.org")
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.data is None
    assert jobs.jobs_run_due() == 1  # only the other import is left to run
    other.refresh_from_db()
    assert other.status == Job.Status.DONE
    assert not Postcard.objects.filter(email__iexact="amina.erase@example.org").exists()
