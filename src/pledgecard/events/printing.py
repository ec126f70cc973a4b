"""Printing for the day: badges and A6 postcards as tagged, accessible PDFs (PDF/UA-1) for office printers.

Layout: four A6 cards tile one A4 sheet exactly (2 × 2, no gutters), so a whole stack is cut with two
guillotine cuts along the printed cut marks. Words stay at least 7 mm from every card edge, inside what
office printers can print. Badges are A6 portrait (105 × 148 mm, the usual lanyard wallet); postcards are A6
landscape on an A4 landscape sheet.

Order: "cut and stack". With S sheets, the top-left cards of sheets 1..S are people 1..S, the top-right cards
people S+1..2S, and so on: after the two cuts, the four piles stacked in that order are in name order.

Views pick the people (confirmed registrations), build the cards with `badges_for` / `postcards_for` (two
queries however many people) and render with `badges_pdf` / `postcards_pdf`; the bench renders the same
dataclasses without a database.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from markupsafe import Markup

CARDS_PER_SHEET = 4
# Long lists can also be printed in parts of this many people (125 sheets), each its own download.
PART_SIZE = 500
MAX_BLANK_SHEETS = 500
SHEETS_PER_RENDER = 25  # sheets laid out together; see html_to_pdf
# Sheet geometry for events/print/_sheets.html (millimetres); 148.5 not 148, so four cards tile A4 exactly.
A4_PORTRAIT_A6 = {"page": "A4", "card_w": 105, "card_h": 148.5}
A4_LANDSCAPE_A6 = {"page": "A4 landscape", "card_w": 148.5, "card_h": 105}
PDF_VARIANT = "pdf/ua-1"


# Sector colours: the Okabe–Ito palette, chosen to stay distinct with the common kinds of colour blindness.
# The sector's name is always printed on the band as well: colour is never the only cue. Text on each band is
# black or white, whichever contrasts more (at least 4.5:1 for every colour here; tests check it).
PALETTE = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "black": "#000000",
    "sky blue": "#56B4E9",
    "orange": "#E69F00",
    "reddish purple": "#CC79A7",
}
SECTOR_COLOURS = {
    "NHS": "blue",
    "Local authority": "vermillion",
    "Voluntary and community sector": "bluish green",
    "Education": "yellow",
    "Police": "black",
    "Housing": "sky blue",
    "Business": "orange",
    "Other": "reddish purple",
}
NEUTRAL = "#E8EDEE"  # NHS pale grey: no sector


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio between two #RRGGBB colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@dataclass(frozen=True)
class Band:
    """A sector's band on a badge: its name, fill and text colour."""

    name: str
    background: str
    text: str


def sector_band(name: str | None, position: int = 0) -> Band:
    """The band for a sector. Sectors added after the eight seeded ones take a palette colour by position."""
    if not name:
        return Band("", NEUTRAL, "#000000")
    colours = list(PALETTE.values())
    background = PALETTE[SECTOR_COLOURS[name]] if name in SECTOR_COLOURS else colours[position % len(colours)]
    text = "#000000" if contrast(background, "#000000") >= contrast(background, "#FFFFFF") else "#FFFFFF"
    return Band(name, background, text)


# Addresses the QR codes open.


def registration_url(registration) -> str:
    """What a badge's QR code opens: that person's check-in, for signed-in facilitators only.

    Not the private registration link: a badge is worn in public, and anyone photographing it could otherwise
    change or cancel the wearer's registration. The page needs no secret because it needs a facilitator."""
    return settings.SITE_URL + reverse("organise:check_in_person", kwargs={"slug": registration.event.slug,
                                                                          "public_id": registration.public_id})


def postcard_page_url(event) -> str:
    """The event's online postcard page."""
    return settings.SITE_URL + reverse("pledges:new", kwargs={"slug": event.slug})


def qr_img(url: str, alt: str) -> Markup:
    """A QR code for `url` as an <img> with alternative text (its Alt in the tagged PDF).

    segno makes it (error correction M, the standard 4-module quiet zone, best mask) as a PNG of one pixel per
    module; the templates draw it at its printed size with `image-rendering: pixelated`, so the PDF keeps
    sharp square modules (/Interpolate false). Measured: an inline SVG cost WeasyPrint about 7 ms more per
    card to parse and draw (its path parser is pure Python), and an identical PNG is embedded once however
    many postcards carry it.
    """
    uri = segno.make(url, error="m", micro=False).png_data_uri(scale=1, border=4)
    return Markup('<img class="qr" src="{}" alt="{}">').format(uri, alt)


# What goes on the cards.


@dataclass(frozen=True)
class WorkshopLine:
    starts_at: dt.time
    ends_at: dt.time
    title: str
    room: str = ""


@dataclass
class Badge:
    name: str
    organisation: str
    role: str
    band: Band
    qr_url: str
    workshops: list[WorkshopLine] = field(default_factory=list)

    @property
    def qr(self) -> Markup:
        return qr_img(self.qr_url, f"QR code: opens the check-in of {self.name}")

    @property
    def name_size(self) -> str:
        """A size class, so long names still fit on two lines at a size readable across a room."""
        longest = max((len(w) for w in self.name.split()), default=0)
        if len(self.name) <= 16 and longest <= 12:
            return "name-xl"
        if len(self.name) <= 30 and longest <= 16:
            return "name-l"
        return "name-m"


@dataclass(frozen=True)
class PostcardPerson:
    """Who a personal postcard is for; BLANK is a card with empty lines."""

    name: str
    organisation: str
    sector: str

    @property
    def blank(self) -> bool:
        return not self.name


BLANK = PostcardPerson("", "", "")


def confirmed(event):
    """The people who get a badge or a personal postcard: confirmed registrations only."""
    from pledgecard.events.models import Registration

    return (event.registrations.filter(status=Registration.Status.CONFIRMED)
            .select_related("sector").order_by("name", "pk"))


def workshops_printed(event) -> bool:
    """Workshops go on badges only once the organiser has published the programme: attendees have then been
    told the same thing, and placements no longer change without notice."""
    from pledgecard.workshops.models import Programme

    return Programme.objects.filter(event=event, published_at__isnull=False).exists()


def badges_for(event, people) -> list[Badge]:
    """Badges for these registrations of the event, in the given order (one query for all their workshops)."""
    from pledgecard.workshops.models import Placement

    people = list(people)
    workshops = defaultdict(list)
    if people and workshops_printed(event):
        placements = (Placement.objects.filter(registration__event=event)
                      .select_related("session__workshop", "session__slot")
                      .order_by("session__slot__starts_at", "session__workshop__title"))
        if len(people) <= PART_SIZE:
            placements = placements.filter(registration__in=[p.pk for p in people])
        for p in placements:
            workshops[p.registration_id].append(WorkshopLine(
                p.session.slot.starts_at, p.session.slot.ends_at, p.session.workshop.title, p.session.room))
    return [
        Badge(name=r.name, organisation=r.organisation, role=r.role,
              band=sector_band(r.sector.name, r.sector.position), qr_url=registration_url(r),
              workshops=workshops.get(r.pk, []))
        for r in people
    ]


def postcards_for(people) -> list[PostcardPerson]:
    return [PostcardPerson(r.name, r.organisation, r.sector.name) for r in people]


@dataclass(frozen=True)
class Part:
    """A slice of a long list printed as its own PDF: people `first`..`last` (1-based, inclusive)."""

    number: int
    first: int
    last: int
    first_name: str
    last_name: str


def parts(names: list[str], size: int | None = None) -> list[Part]:
    """How a list of people splits into downloads of at most `size` (PART_SIZE) people each."""
    size = size or PART_SIZE
    result = []
    for n, start in enumerate(range(0, len(names), size)):
        end = min(start + size, len(names))
        result.append(Part(n + 1, start + 1, end, names[start], names[end - 1]))
    return result


def part_of(people: list, number: int | None, size: int | None = None) -> list:
    """The people in part `number` (1-based), or everyone when `number` is None; [] for a missing part."""
    if number is None:
        return people
    size = size or PART_SIZE
    return people[(number - 1) * size:number * size] if number >= 1 else []


# Sheets and PDFs.


def cut_and_stack(items: list, per_sheet: int = CARDS_PER_SHEET) -> list[list]:
    """Place items on sheets so that the piles left after cutting, stacked in card order, are in item order.

    Returns one list of `per_sheet` slots per sheet (None for an empty slot).
    """
    count = max(1, math.ceil(len(items) / per_sheet))
    sheets = [[None] * per_sheet for _ in range(count)]
    for i, item in enumerate(items):
        sheets[i % count][i // count] = item
    return sheets


def html_to_pdf(documents: list[str]) -> bytes:
    """One tagged PDF/UA-1 file from one or more HTML documents (runs of sheets), rendered one at a time.

    The first document's <html lang> and <title> become the PDF's language and title; the structure tree is
    built over all the pages together. Rendering a long list a run of sheets at a time frees each run's style
    cascade as it goes (measured: 2,000 postcards peaked at 1.6 GiB rendered as one document).
    """
    import weasyprint

    rendered = [weasyprint.HTML(string=html, base_url=settings.SITE_URL).render(pdf_variant=PDF_VARIANT)
                for html in documents]
    pages = [page for document in rendered for page in document.pages]
    return rendered[0].copy(pages).write_pdf(pdf_variant=PDF_VARIANT)


def _runs(template: str, sheets: list[list], context: dict) -> list[str]:
    return [render_to_string(template, {**context, "sheets": sheets[start:start + SHEETS_PER_RENDER]})
            for start in range(0, len(sheets), SHEETS_PER_RENDER)]


def badges_html(event, badges: list[Badge]) -> list[str]:
    context = {"event": event, "title": f"Badges – {event.title}", **A4_PORTRAIT_A6}
    return _runs("events/print/badges.html", cut_and_stack(badges), context)


def postcards_html(event, people: list[PostcardPerson] | None = None, *, sheets: int = 1) -> list[str]:
    """Personal postcards for `people`, or `sheets` sheets of blank ones (four to a sheet)."""
    if people is None:
        cards = cut_and_stack([BLANK] * (sheets * CARDS_PER_SHEET))
        title = f"Blank postcards – {event.title}"
    else:
        cards = cut_and_stack(people)
        title = f"Postcards – {event.title}"
    url = postcard_page_url(event)
    context = {
        "event": event, "title": title, **A4_LANDSCAPE_A6,
        "qr": qr_img(url, f"QR code: opens the postcard page of {event.title}"),
        "display_url": url.split("://", 1)[-1],
    }
    return _runs("events/print/postcards.html", cards, context)


def badges_pdf(event, badges: list[Badge]) -> bytes:
    return html_to_pdf(badges_html(event, badges))


def postcards_pdf(event, people: list[PostcardPerson] | None = None, *, sheets: int = 1) -> bytes:
    return html_to_pdf(postcards_html(event, people, sheets=sheets))
