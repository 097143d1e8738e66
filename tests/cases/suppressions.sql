-- Suppressions in comments (fkaudit:ignore) and FK001 for the stale ones.
-- rules: FK101 FK201 FK001
-- Table-level findings are written as [table].

-- case: a comment on the constraint suppresses the named rule only
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int REFERENCES p);
COMMENT ON CONSTRAINT c_p_id_fkey ON c IS 'fkaudit:ignore FK101 -- tiny table';
-- fires: FK201 c_p_id_fkey

-- case: a bare directive suppresses every rule
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int REFERENCES p);
COMMENT ON CONSTRAINT c_p_id_fkey ON c IS 'Imported nightly. fkaudit:ignore -- reviewed 2026-11';

-- case: a comment on the table covers all its keys
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (a int CONSTRAINT c_a REFERENCES p, b int CONSTRAINT c_b REFERENCES p);
COMMENT ON TABLE c IS 'fkaudit:ignore FK101';

-- case: rule names and prefixes work as selectors
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int REFERENCES p);
COMMENT ON CONSTRAINT c_p_id_fkey ON c IS 'fkaudit:ignore unindexed-foreign-key, FK2';

-- case: a stale suppression is reported
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (p_id);
COMMENT ON CONSTRAINT c_p ON c IS 'fkaudit:ignore FK101 -- no index yet';
-- fires: FK001 c_p

-- case: a stale table suppression is reported on the table
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (p_id);
COMMENT ON TABLE c IS 'fkaudit:ignore FK101';
-- fires: FK001 [c]

-- case: a suppression of a rule that did not run is not judged
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (p_id);
COMMENT ON CONSTRAINT c_p ON c IS 'fkaudit:ignore FK303';

-- case: a comment without the directive is just a comment
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
COMMENT ON CONSTRAINT c_p ON c IS 'the customer; see fkaudit docs';
-- fires: FK101 c_p

-- case: a partitioned key with a quoted unicode name
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE "Kind ü" (p_id int, day date, CONSTRAINT "Kind ü → p" FOREIGN KEY (p_id) REFERENCES p) PARTITION BY RANGE (day);
CREATE TABLE "Kind ü 1" PARTITION OF "Kind ü" FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
COMMENT ON CONSTRAINT "Kind ü → p" ON "Kind ü" IS 'fkaudit:ignore FK101';

-- case: a typo in a directive suppresses nothing and is reported
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
COMMENT ON CONSTRAINT c_p ON c IS 'fkaudit:ignore FK1O1 -- small table';
-- fires: FK101 c_p, FK001 c_p

-- case: a directive glued to a value is malformed too
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
COMMENT ON CONSTRAINT c_p ON c IS 'fkaudit:ignore=FK101';
-- fires: FK101 c_p, FK001 c_p

-- case: a stale suppression on a partitioned key with a quoted unicode name
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE "Kind ü" (p_id int, day date, CONSTRAINT "Kind ü → p" FOREIGN KEY (p_id) REFERENCES p) PARTITION BY RANGE (day);
CREATE TABLE "Kind ü 1" PARTITION OF "Kind ü" FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE INDEX ON "Kind ü" (p_id);
COMMENT ON CONSTRAINT "Kind ü → p" ON "Kind ü" IS 'fkaudit:ignore FK101';
-- fires: FK001 Kind ü → p
