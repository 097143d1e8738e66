-- FK305 and FK306: the shape of the ON DELETE CASCADE graph.
-- rules: FK305 FK306
-- Table-level findings (FK306) are written as [table].

-- case: two tables cascading into each other
CREATE TABLE a (id int PRIMARY KEY, b_id int);
CREATE TABLE b (id int PRIMARY KEY, a_id int CONSTRAINT b_a REFERENCES a ON DELETE CASCADE);
ALTER TABLE a ADD CONSTRAINT a_b FOREIGN KEY (b_id) REFERENCES b ON DELETE CASCADE;
-- fires: FK305 b_a

-- case: a three-table cycle is reported once
CREATE TABLE a (id int PRIMARY KEY, c_id int);
CREATE TABLE b (id int PRIMARY KEY, a_id int CONSTRAINT b_a REFERENCES a ON DELETE CASCADE);
CREATE TABLE c (id int PRIMARY KEY, b_id int CONSTRAINT c_b REFERENCES b ON DELETE CASCADE);
ALTER TABLE a ADD CONSTRAINT a_c FOREIGN KEY (c_id) REFERENCES c ON DELETE CASCADE;
-- fires: FK305 b_a

-- case: a cycle broken by one SET NULL is no cycle
CREATE TABLE a (id int PRIMARY KEY, b_id int);
CREATE TABLE b (id int PRIMARY KEY, a_id int CONSTRAINT b_a REFERENCES a ON DELETE CASCADE);
ALTER TABLE a ADD CONSTRAINT a_b FOREIGN KEY (b_id) REFERENCES b ON DELETE SET NULL;

-- case: a self-referencing tree is not a cycle
CREATE TABLE node (id int PRIMARY KEY, parent_id int CONSTRAINT node_parent REFERENCES node ON DELETE CASCADE);

-- case: a cycle through a partitioned table
CREATE TABLE a (id int PRIMARY KEY, b_id int, b_day date);
CREATE TABLE b (id int, day date, a_id int CONSTRAINT b_a REFERENCES a ON DELETE CASCADE, PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
CREATE TABLE b_1 PARTITION OF b FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
ALTER TABLE a ADD CONSTRAINT a_b FOREIGN KEY (b_id, b_day) REFERENCES b ON DELETE CASCADE;
-- fires: FK305 b_a

-- case: a chain of five cascades from the root
CREATE TABLE t1 (id int PRIMARY KEY);
CREATE TABLE t2 (id int PRIMARY KEY, up int CONSTRAINT t2_up REFERENCES t1 ON DELETE CASCADE);
CREATE TABLE t3 (id int PRIMARY KEY, up int CONSTRAINT t3_up REFERENCES t2 ON DELETE CASCADE);
CREATE TABLE t4 (id int PRIMARY KEY, up int CONSTRAINT t4_up REFERENCES t3 ON DELETE CASCADE);
CREATE TABLE t5 (id int PRIMARY KEY, up int CONSTRAINT t5_up REFERENCES t4 ON DELETE CASCADE);
CREATE TABLE t6 (id int PRIMARY KEY, up int CONSTRAINT t6_up REFERENCES t5 ON DELETE CASCADE);
-- fires: FK306 [t1]

-- case: a chain of four cascades stays within the default limit
CREATE TABLE t1 (id int PRIMARY KEY);
CREATE TABLE t2 (id int PRIMARY KEY, up int CONSTRAINT t2_up REFERENCES t1 ON DELETE CASCADE);
CREATE TABLE t3 (id int PRIMARY KEY, up int CONSTRAINT t3_up REFERENCES t2 ON DELETE CASCADE);
CREATE TABLE t4 (id int PRIMARY KEY, up int CONSTRAINT t4_up REFERENCES t3 ON DELETE CASCADE);
CREATE TABLE t5 (id int PRIMARY KEY, up int CONSTRAINT t5_up REFERENCES t4 ON DELETE CASCADE);

-- case: with max_tables = 2, only the start of the cascade is reported
-- option: FK306 max_tables = 2
CREATE TABLE t1 (id int PRIMARY KEY);
CREATE TABLE t2 (id int PRIMARY KEY, up int CONSTRAINT t2_up REFERENCES t1 ON DELETE CASCADE);
CREATE TABLE t3 (id int PRIMARY KEY, up int CONSTRAINT t3_up REFERENCES t2 ON DELETE CASCADE);
CREATE TABLE t4 (id int PRIMARY KEY, up int CONSTRAINT t4_up REFERENCES t3 ON DELETE CASCADE);
CREATE TABLE t5 (id int PRIMARY KEY, up int CONSTRAINT t5_up REFERENCES t4 ON DELETE RESTRICT);
-- fires: FK306 [t1]

-- case: a wide fan-out counts tables, quoted names
-- option: FK306 max_tables = 3
CREATE TABLE "Konto" (id int PRIMARY KEY);
CREATE TABLE "A" (id int PRIMARY KEY, k int CONSTRAINT "A→Konto" REFERENCES "Konto" ON DELETE CASCADE);
CREATE TABLE "B" (id int PRIMARY KEY, k int CONSTRAINT "B→Konto" REFERENCES "Konto" ON DELETE CASCADE);
CREATE TABLE "C" (id int PRIMARY KEY, k int CONSTRAINT "C→Konto" REFERENCES "Konto" ON DELETE CASCADE);
CREATE TABLE "D" (id int PRIMARY KEY, k int CONSTRAINT "D→Konto" REFERENCES "Konto" ON DELETE CASCADE);
-- fires: FK306 [Konto]

-- case: a cycle between quoted unicode names
CREATE TABLE "Ä" (id int PRIMARY KEY, "ö id" int);
CREATE TABLE "Ö" (id int PRIMARY KEY, "ä id" int CONSTRAINT "Ö→Ä" REFERENCES "Ä" ON DELETE CASCADE);
ALTER TABLE "Ä" ADD CONSTRAINT "Ä→Ö" FOREIGN KEY ("ö id") REFERENCES "Ö" ON DELETE CASCADE;
-- fires: FK305 Ö→Ä

-- case: a chain through partitioned tables
-- option: FK306 max_tables = 2
CREATE TABLE t1 (id int PRIMARY KEY);
CREATE TABLE t2 (id int, day date, up int CONSTRAINT t2_up REFERENCES t1 ON DELETE CASCADE, PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
CREATE TABLE t2_1 PARTITION OF t2 FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE t3 (up int, up_day date, CONSTRAINT t3_up FOREIGN KEY (up, up_day) REFERENCES t2 ON DELETE CASCADE) PARTITION BY RANGE (up_day);
CREATE TABLE t3_1 PARTITION OF t3 FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE t4 (id int PRIMARY KEY, up int CONSTRAINT t4_up REFERENCES t1 ON DELETE CASCADE);
-- fires: FK306 [t1]
