"""The GraphQL documents sent to Shopify's Admin API.

Kept apart from the paging code so the fields we depend on are reviewable in one place;
each nested record's fields are one fragment, shared by the listing and the follow-ups,
so a follow-up page has exactly the columns of the first one.

Shopify caps one query at 1,000 cost points: a connection costs 2 plus ``first`` times
its node, a list of objects ``first`` times the object. One order of the listing costs
80 points, so pages of 12 orders stay under the cap (962). The listing therefore asks
for only a few nested records per order (``FIRST``); nothing is truncated though:

- a connection (line items, fulfilment orders) whose ``pageInfo.hasNextPage`` is true is
  paged on with ``order(id:)`` follow-ups (``after:``, ``NESTED_PAGE_SIZE`` a page);
- a list (transactions, fulfilments and their tracking info, refunds) cannot be paged,
  so when it comes back as long as asked the order's list is asked again with
  ``REASK_FIRST`` (Shopify allows at most 250; fulfilments fewer, since each holds up
  to 10 tracking numbers). Only an order beyond those limits is still cut, with a warning.
"""

import json
from collections.abc import Mapping

ORDERS_PAGE_SIZE = 12

# How many nested records the listing asks for per order.
FIRST: dict[str, int] = {
    "lineItems": 10,
    "transactions": 5,
    "fulfillments": 3,
    "trackingInfo": 2,
    "refunds": 3,
    "fulfillmentOrders": 2,
}
NESTED_PAGE_SIZE = 100  # per order(id:) follow-up page: 303 points for line items
# A list asked again in full: transactions and refunds cost 751 points, fulfilments 551.
REASK_FIRST: dict[str, int] = {"transactions": 250, "fulfillments": 50, "trackingInfo": 10, "refunds": 250}

# Each record's fields, once: the fragments below and the bulk query (bulk.py) select these.
ORDER_SELECTION = """
id
legacyResourceId
name
createdAt
updatedAt
processedAt
cancelledAt
cancelReason
closed
email
phone
currencyCode
displayFinancialStatus
displayFulfillmentStatus
totalPriceSet { shopMoney { amount currencyCode } }
subtotalPriceSet { shopMoney { amount currencyCode } }
totalShippingPriceSet { shopMoney { amount currencyCode } }
customer { id firstName lastName email phone }
shippingAddress { name address1 address2 city province zip country countryCodeV2 phone }
"""
LINE_ITEM_SELECTION = "id sku title quantity originalUnitPriceSet { shopMoney { amount currencyCode } }"
TRANSACTION_SELECTION = (
    "id kind status processedAt createdAt gateway amountSet { shopMoney { amount currencyCode } }"
)
FULFILLMENT_SELECTION = "id status createdAt updatedAt"
TRACKING_INFO_SELECTION = "number company url"
REFUND_SELECTION = "id createdAt note totalRefundedSet { shopMoney { amount currencyCode } }"
FULFILLMENT_ORDER_SELECTION = "id status requestStatus createdAt updatedAt assignedLocation { name }"


def _fragment(name: str, on: str, selection: str) -> str:
    return f"\nfragment {name} on {on} {{ {selection} }}\n"


LINE_ITEM_FIELDS = _fragment("LineItemFields", "LineItem", LINE_ITEM_SELECTION)
TRANSACTION_FIELDS = _fragment("TransactionFields", "OrderTransaction", TRANSACTION_SELECTION)
FULFILLMENT_FIELDS = _fragment("FulfillmentFields", "Fulfillment", FULFILLMENT_SELECTION)
TRACKING_INFO_FIELDS = _fragment("TrackingInfoFields", "FulfillmentTrackingInfo", TRACKING_INFO_SELECTION)
REFUND_FIELDS = _fragment("RefundFields", "Refund", REFUND_SELECTION)
FULFILLMENT_ORDER_FIELDS = _fragment(
    "FulfillmentOrderFields", "FulfillmentOrder", FULFILLMENT_ORDER_SELECTION
)

_ORDERS_TEMPLATE = """
query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        %(order)s
        lineItems(first: %(lineItems)d) {
          pageInfo { hasNextPage endCursor }
          edges { node { ...LineItemFields } }
        }
        transactions(first: %(transactions)d) { ...TransactionFields }
        fulfillments(first: %(fulfillments)d) {
          ...FulfillmentFields
          trackingInfo(first: %(trackingInfo)d) { ...TrackingInfoFields }
        }
        refunds(first: %(refunds)d) { ...RefundFields }
        fulfillmentOrders(first: %(fulfillmentOrders)d) {
          pageInfo { hasNextPage endCursor }
          edges { node { ...FulfillmentOrderFields } }
        }
      }
    }
  }
}
"""
_ALL_FRAGMENTS = (
    LINE_ITEM_FIELDS + TRANSACTION_FIELDS + FULFILLMENT_FIELDS + TRACKING_INFO_FIELDS + REFUND_FIELDS
    + FULFILLMENT_ORDER_FIELDS
)


def orders_query(first: Mapping[str, int] = FIRST) -> str:
    """The orders listing asking for ``first[field]`` nested records per order."""
    return _ORDERS_TEMPLATE % {**first, "order": ORDER_SELECTION} + _ALL_FRAGMENTS


ORDERS_QUERY = orders_query()


def bulk_orders_query(search: str) -> str:
    """The listing's records for a bulk operation (``bulk.py``): no page sizes (a bulk query
    reads every node), fields inline, and the search as a literal (a bulk query takes no
    variables). Line items and fulfilment orders, connections, come back as lines of their own.
    """
    return (
        "{ orders(query: " + json.dumps(search) + ", sortKey: UPDATED_AT) { edges { node {"
        + ORDER_SELECTION
        + "lineItems { edges { node { " + LINE_ITEM_SELECTION + " } } }\n"
        + "transactions { " + TRANSACTION_SELECTION + " }\n"
        + "fulfillments { " + FULFILLMENT_SELECTION + " trackingInfo { " + TRACKING_INFO_SELECTION + " } }\n"
        + "refunds { " + REFUND_SELECTION + " }\n"
        + "fulfillmentOrders { edges { node { " + FULFILLMENT_ORDER_SELECTION + " } } }\n"
        + "} } } }"
    )

# order(id:) follow-ups: the rest of one order's connection, from a cursor.
CONNECTION_QUERIES: dict[str, str] = {
    "lineItems": """
query OrderLineItems($id: ID!, $first: Int!, $after: String) {
  order(id: $id) {
    lineItems(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { ...LineItemFields } }
    }
  }
}
""" + LINE_ITEM_FIELDS,
    "fulfillmentOrders": """
query OrderFulfillmentOrders($id: ID!, $first: Int!, $after: String) {
  order(id: $id) {
    fulfillmentOrders(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { ...FulfillmentOrderFields } }
    }
  }
}
""" + FULFILLMENT_ORDER_FIELDS,
}

# order(id:) follow-ups: one order's whole list, asked with a larger ``first``.
LIST_QUERIES: dict[str, str] = {
    "transactions": """
query OrderTransactions($id: ID!, $first: Int!) {
  order(id: $id) { transactions(first: $first) { ...TransactionFields } }
}
""" + TRANSACTION_FIELDS,
    "fulfillments": """
query OrderFulfillments($id: ID!, $first: Int!, $trackingInfo: Int!) {
  order(id: $id) {
    fulfillments(first: $first) {
      ...FulfillmentFields
      trackingInfo(first: $trackingInfo) { ...TrackingInfoFields }
    }
  }
}
""" + FULFILLMENT_FIELDS + TRACKING_INFO_FIELDS,
    "refunds": """
query OrderRefunds($id: ID!, $first: Int!) {
  order(id: $id) { refunds(first: $first) { ...RefundFields } }
}
""" + REFUND_FIELDS,
}
