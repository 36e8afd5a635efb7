"""Customer notification triggers (rules/notifications.yaml): which kinds are sent, and which
exception reasons notify the customer with which template."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from orderloop.paths import PROJECT_ROOT
from orderloop.rule_sets.versioning import RuleVersion

NOTIFICATION_TEMPLATES = PROJECT_ROOT / "pipelines" / "notifications" / "templates"
# Exceptions a customer can act on or should hear about. The others (a fraud review, a
# carrier refusing a booking, a despatch deadline at risk) are the merchant's business:
# naming one in the rules is an error, so no version can ever email a customer about it.
CUSTOMER_FACING_REASONS = frozenset(
    {"address_invalid", "payment_failed", "stock_shortage", "delivery_failed", "phone_invalid"}
)
NotificationKind = Literal["confirmation", "despatched", "delivered", "cancelled", "exception"]


class NotificationRules(RuleVersion):
    """Which customer notifications are sent, and which template answers which exception."""

    kinds: list[NotificationKind] = Field(min_length=1)
    # exception reason -> template (pipelines/notifications/templates/<name>.txt)
    exception_templates: dict[str, str] = Field(default_factory=dict)

    @field_validator("exception_templates")
    @classmethod
    def _customer_facing_with_a_template(cls, value: dict[str, str]) -> dict[str, str]:
        for reason, template in value.items():
            if reason not in CUSTOMER_FACING_REASONS:
                raise ValueError(
                    f"exception reason {reason!r} is not customer-facing; customers may be notified of"
                    f" {sorted(CUSTOMER_FACING_REASONS)} only"
                )
            if not (NOTIFICATION_TEMPLATES / f"{template}.txt").is_file():
                raise ValueError(f"no template {template!r} for {reason} in {NOTIFICATION_TEMPLATES}")
        return value

    def template_for(self, kind: str, exception_reason: str | None = None) -> str | None:
        """The template to send for this kind (and exception reason), or None when not notified."""
        if kind not in self.kinds:
            return None
        if kind == "exception":
            return self.exception_templates.get(exception_reason or "")
        return kind
