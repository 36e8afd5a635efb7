"""The peer: fct_orders and kpi_daily as an analyst would write them in a pandas notebook.

Read each raw file whole, merge on dlt's parent ids, take the first event of each kind with
``groupby().min()``, then group by the London day. The same definitions as the limit, so
the cross-check can compare them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd


def _read(world: Path, source: str, table: str, columns: list[str]) -> pd.DataFrame:
    files = sorted(world.glob(f"batch=*/{source}/{table}.parquet"))
    return pd.concat([pd.read_parquet(file, columns=columns) for file in files], ignore_index=True)


def compute(world: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(fct_orders, kpi_daily)`` from the world's files."""
    orders = _read(world, "shopify", "orders", ["id", "_dlt_id", "created_at", "cancelled_at"])
    orders = orders.rename(columns={"id": "order_id", "created_at": "placed_at"})

    transactions = _read(
        world, "shopify", "orders__transactions", ["_dlt_parent_id", "kind", "status", "processed_at"]
    )
    ok = transactions[transactions["status"] == "SUCCESS"]
    authorised = ok[ok["kind"] == "AUTHORIZATION"].groupby("_dlt_parent_id")["processed_at"].min()
    paid = ok[ok["kind"].isin(["CAPTURE", "SALE"])].groupby("_dlt_parent_id")["processed_at"].min()

    fulfillments = _read(
        world, "shopify", "orders__fulfillments", ["_dlt_id", "_dlt_parent_id", "created_at"]
    )
    tracking = _read(world, "shopify", "orders__fulfillments__tracking_info", ["_dlt_parent_id", "number"])
    fulfillments = fulfillments.merge(
        tracking.rename(columns={"_dlt_parent_id": "_dlt_id"}), on="_dlt_id", how="left"
    )
    despatches = fulfillments.groupby("_dlt_parent_id").agg(
        despatched_at=("created_at", "min"), tracking_number=("number", "min")
    )

    tracker = _read(world, "easypost", "tracker_events", ["tracking_code", "status", "created_at"])
    delivered = tracker[tracker["status"] == "delivered"].groupby("tracking_code")["created_at"].min()

    fct = orders.set_index("_dlt_id")
    fct["authorised_at"] = authorised
    fct["paid_at"] = paid
    fct = fct.join(despatches)
    fct["delivered_at"] = fct["tracking_number"].map(delivered)
    # Minute boundaries crossed, as dbt's datediff(minute) counts them.
    minutes = fct["despatched_at"].dt.floor("min") - fct["placed_at"].dt.floor("min")
    fct["cycle_time_to_despatch_hours"] = minutes.dt.total_seconds() / 3600
    fct = fct.reset_index(drop=True)

    fct["kpi_date"] = fct["placed_at"].dt.tz_convert("Europe/London").dt.date
    kpi = fct.groupby("kpi_date").agg(
        orders=("order_id", "size"),
        orders_despatched=("despatched_at", "count"),
        cycle_time_p50_hours=("cycle_time_to_despatch_hours", "median"),
    ).reset_index()
    return fct, kpi


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="Parquet file for kpi_daily")
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args(argv)
    fct, kpi = compute(args.world)
    kpi.to_parquet(args.out, index=False)
    args.report.write_text(json.dumps({"orders": len(fct)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
