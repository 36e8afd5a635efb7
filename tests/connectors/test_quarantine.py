"""The record checks behind API quarantine: what counts as malformed, and what a quarantine row holds."""

from __future__ import annotations

import json

from dlt.extract.items import DataItemWithMeta

from connectors.quarantine import all_of, amount, present, quarantine_invalid, timestamp, unix_seconds

ORDER_CHECK = all_of(present("id"), timestamp("date_created_gmt"), amount("total"))


def test_a_valid_record_passes_through_unchanged():
    record = {"id": 7, "date_created_gmt": "2026-11-20T10:00:00", "total": "12.50"}
    assert list(quarantine_invalid("orders", ORDER_CHECK)(record)) == [record]


def test_a_malformed_record_becomes_a_quarantine_row_with_its_reason_and_id():
    record = {"id": 8, "date_created_gmt": "0000-00-00T00:00:00", "total": "12.50"}
    (marked,) = quarantine_invalid("orders", ORDER_CHECK)(record)
    assert isinstance(marked, DataItemWithMeta)
    row = marked.data
    assert row["resource"] == "orders" and row["record_id"] == "8" and row["id"] == 8
    assert "date_created_gmt" in row["reason"]
    assert json.loads(row["raw_record"]) == record


def test_records_without_an_id_get_a_stable_content_hash():
    check = quarantine_invalid("tickets", all_of(present("id")))
    (first,), (second,) = check({"id": None, "x": 1}), check({"id": None, "x": 1})
    assert first.data["record_id"] == second.data["record_id"] and "id" not in first.data


def test_each_check_names_the_field():
    assert amount("total")({"total": ""}) == "total '' is not an amount"
    assert amount("total")({"total": "NaN"}) == "total 'NaN' is not an amount"
    assert unix_seconds("created")({}) == "created None is not a unix time"
    assert timestamp("paid", required=False)({"paid": None}) is None
    assert present("id")({"id": 0}) is None
