-- FK302: ON DELETE/UPDATE SET DEFAULT that cannot succeed.
-- rules: FK302

-- case: NOT NULL column without a default
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int NOT NULL CONSTRAINT c_p REFERENCES p ON DELETE SET DEFAULT);
-- fires: FK302 c_p

-- case: nullable column without a default writes NULL, which is allowed
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE SET DEFAULT);

-- case: constant default with a parent row
CREATE TABLE p (id int PRIMARY KEY);
INSERT INTO p VALUES (0);
CREATE TABLE c (p_id int NOT NULL DEFAULT 0 CONSTRAINT c_p REFERENCES p ON DELETE SET DEFAULT);

-- case: constant default without a parent row
CREATE TABLE p (id int PRIMARY KEY);
INSERT INTO p VALUES (1);
CREATE TABLE c (p_id int NOT NULL DEFAULT 0 CONSTRAINT c_p REFERENCES p ON DELETE SET DEFAULT);
-- fires: FK302 c_p

-- case: ON UPDATE SET DEFAULT, text default without a parent row
CREATE TABLE p (code text PRIMARY KEY);
CREATE TABLE c (p_code text DEFAULT 'none' CONSTRAINT c_p REFERENCES p ON UPDATE SET DEFAULT);
-- fires: FK302 c_p

-- case: explicit DEFAULT NULL on a nullable column is allowed
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int DEFAULT NULL CONSTRAINT c_p REFERENCES p ON DELETE SET DEFAULT);

-- case: a non-constant default is not evaluated
CREATE TABLE p (id int PRIMARY KEY);
CREATE SEQUENCE s;
CREATE TABLE c (p_id int NOT NULL DEFAULT nextval('s') CONSTRAINT c_p REFERENCES p ON DELETE SET DEFAULT);

-- case: multi-column constant defaults with a parent row
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
INSERT INTO p VALUES (0, 0);
CREATE TABLE c (a int NOT NULL DEFAULT 0, b int NOT NULL DEFAULT 0, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p ON DELETE SET DEFAULT);

-- case: PG15 SET DEFAULT (b) only writes b, which is nullable without default
-- min-version: 15
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int NOT NULL, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p ON DELETE SET DEFAULT (b));

-- case: PG15 SET DEFAULT (a) writes the NOT NULL column without default
-- min-version: 15
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int NOT NULL, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p ON DELETE SET DEFAULT (a));
-- fires: FK302 c_ab

-- case: partitioned parent, default row present in a partition
CREATE TABLE p (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE p_1 PARTITION OF p FOR VALUES FROM (0) TO (100);
INSERT INTO p VALUES (0);
CREATE TABLE c (p_id int NOT NULL DEFAULT 0 CONSTRAINT c_p REFERENCES p ON DELETE SET DEFAULT);

-- case: quoted names, default without a parent row
CREATE TABLE "Kunde" ("Nr" int PRIMARY KEY);
CREATE TABLE "Auftrag" ("kunde nr" int NOT NULL DEFAULT -1 CONSTRAINT "Auftrag→Kunde" REFERENCES "Kunde" ON DELETE SET DEFAULT);
-- fires: FK302 Auftrag→Kunde
