-- FK502: columns that look like foreign keys but have no constraint (opt-in rule).
-- rules: FK502

-- case: customer_id next to a customers table of the same type
CREATE TABLE customers (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);
-- fires: FK502 fk_orders_customer_id

-- case: singular table name, and y to ies
CREATE TABLE customer (id int PRIMARY KEY);
CREATE TABLE categories (id int PRIMARY KEY);
CREATE TABLE orders (customer_id int, category_id int);
-- fires: FK502 fk_orders_customer_id, FK502 fk_orders_category_id

-- case: the column is already a foreign key
CREATE TABLE customers (id bigint PRIMARY KEY);
CREATE TABLE orders (customer_id bigint REFERENCES customers);

-- case: the types differ
CREATE TABLE customers (id bigint PRIMARY KEY);
CREATE TABLE orders (customer_id text);

-- case: no table of that name
CREATE TABLE orders (warehouse_id int);

-- case: a composite primary key is no candidate
CREATE TABLE regions (id int, code text, PRIMARY KEY (id, code));
CREATE TABLE orders (region_id int);

-- case: a table's own key is no reference to itself
CREATE TABLE items (item_id int PRIMARY KEY);

-- case: a partitioned child with quoted unicode names
CREATE TABLE "größe" (id int PRIMARY KEY);
CREATE TABLE "Bestellung" ("größe_id" int, day date) PARTITION BY RANGE (day);
CREATE TABLE "Bestellung 1" PARTITION OF "Bestellung" FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
-- fires: FK502 fk_Bestellung_größe_id

-- case: a varchar key and an enum key
CREATE TABLE customers (id varchar(20) PRIMARY KEY);
CREATE TYPE size AS ENUM ('s', 'm', 'l');
CREATE TABLE sizes (id size PRIMARY KEY);
CREATE TABLE orders (customer_id varchar(20), size_id size);
-- fires: FK502 fk_orders_customer_id, FK502 fk_orders_size_id
