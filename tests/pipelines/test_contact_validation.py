"""Delivery contact checks: postcodes, address completeness, phone numbers (phonenumbers)."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from pipelines.validation.contacts import (
    address_problem,
    check_contacts,
    check_phone,
    normalise_postcode,
    postcode_problem,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("sw1a1aa", "SW1A 1AA"), (" ls11  5ab ", "LS11 5AB"), ("M1 1AE", "M1 1AE"), (None, None), ("", None)],
)
def test_postcodes_are_normalised(raw, expected):
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize(
    "postcode", ["SW1A 1AA", "sw1a1aa", "LS11 5AB", "M1 1AE", "GIR 0AA", "BS3 1DX", "W1A 0AX", "EC1A 1BB"]
)
def test_well_formed_uk_postcodes_pass(postcode):
    assert postcode_problem(postcode, "GB") is None


@pytest.mark.parametrize(
    "postcode",
    ["SW1A 1AAA", "XX1 1XXX", "EC1 1AAB", "B1 1A", "12345", "N/A", "BS3 1CI", "LS1O 4AP", "QA1 1AA"],
)
def test_malformed_uk_postcodes_name_the_postcode(postcode):
    assert postcode_problem(postcode, "GB") == f"postcode {postcode!r} is not a UK postcode"


def test_foreign_postcodes_are_only_required():
    assert postcode_problem("75001", "FR") is None
    assert postcode_problem(" ", "FR") == "missing postcode"


def test_an_incomplete_address_names_the_missing_field():
    contact = {
        "ship_to_name": "Ann", "ship_to_address1": "1 High St", "ship_to_city": "",
        "ship_to_postcode": "LS11 5AB", "ship_to_country_code": "GB",
    }
    assert address_problem(contact) == "missing city"
    assert address_problem({**contact, "ship_to_city": "Leeds"}) is None


@pytest.mark.parametrize(
    ("raw", "e164"),
    [("07911 123456", "+447911123456"), ("+44 20 7946 0018", "+442079460018"),
     ("07700 900958", "+447700900958"), ("0113 496 0123", "+441134960123")],
)
def test_valid_and_ofcom_test_numbers_pass_in_e164(raw, e164):
    check = check_phone(raw, "GB")
    assert (check.reason, check.e164) == (None, e164)


@pytest.mark.parametrize("raw", ["12345", "0770090", "+4412", "abc", "07911 1234567890"])
def test_invalid_numbers_are_rejected_with_the_number(raw):
    reason = check_phone(raw, "GB").reason
    assert reason is not None and repr(raw) in reason


def test_a_missing_phone_is_not_a_problem():
    assert check_phone(None, "GB").reason is None
    assert check_phone("  ", "GB").reason is None


def test_check_contacts_gives_one_row_per_contact():
    contacts = pl.DataFrame(
        {
            "order_id": ["a", "b"],
            "channel": ["shopify", "woocommerce"],
            "updated_at": [datetime(2026, 11, 20)] * 2,
            "phone": ["07911 123456", "12345"],
            "ship_to_name": ["Ann", "Bob"],
            "ship_to_address1": ["1 High St"] * 2,
            "ship_to_address2": [None, None],
            "ship_to_city": ["Leeds", "Bath"],
            "ship_to_postcode": ["LS11 5AB", "N/A"],
            "ship_to_country_code": ["GB", "GB"],
            "contact_fingerprint": ["f1", "f2"],
        }
    )
    checks = check_contacts(contacts)
    assert checks["is_address_valid"].to_list() == [True, False]
    assert checks["is_phone_valid"].to_list() == [True, False]
    assert checks["phone_e164"].to_list() == ["+447911123456", None]
