-- FK301 and FK303: referential actions that contradict the columns' nullability.
-- rules: FK301 FK303

-- case: ON DELETE SET NULL on a NOT NULL column
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int NOT NULL CONSTRAINT c_p REFERENCES p ON DELETE SET NULL);
-- fires: FK301 c_p

-- case: ON DELETE SET NULL on a nullable column
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE SET NULL);

-- case: ON UPDATE SET NULL on a NOT NULL column
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int NOT NULL CONSTRAINT c_p REFERENCES p ON UPDATE SET NULL);
-- fires: FK301 c_p

-- case: SET NULL on a column that is NOT NULL through the primary key
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, n int, PRIMARY KEY (a, n), CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p ON DELETE SET NULL);
-- fires: FK301 c_ab

-- case: PG15 SET NULL (b) only sets b, which is nullable
-- min-version: 15
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int NOT NULL, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p ON DELETE SET NULL (b));

-- case: PG15 SET NULL (a) on the NOT NULL column
-- min-version: 15
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int NOT NULL, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p ON DELETE SET NULL (a));
-- fires: FK301 c_ab

-- case: SET NULL on a NOT NULL column of a partitioned child
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int NOT NULL, day date, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p ON DELETE SET NULL) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
-- fires: FK301 c_p

-- case: ON DELETE CASCADE on a nullable column
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE CASCADE);
-- fires: FK303 c_p

-- case: ON DELETE CASCADE on a NOT NULL column
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int NOT NULL CONSTRAINT c_p REFERENCES p ON DELETE CASCADE);

-- case: ON DELETE CASCADE with one nullable column of two
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int NOT NULL, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p ON DELETE CASCADE);
-- fires: FK303 c_ab

-- case: ON UPDATE CASCADE alone says nothing about parentless rows
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON UPDATE CASCADE);

-- case: deferrable constraints are normal
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int NOT NULL CONSTRAINT c_p REFERENCES p ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED);

-- case: quoted and unicode identifiers in the SET NOT NULL fix
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE "Kunden Adressen" ("Kunde-ID" int CONSTRAINT "fk Kunde" REFERENCES p ON DELETE CASCADE, "größe""x" int);
-- fires: FK303 fk Kunde

-- case: SET NULL on a NOT NULL column, quoted unicode names
CREATE TABLE "Produkt" ("Nr" int PRIMARY KEY);
CREATE TABLE "Position ü" ("produkt nr" int NOT NULL CONSTRAINT "Position → Produkt" REFERENCES "Produkt" ON DELETE SET NULL);
-- fires: FK301 Position → Produkt

-- case: CASCADE on a nullable column of a partitioned child
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p ON DELETE CASCADE) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
-- fires: FK303 c_p
