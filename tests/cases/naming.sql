-- FK201: exactly PostgreSQL's generated names, including truncation and collision suffixes.
-- rules: FK201

-- case: unnamed column constraint
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int REFERENCES p);
CREATE INDEX ON c (p_id);
-- fires: FK201 c_p_id_fkey

-- case: unnamed two-column table constraint
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, FOREIGN KEY (a, b) REFERENCES p);
-- fires: FK201 c_a_b_fkey

-- case: explicit names do not fire
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT fk_c_p REFERENCES p, q_id int, CONSTRAINT c_q_ref FOREIGN KEY (q_id) REFERENCES p);

-- case: a collision gets fkey1, both generated
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE q (id int PRIMARY KEY);
CREATE TABLE c (x int, FOREIGN KEY (x) REFERENCES p, FOREIGN KEY (x) REFERENCES q);
-- fires: FK201 c_x_fkey, FK201 c_x_fkey1

-- case: a name typed like the generated one for other columns is not generated
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, other int, CONSTRAINT c_other_fkey FOREIGN KEY (p_id) REFERENCES p);

-- case: ALTER TABLE ADD FOREIGN KEY without a name
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int);
ALTER TABLE c ADD FOREIGN KEY (p_id) REFERENCES p;
-- fires: FK201 c_p_id_fkey

-- case: long table and column names are shortened to 63 bytes, the longer part first
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE a_table_with_a_really_quite_long_name_for_testing_truncation_x (the_referencing_column_with_a_long_name int REFERENCES p);
-- fires: FK201 a_table_with_a_really_quite_l_the_referencing_column_with__fkey

-- case: many columns, joined names cut at 64 bytes
CREATE TABLE p (a int, b int, c int, d int, e int, PRIMARY KEY (a, b, c, d, e));
CREATE TABLE t (first_column_name_abcdefghij int, second_column_name_abcdefghij int, third_column_name_abcdefghij int, d int, e int, FOREIGN KEY (first_column_name_abcdefghij, second_column_name_abcdefghij, third_column_name_abcdefghij, d, e) REFERENCES p);
-- fires: FK201 t_first_column_name_abcdefghij_second_column_name_abcdefgh_fkey

-- case: multibyte names are clipped on character boundaries
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE "таблица_с_очень_длинным_именем" ("ссылка_на_родителя" int REFERENCES p);
-- fires: FK201 таблица_с_очень__ссылка_на_родит_fkey

-- case: quoted names with capitals and spaces
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE "Order Items" ("Order Id" int REFERENCES p);
-- fires: FK201 Order Items_Order Id_fkey

-- case: Django and Rails names are explicit names
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE shop_order (customer_id int CONSTRAINT shop_order_customer_id_4f1a2b3c_fk_shop_customer_id REFERENCES p DEFERRABLE INITIALLY DEFERRED, other_id int CONSTRAINT fk_rails_0a1b2c3d4e REFERENCES p);

-- case: a constraint named before its table was renamed no longer matches
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE old_name (p_id int REFERENCES p);
ALTER TABLE old_name RENAME TO new_name;

-- case: the suggested name avoids a name already taken in the schema
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int REFERENCES p, q int CONSTRAINT fk_c_p_id REFERENCES p);
-- fires: FK201 c_p_id_fkey

-- case: PostgreSQL never generates fkey0 or zero-padded suffixes
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (a int CONSTRAINT c_a_fkey0 REFERENCES p, b int CONSTRAINT c_b_fkey01 REFERENCES p);

-- case: a 62-byte table name keeps both table and column in the suggested name
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE çççççççççççççççççççççççççççççççççççççççççççççççççççççççççççççç (p_id int REFERENCES p);
-- fires: FK201 çççççççççççççççççççççççççç_p_id_fkey
