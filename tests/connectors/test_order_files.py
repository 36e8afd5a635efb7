"""Order files through a mapping: good rows load, bad rows are quarantined with file, line and reason."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from connectors.order_files import MappingError, OrderFileMapping, load_mapping, parse_order_file
from orderloop.cli import main
from orderloop.paths import PROJECT_ROOT

EXAMPLES = PROJECT_ROOT / "docs" / "examples"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture
def mapping() -> OrderFileMapping:
    return load_mapping(EXAMPLES / "ebay-orders.mapping.yaml")


def _parse(text: str, mapping: OrderFileMapping, encoding: str = "utf-8"):
    rows = list(parse_order_file(text.encode(encoding), "t.csv", mapping, now=NOW))
    good = [r for table, r in rows if table == "order_lines"]
    bad = [r for table, r in rows if table == "quarantine"]
    return good, bad


HEADER = "Order number,Sale date,Order status,Custom label,Quantity,Sold for,Total price,Buyer email," \
         "Post to name,Post to address 1,Post to address 2,Post to city,Post to postcode,Post to country\n"


def _row(order="1-1", when="03-Nov-26 09:15", status="Paid", sku="SKU-1", qty="1", price="£1.00",
         total="£4.00") -> str:
    return f"{order},{when},{status},{sku},{qty},{price},{total},a@b.uk,A B,1 St,,York,YO1 7HH,GB\n"


def test_timestamps_are_read_in_the_mapping_zone_and_stored_in_utc(mapping):
    good, bad = _parse(HEADER + _row(when="01-Jul-26 09:15"), mapping)
    assert bad == []
    assert good[0]["placed_at"] == datetime(2026, 7, 1, 8, 15, tzinfo=UTC)  # BST is UTC+1
    assert good[0]["status"] == "paid" and good[0]["source_status"] == "Paid"
    assert good[0]["unit_price"] == Decimal("1.00")


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (_row(when="32-Oct-26 10:00"), "bad timestamp"),
        (_row(order=""), "missing order id"),
        (_row(qty="-3"), "quantity"),
        (_row(qty="1.5"), "quantity"),
        (_row(qty="lots"), "quantity"),
        (_row(total="£-4.00"), "total_amount"),
        (_row(price="NaN"), "unit_price"),
        (_row(status="Refund requested"), "unknown status"),
        (_row(when="01-Jan-99 10:00"), "before 2000"),
        (_row(when="01-Jan-30 10:00"), "in the future"),
        (_row().rstrip("\n") + ",extra\n", "more field"),
    ],
)
def test_each_kind_of_bad_row_is_quarantined_with_its_reason(mapping, row, reason):
    good, bad = _parse(HEADER + _row(order="ok-1") + row + _row(order="ok-2"), mapping)
    assert [g["order_id"] for g in good] == ["ok-1", "ok-2"], "good rows around a bad one still load"
    assert len(bad) == 1
    assert reason in bad[0]["reason"]
    assert bad[0]["line_number"] == 3 and bad[0]["file_name"] == "t.csv"


def test_embedded_newlines_keep_line_numbers_true(mapping):
    text = HEADER + '1-1,03-Nov-26 09:15,Paid,S,1,£1,£1,a@b.uk,A,"Flat 2\n1 St",,York,YO1 7HH,GB\n' \
        + _row(order="", when="03-Nov-26 09:15")
    good, bad = _parse(text, mapping)
    assert good[0]["ship_to_address1"] == "Flat 2\n1 St"
    assert bad[0]["line_number"] == 4


def test_a_row_in_the_wrong_encoding_is_quarantined_and_the_rows_around_it_load(mapping):
    latin = _row(order="1-2", sku="CAFÉ").encode("latin-1")  # É is one byte, 0xC9, not UTF-8
    quoted = '1-3,03-Nov-26 09:15,Paid,S,1,£1,£1,a@b.uk,A,"Flat 2\n1 St",,York,YO1 7HH,GB\n'
    data = (HEADER + _row(order="1-1", sku="CAFÉ")).encode() + latin + quoted.encode()
    rows = list(parse_order_file(data, "t.csv", mapping, now=NOW))
    loaded = [(r["order_id"], r["line_number"]) for t, r in rows if t == "order_lines"]
    assert loaded == [("1-1", 2), ("1-3", 4)]
    [entry] = [r for t, r in rows if t == "quarantine"]
    assert entry["file_name"] == "t.csv" and entry["line_number"] == 3
    assert entry["reason"] == \
        "not utf-8 (invalid continuation byte at byte 29 of the record, in field 'Custom label')"
    assert "CAF\\xc9" in entry["raw_record"], "the bad byte is kept, readably"


def test_a_file_whose_header_is_not_in_the_encoding_is_one_entry_for_the_whole_file(mapping):
    good, bad = _parse(HEADER + _row(), mapping, encoding="utf-16")
    assert good == [] and len(bad) == 1
    assert bad[0]["reason"].startswith("whole file quarantined: header is not utf-8 (invalid start byte")


def test_a_missing_column_names_the_column(mapping):
    good, bad = _parse("Order number,Sale date\n1,03-Nov-26 09:15\n", mapping)
    assert good == [] and "Order status" in bad[0]["reason"]


def test_mapping_errors_name_the_problem(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(
        "channel: x\ncolumns: {order_id: A, placed_at: B, status: C}\nstatuses: {Done: shipped}\n"
    )
    with pytest.raises(MappingError, match="unknown canonical status"):
        load_mapping(path)
    path.write_text("channel: x\ncolumns: {order_id: A}\n")
    with pytest.raises(MappingError, match="placed_at"):
        load_mapping(path)
    path.write_text(
        "channel: x\ncolumns: {order_id: A, placed_at: B}\ntimestamp: {timezone: Mars/Olympus}\n"
    )
    with pytest.raises(MappingError, match="time zone"):
        load_mapping(path)


def test_import_orders_command_loads_good_rows_and_quarantines_the_rest(data_paths, capsys):
    mapping_file = EXAMPLES / "ebay-orders.mapping.yaml"
    args = ["import-orders", str(EXAMPLES / "ebay-orders.csv"), "--mapping", str(mapping_file)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "loaded 3 row(s) for 2 order(s); quarantined 4 row(s)" in out
    assert "line 6: bad timestamp" in out

    assert main(args) == 0  # importing the same file again duplicates nothing
    with duckdb.connect(str(data_paths.warehouse), read_only=True) as conn:
        assert conn.execute("select count(*) from raw_order_files.order_lines").fetchone()[0] == 3
        assert conn.execute("select count(*) from raw_order_files.quarantine").fetchone()[0] == 4


def test_import_orders_with_a_broken_mapping_exits_2(data_paths, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("channel: x\n")
    assert main(["import-orders", str(EXAMPLES / "ebay-orders.csv"), "--mapping", str(bad)]) == 2
    assert "invalid mapping" in capsys.readouterr().err


def test_landing_folder_reads_each_file_once(data_paths, tmp_path, mapping):
    from connectors.destination import warehouse_pipeline
    from connectors.order_files import ImportTally, order_files_source

    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "a.csv").write_text(HEADER + _row(order="A-1"))
    pipeline = warehouse_pipeline("order_files", data_paths.warehouse, data_paths.dlt_pipelines)

    first = ImportTally()
    pipeline.run(order_files_source(bucket_url=landing.as_uri(), mapping=mapping, tally=first, now=NOW))
    (landing / "b.csv").write_text(HEADER + _row(order="B-1") + _row(order="B-2"))
    second = ImportTally()
    pipeline.run(order_files_source(bucket_url=landing.as_uri(), mapping=mapping, tally=second, now=NOW))

    assert first.loaded == 1 and second.loaded == 2, "the second run reads only the new file"
    with duckdb.connect(str(data_paths.warehouse), read_only=True) as conn:
        assert conn.execute("select count(*) from raw_order_files.order_lines").fetchone()[0] == 3


def test_example_files_exist():
    example = Path(EXAMPLES / "ebay-orders.csv").read_bytes()
    assert example.startswith(b"\xef\xbb\xbf"), "the example carries a BOM, as Excel writes it"


def test_file_statuses_are_canonical_statuses_of_the_dbt_vocabulary():
    """The connector's list of statuses a file may report is a subset of dbt's seed."""
    import csv

    from connectors.order_files.mapping import CANONICAL_STATUSES

    with (PROJECT_ROOT / "dbt_project" / "seeds" / "order_statuses.csv").open() as seed:
        canonical = {row["status"] for row in csv.DictReader(seed)}
    assert CANONICAL_STATUSES <= canonical
