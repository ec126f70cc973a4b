"""CSV written for spreadsheets: a cell that starts like a formula is written as text."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
