"""Short links: codes, allowed targets, what counts as a click, the helpful 404, QR codes and the CLI."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from pledgecard.resources import links, services
from pledgecard.resources.models import LinkClickDay, ShortLink

from .makers import make_resource

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


def clicks(link) -> int:
    return sum(LinkClickDay.objects.filter(link=link).values_list("clicks", flat=True))


@pytest.fixture
def link(alliance):
    return services.link_create(alliance=alliance, url="https://www.example.org/plan", code="plan")


# --- codes --------------------------------------------------------------------------------------------------


def test_generated_codes_are_short_and_unambiguous(alliance):
    codes = {services.link_create(alliance=alliance, url=f"https://example.org/{n}").code for n in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == links.GENERATED_LENGTH
        assert not set(code) & set("0O1lIi"), code
        assert code == code.lower()


def test_codes_are_case_insensitive_and_unique(alliance, link):
    assert Client().get("/go/PLAN", HTTP_USER_AGENT=FIREFOX)["Location"] == "https://www.example.org/plan"
    with pytest.raises(services.CodeTaken):
        services.link_create(alliance=alliance, url="https://example.org/other", code="Plan")
    assert ShortLink.objects.count() == 1


@pytest.mark.parametrize(
    "code",
    [
        "has space",
        "slash/inside",
        "-leading",
        "x" * 41,
        "admin",
        "Organise",
        "é-accent",
        "semi;colon",
        "a\x00b",
    ],
)
def test_bad_codes_are_refused(alliance, code):
    with pytest.raises(links.LinkRefused):
        services.link_create(alliance=alliance, url="https://example.org/", code=code)
    assert not ShortLink.objects.exists()


# --- targets ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "ftp://example.org/file",
        "mailto:someone@example.org",
        "//evil.example/",
        "/go/other",
        "https://",
        "https://user:pass@example.org/",
        "https://exa mple.org/",
        "http://[::1",
        "https://example.org:99999/",
        "https:\\\\evil.example",
        "",
    ],
)
def test_disallowed_targets_are_refused(alliance, url):
    with pytest.raises(links.LinkRefused):
        services.link_create(alliance=alliance, url=url)
    assert not ShortLink.objects.exists()


def test_addresses_as_written_on_slides_become_https(alliance):
    link = services.link_create(alliance=alliance, url="www.bit.ly/InequalitiesCallToAction")
    assert link.target_url == "https://www.bit.ly/InequalitiesCallToAction"


def test_a_disallowed_target_saved_by_hand_is_never_followed(alliance, link):
    """Defence in depth: a row changed behind the service's back (admin, restore) still goes nowhere bad."""
    for bad in ["javascript:alert(document.cookie)", "data:text/html,hi", " JAVASCRIPT:alert(1)"]:
        ShortLink.objects.filter(pk=link.pk).update(target_url=bad)
        response = Client().get("/go/plan", HTTP_USER_AGENT=FIREFOX)
        assert response.status_code == 404
        assert "Location" not in response
        assert "javascript" not in response.content.decode().lower()
    assert clicks(link) == 0


def test_link_to_a_resource_opens_its_current_file(alliance):
    resource = make_resource(alliance, code="cta")
    response = Client().get("/go/cta", HTTP_USER_AGENT=FIREFOX)
    assert response.status_code == 302
    assert response["Location"] == f"/resources/{resource.public_id}/{resource.file_name}"
    file = Client().get(response["Location"])
    assert file.status_code == 200 and file["Content-Type"] == "application/pdf"
    services.resource_archive(resource)
    gone = Client().get("/go/cta", HTTP_USER_AGENT=FIREFOX)
    assert gone.status_code == 404 and "no longer opens anything" in gone.content.decode()


# --- counting -----------------------------------------------------------------------------------------------


def test_a_persons_click_is_counted_once_per_request_with_no_personal_data(link):
    browser = Client(HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="203.0.113.7")
    response = browser.get("/go/plan")
    assert response.status_code == 302 and response["Location"] == "https://www.example.org/plan"
    assert response["Cache-Control"] == "no-store"  # so the next click reaches us and is counted
    assert "Set-Cookie" not in response and not response.cookies
    browser.get("/go/plan", HTTP_USER_AGENT=CHROME_PHONE)
    assert clicks(link) == 2
    [row] = LinkClickDay.objects.values()
    assert set(row) == {"id", "link_id", "day", "clicks"}  # a day and a number: nothing about who
    assert row["day"] == timezone.localdate()


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_PURPOSE": "prefetch"},
        {"HTTP_SEC_PURPOSE": "prefetch;prerender"},
        {"HTTP_PURPOSE": "prefetch"},
        {"HTTP_X_PURPOSE": "preview"},
        {"HTTP_X_MOZ": "prefetch"},
    ],
    ids=["sec-purpose", "prerender", "purpose", "x-purpose", "x-moz"],
)
def test_prefetches_are_followed_but_not_counted(link, headers):
    response = Client().get("/go/plan", HTTP_USER_AGENT=CHROME_PHONE, **headers)
    assert response.status_code == 302
    assert clicks(link) == 0


def test_head_requests_are_not_counted(link):
    response = Client().head("/go/plan", HTTP_USER_AGENT=FIREFOX)
    assert response.status_code == 302
    assert clicks(link) == 0


@pytest.mark.parametrize(
    "agent",
    [
        # Microsoft Safe Links / Defender and other mail filters
        "Mozilla/5.0 (compatible; MSOffice 16; Microsoft Office Safe Links)",
        "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
        "Mozilla/4.0 (compatible; ms-office; MSOffice 16)",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) BingPreview/1.0b",
        "Proofpoint URL Defense",
        "Mimecast-URL-Protect/1.0",
        "Barracuda Sentinel (EE)",
        # link previews and robots
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "WhatsApp/2.23.20.0",
        "TelegramBot (like TwitterBot)",
        "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 "
        "Safari/537.36",
        "curl/8.5.0",
        "python-requests/2.32.3",
        "",
    ],
    ids=lambda a: a[:30] or "no-agent",
)
def test_link_scanners_are_followed_but_not_counted(link, agent):
    response = Client().get("/go/plan", HTTP_USER_AGENT=agent)
    assert response.status_code == 302
    assert clicks(link) == 0


def test_ordinary_browsers_are_counted(link):
    for agent in [
        FIREFOX,
        CHROME_PHONE,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
        "Mozilla/5.0 (Linux; Android 13; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0 Mobile Safari/537.36",
    ]:
        Client().get("/go/plan", HTTP_USER_AGENT=agent)
    assert clicks(link) == 5


def test_clicks_are_counted_per_day(link):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    services.click_record(link, on=yesterday)
    services.click_record(link, on=yesterday)
    Client().get("/go/plan", HTTP_USER_AGENT=FIREFOX)
    assert dict(LinkClickDay.objects.values_list("day", "clicks")) == {yesterday: 2, timezone.localdate(): 1}
    by_day = services.clicks_by_day(link, days=3)
    assert [d.clicks for d in by_day] == [1, 2, 0]


def test_unknown_code_gets_a_helpful_404(db):
    response = Client().get("/go/InequaIitiesCa11ToAction", HTTP_USER_AGENT=FIREFOX)
    assert response.status_code == 404
    html = response.content.decode()
    assert "There is no short link with that code" in html
    assert "capital and small letters are the same" in html
    assert "never use 0, O, 1, l or I" in html and "1, I" in html
    assert not LinkClickDay.objects.exists()


def test_post_to_a_short_link_is_refused(link):
    assert Client().post("/go/plan").status_code == 405
    assert clicks(link) == 0


# --- organisers ---------------------------------------------------------------------------------------------


def test_organiser_makes_a_link_sees_its_clicks_and_qr(organiser_client, alliance):
    response = organiser_client.post(
        f"/organise/alliances/{alliance.slug}/links/",
        {"url": "https://www.example.org/report", "code": "Report2024"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/organise/alliances/{alliance.slug}/links/Report2024/"
    for _ in range(3):
        Client().get("/go/report2024", HTTP_USER_AGENT=FIREFOX)
    page = organiser_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "Clicks, all time" in html and ">3<" in html
    listing = organiser_client.get(f"/organise/alliances/{alliance.slug}/resources/").content.decode()
    assert "/go/Report2024" in listing and "https://www.example.org/report" in listing
    qr = organiser_client.get(f"/organise/alliances/{alliance.slug}/links/Report2024/qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content and b"QR code for http://" in qr.content


def test_qr_code_encodes_the_short_url(organiser_client, alliance, link, settings):
    import segno

    settings.SITE_URL = "https://pledgecard.example.org"
    svg = organiser_client.get(f"/organise/alliances/{alliance.slug}/links/plan/qr.svg").content
    expected = io.BytesIO()
    segno.make("https://pledgecard.example.org/go/plan", error="m").save(
        expected, kind="svg", scale=8, title="QR code for https://pledgecard.example.org/go/plan"
    )
    assert svg == expected.getvalue()


def test_organisers_of_another_alliance_cannot_see_a_link(client, alliance, link):
    from pledgecard.core.models import Alliance

    from .conftest import make_organiser

    other = Alliance.objects.create(name="Other", slug="other", contact_email="o@example.org")
    client.force_login(make_organiser(other, email="other@example.org"))
    assert client.get(f"/organise/alliances/{alliance.slug}/links/plan/").status_code == 403
    assert client.get("/organise/alliances/other/links/plan/").status_code == 404  # not theirs: not found


# --- the command line ---------------------------------------------------------------------------------------


def test_cli_add_prints_the_short_url_and_list_prints_csv(alliance, settings):
    settings.SITE_URL = "https://pledgecard.example.org"
    out = io.StringIO()
    call_command("links", "add", alliance.slug, "https://www.example.org/a", "--code", "first", stdout=out)
    assert out.getvalue().strip() == "https://pledgecard.example.org/go/first"
    out = io.StringIO()
    call_command("links", "add", alliance.slug, "https://www.example.org/b", stdout=out)
    generated = out.getvalue().strip().rsplit("/", 1)[-1]
    assert len(generated) == links.GENERATED_LENGTH
    for _ in range(2):
        Client().get("/go/first", HTTP_USER_AGENT=FIREFOX)
    out = io.StringIO()
    call_command("links", "list", alliance.slug, stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["code", "url", "clicks"]
    assert sorted(rows[1:]) == sorted(
        [["first", "https://www.example.org/a", "2"], [generated, "https://www.example.org/b", "0"]]
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["add", "no-such", "https://example.org/"], "There is no alliance"),
        (["add", "test-alliance", "javascript:alert(1)"], "can only open a web page"),
        (["add", "test-alliance", "data:text/html,x"], "can only open a web page"),
        (["add", "test-alliance", "https://example.org/", "--code", "bad code"], "A code may have"),
    ],
)
def test_cli_refuses_bad_input(alliance, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("links", *args, stdout=io.StringIO())
    assert not ShortLink.objects.exists()
