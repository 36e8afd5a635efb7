"""Checks on order data that SQL is the wrong tool for (phone numbers, postcodes)."""
