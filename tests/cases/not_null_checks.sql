-- NOT NULL written as a CHECK (`CHECK (col IS NOT NULL)`, added NOT VALID then validated, the way
-- large schemas avoid SET NOT NULL's long lock), and PostgreSQL 18 NOT VALID NOT NULL.
-- A validated CHECK makes the column NOT NULL for every rule. A NOT VALID one rejects new NULLs
-- (so SET NULL / SET DEFAULT actions writing NULL fail: FK301, FK302 fire) but old rows may hold
-- NULLs (so FK303, FK304 still fire, suggesting VALIDATE CONSTRAINT).
-- rules: FK301 FK302 FK303 FK304

-- case: CASCADE, validated CHECK (col IS NOT NULL)
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE CASCADE, CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL));

-- case: CASCADE, CHECK added NOT VALID: old rows may be NULL
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE CASCADE);
ALTER TABLE c ADD CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL) NOT VALID;
-- fires: FK303 c_p

-- case: CASCADE, CHECK added NOT VALID then validated
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE CASCADE);
ALTER TABLE c ADD CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL) NOT VALID;
ALTER TABLE c VALIDATE CONSTRAINT p_id_not_null;

-- case: CASCADE, CHECK ANDed with another condition
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE CASCADE, n int, CHECK (p_id IS NOT NULL AND n > 0));

-- case: CASCADE, the null test deep in nested ANDs
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE CASCADE, n int, m int, CHECK (n > 0 AND (m > 0 AND ((p_id IS NOT NULL) AND m < 9))));

-- case: CASCADE, CHECK NOT (col IS NULL)
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE CASCADE, CHECK (NOT (p_id IS NULL)));

-- case: CASCADE, CHECK col NOTNULL (postfix spelling)
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE CASCADE, CHECK (p_id NOTNULL));

-- case: CASCADE, CHECK (col > 0) passes on NULL
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE CASCADE, CHECK (p_id > 0));
-- fires: FK303 c_p

-- case: CASCADE, CHECK (col IS NULL OR col > 0) allows NULL
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE CASCADE, CHECK (p_id IS NULL OR p_id > 0));
-- fires: FK303 c_p

-- case: CASCADE, CHECK (col IS NOT NULL OR other > 0) allows NULL
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE CASCADE, n int, CHECK (p_id IS NOT NULL OR n > 0));
-- fires: FK303 c_p

-- case: CASCADE, CHECK NOT (col IS NOT NULL) says the opposite
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE CASCADE, CHECK (NOT (p_id IS NOT NULL)));
-- fires: FK303 c_p

-- case: CASCADE, a CHECK on another column
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE CASCADE, n int, CHECK (n IS NOT NULL));
-- fires: FK303 c_p

-- case: CASCADE, quoted names in the column and the CHECK
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE "Kunden Adressen" ("Kunde-ID" int CONSTRAINT "fk Kunde" REFERENCES p ON DELETE CASCADE, "x) IS NOT NULL OR (y" int, CONSTRAINT "Kunde-ID } nicht NULL" CHECK ("Kunde-ID" IS NOT NULL AND "x) IS NOT NULL OR (y" IS NULL));

-- case: CASCADE, quoted names, the CHECK only on the oddly named other column
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE "Kunden Adressen" ("Kunde-ID" int CONSTRAINT "fk Kunde" REFERENCES p ON DELETE CASCADE, "Kunde-ID IS NOT NULL" int, CONSTRAINT "{NULLTEST" CHECK ("Kunde-ID IS NOT NULL" IS NOT NULL));
-- fires: FK303 fk Kunde

-- case: CASCADE, a NOT VALID CHECK on a quoted column: the suggestion validates it
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE "Kunden Adressen" ("Kunde-ID" int CONSTRAINT "fk Kunde" REFERENCES p ON DELETE CASCADE);
ALTER TABLE "Kunden Adressen" ADD CONSTRAINT "Kunde-ID ""nicht"" NULL" CHECK ("Kunde-ID" IS NOT NULL) NOT VALID;
-- fires: FK303 fk Kunde

-- case: CASCADE on a composite-type column with CHECK (col IS NOT NULL)
CREATE TYPE pair AS (u int, v int);
CREATE TABLE p (k pair PRIMARY KEY);
CREATE TABLE c (k pair CONSTRAINT c_k REFERENCES p ON DELETE CASCADE, CHECK (k IS NOT NULL));

-- case: MATCH SIMPLE, both columns in one CHECK, each parenthesised
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p ON DELETE CASCADE, CHECK ((a IS NOT NULL) AND (b IS NOT NULL)));

-- case: MATCH SIMPLE, CHECK NOT (a IS NULL OR b IS NULL)
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p, CHECK (NOT (a IS NULL OR b IS NULL)));

-- case: MATCH SIMPLE, CHECK (a IS NOT NULL OR b IS NOT NULL) lets either be NULL
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p ON DELETE CASCADE, CHECK (a IS NOT NULL OR b IS NOT NULL));
-- fires: FK303 c_ab, FK304 c_ab

-- case: MATCH SIMPLE, one column NOT NULL, the other by a validated CHECK
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int NOT NULL, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p, CONSTRAINT b_not_null CHECK (b IS NOT NULL));

-- case: MATCH SIMPLE, the other column by a NOT VALID CHECK: the suggestion validates it
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int NOT NULL, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
ALTER TABLE c ADD CONSTRAINT b_not_null CHECK (b IS NOT NULL) NOT VALID;
-- fires: FK304 c_ab

-- case: MATCH SIMPLE, one column with a NOT VALID CHECK, the other plain nullable
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p ON DELETE CASCADE);
ALTER TABLE c ADD CONSTRAINT b_not_null CHECK (b IS NOT NULL) NOT VALID;
-- fires: FK303 c_ab, FK304 c_ab

-- case: MATCH SIMPLE, two NOT VALID CHECKs, one per column
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
ALTER TABLE c ADD CONSTRAINT a_not_null CHECK (a IS NOT NULL) NOT VALID, ADD CONSTRAINT b_not_null CHECK (b IS NOT NULL) NOT VALID;
-- fires: FK304 c_ab

-- case: SET NULL on a column with a validated CHECK (col IS NOT NULL)
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE SET NULL, CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL));
-- fires: FK301 c_p

-- case: SET NULL on a column with a NOT VALID CHECK: new rows are checked, so the action fails
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE SET NULL);
ALTER TABLE c ADD CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL) NOT VALID;
-- fires: FK301 c_p

-- case: ON UPDATE SET NULL with the column in an ANDed CHECK
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON UPDATE SET NULL, n int, CHECK (n > 0 AND p_id IS NOT NULL));
-- fires: FK301 c_p

-- case: SET NULL on both columns with CHECK (a IS NOT NULL OR b IS NOT NULL): the action writes both NULL
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p MATCH FULL ON DELETE SET NULL, CHECK (a IS NOT NULL OR b IS NOT NULL));
-- fires: FK301 c_ab

-- case: PG15 SET NULL (a) only, with CHECK (a IS NOT NULL OR b IS NOT NULL): b keeps its value
-- min-version: 15
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p MATCH FULL ON DELETE SET NULL (a), CHECK (a IS NOT NULL OR b IS NOT NULL));

-- case: SET NULL on both columns with CHECK NOT (a IS NULL AND b IS NULL), NOT VALID
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p MATCH FULL ON UPDATE SET NULL);
ALTER TABLE c ADD CONSTRAINT c_ab_not_both_null CHECK (NOT (a IS NULL AND b IS NULL)) NOT VALID;
-- fires: FK301 c_ab

-- case: SET DEFAULT without defaults on both columns with CHECK (a IS NOT NULL OR b IS NOT NULL)
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p MATCH FULL ON DELETE SET DEFAULT, CHECK (a IS NOT NULL OR b IS NOT NULL));
-- fires: FK302 c_ab

-- case: SET DEFAULT, b has a default, with CHECK (a IS NOT NULL OR b IS NOT NULL)
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
INSERT INTO p VALUES (1, 0);
CREATE TABLE c (a int, b int DEFAULT 0, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p MATCH FULL ON DELETE SET DEFAULT, CHECK (a IS NOT NULL OR b IS NOT NULL));

-- case: SET NULL with CHECK (col > 0), which NULL passes
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE SET NULL, CHECK (p_id > 0));

-- case: PG15 SET NULL (b) while a CHECK forbids NULL in a only
-- min-version: 15
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p ON DELETE SET NULL (b), CHECK (a IS NOT NULL));
-- fires: FK304 c_ab

-- case: PG15 SET NULL (a) while a CHECK forbids NULL in a
-- min-version: 15
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p ON DELETE SET NULL (a), CHECK (a IS NOT NULL));
-- fires: FK301 c_ab, FK304 c_ab

-- case: SET DEFAULT without a default on a column with a CHECK (col IS NOT NULL)
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE SET DEFAULT, CHECK (p_id IS NOT NULL));
-- fires: FK302 c_p

-- case: SET DEFAULT without a default on a column with a NOT VALID CHECK
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE SET DEFAULT);
ALTER TABLE c ADD CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL) NOT VALID;
-- fires: FK302 c_p

-- case: SET DEFAULT without a default, the CHECK allows NULL
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE SET DEFAULT, n int, CHECK (p_id IS NOT NULL OR n IS NOT NULL));

-- case: SET DEFAULT with a default that has a parent row, CHECK (col IS NOT NULL)
CREATE TABLE p (id int PRIMARY KEY);
INSERT INTO p VALUES (0);
CREATE TABLE c (p_id int DEFAULT 0 CONSTRAINT c_p REFERENCES p ON DELETE SET DEFAULT, CHECK (p_id IS NOT NULL));

-- case: partitioned child, CHECK on the partitioned table (every partition inherits it)
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p ON DELETE CASCADE, CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL)) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE c_2 (p_id int, day date, CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL) NOT VALID);
ALTER TABLE c ATTACH PARTITION c_2 FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');

-- case: partitioned child, SET NULL, CHECK on the partitioned table
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p ON DELETE SET NULL, CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL)) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
-- fires: FK301 c_p

-- case: partitioned child, a partitioned table refuses a NO INHERIT CHECK, or one ONLY on itself
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p ON DELETE CASCADE) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
-- expect-error
ALTER TABLE c ADD CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL) NO INHERIT;
-- expect-error
ALTER TABLE ONLY c ADD CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL);
-- fires: FK303 c_p

-- case: partitioned child, the CHECK only on one partition: other partitions may hold NULLs
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p ON DELETE CASCADE) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE c_2 PARTITION OF c FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
ALTER TABLE c_1 ADD CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL);
-- fires: FK303 c_p

-- case: partitioned child, SET NULL, the CHECK only on one partition: deletes fail only there
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p ON DELETE SET NULL) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE c_2 PARTITION OF c FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
ALTER TABLE c_1 ADD CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL);

-- case: partitioned child, NOT VALID CHECK on the partitioned table, validated on its partition only
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p ON DELETE CASCADE) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
ALTER TABLE c ADD CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL) NOT VALID;
ALTER TABLE c_1 VALIDATE CONSTRAINT p_id_not_null;
-- fires: FK303 c_p

-- case: partitioned child, NOT VALID CHECK on the partitioned table, then validated there
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p ON DELETE CASCADE) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
ALTER TABLE c ADD CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL) NOT VALID;
ALTER TABLE c VALIDATE CONSTRAINT p_id_not_null;

-- case: a foreign key declared on a partition uses the CHECK the partition inherits
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL)) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
ALTER TABLE c_1 ADD CONSTRAINT c_1_p FOREIGN KEY (p_id) REFERENCES p ON DELETE SET NULL;
-- fires: FK301 c_1_p

-- case: inheritance parent, CHECK NO INHERIT: its foreign key covers only its own rows
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE CASCADE, CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL) NO INHERIT);
CREATE TABLE c_child () INHERITS (c);

-- case: inheritance parent, SET NULL with a CHECK NO INHERIT: deleting a parent of its rows fails
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE SET NULL, CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL) NO INHERIT);
CREATE TABLE c_child () INHERITS (c);
-- fires: FK301 c_p

-- case: inheritance child with its own foreign key, CHECK inherited from the parent
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE base (p_id int, CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL));
CREATE TABLE c (CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p ON DELETE CASCADE) INHERITS (base);

-- case: inheritance child with its own foreign key, the parent's CHECK is NO INHERIT
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE base (p_id int, CONSTRAINT p_id_not_null CHECK (p_id IS NOT NULL) NO INHERIT);
CREATE TABLE c (CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p ON DELETE CASCADE) INHERITS (base);
-- fires: FK303 c_p

-- case: PG18 NOT VALID NOT NULL sets attnotnull, yet old rows may be NULL
-- min-version: 18
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE CASCADE);
INSERT INTO c VALUES (NULL);
ALTER TABLE c ADD CONSTRAINT p_id_not_null NOT NULL p_id NOT VALID;
DELETE FROM c;
-- fires: FK303 c_p

-- case: PG18 NOT VALID NOT NULL, then validated
-- min-version: 18
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE CASCADE);
ALTER TABLE c ADD CONSTRAINT p_id_not_null NOT NULL p_id NOT VALID;
ALTER TABLE c VALIDATE CONSTRAINT p_id_not_null;

-- case: PG18 NOT VALID NOT NULL with SET NULL: the action fails all the same
-- min-version: 18
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE SET NULL);
ALTER TABLE c ADD CONSTRAINT p_id_not_null NOT NULL p_id NOT VALID;
-- fires: FK301 c_p

-- case: PG18 NOT VALID NOT NULL with SET DEFAULT and no default
-- min-version: 18
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p ON DELETE SET DEFAULT);
ALTER TABLE c ADD CONSTRAINT p_id_not_null NOT NULL p_id NOT VALID;
-- fires: FK302 c_p

-- case: PG18 NOT VALID NOT NULL on one column of a MATCH SIMPLE key, a validated CHECK on the other
-- min-version: 18
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p, CHECK (b IS NOT NULL));
ALTER TABLE c ADD CONSTRAINT a_not_null NOT NULL a NOT VALID;
-- fires: FK304 c_ab

-- case: PG18 NOT VALID NOT NULL on a partitioned child
-- min-version: 18
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p ON DELETE CASCADE) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
ALTER TABLE c ADD CONSTRAINT p_id_not_null NOT NULL p_id NOT VALID;
-- fires: FK303 c_p
