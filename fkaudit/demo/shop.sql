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
-- FK305: customers and addresses now cascade into each other
ALTER TABLE customers ADD COLUMN default_address_id bigint
    CONSTRAINT fk_customers_default_address REFERENCES addresses (id) ON DELETE CASCADE;
CREATE INDEX customers_default_address_id_idx ON customers (default_address_id);

-- FK302: ON DELETE SET DEFAULT, but the column has no default and is NOT NULL
CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL);

CREATE TABLE products (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku   text NOT NULL UNIQUE,
    price numeric(12, 2) NOT NULL,
    category_id int NOT NULL CONSTRAINT fk_products_category
        REFERENCES categories (id) ON DELETE SET DEFAULT
);
CREATE INDEX products_category_id_idx ON products (category_id);

CREATE TABLE orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- FK101 + FK201: no index on customer_id, and a generated constraint name
    customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
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
-- FK402: a bulk load disabled the triggers and nobody enabled them again
ALTER TABLE stock DISABLE TRIGGER ALL;
-- FK501: ... and it loaded stock for a product and a warehouse that do not exist
INSERT INTO stock (product_id, region, warehouse, on_hand) VALUES (999, 'mars', 'crater-1', 3);

-- FK304: a shipment with a region but no warehouse is never checked
CREATE TABLE shipments (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- FK103: int referencing a bigint key
    order_id  int NOT NULL CONSTRAINT fk_shipments_order REFERENCES orders (id),
    region    text,
    warehouse text,
    CONSTRAINT fk_shipments_warehouse FOREIGN KEY (region, warehouse)
        REFERENCES warehouses (region, code)
);
CREATE INDEX shipments_order_id_idx ON shipments (order_id);
CREATE INDEX shipments_region_warehouse_idx ON shipments (region, warehouse);

-- FK306: deleting a customer reaches addresses, orders, order items, wishlists and their items
CREATE TABLE wishlists (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL
        CONSTRAINT fk_wishlists_customer REFERENCES customers (id) ON DELETE CASCADE
);
CREATE INDEX wishlists_customer_id_idx ON wishlists (customer_id);
CREATE TABLE wishlist_items (
    wishlist_id bigint NOT NULL
        CONSTRAINT fk_wishlist_items_wishlist REFERENCES wishlists (id) ON DELETE CASCADE,
    product_id  bigint NOT NULL CONSTRAINT fk_wishlist_items_product REFERENCES products (id),
    PRIMARY KEY (wishlist_id, product_id)
);
CREATE INDEX wishlist_items_product_id_idx ON wishlist_items (product_id);

-- FK401: added NOT VALID during a migration and never validated
CREATE TABLE gift_cards (
    code        text PRIMARY KEY,
    customer_id bigint
);
CREATE INDEX gift_cards_customer_id_idx ON gift_cards (customer_id);
ALTER TABLE gift_cards ADD CONSTRAINT fk_gift_cards_customer
    FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;

-- FK403 (PostgreSQL 18+): a documented but unchecked relationship
CREATE TABLE page_views (
    customer_id bigint,
    viewed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX page_views_customer_id_idx ON page_views (customer_id);
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 180000 THEN
        EXECUTE 'ALTER TABLE page_views ADD CONSTRAINT fk_page_views_customer
                 FOREIGN KEY (customer_id) REFERENCES customers (id) NOT ENFORCED';
    END IF;
END $$;

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
-- FK601 (and FK201): the same foreign key added again by a later migration
ALTER TABLE reviews ADD FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE;
-- FK001: a suppression written before the index above existed
COMMENT ON CONSTRAINT fk_reviews_customer ON reviews IS 'fkaudit:ignore FK101 -- index pending';

INSERT INTO categories VALUES (1, 'books');
INSERT INTO customers (email) SELECT 'customer' || g || '@example.com' FROM generate_series(1, 500) g;
INSERT INTO orders (customer_id) SELECT 1 + g % 500 FROM generate_series(1, 5000) g;
ANALYZE;
