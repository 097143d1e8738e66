-- An online shop, as it often grows: some foreign keys done right, some not.
-- `fkaudit demo` loads this into a throwaway server and audits it; every rule fires somewhere.
CREATE SCHEMA shop;
SET search_path = shop;

CREATE TABLE customers (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL UNIQUE,
    referred_by bigint CONSTRAINT fk_customers_referred_by REFERENCES customers (id)
);
CREATE INDEX customers_referred_by_idx ON customers (referred_by);

CREATE TABLE addresses (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- FK303: CASCADE, yet an address may exist without a customer
    customer_id bigint REFERENCES customers (id) ON DELETE CASCADE,
    line1       text NOT NULL
);
CREATE INDEX addresses_customer_id_idx ON addresses (customer_id);

CREATE TABLE products (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku   text NOT NULL UNIQUE,
    price numeric(12, 2) NOT NULL
);

CREATE TABLE orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- FK101 + FK201: no index on customer_id, and a generated constraint name
    customer_id bigint NOT NULL REFERENCES customers (id),
    shipping_address_id bigint,
    placed_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT fk_orders_shipping_address FOREIGN KEY (shipping_address_id)
        REFERENCES addresses (id) ON DELETE SET NULL
);
-- FK101 as well: a partial index that the foreign-key check cannot use
CREATE INDEX orders_recent_address_idx ON orders (shipping_address_id)
    WHERE placed_at > '2025-01-01';

CREATE TABLE order_items (
    order_id   bigint NOT NULL,
    line_no    int NOT NULL,
    product_id bigint NOT NULL,
    quantity   int NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT fk_order_items_order FOREIGN KEY (order_id)
        REFERENCES orders (id) ON DELETE CASCADE,
    -- FK301: SET NULL on a NOT NULL column: deleting a product always fails
    CONSTRAINT fk_order_items_product FOREIGN KEY (product_id)
        REFERENCES products (id) ON DELETE SET NULL
);
-- FK101: (quantity, product_id) does not lead with product_id
CREATE INDEX order_items_quantity_product_idx ON order_items (quantity, product_id);

-- A composite key: warehouses are per region.
CREATE TABLE warehouses (
    region text NOT NULL,
    code   text NOT NULL,
    PRIMARY KEY (region, code)
);

CREATE TABLE stock (
    product_id bigint NOT NULL CONSTRAINT fk_stock_product REFERENCES products (id),
    region     text NOT NULL,
    warehouse  text NOT NULL,
    on_hand    int NOT NULL DEFAULT 0,
    PRIMARY KEY (product_id, region, warehouse),
    CONSTRAINT fk_stock_warehouse FOREIGN KEY (region, warehouse)
        REFERENCES warehouses (region, code)
);
-- FK102: searches region, then filters on warehouse
CREATE INDEX stock_region_idx ON stock (region) INCLUDE (warehouse);

-- Payments are partitioned by month; one partition lacks the index.
CREATE TABLE payments (
    id       bigint GENERATED ALWAYS AS IDENTITY,
    order_id bigint NOT NULL,
    paid_at  date NOT NULL,
    amount   numeric(12, 2) NOT NULL,
    PRIMARY KEY (id, paid_at),
    CONSTRAINT fk_payments_order FOREIGN KEY (order_id) REFERENCES orders (id)
) PARTITION BY RANGE (paid_at);
CREATE TABLE payments_2026_10 PARTITION OF payments
    FOR VALUES FROM ('2026-10-01') TO ('2026-11-01');
CREATE TABLE payments_2026_11 PARTITION OF payments
    FOR VALUES FROM ('2026-11-01') TO ('2026-12-01');
CREATE INDEX payments_2026_10_order_id_idx ON payments_2026_10 (order_id);

-- Done right: named, indexed, NOT NULL under CASCADE.
CREATE TABLE reviews (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id  bigint NOT NULL
        CONSTRAINT fk_reviews_product REFERENCES products (id) ON DELETE CASCADE,
    customer_id bigint
        CONSTRAINT fk_reviews_customer REFERENCES customers (id) ON DELETE SET NULL,
    body        text NOT NULL
);
CREATE INDEX reviews_product_id_idx ON reviews (product_id);
CREATE INDEX reviews_customer_id_idx ON reviews (customer_id);

INSERT INTO customers (email) SELECT 'customer' || g || '@example.com' FROM generate_series(1, 500) g;
INSERT INTO orders (customer_id) SELECT 1 + g % 500 FROM generate_series(1, 5000) g;
ANALYZE;
