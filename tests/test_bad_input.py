"""Bad input on every form: the page answers with a clear message beside the field, or a 4xx page.

Never a 500, never half a save. Each test counts the rows of every table before and after; a rejected
request must leave all of them as they were. Runs the same on SQLite and PostgreSQL (which, unlike SQLite,
refuses NUL characters in text: a NUL that reaches a query is a 500 there).
"""

import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from markupsafe import escape

from pledgecard.core import access
from pledgecard.core.models import Alliance, Sector
from pledgecard.delivery.models import Message
from pledgecard.events.models import Event
from pledgecard.pledges.models import FollowUp, Postcard, Theme

from .conftest import make_organiser, postcard_data

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("pwned")</script>'
HUGE = 1_200_000  # more than DATA_UPLOAD_MAX_MEMORY_SIZE (1 000 000)


@pytest.fixture(autouse=True)
def _fast_and_fresh(settings):
    # Organisers' test passwords need no slow hashing; the failure counters start empty.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


# ---------------------------------------------------------------------------------------------- helpers


def table_counts() -> dict[str, int]:
    """Rows in every table (sessions aside: a session is not something the form saved), in one query."""
    tables = sorted(
        {
            m._meta.db_table
            for m in apps.get_models(include_auto_created=True)
            if m._meta.managed and not m._meta.proxy and m._meta.label != "sessions.Session"
        }
    )
    qn = connection.ops.quote_name
    sql = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM {qn(t)}" for t in tables)  # noqa: S608 - our own names
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(cursor.fetchall())


class Unchanged:
    """`with Unchanged():` fails if any table gained or lost a row inside the block."""

    def __enter__(self):
        self.before = table_counts()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            after = table_counts()
            changed = {k: (self.before[k], after[k]) for k in after if after[k] != self.before.get(k)}
            assert not changed, f"rows changed: {changed}"


def assert_field_error(response, field: str, message: str | None = None):
    """400, the NHS error summary linking to the field, and the message beside the field."""
    assert response.status_code == 400, response.status_code
    html = response.content.decode()
    assert "nhsuk-error-summary" in html and "There is a problem" in html
    assert f'href="#{field}"' in html, f"no summary link to #{field}"
    assert f'id="{field}-error"' in html, f"no error message beside {field}"
    if message:
        assert str(escape(message)) in html, f"{message!r} not on the page"


def assert_no_raw_script(response):
    html = response.content.decode()
    assert "<script>alert" not in html
    return html


def csrf_token(client: Client, url: str) -> str:
    """The token a real browser would send: GET the form, read the cookie."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return client.cookies["csrftoken"].value


def written_postcard(client, event, **overrides) -> Postcard:
    """A postcard written through the form, so this client's session may open it."""
    response = client.post(f"/e/{event.slug}/", postcard_data(**overrides))
    assert response.status_code == 302
    return Postcard.objects.latest("created_at")


# ------------------------------------------------------------------------------- the two postcard forms

POSTCARD_FIELDS = [
    "name",
    "email",
    "organisation",
    "sector",
    "learnt",
    "commitment",
    "theme",
    "reminder",
    "share",
]
TEXT_FIELDS = ["name", "email", "organisation", "learnt", "commitment"]
REQUIRED = {
    "name": "Enter your name",
    "email": "Enter your email address",
    "organisation": "Enter your organisation",
    "sector": "Select your sector",
    "learnt": "Enter what you learnt today",
    "commitment": "Enter the one thing you will do differently",
    "reminder": "Select whether you want your postcard sent back to you",
}


@pytest.fixture(params=["attendee", "paper"])
def postcard_form(request, client, event):
    """(client, url) of the attendee's postcard page and the organiser's paper form: the same rules."""
    if request.param == "paper":
        client.force_login(make_organiser(event.alliance))
        return client, f"/organise/events/{event.slug}/postcards/paper/"
    return client, f"/e/{event.slug}/"


@pytest.mark.parametrize("blank", [None, "", "  \t\r\n "], ids=["absent", "empty", "whitespace"])
@pytest.mark.parametrize("field", list(REQUIRED))
def test_postcard_missing_field(postcard_form, field, blank):
    client, url = postcard_form
    data = postcard_data()
    if blank is None:
        del data[field]
    else:
        data[field] = blank
    with Unchanged():
        response = client.post(url, data)
    assert_field_error(response, field, REQUIRED[field])


def test_postcard_empty_post_lists_every_missing_field(postcard_form):
    client, url = postcard_form
    with Unchanged():
        response = client.post(url, {})
    for field, message in REQUIRED.items():
        assert_field_error(response, field, message)


@pytest.mark.parametrize(
    "field, length, message",
    [
        ("name", 121, "Your name must be 120 characters or fewer"),
        ("organisation", 201, "Your organisation must be 200 characters or fewer"),
        ("learnt", 1001, "What I learnt today must be 1000 characters or fewer"),
        ("commitment", 501, "The one thing I will do differently must be 500 characters or fewer"),
        ("email", 255, None),
    ],
)
def test_postcard_over_long_text(client, event, field, length, message):
    value = ("a" * (length - len("@example.org")) + "@example.org") if field == "email" else "é" * length
    with Unchanged():
        response = client.post(f"/e/{event.slug}/", postcard_data(**{field: value}))
    assert_field_error(response, field, message)


def test_paper_form_over_long_text(organiser_client, event):
    with Unchanged():
        response = organiser_client.post(
            f"/organise/events/{event.slug}/postcards/paper/", postcard_data(learnt="x" * 1001)
        )
    assert_field_error(response, "learnt", "must be 1000 characters or fewer")


def test_postcard_at_the_limits_is_saved_whole(client, event):
    """Four-byte emoji and combining marks count as characters, the same on both databases."""
    name, learnt, commitment = "🙂" * 120, ("e\u0301" * 500), "👩🏽‍⚕️" * 100
    response = client.post(
        f"/e/{event.slug}/", postcard_data(name=name, learnt=learnt, commitment=commitment)
    )
    assert response.status_code == 302
    postcard = Postcard.objects.get()
    assert (postcard.name, postcard.learnt, postcard.commitment) == (name, learnt, commitment)


ODD_UNICODE = {
    "rtl-override": "\u202eevil.exe\u202c Amina",
    "rtl-marks": "\u200fאמינה חוסיין\u200f",
    "arabic": "أمينة حسين",
    "emoji-zwj": "Amina 👩🏽‍⚕️🏳️‍🌈",
    "combining": "Zoe\u0308 Ame\u0301lie Z̸̢̧a̴l̶g̵o̷",
    "zero-width": "Am\u200bi\u200dna\ufeff",
    "cjk": "李小龍",
    "controls": "Amina\x07\x1b[31m\x7f",
}


@pytest.mark.parametrize("text", list(ODD_UNICODE.values()), ids=list(ODD_UNICODE))
def test_postcard_odd_unicode_is_saved_and_shown(client, event, text):
    response = client.post(
        f"/e/{event.slug}/",
        postcard_data(name=text, organisation=text, learnt=f"{text}\nline two", commitment=text),
    )
    assert response.status_code == 302
    postcard = Postcard.objects.get()
    assert postcard.name == text.strip()
    assert postcard.learnt == f"{text}\nline two".strip()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert str(escape(text.strip())) in page.content.decode()


@pytest.mark.parametrize("field", [*TEXT_FIELDS, "sector", "theme", "reminder"])
def test_postcard_nul_byte_is_refused_not_a_500(postcard_form, field):
    client, url = postcard_form
    data = postcard_data()
    data[field] = "Am\x00ina" if field in TEXT_FIELDS else data[field] + "\x00"
    with Unchanged():
        response = client.post(url, data)
    assert_field_error(response, field)


@pytest.mark.parametrize("value", ["\x00", "NHS\x00", "\x00" * 50, "Local\x00authority"])
def test_postcard_nul_in_choice_names(client, event, value):
    """Choices may be typed by name (files typed by people); a NUL must not reach PostgreSQL."""
    with Unchanged():
        response = client.post(f"/e/{event.slug}/", postcard_data(sector=value, theme=value))
    assert_field_error(response, "sector")
    assert_field_error(response, "theme")


def test_postcard_html_is_escaped_on_every_page(client, event, organiser):
    """Script in every text box comes back as text: in the form again, on the card, the wall, the list."""
    evil = {"name": SCRIPT, "organisation": SCRIPT, "learnt": SCRIPT, "commitment": SCRIPT}
    # First with a mistake, so the form is drawn again with the words in it.
    again = client.post(f"/e/{event.slug}/", postcard_data(email="not-an-email", **evil))
    assert_field_error(again, "email")
    html = assert_no_raw_script(again)
    assert html.count(str(escape(SCRIPT))) >= 4
    saved = client.post(f"/e/{event.slug}/", postcard_data(**evil))
    assert saved.status_code == 302
    assert Postcard.objects.get().name == SCRIPT  # stored as typed, escaped when shown
    Postcard.objects.update(wall_status="published")  # approved for the wall by an organiser
    for url in [saved["Location"], f"/e/{event.slug}/wall/"]:
        page = client.get(url)
        assert page.status_code == 200
        assert str(escape(SCRIPT)) in assert_no_raw_script(page)
    client.force_login(organiser)
    for url in [f"/organise/events/{event.slug}/postcards/"]:
        page = client.get(url)
        assert page.status_code == 200
        assert str(escape(SCRIPT)) in assert_no_raw_script(page)


def test_paper_form_success_banner_escapes_the_name(organiser_client, event):
    url = f"/organise/events/{event.slug}/postcards/paper/"
    response = organiser_client.post(url, postcard_data(name=SCRIPT), follow=True)
    assert response.status_code == 200
    html = assert_no_raw_script(response)
    assert f"Saved the postcard from {escape(SCRIPT)}" in html


@pytest.mark.parametrize(
    "field, value",
    [
        ("sector", "abc"),
        ("sector", "99999"),
        ("sector", "-1"),
        ("sector", "1.5"),
        ("sector", "0x1"),
        ("sector", "99999999999999999999999999"),
        ("sector", "<b>NHS</b>"),
        ("theme", "99999"),
        ("theme", "99999999999999999999999999"),
        ("theme", "Not a theme"),
        ("reminder", "maybe"),
        ("reminder", "YES"),
    ],
)
def test_postcard_unknown_choice(postcard_form, field, value):
    client, url = postcard_form
    with Unchanged():
        response = client.post(url, postcard_data(**{field: value}))
    assert_field_error(response, field)
    assert_no_raw_script(response)


def test_postcard_choice_typed_by_name_is_accepted(client, event):
    response = client.post(f"/e/{event.slug}/", postcard_data(sector=" nhs ", theme="maternity"))
    assert response.status_code == 302
    assert Postcard.objects.get().sector.name == "NHS"


def test_postcard_lists_for_single_fields_never_500(client, event):
    """A repeated field (name=a&name=b) is read as its last value, like every Django form."""
    data = postcard_data()
    data.update(name=["First", "Second"], sector=["abc", data["sector"]], reminder=["yes", "no"])
    response = client.post(f"/e/{event.slug}/", data)
    assert response.status_code == 302
    postcard = Postcard.objects.get()
    assert (postcard.name, postcard.wants_reminder) == ("Second", False)


def test_postcard_json_body_is_a_form_error(client, event):
    with Unchanged():
        response = client.post(f"/e/{event.slug}/", postcard_data(), content_type="application/json")
    assert_field_error(response, "name", "Enter your name")


def test_postcard_body_that_is_not_utf8(client, event):
    body = b"name=%FF%FEAmina&email=a%40example.org&sector=%C0%AF&learnt=%00&commitment=\xff\xfe"
    with Unchanged():
        response = client.generic(
            "POST", f"/e/{event.slug}/", body, content_type="application/x-www-form-urlencoded"
        )
    assert response.status_code == 400


def test_postcard_too_many_fields(client, event):
    body = "&".join(f"f{i}=x" for i in range(1200))
    with Unchanged():
        response = client.generic(
            "POST", f"/e/{event.slug}/", body, content_type="application/x-www-form-urlencoded"
        )
    assert response.status_code == 400


def test_postcard_to_a_closed_or_missing_event(client, event):
    event.postcards_open = False
    event.save()
    with Unchanged():
        assert client.post(f"/e/{event.slug}/", postcard_data()).status_code == 410
        assert client.post("/e/no-such-event/", postcard_data()).status_code == 404
        assert client.post("/e/not a slug/", postcard_data()).status_code == 404


# --------------------------------------------------------------------- fuzzing the attendee's postcard form

NASTY = st.sampled_from(
    [
        "\x00",
        "\x00\x00",
        SCRIPT,
        "\u202e",
        "\ufeff",
        "\r\n",
        "'; DROP TABLE pledges_postcard; --",
        "%00",
        "\\",
        "𝕬" * 130,
        "x" * 1001,
        '=HYPERLINK("http://x")',
        "1",
        "NHS",
        "99999999999999999999",
        "yes",
        "on",
        "",
    ]
)
ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)  # control characters included
VALUES = st.one_of(ANY_TEXT, NASTY, st.lists(st.one_of(ANY_TEXT, NASTY), min_size=1, max_size=3))


@hsettings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    overrides=st.dictionaries(
        st.sampled_from(POSTCARD_FIELDS + ["csrfmiddlewaretoken", "extra"]), VALUES, max_size=6
    ),
    dropped=st.sets(st.sampled_from(POSTCARD_FIELDS), max_size=3),
)
def test_fuzz_postcard_form_never_500(client, event, overrides, dropped):
    data = {k: v for k, v in postcard_data().items() if k not in dropped}
    data.update(overrides)
    before = Postcard.objects.count(), Message.objects.count()
    response = client.post(f"/e/{event.slug}/", data)
    assert response.status_code < 500
    assert response.status_code in (302, 400)
    after = Postcard.objects.count(), Message.objects.count()
    if response.status_code == 400:
        assert after == before  # nothing saved half-way
        assert "<script>alert" not in response.content.decode()
    else:
        postcard = Postcard.objects.latest("created_at")
        assert "\x00" not in postcard.name + postcard.learnt + postcard.commitment + postcard.organisation


# --------------------------------------------------------------------------- huge bodies, forged CSRF


def _attendee_with_postcard(event) -> tuple[Client, Postcard]:
    client = Client(enforce_csrf_checks=True)
    token = csrf_token(client, f"/e/{event.slug}/")
    response = client.post(f"/e/{event.slug}/", {**postcard_data(), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    return client, Postcard.objects.get()


def _organiser(event) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_organiser(event.alliance, email="csrf-organiser@example.org"))
    return client


def form_cases(event):
    """(name, client, form page to GET for a token, URL to POST to, valid data) for every form."""
    attendee, postcard = _attendee_with_postcard(event)
    organiser = _organiser(event)
    card = f"/postcards/{postcard.public_id}"
    csv_file = lambda: SimpleUploadedFile("p.csv", _csv([_row()]), content_type="text/csv")  # noqa: E731
    tomorrow = (timezone.localdate() + dt.timedelta(days=30)).strftime("%d/%m/%Y")
    return [
        (
            "postcard",
            attendee,
            f"/e/{event.slug}/",
            f"/e/{event.slug}/",
            lambda: postcard_data(name="Other writer"),
        ),
        (
            "follow-up",
            attendee,
            f"{card}/",
            f"{card}/how-did-it-go/",
            lambda: {"outcome": "done", "reflection": "x"},
        ),
        (
            "refresh",
            attendee,
            f"{card}/refresh/",
            f"{card}/refresh/",
            lambda: {"learnt": "New", "commitment": "New thing", "reminder": "yes"},
        ),
        ("stop", attendee, f"{card}/stop/", f"{card}/stop/", dict),
        (
            "paper",
            organiser,
            f"/organise/events/{event.slug}/postcards/paper/",
            f"/organise/events/{event.slug}/postcards/paper/",
            lambda: postcard_data(name="Paper writer"),
        ),
        (
            "import",
            organiser,
            f"/organise/events/{event.slug}/postcards/import/",
            f"/organise/events/{event.slug}/postcards/import/",
            lambda: {"file": csv_file()},
        ),
        (
            "alliance",
            organiser,
            "/organise/alliances/new/",
            "/organise/alliances/new/",
            lambda: {"name": "New Alliance", "contact_email": "new@example.org"},
        ),
        (
            "event",
            organiser,
            f"/organise/alliances/{event.alliance.slug}/events/new/",
            f"/organise/alliances/{event.alliance.slug}/events/new/",
            lambda: {
                "title": "New event",
                "date": "1/6/2031",
                "time_zone": "Europe/London",
                "reminder_time": "10:00:00",
            },
        ),
        (
            "reschedule",
            organiser,
            f"/organise/events/{event.slug}/",
            f"/organise/events/{event.slug}/reschedule/",
            lambda: {"reminder_date": tomorrow, "reminder_time": "10:00:00"},
        ),
        (
            "erase a person",
            organiser,
            "/organise/people/",
            "/organise/people/erase/",
            lambda: {"email": "amina@example.org", "confirm": "yes"},
        ),
        (
            "theme-words",
            organiser,
            f"/organise/alliances/{event.alliance.slug}/insights/theme-words/",
            f"/organise/alliances/{event.alliance.slug}/insights/theme-words/",
            lambda: {f"theme_{Theme.objects.get(name='Maternity').pk}": "pregnan, midwi"},
        ),
        (
            "impact-page",
            organiser,
            f"/organise/alliances/{event.alliance.slug}/insights/impact-page/",
            f"/organise/alliances/{event.alliance.slug}/insights/impact-page/",
            lambda: {"public": "yes"},
        ),
        *_issue11_cases(event, attendee, organiser, postcard),
    ]


def _issue11_cases(event, attendee, organiser, postcard):
    """The forms of resources, short links, stories and the pledge wall's moderation."""
    from pledgecard.stories.models import Story

    from .makers import make_story

    alliance = event.alliance.slug
    postcard.wall_status = "published"
    postcard.save(update_fields=["wall_status"])
    waiting = make_story(event.alliance)
    returned = make_story(event.alliance, title="Returned", status=Story.Status.RETURNED)
    author = Client(enforce_csrf_checks=True)
    assert author.get(f"/s/{returned.token}/").status_code == 302
    review = f"/organise/alliances/{alliance}/stories/{waiting.public_id}/"
    wall = f"/organise/events/{event.slug}/wall/"
    return [
        ("story", attendee, f"/stories/{alliance}/new/", f"/stories/{alliance}/new/", lambda: _story_data()),
        ("story-resubmit", author, f"/my-story/{returned.public_id}/", f"/my-story/{returned.public_id}/",
         lambda: _story_data(title="Changed")),
        ("resource", organiser, f"/organise/alliances/{alliance}/resources/new/",
         f"/organise/alliances/{alliance}/resources/new/",
         lambda: {"title": "A resource", "external_url": "https://www.example.org/r"}),
        ("link", organiser, f"/organise/alliances/{alliance}/resources/", f"/organise/alliances/{alliance}/links/",
         lambda: {"url": "https://www.example.org/l"}),
        ("story-return", organiser, review, f"{review}return/", lambda: {"note": "Please add the ward"}),
        ("wall-settings", organiser, wall, f"{wall}settings/", lambda: {"publish_first": "yes"}),
        ("wall-bulk", organiser, wall, wall, lambda: {"action": "publish", "postcard": [str(postcard.pk)]}),
        ("wall-report", attendee, f"/e/{event.slug}/wall/", f"/e/{event.slug}/wall/{postcard.pk}/report/", dict),
    ]


def _story_data(**overrides):
    data = {"title": "We asked first", "text": "A story.\n\nIn two paragraphs.", "name": "Saima Hussain",
            "organisation": "Council", "email": "saima@example.org", "credit": "named"}
    data.update(overrides)
    return data


FORMS = ["postcard", "follow-up", "refresh", "stop", "paper", "import", "alliance", "event", "reschedule",
         "erase a person", "story", "story-resubmit", "resource", "link", "story-return", "wall-settings",
         "wall-bulk", "wall-report", "theme-words", "impact-page"]


def _case(event, name):
    return next(case for case in form_cases(event) if case[0] == name)


def _state(event):
    """What a successful POST to any of the forms would change."""
    p = Postcard.objects.order_by("pk").first()
    event.refresh_from_db()
    return (
        table_counts(),
        (p.wants_reminder, p.reminder_withdrawn_at),
        (event.reminder_date, event.reminder_time),
    )


@pytest.mark.parametrize("name", FORMS)
def test_forged_csrf_is_refused_and_changes_nothing(event, name):
    _, client, page, url, data = _case(event, name)
    token = csrf_token(client, page)
    forged_token = ("A" * 64) if token[0] != "A" else ("B" * 64)
    before = _state(event)
    no_token = client.post(url, data())
    wrong_token = client.post(url, {**data(), "csrfmiddlewaretoken": forged_token})
    # Even a cookie and token that match each other are refused when another site's page sends them.
    cross_site = Client(enforce_csrf_checks=True)
    for credential in (settings.SESSION_COOKIE_NAME, access.COOKIE):  # an organiser's, an attendee's
        if credential in client.cookies:
            cross_site.cookies[credential] = client.cookies[credential].value
    cross_site.cookies["csrftoken"] = forged_token
    forged_pair = cross_site.post(
        url, {**data(), "csrfmiddlewaretoken": forged_token}, HTTP_ORIGIN="https://evil.example"
    )
    for response in (no_token, wrong_token, forged_pair):
        assert response.status_code == 403
    assert _state(event) == before
    # The same request with the real token goes through: the refusals above were the CSRF check.
    accepted = client.post(url, {**data(), "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302, accepted.content.decode()[:2000]


@pytest.mark.parametrize("name", FORMS)
def test_huge_body_is_a_400(event, name):
    _, client, page, url, data = _case(event, name)
    token = csrf_token(client, page)
    before = _state(event)
    body = {**data(), "csrfmiddlewaretoken": token, "learnt": "x" * HUGE}
    if name == "import":
        body["padding"] = "x" * HUGE  # a file may be large; the other fields may not
    response = client.post(url, body)
    assert response.status_code == 400
    assert "Something was wrong with that request" in response.content.decode()
    assert _state(event) == before


# ---------------------------------------------------------------------------- follow-up, refresh and stop


@pytest.fixture
def writer(client, event):
    """A client whose session wrote a postcard, and that postcard."""
    return client, written_postcard(client, event)


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({}, "outcome", "Select how it went"),
        ({"outcome": ""}, "outcome", "Select how it went"),
        ({"outcome": "bogus"}, "outcome", "Select how it went"),
        ({"outcome": "done\x00"}, "outcome", None),
        ({"outcome": ["done", "bogus"]}, "outcome", None),
        ({"outcome": "done", "reflection": "x" * 2001}, "reflection", "must be 2000 characters or fewer"),
        ({"outcome": "done", "reflection": "It went \x00 well"}, "reflection", None),
    ],
)
def test_follow_up_bad_input(writer, data, field, message):
    client, postcard = writer
    with Unchanged():
        response = client.post(f"/postcards/{postcard.public_id}/how-did-it-go/", data)
    assert_field_error(response, field, message)


def test_follow_up_keeps_odd_text_and_escapes_it(writer):
    client, postcard = writer
    text = f"{SCRIPT} \u202e 👍 e\u0301"
    response = client.post(
        f"/postcards/{postcard.public_id}/how-did-it-go/", {"outcome": "done", "reflection": text}
    )
    assert response.status_code == 302
    assert FollowUp.objects.get().reflection == text
    page = client.get(f"/postcards/{postcard.public_id}/")
    assert str(escape(text)) in assert_no_raw_script(page)


def test_follow_up_error_keeps_the_words_escaped(writer):
    client, postcard = writer
    response = client.post(f"/postcards/{postcard.public_id}/how-did-it-go/", {"reflection": SCRIPT})
    assert_field_error(response, "outcome")
    assert str(escape(SCRIPT)) in assert_no_raw_script(response)


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"commitment": "c", "reminder": "yes"}, "learnt", "Enter what you have learnt since"),
        ({"learnt": "l", "reminder": "yes"}, "commitment", "Enter the one thing you will do differently"),
        ({"learnt": "l", "commitment": "c"}, "reminder", None),
        (
            {"learnt": "x" * 1001, "commitment": "c", "reminder": "yes"},
            "learnt",
            "must be 1000 characters or fewer",
        ),
        (
            {"learnt": "l", "commitment": "x" * 501, "reminder": "yes"},
            "commitment",
            "must be 500 characters or fewer",
        ),
        ({"learnt": "l\x00", "commitment": "c", "reminder": "yes"}, "learnt", None),
        ({"learnt": "l", "commitment": "c", "reminder": "yes", "theme": "99999"}, "theme", None),
        ({"learnt": "l", "commitment": "c", "reminder": "yes", "theme": "\x00"}, "theme", None),
        ({"learnt": "l", "commitment": "c", "reminder": "perhaps"}, "reminder", None),
    ],
)
def test_refresh_bad_input(writer, data, field, message):
    client, postcard = writer
    with Unchanged():
        response = client.post(f"/postcards/{postcard.public_id}/refresh/", data)
    assert_field_error(response, field, message)
    assert_no_raw_script(response)


def test_refresh_escapes_the_old_and_new_words(client, event):
    postcard = written_postcard(client, event, commitment=SCRIPT)
    page = client.get(f"/postcards/{postcard.public_id}/refresh/")
    assert str(escape(SCRIPT)) in assert_no_raw_script(page)
    response = client.post(
        f"/postcards/{postcard.public_id}/refresh/", {"learnt": SCRIPT, "commitment": "", "reminder": "no"}
    )
    assert_field_error(response, "commitment")
    assert assert_no_raw_script(response).count(str(escape(SCRIPT))) >= 2


def test_stop_ignores_stray_fields_and_wrong_ids(writer):
    client, postcard = writer
    with Unchanged():
        assert client.post("/postcards/not-a-uuid/stop/", {}).status_code == 404
        assert client.post("/postcards/12345/stop/", {}).status_code == 404
        assert client.post("/postcards/00000000-0000-0000-0000-000000000000/stop/").status_code == 404
    response = client.post(
        f"/postcards/{postcard.public_id}/stop/", {"postcard": "other", "x": ["\x00", SCRIPT]}
    )
    assert response.status_code == 302
    postcard.refresh_from_db()
    assert postcard.reminder_withdrawn_at is not None and not postcard.wants_reminder


# ------------------------------------------------------------------------------------------ CSV import


def _row(**overrides):
    row = {
        "name": "Amina Hussain",
        "email": "amina@example.org",
        "organisation": "Bradford Council",
        "sector": "Local authority",
        "learnt": "Wards differ.",
        "commitment": "Ask a group.",
        "reminder": "yes",
        "theme": "Maternity",
        "share": "no",
    }
    row.update(overrides)
    return row


def _csv(rows, columns=None, encoding="utf-8", newline="\r\n") -> bytes:
    import csv

    columns = columns or list(_row())
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator=newline)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _import(client, event, data: bytes, name="postcards.csv"):
    """Upload a file; a good one becomes a job, which the worker runs (here: at once, as its next sweep)."""
    from pledgecard.core import jobs

    upload = SimpleUploadedFile(name, data, content_type="text/csv")
    response = client.post(f"/organise/events/{event.slug}/postcards/import/", {"file": upload})
    if response.status_code == 302 and response["Location"].startswith("/organise/jobs/"):
        assert jobs.jobs_run_due() == 1
    return response


def _import_errors(response) -> list[str]:
    assert response.status_code == 400
    html = response.content.decode()
    assert "The file was not imported" in html and "Nothing was saved" in html
    summary = html[html.index("nhsuk-error-summary__list") :]
    return [
        re.sub(r"\s+", " ", m).strip() for m in re.findall(r'<a href="#file"\s*>(.*?)</a>', summary, re.S)
    ]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty"),
        (b"\r\n\r\n", "The file is empty"),
        (bytes(range(256)) * 40, "The file is not"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "The file is not"),
        (b"PK\x03\x04\x14\x00\x06\x00", "The file is not"),  # an .xlsx file
        (b"name,email\r\n\x81\x8d\x8f\x90\x9d", "The file is not text"),
        ("name,email\r\nAmina,a@example.org\r\n".encode("utf-16"), "The file is not a CSV file"),
        (
            b"name,email,organisation\r\nA,a@example.org,B\r\n",
            "missing the columns: sector, learnt, commitment, reminder",
        ),
        (
            b"name;email;organisation;sector;learnt;commitment;reminder\r\nA;a@x.org;B;NHS;l;c;yes\r\n",
            "missing the columns",
        ),
        (_csv([]), "The file has a header row but no postcards"),
        (_csv([]) + b",,,,,,,,\r\n", "The file has a header row but no postcards"),
    ],
    ids=[
        "empty",
        "blank-lines",
        "binary",
        "png",
        "xlsx",
        "undecodable",
        "utf-16",
        "missing-columns",
        "semicolons",
        "header-only",
        "blank-row-only",
    ],
)
def test_import_unreadable_file(organiser_client, event, data, message):
    with Unchanged():
        response = _import(organiser_client, event, data)
    errors = _import_errors(response)
    assert len(errors) == 1
    assert message in errors[0]


def test_import_without_a_file(organiser_client, event):
    url = f"/organise/events/{event.slug}/postcards/import/"
    with Unchanged():
        for data in ({}, {"file": "name,email\r\n"}, {"file": ["a", "b"]}):
            assert _import_errors(organiser_client.post(url, data)) == ["Choose a CSV file to import"]


def test_import_a_bad_row_among_good_ones_imports_nothing(organiser_client, event):
    rows = [
        _row(name="One"),
        _row(name="Two", email="not-an-email"),
        _row(name="Three"),
        _row(name="Four", sector="Astronauts", reminder="perhaps"),
        _row(name="Five\x01", learnt="x" * 1001),
        _row(name=""),
    ]
    with Unchanged():
        response = _import(organiser_client, event, _csv(rows))
    errors = _import_errors(response)
    # The header is line 1, so the rows are lines 2 to 7.
    assert errors[0] == "Line 3: email: Enter an email address in the correct format, like name@example.org"
    assert any(e.startswith("Line 5: sector: “Astronauts” is not on the list") for e in errors)
    assert "Line 5: reminder: Reminder must be yes or no" in errors
    assert any(e.startswith("Line 6: learnt:") for e in errors)
    assert "Line 7: name: Enter your name" in errors
    assert not any(e.startswith(("Line 2", "Line 4")) for e in errors)


def test_import_line_numbers_count_multi_line_cells(organiser_client, event):
    rows = [_row(learnt="First line\nsecond line\nthird"), _row(name="Bad", email="bad")]
    response = _import(organiser_client, event, _csv(rows))
    assert _import_errors(response) == [
        "Line 5: email: Enter an email address in the correct format, like name@example.org"
    ]


def test_import_reports_script_escaped(organiser_client, event):
    response = _import(organiser_client, event, _csv([_row(sector=SCRIPT, name=SCRIPT)]))
    errors = _import_errors(response)
    assert errors and "“&lt;script&gt;" in errors[0]
    assert_no_raw_script(response)


def test_import_a_cell_larger_than_the_csv_module_allows(organiser_client, event):
    data = _csv([_row()]) + b'"A",a@example.org,B,NHS,"' + b"x" * 200_000 + b'",c,yes,,\r\n'
    with Unchanged():
        response = _import(organiser_client, event, data)
    errors = _import_errors(response)
    assert len(errors) == 1 and "Line" not in errors[0]


def test_import_unbalanced_quote(organiser_client, event):
    data = _csv([_row()]) + b'"Unclosed,a@example.org,B,NHS,l,c,yes\r\nnext,b@example.org,B,NHS,l,c,yes\r\n'
    with Unchanged():
        response = _import(organiser_client, event, data)
    assert _import_errors(response)


def test_import_too_many_rows(organiser_client, event, monkeypatch):
    from pledgecard.pledges import imports

    monkeypatch.setattr(imports, "MAX_ROWS", 5)
    with Unchanged():
        response = _import(organiser_client, event, _csv([_row(name=f"P{i}") for i in range(6)]))
    assert "more than 5 rows" in _import_errors(response)[0]


def test_import_file_over_ten_megabytes(organiser_client, event):
    data = _csv([_row()]) + b"\r\n" * 5_000_001
    with Unchanged():
        response = _import(organiser_client, event, data)
    assert _import_errors(response) == ["The file is larger than 10 MB. Split it into smaller files."]


def test_import_duplicate_rows_make_one_postcard(organiser_client, event):
    data = _csv([_row(), _row(), _row(name="  amina   HUSSAIN ", email="AMINA@example.org")])
    response = _import(organiser_client, event, data)
    assert response.status_code == 302
    assert Postcard.objects.filter(event=event).count() == 1
    page = organiser_client.get(response["Location"])
    assert "Imported 1 postcards (2 were already there)." in page.content.decode()
    before = Postcard.objects.count(), Message.objects.count()
    again = _import(organiser_client, event, data)  # the same file twice: no copies
    assert again.status_code == 302
    assert (Postcard.objects.count(), Message.objects.count()) == before


def test_import_windows_file_with_bom_and_odd_header(organiser_client, event):
    """Excel's CSV: a byte-order mark, Windows-1252 accents, header cells in any case with spaces."""
    columns = [
        " Name ",
        "EMAIL",
        "Organisation",
        "sector",
        "learnt",
        "commitment",
        "Reminder",
        "theme",
        "share",
    ]
    row = {
        " Name ": "Zoë Brontë",
        "EMAIL": "zoe@example.org",
        "Organisation": "Café",
        "sector": "nhs",
        "learnt": "Naïve – “quoted”",
        "commitment": "Do it",
        "Reminder": "YES",
        "theme": "",
        "share": "Yes",
    }
    for encoding, prefix in [("cp1252", b""), ("utf-8", b"\xef\xbb\xbf")]:
        Postcard.objects.all().delete()
        response = _import(organiser_client, event, prefix + _csv([row], columns=columns, encoding=encoding))
        assert response.status_code == 302, _import_errors(response)
        postcard = Postcard.objects.get()
        assert (postcard.name, postcard.learnt, postcard.wants_reminder, postcard.share_on_wall) == (
            "Zoë Brontë",
            "Naïve – “quoted”",
            True,
            True,
        )


def test_import_formula_cells_are_kept_as_text_and_exported_safely(organiser_client, event):
    formulas = [
        '=HYPERLINK("http://evil.example","Click")',
        "+1+1",
        "-2+3",
        "@SUM(A1:A2)",
        "=cmd|' /C calc'!A0",
    ]
    rows = [_row(name=f, organisation=f, learnt=f, commitment=f) for f in formulas]
    response = _import(organiser_client, event, _csv(rows))
    assert response.status_code == 302
    assert sorted(Postcard.objects.values_list("name", flat=True)) == sorted(formulas)
    export = organiser_client.get(f"/organise/events/{event.slug}/postcards.csv")
    import csv

    cells = [cell for row in csv.reader(io.StringIO(export.content.decode("utf-8-sig"))) for cell in row]
    for formula in formulas:
        assert formula not in cells  # never as a bare cell that a spreadsheet would run
        assert "'" + formula in cells


def test_import_with_extra_and_duplicate_columns(organiser_client, event):
    columns = [*_row(), "notes", "name"]
    data = _csv([{**_row(), "notes": "ignored"}], columns=columns).replace(
        b"ignored,Amina Hussain", b"ignored,Second"
    )
    with Unchanged():
        both = _import(organiser_client, event, data + b"too,many,cells,Local authority,l,c,yes,,,x,y,z,w\r\n")
    # Extra cells are ignored, so the second row's email is "many": reported on its line, nothing saved.
    assert _import_errors(both) == [
        "Line 3: email: Enter an email address in the correct format, like name@example.org"
    ]
    # A repeated column: the last one counts, like the spreadsheet's right-most value; extra columns are ignored.
    response = _import(organiser_client, event, data)
    assert response.status_code == 302
    assert Postcard.objects.get().name == "Second"


# ------------------------------------------------------------------------------- alliance and event forms


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"contact_email": "a@example.org"}, "name", "Enter the name of the alliance"),
        ({"name": "   ", "contact_email": "a@example.org"}, "name", "Enter the name of the alliance"),
        ({"name": "Alliance"}, "contact_email", "Enter a contact email address"),
        ({"name": "Alliance", "contact_email": "nope"}, "contact_email", None),
        ({"name": "Alliance", "contact_email": "a@example.org\nBcc: x@evil.example"}, "contact_email", None),
        ({"name": "x" * 201, "contact_email": "a@example.org"}, "name", "200 characters or fewer"),
        (
            {"name": "!!! ???", "contact_email": "a@example.org"},
            "name",
            "Enter a name with some letters or numbers",
        ),
        (
            {"name": "🙂🙂", "contact_email": "a@example.org"},
            "name",
            "Enter a name with some letters or numbers",
        ),
        ({"name": "Al\x00liance", "contact_email": "a@example.org"}, "name", None),
        ({"name": "Alliance", "contact_email": "a\x00@example.org"}, "contact_email", None),
    ],
)
def test_alliance_form_bad_input(organiser_client, data, field, message):
    with Unchanged():
        response = organiser_client.post("/organise/alliances/new/", data)
    assert_field_error(response, field, message)


@pytest.mark.parametrize(
    "name", [SCRIPT + " Alliance", "Zoë’s \u202eRTL\u202c alliance 👍", "Ünïcödé Allïance"]
)
def test_alliance_odd_names_are_saved_and_escaped(organiser_client, name):
    response = organiser_client.post(
        "/organise/alliances/new/", {"name": name, "contact_email": "a@example.org"}
    )
    assert response.status_code == 302
    alliance = Alliance.objects.get(name=name)
    assert re.fullmatch(r"[a-z0-9-]+", alliance.slug)
    for url in [response["Location"], "/organise/"]:
        page = organiser_client.get(url)
        assert page.status_code == 200
        assert str(escape(name)) in assert_no_raw_script(page)


def _event_data(**overrides):
    data = {
        "title": "Spring event",
        "date": "1/6/2031",
        "venue": "Hall",
        "time_zone": "Europe/London",
        "summary": "",
        "reminder_date": "",
        "reminder_time": "10:00:00",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"title": ""}, "title", "Enter the event title"),
        ({"title": "x" * 201}, "title", "200 characters or fewer"),
        ({"title": "Spring\x00"}, "title", None),
        ({"date": ""}, "date", "Enter the date of the event"),
        ({"date": "31/02/2031"}, "date", None),
        ({"date": "tomorrow"}, "date", None),
        ({"date": "2031-13-01"}, "date", None),
        ({"date": "1/6/2031\x00"}, "date", None),
        ({"date": "31/12/9999"}, "date", None),
        ({"date": "01/01/0001"}, "date", None),
        ({"date": "1/6/2031", "reminder_date": "1/6/2031"}, "reminder_date", "must be after the event"),
        ({"reminder_date": "31/12/9999"}, "reminder_date", None),
        ({"venue": "v" * 201}, "venue", None),
        ({"summary": "s" * 2001}, "summary", None),
        ({"summary": "s\x00"}, "summary", None),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", None),
        ({"time_zone": "Europe/London\x00"}, "time_zone", None),
        ({"time_zone": ""}, "time_zone", None),
        ({"reminder_time": "01:00:00"}, "reminder_time", None),  # the hour that happens twice
        ({"reminder_time": "25:00:00"}, "reminder_time", None),
        ({"reminder_time": "ten"}, "reminder_time", None),
    ],
)
def test_event_form_bad_input(organiser_client, alliance, overrides, field, message):
    with Unchanged():
        response = organiser_client.post(
            f"/organise/alliances/{alliance.slug}/events/new/", _event_data(**overrides)
        )
    assert_field_error(response, field, message)


def test_event_title_and_venue_are_one_line(organiser_client, alliance):
    """The title goes into email subjects: a line break there would stop every email of the event."""
    title = "Spring event\r\nBcc: everyone@example.org"
    response = organiser_client.post(
        f"/organise/alliances/{alliance.slug}/events/new/", _event_data(title=title, venue="Hall\nRoom 2")
    )
    assert response.status_code == 302
    event = Event.objects.get(title__startswith="Spring")
    assert "\n" not in event.title and "\r" not in event.title
    assert "\n" not in event.venue
    client = Client()
    client.post(f"/e/{event.slug}/", postcard_data())
    from pledgecard.delivery.sending import deliver_due

    assert deliver_due().outcomes.get("sent") == 1


def test_event_odd_text_is_saved_and_escaped(organiser_client, alliance):
    title = f"{SCRIPT} 👩🏽‍⚕️ \u202eRTL"
    response = organiser_client.post(
        f"/organise/alliances/{alliance.slug}/events/new/",
        _event_data(title=title, venue=SCRIPT, summary=SCRIPT),
    )
    assert response.status_code == 302
    event = Event.objects.get()
    assert event.title == title and re.fullmatch(r"[a-z0-9-]+", event.slug)
    for url in [response["Location"], "/organise/", f"/e/{event.slug}/", f"/e/{event.slug}/wall/"]:
        page = organiser_client.get(url)
        assert page.status_code == 200
        assert str(escape(title)) in assert_no_raw_script(page)
    qr = organiser_client.get(f"/organise/events/{event.slug}/qr.svg")
    assert qr.status_code == 200 and "<script>alert" not in qr.content.decode()


def test_event_form_list_values_never_500(organiser_client, alliance):
    data = _event_data(title=["One", "Two"], date=["x", "1/6/2031"], time_zone=["Bad/Zone", "Europe/London"])
    response = organiser_client.post(f"/organise/alliances/{alliance.slug}/events/new/", data)
    assert response.status_code == 302
    assert Event.objects.get().title == "Two"


def test_event_form_for_unknown_alliance(organiser_client):
    with Unchanged():
        assert (
            organiser_client.post("/organise/alliances/no-such/events/new/", _event_data()).status_code == 404
        )
        assert (
            organiser_client.post("/organise/alliances/bad slug!/events/new/", _event_data()).status_code
            == 404
        )


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"reminder_time": "10:00:00"}, "reminder_date", "Enter the new day for the reminders"),
        (
            {"reminder_date": "1/1/2001", "reminder_time": "10:00:00"},
            "reminder_date",
            "The new day must be today or later",
        ),
        ({"reminder_date": "31/12/9999", "reminder_time": "10:00:00"}, "reminder_date", None),
        ({"reminder_date": "30/02/2031", "reminder_time": "10:00:00"}, "reminder_date", None),
        ({"reminder_date": "soon", "reminder_time": "10:00:00"}, "reminder_date", None),
        ({"reminder_date": "1/6/2031\x00", "reminder_time": "10:00:00"}, "reminder_date", None),
        ({"reminder_date": "1/6/2031"}, "reminder_time", None),
        ({"reminder_date": "1/6/2031", "reminder_time": "03:00:00"}, "reminder_time", None),
        ({"reminder_date": "1/6/2031", "reminder_time": "10:00:00\x00"}, "reminder_time", None),
    ],
)
def test_reschedule_bad_input(organiser_client, event, data, field, message):
    Client().post(f"/e/{event.slug}/", postcard_data())
    due = list(Message.objects.values_list("due_at", flat=True))
    before = (event.reminder_date, event.reminder_time)
    with Unchanged():
        response = organiser_client.post(f"/organise/events/{event.slug}/reschedule/", data)
    assert_field_error(response, field, message)
    assert "Move the day for the whole event" in response.content.decode()  # the event page, drawn again
    event.refresh_from_db()
    assert (event.reminder_date, event.reminder_time) == before
    assert list(Message.objects.values_list("due_at", flat=True)) == due


def test_reschedule_script_comes_back_escaped(organiser_client, event):
    response = organiser_client.post(f"/organise/events/{event.slug}/reschedule/", {"reminder_date": SCRIPT})
    assert_field_error(response, "reminder_date")
    assert str(escape(SCRIPT)) in assert_no_raw_script(response)


def test_unknown_ids_in_urls_are_404(organiser_client, event):
    """Non-numeric, unknown and malformed ids in addresses: 404, never 500."""
    urls = [
        "/postcards/not-a-uuid/",
        "/postcards/1/",
        "/postcards/00000000-0000-0000-0000-000000000000/",
        "/p/%00/",
        "/p/' OR 1=1 --/",
        "/e/%00/",
        "/e/" + "x" * 5000 + "/",
        "/organise/events/%00/",
        "/organise/events/no-such/postcards.csv",
        "/organise/events/no-such/qr.svg",
        "/organise/alliances/%E2%80%AE/events/new/",
    ]
    for url in urls:
        assert organiser_client.get(url).status_code == 404, url


# ------------------------------------------------------------------ every form on every page, swept


class _Forms(HTMLParser):
    """The POST forms of a page: action, and each field's name with a value a browser would send."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select = [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = {"action": a.get("action") or "", "fields": {}, "choices": set()}
            self.forms.append(self._form)
        elif self._form is None or "name" not in a:
            return
        elif tag == "input" and a.get("type") not in ("submit", "file"):
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                self._form["choices"].add(a["name"])
                self._form["fields"].setdefault(a["name"], a.get("value", "on"))
            else:
                self._form["fields"][a["name"]] = a.get("value", "")
        elif tag == "textarea":
            self._form["fields"][a["name"]] = ""
        elif tag == "select":
            self._select = a["name"]
            self._form["choices"].add(a["name"])
            self._form["fields"][a["name"]] = ""
        elif tag == "option" and self._select and a.get("value") and not self._form["fields"][self._select]:
            self._form["fields"][self._select] = a["value"]

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _post_forms(client, page_url):
    page = client.get(page_url)
    assert page.status_code == 200, (page_url, page.status_code)
    parser = _Forms()
    parser.feed(page.content.decode())
    return [({**f, "action": f["action"] or page_url}) for f in parser.forms if "logout" not in f["action"]]


@pytest.fixture
def every_form_page(client, event, organiser):
    """(client, page) pairs: every page of the app that has a form, reached as the person who uses it."""
    from pledgecard.events.models import Registration
    from pledgecard.workshops.models import Session, Slot, Workshop

    attendee = Client()
    postcard = written_postcard(attendee, event)
    registration = Registration.objects.create(
        event=event,
        name="Ravi",
        email="ravi@example.org",
        organisation="Org",
        sector=Sector.objects.get(name="NHS"),
    )
    attendee.get(f"/r/{registration.token}/")
    slot = Slot.objects.create(event=event, starts_at=dt.time(13, 30), ends_at=dt.time(14, 30))
    Session.objects.create(
        workshop=Workshop.objects.create(event=event, title="Housing"), slot=slot, capacity=5
    )
    client.force_login(organiser)
    pages = [
        (attendee, u)
        for u in [
            f"/e/{event.slug}/",
            f"/events/{event.slug}/",
            f"/postcards/{postcard.public_id}/",
            f"/postcards/{postcard.public_id}/refresh/",
            f"/registrations/{registration.public_id}/change/",
            f"/registrations/{registration.public_id}/meet/",
        ]
    ]
    pages += [
        (client, u)
        for u in [
            "/organise/alliances/new/",
            f"/organise/alliances/{event.alliance.slug}/events/new/",
            f"/organise/events/{event.slug}/",
            f"/organise/events/{event.slug}/postcards/paper/",
            f"/organise/events/{event.slug}/workshops/",
            f"/organise/events/{event.slug}/workshops/choices/",
            f"/organise/events/{event.slug}/check-in/walk-in/",
            f"/organise/events/{event.slug}/attendees/",
            f"/organise/events/{event.slug}/meet/",
            "/organise/people/",
            f"/organise/alliances/{event.alliance.slug}/insights/theme-words/",
            f"/organise/alliances/{event.alliance.slug}/insights/impact-page/",
        ]
    ]
    pages += _issue11_pages(event, attendee, client, postcard)
    return pages


def _issue11_pages(event, attendee, organiser, postcard):
    """Resources, short links, stories and the pledge wall: every page with a form."""
    from pledgecard.resources import services as resources
    from pledgecard.stories.models import Story

    from .makers import make_story

    alliance = event.alliance.slug
    Postcard.objects.filter(pk=postcard.pk).update(wall_status="published")
    waiting = make_story(event.alliance)
    returned = make_story(event.alliance, title="Returned", status=Story.Status.RETURNED)
    attendee.get(f"/s/{returned.token}/")
    resource = resources.resource_create(alliance=event.alliance, details=resources.ResourceDetails(
        title="R", summary="", version="", themes=[], external_url="https://www.example.org/r"))
    pages = [(attendee, u) for u in [f"/stories/{alliance}/new/", f"/my-story/{returned.public_id}/",
                                     f"/e/{event.slug}/wall/"]]
    pages += [(organiser, u) for u in [
        f"/organise/alliances/{alliance}/resources/",
        f"/organise/alliances/{alliance}/resources/new/",
        f"/organise/alliances/{alliance}/resources/{resource.public_id}/",
        f"/organise/alliances/{alliance}/stories/{waiting.public_id}/",
        f"/organise/events/{event.slug}/wall/",
    ]]
    return pages


@pytest.mark.parametrize(
    "poison", [f"Am\x00ina {SCRIPT}", f"\u202e👩🏽‍⚕️e\u0301 {SCRIPT}"], ids=["nul", "unicode"]
)
def test_every_form_field_survives_poison(every_form_page, poison):
    """Every field of every POST form on the app's pages, poisoned at once: an answer, never a 500."""
    swept = 0
    for client, page_url in every_form_page:
        for form in _post_forms(client, page_url):
            data = {
                name: (value + poison if name in form["choices"] else poison)
                for name, value in form["fields"].items()
                if name != "csrfmiddlewaretoken"
            }
            response = client.post(form["action"], data)
            assert response.status_code < 500, (form["action"], response.status_code)
            if response.status_code == 200 or response.status_code == 400:
                assert "<script>alert" not in response.content.decode(), form["action"]
            swept += 1
    assert swept >= 15  # the forms found on those pages (a page may hold several)


# ------------------------------------------- resources, short links, stories and the pledge wall (issue 11)


def _resource(**overrides):
    data = {"title": "Call to action", "summary": "", "version": "", "external_url": "https://www.example.org/cta",
            "code": "", "position": ""}
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"title": ""}, "title", "Enter the title of the resource"),
        ({"title": "x" * 201}, "title", "200 characters or fewer"),
        ({"title": "Call\x00"}, "title", None),
        ({"summary": "s" * 601}, "summary", "600 characters or fewer"),
        ({"version": "v" * 61}, "version", "60 characters or fewer"),
        ({"external_url": ""}, "file", "Upload a PDF, or give the web address of the document"),
        ({"external_url": "javascript:alert(1)"}, "external_url", "can only open a web page"),
        ({"external_url": "data:text/html;base64,PHNjcmlwdD4="}, "external_url", "can only open a web page"),
        ({"external_url": "https://exa mple.org"}, "external_url", "must not contain spaces"),
        ({"external_url": "https://x.org/" + "a" * 2000}, "external_url", "2000 characters or fewer"),
        ({"code": "has spaces"}, "code", "A code may have letters"),
        ({"code": "admin"}, "code", "kept for the site itself"),
        ({"code": "x" * 41}, "code", "40 characters or fewer"),
        ({"position": "first"}, "position", "Enter a whole number"),
        ({"position": "-1"}, "position", "Enter 0 or more"),
        ({"position": "99999999999999999999999"}, "position", None),
        ({"themes": ["99999"]}, "themes", "Select themes from the list"),
        ({"themes": ["abc"]}, "themes", "Select themes from the list"),
        ({"themes": ["\x00"]}, "themes", "Select themes from the list"),
    ],
)
def test_resource_form_bad_input(organiser_client, alliance, overrides, field, message):
    with Unchanged():
        response = organiser_client.post(f"/organise/alliances/{alliance.slug}/resources/new/", _resource(**overrides))
    assert_field_error(response, field, message)


def test_resource_form_without_a_file_field_at_all_is_a_field_error(organiser_client, alliance):
    with Unchanged():
        response = organiser_client.post(f"/organise/alliances/{alliance.slug}/resources/new/",
                                         _resource(external_url="", file="not a file"))
    assert_field_error(response, "file", "Upload a PDF, or give the web address of the document")


def test_resource_edit_bad_input_keeps_what_was_saved(organiser_client, alliance):
    from pledgecard.resources import services as resources

    resource = resources.resource_create(alliance=alliance, details=resources.ResourceDetails(
        title="Saved", summary="", version="v1", themes=[], external_url="https://www.example.org/saved"))
    url = f"/organise/alliances/{alliance.slug}/resources/{resource.public_id}/"
    with Unchanged():
        response = organiser_client.post(url, _resource(title="", external_url="javascript:alert(1)"))
    assert_field_error(response, "title")
    assert_field_error(response, "external_url")
    resource.refresh_from_db()
    assert (resource.title, resource.external_url) == ("Saved", "https://www.example.org/saved")
    with Unchanged():
        assert organiser_client.post(
            f"/organise/alliances/{alliance.slug}/resources/00000000-0000-0000-0000-000000000000/",
            _resource()).status_code == 404


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({}, "url", "Enter the web address the short link opens"),
        ({"url": "javascript:alert(1)"}, "url", "can only open a web page"),
        ({"url": "vbscript:msgbox"}, "url", "can only open a web page"),
        ({"url": "file:///etc/passwd"}, "url", "can only open a web page"),
        ({"url": "https://example.org/\x00"}, "url", None),
        ({"url": "https://example.org/", "code": "bad code!"}, "code", "A code may have letters"),
        ({"url": ["https://example.org/", "javascript:alert(1)"]}, "url", "can only open a web page"),
    ],
)
def test_link_form_bad_input(organiser_client, alliance, data, field, message):
    with Unchanged():
        response = organiser_client.post(f"/organise/alliances/{alliance.slug}/links/", data)
    assert_field_error(response, field, message)
    assert "Make a short link to any web page" in response.content.decode()  # the page, drawn again


def test_link_form_taken_code(organiser_client, alliance):
    from pledgecard.resources import services as resources

    resources.link_create(alliance=alliance, url="https://example.org/a", code="taken")
    with Unchanged():
        response = organiser_client.post(f"/organise/alliances/{alliance.slug}/links/",
                                         {"url": "https://example.org/b", "code": "TAKEN"})
    assert_field_error(response, "code", "is already used")


def _story(**overrides):
    data = {"title": "We asked first", "text": "A story.", "name": "Saima Hussain", "organisation": "",
            "email": "saima@example.org", "credit": "named"}
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"title": ""}, "title"),
        ({"title": "t" * 151}, "title"),
        ({"text": ""}, "text"),
        ({"text": "\x00"}, "text"),
        ({"name": "n" * 121}, "name"),
        ({"organisation": "o" * 201}, "organisation"),
        ({"email": "saima@example.org\nBcc: all@example.org"}, "email"),
        ({"credit": ["named", "bogus"]}, "credit"),
        ({"image_alt": "a" * 301}, "image_alt"),
        ({"image": "text, not a file", "image_alt": "x", "credit": "nope"}, "credit"),
    ],
)
def test_story_form_bad_input(client, alliance, overrides, field):
    with Unchanged():
        response = client.post(f"/stories/{alliance.slug}/new/", _story(**overrides))
    assert_field_error(response, field)
    assert_no_raw_script(response)


def test_story_form_script_comes_back_escaped(client, alliance):
    with Unchanged():
        response = client.post(f"/stories/{alliance.slug}/new/", _story(title=SCRIPT, text=SCRIPT, email="bad"))
    assert_field_error(response, "email")
    assert assert_no_raw_script(response).count(str(escape(SCRIPT))) >= 2


def test_story_title_is_one_line(client, alliance):
    """The title goes into the author's email subject: a line break there would stop the email."""
    from pledgecard.stories.models import Story

    response = client.post(f"/stories/{alliance.slug}/new/", _story(title="Our work\r\nBcc: everyone@example.org"))
    assert response.status_code == 302
    assert Story.objects.get().title == "Our work Bcc: everyone@example.org"
    from pledgecard.delivery.sending import deliver_due

    assert deliver_due().outcomes.get("sent") == 1


def test_story_resubmit_bad_input_keeps_the_story(client, alliance):
    from pledgecard.stories.models import Story

    from .makers import make_story

    story = make_story(alliance, status=Story.Status.RETURNED)
    client.get(f"/s/{story.token}/")
    with Unchanged():
        response = client.post(f"/my-story/{story.public_id}/", _story(title="", text="x" * 10_001))
    assert_field_error(response, "title")
    assert_field_error(response, "text")
    story.refresh_from_db()
    assert story.status == Story.Status.RETURNED and story.title == "We asked the mosque first"


@pytest.mark.parametrize("note, message", [
    ("", "Write a note to the author"),
    ("   \n ", "Write a note to the author"),
    ("n" * 2001, "2000 characters or fewer"),
    ("Add\x00 a ward", None),
])
def test_story_return_note_bad_input(organiser_client, alliance, note, message):
    from pledgecard.stories.models import Story

    from .makers import make_story

    story = make_story(alliance)
    with Unchanged():
        response = organiser_client.post(f"/organise/alliances/{alliance.slug}/stories/{story.public_id}/return/",
                                         {"note": note})
    assert_field_error(response, "note", message)
    story.refresh_from_db()
    assert story.status == Story.Status.SUBMITTED


def test_story_urls_with_odd_ids_are_404(organiser_client, alliance):
    for url in [f"/stories/{alliance.slug}/not-a-uuid/", "/stories/no-such/", "/stories/no-such/feed/",
                f"/stories/{alliance.slug}/00000000-0000-0000-0000-000000000000/picture",
                "/s/%00/", "/s/' OR 1=1 --/", "/my-story/00000000-0000-0000-0000-000000000000/",
                f"/organise/alliances/{alliance.slug}/stories/00000000-0000-0000-0000-000000000000/",
                "/go/%00", "/go/" + "x" * 5000, f"/organise/alliances/{alliance.slug}/links/%00/",
                "/resources/00000000-0000-0000-0000-000000000000/x.pdf"]:
        assert organiser_client.get(url).status_code == 404, url
