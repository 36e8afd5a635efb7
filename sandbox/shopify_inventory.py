"""Shopify inventory (Admin GraphQL 2025-01 subset): what the shop shows as available per SKU and
warehouse, read through `locations`, `inventoryItems`, `productVariants`, `inventoryItem`,
`inventoryLevel` and the `inventoryLevel(s)` fields, and written by `inventorySetQuantities`.

The catalogue's 40 SKUs are 40 product variants (20 products, one variant per colour), each with one
tracked inventory item stocked at both warehouse locations ("Leeds Warehouse", "Bristol Warehouse",
the same `Location` gids fulfillment orders name). Ids are fixed offsets of the SKU's place in the
catalogue (SKUs sorted), so they are stable for every world.

Quantities: `available` starts, for a SKU/location never set through the API, at that warehouse's
opening stock count of the SKU (the count the merchant typed in when the shop was set up; 0 for a
world without warehouse stock) and then changes only through `inventorySetQuantities`. The shop has
no reservations, so `committed`, `reserved`, `incoming`, `damaged`, `quality_control` and
`safety_stock` are 0 and `on_hand` equals `available`.

`inventorySetQuantities(input: {name, reason, referenceDocumentUri, ignoreCompareQuantity,
quantities: [{inventoryItemId, locationId, quantity, compareQuantity}]})` is compare-and-set as
documented: unless `ignoreCompareQuantity` is true, every quantity needs `compareQuantity` (else
COMPARE_QUANTITY_REQUIRED) equal to the current value (else COMPARE_QUANTITY_STALE); `name` must be
`available` or `on_hand` (INVALID_NAME), `reason` one of Shopify's reasons (INVALID_REASON),
`referenceDocumentUri` a URI (INVALID_REFERENCE_DOCUMENT), unknown ids give INVALID_INVENTORY_ITEM /
INVALID_LOCATION, a repeated item/location pair NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR, and
quantities beyond +-1,000,000,000 (or a negative `on_hand`) the INVALID_QUANTITY_* codes. Any user
error leaves every quantity as it was and `inventoryAdjustmentGroup` null. Otherwise one
`InventoryAdjustmentGroup` (gid://shopify/InventoryAdjustmentGroup/N) lists, per quantity that
changed, an `available` and an `on_hand` `InventoryChange` with `delta` and `quantityAfterChange`;
a quantity set to the value it already had is accepted and adds no change. User error `field` paths
start at the argument: `["input", "quantities", "0", "compareQuantity"]`.

Known differences: orders do not commit or decrement `available` (only the API moves it); search
`query` on `inventoryItems`/`productVariants` understands `sku` (exact, or a prefix with a trailing
`*`), `id`, `product_id` (variants) and free words (SKU or title), joined by AND/OR, and reports other
fields back as search warnings; `locations(query:)`, `includeLegacy`, `includeInactive` and
`inventoryLevels(query:)` are accepted and ignored; the stale-compare message is the enum's
documented description.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from graphql import GraphQLError, GraphQLSchema

from sandbox.query_cost import MAX_PAGE_SIZE
from sandbox.relay import CursorError, paginate
from sandbox.shopify_fulfillment_orders import LOCATIONS
from sandbox.timeutil import parse_iso, to_iso
from sandbox.warehouses import WAREHOUSES
from sandbox.world import world_now

INVENTORY_ITEM_BASE = 47_310_000_000_000
PRODUCT_VARIANT_BASE = 44_820_000_000_000
PRODUCT_BASE = 8_640_000_000_000
INVENTORY_LEVEL_BASE = 115_400_000_000
ADJUSTMENT_GROUP_BASE = 63_380_000_000
QUANTITY_NAMES = (
    "available", "committed", "damaged", "incoming", "on_hand", "quality_control", "reserved", "safety_stock"
)  # fmt: skip
SETTABLE_NAMES = ("available", "on_hand")
# https://shopify.dev/docs/apps/fulfillment/inventory-management-apps/quantities-states
REASONS = (
    "correction", "cycle_count_available", "damaged", "movement_canceled", "movement_created",
    "movement_received", "movement_updated", "other", "promotion", "quality_control", "received",
    "reservation_created", "reservation_deleted", "reservation_updated", "restock", "safety_stock",
    "shrinkage",
)  # fmt: skip
MAX_QUANTITY = 1_000_000_000
LOCATION_CODES = tuple(LOCATIONS)
_GID = re.compile(r"^gid://shopify/(\w+)/(\d+)(?:\?.*)?$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
_TERM = re.compile(
    r"""\s*(?:
        (?P<conn>AND|OR)(?=\s|$)
      | (?P<neg>-|NOT\s+)?(?P<field>[A-Za-z_][\w.]*):(?P<val>'[^']*'|"[^"]*"|[^\s]+)
      | (?P<word>'[^']*'|"[^"]*"|[^\s]+)
    )""",
    re.VERBOSE,
)
_STATE_KEY = "inventory"


@dataclass(frozen=True)
class CatalogueItem:
    """One SKU as a Shopify variant with its inventory item."""

    index: int
    sku: str
    title: str
    price: str
    product_index: int
    product_title: str
    colour: str

    @property
    def item_number(self) -> int:
        """InventoryItem legacy id."""
        return INVENTORY_ITEM_BASE + self.index + 1

    @property
    def variant_number(self) -> int:
        """ProductVariant legacy id."""
        return PRODUCT_VARIANT_BASE + self.index + 1

    def level_number(self, code: str) -> int:
        """InventoryLevel number at a location."""
        return INVENTORY_LEVEL_BASE + 2 * self.index + LOCATION_CODES.index(code) + 1


@dataclass
class InventoryState:
    """The catalogue and the shop's quantities, as one request sees them."""

    items: list[CatalogueItem]
    available: dict[tuple[str, str], int]
    updated: dict[tuple[str, str], str]
    created_at: str
    by_sku: dict[str, CatalogueItem] = field(init=False)
    by_item: dict[int, CatalogueItem] = field(init=False)
    by_variant: dict[int, CatalogueItem] = field(init=False)

    def __post_init__(self) -> None:
        self.by_sku = {i.sku: i for i in self.items}
        self.by_item = {i.item_number: i for i in self.items}
        self.by_variant = {i.variant_number: i for i in self.items}

    def product_items(self, product_index: int) -> list[CatalogueItem]:
        """The variants of one product, in SKU order."""
        return [i for i in self.items if i.product_index == product_index]

    def updated_at(self, sku: str, code: str | None = None) -> str:
        """When a level (or any level of the SKU) last changed; the catalogue's creation otherwise."""
        codes = [code] if code else list(LOCATION_CODES)
        return max([self.created_at, *(self.updated.get((sku, c), self.created_at) for c in codes)])


def catalogue(conn: sqlite3.Connection) -> list[CatalogueItem]:
    """The world's products as Shopify variants (SKU order; a product per SKU stem)."""
    rows = conn.execute("SELECT sku, title, price FROM products ORDER BY sku").fetchall()
    stems = sorted({r["sku"].split("-")[1] for r in rows})
    items = []
    for index, row in enumerate(rows):
        product_title, _, colour = row["title"].rpartition(" - ")
        items.append(
            CatalogueItem(
                index=index,
                sku=row["sku"],
                title=row["title"],
                price=row["price"],
                product_index=stems.index(row["sku"].split("-")[1]),
                product_title=product_title or row["title"],
                colour=colour,
            )
        )
    return items


def initial_available(conn: sqlite3.Connection) -> dict[tuple[str, str], int]:
    """(sku, location code) -> the warehouse's opening count: what the shop shows before any push."""
    rows = conn.execute(
        "SELECT sku, warehouse, SUM(delta) AS n FROM stock_moves WHERE kind = 'opening'"
        " GROUP BY sku, warehouse"
    )
    return {(r["sku"], r["warehouse"]): int(r["n"]) for r in rows}


def load_state(conn: sqlite3.Connection) -> InventoryState:
    """Catalogue plus current quantities (pushed values over opening counts)."""
    items = catalogue(conn)
    opening = initial_available(conn)
    available = {(i.sku, code): opening.get((i.sku, code), 0) for i in items for code in LOCATION_CODES}
    updated: dict[tuple[str, str], str] = {}
    for row in conn.execute("SELECT sku, location, available, updated_at FROM shopify_inventory_levels"):
        available[(row["sku"], row["location"])] = int(row["available"])
        updated[(row["sku"], row["location"])] = row["updated_at"]
    first = conn.execute("SELECT MIN(created_at) FROM orders").fetchone()[0]
    start = parse_iso(first) if first else world_now(conn)
    created = to_iso((start - timedelta(days=30)).replace(hour=9, minute=0, second=0))
    return InventoryState(items, available, updated, created)


def _state(info: Any) -> InventoryState:
    cache = info.context.cache
    if _STATE_KEY not in cache:
        cache[_STATE_KEY] = load_state(info.context.conn)
    return cache[_STATE_KEY]


def _gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def parse_gid(value: str | None, kind: str) -> int | None:
    """The number in a gid of `kind`; None for another kind or shape."""
    match = _GID.match(value or "")
    if match is None or match.group(1) != kind:
        return None
    return int(match.group(2))


def _strict_gid(value: str, kind: str) -> int:
    """For `field(id:)` lookups: a malformed global id is a GraphQL error, as in Shopify."""
    if _GID.match(value or "") is None:
        raise GraphQLError(f"Invalid global id '{value}'")
    number = parse_gid(value, kind)
    return -1 if number is None else number


def location_code(number: int) -> str | None:
    """Warehouse code of a Location legacy id."""
    return next((code for code, place in LOCATIONS.items() if place.number == number), None)


def location_node(code: str) -> dict[str, Any]:
    """A warehouse as a full Location object."""
    place = LOCATIONS[code]
    city = WAREHOUSES[code].city
    return {
        "id": _gid("Location", place.number),
        "legacyResourceId": str(place.number),
        "name": place.name,
        "isActive": True,
        "fulfillsOnlineOrders": True,
        "shipsInventory": True,
        "hasActiveInventory": True,
        "address": {
            "address1": place.address1,
            "address2": None,
            "city": city,
            "province": None,
            "provinceCode": None,
            "zip": place.zip,
            "country": "United Kingdom",
            "countryCode": "GB",
            "phone": None,
            "formatted": [place.address1, f"{city} {place.zip}", "United Kingdom"],
        },
        "_code": code,
    }


def _code_of(location: dict[str, Any]) -> str:
    """The warehouse of a Location object (ours, or the slimmer one fulfillment orders carry)."""
    code = location.get("_code") or location_code(int(location["legacyResourceId"]))
    assert code is not None
    return code


def item_node(state: InventoryState, item: CatalogueItem) -> dict[str, Any]:
    """InventoryItem object."""
    return {
        "id": _gid("InventoryItem", item.item_number),
        "legacyResourceId": str(item.item_number),
        "sku": item.sku,
        "tracked": True,
        "requiresShipping": True,
        "createdAt": state.created_at,
        "updatedAt": state.updated_at(item.sku),
        "_sku": item.sku,
    }


def variant_node(state: InventoryState, item: CatalogueItem) -> dict[str, Any]:
    """ProductVariant object."""
    return {
        "id": _gid("ProductVariant", item.variant_number),
        "legacyResourceId": str(item.variant_number),
        "sku": item.sku,
        "title": item.colour or "Default Title",
        "displayName": item.title,
        "price": item.price,
        "inventoryQuantity": sum(state.available[(item.sku, c)] for c in LOCATION_CODES),
        "createdAt": state.created_at,
        "updatedAt": state.updated_at(item.sku),
        "_sku": item.sku,
    }


def product_node(state: InventoryState, product_index: int) -> dict[str, Any]:
    """Product object."""
    items = state.product_items(product_index)
    number = PRODUCT_BASE + product_index + 1
    title = items[0].product_title
    return {
        "id": _gid("Product", number),
        "legacyResourceId": str(number),
        "title": title,
        "handle": re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-"),
        "status": "ACTIVE",
        "createdAt": state.created_at,
        "updatedAt": max(state.updated_at(i.sku) for i in items),
        "totalInventory": sum(state.available[(i.sku, c)] for i in items for c in LOCATION_CODES),
        "tracksInventory": True,
        "_index": product_index,
    }


def level_node(state: InventoryState, item: CatalogueItem, code: str) -> dict[str, Any]:
    """InventoryLevel object (its gid carries the item, as Shopify's do)."""
    return {
        "id": f"gid://shopify/InventoryLevel/{item.level_number(code)}?inventory_item_id={item.item_number}",
        "createdAt": state.created_at,
        "updatedAt": state.updated_at(item.sku, code),
        "canDeactivate": False,
        "_sku": item.sku,
        "_code": code,
        "_number": item.level_number(code),
    }


def _connection(
    items: list[Any],
    key: Callable[[Any], tuple[Any, int]],
    value_type: type,
    to_node: Callable[[Any], dict[str, Any]],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    reverse: bool,
) -> dict[str, Any]:
    """A connection over `items` (sorted ascending by `key`), as the orders connection pages."""
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    if first is not None and last is not None:
        raise GraphQLError("Passing both `first` and `last` to paginate a connection is not supported.")
    for name, size in (("first", first), ("last", last)):
        if size is not None and not 0 <= size <= MAX_PAGE_SIZE:
            raise GraphQLError(f"The {name} argument must be between 0 and {MAX_PAGE_SIZE}, got {size}.")
    try:
        page = paginate(
            items, key, value_type, first=first, after=after, last=last, before=before, reverse=reverse
        )
    except CursorError as exc:
        raise GraphQLError(str(exc)) from exc
    return page.connection(to_node)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _matches_field(item: CatalogueItem, name: str, value: str, variant: bool) -> bool:
    value = value.lower()
    if name == "sku":
        sku = item.sku.lower()
        return sku.startswith(value[:-1]) if value.endswith("*") else sku == value
    if name == "id":
        number = int(value.rsplit("/", 1)[-1]) if value.rsplit("/", 1)[-1].isdigit() else -1
        return number == (item.variant_number if variant else item.item_number)
    if name == "product_id":
        number = int(value.rsplit("/", 1)[-1]) if value.rsplit("/", 1)[-1].isdigit() else -1
        return number == PRODUCT_BASE + item.product_index + 1
    return True


def search_items(
    items: list[CatalogueItem], query: str | None, variant: bool
) -> tuple[list[CatalogueItem], list[dict[str, str]]]:
    """Items matching a Shopify search string, and warnings for fields this search does not know."""
    if not query or not query.strip():
        return list(items), []
    known = {"sku", "id", "product_id"} if variant else {"sku", "id"}
    groups: list[list[tuple[str | None, str, bool]]] = []
    group: list[tuple[str | None, str, bool]] = []
    warnings = []
    for match in _TERM.finditer(query):
        if match.group("conn") == "OR":
            groups.append(group)
            group = []
        elif match.group("conn") == "AND" or not match.group(0).strip():
            continue
        elif match.group("field"):
            name = match.group("field").lower()
            if name not in known:
                warnings.append(
                    {
                        "field": name,
                        "message": "Invalid search field for this query.",
                        "code": "invalid_field",
                    }
                )
                continue
            group.append((name, _unquote(match.group("val")), bool(match.group("neg"))))
        else:
            group.append((None, _unquote(match.group("word")), False))
    groups.append(group)

    def term(item: CatalogueItem, name: str | None, value: str, negated: bool) -> bool:
        if name is None:
            hit = value.lower() in item.sku.lower() or value.lower() in item.title.lower()
        else:
            hit = _matches_field(item, name, value, variant)
        return hit != negated

    chosen = [i for i in items if any(all(term(i, *t) for t in g) for g in groups if g) or not any(groups)]
    return chosen, warnings


def _note_search(info: Any, query: str | None, warnings: list[dict[str, str]]) -> None:
    if query:
        info.context.search.append({"path": [info.path.key], "query": query, "warnings": warnings})


# Query root resolvers.


def resolve_locations(
    _root: object,
    info: Any,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    reverse: bool = False,
    sortKey: str = "NAME",
    **_ignored: Any,
) -> dict[str, Any]:
    """QueryRoot.locations: both warehouses (by name unless sortKey is ID/RELEVANCE)."""
    nodes = [location_node(code) for code in LOCATION_CODES]
    if sortKey == "NAME":
        nodes.sort(key=lambda n: (n["name"], int(n["legacyResourceId"])))
        return _connection(
            nodes, lambda n: (n["name"], int(n["legacyResourceId"])), str, dict,
            first, after, last, before, reverse,
        )  # fmt: skip
    nodes.sort(key=lambda n: int(n["legacyResourceId"]))
    return _connection(
        nodes, lambda n: (int(n["legacyResourceId"]), int(n["legacyResourceId"])), int, dict,
        first, after, last, before, reverse,
    )  # fmt: skip


def resolve_location(_root: object, _info: Any, id: str | None = None) -> dict[str, Any] | None:
    """QueryRoot.location: by id, or the shop's primary location (Leeds) without one."""
    if id is None:
        return location_node(LOCATION_CODES[0])
    code = location_code(_strict_gid(id, "Location"))
    return None if code is None else location_node(code)


def resolve_inventory_items(
    _root: object,
    info: Any,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    reverse: bool = False,
    query: str | None = None,
) -> dict[str, Any]:
    """QueryRoot.inventoryItems, by id, filtered by `query` (e.g. "sku:OL-MUG-SGE")."""
    state = _state(info)
    chosen, warnings = search_items(state.items, query, variant=False)
    _note_search(info, query, warnings)
    return _connection(
        chosen, lambda i: (i.item_number, i.item_number), int, lambda i: item_node(state, i),
        first, after, last, before, reverse,
    )  # fmt: skip


def resolve_inventory_item(_root: object, info: Any, id: str) -> dict[str, Any] | None:
    """QueryRoot.inventoryItem(id:)."""
    state = _state(info)
    item = state.by_item.get(_strict_gid(id, "InventoryItem"))
    return None if item is None else item_node(state, item)


def resolve_inventory_level(_root: object, info: Any, id: str) -> dict[str, Any] | None:
    """QueryRoot.inventoryLevel(id:)."""
    state = _state(info)
    number = _strict_gid(id, "InventoryLevel") - INVENTORY_LEVEL_BASE - 1
    if number < 0 or number // 2 >= len(state.items):
        return None
    return level_node(state, state.items[number // 2], LOCATION_CODES[number % 2])


_VARIANT_SORT: dict[str, tuple[Callable[[CatalogueItem, InventoryState], Any], type]] = {
    "ID": (lambda i, s: i.variant_number, int),
    "RELEVANCE": (lambda i, s: i.variant_number, int),
    "POSITION": (lambda i, s: i.variant_number, int),
    "SKU": (lambda i, s: i.sku, str),
    "TITLE": (lambda i, s: i.colour, str),
    "NAME": (lambda i, s: i.title, str),
    "INVENTORY_QUANTITY": (lambda i, s: sum(s.available[(i.sku, c)] for c in LOCATION_CODES), int),
}


def resolve_product_variants(
    _root: object,
    info: Any,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    reverse: bool = False,
    sortKey: str = "ID",
    query: str | None = None,
) -> dict[str, Any]:
    """QueryRoot.productVariants, filtered by `query` (e.g. "sku:OL-MUG-SGE")."""
    state = _state(info)
    chosen, warnings = search_items(state.items, query, variant=True)
    _note_search(info, query, warnings)
    value_of, value_type = _VARIANT_SORT[sortKey]
    chosen.sort(key=lambda i: (value_of(i, state), i.variant_number))
    return _connection(
        chosen, lambda i: (value_of(i, state), i.variant_number), value_type,
        lambda i: variant_node(state, i), first, after, last, before, reverse,
    )  # fmt: skip


def resolve_product_variant(_root: object, info: Any, id: str) -> dict[str, Any] | None:
    """QueryRoot.productVariant(id:)."""
    state = _state(info)
    item = state.by_variant.get(_strict_gid(id, "ProductVariant"))
    return None if item is None else variant_node(state, item)


# Object field resolvers.


def _levels_connection(
    state: InventoryState, pairs: list[tuple[CatalogueItem, str]], **page: Any
) -> dict[str, Any]:
    page.pop("query", None)
    return _connection(
        pairs,
        lambda p: (p[0].level_number(p[1]), p[0].level_number(p[1])),
        int,
        lambda p: level_node(state, p[0], p[1]),
        page.get("first"),
        page.get("after"),
        page.get("last"),
        page.get("before"),
        bool(page.get("reverse")),
    )


def _item_inventory_level(parent: dict[str, Any], info: Any, locationId: str) -> dict[str, Any] | None:
    state = _state(info)
    code = location_code(_strict_gid(locationId, "Location"))
    return None if code is None else level_node(state, state.by_sku[parent["_sku"]], code)


def _item_inventory_levels(parent: dict[str, Any], info: Any, **page: Any) -> dict[str, Any]:
    state = _state(info)
    item = state.by_sku[parent["_sku"]]
    return _levels_connection(state, [(item, code) for code in LOCATION_CODES], **page)


def _location_inventory_level(
    parent: dict[str, Any], info: Any, inventoryItemId: str
) -> dict[str, Any] | None:
    state = _state(info)
    item = state.by_item.get(_strict_gid(inventoryItemId, "InventoryItem"))
    return None if item is None else level_node(state, item, _code_of(parent))


def _location_inventory_levels(parent: dict[str, Any], info: Any, **page: Any) -> dict[str, Any]:
    state = _state(info)
    code = _code_of(parent)
    return _levels_connection(state, [(item, code) for item in state.items], **page)


def _quantities(parent: dict[str, Any], info: Any, names: list[str]) -> list[dict[str, Any]]:
    state = _state(info)
    unknown = [n for n in names if n not in QUANTITY_NAMES]
    if unknown:
        raise GraphQLError(
            f"Invalid quantity name(s): {', '.join(unknown)}. Valid names are: {', '.join(QUANTITY_NAMES)}."
        )
    available = state.available[(parent["_sku"], parent["_code"])]
    values = {"available": available, "on_hand": available}
    item = state.by_sku[parent["_sku"]]
    return [
        {
            "id": f"gid://shopify/InventoryQuantity/{parent['_number']}"
            f"?inventory_item_id={item.item_number}&name={name}",
            "name": name,
            "quantity": values.get(name, 0),
            "updatedAt": parent["updatedAt"],
        }
        for name in names
    ]


def _changes(
    group: dict[str, Any],
    _info: Any,
    inventoryItemIds: list[str] | None = None,
    locationIds: list[str] | None = None,
    quantityNames: list[str] | None = None,
) -> list[dict[str, Any]]:
    items = None if inventoryItemIds is None else {parse_gid(i, "InventoryItem") for i in inventoryItemIds}
    locations = None if locationIds is None else {parse_gid(i, "Location") for i in locationIds}
    return [
        c
        for c in group["_changes"]
        if (items is None or c["_item_number"] in items)
        and (locations is None or LOCATIONS[c["_code"]].number in locations)
        and (quantityNames is None or c["name"] in quantityNames)
    ]


# The mutation.


# The enum's documented descriptions, used as the messages.
USER_ERROR_MESSAGES = {
    "INVALID_NAME": "The quantity name must be either 'available' or 'on_hand'.",
    "INVALID_REASON": "The specified reason is invalid.",
    "INVALID_REFERENCE_DOCUMENT": "The specified reference document is invalid.",
    "INVALID_INVENTORY_ITEM": "The specified inventory item could not be found.",
    "INVALID_LOCATION": "The specified location could not be found.",
    "INVALID_QUANTITY_TOO_HIGH": "The total quantity can't be higher than 1,000,000,000.",
    "INVALID_QUANTITY_TOO_LOW": "The total quantity can't be lower than -1,000,000,000.",
    "INVALID_QUANTITY_NEGATIVE": "The quantity can't be negative.",
    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR": (
        "The combination of inventoryItemId and locationId must be unique."
    ),
    "COMPARE_QUANTITY_REQUIRED": (
        "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity."
    ),
    "COMPARE_QUANTITY_STALE": "The compareQuantity value does not match persisted value.",
}


def _user_error(code: str, path: list[str]) -> dict[str, Any]:
    return {"code": code, "field": path, "message": USER_ERROR_MESSAGES[code]}


def _quantity_error(name: str, quantity: int) -> str | None:
    if quantity > MAX_QUANTITY:
        return "INVALID_QUANTITY_TOO_HIGH"
    if name == "on_hand" and quantity < 0:
        return "INVALID_QUANTITY_NEGATIVE"
    if quantity < -MAX_QUANTITY:
        return "INVALID_QUANTITY_TOO_LOW"
    return None


def set_quantities(conn: sqlite3.Connection, state: InventoryState, data: dict[str, Any]) -> dict[str, Any]:
    """inventorySetQuantities on a write connection: all quantities or none (see module docstring)."""
    now = to_iso(world_now(conn))
    name, reason = data["name"], data["reason"]
    reference = data.get("referenceDocumentUri")
    ignore_compare = bool(data.get("ignoreCompareQuantity"))
    errors: list[dict[str, Any]] = []
    if name not in SETTABLE_NAMES:
        errors.append(_user_error("INVALID_NAME", ["input", "name"]))
    if reason not in REASONS:
        errors.append(_user_error("INVALID_REASON", ["input", "reason"]))
    if reference is not None and not _URI.match(reference):
        errors.append(_user_error("INVALID_REFERENCE_DOCUMENT", ["input", "referenceDocumentUri"]))
    rows: list[tuple[CatalogueItem, str, int, int | None, int]] = []
    stale: list[tuple[CatalogueItem, str, int, int | None, int]] = []
    seen: set[tuple[str, str]] = set()
    for index, quantity_input in enumerate(data["quantities"]):
        path = ["input", "quantities", str(index)]
        item = state.by_item.get(parse_gid(quantity_input["inventoryItemId"], "InventoryItem") or -1)
        code = location_code(parse_gid(quantity_input["locationId"], "Location") or -1)
        quantity = int(quantity_input["quantity"])
        compare = quantity_input.get("compareQuantity")
        if item is None:
            errors.append(_user_error("INVALID_INVENTORY_ITEM", [*path, "inventoryItemId"]))
        if code is None:
            errors.append(_user_error("INVALID_LOCATION", [*path, "locationId"]))
        problem = _quantity_error(name, quantity)
        if problem is not None:
            errors.append(_user_error(problem, [*path, "quantity"]))
        if item is None or code is None:
            continue
        if (item.sku, code) in seen:
            errors.append(_user_error("NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR", path))
            continue
        seen.add((item.sku, code))
        current = state.available[(item.sku, code)]
        row = (item, code, quantity, compare, current)
        if not ignore_compare and compare is None:
            errors.append(_user_error("COMPARE_QUANTITY_REQUIRED", [*path, "compareQuantity"]))
        elif not ignore_compare and compare != current:
            errors.append(_user_error("COMPARE_QUANTITY_STALE", [*path, "compareQuantity"]))
            stale.append(row)
        rows.append(row)
    if errors:
        for item, code, quantity, compare, current in stale:
            _log_push(conn, None, item.sku, code, quantity, compare, current, "COMPARE_QUANTITY_STALE", now)
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}

    cursor = conn.execute(
        "INSERT INTO shopify_inventory_groups(created_at, name, reason, reference_document_uri)"
        " VALUES (?, ?, ?, ?)",
        (now, name, reason, reference),
    )
    group_id = int(cursor.lastrowid or 0)
    changes = []
    for item, code, quantity, compare, current in rows:
        conn.execute(
            "INSERT INTO shopify_inventory_levels(sku, location, available, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(sku, location) DO UPDATE SET available = excluded.available,"
            " updated_at = excluded.updated_at",
            (item.sku, code, quantity, now),
        )
        _log_push(conn, group_id, item.sku, code, quantity, compare, current, "applied", now)
        if quantity == current:
            continue
        for changed in (name, *(n for n in SETTABLE_NAMES if n != name)):
            changes.append(
                {
                    "name": changed,
                    "delta": quantity - current,
                    "quantityAfterChange": quantity,
                    "ledgerDocumentUri": None,
                    "_sku": item.sku,
                    "_code": code,
                    "_item_number": item.item_number,
                }
            )
    group = {
        "id": _gid("InventoryAdjustmentGroup", ADJUSTMENT_GROUP_BASE + group_id),
        "createdAt": now,
        "reason": reason,
        "referenceDocumentUri": reference,
        "_changes": changes,
    }
    return {"inventoryAdjustmentGroup": group, "userErrors": []}


def _log_push(
    conn: sqlite3.Connection,
    group_id: int | None,
    sku: str,
    code: str,
    quantity: int,
    compare: int | None,
    previous: int,
    outcome: str,
    at: str,
) -> None:
    conn.execute(
        "INSERT INTO shopify_inventory_pushes(group_id, sku, location, quantity, compare_quantity, previous,"
        " outcome, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (group_id, sku, code, quantity, compare, previous, outcome, at),
    )


def resolve_inventory_set_quantities(_root: object, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    """Mutation.inventorySetQuantities; later fields of the same request see the new quantities."""
    result = set_quantities(info.context.conn, _state(info), input)
    info.context.cache.pop(_STATE_KEY, None)
    return result


def install(schema: GraphQLSchema) -> None:
    """Attach the inventory resolvers to the executable schema."""
    query_root = schema.query_type
    mutation_root = schema.mutation_type
    assert query_root is not None and mutation_root is not None
    for name, resolver in (
        ("locations", resolve_locations),
        ("location", resolve_location),
        ("inventoryItems", resolve_inventory_items),
        ("inventoryItem", resolve_inventory_item),
        ("inventoryLevel", resolve_inventory_level),
        ("productVariants", resolve_product_variants),
        ("productVariant", resolve_product_variant),
    ):
        query_root.fields[name].resolve = resolver
    mutation_root.fields["inventorySetQuantities"].resolve = resolve_inventory_set_quantities

    def fields(type_name: str) -> Any:
        return schema.get_type(type_name).fields  # type: ignore[union-attr]

    location = fields("Location")
    for name in ("isActive", "fulfillsOnlineOrders", "shipsInventory", "hasActiveInventory", "address"):
        location[name].resolve = lambda parent, _info, _name=name: location_node(_code_of(parent))[_name]
    location["inventoryLevel"].resolve = _location_inventory_level
    location["inventoryLevels"].resolve = _location_inventory_levels
    item = fields("InventoryItem")
    item["variant"].resolve = lambda parent, info: variant_node(
        _state(info), _state(info).by_sku[parent["_sku"]]
    )
    item["inventoryLevel"].resolve = _item_inventory_level
    item["inventoryLevels"].resolve = _item_inventory_levels
    level = fields("InventoryLevel")
    level["item"].resolve = lambda parent, info: item_node(_state(info), _state(info).by_sku[parent["_sku"]])
    level["location"].resolve = lambda parent, _info: location_node(parent["_code"])
    level["quantities"].resolve = _quantities
    variant = fields("ProductVariant")
    variant["inventoryItem"].resolve = lambda parent, info: item_node(
        _state(info), _state(info).by_sku[parent["_sku"]]
    )
    variant["product"].resolve = lambda parent, info: product_node(
        _state(info), _state(info).by_sku[parent["_sku"]].product_index
    )
    fields("Product")["variants"].resolve = lambda parent, info, **page: _connection(
        _state(info).product_items(parent["_index"]),
        lambda i: (i.variant_number, i.variant_number),
        int,
        lambda i: variant_node(_state(info), i),
        page.get("first"),
        page.get("after"),
        page.get("last"),
        page.get("before"),
        bool(page.get("reverse")),
    )
    change = fields("InventoryChange")
    change["item"].resolve = lambda parent, info: item_node(_state(info), _state(info).by_sku[parent["_sku"]])
    change["location"].resolve = lambda parent, _info: location_node(parent["_code"])
    fields("InventoryAdjustmentGroup")["changes"].resolve = _changes
