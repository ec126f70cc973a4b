"""Personal details typed into words meant for the public (the pledge wall, stories): flagged for organisers.

Plain Python, no Django. It flags, it never decides: an organiser reads what is flagged.
"""

import re

EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+\s*(?:@|\(at\)|\[at\])\s*[A-Za-z0-9-]+(?:\s*(?:\.|\(dot\)|\[dot\])\s*[A-Za-z0-9-]+)+",
    re.IGNORECASE,
)
# UK numbers as people write them: 07700 900123, +44 7700 900123, (01274) 123456, 0113-496-0000.
PHONE = re.compile(r"(?<![\d])(?:\+\s?44\s?\(?0?\)?|\(?0)\d(?:[\s().-]{0,2}\d){8,10}(?![\d])")
# A long run of digits that could be another number (an NHS number is 10 digits).
LONG_NUMBER = re.compile(r"(?<![\d])\d(?:[\s-]?\d){9,}(?![\d])")


def personal_details(text: str) -> list[str]:
    """What looks like personal details in `text`, in words: ["an email address", "a phone number"]."""
    found = []
    if EMAIL.search(text or ""):
        found.append("an email address")
    if PHONE.search(text or ""):
        found.append("a phone number")
    elif LONG_NUMBER.search(text or ""):
        found.append("a long number (a phone or NHS number?)")
    return found
