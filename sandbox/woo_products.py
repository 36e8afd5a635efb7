"""WooCommerce REST API v3 (subset): the catalogue's products and their stock.

The shop sells the catalogue as variable products (one parent per item, ids 100, 103, ...; a
variation per colour, parent id + 1 and + 2), as its orders' line items show (`product_id`,
`variation_id`). The SKUs are on the variations. Copied from the public contract:

- `GET /products`: parents only (`type` variable), paged like orders (`page`, `per_page` <= 100,
  `offset`, `include`, `type`, `orderby` date|id|include|title|slug|modified, `order`; `X-WP-Total`,
  `X-WP-TotalPages`, `Link`). With `sku` (a comma list) WooCommerce also searches variations, so
  `GET /products?sku=OL-MUG-SGE` answers `[{"id": 101, "type": "variation", "parent_id": 100,
  "sku": "OL-MUG-SGE", "manage_stock", "stock_quantity", "stock_status", ...}]`.
- `GET /products/{id}` serves a parent or a variation.
- `PUT|POST|PATCH /products/{id}` updates a parent, but for a variation answers WooCommerce's 404
  `woocommerce_rest_invalid_product_id` ("To manipulate product variations you should use the
  /products/&lt;product_id&gt;/variations/&lt;id&gt; endpoint."); an unknown id is a 400
  `woocommerce_rest_product_invalid_id`.
- `GET /products/{product_id}/variations` (paged, `sku` filter), `GET|PUT|POST|PATCH
  /products/{product_id}/variations/{id}`: the variation endpoint that sets a SKU's stock, e.g.
  `{"manage_stock": true, "stock_quantity": 7}`; a variation of another parent or an unknown one is
  `woocommerce_rest_product_variation_invalid_id` (404 on GET, 400 on update).

Stock fields follow WooCommerce: nothing manages stock at first (`manage_stock` false,
`stock_quantity` null, `stock_status` "instock"), so the first push must send `manage_stock: true`;
a product that does not manage stock keeps `stock_quantity` null whatever is sent (WooCommerce
clears it on save); a managed quantity of 0 or less is "outofstock". A variation of a parent that
manages stock shows the parent's quantity (`manage_stock` "parent" on the variations endpoint).
Bodies are JSON (or form-encoded); `manage_stock` is a boolean, `stock_quantity` an integer (else
400 `rest_invalid_param`). Known differences: only `manage_stock`, `stock_quantity` and
`stock_status` are written (other fields are accepted and left as they are); reviews, images,
downloads, `total_sales` and the like are left out of the answers; `search`, `status`, `category`
and other list filters are ignored.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.timeutil import parse_iso, to_iso
from sandbox.woo_factory import woo_catalogue
from sandbox.woo_resources import API_BASE, woo_dates
from sandbox.woocommerce import MAX_PER_PAGE, InvalidParams, _Params, paged_response, refusal, wp_error
from sandbox.world import WorldMissingError, opened, world_now

Endpoint = Callable[[Request], Awaitable[Response]]
STOCK_STATUSES = ("instock", "outofstock", "onbackorder")
PRODUCT_ORDERBY = ["date", "id", "include", "title", "slug", "modified"]
PRODUCT_TYPES = ["simple", "grouped", "external", "variable"]
VARIATION_MESSAGE = (
    "To manipulate product variations you should use the /products/&lt;product_id&gt;/variations/&lt;id&gt;"
    " endpoint."
)


@dataclass(frozen=True)
class Catalogue:
    """Parents and variations of the shop, with their stock as it stands."""

    parents: dict[int, dict[str, Any]]
    variations: dict[int, dict[str, Any]]
    stock: dict[int, sqlite3.Row]
    created_gmt: str

    def stock_of(self, product_id: int) -> tuple[bool, int | None, str, str]:
        """(manage_stock, stock_quantity, stock_status, modified_gmt) as stored, defaults if never set."""
        row = self.stock.get(product_id)
        if row is None:
            return False, None, "instock", self.created_at(product_id)
        return bool(row["manage_stock"]), row["stock_quantity"], row["stock_status"], row["modified_gmt"]

    def created_at(self, product_id: int) -> str:
        """Creation time: the catalogue's, a minute apart per product id (so date order is id order)."""
        return to_iso(parse_iso(self.created_gmt) + timedelta(minutes=product_id - min(self.parents)))


def load_catalogue(conn: sqlite3.Connection) -> Catalogue:
    """The shop's products from the world's catalogue, with their stored stock."""
    variations = {p["variation_id"]: p for p in woo_catalogue(conn)}
    parents: dict[int, dict[str, Any]] = {}
    for variation in sorted(variations.values(), key=lambda v: v["variation_id"]):
        parent = parents.setdefault(
            variation["product_id"],
            {"id": variation["product_id"], "name": variation["parent_name"], "children": []},
        )
        parent["children"].append(variation)
    stock = {r["product_id"]: r for r in conn.execute("SELECT * FROM woo_product_stock")}
    first = conn.execute("SELECT MIN(created_gmt) FROM woo_orders").fetchone()[0]
    start = parse_iso(first) if first else world_now(conn)
    created = to_iso((start - timedelta(days=30)).replace(hour=10, minute=0, second=0))
    return Catalogue(parents, variations, stock, created)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _kg(grams: int) -> str:
    return format((Decimal(grams) / 1000).normalize(), "f")


def _dates(catalogue: Catalogue, product_id: int, modified_gmt: str) -> dict[str, str | None]:
    created, created_gmt = woo_dates(catalogue.created_at(product_id))
    modified, modified_gmt_text = woo_dates(modified_gmt)
    return {
        "date_created": created,
        "date_created_gmt": created_gmt,
        "date_modified": modified,
        "date_modified_gmt": modified_gmt_text,
    }


def _stock_fields(manage: bool, quantity: int | None, status: str) -> dict[str, Any]:
    if manage:
        status = "instock" if (quantity or 0) > 0 else "outofstock"
    return {
        "manage_stock": manage,
        "stock_quantity": quantity if manage else None,
        "stock_status": status,
        "backorders": "no",
        "backorders_allowed": False,
        "backordered": False,
        "low_stock_amount": None,
    }


def _variation_stock(catalogue: Catalogue, variation: dict[str, Any]) -> tuple[Any, int | None, str, str]:
    """(manage_stock as the variations endpoint shows it, quantity, status, modified)."""
    manage, quantity, status, modified = catalogue.stock_of(variation["variation_id"])
    if manage:
        return True, quantity, status, modified
    parent_manage, parent_quantity, parent_status, _ = catalogue.stock_of(variation["product_id"])
    if parent_manage:
        return "parent", parent_quantity, parent_status, modified
    return False, None, status, modified


def render_parent(catalogue: Catalogue, product_id: int, site: str) -> dict[str, Any]:
    """A variable product as GET /products/{id} returns it."""
    parent = catalogue.parents[product_id]
    children = parent["children"]
    manage, quantity, status, modified = catalogue.stock_of(product_id)
    slug = _slug(parent["name"])
    prices = sorted(Decimal(c["price"]) for c in children)
    in_stock = any(_variation_status(catalogue, c) != "outofstock" for c in children)
    stock = _stock_fields(manage, quantity, status)
    if not manage:
        stock["stock_status"] = "instock" if in_stock else "outofstock"
    return {
        "id": product_id,
        "name": parent["name"],
        "slug": slug,
        "permalink": f"{site}/product/{slug}/",
        **_dates(catalogue, product_id, modified),
        "type": "variable",
        "status": "publish",
        "featured": False,
        "catalog_visibility": "visible",
        "description": "",
        "short_description": "",
        "sku": "",
        "price": str(prices[0]),
        "regular_price": "",
        "sale_price": "",
        "on_sale": False,
        "purchasable": True,
        "virtual": False,
        "downloadable": False,
        "tax_status": "taxable",
        "tax_class": "",
        **stock,
        "sold_individually": False,
        "weight": _kg(children[0]["weight_grams"]),
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_required": True,
        "shipping_taxable": True,
        "shipping_class": "",
        "shipping_class_id": 0,
        "parent_id": 0,
        "categories": [],
        "tags": [],
        "images": [],
        "attributes": [
            {
                "id": 1,
                "name": "Colour",
                "slug": "pa_colour",
                "position": 0,
                "visible": True,
                "variation": True,
                "options": sorted(c["colour"] for c in children),
            }
        ],
        "default_attributes": [],
        "variations": [c["variation_id"] for c in children],
        "grouped_products": [],
        "menu_order": 0,
        "meta_data": [],
        "has_options": True,
        "_links": {
            "self": [{"href": f"{site}{API_BASE}/products/{product_id}"}],
            "collection": [{"href": f"{site}{API_BASE}/products"}],
        },
    }


def _variation_status(catalogue: Catalogue, variation: dict[str, Any]) -> str:
    manage, quantity, status, _ = _variation_stock(catalogue, variation)
    return str(_stock_fields(bool(manage), quantity, status)["stock_status"])


def render_variation(
    catalogue: Catalogue, variation_id: int, site: str, variations_endpoint: bool = False
) -> dict[str, Any]:
    """A variation as the products endpoint (`sku` search, GET /products/{id}) or the variations
    endpoint returns it."""
    variation = catalogue.variations[variation_id]
    parent_id = variation["product_id"]
    manage, quantity, status, modified = _variation_stock(catalogue, variation)
    stock = _stock_fields(bool(manage), quantity, status)
    if variations_endpoint:
        stock["manage_stock"] = manage
    parent_slug = _slug(variation["parent_name"])
    colour_slug = _slug(variation["colour"])
    if variations_endpoint:
        links = {
            "self": [{"href": f"{site}{API_BASE}/products/{parent_id}/variations/{variation_id}"}],
            "collection": [{"href": f"{site}{API_BASE}/products/{parent_id}/variations"}],
            "up": [{"href": f"{site}{API_BASE}/products/{parent_id}"}],
        }
    else:
        links = {
            "self": [{"href": f"{site}{API_BASE}/products/{variation_id}"}],
            "collection": [{"href": f"{site}{API_BASE}/products"}],
            "up": [{"href": f"{site}{API_BASE}/products/{parent_id}"}],
        }
    return {
        "id": variation_id,
        "name": variation["title"],
        "slug": f"{parent_slug}-{colour_slug}",
        "permalink": f"{site}/product/{parent_slug}/?attribute_pa_colour={colour_slug}",
        **_dates(catalogue, variation_id, modified),
        "type": "variation",
        "status": "publish",
        "description": "",
        "sku": variation["sku"],
        "price": variation["price"],
        "regular_price": variation["price"],
        "sale_price": "",
        "on_sale": False,
        "purchasable": True,
        "virtual": False,
        "downloadable": False,
        "tax_status": "taxable",
        "tax_class": "",
        **stock,
        "weight": _kg(variation["weight_grams"]),
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_class": "",
        "shipping_class_id": 0,
        "image": None,
        "attributes": [{"id": 1, "name": "Colour", "slug": "pa_colour", "option": variation["colour"]}],
        "menu_order": 0,
        "meta_data": [],
        "parent_id": parent_id,
        "_links": links,
    }


def render_any(catalogue: Catalogue, product_id: int, site: str) -> dict[str, Any]:
    """A parent or a variation, as the products endpoint renders it."""
    if product_id in catalogue.parents:
        return render_parent(catalogue, product_id, site)
    return render_variation(catalogue, product_id, site)


@dataclass(frozen=True)
class ProductQuery:
    """A validated GET /products request."""

    page: int = 1
    per_page: int = 10
    offset: int | None = None
    skus: tuple[str, ...] = ()
    include: tuple[int, ...] = ()
    product_type: str | None = None
    orderby: str = "date"
    order: str = "desc"


def parse_product_query(raw: Any) -> ProductQuery:
    """Validate list parameters as WordPress does; raises InvalidParams."""
    params = _Params(raw)
    page = params.integer("page", 1, minimum=1)
    per_page = params.integer("per_page", 10, minimum=1, maximum=MAX_PER_PAGE)
    offset = params.integer("offset", None)
    orderby = params.enum("orderby", "date", PRODUCT_ORDERBY)
    order = params.enum("order", "desc", ["asc", "desc"])
    product_type = raw.get("type")
    if product_type is not None and product_type not in PRODUCT_TYPES:
        params.errors["type"] = (
            "rest_not_in_enum",
            "type is not one of simple, grouped, external, and variable.",
        )
    if params.errors:
        raise InvalidParams(params.errors)
    sku = raw.get("sku") or ""
    skus = [s.strip() for s in sku.split(",") if s.strip()]
    if len(skus) > 1:
        skus.append(sku)  # WooCommerce also tries the whole string as one SKU
    return ProductQuery(
        page=page or 1,
        per_page=per_page or 10,
        offset=offset,
        skus=tuple(skus),
        include=tuple(params.id_list("include")),
        product_type=product_type,
        orderby=orderby,
        order=order,
    )


def list_products(data_dir: Path, query: ProductQuery, site: str) -> tuple[list[dict[str, Any]], int]:
    """One page of products and the number matching."""
    with opened(data_dir) as conn:
        catalogue = load_catalogue(conn)
    if query.skus:
        ids = [v for v, p in catalogue.variations.items() if p["sku"] in query.skus]
    else:
        ids = list(catalogue.parents)
    if query.include:
        ids = [i for i in ids if i in query.include]
    if query.product_type is not None:
        ids = [i for i in ids if (i in catalogue.parents) == (query.product_type == "variable")]
    bodies = {i: render_any(catalogue, i, site) for i in ids}
    sort_key: dict[str, Callable[[int], Any]] = {
        "date": lambda i: (bodies[i]["date_created_gmt"], i),
        "modified": lambda i: (bodies[i]["date_modified_gmt"], i),
        "title": lambda i: (bodies[i]["name"], i),
        "slug": lambda i: (bodies[i]["slug"], i),
    }
    ids.sort(key=sort_key.get(query.orderby, lambda i: i), reverse=query.order == "desc")
    offset = query.offset if query.offset is not None else (query.page - 1) * query.per_page
    return [bodies[i] for i in ids[offset : offset + query.per_page]], len(ids)


class StockUpdateError(Exception):
    """An update WooCommerce refuses: its response."""

    def __init__(self, response: Response):
        super().__init__(response.status_code)
        self.response = response


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    return None


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    return None


def parse_stock_update(body: dict[str, Any]) -> dict[str, Any]:
    """The stock fields of an update body, validated as WordPress validates them; raises InvalidParams."""
    errors: dict[str, tuple[str, str]] = {}
    update: dict[str, Any] = {}
    if "manage_stock" in body:
        manage = _boolean(body["manage_stock"])
        if manage is None:
            errors["manage_stock"] = ("rest_invalid_type", "manage_stock is not of type boolean.")
        update["manage_stock"] = manage
    if "stock_quantity" in body and body["stock_quantity"] is not None:
        quantity = _integer(body["stock_quantity"])
        if quantity is None:
            errors["stock_quantity"] = ("rest_invalid_type", "stock_quantity is not of type integer.")
        update["stock_quantity"] = quantity
    if "stock_status" in body:
        if body["stock_status"] not in STOCK_STATUSES:
            errors["stock_status"] = (
                "rest_not_in_enum",
                "stock_status is not one of instock, outofstock, and onbackorder.",
            )
        update["stock_status"] = body["stock_status"]
    if errors:
        raise InvalidParams(errors)
    return update


def apply_stock_update(
    conn: sqlite3.Connection, catalogue: Catalogue, product_id: int, update: dict[str, Any]
) -> None:
    """Save the stock fields of one product (WooCommerce's save rules; see the module docstring)."""
    manage, quantity, status, _ = catalogue.stock_of(product_id)
    manage = update.get("manage_stock", manage)
    quantity = update.get("stock_quantity", quantity)
    status = update.get("stock_status", status)
    if not manage:
        quantity = None
    elif quantity is not None:
        status = "instock" if quantity > 0 else "outofstock"
    now = to_iso(world_now(conn))
    conn.execute(
        "INSERT INTO woo_product_stock(product_id, manage_stock, stock_quantity, stock_status, modified_gmt)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(product_id) DO UPDATE SET manage_stock = excluded.manage_stock,"
        " stock_quantity = excluded.stock_quantity, stock_status = excluded.stock_status,"
        " modified_gmt = excluded.modified_gmt",
        (product_id, int(bool(manage)), quantity, status, now),
    )
    sku = catalogue.variations[product_id]["sku"] if product_id in catalogue.variations else ""
    conn.execute(
        "INSERT INTO woo_stock_updates(product_id, sku, manage_stock, stock_quantity, at)"
        " VALUES (?, ?, ?, ?, ?)",
        (product_id, sku, int(bool(manage)), quantity, now),
    )


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if "json" in request.headers.get("content-type", "") or raw.strip().startswith((b"{", b"[")):
        try:
            body = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError) as exc:
            raise StockUpdateError(
                wp_error(
                    400,
                    "rest_invalid_json",
                    "Invalid JSON body passed.",
                    json_error_code=4,
                    json_error_message="Syntax error",
                )
            ) from exc
        if not isinstance(body, dict):
            return {}
        return body
    return dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True))


def product_routes(
    data_dir: Path, consumer_key: str, consumer_secret: str, wrap: Callable[[Endpoint], Endpoint]
) -> list[Route]:
    """Routes under /wp-json/wc/v3/products; `wrap` puts WooCommerce's fault injector in front."""

    def site(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def denied(request: Request, action: str) -> Response | None:
        code, message = {
            "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
            "view": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
            "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
        }[action]
        return refusal(request, consumer_key, consumer_secret, code, message)

    def world_missing() -> Response:
        return wp_error(500, "sandbox_world_missing", "Sandbox world has not been generated.")

    async def products(request: Request) -> Response:
        refused = denied(request, "list")
        if refused is not None:
            return refused
        try:
            query = parse_product_query(request.query_params)
            body, total = await run_in_threadpool(list_products, data_dir, query, site(request))
        except InvalidParams as exc:
            return exc.response()
        except WorldMissingError:
            return world_missing()
        return paged_response(request, body, total, query.page, query.per_page)

    async def product(request: Request) -> Response:
        product_id = request.path_params["product_id"]
        editing = request.method != "GET"
        refused = denied(request, "edit" if editing else "view")
        if refused is not None:
            return refused
        try:
            update = parse_stock_update(await _body(request)) if editing else None
            return await run_in_threadpool(_product, product_id, update, site(request))
        except StockUpdateError as exc:
            return exc.response
        except InvalidParams as exc:
            return exc.response()
        except WorldMissingError:
            return world_missing()

    def _product(product_id: int, update: dict[str, Any] | None, site_url: str) -> Response:
        with opened(data_dir, write=update is not None) as conn:
            catalogue = load_catalogue(conn)
            known = product_id in catalogue.parents or product_id in catalogue.variations
            if not known:
                status = 400 if update is not None else 404
                return wp_error(status, "woocommerce_rest_product_invalid_id", "Invalid ID.")
            if update is None:
                return JSONResponse(render_any(catalogue, product_id, site_url))
            if product_id in catalogue.variations:
                return wp_error(404, "woocommerce_rest_invalid_product_id", VARIATION_MESSAGE)
            if update:
                apply_stock_update(conn, catalogue, product_id, update)
            return JSONResponse(render_any(load_catalogue(conn), product_id, site_url))

    async def variations(request: Request) -> Response:
        refused = denied(request, "list")
        if refused is not None:
            return refused
        params = _Params(request.query_params)
        page = params.integer("page", 1, minimum=1) or 1
        per_page = params.integer("per_page", 10, minimum=1, maximum=MAX_PER_PAGE) or 10
        if params.errors:
            return InvalidParams(params.errors).response()
        skus = {s.strip() for s in (request.query_params.get("sku") or "").split(",") if s.strip()}
        parent_id = request.path_params["product_id"]

        def listing() -> tuple[list[dict[str, Any]], int] | None:
            with opened(data_dir) as conn:
                catalogue = load_catalogue(conn)
            if parent_id not in catalogue.parents:
                return None
            ids = [
                c["variation_id"]
                for c in catalogue.parents[parent_id]["children"]
                if not skus or c["sku"] in skus
            ]
            ids.sort(reverse=True)  # WooCommerce lists variations by menu order, then newest first
            chosen = ids[(page - 1) * per_page : page * per_page]
            bodies = [render_variation(catalogue, i, site(request), variations_endpoint=True) for i in chosen]
            return bodies, len(ids)

        try:
            found = await run_in_threadpool(listing)
        except WorldMissingError:
            return world_missing()
        if found is None:
            return wp_error(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return paged_response(request, found[0], found[1], page, per_page)

    async def variation(request: Request) -> Response:
        editing = request.method != "GET"
        refused = denied(request, "edit" if editing else "view")
        if refused is not None:
            return refused
        parent_id, variation_id = request.path_params["product_id"], request.path_params["variation_id"]

        def handle(update: dict[str, Any] | None) -> Response:
            with opened(data_dir, write=update is not None) as conn:
                catalogue = load_catalogue(conn)
                found = catalogue.variations.get(variation_id)
                if found is None or found["product_id"] != parent_id:
                    status = 400 if update is not None else 404
                    return wp_error(status, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.")
                if update:  # a body without stock fields changes nothing here
                    apply_stock_update(conn, catalogue, variation_id, update)
                    catalogue = load_catalogue(conn)
                return JSONResponse(
                    render_variation(catalogue, variation_id, site(request), variations_endpoint=True)
                )

        try:
            update = parse_stock_update(await _body(request)) if editing else None
            return await run_in_threadpool(handle, update)
        except StockUpdateError as exc:
            return exc.response
        except InvalidParams as exc:
            return exc.response()
        except WorldMissingError:
            return world_missing()

    editable = ["GET", "PUT", "POST", "PATCH"]
    base = f"{API_BASE}/products"
    return [
        Route(base, wrap(products), methods=["GET"]),
        Route(f"{base}/{{product_id:int}}", wrap(product), methods=editable),
        Route(f"{base}/{{product_id:int}}/variations", wrap(variations), methods=["GET"]),
        Route(
            f"{base}/{{product_id:int}}/variations/{{variation_id:int}}", wrap(variation), methods=editable
        ),
    ]
