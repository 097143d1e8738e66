-- FK401, FK402, FK403: constraints that are not (fully) checked.
-- rules: FK401 FK402 FK403

-- case: a validated, enforced key
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);

-- case: NOT VALID
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int);
ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID;
-- fires: FK401 c_p

-- case: NOT VALID, then validated
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int);
ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID;
ALTER TABLE c VALIDATE CONSTRAINT c_p;

-- case: NOT VALID key referencing a partitioned table
CREATE TABLE p (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE p_1 PARTITION OF p FOR VALUES FROM (0) TO (100);
CREATE TABLE c (p_id int);
ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID;
-- fires: FK401 c_p

-- case: NOT VALID on a partitioned child
-- min-version: 18
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID;
-- fires: FK401 c_p

-- case: triggers of the child disabled
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
ALTER TABLE c DISABLE TRIGGER ALL;
-- fires: FK402 c_p

-- case: triggers of the parent disabled
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
ALTER TABLE p DISABLE TRIGGER ALL;
-- fires: FK402 c_p

-- case: triggers disabled and enabled again
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
ALTER TABLE c DISABLE TRIGGER ALL;
ALTER TABLE c ENABLE TRIGGER ALL;

-- case: user triggers disabled, RI triggers untouched
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER c_noop BEFORE INSERT ON c FOR EACH ROW EXECUTE FUNCTION noop();
ALTER TABLE c DISABLE TRIGGER USER;

-- case: RI triggers set to fire only in replica sessions
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
DO $$ DECLARE t record; BEGIN FOR t IN SELECT tgname FROM pg_trigger WHERE tgrelid = 'c'::regclass AND tgisinternal LOOP EXECUTE format('ALTER TABLE c ENABLE REPLICA TRIGGER %I', t.tgname); END LOOP; END $$;
-- fires: FK402 c_p

-- case: RI triggers set to always fire are enforced
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
DO $$ DECLARE t record; BEGIN FOR t IN SELECT tgname FROM pg_trigger WHERE tgrelid = 'c'::regclass AND tgisinternal LOOP EXECUTE format('ALTER TABLE c ENABLE ALWAYS TRIGGER %I', t.tgname); END LOOP; END $$;

-- case: triggers of one partition disabled are reported on the partitioned key
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE c_2 PARTITION OF c FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
ALTER TABLE c_2 DISABLE TRIGGER ALL;
-- fires: FK402 c_p

-- case: triggers of one referenced partition disabled
CREATE TABLE p (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE p_1 PARTITION OF p FOR VALUES FROM (0) TO (100);
CREATE TABLE p_2 PARTITION OF p FOR VALUES FROM (100) TO (200);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p);
ALTER TABLE p_2 DISABLE TRIGGER ALL;
-- fires: FK402 c_p

-- case: quoted unicode names, disabled and NOT VALID
CREATE TABLE "Eltern" (id int PRIMARY KEY);
CREATE TABLE "Kind Ω" ("eltern id" int);
ALTER TABLE "Kind Ω" ADD CONSTRAINT "Kind → Eltern" FOREIGN KEY ("eltern id") REFERENCES "Eltern" NOT VALID;
ALTER TABLE "Kind Ω" DISABLE TRIGGER ALL;
-- fires: FK401 Kind → Eltern, FK402 Kind → Eltern

-- case: NOT ENFORCED
-- min-version: 18
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p NOT ENFORCED);
-- fires: FK403 c_p

-- case: NOT ENFORCED on a partitioned child
-- min-version: 18
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int, day date, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT ENFORCED) PARTITION BY RANGE (day);
CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
-- fires: FK403 c_p

-- case: NOT ENFORCED with quoted unicode names
-- min-version: 18
CREATE TABLE "Eltern" (id int PRIMARY KEY);
CREATE TABLE "Kind Ω" ("eltern id" int CONSTRAINT "Kind → Eltern" REFERENCES "Eltern" NOT ENFORCED);
-- fires: FK403 Kind → Eltern
