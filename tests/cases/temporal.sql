-- PostgreSQL 18 temporal foreign keys (PERIOD): index coverage, types, names, nullability.
-- rules: FK101 FK102 FK103 FK201 FK304 FK301 FK303

-- case: a GiST index on the key and the period serves the lookup
-- min-version: 18
CREATE TABLE p (id int, valid_at daterange, PRIMARY KEY (id, valid_at WITHOUT OVERLAPS));
CREATE TABLE c (id int, p_id int NOT NULL, valid_at daterange NOT NULL, CONSTRAINT c_p FOREIGN KEY (p_id, PERIOD valid_at) REFERENCES p (id, PERIOD valid_at));
CREATE INDEX ON c USING gist (p_id, valid_at);

-- case: no index at all
-- min-version: 18
CREATE TABLE p (id int, valid_at daterange, PRIMARY KEY (id, valid_at WITHOUT OVERLAPS));
CREATE TABLE c (id int, p_id int NOT NULL, valid_at daterange NOT NULL, CONSTRAINT c_p FOREIGN KEY (p_id, PERIOD valid_at) REFERENCES p (id, PERIOD valid_at));
-- fires: FK101 c_p

-- case: a btree index on the key column only searches part of it
-- min-version: 18
CREATE TABLE p (id int, valid_at daterange, PRIMARY KEY (id, valid_at WITHOUT OVERLAPS));
CREATE TABLE c (id int, p_id int NOT NULL, valid_at daterange NOT NULL, CONSTRAINT c_p FOREIGN KEY (p_id, PERIOD valid_at) REFERENCES p (id, PERIOD valid_at));
CREATE INDEX ON c (p_id, valid_at);
-- fires: FK102 c_p

-- case: a generated name and a nullable period column
-- min-version: 18
CREATE TABLE p (id int, valid_at daterange, PRIMARY KEY (id, valid_at WITHOUT OVERLAPS));
CREATE TABLE c (id int, p_id int NOT NULL, valid_at daterange, FOREIGN KEY (p_id, PERIOD valid_at) REFERENCES p (id, PERIOD valid_at));
CREATE INDEX ON c USING gist (p_id, valid_at);
-- fires: FK201 c_p_id_valid_at_fkey, FK304 c_p_id_valid_at_fkey

-- case: the period column is compared by overlap, not by equality
-- min-version: 18
CREATE TABLE p (id bigint, valid_at tstzrange, PRIMARY KEY (id, valid_at WITHOUT OVERLAPS));
CREATE TABLE c (id int, p_id bigint NOT NULL, valid_at tstzrange NOT NULL, CONSTRAINT c_p FOREIGN KEY (p_id, PERIOD valid_at) REFERENCES p (id, PERIOD valid_at));
CREATE INDEX ON c USING gist (p_id, valid_at);

-- case: a narrower key column is cast (the GiST key has no cross-type equality)
-- min-version: 18
CREATE TABLE p (id bigint, valid_at daterange, PRIMARY KEY (id, valid_at WITHOUT OVERLAPS));
CREATE TABLE c (id int, p_id int NOT NULL, valid_at daterange NOT NULL, CONSTRAINT c_p FOREIGN KEY (p_id, PERIOD valid_at) REFERENCES p (id, PERIOD valid_at));
CREATE INDEX ON c USING gist (p_id, valid_at);
-- fires: FK103 c_p, FK102 c_p
