"""Delivery contact checks: is the address complete, the UK postcode well formed, the phone
number dialable?

Run before an order reaches fulfilment, so a bad address becomes an ``address_invalid``
exception with a reason instead of a label the carrier rejects or a parcel that comes back.
Phone numbers are parsed and validated with ``phonenumbers`` (libphonenumber): a number
that cannot be parsed or is not valid for its region is ``phone_invalid``. The one
exception is Ofcom's ranges reserved for drama and testing, which libphonenumber calls
invalid but which test orders (and the sandbox's customers) use on purpose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
import polars as pl

# The UK postcode format (the Royal Mail / GOV.UK data standard): an outward code (area
# letters, district digits, with the letters each position allows: never Q, V or X first,
# never I, J or Z second), a space, an inward code whose letters are never C, I, K, M, O
# or V. GIR 0AA is Girobank's historic code.
UK_POSTCODE = re.compile(
    r"^(GIR 0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPS-UW]|[A-HK-Y][0-9][ABEHMNPRV-Y])"
    r" [0-9][ABD-HJLNP-UW-Z]{2})$"
)
UK_COUNTRY_CODES = frozenset({"GB", "UK", "GG", "JE", "IM"})
REQUIRED_ADDRESS_FIELDS = ("ship_to_name", "ship_to_address1", "ship_to_city", "ship_to_postcode",
                           "ship_to_country_code")


# Ofcom's numbers for TV, radio and testing (national significant numbers, E.164 without
# +44): mobile 07700 900000-900999 and the geographic 0113/0114/0115/0116/0117/0118/0121/
# 0131/0141/0151/0161 496 0000-0999, 01632 960000-960999.
OFCOM_DRAMA_RANGES = (
    re.compile(r"^7700900\d{3}$"),
    re.compile(r"^1(1[3-8]|[2-6]1)4960\d{3}$"),
    re.compile(r"^1632960\d{3}$"),
)


@dataclass(frozen=True)
class PhoneCheck:
    """What the check made of one phone number; is_drama_range marks Ofcom's test numbers."""

    e164: str | None
    is_drama_range: bool | None
    reason: str | None


def normalise_postcode(raw: str | None) -> str | None:
    """Upper case with one space before the inward code ("sw1a1aa" -> "SW1A 1AA")."""
    if raw is None:
        return None
    compact = re.sub(r"\s+", "", raw).upper()
    if len(compact) < 5:
        return compact or None
    return f"{compact[:-3]} {compact[-3:]}"


def postcode_problem(raw: str | None, country_code: str | None) -> str | None:
    """Why the postcode cannot be right, or None. Only UK postcodes are checked for format."""
    if raw is None or not raw.strip():
        return "missing postcode"
    if (country_code or "").upper() in UK_COUNTRY_CODES:
        postcode = normalise_postcode(raw)
        if postcode is None or not UK_POSTCODE.match(postcode):
            return f"postcode {raw.strip()!r} is not a UK postcode"
    return None


def address_problem(contact: dict[str, str | None]) -> str | None:
    """Why the delivery address is unusable, or None."""
    for field in REQUIRED_ADDRESS_FIELDS:
        value = contact.get(field)
        if field != "ship_to_postcode" and (value is None or not str(value).strip()):
            return f"missing {field.removeprefix('ship_to_')}"
    return postcode_problem(contact.get("ship_to_postcode"), contact.get("ship_to_country_code"))


def check_phone(raw: str | None, country_code: str | None) -> PhoneCheck:
    """Parse a phone number in the delivery country's conventions; a missing one is fine."""
    if raw is None or not raw.strip():
        return PhoneCheck(None, None, None)
    region = (country_code or "GB").upper()
    region = "GB" if region == "UK" else region
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return PhoneCheck(None, None, f"phone {raw.strip()!r} is not a phone number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    national = str(number.national_number)
    drama = number.country_code == 44 and any(r.match(national) for r in OFCOM_DRAMA_RANGES)
    if not (drama or phonenumbers.is_valid_number(number)):
        return PhoneCheck(None, None, f"phone {raw.strip()!r} is not a valid number in {region}")
    return PhoneCheck(e164, drama, None)


CHECK_SCHEMA = {
    "order_id": pl.Utf8,
    "channel": pl.Utf8,
    "contact_fingerprint": pl.Utf8,
    "order_updated_at": pl.Datetime("us"),
    "is_address_valid": pl.Boolean,
    "address_reason": pl.Utf8,
    "postcode_normalised": pl.Utf8,
    "is_phone_valid": pl.Boolean,
    "phone_reason": pl.Utf8,
    "phone_e164": pl.Utf8,
    "phone_is_drama_range": pl.Boolean,
}


def check_contacts(contacts: pl.DataFrame) -> pl.DataFrame:
    """One check row per contact row (columns of int_order_contacts_unioned)."""
    rows = []
    for contact in contacts.iter_rows(named=True):
        address_reason = address_problem(contact)
        phone = check_phone(contact.get("phone"), contact.get("ship_to_country_code"))
        rows.append(
            {
                "order_id": contact["order_id"],
                "channel": contact["channel"],
                "contact_fingerprint": contact["contact_fingerprint"],
                "order_updated_at": contact["updated_at"],
                "is_address_valid": address_reason is None,
                "address_reason": address_reason,
                "postcode_normalised": normalise_postcode(contact.get("ship_to_postcode")),
                "is_phone_valid": phone.reason is None,
                "phone_reason": phone.reason,
                "phone_e164": phone.e164,
                "phone_is_drama_range": phone.is_drama_range,
            }
        )
    return pl.DataFrame(rows, schema=CHECK_SCHEMA)
