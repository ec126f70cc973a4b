"""The figures as a file: `measure,group,count`, one row per figure, exactly as the reader may see them (a
leader's file says "fewer than 5" where their page does). Text that starts like a spreadsheet formula is
written as text."""

import csv

from pledgecard.core.csv import escape_formula
from pledgecard.insights.report import Report

COLUMNS = ["measure", "group", "count"]


def write_csv(report: Report, out) -> int:
    """Write the CSV (with a byte-order mark, so Excel reads it as UTF-8) to a text stream; returns rows."""
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for measure, group, value in report.rows():
        writer.writerow(
            [measure, escape_formula(group), value if isinstance(value, int) else escape_formula(value)]
        )
        count += 1
    return count


def write_xlsx(report: Report, out) -> int:
    """Write an XLSX workbook to a binary stream: counts are numbers, hidden ones text, no cell a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Figures")
    sheet.append(COLUMNS)
    count = 0
    for measure, group, value in report.rows():
        cells = []
        for item in (measure, group, value):
            if isinstance(item, int):
                cells.append(WriteOnlyCell(sheet, value=item))
            else:
                cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", escape_formula(item)))
                cell.data_type = "s"
                cells.append(cell)
        sheet.append(cells)
        count += 1
    workbook.save(out)
    return count
