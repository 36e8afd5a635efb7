"""The GraphQL documents sent to Shopify's Admin API.

Kept apart from the paging code so the fields we depend on are reviewable in one place.

Shopify caps one query at 1,000 cost points: a connection costs 2 plus ``first`` times
its node, a list of objects ``first`` times the object. One order below costs 77
points, so pages of 12 orders stay under the cap. Orders with more than 10 line items,
5 transactions, 3 refunds or 2 fulfilment orders need nested paging (not yet done; see
docs/architecture.md).
"""

ORDERS_PAGE_SIZE = 12

ORDERS_QUERY = """
query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    edges {
      node {
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
        lineItems(first: 10) {
          edges { node { id sku title quantity originalUnitPriceSet { shopMoney { amount currencyCode } } } }
        }
        transactions(first: 5) {
          id kind status processedAt createdAt gateway
          amountSet { shopMoney { amount currencyCode } }
        }
        fulfillments(first: 3) {
          id status createdAt updatedAt
          trackingInfo(first: 1) { number company url }
        }
        refunds(first: 3) {
          id createdAt note
          totalRefundedSet { shopMoney { amount currencyCode } }
        }
        fulfillmentOrders(first: 2) {
          edges { node { id status requestStatus createdAt updatedAt assignedLocation { name } } }
        }
      }
    }
  }
}
"""
