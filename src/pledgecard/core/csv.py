"""Spreadsheets in and out: cells that start like a formula are written as text; cells read have a size limit."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# No field takes more than a postcard's "what I learnt" (1,000 characters); a cell far longer than that is a
# mistake or an attack, and shown on a preview page it would make that page hundreds of megabytes.
MAX_CELL_CHARACTERS = 2_000


def escape_formula(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: how spreadsheets name columns."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cells_too_long(rows) -> str:
    """"" if every cell is within MAX_CELL_CHARACTERS; otherwise the problem in words, naming the first few
    cells. `rows`: (row number in the file, cells) pairs."""
    found = []
    for line, cells in rows:
        for index, value in enumerate(cells):
            if value is not None and len(str(value)) > MAX_CELL_CHARACTERS:
                found.append(f"row {line}, column {column_letter(index)} ({len(str(value)):,} characters)")
                if len(found) == 3:
                    break
        if len(found) == 3:
            break
    if not found:
        return ""
    return (
        f"A cell can hold at most {MAX_CELL_CHARACTERS:,} characters, and {'; '.join(found)} "
        f"{'is' if len(found) == 1 else 'are'} longer. Check that this is the right file, and shorten "
        "or remove those cells."
    )
