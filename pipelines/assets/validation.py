"""Delivery contact validation as an asset between the dbt staging layer and the marts.

Only contacts not checked before (a new order, or a changed address or phone: a new
contact fingerprint) are checked, and each check is kept, so the cost follows new data
and an exception can resolve when a later version of the address passes.
"""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from pipelines.assets.ingestion import WRITER_POOL
from pipelines.resources import WarehouseResource
from pipelines.validation.contacts import check_contacts

CONTACTS_MODEL = AssetKey(["intermediate", "int_order_contacts_unioned"])
CHECKS_TABLE = "validation.order_contact_checks"

# DuckDB-specific: the table is created and appended to through the warehouse resource's
# DuckDB connection (another engine would use its own loader, e.g. a dlt destination).
CREATE_CHECKS = f"""
create table if not exists {CHECKS_TABLE} (
    order_id varchar not null,
    channel varchar,
    contact_fingerprint varchar not null,
    order_updated_at timestamp,
    is_address_valid boolean,
    address_reason varchar,
    postcode_normalised varchar,
    is_phone_valid boolean,
    phone_reason varchar,
    phone_e164 varchar,
    phone_is_drama_range boolean,
    checked_at timestamp default current_timestamp,
    primary key (order_id, contact_fingerprint)
)
"""

UNCHECKED = f"""
select contacts.*
from intermediate.int_order_contacts_unioned as contacts
where not exists (
    select 1 from {CHECKS_TABLE} as checks
    where checks.order_id = contacts.order_id
        and checks.contact_fingerprint = contacts.contact_fingerprint
)
"""


@asset(
    key=AssetKey(["validation", "order_contact_checks"]),
    deps=[CONTACTS_MODEL],
    group_name="validation",
    kinds={"python", "polars", "duckdb"},
    pool=WRITER_POOL,
    description="Address completeness, UK postcode format and phone validity (phonenumbers) per contact.",
)
def order_contact_checks(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    with warehouse.connect() as conn:
        conn.execute("create schema if not exists validation")
        conn.execute(CREATE_CHECKS)
        unchecked = conn.execute(UNCHECKED).pl()
        checks = check_contacts(unchecked)
        conn.register("new_checks", checks.to_arrow())
        columns = ", ".join(checks.columns)
        conn.execute(f"insert into {CHECKS_TABLE} ({columns}) select {columns} from new_checks")
        conn.unregister("new_checks")
    invalid_addresses = checks.filter(~checks["is_address_valid"]).height
    invalid_phones = checks.filter(~checks["is_phone_valid"]).height
    if invalid_addresses or invalid_phones:
        context.log.info(f"new contacts: {invalid_addresses} bad addresses, {invalid_phones} bad phones")
    return MaterializeResult(
        metadata={
            "contacts_checked": checks.height,
            "invalid_addresses": invalid_addresses,
            "invalid_phones": invalid_phones,
        }
    )
