-- Partitioned children and parents: leaves decide, clones are reported once.
-- rules: FK101 FK102 FK201

-- case: partitioned child with an index on the partitioned table
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE c_2 PARTITION OF c FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
CREATE INDEX ON c (p_id);

-- case: partitioned child with an index on one leaf only names the other leaf
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE c_2 PARTITION OF c FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
CREATE INDEX ON c_1 (p_id);
-- fires: FK101 c_p

-- case: partitioned child with a separately created index on every leaf
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE c_2 PARTITION OF c FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
CREATE INDEX ON c_1 (p_id);
CREATE INDEX ON c_2 USING hash (p_id);

-- case: one leaf fully indexed, the other partially: partially indexed
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, day date, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE c_2 PARTITION OF c FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
CREATE INDEX ON c_1 (a, b);
CREATE INDEX ON c_2 (a);
-- fires: FK102 c_ab

-- case: two-level partitioning with a sub-leaf missing its index
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, region text, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01') PARTITION BY LIST (region);
CREATE TABLE c_1_eu PARTITION OF c_1 FOR VALUES IN ('eu');
CREATE TABLE c_1_us PARTITION OF c_1 FOR VALUES IN ('us');
CREATE TABLE c_2 PARTITION OF c FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
CREATE INDEX ON c_1_eu (p_id);
CREATE INDEX ON c_2 (p_id);
-- fires: FK101 c_p

-- case: an index on ONLY the partitioned table is invalid until every leaf is attached
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE c_2 PARTITION OF c FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
CREATE INDEX c_p_id_idx ON ONLY c (p_id);
CREATE INDEX c_1_p_id_idx ON c_1 (p_id);
ALTER INDEX c_p_id_idx ATTACH PARTITION c_1_p_id_idx;
-- fires: FK101 c_p

-- case: a leaf attached with a different column layout (a dropped column shifts attnums)
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p) PARTITION BY RANGE (day);
CREATE TABLE c_1 (junk int, day date, p_id int);
ALTER TABLE c_1 DROP COLUMN junk;
CREATE INDEX ON c_1 (p_id);
ALTER TABLE c ATTACH PARTITION c_1 FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');

-- case: an unnamed FK on a partitioned child is reported once, not per partition
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int REFERENCES p, day date) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE c_2 PARTITION OF c FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
-- fires: FK101 c_p_id_fkey, FK201 c_p_id_fkey

-- case: an FK referencing a partitioned table: per-partition rows are internal
CREATE TABLE p (id int, day date, PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
CREATE TABLE p_1 PARTITION OF p FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE p_2 PARTITION OF p FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
CREATE TABLE c (p_id int, p_day date, FOREIGN KEY (p_id, p_day) REFERENCES p);
-- fires: FK101 c_p_id_p_day_fkey, FK201 c_p_id_p_day_fkey

-- case: an indexed, named FK referencing a partitioned table
CREATE TABLE p (id int, day date, PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
CREATE TABLE p_1 PARTITION OF p FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE c (p_id int, p_day date, CONSTRAINT c_p FOREIGN KEY (p_id, p_day) REFERENCES p);
CREATE INDEX ON c (p_day, p_id);

-- case: partitioned child referencing a partitioned parent
CREATE TABLE p (id int, day date, PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
CREATE TABLE p_1 PARTITION OF p FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p FOREIGN KEY (p_id, day) REFERENCES p) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE c_2 PARTITION OF c FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
CREATE INDEX ON c_2 (p_id, day);
-- fires: FK101 c_p
