-- FK201 and FK202 together: a configured convention and generated names agree.
-- rules: FK201 FK202

-- case: the convention is PostgreSQL's own naming, so a generated name is fine
-- option: FK202 convention = {table}_{columns}_fkey
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int REFERENCES p);

-- case: both fire on a generated name and suggest the same name
-- option: FK202 convention = fk_{table}_{columns}
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (p_id int REFERENCES p);
-- fires: FK201 c_p_id_fkey, FK202 c_p_id_fkey

-- case: names clipped to 63 bytes with a collision suffix follow the convention
-- option: FK202 convention = fk_{table}_{columns}
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE q (id int PRIMARY KEY);
CREATE TABLE tttttttttttttttttttttttttttttttttttttttttttttttttttttttttt (a int CONSTRAINT fk_tttttttttttttttttttttttttttttttttttttttttttttttttttttttttt_a REFERENCES p, b int);
ALTER TABLE tttttttttttttttttttttttttttttttttttttttttttttttttttttttttt ADD CONSTRAINT fk_tttttttttttttttttttttttttttttttttttttttttttttttttttttttttt_2 FOREIGN KEY (a) REFERENCES q;

-- case: a second run after the fix finds nothing (two keys on the same column, long names)
-- option: FK202 convention = fk_{table}_{columns}
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE q (id int PRIMARY KEY);
CREATE TABLE tttttttttttttttttttttttttttttttttttttttttttttttttttttttttt (a int CONSTRAINT first_key REFERENCES p, b int);
ALTER TABLE tttttttttttttttttttttttttttttttttttttttttttttttttttttttttt ADD CONSTRAINT second_key FOREIGN KEY (a) REFERENCES q;
-- fires: FK202 first_key, FK202 second_key
