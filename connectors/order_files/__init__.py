"""Order files: marketplace reports and merchants' own CSV exports, read through a declarative mapping."""

from connectors.order_files.mapping import MappingError, OrderFileMapping, load_mapping
from connectors.order_files.parsing import ImportTally, parse_order_file
from connectors.order_files.source import order_files_source

__all__ = [
    "ImportTally",
    "MappingError",
    "OrderFileMapping",
    "load_mapping",
    "order_files_source",
    "parse_order_file",
]
