"""The printed letter is their postcard: a precompiled A4 PDF that GOV.UK Notify can print and post.

Notify's letter specification (checked by tests/test_notify_letters.py):
- A4 portrait; nothing within 15 mm of the sides or 5 mm of the top and bottom edges;
- the recipient's address, 3 to 7 lines with the postcode last, inside the address block at 24.6 mm from the
  left and 39.5 mm from the top, 95.4 × 26.8 mm (Notify reads the address from there and it shows through the
  envelope's window), with nothing else in or near it;
- at most 10 pages and 2 MB.
The attendee's own words come back as a postcard, with a QR code and the link to their postcard page, where
"How did it go?" waits. Tagged (PDF/UA-1), so a screen reader can read the copy organisers download.
"""

from dataclasses import dataclass

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from markupsafe import Markup

from pledgecard.delivery import postal

MAX_PAGES = 10
MAX_BYTES = 2 * 1024 * 1024
PDF_VARIANT = "pdf/ua-1"
# The address block, in millimetres from the page's top-left corner (Notify's specification).
ADDRESS_BLOCK = {"left": 24.6, "top": 39.5, "width": 95.4, "height": 26.8}
MARGINS = {"side": 15.0, "top": 5.0, "bottom": 5.0}
# The page box keeps 2 mm more than Notify asks, so a border's stroke or a glyph's overhang never reaches it.
PAGE_MARGINS = {name: value + 2.0 for name, value in MARGINS.items()}


class LetterProblem(ValueError):
    """The letter cannot meet Notify's specification (an address it cannot read, too many pages)."""


@dataclass(frozen=True)
class Letter:
    pdf: bytes
    pages: int
    address: tuple


def postcard_url(postcard) -> str:
    return settings.SITE_URL + reverse("pledges:link", kwargs={"token": postcard.token})


def _qr(url: str) -> Markup:
    # One pixel per module, drawn at its printed size with sharp edges (see events/printing.py for why PNG).
    uri = segno.make(url, error="m", micro=False).png_data_uri(scale=1, border=4)
    return Markup('<img class="qr" src="{}" alt="QR code: opens your postcard, to say how it went">').format(
        uri
    )


def postcard_letter(postcard, *, require_address: bool = True) -> Letter:
    """The letter for this postcard. Organisers who post letters themselves may print one without an address."""
    import weasyprint

    address_lines: tuple = ()
    if postcard.address or require_address:
        try:
            address_lines = postal.address_check(postcard.address).lines
        except postal.InvalidRecipient as problem:
            raise LetterProblem(f"The postal address cannot be printed: {problem}") from problem
    url = postcard_url(postcard)
    event = postcard.event
    context = {
        "postcard": postcard,
        "event": event,
        "alliance": event.alliance,
        "address_lines": address_lines,
        "link": url,
        "qr": _qr(url),
        "today": timezone.localdate(timezone=event.zone),
        "block": ADDRESS_BLOCK,
        "margins": PAGE_MARGINS,
    }
    html = render_to_string("pledges/letter/postcard_letter.html", context)
    document = weasyprint.HTML(string=html, base_url=settings.SITE_URL).render()
    if len(document.pages) > MAX_PAGES:
        raise LetterProblem(
            f"The letter would be {len(document.pages)} pages; GOV.UK Notify prints at most {MAX_PAGES}."
        )
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
    if len(pdf) > MAX_BYTES:
        raise LetterProblem(f"The letter's PDF is {len(pdf) // 1024} KB; GOV.UK Notify accepts at most 2 MB.")
    return Letter(pdf=pdf, pages=len(document.pages), address=address_lines)

