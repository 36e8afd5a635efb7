"""The write floor: writing the tables a full ``dbt build`` materializes, with no query at all.

A build must write every table it materializes (tables, incremental models and seeds) into
the warehouse file, whatever its SQL. This stage takes a built warehouse and, table by
table, copies the rows into memory (not timed), then times writing them from memory into a
fresh DuckDB file and checkpointing it. The sum is a floor under the transform: no
rewrite of the SQL can go below it while the project materializes the same tables, because
DuckDB compresses each column as it writes it (text costs several times a timestamp).

The tables come from the project's manifest, not from the warehouse's catalogue, so a model
the manifest names but the build did not write fails the stage instead of being left out.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import duckdb

from orderloop.warehouse_memory import duckdb_memory_limit

MATERIALIZED = ("table", "incremental", "seed")


def materialized_tables(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """(schema, table) of every model or seed a full build writes as a table, sorted."""
    return sorted(
        (node["schema"], node["alias"])
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed") and node["config"].get("materialized") in MATERIALIZED
    )


def measure(warehouse: Path, manifest_file: Path, scratch: Path) -> dict[str, Any]:
    """Seconds to write each materialized table of ``warehouse`` from memory into ``scratch``."""
    tables = materialized_tables(json.loads(manifest_file.read_text()))
    for leftover in (scratch, scratch.with_name(scratch.name + ".wal")):
        leftover.unlink(missing_ok=True)
    written: list[dict[str, Any]] = []
    with duckdb.connect(str(scratch)) as conn:
        # The build's own budget: beyond it the copy in memory spills, as the build's would.
        conn.execute(f"set memory_limit = '{duckdb_memory_limit()}'")
        conn.execute(f"attach '{warehouse}' as built (read_only)")
        for schema, table in tables:
            conn.execute(f'create or replace temp table to_write as select * from built."{schema}"."{table}"')
            started = time.perf_counter()
            conn.execute(f'create table main."{schema}__{table}" as select * from to_write')
            conn.execute("checkpoint")
            seconds = time.perf_counter() - started
            rows = conn.execute("select count(*) from to_write").fetchone()[0]
            written.append({"table": f"{schema}.{table}", "rows": rows, "seconds": round(seconds, 4)})
        conn.execute("drop table to_write")
    scratch.unlink(missing_ok=True)
    written.sort(key=lambda entry: entry["seconds"], reverse=True)
    return {
        "seconds": sum(entry["seconds"] for entry in written),
        "tables": len(written),
        "rows": sum(entry["rows"] for entry in written),
        "largest": written[:5],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="a warehouse after a full build")
    parser.add_argument("--manifest", type=Path, required=True, help="the project's manifest.json")
    parser.add_argument("--scratch", type=Path, required=True, help="the fresh file to write (removed after)")
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args(argv)
    args.report.write_text(json.dumps(measure(args.warehouse, args.manifest, args.scratch)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
