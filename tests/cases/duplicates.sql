-- FK601 and FK602: the same reference or the same index twice.
-- rules: FK601 FK602

-- case: the same key twice, the generated name is the redundant one
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT fk_c_p REFERENCES p);
ALTER TABLE c ADD FOREIGN KEY (p_id) REFERENCES p;
-- fires: FK601 c_p_id_fkey

-- case: the same multi-column key with the columns in another order
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p (a, b), CONSTRAINT c_ba FOREIGN KEY (b, a) REFERENCES p (b, a));
-- fires: FK601 c_ba

-- case: the same columns reference different parent columns
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (x int, y int, CONSTRAINT c_xy FOREIGN KEY (x, y) REFERENCES p (a, b), CONSTRAINT c_yx FOREIGN KEY (y, x) REFERENCES p (a, b));

-- case: duplicates with different actions are only suggested for dropping
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p1 REFERENCES p ON DELETE CASCADE, CONSTRAINT c_p2 FOREIGN KEY (p_id) REFERENCES p ON DELETE RESTRICT);
-- fires: FK601 c_p2

-- case: the validated one is kept
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int);
ALTER TABLE c ADD CONSTRAINT a_first FOREIGN KEY (p_id) REFERENCES p NOT VALID;
ALTER TABLE c ADD CONSTRAINT b_second FOREIGN KEY (p_id) REFERENCES p;
-- fires: FK601 a_first

-- case: a partitioned child with a duplicate key
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p1 FOREIGN KEY (p_id) REFERENCES p, CONSTRAINT c_p2 FOREIGN KEY (p_id) REFERENCES p) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
-- fires: FK601 c_p2

-- case: quoted unicode duplicate names
CREATE TABLE "Ω" (id int PRIMARY KEY);
CREATE TABLE "Kind" ("ω id" int CONSTRAINT "Kind→Ω" REFERENCES "Ω", CONSTRAINT "Kind→Ω nochmal" FOREIGN KEY ("ω id") REFERENCES "Ω");
-- fires: FK601 Kind→Ω nochmal

-- case: an index on the FK column and a wider one starting with it
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p, created date);
CREATE INDEX c_p_only ON c (p_id);
CREATE INDEX c_p_created ON c (p_id, created);
-- fires: FK602 c_p

-- case: two identical indexes on the FK column
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
CREATE INDEX c_a ON c (p_id);
CREATE INDEX c_b ON c (p_id);
-- fires: FK602 c_p

-- case: one index only
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p, created date);
CREATE INDEX c_p_created ON c (p_id, created);

-- case: the wider index has the columns in another order
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p, created date);
CREATE INDEX c_p_only ON c (p_id);
CREATE INDEX c_created_p ON c (created, p_id);

-- case: the wider index is partial, so it does not replace the plain one
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p, created date);
CREATE INDEX c_p_only ON c (p_id);
CREATE INDEX c_p_created ON c (p_id, created) WHERE created > '2026-01-01';

-- case: the narrow index is unique: it enforces something, not redundant
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p, created date);
CREATE UNIQUE INDEX c_p_only ON c (p_id);
CREATE INDEX c_p_created ON c (p_id, created);

-- case: partitioned child with a redundant index
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE INDEX c_p_only ON c (p_id);
CREATE INDEX c_p_day ON c (p_id, day);
-- fires: FK602 c_p

-- case: a redundant index with quoted unicode names
CREATE TABLE "Ω" (id int PRIMARY KEY);
CREATE TABLE "Kind" ("ω id" int CONSTRAINT "Kind→Ω" REFERENCES "Ω", "Datum" date);
CREATE INDEX "nur ω" ON "Kind" ("ω id");
CREATE INDEX "ω und Datum" ON "Kind" ("ω id", "Datum");
-- fires: FK602 Kind→Ω
