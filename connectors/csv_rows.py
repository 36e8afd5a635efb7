"""Reading CSV files row by row with true line numbers, for parsers that quarantine bad rows.

Shared by every file-based source (order exports, 3PL feeds). A row knows the line its
record starts on (quoted fields may span lines), so a quarantine entry points at the
right place. One bad record never costs the rest of the file: a record with bytes that
are not valid in the file's encoding, or with a field over ``FIELD_LIMIT_BYTES``, is a
failure of its own and reading goes on. Only a file whose header cannot be read (wrong
encoding, missing columns) or whose codec cannot be read byte-safely (UTF-16 and other
codecs that are not ASCII-compatible) is one failure for the whole file.

How: the file is decoded with ``errors="surrogateescape"``, which keeps every bad byte as a
lone surrogate instead of failing, and leaves quotes, delimiters and line breaks where they
were, so the CSV parser still finds record boundaries (and newlines inside quoted fields).
Each record is then checked on its own: a surrogate in it means bad bytes.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Python's own CSV default, kept as the per-field limit: a field this long in an order export or a
# 3PL feed is a broken quote or an attack, not data.
FIELD_LIMIT_BYTES = 131_072
MAX_RAW_CHARS = 10_000  # of a failed record kept as its raw text
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_FIELD_LIMIT_LOCK = threading.Lock()  # the csv module's limit is one per process


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
    """Rows of ``data`` in file order: each readable record a row, each unreadable one a failure."""
    name = encoding[:-4] if encoding.lower().endswith("-sig") else encoding  # the BOM is not the encoding
    try:
        text = data.decode(encoding, errors="surrogateescape")
    except UnicodeDecodeError as error:
        around = data[max(0, error.start - 40):error.start + 40].hex()
        reason = f"whole file quarantined: not {name}: {error.reason} at byte {error.start}"
        yield CsvFailure(1, reason, around)
        return
    tape = _LineTape(text)
    reader = csv.reader(tape, delimiter=delimiter)
    try:
        header = _next_record(reader, len(text)) or []
    except csv.Error as error:
        yield CsvFailure(1, f"whole file quarantined: unreadable header: {error}")
        return
    raw_header = tape.take()
    if cause := _bad_bytes(raw_header, name, "header"):
        yield CsvFailure(1, f"whole file quarantined: header is {cause}", _printable(raw_header))
        return
    missing = [column for column in required_columns if column not in header]
    if missing:
        yield CsvFailure(1, f"header lacks column(s) {missing}; found {header}")
        return
    start_line = reader.line_num + 1
    while True:
        try:
            fields = _next_record(reader, len(text))
        except csv.Error as error:
            yield CsvFailure(start_line, f"unreadable CSV from here on: {error}")
            return
        if fields is None:
            return
        line, start_line, raw = start_line, reader.line_num + 1, tape.take()
        if not fields:
            continue  # a blank line, as csv.DictReader skips it
        cause = _bad_bytes(raw, name, "record", _escaped_field(header, fields)) or _oversized(header, fields)
        if cause:
            yield CsvFailure(line, cause, _printable(raw))
            continue
        values = dict(zip(header, fields, strict=False))
        values.update({column: None for column in header[len(fields):]})  # type: ignore[misc]
        yield CsvRow(line, values, fields[len(header):] or None)


class _LineTape:
    """The file's lines, keeping those the CSV reader took since the last ``take``: a record's raw text."""

    def __init__(self, text: str) -> None:
        self._lines = iter(io.StringIO(text, newline=""))
        self._taken: list[str] = []

    def __iter__(self) -> _LineTape:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self._taken.append(line)
        return line

    def take(self) -> str:
        raw = "".join(self._taken)
        self._taken.clear()
        return raw


def _next_record(reader: Iterator[list[str]], text_length: int) -> list[str] | None:
    """The next record, with the csv module's (process-wide) field limit lifted for this read only.

    The size of each field is checked afterwards, per record: the module's own limit would raise
    mid-record and leave the reader out of step with quoted line breaks for the rest of the file.
    The lock keeps two files read in two threads from restoring each other's limit mid-read.
    """
    with _FIELD_LIMIT_LOCK:
        previous = csv.field_size_limit(min(text_length + 1, 2**31 - 1))
        try:
            return next(reader, None)
        finally:
            csv.field_size_limit(previous)


def _column(header: list[str], index: int) -> str:
    return header[index] if index < len(header) else f"#{index + 1} (beyond the header)"


def _escaped_field(header: list[str], fields: list[str]) -> str:
    """The first column holding bad bytes, for the reason (the header itself is clean by then)."""
    return next((_column(header, i) for i, value in enumerate(fields) if _ESCAPED_BYTE.search(value)), "")


def _bad_bytes(raw: str, encoding: str, part: str, field: str = "") -> str | None:
    """Why ``raw`` (decoded with surrogateescape) is not valid ``encoding``, or None when it is."""
    if not _ESCAPED_BYTE.search(raw):
        return None
    where = f", in field {field!r}" if field else ""
    codec = "utf-8" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        raw.encode(codec, errors="surrogateescape").decode(codec)
    except UnicodeDecodeError as error:  # the strict decoder's own words, counted from 1 at the start
        return f"not {encoding} ({error.reason} at byte {error.start + 1} of the {part}{where})"
    return f"not {encoding} (bytes that do not decode{where})"


def _oversized(header: list[str], fields: list[str]) -> str | None:
    """The first field over ``FIELD_LIMIT_BYTES`` (as UTF-8, as it would be stored), or None."""
    for index, value in enumerate(fields):
        if len(value) * 4 <= FIELD_LIMIT_BYTES:  # no UTF-8 character is longer than 4 bytes
            continue
        size = len(value.encode("utf-8", errors="surrogateescape"))
        if size > FIELD_LIMIT_BYTES:
            return f"field {_column(header, index)!r} is {size:,} bytes, over the {FIELD_LIMIT_BYTES:,} limit"
    return None


def _printable(raw: str) -> str:
    """``raw`` safe to store: bad bytes as ``\\xNN``, cut to ``MAX_RAW_CHARS``."""
    text = _ESCAPED_BYTE.sub(lambda match: f"\\x{ord(match.group()) - 0xDC00:02x}", raw)
    if len(text) > MAX_RAW_CHARS:
        return f"{text[:MAX_RAW_CHARS]}... ({len(text):,} characters in all)"
    return text
