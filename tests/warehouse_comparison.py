"""Two warehouse files compared table by table, as a full rebuild must leave them."""

from __future__ import annotations

from pathlib import Path

import duckdb

# Columns that say when or from which load a row was built, not what it holds.
BOOKKEEPING = ("_built_at", "_loaded_through", "_as_of_at", "_orders_built_through")


def differing_rows(
    built: Path, rebuilt: Path, schemas: tuple[str, ...] = ("intermediate", "marts")
) -> tuple[list[tuple[str, str]], dict[str, int]]:
    """The tables of ``schemas`` in ``rebuilt``, and for each whose rows differ from ``built``'s
    (bookkeeping columns aside, duplicates counted) how many rows are on one side only."""
    with duckdb.connect() as conn:
        conn.execute(f"attach '{built}' as built (read_only)")
        conn.execute(f"attach '{rebuilt}' as rebuilt (read_only)")
        tables = conn.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = 'rebuilt'"
            f" and schema_name in ({', '.join('?' for _ in schemas)}) order by all",
            list(schemas),
        ).fetchall()
        differing = {}
        for schema, table in tables:
            columns = ", ".join(
                f'"{name}"' for (name,) in conn.execute(
                    "select column_name from duckdb_columns() where database_name = 'rebuilt'"
                    " and schema_name = ? and table_name = ? order by column_index", [schema, table],
                ).fetchall() if name not in BOOKKEEPING
            )
            [(one_side_only,)] = conn.execute(f"""
                select count(*) from (
                    (select {columns} from built.{schema}.{table}
                     except all select {columns} from rebuilt.{schema}.{table})
                    union all
                    (select {columns} from rebuilt.{schema}.{table}
                     except all select {columns} from built.{schema}.{table})
                )
            """).fetchall()
            if one_side_only:
                differing[f"{schema}.{table}"] = one_side_only
    return tables, differing
