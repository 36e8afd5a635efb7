"""Processes opening the same new dlt pipeline at once (a Dagster code server and a run, or two
test workers importing the definitions) all get it (connectors/destination.py).

Without the lock, dlt's wipe-create-write of the working folder made this test fail in three runs
of three (FileExistsError, a folder wiped under another opener); with it, none of the eighty
opens may fail. It first failed CI: two xdist workers importing the definitions at once."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from connectors.destination import warehouse_pipeline

ROUNDS = 20
OPENERS = 4


def _open(barrier, folder: str, outcomes) -> None:  # runs in a forked child
    barrier.wait()
    try:
        pipeline = warehouse_pipeline("shopify", Path(folder) / "warehouse.duckdb", Path(folder) / "dlt")
        outcomes.put(pipeline.pipeline_name)
    except Exception as error:  # noqa: BLE001 - the outcome is what the test reads
        outcomes.put(f"{type(error).__name__}: {error}")


def test_every_process_opening_a_new_pipeline_at_once_gets_it(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    # Opened once here first, so the forked children inherit dlt's lazily imported modules.
    warehouse_pipeline("shopify", tmp_path / "warm" / "warehouse.duckdb", tmp_path / "warm" / "dlt")
    seen: list[str] = []
    for round_ in range(ROUNDS):
        folder = tmp_path / str(round_)
        barrier, outcomes = context.Barrier(OPENERS), context.Queue()
        args = (barrier, str(folder), outcomes)
        openers = [context.Process(target=_open, args=args) for _ in range(OPENERS)]
        for opener in openers:
            opener.start()
        seen += [outcomes.get(timeout=60) for _ in openers]
        for opener in openers:
            opener.join(timeout=60)
    assert seen == ["orderloop_shopify"] * ROUNDS * OPENERS, sorted(set(seen))
