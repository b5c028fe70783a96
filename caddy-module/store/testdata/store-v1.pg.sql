-- A PostgreSQL database written by the release before schema versions
-- (e1d123e: its OpenPostgres made the tables), holding the rows of
-- store-v1.db (but the session whose key has a NUL, which TEXT cannot hold),
-- dumped with pg_dump --inserts (psql meta-commands removed).
--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

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

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: torplus_credits; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.torplus_credits (
    zone text DEFAULT ''::text NOT NULL,
    session text NOT NULL,
    payment_request bytea NOT NULL,
    tx_hash text NOT NULL,
    bytes bigint NOT NULL,
    at bigint NOT NULL
);


--
-- Name: torplus_leases; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.torplus_leases (
    session text NOT NULL,
    free bigint NOT NULL,
    leased bigint NOT NULL
);


--
-- Name: torplus_payment_requests; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.torplus_payment_requests (
    id bytea NOT NULL,
    zone text DEFAULT ''::text NOT NULL,
    session text NOT NULL,
    destination text NOT NULL,
    asset_code text NOT NULL,
    asset_issuer text NOT NULL,
    amount text NOT NULL,
    network text NOT NULL,
    bytes bigint NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    state text NOT NULL,
    tx_hash text,
    paid_at bigint NOT NULL
);


--
-- Name: torplus_rounds; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.torplus_rounds (
    session text NOT NULL,
    n integer NOT NULL,
    bytes bigint NOT NULL,
    free boolean NOT NULL,
    payment_request bytea NOT NULL,
    started_at bigint NOT NULL
);


--
-- Name: torplus_sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.torplus_sessions (
    key text NOT NULL,
    first_seen bigint NOT NULL,
    last_seen bigint NOT NULL,
    bytes_served bigint NOT NULL,
    free_bytes bigint NOT NULL
);


--
-- Data for Name: torplus_credits; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.torplus_credits VALUES ('site-a', 'session:paid', '\x0101020300000000000000000000000000000000000000000000000000000000', 'aa01', 52428800, 1795341600000000000);


--
-- Data for Name: torplus_leases; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.torplus_leases VALUES ('session:paid', 1000, 500);


--
-- Data for Name: torplus_payment_requests; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.torplus_payment_requests VALUES ('\x0101020300000000000000000000000000000000000000000000000000000000', 'site-a', 'session:paid', 'GDEST', 'TPT', 'GISSUER', '1.5', 'Test SDF Network ; September 2015', 52428800, 1795341600000000000, 1795345200000000000, 'paid', 'aa01', 1795341600000000000);
INSERT INTO public.torplus_payment_requests VALUES ('\x0201020300000000000000000000000000000000000000000000000000000000', 'site-a', 'session:pending', 'GDEST', 'TPT', 'GISSUER', '1.5', 'Test SDF Network ; September 2015', 52428800, 1795341600000000000, 1795345200000000000, 'pending', NULL, 0);
INSERT INTO public.torplus_payment_requests VALUES ('\x0301020300000000000000000000000000000000000000000000000000000000', 'site-a', 'session:pending', 'GDEST', 'TPT', 'GISSUER', '1.5', 'Test SDF Network ; September 2015', 52428800, 1795341600000000000, 1795345200000000000, 'settling', 'aa03', 0);


--
-- Data for Name: torplus_rounds; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.torplus_rounds VALUES ('session:paid', 1, 1000, true, '\x0000000000000000000000000000000000000000000000000000000000000000', 1795341600000000000);
INSERT INTO public.torplus_rounds VALUES ('session:paid', 2, 52428800, false, '\x0101020300000000000000000000000000000000000000000000000000000000', 1795341600000000000);


--
-- Data for Name: torplus_sessions; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.torplus_sessions VALUES ('session:paid', 1795341600000000000, 1795341600000000000, 2000, 1000);
INSERT INTO public.torplus_sessions VALUES ('session:pending', 1795341600000000000, 1795341600000000000, 1000, 1000);


--
-- Name: torplus_credits torplus_credits_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.torplus_credits
    ADD CONSTRAINT torplus_credits_pkey PRIMARY KEY (payment_request);


--
-- Name: torplus_credits torplus_credits_tx_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.torplus_credits
    ADD CONSTRAINT torplus_credits_tx_hash_key UNIQUE (tx_hash);


--
-- Name: torplus_leases torplus_leases_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.torplus_leases
    ADD CONSTRAINT torplus_leases_pkey PRIMARY KEY (session);


--
-- Name: torplus_payment_requests torplus_payment_requests_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.torplus_payment_requests
    ADD CONSTRAINT torplus_payment_requests_pkey PRIMARY KEY (id);


--
-- Name: torplus_payment_requests torplus_payment_requests_tx_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.torplus_payment_requests
    ADD CONSTRAINT torplus_payment_requests_tx_hash_key UNIQUE (tx_hash);


--
-- Name: torplus_rounds torplus_rounds_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.torplus_rounds
    ADD CONSTRAINT torplus_rounds_pkey PRIMARY KEY (session, n);


--
-- Name: torplus_sessions torplus_sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.torplus_sessions
    ADD CONSTRAINT torplus_sessions_pkey PRIMARY KEY (key);


--
-- Name: torplus_credits_zone_session; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX torplus_credits_zone_session ON public.torplus_credits USING btree (zone, session);


--
-- Name: torplus_payment_requests_state; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX torplus_payment_requests_state ON public.torplus_payment_requests USING btree (state, created_at);


--
-- Name: torplus_payment_requests_zone_state; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX torplus_payment_requests_zone_state ON public.torplus_payment_requests USING btree (zone, state, created_at);


--
-- Name: torplus_sessions_last_seen; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX torplus_sessions_last_seen ON public.torplus_sessions USING btree (last_seen);


--
-- PostgreSQL database dump complete
--


