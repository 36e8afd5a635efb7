"""The GraphQL documents sent to Shopify's Admin API.

Kept apart from the paging code so the fields we depend on are reviewable in one place.
"""

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
        lineItems(first: 100) {
          edges { node { id sku title quantity originalUnitPriceSet { shopMoney { amount currencyCode } } } }
        }
        transactions(first: 50) {
          id kind status processedAt createdAt gateway
          amountSet { shopMoney { amount currencyCode } }
        }
        fulfillments(first: 50) {
          id status createdAt updatedAt
          trackingInfo(first: 10) { number company url }
        }
      }
    }
  }
}
"""
