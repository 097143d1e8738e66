-- FK103: referencing and referenced column types and collations.
-- rules: FK103

-- case: same type
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);

-- case: varchar child of a text key is harmless
CREATE TABLE p (code text PRIMARY KEY);
CREATE TABLE c (p_code varchar(20) CONSTRAINT c_p REFERENCES p);

-- case: text child of a varchar key is harmless
CREATE TABLE p (code varchar(10) PRIMARY KEY);
CREATE TABLE c (p_code text CONSTRAINT c_p REFERENCES p);

-- case: a domain over the parent's type is harmless
CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id positive_int CONSTRAINT c_p REFERENCES p);

-- case: bigint child of an int key is wider, harmless
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id bigint CONSTRAINT c_p REFERENCES p);

-- case: int child of a bigint key is narrower
CREATE TABLE p (id bigint PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
-- fires: FK103 c_p

-- case: smallint child of an int key is narrower
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id smallint CONSTRAINT c_p REFERENCES p);
-- fires: FK103 c_p

-- case: int child of a numeric key forces a cast
CREATE TABLE p (id numeric PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (p_id);
-- fires: FK103 c_p

-- case: citext child of a text key forces a cast
CREATE EXTENSION IF NOT EXISTS citext SCHEMA public;
CREATE TABLE p (email text PRIMARY KEY);
CREATE TABLE c (p_email public.citext CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (p_email);
-- fires: FK103 c_p

-- case: citext child of a citext key is harmless
CREATE EXTENSION IF NOT EXISTS citext SCHEMA public;
CREATE TABLE p (email public.citext PRIMARY KEY);
CREATE TABLE c (p_email public.citext CONSTRAINT c_p REFERENCES p);

-- case: differing collations on text keys
CREATE TABLE p (code text COLLATE "C" PRIMARY KEY);
CREATE TABLE c (p_code text COLLATE "POSIX" CONSTRAINT c_p REFERENCES p);
-- fires: FK103 c_p

-- case: same explicit collation on both sides
CREATE TABLE p (code text COLLATE "C" PRIMARY KEY);
CREATE TABLE c (p_code text COLLATE "C" CONSTRAINT c_p REFERENCES p);

-- case: multi-column key, one column narrower
CREATE TABLE p (a bigint, b bigint, PRIMARY KEY (a, b));
CREATE TABLE c (a bigint, b int, CONSTRAINT c_ab FOREIGN KEY (a, b) REFERENCES p);
-- fires: FK103 c_ab

-- case: enum key of the same type is harmless
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE p (m mood PRIMARY KEY);
CREATE TABLE c (m mood CONSTRAINT c_p REFERENCES p);

-- case: partitioned child, narrower column
CREATE TABLE p (id bigint PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
-- fires: FK103 c_p

-- case: quoted and unicode names, cast forced
CREATE TABLE "Größe" ("ID" numeric PRIMARY KEY);
CREATE TABLE "Bestellung Ä" ("größe id" int CONSTRAINT "Bestellung → Größe" REFERENCES "Größe");
-- fires: FK103 Bestellung → Größe

-- case: a domain over a domain over the parent's type is harmless
CREATE DOMAIN d1 AS int;
CREATE DOMAIN d2 AS d1;
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id d2 CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (p_id);

-- case: a domain over a domain over int referencing bigint is narrower
CREATE DOMAIN d1 AS int;
CREATE DOMAIN d2 AS d1;
CREATE TABLE p (id bigint PRIMARY KEY);
CREATE TABLE c (p_id d2 CONSTRAINT c_p REFERENCES p);
CREATE INDEX ON c (p_id);
-- fires: FK103 c_p

-- case: a referenced domain with COLLATE "C": the check compares in "C", not the column's own
CREATE DOMAIN dtext AS text COLLATE "C";
CREATE TABLE p (k dtext PRIMARY KEY);
CREATE TABLE c (f text CONSTRAINT c_p REFERENCES p);
-- fires: FK103 c_p

-- case: a referenced domain with COLLATE "C" and a child column in "POSIX": no collation can be chosen
CREATE DOMAIN dtext AS text COLLATE "C";
CREATE TABLE p (k dtext PRIMARY KEY);
CREATE TABLE c (f text COLLATE "POSIX" CONSTRAINT c_p REFERENCES p);
-- fires: FK103 c_p

-- case: a referenced column COLLATE "C" over plain text: the lookup compares in the child's collation
CREATE TABLE p (k text COLLATE "C" PRIMARY KEY);
CREATE TABLE c (f text CONSTRAINT c_p REFERENCES p);
-- fires: FK103 c_p

-- case: a child domain with COLLATE "C" referencing its own domain
CREATE DOMAIN dtext AS text COLLATE "C";
CREATE TABLE p (k dtext PRIMARY KEY);
CREATE TABLE c (f dtext CONSTRAINT c_p REFERENCES p);
