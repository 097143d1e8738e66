-- FK101/FK102 as the RI trigger's own lookup plans it (issue 12): the collation the comparison
-- runs in, predicates the planner proves, every access method, repeated key columns, and LIST
-- partitions of one value. Each verdict was observed in the plans of the real RI statements on
-- PostgreSQL 12 to 18 (auto_explain, generic plans).
-- rules: FK101 FK102

-- case: a referenced domain with COLLATE "C": the comparison runs in "C", a plain index is unusable
CREATE DOMAIN dtext AS text COLLATE "C";
CREATE TABLE p (k dtext PRIMARY KEY);
CREATE TABLE c (f text CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (f);
-- fires: FK101 c_p

-- case: a referenced domain with COLLATE "C": an index in "C" serves
CREATE DOMAIN dtext AS text COLLATE "C";
CREATE TABLE p (k dtext PRIMARY KEY);
CREATE TABLE c (f text CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (f COLLATE "C");

-- case: a referenced domain with COLLATE "C": text_pattern_ops in the column's collation does not serve
CREATE DOMAIN dtext AS text COLLATE "C";
CREATE TABLE p (k dtext PRIMARY KEY);
CREATE TABLE c (f text CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (f text_pattern_ops);
-- fires: FK101 c_p

-- case: both sides of the domain type: the column's own collation is the comparison's
CREATE DOMAIN dtext AS text COLLATE "C";
CREATE TABLE p (k dtext PRIMARY KEY);
CREATE TABLE c (f dtext CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (f);

-- case: a COLLATE on the referenced column (not its type) does not reach the lookup
CREATE TABLE p (k text COLLATE "C" PRIMARY KEY);
CREATE TABLE c (f text CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (f);

-- case: a child domain with COLLATE "C" referencing plain text: the child's collation wins
CREATE DOMAIN dtext AS text COLLATE "C";
CREATE TABLE p (k text PRIMARY KEY);
CREATE TABLE c (f dtext CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (f);

-- case: two different non-default collations: no index helps, every parent delete fails
CREATE DOMAIN dtext AS text COLLATE "C";
CREATE TABLE p (k dtext PRIMARY KEY);
CREATE TABLE c (f text COLLATE "POSIX" CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (f);
-- fires: FK101 c_p

-- case: partial index WHERE NOT (f IS NULL)
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (f int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (f) WHERE NOT (f IS NULL);

-- case: partial index WHERE ROW(f) IS NOT NULL
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (f int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (f) WHERE ROW(f) IS NOT NULL;

-- case: partial index WHERE (a, b) IS NOT NULL for FK (a, b)
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON c (a, b) WHERE (a, b) IS NOT NULL;

-- case: partial index WHERE (a, x) IS NOT NULL names another column
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (a int CONSTRAINT c_p REFERENCES p, x int);
CREATE INDEX ON c (a) WHERE (a, x) IS NOT NULL;
-- fires: FK101 c_p

-- case: partial index WHERE f IS NOT NULL OR x > 0: one provable arm is enough
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (f int CONSTRAINT c_p REFERENCES p, x int);
CREATE INDEX ON c (f) WHERE f IS NOT NULL OR x > 0;

-- case: partial index WHERE f IS NOT NULL OR false
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (f int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (f) WHERE f IS NOT NULL OR false;

-- case: partial index WHERE f IS NOT NULL OR f IS NULL
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (f int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (f) WHERE f IS NOT NULL OR f IS NULL;

-- case: partial index WHERE true is no predicate at all
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (f int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (f) WHERE true;

-- case: partial index WHERE f IS DISTINCT FROM NULL is stored as f IS NOT NULL
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (f int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (f) WHERE f IS DISTINCT FROM NULL;

-- case: partial index WHERE 1 = 1: the planner folds the constants
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (f int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (f) WHERE 1 = 1;

-- case: partial index WHERE f IS NULL AND 1 <> 2 is never true for a key
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (f int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (f) WHERE f IS NULL AND 1 <> 2;
-- fires: FK101 c_p

-- case: partial index WHERE 1 = 2 OR f IS NOT NULL
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (f int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (f) WHERE 1 = 2 OR f IS NOT NULL;

-- case: partial index WHERE f > 0 is not proven by a generic plan
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (f int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (f) WHERE f > 0;
-- fires: FK101 c_p

-- case: partial index WHERE f <> 0 is not proven by a generic plan
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (f int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (f) WHERE f <> 0;
-- fires: FK101 c_p

-- case: partial index WHERE x IS NOT NULL on another column
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (f int CONSTRAINT c_p REFERENCES p, x int);
CREATE INDEX ON c (f) WHERE x IS NOT NULL;
-- fires: FK101 c_p

-- case: SP-GiST on a text column serves equality
CREATE TABLE p (k text PRIMARY KEY);
CREATE TABLE c (f text CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c USING spgist (f);

-- case: hash on a text column
CREATE TABLE p (k text PRIMARY KEY);
CREATE TABLE c (f text CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c USING hash (f);

-- case: bloom reads the whole index on every lookup
CREATE EXTENSION IF NOT EXISTS bloom;
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON c USING bloom (a, b);
-- fires: FK101 c_ab

-- case: hash on (a) beside a GIN on (x, a, b)
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, x int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON c USING hash (a);
CREATE INDEX ON c USING gin (x, a, b);

-- case: (a, a, b) for FK (a, b): 17 and older search a only, 18 skips over the repeat
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON c (a, a, b);
-- fires-until: 17 FK102 c_ab

-- case: (b, a, a) for FK (a, b): the repeat trails the FK columns
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON c (b, a, a);

-- case: (a, a) for FK (a, b): partially indexed everywhere
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON c (a, a);
-- fires: FK102 c_ab

-- case: LIST partitions of one value each: the partition key needs no index
CREATE TABLE p (partition_id int, x int, PRIMARY KEY (partition_id, x));
CREATE TABLE c (partition_id int, x int, CONSTRAINT c_p FOREIGN KEY (partition_id, x) REFERENCES p) PARTITION BY LIST (partition_id);
CREATE TABLE c1 PARTITION OF c FOR VALUES IN (1);
CREATE TABLE c2 PARTITION OF c FOR VALUES IN (2);
CREATE INDEX ON c1 (x);
CREATE INDEX ON c2 (x);

-- case: LIST partitions of two values: the partition key is a filter, partially indexed
CREATE TABLE p (partition_id int, x int, PRIMARY KEY (partition_id, x));
CREATE TABLE c (partition_id int, x int, CONSTRAINT c_p FOREIGN KEY (partition_id, x) REFERENCES p) PARTITION BY LIST (partition_id);
CREATE TABLE c1 PARTITION OF c FOR VALUES IN (1, 2);
CREATE TABLE c2 PARTITION OF c FOR VALUES IN (3);
CREATE INDEX ON c1 (x);
CREATE INDEX ON c2 (x);
-- fires: FK102 c_p

-- case: a DEFAULT partition holds many values: partially indexed
CREATE TABLE p (partition_id int, x int, PRIMARY KEY (partition_id, x));
CREATE TABLE c (partition_id int, x int, CONSTRAINT c_p FOREIGN KEY (partition_id, x) REFERENCES p) PARTITION BY LIST (partition_id);
CREATE TABLE c1 PARTITION OF c FOR VALUES IN (1);
CREATE TABLE cd PARTITION OF c DEFAULT;
CREATE INDEX ON c (x);
-- fires: FK102 c_p

-- case: HASH partitions: the partition key is a filter, partially indexed
CREATE TABLE p (partition_id int, x int, PRIMARY KEY (partition_id, x));
CREATE TABLE c (partition_id int, x int, CONSTRAINT c_p FOREIGN KEY (partition_id, x) REFERENCES p) PARTITION BY HASH (partition_id);
CREATE TABLE c1 PARTITION OF c FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE c2 PARTITION OF c FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE INDEX ON c (x);
-- fires: FK102 c_p

-- case: LIST partitions of one value, one leaf without an index
CREATE TABLE p (partition_id int, x int, PRIMARY KEY (partition_id, x));
CREATE TABLE c (partition_id int, x int, CONSTRAINT c_p FOREIGN KEY (partition_id, x) REFERENCES p) PARTITION BY LIST (partition_id);
CREATE TABLE c1 PARTITION OF c FOR VALUES IN (1);
CREATE TABLE c2 PARTITION OF c FOR VALUES IN (2);
CREATE INDEX ON c1 (x);
-- fires: FK101 c_p

-- case: an expression index on the very cast the check applies serves it
CREATE TABLE p (k numeric PRIMARY KEY);
CREATE TABLE c (f int CONSTRAINT c_p REFERENCES p, y text);
CREATE INDEX ON c (((f)::numeric), y);

-- case: an expression index on another cast than the check's does not
CREATE TABLE p (k numeric PRIMARY KEY);
CREATE TABLE c (f int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (((f)::bigint));
-- fires: FK101 c_p

-- case: an expression index on a cast of a column whose type needs none
CREATE TABLE p (k int PRIMARY KEY);
CREATE TABLE c (f int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (((f)::numeric));
-- fires: FK101 c_p
