"""A data folder that cannot take writes: made read-only, or a disk that fills up half-way through a
load (RLIMIT_FSIZE on the child process: every write past the limit fails with EFBIG, as a full disk
fails with ENOSPC). `orderloop` says so in one line, the warehouse still opens with what it held, and
once there is room again the same command loads everything, once.

DuckDB 1.5 itself can leave its file corrupt when a write fails half-way through a checkpoint
(duckdb/duckdb#9667; reproduced here with a file-size limit below the warehouse's size, see
docs/RELIABILITY.md), so orderloop refuses to start writing with less than `ORDERLOOP_MIN_FREE_MB`
free; the limit in the disk-full test therefore bites while dlt writes its load package.

The command is `orderloop import-orders` (a real dlt load into the real warehouse; no sandbox needed)
run in a child process, so the limit and the permissions apply to it alone; the loads before and
after it run in this process.
"""

from __future__ import annotations

import os
import resource
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orderloop.import_orders import import_order_file
from orderloop.paths import PROJECT_ROOT, DataPaths

EXAMPLES = PROJECT_ROOT / "docs" / "examples"
MAPPING = EXAMPLES / "ebay-orders.mapping.yaml"
HEADER = (
    "Order number,Sale date,Order status,Custom label,Quantity,Sold for,Total price,Buyer email,"
    "Post to name,Post to address 1,Post to address 2,Post to city,Post to postcode,Post to country\n"
)


def _orders_file(folder: Path, orders: int, batch: int) -> Path:
    """An eBay export with ``orders`` orders of two lines each, numbered apart from other batches'."""
    rows = [HEADER]
    for n in range(orders):
        for sku in ("SKU-MUG-01", "SKU-TEA-02"):
            rows.append(
                f"{batch:02d}-{n:05d}-00001,03-Nov-26 09:15,Paid,{sku},1,£8.50,£17.00,buyer{n}@example.co.uk,"
                f"Buyer {n},{n} Mill Lane,,York,YO1 7HH,GB\n"
            )
    path = folder / f"orders-{batch}.csv"
    path.write_text("".join(rows), encoding="utf-8")
    return path


def _import(
    paths: DataPaths, file: Path, prefix: list[str] | None = None, file_size_limit: int | None = None,
    **env: str,
):
    def limit_file_size() -> None:
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    command = [sys.executable, "-m", "orderloop.cli", "import-orders", str(file), "--mapping", str(MAPPING)]
    env = {**os.environ, "ORDERLOOP_DATA_DIR": str(paths.root), **env}
    return subprocess.run(
        (prefix or []) + command, env=env, capture_output=True, text=True, timeout=180,
        preexec_fn=limit_file_size,
    )


def _order_lines(paths: DataPaths) -> tuple[int, int]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        return conn.execute(
            "select count(*), count(distinct (order_id, line_number)) from raw_order_files.order_lines"
        ).fetchone()


def _without_write_permission() -> list[str]:
    """How to start a process for which permissions apply: as is, or as root without the
    capabilities that let root write anywhere."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: folder permissions cannot be enforced")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]


def _set_writable(root: Path, writable: bool) -> None:
    for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        mode = folder.stat().st_mode
        no_write = mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        folder.chmod(mode | stat.S_IWUSR if writable else no_write)


def test_an_unwritable_data_folder_stops_the_command_with_one_clear_line(data_paths, tmp_path):
    import_order_file(_orders_file(tmp_path, 3, batch=1), MAPPING, data_paths)
    before = _order_lines(data_paths)

    _set_writable(data_paths.root, False)
    try:
        refused = _import(data_paths, _orders_file(tmp_path, 20, batch=2), prefix=_without_write_permission())
    finally:
        _set_writable(data_paths.root, True)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.startswith(f"orderloop: cannot write the data folder {data_paths.root}")
    assert "permission denied" in refused.stderr and "Traceback" not in refused.stderr, refused.stderr
    assert _order_lines(data_paths) == before, "the warehouse opens and holds what it held"

    import_order_file(_orders_file(tmp_path, 20, batch=2), MAPPING, data_paths)
    assert _order_lines(data_paths) == (3 * 2 + 20 * 2, 3 * 2 + 20 * 2)


def test_a_disk_that_fills_up_during_a_load_stops_it_clearly_and_loses_nothing(data_paths, tmp_path):
    import_order_file(_orders_file(tmp_path, 3, batch=1), MAPPING, data_paths)
    before = _order_lines(data_paths)
    file = _orders_file(tmp_path, 2_000, batch=2)

    # 32 KiB per file: the load package dlt writes before the warehouse is touched cannot be written.
    full = _import(data_paths, file, file_size_limit=32 * 1024)
    assert full.returncode == 2, full.stdout + full.stderr
    last = full.stderr.strip().splitlines()[-1]
    assert last.startswith(f"orderloop: cannot write the data folder {data_paths.root}"), full.stderr
    assert "size limit" in last and "Nothing was committed" in last, last
    assert _order_lines(data_paths) == before, "the warehouse opens and holds what it held"

    import_order_file(file, MAPPING, data_paths)
    assert _order_lines(data_paths) == (3 * 2 + 2_000 * 2, 3 * 2 + 2_000 * 2), "every line once"


def test_too_little_free_space_refuses_to_start_before_a_full_disk_can_catch_duckdb(data_paths, tmp_path):
    import_order_file(_orders_file(tmp_path, 3, batch=1), MAPPING, data_paths)
    before = data_paths.warehouse.read_bytes()
    free_mb = shutil.disk_usage(data_paths.root).free // 2**20

    more_than_free = str(free_mb + 1024)
    refused = _import(data_paths, _orders_file(tmp_path, 20, batch=2), ORDERLOOP_MIN_FREE_MB=more_than_free)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.startswith(f"orderloop: cannot write the data folder {data_paths.root}")
    assert "MB free" in refused.stderr and "Traceback" not in refused.stderr, refused.stderr
    assert data_paths.warehouse.read_bytes() == before, "the warehouse was not opened for writing"
