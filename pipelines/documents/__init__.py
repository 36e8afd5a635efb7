"""Warehouse documents rendered as PDF: a pick list per batch and a packing slip per order."""
