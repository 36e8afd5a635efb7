"""Column hints shared by the sources.

dlt creates a column only after it has seen a non-null value, so a column that staging
reads would be missing from a first load where every value happened to be null (no
cancelled order yet, no second address line). Sources declare those columns up front.
"""

from __future__ import annotations

from typing import Any


def nullable_columns(**types: str) -> dict[str, dict[str, Any]]:
    """``name=dlt data type`` pairs as dlt column hints (a fresh dict per column: dlt mutates them)."""
    return {
        name: {"name": name, "data_type": data_type, "nullable": True} for name, data_type in types.items()
    }
