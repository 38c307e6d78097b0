"""Exports people open in Excel: CSV in UTF-8 with BOM (so Excel reads Kazakh letters),
and XLSX through openpyxl."""
from __future__ import annotations

import csv
import io
import math
from typing import Iterable, Sequence

from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

#: the table formats a download is offered in, and what each is sent as
TABLE_FORMATS = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


#: what a spreadsheet reads as the start of a formula in a CSV cell (OWASP's CSV injection list)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value):
    """A text cell that a spreadsheet would run as a formula (a participant's typed answer or
    name beginning "=HYPERLINK(...)") is written with a leading apostrophe, as OWASP advises;
    numbers, and text that reads as a number ("-5", "+3.5"), are written as they are."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        try:
            number = float(value)
        except ValueError:
            return "'" + value
        if not math.isfinite(number):  # "-inf", "+nan": a spreadsheet reads those as formulas
            return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence], title: str = "Sheet") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31] or "Sheet"
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(list(row))
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # a name or title typed as "=..." stays text, never a formula
    ws.freeze_panes = "A2"
    for column in ws.columns:
        width = max(len(str(c.value or "")) for c in column)
        ws.column_dimensions[column[0].column_letter].width = min(max(8, width + 2), 60)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def table_download(fmt: str, header: Sequence[str], rows: Iterable[Sequence], filename: str,
                   sheet: str = "Sheet") -> Response:
    """A table sent as `filename.fmt` (404 for a format not offered). No cache may keep it:
    these tables hold people's names and results, and a school's computers are shared."""
    if fmt not in TABLE_FORMATS:
        raise NotFound()
    body = csv_bytes(header, rows) if fmt == "csv" else xlsx_bytes(header, rows, title=sheet)
    return Response(body, mimetype=TABLE_FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="{filename}.{fmt}"', "Cache-Control": "private, no-store"})
