"""The Dagster code location: ingestion, transformation, actions and publication."""
