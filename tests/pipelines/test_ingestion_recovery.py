"""A loader killed between its extract and its load leaves a package behind; the next Dagster run
loads that package and then the data that arrived since, in the same run. (dlt's ``run`` alone loads
the package and returns without extracting, so new data came one pass late; dagster-dlt instead
throws the package away and fetches its data again.)"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
from dagster import materialize
from dagster_dlt import DagsterDltResource

from connectors.destination import warehouse_pipeline
from connectors.warehouse_feeds import warehouse_feeds_source
from orderloop.paths import PROJECT_ROOT
from tests.connectors.support import dlt_packages

EXAMPLES = PROJECT_ROOT / "docs" / "examples"

# Extract, then die before normalize and load, as a process killed between the two steps would.
EXTRACT_THEN_DIE = """
import os
import signal
import sys
from pathlib import Path
from connectors.destination import warehouse_pipeline
from connectors.warehouse_feeds import warehouse_feeds_source
warehouse, pipelines_dir, landing = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
if sys.argv[4] == "warehouse_feeds":
    from connectors.warehouse_feeds import warehouse_feeds_source
    pipeline = warehouse_pipeline("warehouse_feeds", warehouse, pipelines_dir)
    source = warehouse_feeds_source(bucket_url=landing.as_uri())
else:
    from connectors.order_files import load_mapping, order_files_source
    pipeline = warehouse_pipeline("order_files", warehouse, pipelines_dir, instance=landing.name)
    source = order_files_source(bucket_url=landing.as_uri(), mapping=load_mapping(landing / "mapping.yaml"))
pipeline.extract(source)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _extract_and_die(paths, landing: Path, source: str, pipeline_name: str) -> list[str]:
    """Leave an extracted, never loaded package in the pipeline's folder; its load ids."""
    args = [str(paths.warehouse), str(paths.dlt_pipelines), str(landing), source]
    died = subprocess.run([sys.executable, "-c", EXTRACT_THEN_DIE, *args], env=dict(os.environ))
    assert died.returncode == -signal.SIGKILL
    packages = dlt_packages(paths.dlt_pipelines, pipeline_name)
    assert packages["extracted"] and not packages["loading"], packages
    return packages["extracted"]


def _load_ids(paths, dataset: str) -> set[str]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        return {row[0] for row in conn.execute(f"select load_id from {dataset}._dlt_loads").fetchall()}


def test_feeds_asset_loads_the_pending_package_and_the_files_since_in_one_run(data_paths):
    from pipelines.assets.ingestion import warehouse_feeds_assets
    from sandbox.clock import advance
    from sandbox.generator import generate_world
    from sandbox.warehouse_files import write_feeds
    from tests.conftest import WORLD_NOW, WORLD_SEED

    generate_world(data_paths.sandbox, days=3, seed=WORLD_SEED, now=WORLD_NOW)
    landing = data_paths.warehouse_feeds_landing
    batches = [write_feeds(data_paths.sandbox, landing)]
    pipeline = warehouse_pipeline("warehouse_feeds", data_paths.warehouse, data_paths.dlt_pipelines)
    # A normal run first, so the warehouse and the pipeline's state exist.
    pipeline.run(warehouse_feeds_source(bucket_url=landing.as_uri()))

    advance(data_paths.sandbox, hours=24)
    batches.append(write_feeds(data_paths.sandbox, landing))
    pending = _extract_and_die(data_paths, landing, "warehouse_feeds", "orderloop_warehouse_feeds")
    advance(data_paths.sandbox, hours=24)
    batches.append(write_feeds(data_paths.sandbox, landing))  # arrives before the next run
    assert all(batch["files_written"] for batch in batches)

    result = materialize([warehouse_feeds_assets], resources={"dlt": DagsterDltResource()})
    assert result.success

    assert set(pending) <= _load_ids(data_paths, "raw_warehouse_feeds"), "the package is loaded, not redone"
    assert not dlt_packages(data_paths.dlt_pipelines, "orderloop_warehouse_feeds")["extracted"]
    with duckdb.connect(str(data_paths.warehouse), read_only=True) as conn:
        for feed, key in (("stock", "sku, location, counted_at"), ("fulfilment", "order_reference, event")):
            rows, keys = conn.execute(
                f"select count(*), count(distinct (warehouse_id, {key}, file_name, line_number))"
                f" from raw_warehouse_feeds.{feed}"
            ).fetchone()
            assert rows == keys == sum(batch[f"{feed}_rows"] for batch in batches), feed
        loaded_files = {row[0] for row in conn.execute(
            "select file_name from raw_warehouse_feeds.stock union select file_name"
            " from raw_warehouse_feeds.fulfilment"
        ).fetchall()}
    assert loaded_files == {name for batch in batches for name in batch["files"]}


def test_order_files_asset_loads_the_pending_package_and_the_new_file_in_one_run(data_paths):
    from pipelines.assets.order_files import order_file_lines

    folder = data_paths.order_files_landing / "ebay"
    folder.mkdir(parents=True)
    shutil.copy(EXAMPLES / "ebay-orders.mapping.yaml", folder / "mapping.yaml")
    header = (EXAMPLES / "ebay-orders.csv").read_text(encoding="utf-8-sig").splitlines(True)[0]

    def drop(name: str, order: str) -> None:
        row = f"{order},04-Nov-26 10:00,Paid,SKU-X,1,£1.00,£1.00,x@example.co.uk,X,1 St,,York,YO1 7HH,GB\n"
        (folder / name).write_text(header + row, encoding="utf-8")

    shutil.copy(EXAMPLES / "ebay-orders.csv", folder / "2026-11-03.csv")
    assert materialize([order_file_lines]).success  # a normal run first: the warehouse exists
    drop("2026-11-04.csv", "99-00000-00004")
    pending = _extract_and_die(data_paths, folder, "order_files", "orderloop_order_files_ebay")
    drop("2026-11-05.csv", "99-00000-00005")  # arrives before the next run

    result = materialize([order_file_lines])
    assert result.success
    metadata = result.asset_materializations_for_node("order_files__order_lines")[0].metadata
    assert metadata["rows_loaded"].value == 1, "only the file that arrived since is read"

    assert set(pending) <= _load_ids(data_paths, "raw_order_files")
    with duckdb.connect(str(data_paths.warehouse), read_only=True) as conn:
        per_file = dict(conn.execute(
            "select file_name, count(*) from raw_order_files.order_lines group by file_name"
        ).fetchall())
    assert per_file == {"2026-11-03.csv": 3, "2026-11-04.csv": 1, "2026-11-05.csv": 1}
