"""Reading the spreadsheets people actually send: CSV in UTF-8 (with or without BOM) or
Windows-1251, comma- or semicolon-separated, with Kazakh, Russian or English headers."""
from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from lms.core.services.errors import ServiceError, about


@dataclass
class Table:
    """Rows as dicts keyed by canonical column names; `line` is the file line of each row."""

    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]
    encoding: str


def decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1251"), "cp1251"


def _norm(header: str) -> str:
    text = unicodedata.normalize("NFC", header or "").strip().lower()
    return " ".join(text.replace("_", " ").replace("-", " ").split())


def _dialect(text: str):
    """The separator is the one the header row uses most: a header holds no decimal commas or
    empty trailing cells, which mislead csv.Sniffer on the rows (a Kazakh Excel writes "3,5"
    in a semicolon file). The sniffer decides only when the header has none of them."""
    header = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    counts = {d: header.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=counts.get)
    if counts[best]:
        class Dialect(csv.excel):
            delimiter = best
        return Dialect
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def read_csv(data: bytes, synonyms: dict[str, tuple[str, ...]], required: tuple[str, ...] = (),
             filename: str = "file") -> Table:
    """`synonyms` maps each canonical column to the header spellings accepted for it
    (compared case-, space-, '-' and '_'-insensitively). Unknown columns are ignored."""
    text, encoding = decode(data)
    if not text.strip():
        raise ServiceError(about(filename, _l("the file is empty")))
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        header = next(reader)
    except StopIteration:
        raise ServiceError(about(filename, _l("the file is empty"))) from None
    lookup = {_norm(s): canon for canon, spellings in synonyms.items() for s in (canon, *spellings)}
    columns = [lookup.get(_norm(h)) for h in header]
    missing = [c for c in required if c not in columns]
    if missing:
        raise ServiceError(about(f"{filename}, 1", _l("missing column(s) %(columns)s; the header reads: %(header)s",
                                                   columns=", ".join(missing), header=", ".join(h for h in header if h))))
    rows = []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        row = {}
        for col, value in zip(columns, values):
            if col and col not in row:
                row[col] = unicodedata.normalize("NFC", value).strip()
        rows.append((line, row))
    return Table([c for c in columns if c], rows, encoding)


def read_table(data: bytes, synonyms: dict[str, tuple[str, ...]], required: tuple[str, ...], filename: str,
               rows_are, refused=None, label=None) -> Table:
    """`read_csv` for an all-or-nothing import: an unreadable file, a missing column or a file
    without rows is refused as line 1 of `refused` (a FileRefused class), in the reader's
    language. `label(column)` names a missing column; `rows_are` says what the rows hold."""
    from lms.core.services.errors import FileRefused, joined

    refused = refused or FileRefused
    try:
        text, _encoding = decode(data)
    except UnicodeDecodeError:
        raise refused(filename, [(1, _l("the file is not text in UTF-8 or Windows-1251; save it from Excel as"
                                        " «CSV UTF-8»"))]) from None
    if not text.strip():
        raise refused(filename, [(1, _l("the file is empty"))])
    try:
        table = read_csv(data, synonyms, filename=filename)
    except csv.Error as exc:
        raise refused(filename, [(1, _l("the file cannot be read as CSV: %(problem)s", problem=str(exc)))]) from None
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise refused(filename, [(1, _l("missing column(s): %(columns)s", columns=joined(
            _l("%(name)s (headed e.g. %(headers)s)", name=label(c) if label else c.replace("_", " "),
               headers=", ".join((c, *synonyms[c][:3]))) for c in missing)))])
    if not table.rows:
        raise refused(filename, [(1, _l("the file has a header but no %(rows)s", rows=rows_are))])
    return table
