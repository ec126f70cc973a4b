"""Small real files and rows for the resources, short links and stories tests."""

import io

from django.utils import timezone

from pledgecard.core import uploads
from pledgecard.resources import services as resources
from pledgecard.stories.models import Story


def png_bytes(size=(40, 30), colour=(0, 94, 184)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def jpeg_with_location() -> bytes:
    """A photo with EXIF metadata (a GPS block and a camera maker), as phones write them."""
    from PIL import Image

    image = Image.new("RGB", (60, 40), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    exif[0x8825] = {1: "N", 2: (53.0, 47.0, 43.0), 3: "W", 4: (1.0, 45.0, 6.0)}  # GPSInfo: Bradford
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def pdf_bytes(text="A call to action") -> bytes:
    """A real, small PDF (WeasyPrint), like the ones organisers upload."""
    import weasyprint

    return weasyprint.HTML(string=f"<p>{text}</p>").write_pdf()


def make_resource(alliance, title="Call to action", *, themes=(), url="", code="", position=0):
    details = resources.ResourceDetails(
        title=title,
        summary=f"About {title}",
        version="v1",
        themes=list(themes),
        external_url=url,
        position=position,
    )
    checked = None if url else uploads.check_pdf(pdf_bytes(title), "call-to-action.pdf")
    return resources.resource_create(alliance=alliance, details=details, checked_file=checked, code=code)


def make_story(
    alliance,
    *,
    title="We asked the mosque first",
    status=Story.Status.SUBMITTED,
    image=False,
    email="author@example.org",
    text="First paragraph.\n\nSecond paragraph.",
):
    now = timezone.now()
    story = Story(
        alliance=alliance,
        title=title,
        text=text,
        name="Saima Hussain",
        organisation="Bradford Council",
        email=email,
        credit=Story.Credit.NAMED,
        consent_at=now,
        submitted_at=now,
        status=status,
        published_at=now if status == Story.Status.PUBLISHED else None,
    )
    if image:
        checked = uploads.check_image(png_bytes(), "photo.png")
        story.image, story.image_type, story.image_alt = (
            uploads.store(checked, "stories"),
            checked.content_type,
            "A photo",
        )
    story.set_new_link()
    story.save()
    return story
