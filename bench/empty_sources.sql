-- Raw tables of the sources a bench world leaves empty, in the shapes their connectors land
-- (columns as a real `orderloop run` created them). dbt's staging reads these without
-- source_or_empty, so they must exist for the real `dbt build` to run unchanged.
create schema if not exists raw_woocommerce;
create table if not exists raw_woocommerce.orders (
    number varchar, status varchar, currency varchar, date_created_gmt timestamptz,
    date_modified_gmt timestamptz, date_paid_gmt timestamptz, date_completed_gmt timestamptz,
    date_created varchar, date_modified varchar, date_paid varchar, date_completed varchar,
    total decimal(38, 9), total_tax decimal(38, 9), shipping_total decimal(38, 9), shipping_tax decimal(38, 9),
    discount_total decimal(38, 9), discount_tax decimal(38, 9), cart_tax decimal(38, 9), customer_id bigint,
    customer_note varchar, payment_method varchar, payment_method_title varchar, transaction_id varchar,
    billing__email varchar, billing__phone varchar, billing__first_name varchar, billing__last_name varchar,
    shipping__first_name varchar, shipping__last_name varchar, shipping__company varchar,
    shipping__address_1 varchar, shipping__address_2 varchar, shipping__city varchar, shipping__state varchar,
    shipping__postcode varchar, shipping__country varchar, shipping__phone varchar, id bigint,
    parent_id bigint, version varchar, prices_include_tax boolean, order_key varchar,
    customer_ip_address varchar, customer_user_agent varchar, created_via varchar, cart_hash varchar,
    payment_url varchar, is_editable boolean, needs_payment boolean, needs_processing boolean,
    currency_symbol varchar, billing__company varchar, billing__address_1 varchar, billing__address_2 varchar,
    billing__city varchar, billing__state varchar, billing__postcode varchar, billing__country varchar,
    _dlt_load_id varchar, _dlt_id varchar
);
create table if not exists raw_woocommerce.order_refunds (
    order_id bigint, amount decimal(38, 9), reason varchar, refunded_by bigint, refunded_payment boolean,
    date_created_gmt timestamptz, date_created varchar, id bigint, _dlt_load_id varchar, _dlt_id varchar
);
create schema if not exists raw_stripe;
create table if not exists raw_stripe.events (
    type varchar, created bigint, livemode boolean, data__object__id varchar, data__object__object varchar,
    data__object__status varchar, data__object__amount bigint, data__object__amount_capturable bigint,
    data__object__amount_received bigint, data__object__amount_refunded bigint, data__object__currency varchar,
    data__object__capture_method varchar, data__object__payment_intent varchar, data__object__charge varchar,
    data__object__captured boolean, data__object__refunded boolean, data__object__reason varchar,
    data__object__closed_reason varchar, data__object__outcome__risk_score bigint,
    data__object__outcome__risk_level varchar, data__object__outcome__type varchar,
    data__object__metadata__order_id varchar, data__object__metadata__order_reference varchar,
    data__object__last_payment_error__code varchar, data__object__last_payment_error__decline_code varchar,
    data__object__last_payment_error__message varchar, id varchar, object varchar, api_version varchar,
    pending_webhooks bigint, request__id varchar, data__previous_attributes__amount_refunded bigint,
    data__object__amount_captured bigint, data__object__balance_transaction varchar,
    data__object__created bigint, data__object__customer varchar, data__object__description varchar,
    data__object__livemode boolean, data__object__paid boolean, data__object__payment_method varchar,
    data__object__outcome__network_status varchar, data__object__outcome__reason varchar,
    data__object__outcome__seller_message varchar, data__object__metadata__channel varchar,
    data__object__billing_details__address json, data__object__billing_details__email varchar,
    data__object__billing_details__name varchar, data__object__billing_details__phone varchar,
    _dlt_load_id varchar, _dlt_id varchar, data__previous_attributes__amount_captured bigint,
    data__previous_attributes__captured boolean, data__object__confirmation_method varchar,
    data__object__latest_charge varchar, data__object__billing_zip varchar, data__object__ip_address varchar,
    data__object__open boolean, data__object__opened_reason varchar, data__previous_attributes__refunded boolean,
    data__object__canceled_at bigint, data__object__cancellation_reason varchar,
    data__previous_attributes__open boolean, data__object__last_payment_error__charge varchar,
    data__object__last_payment_error__doc_url varchar, data__object__last_payment_error__type varchar,
    data__object__failure_code varchar, data__object__failure_message varchar
);
create schema if not exists raw_click_and_drop;
create table if not exists raw_click_and_drop.shipments (
    shipped_on timestamptz, tracking_number varchar, order_identifier bigint, order_reference varchar,
    created_on timestamptz, order_date timestamptz, _dlt_load_id varchar, _dlt_id varchar
);
