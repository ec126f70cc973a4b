"""The letter is their postcard: the PDF checked against GOV.UK Notify's letter specification.

Measured with pdfplumber in the PDF's own coordinates (points; 72 to the inch), and drawn as an image with
pdftoppm for a person to look at (saved under var/test-letters/ when PLEDGECARD_KEEP_LETTERS=1).
"""

import io
import os
import shutil
import subprocess
from pathlib import Path

import pdfplumber
import pytest
from pypdf import PdfReader

from pledgecard.core.models import Sector
from pledgecard.pledges import services as pledges
from pledgecard.pledges.letters import ADDRESS_BLOCK, LetterProblem, postcard_letter
from pledgecard.pledges.models import COMMITMENT_MAX, LEARNT_MAX, Postcard

from .notify_standin import letter_problems

MM = 72 / 25.4
ADDRESS = "Dr Amina Hussain\nFlat 2, Town Hall Chambers\n1 Town Hall Square\nCity Centre\nBradford\nWest Yorkshire\nBD1 1HY"


def postcard(
    event,
    *,
    address=ADDRESS,
    learnt="Life expectancy differs by years between wards.",
    commitment="Ask one community group to shape our next service change.",
) -> Postcard:
    words = pledges.PostcardWords(
        name="Amina Hussain",
        email="amina@example.org",
        organisation="Bradford Council",
        sector=Sector.objects.get(name="NHS"),
        learnt=learnt,
        commitment=commitment,
        theme=None,
        wants_reminder=True,
        share_on_wall=False,
        channel="letter",
        address=address,
    )
    return pledges.postcard_write(
        event=event, words=words, source=Postcard.Source.PAPER, send_confirmation=False
    ).postcard


def _box(obj):
    return obj["x0"], obj["top"], obj["x1"], obj["bottom"]


def _ink(page):
    """Everything drawn on a page: visible characters, images, lines, rectangles, curves."""
    return (
        [("char " + c["text"], _box(c)) for c in page.chars if not c["text"].isspace()]
        + [("image", _box(i)) for i in page.images]
        + [(kind, _box(o)) for kind in ("line", "rect", "curve") for o in getattr(page, kind + "s")]
    )


def _overlaps(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def check_against_notify_spec(pdf: bytes, address_lines):
    assert len(pdf) <= 2 * 1024 * 1024
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        assert 1 <= len(document.pages) <= 10
        for page in document.pages:
            # A4 portrait.
            assert abs(page.width - 210 * MM) < 0.5 and abs(page.height - 297 * MM) < 0.5
            # Nothing in the margins: 15 mm at the sides, 5 mm at the top and bottom.
            printable = (15 * MM, 5 * MM, 195 * MM, 292 * MM)
            for what, box in _ink(page):
                assert (
                    box[0] >= printable[0] - 0.01
                    and box[1] >= printable[1] - 0.01
                    and box[2] <= printable[2] + 0.01
                    and box[3] <= printable[3] + 0.01
                ), (page.page_number, what, box)
        first = document.pages[0]
        block = (
            ADDRESS_BLOCK["left"] * MM,
            ADDRESS_BLOCK["top"] * MM,
            (ADDRESS_BLOCK["left"] + ADDRESS_BLOCK["width"]) * MM,
            (ADDRESS_BLOCK["top"] + ADDRESS_BLOCK["height"]) * MM,
        )
        # The address, and only the address, inside the block, every glyph wholly inside it.
        inside = [c for c in first.chars if _overlaps(_box(c), block)]
        assert all(
            block[0] <= c["x0"] and c["x1"] <= block[2] and block[1] <= c["top"] and c["bottom"] <= block[3]
            for c in inside
        )
        text = first.within_bbox(block).extract_text()
        assert text.splitlines() == list(address_lines)
        # A clear zone around it (5 mm): the envelope window shows nothing else, Notify reads nothing else.
        zone = (block[0] - 5 * MM, block[1] - 5 * MM, block[2] + 5 * MM, block[3] + 5 * MM)
        address_glyphs = {_box(c) for c in inside}
        others = [
            (what, box)
            for what, box in _ink(first)
            if _overlaps(box, zone) and not (what.startswith("char") and box in address_glyphs)
        ]
        assert others == []


def test_letter_meets_notifys_specification(db, event):
    letter = postcard_letter(postcard(event))
    assert letter.pages == 1
    check_against_notify_spec(letter.pdf, letter.address)
    assert letter.address[-1] == "BD1 1HY" and len(letter.address) == 7
    # And the stand-in, reading it as Notify does, finds nothing wrong.
    assert letter_problems(letter.pdf) == (list(letter.address), "")


def test_the_longest_postcard_still_fits_notifys_limits(db, event):
    longest = postcard(
        event,
        learnt="W" * 30 + " word" * ((LEARNT_MAX - 30) // 5),
        commitment=("Listen to people with lived experience first. " * 20)[:COMMITMENT_MAX],
    )
    letter = postcard_letter(longest)
    assert letter.pages <= 2
    check_against_notify_spec(letter.pdf, letter.address)


def test_letter_shows_their_words_a_qr_code_and_the_link_back(db, event):
    card = postcard(event)
    letter = postcard_letter(card)
    with pdfplumber.open(io.BytesIO(letter.pdf)) as document:
        text = "\n".join(page.extract_text() for page in document.pages)
        images = [image for page in document.pages for image in page.images]
    assert "Life expectancy differs by years between wards." in text
    assert "Ask one community group to shape our next service change." in text
    assert "How did it go?" in text and card.token in text.replace("\n", "")
    assert len(images) == 1  # the QR code
    assert images[0]["width"] >= 30 * MM  # big enough to scan from paper


def test_letter_is_a_tagged_accessible_pdf(db, event):
    reader = PdfReader(io.BytesIO(postcard_letter(postcard(event)).pdf))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en-GB"


@pytest.mark.parametrize("address", ["Flat 1\nBD1 1HY", "A\nB\nC\nD\nE\nF\nG\nBD1 1HY", "A\nB\nNowhere 123"])
def test_an_address_notify_could_not_read_is_refused_before_sending(db, event, address):
    card = postcard(event, address=address)
    with pytest.raises(LetterProblem, match="The postal address cannot be printed"):
        postcard_letter(card)


def test_organisers_download_the_same_letter(db, event, organiser_client):
    card = postcard(event)
    response = organiser_client.get(f"/organise/events/{event.slug}/postcards/{card.public_id}/letter.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    check_against_notify_spec(response.content, ADDRESS.splitlines()[:-1] + ["BD1 1HY"])
    # Without an address (organisers who post it in their own envelope) it still prints, with the block empty.
    card.address = ""
    card.save()
    response = organiser_client.get(f"/organise/events/{event.slug}/postcards/{card.public_id}/letter.pdf")
    assert response.status_code == 200


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_letter_looks_like_a_letter(db, event, tmp_path):
    """Drawn as an image: the address block and the margins are blank paper except for the address."""
    from PIL import Image

    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(postcard_letter(postcard(event)).pdf)
    command = ["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")]
    subprocess.run(command, check=True)  # noqa: S603 - a fixed command on our own file
    png = next(tmp_path.glob("page*.png"))
    if os.environ.get("PLEDGECARD_KEEP_LETTERS"):
        keep = Path("var/test-letters")
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(png, keep / "letter-page-1.png")
    image = Image.open(png).convert("L")
    px = image.width / 210  # pixels per millimetre

    def dark(box_mm):
        left, top, right, bottom = (round(v * px) for v in box_mm)
        return sum(image.crop((left, top, right, bottom)).histogram()[:200])  # pixels darker than light grey

    assert (round(image.width / px), round(image.height / px)) == (210, 297)
    assert dark((0, 0, 14.5, 297)) == 0 and dark((195.5, 0, 210, 297)) == 0  # side margins
    assert dark((0, 0, 210, 4.5)) == 0 and dark((0, 292.5, 210, 297)) == 0  # top and bottom
    block = (24.6, 39.5, 24.6 + 95.4, 39.5 + 26.8)
    assert dark(block) > 50  # the address is there
    assert dark((block[0] - 5, block[1] - 5, block[2] + 5, block[1] - 0.5)) == 0  # blank above it
    assert dark((block[0] - 5, block[3] + 0.5, block[2] + 5, block[3] + 5)) == 0  # and below it
