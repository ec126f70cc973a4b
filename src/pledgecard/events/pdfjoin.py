"""Joining tagged PDF parts into one: `python -m pledgecard.events.pdfjoin OUT PART...`.

Plain Python and pikepdf, no Django: printing.pdf_join runs it in a process of its own, so the memory qpdf
needs to hold every part while it writes is given back to the system when it ends (see printing.pdf_join).
"""

import contextlib
import sys

import pikepdf


def _copied(pdf, value):
    """A parent-tree value (a direct array of indirect elements, or one element) copied into `pdf`."""
    if isinstance(value, pikepdf.Array) and not value.is_indirect:
        return pikepdf.Array([pdf.copy_foreign(v) if v.is_indirect else v for v in value])
    return pdf.copy_foreign(value)


def pdf_join(paths: list, out_path, *, parts_per_round: int = 2) -> None:
    """Join tagged PDFs (parts of one print run, each made by `html_to_pdf`) into one tagged PDF at out_path.

    The first part is the base: its catalog (language, title, PDF/UA metadata, viewer preferences) stays.
    Each later part's pages are appended and its structure tree grafted under the base's Document element:
    each page's /StructParents key is moved past the keys already used and its parent-tree entry copied,
    so screen readers still find every card's headings and every QR code's alternative text.

    In rounds of `parts_per_round` parts, each saved and opened again: qpdf keeps every object it has read
    of every open file, and copies page contents from the parts only when it writes, so joining all parts
    in one go held them all twice (400 MiB for 2,000 postcards; in rounds of two, 250 MiB). A round's
    parts are closed when it is saved; the next round reads the joined file lazily. Only the last round packs
    the dictionaries into object streams: packing each round's file, to be unpacked by the next, cost a
    quarter of the join's CPU.
    """
    import os

    current = paths[0]
    rest = list(paths[1:])
    round_number = 0
    while True:
        batch, rest = rest[:parts_per_round], rest[parts_per_round:]
        target = out_path if not rest else f"{out_path}.round-{round_number}"
        _join_round(current, batch, target, final=not rest)
        if current != paths[0]:
            os.unlink(current)
        if not rest:
            return
        current, round_number = target, round_number + 1


def _join_round(base_path, paths: list, out_path, *, final: bool) -> None:
    with contextlib.ExitStack() as stack:
        base = stack.enter_context(pikepdf.open(base_path))
        root = base.Root.StructTreeRoot
        [document] = root.K
        nums = root.ParentTree.Nums
        next_key = max((int(k) for k in nums[::2]), default=-1) + 1
        for path in paths:
            part = stack.enter_context(pikepdf.open(path))
            part_root = part.Root.StructTreeRoot
            [part_document] = part_root.K
            first_page = len(base.pages)
            for page in part.pages:
                base.pages.append(page)  # copied with the same copier as the elements below: /Pg stays right
            offset = next_key
            for page in base.pages[first_page:]:
                if "/StructParents" in page.obj:
                    page.obj.StructParents = int(page.obj.StructParents) + offset
            kids = list(part_document.K)
            for kid in kids:
                if not isinstance(kid, pikepdf.Dictionary):
                    raise ValueError("A part's Document element holds marked content directly")
                del kid["/P"]  # not the part's Document: it would be copied along
            for kid in kids:
                copied = base.copy_foreign(kid)
                copied.P = document
                document.K.append(copied)
            part_nums = part_root.ParentTree.Nums
            for key, value in zip(part_nums[::2], part_nums[1::2], strict=True):
                nums.append(int(key) + offset)
                nums.append(_copied(base, value))
                next_key = max(next_key, int(key) + offset + 1)
        root.ParentTreeNextKey = next_key
        # Every dictionary into compressed object streams: the struct trees are most of the file.
        base.save(out_path, object_stream_mode=pikepdf.ObjectStreamMode.generate if final
                  else pikepdf.ObjectStreamMode.disable)


def main(argv: list[str]) -> int:
    out, *parts = argv
    pdf_join(parts, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
