"""Printing for the day: badges and A6 postcards as tagged, accessible PDFs (PDF/UA-1) for office printers.

Layout: four A6 cards tile one A4 sheet exactly (2 × 2, no gutters), so a whole stack is cut with two
guillotine cuts along the printed cut marks. Words stay at least 7 mm from every card edge, inside what
office printers can print. Badges are A6 portrait (105 × 148 mm, the usual lanyard wallet); postcards are A6
landscape on an A4 landscape sheet.

Order: "cut and stack". With S sheets, the top-left cards of sheets 1..S are people 1..S, the top-right cards
people S+1..2S, and so on: after the two cuts, the four piles stacked in that order are in name order.

Print jobs (print_jobs.py) pick the people (confirmed registrations), build the cards with `badges_for` /
`postcards_for` (two queries however many people) and render a `PrintRun` a part at a time, joined with
`pdf_join`; one person's badge is rendered at once (`badges_pdf`). The bench renders the same dataclasses
without a database.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import gc
import math
import re
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from xml.etree import ElementTree

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from markupsafe import Markup

from pledgecard.events import qr  # segno's mask choice, vectorised, and a PNG WeasyPrint takes as it is

CARDS_PER_SHEET = 4
MAX_BLANK_SHEETS = 500
# Sheets laid out together, in one WeasyPrint document: a print job's part (print_jobs.py). Measured on 2,000
# badges: with 50 sheets a part the worker peaked at about 155 MiB (the join, in its own process, ~200 MiB);
# smaller parts cost more per sheet (each part loads its styles and embeds its fonts again).
SHEETS_PER_RENDER = 50
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
    many postcards carry it. segno's choice of mask is computed in numpy (events/qr.py): the same code, 3×
    sooner.
    """
    uri = qr.png_data_uri(segno.make(url, error="m", micro=False), border=4)
    return Markup('<img class="qr" src="{}" alt="{}"/>').format(uri, alt)


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
        if len(people) <= 100:  # one person's badge, a small event: only theirs
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


# WeasyPrint matches every element against its whole HTML user-agent stylesheet (tables, forms, dir="rtl",
# footnotes...). The cards use a handful of elements, so they are rendered against only what those need:
# measured, it cut the cascade and layout of a badge by about a quarter. It also drops the default bookmark of
# every <h1>: an outline of 2,000 names is no help in a print file.
PRINT_UA_CSS = """
head, meta, style, title, script { display: none }
html, body, div, section, p, h1, h2, h3, ul, table { display: block }
li { display: list-item }
table { display: table; border-collapse: separate }
thead { display: table-header-group }
tbody { display: table-row-group }
tr { display: table-row }
td, th { display: table-cell; padding: 1px; vertical-align: inherit }
th, b { font-weight: bold }
img { overflow: hidden }
br::before { content: "\\A"; white-space: pre-line }
"""


def _page_references_kept(pydyf) -> None:
    """pydyf's PDF.page_references ("N 0 R" for each page) made once for each number of pages.

    pydyf builds the whole tuple on every use, and WeasyPrint's tagging uses it for each tagged element on a
    page, taking one item: for a part of 50 pages, 50 strings made for every heading, paragraph and QR code
    (about 3% of a badge's CPU). Pages are only ever appended, so the count says whether it is still right."""
    pydyfs = pydyf.PDF.page_references.fget

    def page_references(pdf) -> tuple:
        count = len(pdf.pages["Kids"])
        kept = pdf.__dict__.get("_page_references")
        if kept is None or kept[0] != count:
            kept = pdf.__dict__["_page_references"] = (count, pydyfs(pdf))
        return kept[1]

    pydyf.PDF.page_references = property(page_references)


# WeasyPrint's own functions that printing replaces, by name (the tests compare what each makes).
WEASYPRINT = {}
# Every computed property WeasyPrint's line breaking reads (text/line_break.py, and get_font_description in
# text/fonts.py): the same text in the same width breaks into the same first line when these are the same.
# A test checks the list against the installed WeasyPrint.
LINE_PROPERTIES = (
    "direction", "font_family", "font_feature_settings", "font_kerning", "font_language_override",
    "font_size", "font_stretch", "font_style", "font_variant_alternates", "font_variant_caps",
    "font_variant_east_asian", "font_variant_ligatures", "font_variant_numeric", "font_variant_position",
    "font_variation_settings", "font_weight", "hyphenate_character", "hyphenate_limit_chars",
    "hyphenate_limit_zone", "hyphens", "lang", "letter_spacing", "line_height", "overflow_wrap", "tab_size",
    "text_decoration_line", "white_space", "word_break", "word_spacing",
)


def _line_key(style, *line) -> tuple | None:
    """What a line of text is made from: `line` (its text, width...) and the style's LINE_PROPERTIES. None if
    a value cannot be a key (WeasyPrint keeps some in a set or a list): that line is not kept."""
    key = (*line, *(style[name] for name in LINE_PROPERTIES))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _first_lines_kept(inline) -> None:
    """WeasyPrint's first line of a text box (a Pango layout and its metrics) made once per document for each
    text, width and font, instead of for every box.

    Most of a card's words are on every card, or on many: the event, the sector, "Workshops", the times and
    titles, "Scan at the desk to check in", the postcards' prompts and labels. Pango shaped and broke each
    again (about a tenth of a badge). Kept with the document's fonts, as WeasyPrint keeps its struts, so they
    go with the document; each box gets a copy of the layout, as drawing may change its text."""
    weasyprints = WEASYPRINT["split_first_line"] = inline.split_first_line

    def split_first_line(text, style, context, max_width, justification_spacing, is_line_start=True,
                         minimum=False):
        key = _line_key(style, text, max_width, justification_spacing, is_line_start, minimum)
        if key is None:
            return weasyprints(text, style, context, max_width, justification_spacing, is_line_start, minimum)
        kept = style.font_config.__dict__.setdefault("_first_lines", {})
        if key not in kept:
            kept[key] = weasyprints(text, style, context, max_width, justification_spacing, is_line_start,
                                    minimum)
        layout, *metrics = kept[key]
        return copy.copy(layout), *metrics

    inline.split_first_line = split_first_line


def _drawn_lines_kept(draw, matrix) -> None:
    """The PDF operators that draw a line of text made once per document for each text and font, then only
    placed (its text matrix) for every other box with the same line.

    WeasyPrint made the line's Pango layout again to draw it, and wrote each glyph's code, width and kerning
    one by one in Python (about a tenth of a badge). What drawing a line adds to the document's fonts (the
    glyphs it uses, their widths and characters) is added when it is first drawn, so the operators are kept
    for that set of fonts only. Lines with a decoration, or that draw anything but glyphs (emoji), are
    drawn by WeasyPrint every time."""
    weasyprints = WEASYPRINT["draw_text"] = draw.draw_text

    def draw_text(stream, textbox, offset_x, text_overflow, block_ellipsis):
        style, layout = textbox.style, textbox.pango_layout
        fonts, lines = style.font_config.__dict__.setdefault("_drawn_lines", (stream._fonts, {}))
        key = _line_key(style, layout.text, layout.justification_spacing, layout.max_width, text_overflow,
                        block_ellipsis)
        if (key is None or style["text_decoration_line"] != "none" or style["visibility"] != "visible"
                or fonts is not stream._fonts):  # another document's fonts: the glyphs are not in them
            return weasyprints(stream, textbox, offset_x, text_overflow, block_ellipsis)
        glyphs = lines.get(key)
        if glyphs is None:
            start = len(stream.stream)
            weasyprints(stream, textbox, offset_x, text_overflow, block_ellipsis)
            drawn = stream.stream[start:]
            if b"BT" in drawn and drawn[-1] == b"ET" and drawn.count(b"BT") == 1:
                glyphs = lines[key] = drawn[drawn.index(b"BT") + 1:-1]
            return None
        stream.set_color(style["color"])
        stream.begin_text()
        if glyphs:  # the first sets where the line first drawn started: this box's place instead
            stream.set_text_matrix(*matrix(d=-1, e=textbox.position_x,
                                           f=textbox.position_y + textbox.baseline).values)
            stream.stream.extend(glyphs[1:])
        stream.end_text()
        return None

    draw.draw_text = draw_text


@functools.cache
def _print_html_class():
    import cssselect2
    import pydyf
    import weasyprint
    import weasyprint.draw
    import weasyprint.layout.inline
    import weasyprint.matrix
    import weasyprint.urls

    _page_references_kept(pydyf)
    _first_lines_kept(weasyprint.layout.inline)
    _drawn_lines_kept(weasyprint.draw, weasyprint.matrix.Matrix)
    ua = weasyprint.CSS(string=PRINT_UA_CSS)

    class PrintHTML(weasyprint.HTML):
        """A print document parsed by expat, as XML: the print templates are well-formed XML (void elements
        closed, `<br/>`) that is HTML as well. WeasyPrint's HTML parser is pure Python and took a millisecond
        of every badge (a fifth of a millisecond for its QR code's data URI alone); expat, in C, takes 0.03.
        The tree is the same: ElementTree elements, no namespace, wrapped for cssselect2 as WeasyPrint does.
        Safe with attendees' words in it: the templates escape them, so no markup, DTD or entity comes from
        them (and expat limits entity expansion all the same)."""

        def __init__(self, document: str, base_url: str):
            root = ElementTree.fromstring(_NOT_IN_XML.sub("", document))  # noqa: S314 - our templates' output
            self.base_url = base_url
            self.url_fetcher = weasyprint.urls.URLFetcher()
            self.media_type = "print"
            self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
            self.etree_element = self.wrapper_element.etree_element

        def _ua_stylesheets(self, forms=False):
            return [ua]

    return PrintHTML


# Characters XML 1.0 does not allow (C0 controls but tab and line ends), which an imported name may carry:
# dropped (HTML would have kept them as nothing a printer shows).
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render(html: str):
    """A WeasyPrint document (laid out, not yet written) for one print document (well-formed XML)."""
    return _print_html_class()(html, settings.SITE_URL).render(pdf_variant=PDF_VARIANT)


@contextlib.contextmanager
def _collector_paused():
    """Python's cyclic garbage collector off while a part is laid out and written, then one collection.

    WeasyPrint allocates millions of objects for a part (boxes, styles, PDF operators), so the collector
    ran again and again, each time walking the whole part's live tree to find almost nothing: a part's
    boxes and styles are freed by reference counting anyway, and what cycles there are go in the one
    collection after it. Measured on badges: 15% of the CPU, and no more peak memory (the live tree is the
    peak).

    What was alive before the part (Django, WeasyPrint, the worker: 130,000 objects) is frozen meanwhile,
    so that collection looks only at what the part made: a full one took about 100 ms a part, for nothing
    it could free. Unfrozen afterwards, it is collected as usual by the collections that follow."""
    was_enabled = gc.isenabled()
    gc.disable()
    gc.freeze()
    try:
        yield
    finally:
        gc.collect()
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def html_to_pdf(documents: list[str]) -> bytes:
    """One tagged PDF/UA-1 file from one or more HTML documents (runs of sheets), in one go, in memory.

    For a few sheets (one person's badge, a test); whole lists are made by print_jobs in parts joined by
    `pdf_join`, so that memory stays bounded however many people there are. The first document's
    <html lang> and <title> become the PDF's language and title; the structure tree covers every page.
    """
    with _collector_paused():
        return _written(documents)


def _written(documents: list[str]) -> bytes:
    # A function of its own so that the part's documents are freed when it returns, before the collection
    # that ends _collector_paused: otherwise that collection walks the whole live part, for nothing.
    rendered = [render(html) for html in documents]
    pages = [page for document in rendered for page in document.pages]
    return rendered[0].copy(pages).write_pdf(pdf_variant=PDF_VARIANT)


def pdf_join(paths: list, out_path) -> None:
    """Join tagged PDF parts into one tagged PDF at out_path (events/pdfjoin.py), in a process of its own.

    qpdf holds every part's objects while it writes (for 2,000 badges, 160 MiB more than a part needs); in a
    fresh interpreter that imports only pikepdf, that memory is its own and is given back when it exits,
    instead of staying with the worker. It also keeps a crash in qpdf's C++ away from the worker."""
    import subprocess
    import sys

    done = subprocess.run(  # noqa: S603 - our own interpreter and module, file paths we made
        [sys.executable, "-m", "pledgecard.events.pdfjoin", str(out_path), *map(str, paths)],
        capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"Joining the parts failed: {done.stderr.strip()[-2000:]}")


@functools.cache
def cut_marks(card_w: float, card_h: float) -> str:
    """The cut marks of a sheet of four cards, as an SVG data URI (millimetres): short ticks in from each
    edge on the two cut lines and a cross in the middle. One image, parsed once, drawn behind every sheet."""
    w, h, t = card_w, card_h, 0.2  # t: line thickness
    lines = [(w - t / 2, 5, t, 6), (w - t / 2, 2 * h - 11, t, 6), (5, h - t / 2, 6, t),
             (2 * w - 11, h - t / 2, 6, t), (w - t / 2, h - 3, t, 6), (w - 3, h - t / 2, 6, t)]
    rects = "".join(f"<rect x='{x:g}' y='{y:g}' width='{rw:g}' height='{rh:g}'/>" for x, y, rw, rh in lines)
    return _svg_uri(2 * w, 2 * h, f"<g fill='#4c6272'>{rects}</g>")


def _svg_uri(width_mm: float, height_mm: float, body: str) -> str:
    svg = (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width_mm:g}mm' height='{height_mm:g}mm' "
           f"viewBox='0 0 {width_mm:g} {height_mm:g}'>{body}</svg>")
    return "data:image/svg+xml," + urllib.parse.quote(svg)  # nothing left for HTML to escape


TICK_BOX = _svg_uri(3.8, 3.8, "<rect x='0.175' y='0.175' width='3.45' height='3.45' fill='none' "
                              "stroke='#212b32' stroke-width='0.35'/>")


@dataclass
class PrintRun:
    """What one print file is made of: a template and the sheets (or sessions) it lays out, rendered as HTML
    documents of at most `per_document` items each. A print job renders each document to its own PDF part
    (so memory is bounded by one part) and joins them; `html_to_pdf(run.documents())` renders all at once."""

    template: str
    context: dict
    items: list  # sheets (lists of cards) or, for room lists, sessions
    per_document: int
    count: int  # cards (people) or sessions: none, nothing to print
    item_name: str = "sheets"  # the template's name for its items
    filename: str = ""
    description: str = ""  # "badges for 2,000 people (500 sheets)", for the organiser's page

    def __len__(self) -> int:
        return max(1, math.ceil(len(self.items) / self.per_document))

    def span(self, n: int) -> tuple[int, int]:
        """The items (1-based, inclusive) in document n (0-based)."""
        return n * self.per_document + 1, min((n + 1) * self.per_document, len(self.items))

    def html(self, n: int) -> str:
        part = self.items[n * self.per_document:(n + 1) * self.per_document]
        return render_to_string(self.template, {**self.context, self.item_name: part})

    def documents(self) -> list[str]:
        return [self.html(n) for n in range(len(self))]


def _sheets_run(template: str, cards: list, context: dict, **kwargs) -> PrintRun:
    context = {**context, "cut_marks": cut_marks(context["card_w"], context["card_h"])}
    return PrintRun(template, context, cut_and_stack(cards), SHEETS_PER_RENDER, len(cards), **kwargs)


def _sheets(count: int) -> str:
    return f"{count:,} sheet" if count == 1 else f"{count:,} sheets"


def badges_run(event, badges: list[Badge]) -> PrintRun:
    bands = list(dict.fromkeys(b.band for b in badges))
    context = {"event": event, "title": f"Badges – {event.title}", "bands": bands, **A4_PORTRAIT_A6}
    count = len(cut_and_stack(badges))
    return _sheets_run("events/print/badges.html", badges, context, filename=f"{event.slug}-badges.pdf",
                       description=f"badges for {_people(len(badges))} ({_sheets(count)})" if badges
                       else "nobody has a confirmed place")


def postcards_run(event, people: list[PostcardPerson] | None = None, *, sheets: int = 1) -> PrintRun:
    """Personal postcards for `people`, or `sheets` sheets of blank ones (four to a sheet)."""
    if people is None:
        cards = [BLANK] * (sheets * CARDS_PER_SHEET)
        title, filename = f"Blank postcards – {event.title}", f"{event.slug}-blank-postcards.pdf"
        description = f"blank postcards ({_sheets(sheets)})"
    else:
        cards = people
        title, filename = f"Postcards – {event.title}", f"{event.slug}-postcards.pdf"
        sheet_count = len(cut_and_stack(people))
        description = (f"personal postcards for {_people(len(people))} ({_sheets(sheet_count)})"
                       if people else "nobody has a confirmed place")
    url = postcard_page_url(event)
    context = {
        "event": event, "title": title, **A4_LANDSCAPE_A6,
        "tick_box": TICK_BOX,
        "qr": qr_img(url, f"QR code: opens the postcard page of {event.title}"),
        "display_url": url.split("://", 1)[-1],
    }
    return _sheets_run("events/print/postcards.html", cards, context, filename=filename,
                       description=description)


SESSIONS_PER_RENDER = 12


def room_lists_run(event) -> PrintRun:
    """Room lists: a page (or more) per workshop session, with a tick column for who came."""
    from pledgecard.workshops.models import Session

    sessions = list(Session.objects.filter(workshop__event=event).select_related("workshop", "slot")
                    .prefetch_related("placements__registration")
                    .order_by("slot__starts_at", "workshop__title"))
    plural = "" if len(sessions) == 1 else "s"
    return PrintRun("workshops/room_lists_pdf.html", {"event": event}, sessions, SESSIONS_PER_RENDER,
                    len(sessions), item_name="sessions", filename=f"{event.slug}-room-lists.pdf",
                    description=f"room lists for {len(sessions)} workshop session{plural}")


def _people(count: int) -> str:
    return "1 person" if count == 1 else f"{count:,} people"


def badges_html(event, badges: list[Badge]) -> list[str]:
    return badges_run(event, badges).documents()


def postcards_html(event, people: list[PostcardPerson] | None = None, *, sheets: int = 1) -> list[str]:
    return postcards_run(event, people, sheets=sheets).documents()


def badges_pdf(event, badges: list[Badge]) -> bytes:
    return html_to_pdf(badges_html(event, badges))


def postcards_pdf(event, people: list[PostcardPerson] | None = None, *, sheets: int = 1) -> bytes:
    return html_to_pdf(postcards_html(event, people, sheets=sheets))
