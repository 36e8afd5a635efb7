"""dlt sources and API clients for the outside systems orderloop reads from and acts on.

Nothing here knows about Dagster: each module is usable from a plain Python script.
"""
