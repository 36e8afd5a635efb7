"""3PL feed files from two warehouses: each feed to its table, bad rows quarantined, files read once."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from connectors.destination import warehouse_pipeline
from connectors.warehouse_feeds import warehouse_feeds_source
from tests.connectors.support import SLOW_LANDING, dlt_packages, files_read, kill_when

STOCK = "sku,location,on_hand,counted_at\n" \
        "MUG-01,A-01-03,12,2026-11-20T06:00:00+00:00\n" \
        "TEA-02,A-02-01,0,2026-11-20T06:00:00\n" \
        "MUG-01,A-01-04,-2,2026-11-20T06:00:00+00:00\n"
FULFILMENT = "order_reference,event,occurred_at,carrier,service,tracking_number\n" \
             "#1001,pick_started,2026-11-20T09:00:00+00:00,,,\n" \
             "#1001,packed,2026-11-20T09:20:00+00:00,,,\n" \
             "#1001,despatched,2026-11-20T15:55:00+00:00,Royal Mail,TPN24,RM123456785GB\n" \
             "#1002,despatched,2026-11-20T15:56:00+00:00,Royal Mail,,\n" \
             "#1003,teleported,2026-11-20T15:57:00+00:00,,,\n"
RETURNS = "order_reference,sku,quantity,condition,outcome,received_at\n" \
          "#0990,MUG-01,1,damaged,written_off,2026-11-19T11:00:00+00:00\n" \
          "#0991,TEA-02,2,as_new,restocked,yesterday\n"


def _drop(landing, warehouse: str, feed: str, name: str, text: str) -> None:
    folder = landing / warehouse / feed
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def _count(paths, table: str) -> int:
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        return conn.execute(f"select count(*) from raw_warehouse_feeds.{table}").fetchone()[0]


def test_feeds_load_per_warehouse_and_bad_rows_are_quarantined(data_paths, tmp_path):
    landing = tmp_path / "3pl"
    _drop(landing, "leeds", "stock", "s1.csv", STOCK)
    _drop(landing, "leeds", "fulfilment", "f1.csv", FULFILMENT)
    _drop(landing, "bristol", "returns", "r1.csv", RETURNS)
    bristol_stock = "sku,location,on_hand,counted_at\nMUG-01,B-1,5,2026-11-20T07:00:00Z\n"
    _drop(landing, "bristol", "stock", "s1.csv", bristol_stock)
    pipeline = warehouse_pipeline("warehouse_feeds", data_paths.warehouse, data_paths.dlt_pipelines)
    pipeline.run(warehouse_feeds_source(bucket_url=landing.as_uri()))

    assert _count(data_paths, "stock") == 3
    assert _count(data_paths, "fulfilment") == 3
    assert _count(data_paths, "returns") == 1
    with duckdb.connect(str(data_paths.warehouse), read_only=True) as conn:
        reasons = dict(conn.execute(
            "select file_name || ':' || line_number, reason from raw_warehouse_feeds.quarantine"
        ).fetchall())
        naive = conn.execute(
            "select counted_at from raw_warehouse_feeds.stock where sku = 'TEA-02'"
        ).fetchone()[0]
        rows = conn.execute("select warehouse_id from raw_warehouse_feeds.stock").fetchall()
        warehouses = {row[0] for row in rows}
    assert "below 0" in reasons["leeds/stock/s1.csv:4"]
    assert "missing service" in reasons["leeds/fulfilment/f1.csv:5"]
    assert "teleported" in reasons["leeds/fulfilment/f1.csv:6"]
    assert "ISO 8601" in reasons["bristol/returns/r1.csv:3"]
    assert naive.hour == 6, "a time without offset is read in the warehouse zone (GMT in November)"
    assert warehouses == {"leeds", "bristol"}


def test_a_row_with_bad_bytes_or_a_huge_field_is_quarantined_and_the_rest_of_the_file_loads(
    data_paths, tmp_path
):
    """A 3PL feed with one row saved as Latin-1 and one with a 200 KB location: two entries, three rows."""
    folder = tmp_path / "3pl" / "leeds" / "stock"
    folder.mkdir(parents=True)
    (folder / "s1.csv").write_bytes(
        b"sku,location,on_hand,counted_at\n"
        b"MUG-01,A-01-03,12,2026-11-20T06:00:00Z\n"
        b"CAF\xc9-01,A-01-04,3,2026-11-20T06:00:00Z\n"
        b"TEA-02,\"" + b"x" * 200_001 + b"\",1,2026-11-20T06:00:00Z\n"
        b"TEA-03,\"Aisle 2\nshelf 1\",4,2026-11-20T06:00:00Z\n"
        b"TEA-04,A-02-02,5,2026-11-20T06:00:00Z\n"
    )
    pipeline = warehouse_pipeline("warehouse_feeds", data_paths.warehouse, data_paths.dlt_pipelines)
    pipeline.run(warehouse_feeds_source(bucket_url=(tmp_path / "3pl").as_uri()))
    with duckdb.connect(str(data_paths.warehouse), read_only=True) as conn:
        skus = conn.execute("select sku from raw_warehouse_feeds.stock order by sku").fetchall()
        entries = conn.execute(
            "select line_number, reason, raw_record from raw_warehouse_feeds.quarantine order by line_number"
        ).fetchall()
    assert [sku for (sku,) in skus] == ["MUG-01", "TEA-03", "TEA-04"]
    assert [(line, reason) for line, reason, _ in entries] == [
        (3, "not utf-8 (invalid continuation byte at byte 4 of the record, in field 'sku')"),
        (4, "field 'location' is 200,001 bytes, over the 131,072 limit"),
    ]
    assert entries[0][2] == "CAF\\xc9-01,A-01-04,3,2026-11-20T06:00:00Z\n", "the raw row, bad byte shown"


def test_files_are_read_once_and_resent_files_add_nothing(data_paths, tmp_path):
    landing = tmp_path / "3pl"
    _drop(landing, "leeds", "fulfilment", "f1.csv", FULFILMENT)
    pipeline = warehouse_pipeline("warehouse_feeds", data_paths.warehouse, data_paths.dlt_pipelines)
    pipeline.run(warehouse_feeds_source(bucket_url=landing.as_uri()))
    _drop(landing, "leeds", "fulfilment", "f1-resent.csv", FULFILMENT)  # the 3PL sends it again
    pipeline.run(warehouse_feeds_source(bucket_url=landing.as_uri()))
    assert _count(data_paths, "fulfilment") == 3
    assert _count(data_paths, "quarantine") == 4  # two bad rows in each of the two files


def test_a_file_copied_in_with_an_older_time_is_read_and_nothing_is_read_twice(data_paths, tmp_path):
    """A cursor on modification time skipped a file older than one already read (a copy that
    keeps its time, as scp -p makes); connectors/file_drops.py remembers each file read instead."""
    landing = tmp_path / "3pl"
    _drop(landing, "leeds", "stock", "today.csv", STOCK)
    pipeline = warehouse_pipeline("warehouse_feeds", data_paths.warehouse, data_paths.dlt_pipelines)
    pipeline.run(warehouse_feeds_source(bucket_url=landing.as_uri()))
    stock_rows = _count(data_paths, "stock")

    _drop(landing, "leeds", "fulfilment", "yesterday.csv", FULFILMENT)
    yesterday = (landing / "leeds" / "fulfilment" / "yesterday.csv")
    older = (landing / "leeds" / "stock" / "today.csv").stat().st_mtime - 86_400
    os.utime(yesterday, (older, older))
    pipeline.run(warehouse_feeds_source(bucket_url=landing.as_uri()))
    assert _count(data_paths, "fulfilment") == 3
    assert _count(data_paths, "stock") == stock_rows

    # Nothing new: no file is read again, so the load adds no package.
    info = pipeline.run(warehouse_feeds_source(bucket_url=landing.as_uri()))
    assert info.loads_ids == []
    # A file rewritten in place (a new size) is read again; its rows merge on their keys.
    yesterday.write_text(FULFILMENT + "#1004,packed,2026-11-20T16:00:00+00:00,,,\n")
    pipeline.run(warehouse_feeds_source(bucket_url=landing.as_uri()))
    assert _count(data_paths, "fulfilment") == 4


def test_the_memory_of_files_read_keeps_a_window_and_a_file_older_than_it_is_not_read(data_paths, tmp_path):
    """dlt writes the whole state with each load, so the files remembered are bounded: those of
    the REMEMBER_DAYS before the newest file read. A copy older than that is a replay."""
    from connectors.file_drops import FILES_READ, REMEMBER_DAYS

    landing = tmp_path / "3pl"
    day = 86_400
    _drop(landing, "leeds", "stock", "old.csv", STOCK)
    newest = (landing / "leeds" / "stock" / "old.csv").stat().st_mtime
    os.utime(landing / "leeds" / "stock" / "old.csv", (newest - (REMEMBER_DAYS + 5) * day,) * 2)
    pipeline = warehouse_pipeline("warehouse_feeds", data_paths.warehouse, data_paths.dlt_pipelines)
    pipeline.run(warehouse_feeds_source(bucket_url=landing.as_uri()))
    assert _count(data_paths, "stock") > 0  # the first file read opens the window

    _drop(landing, "leeds", "fulfilment", "new.csv", FULFILMENT)
    pipeline.run(warehouse_feeds_source(bucket_url=landing.as_uri()))
    remembered = pipeline.state["sources"]["warehouse_feeds"]["resources"]["feed_rows"][FILES_READ]
    assert list(remembered) == ["leeds/fulfilment/new.csv"]  # old.csv is now outside the window

    _drop(landing, "leeds", "returns", "replayed.csv", RETURNS)
    os.utime(landing / "leeds" / "returns" / "replayed.csv", (newest - (REMEMBER_DAYS + 1) * day,) * 2)
    info = pipeline.run(warehouse_feeds_source(bucket_url=landing.as_uri()))
    assert info.loads_ids == []  # neither the replayed copy nor old.csv is read again


def test_a_first_load_reads_every_file_however_old_and_however_many(data_paths, tmp_path):
    """The window of files remembered moves only between loads (connectors/file_drops.py reads
    the listing in one page): a first load reads files older than it, and more than a page."""
    from connectors.file_drops import REMEMBER_DAYS

    landing = tmp_path / "3pl"
    for n in range(120):  # more than dlt's page of 100, listed in no set order; half of them old
        row = f"SKU-{n},A-01,1,2026-11-20T06:00:00+00:00\n"
        _drop(landing, "leeds", "stock", f"{n:03d}.csv", "sku,location,on_hand,counted_at\n" + row)
    newest = (landing / "leeds" / "stock" / "000.csv").stat().st_mtime
    for n in range(1, 120, 2):
        os.utime(landing / "leeds" / "stock" / f"{n:03d}.csv", (newest - (REMEMBER_DAYS + 10) * 86_400,) * 2)
    pipeline = warehouse_pipeline("warehouse_feeds", data_paths.warehouse, data_paths.dlt_pipelines)
    pipeline.run(warehouse_feeds_source(bucket_url=landing.as_uri()))
    assert _count(data_paths, "stock") == 120


def test_the_sandbox_3pls_feeds_reconcile_rows_loaded_plus_quarantined(world, tmp_path):
    """The sandbox's independent 3PL writer, with malformed rows on purpose, against our source."""
    from sandbox.warehouse_files import write_feeds

    landing = tmp_path / "3pl"
    written = write_feeds(world.sandbox, landing, malformed_every=7)
    assert written["malformed_rows_written"] > 0
    pipeline = warehouse_pipeline("warehouse_feeds", world.warehouse, world.dlt_pipelines)
    pipeline.run(warehouse_feeds_source(bucket_url=landing.as_uri()))
    with duckdb.connect(str(world.warehouse), read_only=True) as conn:
        tables = {row[0] for row in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'raw_warehouse_feeds'"
        ).fetchall()}
    loaded = sum(_count(world, table) for table in ("stock", "fulfilment", "returns") if table in tables)
    quarantined = _count(world, "quarantine")
    assert quarantined == written["malformed_rows_written"]
    assert loaded + quarantined == written["rows_written"]


KILLED_LOAD = SLOW_LANDING + """
from pathlib import Path
from connectors.destination import warehouse_pipeline
from connectors.warehouse_feeds import warehouse_feeds_source
pipeline = warehouse_pipeline("warehouse_feeds", Path(sys.argv[1]), Path(sys.argv[2]))
pipeline.run(warehouse_feeds_source(bucket_url=sys.argv[3]))
"""
FEED_KEYS = {
    "stock": "warehouse_id, sku, location, counted_at",
    "fulfilment": "warehouse_id, order_reference, event, occurred_at",
}


@pytest.mark.parametrize("step", ["extracting", "extracted"])
def test_a_load_killed_midway_loses_and_duplicates_nothing(data_paths, tmp_path, step):
    """SIGKILL the loader half-way through reading the files (nothing committed yet), or once its
    extract is committed but not yet in the warehouse (the cursor has moved on, the rows wait in a
    load package); the next run has every row the 3PLs wrote, once."""
    from sandbox.generator import generate_world
    from sandbox.warehouse_files import write_feeds
    from tests.conftest import WORLD_NOW, WORLD_SEED

    # Fifteen days of both warehouses' files: a few thousand rows in a few dozen files.
    generate_world(data_paths.sandbox, days=15, seed=WORLD_SEED, now=WORLD_NOW)
    landing = data_paths.warehouse_feeds_landing
    written = write_feeds(data_paths.sandbox, landing)
    files = written["files_written"]
    assert files > 20 and written["malformed_rows_written"] == 0

    progress = tmp_path / "files-read"
    read_delay = 0.05 if step == "extracting" else 0
    args = [sys.executable, "-c", KILLED_LOAD, str(data_paths.warehouse), str(data_paths.dlt_pipelines),
            landing.as_uri(), str(progress), str(read_delay)]
    loader = subprocess.Popen(args, env=dict(os.environ))

    def packages() -> dict[str, list[str]]:
        return dlt_packages(data_paths.dlt_pipelines, "orderloop_warehouse_feeds")

    if step == "extracting":
        kill_when(loader, lambda: files_read(progress) >= files // 2, "half-way through the files")
        assert files_read(progress) < files and packages()["extracting"], "killed mid-extract"
    else:
        kill_when(loader, lambda: any(packages()[s] for s in ("extracted", "normalizing", "loading")),
                  "between its extract and its load")
        assert files_read(progress) == files
    assert not packages()["loaded"], "nothing should have finished loading before the kill"

    pipeline = warehouse_pipeline("warehouse_feeds", data_paths.warehouse, data_paths.dlt_pipelines)
    pipeline.run(warehouse_feeds_source(bucket_url=landing.as_uri()))
    assert not pipeline.has_pending_data
    with duckdb.connect(str(data_paths.warehouse), read_only=True) as conn:
        for feed, key in FEED_KEYS.items():
            rows, keys, lines = conn.execute(
                f"select count(*), count(distinct ({key})), count(distinct (file_name, line_number))"
                f" from raw_warehouse_feeds.{feed}"
            ).fetchone()
            assert rows == keys == lines == written[f"{feed}_rows"], feed
        loaded_files = {row[0] for row in conn.execute(
            "select file_name from raw_warehouse_feeds.stock union select file_name"
            " from raw_warehouse_feeds.fulfilment"
        ).fetchall()}
    assert loaded_files == set(written["files"])
