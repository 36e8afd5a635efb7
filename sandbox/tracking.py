"""Royal Mail style tracking numbers (UPU S10: 2 letters, 8 digits, check digit, 'GB')."""

from __future__ import annotations

_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_check_digit(serial: str) -> int:
    """The UPU S10 check digit for an 8-digit serial."""
    total = sum(int(d) * w for d, w in zip(serial, _WEIGHTS, strict=True))
    check = 11 - (total % 11)
    if check == 10:
        return 0
    if check == 11:
        return 5
    return check


def tracking_number(seed: int, booking_identifier: int, prefix: str = "RM") -> str:
    """Deterministic and unique per booking identifier for a given seed (bijective serial)."""
    serial = f"{(booking_identifier * 7919 + seed * 104729 + 1234567) % 100_000_000:08d}"
    return f"{prefix}{serial}{s10_check_digit(serial)}GB"
