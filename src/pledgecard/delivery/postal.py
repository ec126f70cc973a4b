"""Recipient rules as GOV.UK Notify applies them: UK mobile numbers, UK postal addresses, SMS length.

Framework-free (no Django import), like Notify's own `notifications_utils.recipient_validation`: the
attendee's form, the Notify channel and the test stand-in all ask the same questions here, so a number or an
address we accept is one Notify accepts, and the message people read is the one Notify would give.

Addresses follow Notify for a service without international letters (the default): 3 to 7 lines, the last a
real UK postcode (a trailing "United Kingdom" or "England" line is allowed and dropped), no line starting with
a symbol Royal Mail's machines misread, no "no fixed abode".
"""

import re
from dataclasses import dataclass

# The UK's postcode areas (plus BF for BFPO and BX for non-geographic), as Notify checks them.
UK_POSTCODE_AREAS = (
    "AB AL B BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY E EC EH EN "
    "EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD LE LL LN LS LU M ME MK ML N NE "
    "NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR "
    "TS TW UB W WA WC WD WF WN WR WS WV YO ZE"
).split()
_POSTCODE = re.compile(
    rf"(?:{'|'.join(sorted(UK_POSTCODE_AREAS, key=len, reverse=True))})"
    r"[0-9][0-9A-Z]?[0-9][ABD-HJLNP-UW-Z]{2}"
)
# Last lines that mean "the UK": Notify drops them and reads the postcode from the line above.
UK_COUNTRY_LINES = {
    "united kingdom",
    "uk",
    "u.k.",
    "u.k",
    "great britain",
    "gb",
    "britain",
    "england",
    "scotland",
    "wales",
    "cymru",
    "northern ireland",
}
INVALID_FIRST_CHARACTERS = '@()=[]"\\/,<>~'
MIN_LINES, MAX_LINES = 3, 7
LINE_MAX = 50  # Notify's address lines are short; a longer one cannot fit the address window
WHITESPACE = re.compile(r"[\s\u180e\u200b\u200c\u200d\u2060\ufeff]+")


class InvalidRecipient(ValueError):
    """The message says what is wrong, in words for the person who can fix it."""


# --- Phone numbers -------------------------------------------------------------------------------------------


def phone_normalise(number: str) -> str:
    """A UK mobile number as Notify sends to it (447700900123), or InvalidRecipient with Notify's words."""
    digits = number or ""
    for character in "()-+ \t\u00a0.":
        digits = digits.replace(character, "")
    if not digits:
        raise InvalidRecipient("Enter a mobile number")
    if not digits.isascii() or not digits.isdigit():
        raise InvalidRecipient("Mobile numbers can only include: 0 1 2 3 4 5 6 7 8 9 ( ) + -")
    digits = digits.lstrip("0")
    if digits.startswith("44"):
        digits = digits[2:].lstrip("0")
    if not digits.startswith("7"):
        raise InvalidRecipient(
            "This does not look like a UK mobile number – double check the mobile number you entered"
        )
    if len(digits) > 10:
        raise InvalidRecipient("Mobile number is too long")
    if len(digits) < 10:
        raise InvalidRecipient("Mobile number is too short")
    return "44" + digits


def phone_for_people(normalised: str) -> str:
    """447700900123 → 07700 900123."""
    national = "0" + normalised[2:]
    return f"{national[:5]} {national[5:]}"


# --- Postal addresses ----------------------------------------------------------------------------------------


def postcode_format(text: str) -> str | None:
    """'sw1a1aa' → 'SW1A 1AA'; None if it is not a real UK postcode."""
    compact = WHITESPACE.sub("", text or "").upper()
    if not _POSTCODE.fullmatch(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def _lines(raw: str | list[str]) -> list[str]:
    raw_lines = raw.splitlines() if isinstance(raw, str) else list(raw)
    lines = []
    for line in raw_lines:
        line = WHITESPACE.sub(" ", line).strip().rstrip(" ,")
        if line:
            lines.append(line)
    return lines


@dataclass(frozen=True)
class Address:
    lines: tuple[str, ...]  # normalised: the postcode last, formatted for Royal Mail

    @property
    def postcode(self) -> str:
        return self.lines[-1]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def single_line(self) -> str:
        return ", ".join(self.lines)


def address_check(raw: str | list[str]) -> Address:
    """The address as Notify would print it, or InvalidRecipient saying what to change."""
    lines = _lines(raw)
    while len(lines) > 1 and lines[-1].casefold().rstrip(".") in UK_COUNTRY_LINES | {"u.k"}:
        lines.pop()  # "United Kingdom" after the postcode: Notify drops it
    if len(lines) < MIN_LINES:
        raise InvalidRecipient("Enter at least 3 lines of the address, with the postcode on the last line")
    if len(lines) > MAX_LINES:
        raise InvalidRecipient("The address must be no more than 7 lines long")
    for line in lines:
        if line[0] in INVALID_FIRST_CHARACTERS:
            raise InvalidRecipient(
                f"Address lines must not start with any of the following characters: "
                f"{' '.join(INVALID_FIRST_CHARACTERS)}"
            )
        if len(line) > LINE_MAX:
            raise InvalidRecipient(f"Each line of the address must be {LINE_MAX} characters or fewer")
    if any(line.casefold() == "nfa" for line in lines) or re.search(
        r"no fixed (abode|address)", " ".join(lines), re.IGNORECASE
    ):
        raise InvalidRecipient("We cannot post a letter to an address with no fixed abode")
    postcode = postcode_format(lines[-1])
    if postcode is None:
        raise InvalidRecipient("The last line of the address must be a real UK postcode, like SW1A 1AA")
    return Address(tuple(lines[:-1]) + (postcode,))


# --- Text messages -------------------------------------------------------------------------------------------

# The GSM 03.38 alphabet: a text only in these characters fits 160 to a part; anything else makes the whole
# message Unicode, 70 to a part. The extension characters count as two.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghij"
    "klmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€")
SMS_MAX_PARTS = 3  # our own limit: a postcard's text is short; Notify's own is 918 characters


def sms_parts(text: str) -> int:
    """How many text messages the phone company bills for `text`."""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        length = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        return 1 if length <= 160 else -(-length // 153)
    return 1 if len(text) <= 70 else -(-len(text) // 67)


def sms_safe(text: str) -> str:
    """Swap the punctuation phones type for its GSM twin, so one curly quote does not halve a message's size."""
    table = {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "\u00a0": " "}
    return "".join(table.get(c, c) for c in text)
