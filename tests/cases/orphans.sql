-- FK501: orphaned rows (a data rule; the default --orphans suspect mode scans these keys).
-- rules: FK501

-- case: NOT VALID over an orphan
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int);
INSERT INTO c VALUES (1);
ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID;
-- fires: FK501 c_p

-- case: NOT VALID over clean rows and NULLs
CREATE TABLE p (id int PRIMARY KEY);
INSERT INTO p VALUES (1);
CREATE TABLE c (p_id int);
INSERT INTO c VALUES (1), (NULL);
ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID;

-- case: triggers disabled, then an orphan inserted into a partition, quoted unicode names
CREATE TABLE "Eltern" (id int PRIMARY KEY);
CREATE TABLE "Kind ü" ("eltern id" int, day date, CONSTRAINT "Kind → Eltern" FOREIGN KEY ("eltern id") REFERENCES "Eltern") PARTITION BY RANGE (day);
CREATE TABLE "Kind ü 1" PARTITION OF "Kind ü" FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
ALTER TABLE "Kind ü 1" DISABLE TRIGGER ALL;
INSERT INTO "Kind ü" VALUES (5, '2026-01-02');
-- fires: FK501 Kind → Eltern

-- case: a validated key is not suspect, even with an orphan loaded as a replica
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
SET session_replication_role = replica;
INSERT INTO c VALUES (1);
RESET session_replication_role;

-- case: MATCH FULL with a partly NULL key and a partitioned parent
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b)) PARTITION BY RANGE (a);
CREATE TABLE p_1 PARTITION OF p FOR VALUES FROM (0) TO (100);
INSERT INTO p VALUES (1, 1);
CREATE TABLE c (a int, b int);
INSERT INTO c VALUES (1, 1), (1, NULL);
ALTER TABLE c ADD CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p MATCH FULL NOT VALID;
-- fires: FK501 c_ab

-- case: NOT ENFORCED with an orphan
-- min-version: 18
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p NOT ENFORCED);
INSERT INTO c VALUES (3);
-- fires: FK501 c_p

-- case: a temporal key whose period is not covered by the referenced rows
-- min-version: 18
CREATE TABLE p (id int, valid_at daterange, PRIMARY KEY (id, valid_at WITHOUT OVERLAPS));
INSERT INTO p VALUES (1, '[2026-01-01,2026-02-01)'), (1, '[2026-02-01,2026-03-01)');
CREATE TABLE c (p_id int, valid_at daterange);
INSERT INTO c VALUES (1, '[2026-01-10,2026-02-10)'), (1, '[2026-02-20,2026-03-10)');
ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id, PERIOD valid_at) REFERENCES p (id, PERIOD valid_at) NOT VALID;
-- fires: FK501 c_p

-- case: a temporal key covered by two adjacent referenced rows
-- min-version: 18
CREATE TABLE p (id int, valid_at daterange, PRIMARY KEY (id, valid_at WITHOUT OVERLAPS));
INSERT INTO p VALUES (1, '[2026-01-01,2026-02-01)'), (1, '[2026-02-01,2026-03-01)');
CREATE TABLE c (p_id int, valid_at daterange);
INSERT INTO c VALUES (1, '[2026-01-10,2026-02-10)');
ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id, PERIOD valid_at) REFERENCES p (id, PERIOD valid_at) NOT VALID;
