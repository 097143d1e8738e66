-- Written for fkaudit's tests (tests/test_locate.py): an invented schema laid out as a Rails
-- db/structure.sql made by `pg_dump --schema-only --no-privileges --no-owner --clean
-- --if-exists`. With --clean --if-exists every object is first dropped near the top
-- (`ALTER TABLE IF EXISTS ONLY ... DROP CONSTRAINT IF EXISTS fk_rails_...`), long before the
-- `ADD CONSTRAINT` that defines it; a locator taking the first line naming a constraint puts
-- its annotation on the DROP. The foreign-key names are what Rails generates for these
-- columns. tool_loans.workshop_id has no index (FK101).

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

ALTER TABLE IF EXISTS ONLY public.tools DROP CONSTRAINT IF EXISTS fk_rails_c7aa9b395f;
ALTER TABLE IF EXISTS ONLY public.tool_loans DROP CONSTRAINT IF EXISTS fk_rails_c5f5265b68;
ALTER TABLE IF EXISTS ONLY public.tool_loans DROP CONSTRAINT IF EXISTS fk_rails_6b68d6ea75;
DROP INDEX IF EXISTS public.index_workshops_on_slug;
DROP INDEX IF EXISTS public.index_tools_on_workshop_id_and_label;
DROP INDEX IF EXISTS public.index_tools_on_serial_number;
DROP INDEX IF EXISTS public.index_tool_loans_on_tool_id_and_due_on;
DROP INDEX IF EXISTS public.index_tool_loans_on_returned_at;
ALTER TABLE IF EXISTS ONLY public.workshops DROP CONSTRAINT IF EXISTS workshops_pkey;
ALTER TABLE IF EXISTS ONLY public.tools DROP CONSTRAINT IF EXISTS tools_pkey;
ALTER TABLE IF EXISTS ONLY public.tool_loans DROP CONSTRAINT IF EXISTS tool_loans_pkey;
ALTER TABLE IF EXISTS ONLY public.schema_migrations DROP CONSTRAINT IF EXISTS schema_migrations_pkey;
ALTER TABLE IF EXISTS public.workshops ALTER COLUMN id DROP DEFAULT;
ALTER TABLE IF EXISTS public.tools ALTER COLUMN id DROP DEFAULT;
ALTER TABLE IF EXISTS public.tool_loans ALTER COLUMN id DROP DEFAULT;
DROP SEQUENCE IF EXISTS public.workshops_id_seq;
DROP TABLE IF EXISTS public.workshops;
DROP SEQUENCE IF EXISTS public.tools_id_seq;
DROP TABLE IF EXISTS public.tools;
DROP SEQUENCE IF EXISTS public.tool_loans_id_seq;
DROP TABLE IF EXISTS public.tool_loans;
DROP TABLE IF EXISTS public.schema_migrations;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version character varying NOT NULL
);


--
-- Name: tool_loans; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tool_loans (
    id bigint NOT NULL,
    tool_id bigint NOT NULL,
    workshop_id bigint NOT NULL,
    borrower_name character varying NOT NULL,
    due_on date NOT NULL,
    returned_at timestamp(6) without time zone,
    deposit_cents integer DEFAULT 0 NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL,
    CONSTRAINT check_tool_loans_on_deposit_cents CHECK ((deposit_cents >= 0))
);


--
-- Name: tool_loans_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.tool_loans_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: tool_loans_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.tool_loans_id_seq OWNED BY public.tool_loans.id;


--
-- Name: tools; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tools (
    id bigint NOT NULL,
    workshop_id bigint NOT NULL,
    label character varying NOT NULL,
    serial_number character varying,
    condition integer DEFAULT 0 NOT NULL,
    tags character varying[] DEFAULT '{}'::character varying[] NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);


--
-- Name: tools_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.tools_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: tools_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.tools_id_seq OWNED BY public.tools.id;


--
-- Name: workshops; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.workshops (
    id bigint NOT NULL,
    name character varying NOT NULL,
    slug character varying NOT NULL,
    city character varying,
    opening_hours jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);


--
-- Name: workshops_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.workshops_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: workshops_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.workshops_id_seq OWNED BY public.workshops.id;


--
-- Name: tool_loans id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tool_loans ALTER COLUMN id SET DEFAULT nextval('public.tool_loans_id_seq'::regclass);


--
-- Name: tools id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tools ALTER COLUMN id SET DEFAULT nextval('public.tools_id_seq'::regclass);


--
-- Name: workshops id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.workshops ALTER COLUMN id SET DEFAULT nextval('public.workshops_id_seq'::regclass);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: tool_loans tool_loans_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tool_loans
    ADD CONSTRAINT tool_loans_pkey PRIMARY KEY (id);


--
-- Name: tools tools_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tools
    ADD CONSTRAINT tools_pkey PRIMARY KEY (id);


--
-- Name: workshops workshops_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.workshops
    ADD CONSTRAINT workshops_pkey PRIMARY KEY (id);


--
-- Name: index_tool_loans_on_returned_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX index_tool_loans_on_returned_at ON public.tool_loans USING btree (returned_at) WHERE (returned_at IS NULL);


--
-- Name: index_tool_loans_on_tool_id_and_due_on; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX index_tool_loans_on_tool_id_and_due_on ON public.tool_loans USING btree (tool_id, due_on);


--
-- Name: index_tools_on_serial_number; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX index_tools_on_serial_number ON public.tools USING btree (serial_number);


--
-- Name: index_tools_on_workshop_id_and_label; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX index_tools_on_workshop_id_and_label ON public.tools USING btree (workshop_id, label);


--
-- Name: index_workshops_on_slug; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX index_workshops_on_slug ON public.workshops USING btree (slug);


--
-- Name: tool_loans fk_rails_6b68d6ea75; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tool_loans
    ADD CONSTRAINT fk_rails_6b68d6ea75 FOREIGN KEY (tool_id) REFERENCES public.tools(id);


--
-- Name: tool_loans fk_rails_c5f5265b68; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tool_loans
    ADD CONSTRAINT fk_rails_c5f5265b68 FOREIGN KEY (workshop_id) REFERENCES public.workshops(id);


--
-- Name: tools fk_rails_c7aa9b395f; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tools
    ADD CONSTRAINT fk_rails_c7aa9b395f FOREIGN KEY (workshop_id) REFERENCES public.workshops(id);


--
-- PostgreSQL database dump complete
--

SET search_path TO "$user", public;

INSERT INTO "schema_migrations" (version) VALUES
('20250310091500'),
('20250228143000'),
('20250115080000');

