-- The verdict table of docs/design.md §3: which child indexes serve the RI lookup of a foreign key.
-- rules: FK101 FK102

-- case: no index at all
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
-- fires: FK101 c_p

-- case: btree on the single FK column
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (p_id);

-- case: btree on (a, b) for FK (a, b)
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON c (a, b);

-- case: btree on (b, a) for FK (a, b): any order of the leading columns
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON c (b, a);

-- case: btree on (a, b, x): extra trailing key columns
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, x int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON c (a, b, x);

-- case: primary key starting with the FK columns
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p, n int, PRIMARY KEY (p_id, n));

-- case: unique constraint on (b, a, x)
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, x int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p, UNIQUE (b, a, x));

-- case: btree on (a) only for FK (a, b): partially indexed
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON c (a);
-- fires: FK102 c_ab

-- case: btree on (a, x, b): only a is searched
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, x int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON c (a, x, b);
-- fires: FK102 c_ab

-- case: (a) INCLUDE (b): INCLUDE columns are not searchable
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON c (a) INCLUDE (b);
-- fires: FK102 c_ab

-- case: single-column FK whose column is only INCLUDEd
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (x int, p_id int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (x) INCLUDE (p_id);
-- fires: FK101 c_p

-- case: (x, a, b): FK columns not leading
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, x int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON c (x, a, b);
-- fires: FK101 c_ab

-- case: partial index WHERE a IS NOT NULL
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (p_id) WHERE p_id IS NOT NULL;

-- case: partial index WHERE a IS NOT NULL AND b IS NOT NULL
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON c (a, b) WHERE a IS NOT NULL AND b IS NOT NULL;

-- case: partial index on quoted column names WHERE "Parent Id" IS NOT NULL
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c ("Parent Id" int CONSTRAINT "c P" REFERENCES p);
CREATE INDEX ON c ("Parent Id") WHERE "Parent Id" IS NOT NULL;

-- case: partial index WHERE deleted_at IS NULL
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p, deleted_at timestamptz);
CREATE INDEX ON c (p_id) WHERE deleted_at IS NULL;
-- fires: FK101 c_p

-- case: partial index mixing IS NOT NULL with another condition
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p, active boolean);
CREATE INDEX ON c (p_id) WHERE p_id IS NOT NULL AND active;
-- fires: FK101 c_p

-- case: expression index
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c ((p_id + 0));
-- fires: FK101 c_p

-- case: invalid index left by a failed CREATE INDEX CONCURRENTLY
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
INSERT INTO p VALUES (1);
INSERT INTO c VALUES (1), (1);
-- expect-error
CREATE UNIQUE INDEX CONCURRENTLY c_p_id_uq ON c (p_id);
-- fires: FK101 c_p

-- case: hash index on a single-column FK
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c USING hash (p_id);

-- case: hash index on one column of a two-column FK
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON c USING hash (a);
-- fires: FK102 c_ab

-- case: GiST via btree_gist on (a, b)
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON c USING gist (a, b);

-- case: GIN via btree_gin on (b, a)
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE c (a int, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON c USING gin (b, a);

-- case: BRIN is not an index lookup
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c USING brin (p_id);
-- fires: FK101 c_p

-- case: int child referencing a numeric key casts the child column
CREATE TABLE p (id numeric PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (p_id);
-- fires: FK101 c_p

-- case: int child referencing a bigint key uses the cross-type operator
CREATE TABLE p (id bigint PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (p_id);

-- case: varchar child referencing a text key is binary compatible
CREATE TABLE p (code text PRIMARY KEY);
CREATE TABLE c (p_code varchar(20) CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (p_code);

-- case: self-reference without an index
CREATE TABLE t (id int PRIMARY KEY, parent_id int CONSTRAINT t_parent REFERENCES t);
-- fires: FK101 t_parent

-- case: a child indexed on some other column only
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (id int PRIMARY KEY, p_id int CONSTRAINT c_p REFERENCES p);
-- fires: FK101 c_p

-- case: an index with another collation than the column cannot answer the lookup
CREATE TABLE p (code text PRIMARY KEY);
CREATE TABLE c (code text CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (code COLLATE "C");
-- fires: FK101 c_p

-- case: an index with the column's own collation spelled out
CREATE TABLE p (code text COLLATE "C" PRIMARY KEY);
CREATE TABLE c (code text COLLATE "C" CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (code COLLATE "C");

-- case: GiST searches any key column, not only the leading one
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (x int, p_id int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c USING gist (x, p_id);

-- case: the fix's index name is taken by a view, so the fix picks another
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
CREATE VIEW c_p_id_idx AS SELECT 1 AS one;
-- fires: FK101 c_p

-- case: a 63-byte table name: the fix's index name is clipped to fit
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll (p_id int CONSTRAINT c_p REFERENCES p);
-- fires: FK101 c_p

-- case: quoted unicode names without an index
CREATE TABLE "Größe" ("Nr" int PRIMARY KEY);
CREATE TABLE "Bestellung Ä" ("größe nr" int CONSTRAINT "Bestellung → Größe" REFERENCES "Größe");
-- fires: FK101 Bestellung → Größe

-- case: quoted unicode names, only the first of two columns indexed
CREATE TABLE "Größe" ("A" int, "B" int, PRIMARY KEY ("A", "B"));
CREATE TABLE "Bestellung Ä" ("a ä" int, "b ö" int, CONSTRAINT "Bestellung → Größe" FOREIGN KEY ("a ä", "b ö") REFERENCES "Größe");
CREATE INDEX "nur ä" ON "Bestellung Ä" ("a ä");
-- fires: FK102 Bestellung → Größe
