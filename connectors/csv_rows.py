"""Reading CSV files row by row with true line numbers, for parsers that quarantine bad rows.

Shared by every file-based source (order exports, 3PL feeds). A row knows the line its
record starts on (quoted fields may span lines), so a quarantine entry points at the
right place. A file that cannot be read at all (wrong encoding, a field over the size
limit, a header without the expected columns) yields one failure and stops.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class CsvRow:
    line_number: int
    values: dict[str, str]
    extra: list[str] | None  # fields beyond the header, a sign of an unquoted delimiter


@dataclass(frozen=True)
class CsvFailure:
    line_number: int
    reason: str
    raw: str = ""


def iter_csv_rows(
    data: bytes, encoding: str = "utf-8-sig", delimiter: str = ",", required_columns: Iterable[str] = ()
) -> Iterator[CsvRow | CsvFailure]:
    """Rows of ``data``; a failure (always last) when the rest of the file cannot be read."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        around = data[max(0, error.start - 40):error.start + 40].hex()
        yield CsvFailure(1, f"file is not {encoding}: {error.reason} at byte {error.start}", around)
        return
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = reader.fieldnames or []
    missing = [column for column in required_columns if column not in header]
    if missing:
        yield CsvFailure(1, f"header lacks column(s) {missing}; found {header}")
        return
    start_line = 2
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield CsvFailure(start_line, f"unreadable CSV from here on: {error}")
            return
        extra = row.pop(None, None)  # type: ignore[call-overload]
        yield CsvRow(start_line, row, extra)
        start_line = reader.line_num + 1
