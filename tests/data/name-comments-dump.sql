-- Written for fkaudit's tests (tests/test_locate.py): an invented schema laid out as plain
-- `pg_dump --schema-only --no-owner --no-privileges` output. Each statement sits under a
-- `-- Name: <table> <constraint>; Type: FK CONSTRAINT; ...` comment, and the two foreign keys
-- of samples come in a row, so the comment naming the second follows the statement adding the
-- first: a locator that files every name under the table of the last ALTER TABLE seen puts
-- that key's annotation on the comment. The keys carry the names PostgreSQL generates (FK201).

--
-- PostgreSQL database dump
--

-- Dumped from database version 16.4
-- Dumped by pg_dump version 16.4

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

--
-- Name: sample_state; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.sample_state AS ENUM (
    'received',
    'queued',
    'analysed',
    'discarded'
);


--
-- Name: shift_kind; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.shift_kind AS ENUM (
    'day',
    'night',
    'on_call'
);


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: batches; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.batches (
    id integer NOT NULL,
    code character varying(32) NOT NULL,
    opened_by integer NOT NULL,
    opened_at timestamp with time zone DEFAULT now() NOT NULL,
    closed_at timestamp with time zone,
    notes text,
    CONSTRAINT batches_closed_after_opened CHECK (((closed_at IS NULL) OR (closed_at >= opened_at)))
);


--
-- Name: batches_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.batches_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: batches_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.batches_id_seq OWNED BY public.batches.id;


--
-- Name: samples; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.samples (
    id bigint NOT NULL,
    batch_id integer NOT NULL,
    technician_id integer,
    state public.sample_state DEFAULT 'received'::public.sample_state NOT NULL,
    received_at timestamp with time zone NOT NULL,
    volume_ml numeric(8,2),
    labels text[] DEFAULT '{}'::text[] NOT NULL,
    CONSTRAINT samples_volume_ml_check CHECK ((volume_ml > (0)::numeric))
);


--
-- Name: samples_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.samples_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: samples_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.samples_id_seq OWNED BY public.samples.id;


--
-- Name: technicians; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.technicians (
    id integer NOT NULL,
    badge character varying(16) NOT NULL,
    full_name text NOT NULL,
    email character varying(255) NOT NULL,
    shift public.shift_kind DEFAULT 'day'::public.shift_kind NOT NULL,
    hired_on date
);


--
-- Name: technicians_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.technicians_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: technicians_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.technicians_id_seq OWNED BY public.technicians.id;


--
-- Name: batches id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.batches ALTER COLUMN id SET DEFAULT nextval('public.batches_id_seq'::regclass);


--
-- Name: samples id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.samples ALTER COLUMN id SET DEFAULT nextval('public.samples_id_seq'::regclass);


--
-- Name: technicians id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.technicians ALTER COLUMN id SET DEFAULT nextval('public.technicians_id_seq'::regclass);


--
-- Name: batches batches_code_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.batches
    ADD CONSTRAINT batches_code_key UNIQUE (code);


--
-- Name: batches batches_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.batches
    ADD CONSTRAINT batches_pkey PRIMARY KEY (id);


--
-- Name: samples samples_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.samples
    ADD CONSTRAINT samples_pkey PRIMARY KEY (id);


--
-- Name: technicians technicians_badge_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.technicians
    ADD CONSTRAINT technicians_badge_key UNIQUE (badge);


--
-- Name: technicians technicians_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.technicians
    ADD CONSTRAINT technicians_pkey PRIMARY KEY (id);


--
-- Name: batches_opened_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX batches_opened_at_idx ON public.batches USING btree (opened_at DESC);


--
-- Name: samples_batch_id_received_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX samples_batch_id_received_at_idx ON public.samples USING btree (batch_id, received_at);


--
-- Name: samples_pending_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX samples_pending_idx ON public.samples USING btree (received_at) WHERE (state = ANY (ARRAY['received'::public.sample_state, 'queued'::public.sample_state]));


--
-- Name: technicians_email_lower_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX technicians_email_lower_idx ON public.technicians USING btree (lower((email)::text));


--
-- Name: batches batches_opened_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.batches
    ADD CONSTRAINT batches_opened_by_fkey FOREIGN KEY (opened_by) REFERENCES public.technicians(id);


--
-- Name: samples samples_batch_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.samples
    ADD CONSTRAINT samples_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES public.batches(id) ON DELETE CASCADE;


--
-- Name: samples samples_technician_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.samples
    ADD CONSTRAINT samples_technician_id_fkey FOREIGN KEY (technician_id) REFERENCES public.technicians(id) ON DELETE SET NULL;


--
-- PostgreSQL database dump complete
--

