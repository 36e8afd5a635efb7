"""Validation of one Click & Drop CreateOrderRequest, per the v1 Swagger definitions.

Error codes are the sandbox's own (the public spec does not list Royal Mail's numeric codes); the
shape `{errorCode, errorMessage, fields: [{fieldName, value}]}` is the spec's CreateOrderErrorResponse.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.postcodes import is_valid_uk_postcode
from sandbox.timeutil import parse_iso

REQUIRED = 1001
INVALID_FORMAT = 1002
OUT_OF_RANGE = 1003
TOO_LONG = 1004
INVALID_POSTCODE = 1005

GB_CODES = {"GB", "GBR"}
ADDRESS_LIMITS = {
    "fullName": 210,
    "companyName": 100,
    "addressLine1": 100,
    "addressLine2": 100,
    "addressLine3": 100,
    "city": 100,
    "county": 100,
    "postcode": 20,
    "countryCode": 3,
}
MONEY_FIELDS = {
    "subtotal": (True, Decimal("999999")),
    "shippingCostCharged": (True, Decimal("999999")),
    "total": (True, Decimal("999999")),
    "otherCosts": (False, Decimal("999999")),
    "orderTax": (False, Decimal("999999")),
    "customsDutyCosts": (False, Decimal("99999.99")),
}


def _err(code: int, message: str, field: str, value: Any) -> dict[str, Any]:
    shown = "" if value is None else value if isinstance(value, str) else str(value)
    return {"errorCode": code, "errorMessage": message, "fields": [{"fieldName": field, "value": shown}]}


def _text(
    errors: list[dict[str, Any]], obj: dict[str, Any], key: str, path: str, limit: int, required: bool = False
) -> None:
    value = obj.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.append(_err(REQUIRED, f"The {path} field is required.", path, value))
        return
    if not isinstance(value, str):
        errors.append(_err(INVALID_FORMAT, f"The {path} field must be a string.", path, value))
    elif len(value) > limit:
        errors.append(_err(TOO_LONG, f"The {path} field must be at most {limit} characters.", path, value))


def _date(errors: list[dict[str, Any]], obj: dict[str, Any], key: str, required: bool) -> None:
    value = obj.get(key)
    if value is None:
        if required:
            errors.append(_err(REQUIRED, f"The {key} field is required.", key, value))
        return
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        parse_iso(value)
    except ValueError:
        errors.append(_err(INVALID_FORMAT, f"The {key} field must be an ISO-8601 date-time.", key, value))


def _money(
    errors: list[dict[str, Any]], obj: dict[str, Any], key: str, required: bool, maximum: Decimal
) -> None:
    value = obj.get(key)
    if value is None:
        if required:
            errors.append(_err(REQUIRED, f"The {key} field is required.", key, value))
        return
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise InvalidOperation
        amount = Decimal(str(value))
        if not amount.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        errors.append(_err(INVALID_FORMAT, f"The {key} field must be a number.", key, value))
        return
    if amount < 0 or amount > maximum or amount % Decimal("0.01") != 0:
        errors.append(
            _err(
                OUT_OF_RANGE, f"The {key} field must be between 0 and {maximum} in steps of 0.01.", key, value
            )
        )


def _packages(errors: list[dict[str, Any]], packages: Any) -> None:
    if packages is None:
        return
    if not isinstance(packages, list):
        errors.append(_err(INVALID_FORMAT, "The packages field must be an array.", "packages", packages))
        return
    for index, package in enumerate(packages):
        path = f"packages[{index}]"
        if not isinstance(package, dict):
            errors.append(_err(INVALID_FORMAT, f"The {path} field must be an object.", path, package))
            continue
        weight = package.get("weightInGrams")
        if weight is None:
            errors.append(
                _err(
                    REQUIRED, f"The {path}.weightInGrams field is required.", f"{path}.weightInGrams", weight
                )
            )
        elif isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 30000:
            errors.append(
                _err(
                    OUT_OF_RANGE,
                    f"The {path}.weightInGrams field must be an integer from 1 to 30000.",
                    f"{path}.weightInGrams",
                    weight,
                )
            )
        _text(
            errors, package, "packageFormatIdentifier", f"{path}.packageFormatIdentifier", 100, required=True
        )
        for line, content in enumerate(package.get("contents") or []):
            quantity = content.get("quantity") if isinstance(content, dict) else None
            if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 999999:
                field = f"{path}.contents[{line}].quantity"
                errors.append(
                    _err(
                        OUT_OF_RANGE,
                        f"The {field} field must be an integer from 1 to 999999.",
                        field,
                        quantity,
                    )
                )


def validate_create_order(item: Any) -> list[dict[str, Any]]:
    """All problems with one CreateOrderRequest (empty list = acceptable)."""
    if not isinstance(item, dict):
        return [_err(INVALID_FORMAT, "Each item must be a CreateOrderRequest object.", "items", item)]
    errors: list[dict[str, Any]] = []
    _text(errors, item, "orderReference", "orderReference", 40)
    recipient = item.get("recipient")
    address = recipient.get("address") if isinstance(recipient, dict) else None
    if not isinstance(address, dict):
        errors.append(_err(REQUIRED, "The recipient.address field is required.", "recipient.address", None))
    else:
        for key, limit in ADDRESS_LIMITS.items():
            required = key in {"addressLine1", "city", "countryCode"}
            _text(errors, address, key, f"recipient.address.{key}", limit, required=required)
        country = str(address.get("countryCode") or "").strip().upper()
        postcode = address.get("postcode")
        if country in GB_CODES and not (isinstance(postcode, str) and is_valid_uk_postcode(postcode)):
            errors.append(_err(INVALID_POSTCODE, "Invalid postcode", "recipient.address.postcode", postcode))
    if isinstance(recipient, dict):
        _text(errors, recipient, "phoneNumber", "recipient.phoneNumber", 25)
        _text(errors, recipient, "emailAddress", "recipient.emailAddress", 254)
    _date(errors, item, "orderDate", required=True)
    _date(errors, item, "plannedDespatchDate", required=False)
    for key, (required, maximum) in MONEY_FIELDS.items():
        _money(errors, item, key, required, maximum)
    _text(errors, item, "currencyCode", "currencyCode", 3)
    _text(errors, item, "specialInstructions", "specialInstructions", 500)
    _packages(errors, item.get("packages"))
    return errors
