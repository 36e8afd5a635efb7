"""The GraphQL documents sent to Shopify's Admin API.

Kept apart from the paging code so the fields we depend on are reviewable in one place.

Shopify caps one query at 1,000 cost points: a connection costs 2 plus ``first`` times
its node, a list of objects ``first`` times the object. One order below costs about 62
points, so pages of 15 orders stay under the cap. Orders with more than 10 line items
or 5 transactions need nested paging (not yet done; see docs/architecture.md).
"""

ORDERS_PAGE_SIZE = 15

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
      }
    }
  }
}
"""
