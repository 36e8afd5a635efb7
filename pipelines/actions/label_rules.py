"""The rules that decide how a label is booked, with the version every booking records.

Bump ``RULE_VERSION`` whenever a rule changes so before/after impact can be measured.
"""

from __future__ import annotations

RULE_VERSION = "labels-v2"
# Royal Mail Tracked 24: the service when the queue names none.
SERVICE_CODE = "TPN24"
DEFAULT_PACKAGE = {"weightInGrams": 750, "packageFormatIdentifier": "parcel"}
