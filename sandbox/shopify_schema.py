"""The served subset of the Shopify Admin GraphQL API 2025-01 schema, as SDL.

Names, types and nullability follow the public 2025-01 reference; only the part the orderloop
pipeline reads (orders, fulfillment orders, refunds) and writes (inventory levels through
`inventorySetQuantities`) is present.
"""

SDL = """
"An ISO-8601 encoded UTC date time string, e.g. 2026-11-01T10:00:00Z."
scalar DateTime

"A signed decimal number serialised as a string, e.g. 29.99."
scalar Decimal

"An unsigned 64-bit integer serialised as a string."
scalar UnsignedInt64

"An RFC 3986 URL."
scalar URL

"A monetary value string without currency, e.g. 14.00."
scalar Money

enum CurrencyCode { GBP EUR USD }

enum CountryCode { GB IE FR DE US }

enum OrderSortKeys { CREATED_AT ID ORDER_NUMBER PROCESSED_AT TOTAL_PRICE UPDATED_AT }

enum OrderCancelReason { CUSTOMER DECLINED FRAUD INVENTORY OTHER STAFF }

enum OrderDisplayFinancialStatus {
  AUTHORIZED EXPIRED PAID PARTIALLY_PAID PARTIALLY_REFUNDED PENDING REFUNDED VOIDED
}

enum OrderDisplayFulfillmentStatus {
  FULFILLED IN_PROGRESS ON_HOLD OPEN PARTIALLY_FULFILLED PENDING_FULFILLMENT RESTOCKED SCHEDULED UNFULFILLED
}

enum OrderTransactionKind { AUTHORIZATION CAPTURE CHANGE EMV_AUTHORIZATION REFUND SALE SUGGESTED_REFUND VOID }

enum OrderTransactionStatus { AWAITING_RESPONSE ERROR FAILURE PENDING SUCCESS UNKNOWN }

enum FulfillmentStatus { CANCELLED ERROR FAILURE OPEN PENDING SUCCESS }

enum RefundLineItemRestockType { CANCEL LEGACY_RESTOCK NO_RESTOCK RETURN }

enum LocationSortKeys { ID NAME RELEVANCE }

enum ProductVariantSortKeys { ID INVENTORY_QUANTITY NAME POSITION RELEVANCE SKU TITLE }

enum ProductStatus { ACTIVE ARCHIVED DRAFT }

enum InventorySetQuantitiesUserErrorCode {
  COMPARE_QUANTITY_REQUIRED COMPARE_QUANTITY_STALE INVALID_INVENTORY_ITEM INVALID_LOCATION INVALID_NAME
  INVALID_QUANTITY_NEGATIVE INVALID_QUANTITY_TOO_HIGH INVALID_QUANTITY_TOO_LOW INVALID_REASON
  INVALID_REFERENCE_DOCUMENT ITEM_NOT_STOCKED_AT_LOCATION NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR
  NON_MUTABLE_INVENTORY_ITEM
}

enum FulfillmentOrderStatus { CANCELLED CLOSED INCOMPLETE IN_PROGRESS ON_HOLD OPEN SCHEDULED }

enum FulfillmentOrderRequestStatus {
  ACCEPTED CANCELLATION_ACCEPTED CANCELLATION_REJECTED CANCELLATION_REQUESTED
  CLOSED REJECTED SUBMITTED UNSUBMITTED
}

type MoneyV2 {
  amount: Decimal!
  currencyCode: CurrencyCode!
}

type MoneyBag {
  shopMoney: MoneyV2!
  presentmentMoney: MoneyV2!
}

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

type Shop {
  id: ID!
  name: String!
  email: String!
  currencyCode: CurrencyCode!
  ianaTimezone: String!
  myshopifyDomain: String!
}

type Customer {
  id: ID!
  legacyResourceId: UnsignedInt64!
  firstName: String
  lastName: String
  displayName: String!
  email: String
  phone: String
  createdAt: DateTime!
  updatedAt: DateTime!
}

type MailingAddress {
  id: ID!
  name: String
  firstName: String
  lastName: String
  company: String
  address1: String
  address2: String
  city: String
  province: String
  provinceCode: String
  zip: String
  country: String
  countryCodeV2: CountryCode
  phone: String
}

type LineItem {
  id: ID!
  sku: String
  title: String!
  name: String!
  quantity: Int!
  currentQuantity: Int!
  requiresShipping: Boolean!
  originalUnitPriceSet: MoneyBag!
  originalTotalSet: MoneyBag!
}

type LineItemEdge {
  cursor: String!
  node: LineItem!
}

type LineItemConnection {
  edges: [LineItemEdge!]!
  nodes: [LineItem!]!
  pageInfo: PageInfo!
}

type OrderTransaction {
  id: ID!
  kind: OrderTransactionKind!
  status: OrderTransactionStatus!
  gateway: String
  test: Boolean!
  createdAt: DateTime!
  processedAt: DateTime
  amountSet: MoneyBag!
}

type OrderTransactionEdge {
  cursor: String!
  node: OrderTransaction!
}

type OrderTransactionConnection {
  edges: [OrderTransactionEdge!]!
  nodes: [OrderTransaction!]!
  pageInfo: PageInfo!
}

type RefundLineItem {
  id: ID!
  lineItem: LineItem!
  quantity: Int!
  restockType: RefundLineItemRestockType!
  restocked: Boolean!
  priceSet: MoneyBag!
  subtotalSet: MoneyBag!
}

type RefundLineItemEdge {
  cursor: String!
  node: RefundLineItem!
}

type RefundLineItemConnection {
  edges: [RefundLineItemEdge!]!
  nodes: [RefundLineItem!]!
  pageInfo: PageInfo!
}

type Refund {
  id: ID!
  legacyResourceId: UnsignedInt64!
  createdAt: DateTime
  updatedAt: DateTime!
  note: String
  totalRefundedSet: MoneyBag!
  refundLineItems(
    first: Int
    after: String
    last: Int
    before: String
    reverse: Boolean = false
  ): RefundLineItemConnection!
  transactions(
    first: Int
    after: String
    last: Int
    before: String
    reverse: Boolean = false
  ): OrderTransactionConnection!
}

type LocationAddress {
  address1: String
  address2: String
  city: String
  province: String
  provinceCode: String
  zip: String
  country: String
  countryCode: String
  phone: String
  formatted: [String!]!
}

type Location {
  id: ID!
  legacyResourceId: UnsignedInt64!
  name: String!
  isActive: Boolean!
  fulfillsOnlineOrders: Boolean!
  shipsInventory: Boolean!
  hasActiveInventory: Boolean!
  address: LocationAddress!
  inventoryLevel(inventoryItemId: ID!): InventoryLevel
  inventoryLevels(
    first: Int
    after: String
    last: Int
    before: String
    reverse: Boolean = false
    query: String
  ): InventoryLevelConnection!
}

type LocationEdge {
  cursor: String!
  node: Location!
}

type LocationConnection {
  edges: [LocationEdge!]!
  nodes: [Location!]!
  pageInfo: PageInfo!
}

type InventoryQuantity {
  id: ID!
  name: String!
  quantity: Int!
  updatedAt: DateTime
}

type InventoryLevel {
  id: ID!
  createdAt: DateTime!
  updatedAt: DateTime!
  canDeactivate: Boolean!
  item: InventoryItem!
  location: Location!
  quantities(names: [String!]!): [InventoryQuantity!]!
}

type InventoryLevelEdge {
  cursor: String!
  node: InventoryLevel!
}

type InventoryLevelConnection {
  edges: [InventoryLevelEdge!]!
  nodes: [InventoryLevel!]!
  pageInfo: PageInfo!
}

type InventoryItem {
  id: ID!
  legacyResourceId: UnsignedInt64!
  sku: String
  tracked: Boolean!
  requiresShipping: Boolean!
  createdAt: DateTime!
  updatedAt: DateTime!
  variant: ProductVariant!
  inventoryLevel(locationId: ID!): InventoryLevel
  inventoryLevels(
    first: Int
    after: String
    last: Int
    before: String
    reverse: Boolean = false
    query: String
  ): InventoryLevelConnection!
}

type InventoryItemEdge {
  cursor: String!
  node: InventoryItem!
}

type InventoryItemConnection {
  edges: [InventoryItemEdge!]!
  nodes: [InventoryItem!]!
  pageInfo: PageInfo!
}

type Product {
  id: ID!
  legacyResourceId: UnsignedInt64!
  title: String!
  handle: String!
  status: ProductStatus!
  createdAt: DateTime!
  updatedAt: DateTime!
  totalInventory: Int!
  tracksInventory: Boolean!
  variants(
    first: Int
    after: String
    last: Int
    before: String
    reverse: Boolean = false
  ): ProductVariantConnection!
}

type ProductVariant {
  id: ID!
  legacyResourceId: UnsignedInt64!
  sku: String
  title: String!
  displayName: String!
  price: Money!
  inventoryQuantity: Int
  createdAt: DateTime!
  updatedAt: DateTime!
  inventoryItem: InventoryItem!
  product: Product!
}

type ProductVariantEdge {
  cursor: String!
  node: ProductVariant!
}

type ProductVariantConnection {
  edges: [ProductVariantEdge!]!
  nodes: [ProductVariant!]!
  pageInfo: PageInfo!
}

type FulfillmentOrderAssignedLocation {
  name: String!
  address1: String
  city: String
  zip: String
  countryCode: CountryCode!
  location: Location
}

type FulfillmentOrderLineItem {
  id: ID!
  sku: String
  productTitle: String!
  totalQuantity: Int!
  remainingQuantity: Int!
  lineItem: LineItem!
}

type FulfillmentOrderLineItemEdge {
  cursor: String!
  node: FulfillmentOrderLineItem!
}

type FulfillmentOrderLineItemConnection {
  edges: [FulfillmentOrderLineItemEdge!]!
  nodes: [FulfillmentOrderLineItem!]!
  pageInfo: PageInfo!
}

type FulfillmentOrder {
  id: ID!
  status: FulfillmentOrderStatus!
  requestStatus: FulfillmentOrderRequestStatus!
  createdAt: DateTime!
  updatedAt: DateTime!
  fulfillAt: DateTime
  orderId: ID!
  orderName: String!
  assignedLocation: FulfillmentOrderAssignedLocation!
  lineItems(
    first: Int
    after: String
    last: Int
    before: String
    reverse: Boolean = false
  ): FulfillmentOrderLineItemConnection!
}

type FulfillmentOrderEdge {
  cursor: String!
  node: FulfillmentOrder!
}

type FulfillmentOrderConnection {
  edges: [FulfillmentOrderEdge!]!
  nodes: [FulfillmentOrder!]!
  pageInfo: PageInfo!
}

type FulfillmentTrackingInfo {
  company: String
  number: String
  url: URL
}

type Fulfillment {
  id: ID!
  legacyResourceId: UnsignedInt64!
  name: String!
  status: FulfillmentStatus!
  createdAt: DateTime!
  updatedAt: DateTime!
  trackingInfo(first: Int): [FulfillmentTrackingInfo!]!
}

type Order {
  id: ID!
  legacyResourceId: UnsignedInt64!
  name: String!
  createdAt: DateTime!
  updatedAt: DateTime!
  processedAt: DateTime!
  cancelledAt: DateTime
  cancelReason: OrderCancelReason
  closed: Boolean!
  closedAt: DateTime
  test: Boolean!
  email: String
  phone: String
  note: String
  tags: [String!]!
  currencyCode: CurrencyCode!
  presentmentCurrencyCode: CurrencyCode!
  displayFinancialStatus: OrderDisplayFinancialStatus
  displayFulfillmentStatus: OrderDisplayFulfillmentStatus!
  fullyPaid: Boolean!
  totalPriceSet: MoneyBag!
  subtotalPriceSet: MoneyBag
  totalShippingPriceSet: MoneyBag!
  totalWeight: UnsignedInt64
  subtotalLineItemsQuantity: Int!
  customer: Customer
  shippingAddress: MailingAddress
  billingAddress: MailingAddress
  lineItems(
    first: Int
    after: String
    last: Int
    before: String
    reverse: Boolean = false
  ): LineItemConnection!
  transactions(first: Int): [OrderTransaction!]!
  fulfillments(first: Int): [Fulfillment!]!
  totalRefundedSet: MoneyBag!
  refunds(first: Int): [Refund!]!
  fulfillmentOrders(
    first: Int
    after: String
    last: Int
    before: String
    reverse: Boolean = false
    displayable: Boolean = false
  ): FulfillmentOrderConnection!
}

type OrderEdge {
  cursor: String!
  node: Order!
}

type OrderConnection {
  edges: [OrderEdge!]!
  nodes: [Order!]!
  pageInfo: PageInfo!
}

type QueryRoot {
  orders(
    first: Int
    after: String
    last: Int
    before: String
    query: String
    sortKey: OrderSortKeys = ID
    reverse: Boolean = false
  ): OrderConnection!
  order(id: ID!): Order
  shop: Shop!
  locations(
    first: Int
    after: String
    last: Int
    before: String
    reverse: Boolean = false
    sortKey: LocationSortKeys = NAME
    query: String
    includeLegacy: Boolean = false
    includeInactive: Boolean = false
  ): LocationConnection!
  location(id: ID): Location
  inventoryItems(
    first: Int
    after: String
    last: Int
    before: String
    reverse: Boolean = false
    query: String
  ): InventoryItemConnection!
  inventoryItem(id: ID!): InventoryItem
  inventoryLevel(id: ID!): InventoryLevel
  productVariants(
    first: Int
    after: String
    last: Int
    before: String
    reverse: Boolean = false
    sortKey: ProductVariantSortKeys = ID
    query: String
  ): ProductVariantConnection!
  productVariant(id: ID!): ProductVariant
  currentBulkOperation(type: BulkOperationType = QUERY): BulkOperation
}

enum BulkOperationType { QUERY MUTATION }

enum BulkOperationStatus { CANCELED CANCELING COMPLETED CREATED EXPIRED FAILED RUNNING }

enum BulkOperationErrorCode { ACCESS_DENIED INTERNAL_SERVER_ERROR TIMEOUT }

type BulkOperation {
  id: ID!
  type: BulkOperationType!
  status: BulkOperationStatus!
  errorCode: BulkOperationErrorCode
  createdAt: DateTime!
  completedAt: DateTime
  objectCount: UnsignedInt64!
  rootObjectCount: UnsignedInt64!
  fileSize: UnsignedInt64
  url: URL
  partialDataUrl: URL
  query: String!
}

type UserError {
  field: [String!]
  message: String!
}

type BulkOperationRunQueryPayload {
  bulkOperation: BulkOperation
  userErrors: [UserError!]!
}

input InventoryQuantityInput {
  inventoryItemId: ID!
  locationId: ID!
  quantity: Int!
  compareQuantity: Int
}

input InventorySetQuantitiesInput {
  name: String!
  reason: String!
  referenceDocumentUri: String
  ignoreCompareQuantity: Boolean = false
  quantities: [InventoryQuantityInput!]!
}

type InventoryChange {
  name: String!
  delta: Int!
  quantityAfterChange: Int
  ledgerDocumentUri: String
  item: InventoryItem
  location: Location
}

type InventoryAdjustmentGroup {
  id: ID!
  createdAt: DateTime!
  reason: String!
  referenceDocumentUri: String
  changes(inventoryItemIds: [ID!], locationIds: [ID!], quantityNames: [String!]): [InventoryChange!]!
}

type InventorySetQuantitiesUserError {
  code: InventorySetQuantitiesUserErrorCode
  field: [String!]
  message: String!
}

type InventorySetQuantitiesPayload {
  inventoryAdjustmentGroup: InventoryAdjustmentGroup
  userErrors: [InventorySetQuantitiesUserError!]!
}

type Mutation {
  inventorySetQuantities(input: InventorySetQuantitiesInput!): InventorySetQuantitiesPayload
  bulkOperationRunQuery(query: String!, groupObjects: Boolean): BulkOperationRunQueryPayload
}

schema {
  query: QueryRoot
  mutation: Mutation
}
"""
