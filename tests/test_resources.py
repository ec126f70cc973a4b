"""Resources: uploads checked by content, files served safely, where resources are shown, and the demo."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from pledgecard.core import uploads
from pledgecard.delivery.sending import deliver_due
from pledgecard.pledges.models import Theme
from pledgecard.resources import services
from pledgecard.resources.models import Resource, ShortLink
from pledgecard.resources.selectors import resources_for

from .conftest import postcard_data
from .makers import jpeg_with_location, make_resource, pdf_bytes

pytestmark = pytest.mark.django_db


def new_url(alliance):
    return f"/organise/alliances/{alliance.slug}/resources/new/"


def upload(data: bytes, name="document.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def resource_data(**overrides):
    data = {
        "title": "Reducing inequalities: a call to action",
        "summary": "What each of us can do.",
        "version": "November 2023",
        "code": "",
        "external_url": "",
        "position": "",
    }
    data.update(overrides)
    return data


# --- uploads: by content, not by name -----------------------------------------------------------------------


def test_organiser_uploads_a_pdf_and_it_is_served_safely(organiser_client, alliance):
    pdf = pdf_bytes()
    maternity = Theme.objects.get(name="Maternity")
    response = organiser_client.post(
        new_url(alliance),
        {
            **resource_data(code="InequalitiesCallToAction", themes=[str(maternity.pk)]),
            "file": upload(pdf, name="../../Call to Action (final).PDF"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    resource = Resource.objects.get()
    assert resource.file.startswith("resources/") and resource.file.endswith(".pdf")
    assert ".." not in resource.file and "Call" not in resource.file  # our name, never the uploader's path
    assert resource.file_name == "Call-to-Action-final.pdf"
    assert list(resource.themes.all()) == [maternity]
    assert resource.short_link.code == "InequalitiesCallToAction"
    served = Client().get(f"/resources/{resource.public_id}/{resource.file_name}")
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == pdf
    assert served["Content-Type"] == "application/pdf"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"] == 'inline; filename="Call-to-Action-final.pdf"'
    assert (
        "sandbox" in served["Content-Security-Policy"]
        and "default-src 'none'" in served["Content-Security-Policy"]
    )


@pytest.mark.parametrize(
    "data, name, content_type",
    [
        (b"<html><script>alert(1)</script></html>", "call-to-action.pdf", "application/pdf"),
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "picture.png", "image/png"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "document.pdf", "application/pdf"),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100, "report.pdf", "application/pdf"),
        (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "cut-short.pdf", "application/pdf"),  # no %%EOF: not whole
        (
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
            "forged.png",
            "image/png",
        ),  # a PNG's first bytes, then nothing real
        (b"\xff\xd8\xff\xe0" + b"not a jpeg at all" * 10, "forged.jpg", "image/jpeg"),
    ],
    ids=[
        "html-as-pdf",
        "svg-as-png",
        "exe-as-pdf",
        "zip-as-pdf",
        "truncated-pdf",
        "forged-png",
        "forged-jpeg",
    ],
)
def test_forged_file_types_are_refused(organiser_client, alliance, data, name, content_type):
    response = organiser_client.post(
        new_url(alliance), {**resource_data(), "file": upload(data, name, content_type)}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#file"' in html and 'id="file-error"' in html
    assert re.search(r"The file (must be a PDF|is not a complete PDF)|The picture could not be read", html), (
        html
    )
    assert not Resource.objects.exists() and not ShortLink.objects.exists()


def test_oversized_file_is_refused_with_a_clear_message_and_not_stored(
    organiser_client, alliance, settings, tmp_path
):
    settings.PLEDGECARD_RESOURCE_MAX_BYTES = 200_000
    big = pdf_bytes() + b"%" + b"x" * 250_000 + b"\n%%EOF\n"
    response = organiser_client.post(new_url(alliance), {**resource_data(), "file": upload(big)})
    assert response.status_code == 400
    assert "The file must be smaller than 0.2 MB" in response.content.decode()
    assert not Resource.objects.exists()
    import pathlib

    assert not any(pathlib.Path(settings.MEDIA_ROOT).rglob("*.pdf"))


def test_upload_limit_skips_the_file_while_it_arrives(rf, settings):
    """The handler stops a file past the limit as it streams in: it is never handed to the view whole."""
    from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
    from django.test.client import encode_multipart

    settings.PLEDGECARD_STORY_IMAGE_MAX_BYTES = 10_000
    body = encode_multipart("BoUnDaRy", {"title": "t", "image": upload(b"\x89PNG" + b"x" * 50_000, "a.png")})
    request = rf.post("/", data=body, content_type="multipart/form-data; boundary=BoUnDaRy")
    request.upload_handlers = [
        uploads.LimitedUploadHandler(request, 10_000),
        MemoryFileUploadHandler(request),
        TemporaryFileUploadHandler(request),
    ]
    assert request.POST["title"] == "t"
    assert "image" not in request.FILES
    assert uploads.too_large(request, "image")


def test_a_pdf_with_active_content_is_only_a_download(organiser_client, alliance):
    scripted = (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /OpenAction 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /S /JavaScript /JS (app.alert('hi')) >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    response = organiser_client.post(new_url(alliance), {**resource_data(), "file": upload(scripted)})
    assert response.status_code == 302
    resource = Resource.objects.get()
    assert not resource.file_inline
    served = Client().get(f"/resources/{resource.public_id}/{resource.file_name}")
    assert served["Content-Disposition"].startswith("attachment;")
    assert served["Content-Type"] == "application/pdf" and served["X-Content-Type-Options"] == "nosniff"


def test_a_picture_is_decoded_and_written_again_without_its_metadata(organiser_client, alliance):
    photo = jpeg_with_location()
    assert b"SecretCameraMaker" in photo
    response = organiser_client.post(
        new_url(alliance),
        {**resource_data(title="Poster"), "file": upload(photo, "poster.pdf", "application/pdf")},
    )
    assert response.status_code == 302  # a JPEG, whatever its name says
    resource = Resource.objects.get()
    assert resource.file_type == "image/jpeg" and resource.file_name == "poster.jpeg"
    stored = b"".join(Client().get(f"/resources/{resource.public_id}/{resource.file_name}").streaming_content)
    assert stored[:3] == b"\xff\xd8\xff" and b"SecretCameraMaker" not in stored
    from PIL import Image

    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (60, 40) and not image.getexif()


def test_a_decompression_bomb_is_refused():
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, format="PNG")  # 400 megapixels in a few KB
    assert len(out.getvalue()) < 200_000
    with pytest.raises(uploads.UploadRefused, match="too large"):
        uploads.check_upload(upload(out.getvalue(), "bomb.png", "image/png"), max_bytes=1_000_000)


def test_either_a_file_or_an_address(organiser_client, alliance):
    neither = organiser_client.post(new_url(alliance), resource_data())
    assert neither.status_code == 400 and "Upload a PDF, or give the web address" in neither.content.decode()
    both = organiser_client.post(
        new_url(alliance),
        {**resource_data(external_url="https://example.org/x"), "file": upload(pdf_bytes())},
    )
    assert both.status_code == 400 and "not both" in both.content.decode()
    bad = organiser_client.post(new_url(alliance), resource_data(external_url="javascript:alert(1)"))
    assert bad.status_code == 400 and 'id="external_url-error"' in bad.content.decode()
    assert not Resource.objects.exists()
    ok = organiser_client.post(
        new_url(alliance), resource_data(external_url="https://www.england.nhs.uk/core20")
    )
    assert ok.status_code == 302
    assert Resource.objects.get().describe() == "on www.england.nhs.uk"


def test_a_new_version_keeps_the_short_link(
    organiser_client, alliance, settings, django_capture_on_commit_callbacks
):
    import pathlib

    resource = make_resource(alliance, code="cta")
    first_file = resource.file
    with django_capture_on_commit_callbacks(execute=True):
        response = organiser_client.post(
            f"/organise/alliances/{alliance.slug}/resources/{resource.public_id}/",
            {
                **resource_data(version="2nd edition"),
                "file": upload(pdf_bytes("Second edition"), "cta-v2.pdf"),
            },
        )
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.version == "2nd edition" and resource.file != first_file
    assert resource.short_link.code == "cta"
    assert not (pathlib.Path(settings.MEDIA_ROOT) / first_file).exists()  # the old version is deleted
    followed = Client().get("/go/cta", HTTP_USER_AGENT="Mozilla/5.0 Firefox/128.0")
    assert followed["Location"] == f"/resources/{resource.public_id}/cta-v2.pdf"


def test_a_taken_code_is_said_beside_the_field(organiser_client, alliance):
    make_resource(alliance, code="cta")
    response = organiser_client.post(
        new_url(alliance), {**resource_data(code="CTA"), "file": upload(pdf_bytes())}
    )
    assert response.status_code == 400
    assert "The code “CTA” is already used" in response.content.decode()
    assert Resource.objects.count() == 1


# --- where resources are shown ------------------------------------------------------------------------------


def test_resources_for_puts_the_theme_first_and_leaves_out_archived_ones(alliance):
    maternity, hypertension = Theme.objects.get(name="Maternity"), Theme.objects.get(name="Hypertension")
    general = make_resource(alliance, "General", url="https://example.org/general", position=0)
    about = make_resource(
        alliance, "About hypertension", url="https://example.org/bp", themes=[hypertension], position=5
    )
    old = make_resource(alliance, "Old", url="https://example.org/old", themes=[hypertension])
    services.resource_archive(old)
    assert [r.title for r in resources_for(alliance)] == ["General", "About hypertension"]
    assert [r.title for r in resources_for(alliance, theme=hypertension)] == ["About hypertension", "General"]
    assert [r.title for r in resources_for(alliance, theme=maternity.pk)] == ["General", "About hypertension"]
    assert [r.title for r in resources_for(alliance, limit=1)] == ["General"]
    [first] = resources_for(alliance, limit=1)
    assert first.path == f"/go/{general.short_link.code}" and about.short_link.code != general.short_link.code


def test_event_page_shows_the_resources(client, event):
    make_resource(event.alliance, "Reducing inequalities: a call to action", code="cta")
    html = client.get(f"/events/{event.slug}/").content.decode()
    assert "Read and share" in html and 'href="/go/cta"' in html and "PDF," in html


def test_postcard_page_shows_what_to_do_next_theme_first(client, event):
    maternity = Theme.objects.get(name="Maternity")
    make_resource(event.alliance, "General", url="https://example.org/general", code="general")
    make_resource(
        event.alliance,
        "Maternity matters",
        url="https://example.org/m",
        themes=[maternity],
        code="maternity",
        position=9,
    )
    response = client.post(f"/e/{event.slug}/", postcard_data(theme=str(maternity.pk)))
    html = client.get(response["Location"]).content.decode()
    assert "What you can do next" in html
    assert html.index('href="/go/maternity"') < html.index('href="/go/general"')
    assert "Tell us your story" in html


def test_reminder_and_registration_emails_link_the_resources(client, event, smtp, settings):
    """Through the real SMTP server on loopback: the emails carry the short links (so clicks count)."""
    from django.utils import timezone

    from pledgecard.core.models import Sector
    from pledgecard.delivery.models import Message
    from pledgecard.events import registrations
    from pledgecard.events.registrations import Person

    settings.SITE_URL = "https://pc.example.org"
    maternity = Theme.objects.get(name="Maternity")
    make_resource(event.alliance, "General", url="https://example.org/general", code="general")
    make_resource(
        event.alliance,
        "Maternity matters",
        url="https://example.org/m",
        themes=[maternity],
        code="maternity",
        position=9,
    )
    client.post(f"/e/{event.slug}/", postcard_data(theme=str(maternity.pk)))
    Message.objects.filter(kind="postcard_reminder").update(due_at=timezone.now())
    registrations.register(
        event,
        [
            Person(
                name="Ravi Shah", email="ravi@example.org", organisation="Org", sector=Sector.objects.first()
            )
        ],
    )
    deliver_due()
    by_subject = {r.message["Subject"]: r.message for r in smtp.received}
    reminder = by_subject["Your postcard is back: how did it go?"]
    text = reminder.get_body(("plain",)).get_content()
    assert "WHAT YOU CAN DO NEXT" in text
    assert text.index("https://pc.example.org/go/maternity") < text.index("https://pc.example.org/go/general")
    assert 'href="https://pc.example.org/go/maternity"' in reminder.get_body(("html",)).get_content()
    confirmation = by_subject["You are registered: Test event"]
    assert "https://pc.example.org/go/general" in confirmation.get_body(("plain",)).get_content()


def test_organiser_pages_list_resources(organiser_client, alliance):
    make_resource(alliance, "Call to action", code="cta")
    page = organiser_client.get(f"/organise/alliances/{alliance.slug}/resources/")
    assert page.status_code == 200 and "Call to action" in page.content.decode()
    home = organiser_client.get("/organise/").content.decode()
    assert f"/organise/alliances/{alliance.slug}/resources/" in home


def test_archived_resource_file_is_no_longer_served(alliance):
    resource = make_resource(alliance)
    services.resource_archive(resource)
    assert Client().get(f"/resources/{resource.public_id}/{resource.file_name}").status_code == 404


# --- the demo -----------------------------------------------------------------------------------------------


def test_demo_has_the_call_to_action_links_with_clicks_stories_and_a_moderated_wall():
    from pledgecard.pledges.models import Postcard
    from pledgecard.resources.models import LinkClickDay
    from pledgecard.stories.models import Story

    call_command("demo", stdout=io.StringIO())

    def state():
        return (
            list(Resource.objects.values_list("title", "file", "version")),
            list(ShortLink.objects.values_list("code", "target_url")),
            list(LinkClickDay.objects.values_list("link__code", "day", "clicks")),
            list(Story.objects.values_list("title", "status")),
            list(Postcard.objects.values_list("pk", "wall_status", "wall_reported_at")),
        )

    first = state()
    call_command("demo", stdout=io.StringIO())
    assert state() == first  # running it twice changes nothing
    cta = ShortLink.objects.get(code="InequalitiesCallToAction")
    assert cta.resource.file_type == "application/pdf" and cta.resource.file_size > 1000
    followed = Client().get("/go/inequalitiescalltoaction", HTTP_USER_AGENT="Mozilla/5.0 Firefox/128.0")
    pdf = b"".join(Client().get(followed["Location"]).streaming_content)
    assert pdf.startswith(b"%PDF-")
    assert sum(cta.click_days.values_list("clicks", flat=True)) > 10
    assert ShortLink.objects.filter(target_url="https://bit.ly/InequalitiesCallToAction").exists()
    assert {s for _, s in first[3]} == {"published", "submitted", "returned"}
    shared = Postcard.objects.filter(share_on_wall=True, event__slug="reducing-inequalities-2023")
    assert shared.filter(wall_status="published").count() > 10
    assert shared.filter(wall_status="pending", wall_reported_at__isnull=True).count() == 5
    assert shared.filter(wall_status="pending", wall_reported_at__isnull=False).count() == 1
