"""Deciding which warehouse ships each order line (sequential stock allocation)."""
