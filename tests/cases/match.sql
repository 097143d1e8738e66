-- FK304: MATCH SIMPLE multi-column keys with nullable columns.
-- rules: FK304

-- case: two nullable columns, MATCH SIMPLE
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
-- fires: FK304 c_ab

-- case: one nullable column, MATCH SIMPLE
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int NOT NULL, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
-- fires: FK304 c_ab

-- case: all columns NOT NULL
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int NOT NULL, b int NOT NULL, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);

-- case: MATCH FULL
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p MATCH FULL);

-- case: single nullable column is not a partial-null problem
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);

-- case: partitioned child with a nullable column
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int NOT NULL, b int, day date NOT NULL, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
-- fires: FK304 c_ab

-- case: quoted unicode names
CREATE TABLE "Mandant" ("Nr" int, "Kunde" int, PRIMARY KEY ("Nr", "Kunde"));
CREATE TABLE "Rechnung" ("Mandant Nr" int NOT NULL, "Kunde" int, CONSTRAINT "Rechnung ➜ Mandant" FOREIGN KEY ("Mandant Nr", "Kunde") REFERENCES "Mandant");
-- fires: FK304 Rechnung ➜ Mandant
