"""UK postcodes: the validation rule Click & Drop applies and generators for valid/invalid ones."""

from __future__ import annotations

import random
import re

# Royal Mail format: outward code (area + district) then inward code (sector digit + unit letters).
UK_POSTCODE_RE = re.compile(
    r"^(GIR ?0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPS-UW]|[A-HK-Y][0-9][ABEHMNPRV-Y])"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})$",
    re.IGNORECASE,
)

# (post town, postcode area, highest district number): real areas so addresses look plausible.
POST_TOWNS: list[tuple[str, str, int]] = [
    ("London", "SW", 20),
    ("London", "N", 22),
    ("London", "E", 18),
    ("Manchester", "M", 40),
    ("Birmingham", "B", 48),
    ("Leeds", "LS", 29),
    ("Bristol", "BS", 16),
    ("Liverpool", "L", 38),
    ("Sheffield", "S", 14),
    ("Newcastle upon Tyne", "NE", 15),
    ("Nottingham", "NG", 20),
    ("Leicester", "LE", 19),
    ("Cardiff", "CF", 24),
    ("Edinburgh", "EH", 17),
    ("Glasgow", "G", 46),
    ("Brighton", "BN", 3),
    ("Oxford", "OX", 4),
    ("Cambridge", "CB", 5),
    ("York", "YO", 32),
    ("Norwich", "NR", 14),
    ("Exeter", "EX", 6),
    ("Bath", "BA", 2),
]

_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
INVALID_POSTCODES = ["XX1 1XXX", "N/A", "12345", "SW1A 1AAA", "ZZ", "LS1O 4AP", "EC1 1AAB", "B1 1A"]


def is_valid_uk_postcode(value: str | None) -> bool:
    """True when `value` is in the UK postcode format (case-insensitive, optional single space)."""
    if not value:
        return False
    return UK_POSTCODE_RE.match(value.strip()) is not None


def random_valid_postcode(rng: random.Random) -> tuple[str, str]:
    """A (post town, postcode) pair whose postcode always passes `is_valid_uk_postcode`."""
    town, area, max_district = rng.choice(POST_TOWNS)
    district = rng.randint(1, max_district)
    inward = f"{rng.randint(0, 9)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
    postcode = f"{area}{district} {inward}"
    assert is_valid_uk_postcode(postcode), postcode
    return town, postcode


def random_invalid_postcode(rng: random.Random) -> str:
    """A postcode a customer might type that Royal Mail must refuse."""
    return rng.choice(INVALID_POSTCODES)
