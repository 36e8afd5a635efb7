"""Reverse-ETL actions: each reads a queue model and records every attempt in a ledger."""
