"""The limit: ``bench/limit.sql`` over a bench world in one DuckDB process.

Run as a stage (``python -m bench.limit --world W --out limit.duckdb --report R``): the
output file holds ``fct_orders`` and ``kpi_daily`` for the cross-check.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb

SCRIPT = Path(__file__).resolve().parent / "limit.sql"


def compute(world: Path, out: Path) -> int:
    """Run the limit script into ``out``; returns the number of orders."""
    out.unlink(missing_ok=True)
    with duckdb.connect(str(out)) as conn:
        conn.execute(SCRIPT.read_text().replace("{world}", str(world)))
        return conn.execute("select count(*) from fct_orders").fetchone()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args(argv)
    args.report.write_text(json.dumps({"orders": compute(args.world, args.out)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
