-- FK202: the configured naming convention.
-- rules: FK202

-- case: template, matching name
-- option: FK202 convention = fk_{table}_{columns}
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT fk_c_p_id REFERENCES p);

-- case: template, generated name does not match
-- option: FK202 convention = fk_{table}_{columns}
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int REFERENCES p);
-- fires: FK202 c_p_id_fkey

-- case: template, Rails-style name does not match
-- option: FK202 convention = fk_{table}_{columns}
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT fk_rails_0a1b2c3d4e REFERENCES p);
-- fires: FK202 fk_rails_0a1b2c3d4e

-- case: template with the referenced table and a collision suffix
-- option: FK202 convention = {table}_{referenced_table}_fk
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (a int CONSTRAINT c_p_fk REFERENCES p, b int CONSTRAINT c_p_fk_2 REFERENCES p);

-- case: template, multi-column and partitioned child
-- option: FK202 convention = fk_{table}_{columns}
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, day date, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
-- fires: FK202 c_ab

-- case: template with quoted unicode names, clipped to 63 bytes
-- option: FK202 convention = fk_{table}_{columns}
CREATE TABLE "Größe" (id int PRIMARY KEY);
CREATE TABLE "Bestellungen mit sehr langem Namen für Größenangaben" ("größe_id_mit_langem_namen" int CONSTRAINT "Bestellung→Größe" REFERENCES "Größe");
-- fires: FK202 Bestellung→Größe

-- case: regular expression, matching
-- option: FK202 convention = ^fk_[a-z0-9_]+$
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT fk_anything REFERENCES p);

-- case: regular expression, not matching
-- option: FK202 convention = ^fk_[a-z0-9_]+$
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT "FK_Upper" REFERENCES p);
-- fires: FK202 FK_Upper
