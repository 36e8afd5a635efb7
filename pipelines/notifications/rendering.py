"""Rendering a notification from its template: the first line is ``Subject: ...``, the
rest the text body. Templates are Jinja2 files in ``templates/``: one per kind
(``confirmation``, ``despatched``, ``delivered``) and one per exception notice, chosen by
the notification rules (rules/notifications.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).parent / "templates"
# Royal Mail's public tracking page; other carriers would add theirs here.
TRACKING_URL = "https://www.royalmail.com/track-your-item#/tracking-results/{number}"

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,  # plain-text emails
)


def render(template: str, fields: dict[str, Any]) -> tuple[str, str]:
    """(subject, text body) of one order's notification from ``templates/<template>.txt``."""
    tracking = fields.get("tracking_number")
    context = {
        "carrier": None,
        "tracking_number": None,
        "ship_to_postcode": None,
        **fields,
        "tracking_url": TRACKING_URL.format(number=quote(str(tracking))) if tracking else None,
    }
    subject_line, _, body = _environment.get_template(f"{template}.txt").render(context).partition("\n")
    return subject_line.removeprefix("Subject:").strip(), body.lstrip("\n")
