-- The schema behind the golden reports of tests/test_formats.py: every format renders the audit
-- of this file. It fires the same findings on PostgreSQL 12-18 (ANALYZE at the end makes the
-- row estimates agree), and its names test escaping: a table called Weird|<b>`name`, and a
-- constraint whose name holds a line break and a control character.

CREATE TABLE customers (id bigint PRIMARY KEY);

CREATE TABLE "Weird|<b>`name`" (id int PRIMARY KEY);

CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL,
    weird_id int,
    CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id)
        REFERENCES customers ON DELETE SET NULL
);

ALTER TABLE orders ADD FOREIGN KEY (weird_id) REFERENCES "Weird|<b>`name`";
COMMENT ON CONSTRAINT orders_weird_id_fkey ON orders IS
    'fkaudit:ignore FK201 -- the ORM expects this name';

CREATE TABLE order_lines (
    order_id bigint NOT NULL,
    line_no int NOT NULL,
    customer_id bigint,
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT order_lines_order_fk FOREIGN KEY (order_id) REFERENCES orders ON DELETE CASCADE
);

ALTER TABLE order_lines ADD CONSTRAINT U&"line\000Abreak\0001" FOREIGN KEY (customer_id)
    REFERENCES customers NOT VALID;

CREATE INDEX order_lines_customer_idx ON order_lines (customer_id);

ANALYZE;
