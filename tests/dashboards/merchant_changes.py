"""What the merchant changed in an outside system before the dashboards' world is loaded.

The support team added a contact reason to its Zendesk ticket form that orderloop's vocabulary
(``seeds/source_status_mappings.csv``) does not know yet. That is real data through the real
Zendesk API of the sandbox, and it makes two warn-severity dbt tests fail on the pass:
the accepted values of ``stg_zendesk__tickets.contact_reason`` and
``unmapped_source_values_is_empty``, so the Data checks section has a real warning to show.
"""

from __future__ import annotations

from pathlib import Path

from sandbox.world import opened

NEW_CONTACT_REASON = "refund_request"
WARNED_CHECKS = {
    ("staging/stg_zendesk__tickets",
     "accepted_values_stg_zendesk__tickets_contact_reason__where_is_my_order__damaged__return__other"),
    ("marts/unmapped_source_values", "unmapped_source_values_is_empty"),
}


def add_unknown_contact_reason(sandbox_dir: Path) -> int:
    """Give the first ticket the new reason (its form field value); returns the ticket id."""
    with opened(sandbox_dir, write=True) as conn:
        (ticket_id,) = conn.execute("SELECT MIN(id) FROM zendesk_tickets").fetchone()
        conn.execute("UPDATE zendesk_tickets SET reason = ? WHERE id = ?", (NEW_CONTACT_REASON, ticket_id))
    return int(ticket_id)
