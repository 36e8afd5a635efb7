"""`orderloop erase-customer EMAIL`: remove one customer's personal data on request.

What identifies the customer is their email, its hash (``fct_orders.customer_key``) and every
phone number found beside it in the raw tables (in each format the warehouse holds it: as
given, E.164). Every row of every table
that contains one of these (raw loads, their quarantine, validation results, ledgers, action
queues) has them replaced by ``[erased]``, and its personal columns (names, address lines,
postcodes, emails, phones: ``PERSONAL_COLUMN``) set to ``[erased]`` as well; the order's
non-personal facts (ids, amounts, times, statuses, SKUs) stay, so the numbers still add up.
The same is done to the published copy and to the text files under the data folder's landing
area and dlt working folders (completed load packages, which are only a copy of what was
loaded, are deleted).

``privacy.erasures`` records each erasure with the email's SHA-256 only. The source still
holds the customer until the merchant erases them there too; until then a later load may
bring their rows back, so after every load ``reapply_erasures`` erases again, in that
source's raw tables, every row whose email hashes to a recorded erasure.

DuckDB-specific: it speaks to the warehouse file with the duckdb driver.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import phonenumbers

from orderloop.paths import DataPaths

ERASED = "[erased]"
LOG_SCHEMA = "privacy"
LOG_TABLE = f"{LOG_SCHEMA}.erasures"
# Columns that hold a person's contact details, by name, wherever they appear (flattened dlt
# names included: shipping_address__first_name, billing__email, ship_to_postcode...).
PERSONAL_COLUMN = re.compile(
    r"(email|phone|first_name|last_name|full_name|ship_to_name|recipient|(^|_)name$|"
    r"address_?[12]|address_line|(^|_)address$|street|(^|_)city$|postcode|postal_code|(^|_)zip$|company|"
    r"e164|ip_address)",
    re.IGNORECASE,
)
# Column names PERSONAL_COLUMN would take for a person's name but which name an order or a thing.
NOT_PERSONAL = {"name", "order_name", "product_name", "resource_name", "table_name", "file_name",
                "template_name", "carrier_name", "service_name", "warehouse_name", "variant_name"}
SKIPPED_SCHEMAS = {"information_schema", "pg_catalog", LOG_SCHEMA}
TEXT_SUFFIXES = {".json", ".jsonl", ".csv", ".txt", ".ndjson", ".insert_values", ".sql"}


@dataclass(frozen=True)
class ErasureReport:
    """What one erasure changed (never the identifiers themselves)."""

    subject_hash: str
    rows: int
    tables: int
    published_rows: int
    files: int


def subject_hash(email: str) -> str:
    """How the erasure log names a customer: SHA-256 of the trimmed, lower-cased email."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def erase_customer(paths: DataPaths, email: str, now: datetime | None = None) -> ErasureReport:
    """Erase the customer with ``email`` from the warehouse, its published copy and the data files."""
    email = email.strip()
    if "@" not in email:
        raise ValueError(f"not an email address: {email!r}")
    with duckdb.connect(str(paths.warehouse)) as conn:
        identifiers = customer_identifiers(conn, email)
        # One transaction: the warehouse is erased and the erasure logged together, or neither
        # (then the command can simply be run again).
        conn.begin()
        rows, tables = scrub(conn, identifiers)
        published_rows = _scrub_published(paths.published, identifiers)
        files = _scrub_files(paths, identifiers)
        report = ErasureReport(subject_hash(email), rows, tables, published_rows, files)
        _record(conn, report, now or datetime.now(UTC))
        conn.commit()
    return report


def customer_identifiers(conn: duckdb.DuckDBPyConnection, email: str) -> list[str]:
    """The email, its customer key, and the customer's phone numbers in every format."""
    # fct_orders.customer_key (macros/customer_key.sql: dbt.hash, md5 on DuckDB) names them too.
    key = conn.execute("select md5(lower(trim(?)))", [email]).fetchone()[0]
    return [email, key, *phone_numbers(conn, email)]


def phone_numbers(conn: duckdb.DuckDBPyConnection, email: str) -> list[str]:
    """Every phone number beside ``email`` in a table with an email column, in each format a
    table may hold it (as given, E.164, international, national)."""
    phones: set[str] = set()
    for schema, table, columns in _tables(conn):
        email_columns = [c for c in columns if "email" in c.lower()]
        phone_columns = [c for c in columns if "phone" in c.lower()]
        if not email_columns or not phone_columns:
            continue
        matches = " or ".join(f'lower(trim("{c}")) = ?' for c in email_columns)
        selected = ", ".join(f'"{c}"' for c in phone_columns)
        found = conn.execute(
            f'select distinct {selected} from "{schema}"."{table}" where {matches}',
            [email.strip().lower()] * len(email_columns),
        ).fetchall()
        phones.update(value for row in found for value in row if value and str(value).strip())
    return sorted(_phone_forms(phones))


def _phone_forms(phones: Iterable[str]) -> set[str]:
    forms: set[str] = set()
    for phone in phones:
        forms.add(phone.strip())
        try:
            number = phonenumbers.parse(phone, "GB")
        except phonenumbers.NumberParseException:
            continue
        for style in (phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                      phonenumbers.PhoneNumberFormat.NATIONAL):
            forms.add(phonenumbers.format_number(number, style))
    return {form for form in forms if len(re.sub(r"\D", "", form)) >= 6}


def scrub(
    conn: duckdb.DuckDBPyConnection, identifiers: list[str], schemas: set[str] | None = None
) -> tuple[int, int]:
    """Erase every row holding one of ``identifiers`` (case-insensitive, anywhere in a text
    column) in every base table, or only those of ``schemas``; returns (rows, tables)."""
    pattern = "(?i)(" + "|".join(re.escape(value) for value in identifiers) + ")"
    rows = tables = 0
    for schema, table, columns in _tables(conn):
        if schemas is not None and schema not in schemas:
            continue
        holds = " or ".join(f'regexp_matches("{c}", $pattern)' for c in columns)
        assignments = ", ".join(
            f'"{c}" = ' + (f"case when \"{c}\" is null then null else '{ERASED}' end" if _is_personal(c)
                           else f'regexp_replace("{c}", $pattern, \'{ERASED}\', \'g\')')
            for c in columns
        )
        changed = conn.execute(
            f'update "{schema}"."{table}" set {assignments} where {holds}', {"pattern": pattern}
        ).fetchone()[0]
        if changed:
            rows += changed
            tables += 1
    return rows, tables


def reapply_erasures(warehouse: Path, schema: str) -> int:
    """Erase again, in ``schema`` and its dlt staging copy, the rows a load brought back for
    customers already erased; returns how many rows were erased (0 when nothing was ever erased)."""
    schemas = {schema, f"{schema}_staging"}
    with duckdb.connect(str(warehouse)) as conn:
        logged = conn.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [LOG_SCHEMA, LOG_TABLE.split(".")[1]],
        ).fetchone()[0]
        if not logged:
            return 0
        hashes = [row[0] for row in conn.execute(f"select distinct subject_hash from {LOG_TABLE}").fetchall()]
        emails: set[str] = set()
        for table_schema, table, columns in _tables(conn):
            if table_schema not in schemas:
                continue
            for column in (c for c in columns if "email" in c.lower()):
                found = conn.execute(
                    f'select distinct "{column}" from "{table_schema}"."{table}" '
                    f'where sha256(lower(trim("{column}"))) in (select unnest($hashes))',
                    {"hashes": hashes},
                ).fetchall()
                emails.update(row[0] for row in found)
        rows = 0
        for email in sorted(emails):
            rows += scrub(conn, customer_identifiers(conn, email), schemas=schemas)[0]
        return rows


def _is_personal(column: str) -> bool:
    return column.lower() not in NOT_PERSONAL and PERSONAL_COLUMN.search(column) is not None


def _tables(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str, list[str]]]:
    """Every base table with its text columns (catalog of the connection's own file only)."""
    found = conn.execute(
        """
        select c.table_schema, c.table_name, list(c.column_name order by c.ordinal_position)
        from information_schema.columns as c
        join information_schema.tables as t using (table_catalog, table_schema, table_name)
        where t.table_type = 'BASE TABLE' and c.data_type = 'VARCHAR'
            and c.table_catalog = current_database()
        group by 1, 2
        order by 1, 2
        """
    ).fetchall()
    return [(schema, table, columns) for schema, table, columns in found if schema not in SKIPPED_SCHEMAS]


def _scrub_published(published: Path, identifiers: list[str]) -> int:
    """Scrub a copy of the published file and swap it in, as a publication does."""
    if not published.exists():
        return 0
    staging = published.with_name(f".{published.name}.{os.getpid()}.erasure")
    shutil.copy(published, staging)
    with duckdb.connect(str(staging)) as conn:
        rows, _ = scrub(conn, identifiers)
    os.replace(staging, published)
    return rows


def _scrub_files(paths: DataPaths, identifiers: list[str]) -> int:
    """Rewrite the landing and dlt text files that mention the customer; drop completed dlt
    load packages (a copy of data already loaded). Returns how many files changed."""
    changed = 0
    for loaded in paths.dlt_pipelines.glob("*/load/loaded/*"):
        shutil.rmtree(loaded, ignore_errors=True)
        changed += 1
    pattern = re.compile("|".join(re.escape(value) for value in identifiers), re.IGNORECASE)
    for folder in (paths.landing, paths.dlt_pipelines):
        for file in (f for f in folder.rglob("*") if f.is_file() and f.suffix in TEXT_SUFFIXES):
            text = file.read_text(errors="replace")
            scrubbed = pattern.sub(ERASED, text)
            if scrubbed != text:
                file.write_text(scrubbed)
                changed += 1
    return changed


def _record(conn: duckdb.DuckDBPyConnection, report: ErasureReport, at: datetime) -> None:
    conn.execute(f"create schema if not exists {LOG_SCHEMA}")
    conn.execute(
        f"""create table if not exists {LOG_TABLE} (
            erased_at timestamp, subject_hash varchar, warehouse_rows integer, tables integer,
            published_rows integer, files integer)"""
    )
    conn.execute(
        f"insert into {LOG_TABLE} values (?, ?, ?, ?, ?, ?)",
        [at.astimezone(UTC).replace(tzinfo=None), report.subject_hash, report.rows, report.tables,
         report.published_rows, report.files],
    )
