-- Every object kind the schema reader handles (PostgreSQL 15). Loaded by psql as a superuser.
-- Roles are cluster-wide: created only when missing, never dropped by the tests.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drd_fx_owner') THEN CREATE ROLE drd_fx_owner NOLOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drd_fx_reader') THEN CREATE ROLE drd_fx_reader NOLOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drd_fx_writer') THEN CREATE ROLE drd_fx_writer NOLOGIN; END IF;
END $$;

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE SCHEMA app AUTHORIZATION drd_fx_owner;
CREATE SCHEMA audit;
COMMENT ON SCHEMA app IS 'application schema';
GRANT USAGE ON SCHEMA app TO drd_fx_reader;
GRANT USAGE, CREATE ON SCHEMA audit TO drd_fx_writer WITH GRANT OPTION;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- collations
CREATE COLLATION app.nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE COLLATION app.c_posix (locale = 'C');
COMMENT ON COLLATION app.nocase IS 'case-insensitive';

-- types
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
ALTER TYPE app.mood ADD VALUE 'meh' BEFORE 'ok';
CREATE TYPE app.address AS (street text, city text COLLATE "C", zip integer);
COMMENT ON COLUMN app.address.zip IS 'postal code';
CREATE DOMAIN app.positive AS integer DEFAULT 1 NOT NULL CONSTRAINT positive_check CHECK (VALUE > 0);
CREATE DOMAIN app.email AS text COLLATE "C" CHECK (VALUE ~ '@');
ALTER DOMAIN app.email ADD CONSTRAINT email_len CHECK (length(VALUE) < 300) NOT VALID;
COMMENT ON DOMAIN app.positive IS 'strictly positive';
COMMENT ON CONSTRAINT positive_check ON DOMAIN app.positive IS 'no zero';
CREATE TYPE app.floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE TYPE app.textrange AS RANGE (subtype = text, collation = "C");
ALTER TYPE app.mood OWNER TO drd_fx_owner;
GRANT USAGE ON TYPE app.mood TO drd_fx_reader;
REVOKE USAGE ON DOMAIN app.email FROM PUBLIC;

-- functions, procedures, aggregates
CREATE FUNCTION app.add_one(i integer) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT i + 1';
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;
CREATE FUNCTION app.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE FUNCTION app.next_code() RETURNS text LANGUAGE sql AS $$ SELECT 'C-' || floor(random() * 1000)::int $$;
CREATE PROCEDURE app.reset_counter(INOUT n integer) LANGUAGE plpgsql AS $$ BEGIN n := 0; END $$;
CREATE FUNCTION app.sum_sfunc(state bigint, v integer) RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT coalesce(state, 0) + coalesce(v, 0)';
CREATE AGGREGATE app.my_sum(integer) (SFUNC = app.sum_sfunc, STYPE = bigint, INITCOND = '0');
CREATE AGGREGATE app.my_max(integer) (SFUNC = int4larger, STYPE = integer, SORTOP = >, PARALLEL = SAFE);
CREATE FUNCTION app.set_returning(n integer) RETURNS SETOF integer LANGUAGE sql STABLE ROWS 10
    SET work_mem = '8MB' AS 'SELECT generate_series(1, n)';
CREATE FUNCTION audit.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'ddl'; END $$;
CREATE FUNCTION app.std_body(a integer) RETURNS integer LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT a * 2;
END;
COMMENT ON FUNCTION app.add_one(integer) IS 'adds one';
COMMENT ON AGGREGATE app.my_sum(integer) IS 'sums';
ALTER FUNCTION app.add_one(integer) OWNER TO drd_fx_owner;
REVOKE ALL ON FUNCTION app.next_code() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.next_code() TO drd_fx_reader;
GRANT EXECUTE ON PROCEDURE app.reset_counter(integer) TO drd_fx_writer;

-- sequences
CREATE SEQUENCE app.ticket_seq AS integer START WITH 100 INCREMENT BY 5 MAXVALUE 100000 CACHE 1 CYCLE;
SELECT setval('app.ticket_seq', 135);
CREATE SEQUENCE app.unused_seq;
CREATE UNLOGGED SEQUENCE app.scratch_seq;
GRANT USAGE ON SEQUENCE app.ticket_seq TO drd_fx_writer;
COMMENT ON SEQUENCE app.ticket_seq IS 'tickets';

-- tables
CREATE TABLE app.customer (
    id bigserial PRIMARY KEY,
    code text NOT NULL DEFAULT app.next_code(),
    name text COLLATE app.nocase NOT NULL,
    email app.email,
    mood app.mood DEFAULT 'ok',
    home app.address,
    score integer DEFAULT app.add_one(41) CHECK (score >= 0),
    during tstzrange,
    ticket integer DEFAULT nextval('app.ticket_seq'),
    updated_at timestamptz,
    tags text[] DEFAULT '{}',
    CONSTRAINT customer_code_key UNIQUE (code) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT customer_name_len CHECK (length(name) > 0) NOT VALID
) WITH (fillfactor = 80, autovacuum_enabled = false);
ALTER TABLE app.customer ALTER COLUMN name SET STATISTICS 500;
ALTER TABLE app.customer ALTER COLUMN code SET STORAGE EXTERNAL;
ALTER TABLE app.customer ALTER COLUMN tags SET (n_distinct = 100);
ALTER TABLE app.customer ALTER COLUMN email SET COMPRESSION pglz;
ALTER TABLE app.customer OWNER TO drd_fx_owner;
ALTER SEQUENCE app.ticket_seq OWNER TO drd_fx_owner;
ALTER SEQUENCE app.ticket_seq OWNED BY app.customer.ticket;
COMMENT ON TABLE app.customer IS 'customers';
COMMENT ON COLUMN app.customer.name IS 'display name';
COMMENT ON CONSTRAINT customer_code_key ON app.customer IS 'unique code';
GRANT SELECT ON app.customer TO drd_fx_reader;
GRANT SELECT (id, name), UPDATE (name) ON app.customer TO drd_fx_writer;
GRANT INSERT ON app.customer TO drd_fx_writer WITH GRANT OPTION;

CREATE TABLE app.orders (
    id integer GENERATED ALWAYS AS IDENTITY (START WITH 10 INCREMENT BY 10),
    customer_id bigint NOT NULL REFERENCES app.customer (id) ON DELETE CASCADE,
    qty integer NOT NULL,
    price numeric(10,2) NOT NULL,
    total numeric GENERATED ALWAYS AS (qty * price) STORED,
    placed tstzrange NOT NULL,
    note text,
    PRIMARY KEY (id) INCLUDE (qty),
    CONSTRAINT no_overlap EXCLUDE USING gist (customer_id WITH =, placed WITH &&)
);
CREATE TABLE app.order_line (
    order_id integer NOT NULL,
    line integer NOT NULL,
    sku text,
    PRIMARY KEY (order_id, line),
    CONSTRAINT order_fk FOREIGN KEY (order_id) REFERENCES app.orders (id) DEFERRABLE INITIALLY IMMEDIATE NOT VALID
);
CREATE TABLE app.by_default (id bigint GENERATED BY DEFAULT AS IDENTITY, v text);
INSERT INTO app.by_default (v) VALUES ('a'), ('b');

CREATE UNLOGGED TABLE app.cache (k text PRIMARY KEY, v jsonb) WITH (toast.autovacuum_enabled = false);
ALTER TABLE app.cache REPLICA IDENTITY FULL;

-- inheritance
CREATE TABLE app.animal (id integer NOT NULL, name text, legs integer DEFAULT 4, CHECK (legs >= 0));
CREATE TABLE app.dog (good boolean DEFAULT true) INHERITS (app.animal);
CREATE TABLE app.bird (wings integer, legs integer DEFAULT 2) INHERITS (app.animal);
CREATE TABLE app.pet (owner text);
CREATE TABLE app.pet_dog (name text) INHERITS (app.pet, app.animal);

-- partitioning
CREATE TABLE app.measurement (
    city_id integer NOT NULL,
    logdate date NOT NULL,
    peaktemp integer DEFAULT 0 CHECK (peaktemp > -100),
    unitsales integer
) PARTITION BY RANGE (logdate);
CREATE TABLE app.measurement_y2024 PARTITION OF app.measurement FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.measurement_y2025 PARTITION OF app.measurement FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')
    PARTITION BY LIST (city_id);
CREATE TABLE app.measurement_y2025_c1 PARTITION OF app.measurement_y2025 FOR VALUES IN (1, 2);
CREATE TABLE app.measurement_y2025_rest PARTITION OF app.measurement_y2025 DEFAULT;
CREATE TABLE app.measurement_default PARTITION OF app.measurement DEFAULT;
ALTER TABLE app.measurement ADD PRIMARY KEY (city_id, logdate);
CREATE INDEX measurement_sales ON app.measurement (unitsales) WHERE unitsales > 0;
CREATE TABLE app.city (id integer PRIMARY KEY, name text);
ALTER TABLE app.measurement ADD CONSTRAINT measurement_city_fk FOREIGN KEY (city_id) REFERENCES app.city (id);
CREATE TABLE app.hashed (id integer, v text) PARTITION BY HASH (id);
CREATE TABLE app.hashed_0 PARTITION OF app.hashed FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE app.hashed_1 PARTITION OF app.hashed FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO app.city VALUES (1, 'Oslo'), (2, 'Rome'), (3, 'Lima');
INSERT INTO app.measurement VALUES (1, '2024-03-01', 10, 5), (2, '2025-03-01', 20, 0), (3, '2025-04-01', 30, 7), (1, '2030-01-01', 1, 1);
INSERT INTO app.hashed SELECT g, 'v' || g FROM generate_series(1, 20) g;

CREATE TABLE app.reading (
    city_id integer, logdate date, value numeric,
    doubled numeric GENERATED ALWAYS AS (value * 2) STORED,
    CONSTRAINT reading_measurement_fk FOREIGN KEY (city_id, logdate) REFERENCES app.measurement ON UPDATE CASCADE,
    CONSTRAINT reading_value_check CHECK (value >= 0) NO INHERIT
);
INSERT INTO app.reading (city_id, logdate, value) VALUES (1, '2024-03-01', 1.5);

-- indexes
CREATE INDEX customer_lower_name ON app.customer (lower(name COLLATE "C") text_pattern_ops);
CREATE INDEX customer_active ON app.customer (score) WHERE score > 10;
CREATE UNIQUE INDEX customer_email ON app.customer (email) INCLUDE (name) WITH (fillfactor = 70);
CREATE INDEX customer_trgm ON app.customer USING gin (name gin_trgm_ops);
CREATE INDEX orders_brin ON app.orders USING brin (id) WITH (pages_per_range = 16);
CREATE INDEX customer_expr ON app.customer ((score * 2));
ALTER INDEX app.customer_expr ALTER COLUMN 1 SET STATISTICS 300;
ALTER TABLE app.customer CLUSTER ON customer_email;
COMMENT ON INDEX app.customer_active IS 'active customers';
CREATE UNIQUE INDEX city_name ON app.city (name);
ALTER TABLE app.city REPLICA IDENTITY USING INDEX city_pkey;

-- views
CREATE VIEW app.customer_names AS SELECT id, name FROM app.customer WHERE score > 0;
CREATE VIEW app.customer_names_2 WITH (security_barrier = true) AS SELECT id, upper(name) AS uname FROM app.customer_names;
CREATE VIEW app.positive_scores AS SELECT id, score FROM app.customer WHERE score > 0 WITH LOCAL CHECK OPTION;
CREATE VIEW app.cascaded AS SELECT * FROM app.positive_scores WITH CASCADED CHECK OPTION;
CREATE VIEW app.invoker WITH (security_invoker = true) AS SELECT 1 AS one;
ALTER VIEW app.customer_names ALTER COLUMN name SET DEFAULT 'anonymous';
COMMENT ON VIEW app.customer_names IS 'names';
COMMENT ON COLUMN app.customer_names.name IS 'the name';
GRANT SELECT ON app.customer_names TO drd_fx_reader;
CREATE MATERIALIZED VIEW app.city_stats AS SELECT city_id, count(*) AS n FROM app.measurement GROUP BY city_id;
CREATE UNIQUE INDEX city_stats_key ON app.city_stats (city_id);
CREATE MATERIALIZED VIEW app.city_stats_2 AS SELECT * FROM app.city_stats WHERE n > 0;
CREATE MATERIALIZED VIEW app.never_filled AS SELECT 1 AS x WITH NO DATA;
COMMENT ON MATERIALIZED VIEW app.city_stats IS 'stats';

-- a function that depends on a table (SQL-standard body), and a view using it
CREATE FUNCTION app.customer_count() RETURNS bigint LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT count(*) FROM app.customer;
END;
CREATE VIEW app.counts AS SELECT app.customer_count() AS n;
-- a view whose GROUP BY relies on a primary key (so the key must exist before the view)
CREATE VIEW app.customer_order_counts AS
    SELECT c.id, c.name, count(o.id) AS orders FROM app.customer c LEFT JOIN app.orders o ON o.customer_id = c.id GROUP BY c.id;
CREATE TABLE app.limits (n integer);
CREATE FUNCTION app.limit_ok(v integer) RETURNS boolean LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT v >= 0 OR NOT EXISTS (SELECT 1 FROM app.limits WHERE n < -100);
END;
ALTER TABLE app.limits ADD CONSTRAINT limits_ok CHECK (app.limit_ok(n));
INSERT INTO app.limits VALUES (1), (2);

-- triggers and rules
CREATE TRIGGER customer_touch BEFORE UPDATE ON app.customer FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE TRIGGER customer_touch_off BEFORE INSERT ON app.customer FOR EACH ROW WHEN (NEW.score > 100) EXECUTE FUNCTION app.touch();
ALTER TABLE app.customer DISABLE TRIGGER customer_touch_off;
CREATE CONSTRAINT TRIGGER order_check AFTER INSERT ON app.orders DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION app.noop();
CREATE TRIGGER measurement_touch AFTER UPDATE ON app.measurement FOR EACH ROW EXECUTE FUNCTION app.noop();
COMMENT ON TRIGGER customer_touch ON app.customer IS 'keeps updated_at';
CREATE RULE no_delete_city AS ON DELETE TO app.city DO INSTEAD NOTHING;
CREATE RULE log_city AS ON UPDATE TO app.city DO ALSO NOTIFY city_changed;
ALTER TABLE app.city DISABLE RULE log_city;
COMMENT ON RULE no_delete_city ON app.city IS 'cities are forever';

-- row-level security
ALTER TABLE app.orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.orders FORCE ROW LEVEL SECURITY;
CREATE POLICY orders_mine ON app.orders FOR SELECT TO drd_fx_reader, drd_fx_writer USING (qty > 0);
CREATE POLICY orders_ins ON app.orders AS RESTRICTIVE FOR INSERT WITH CHECK (qty < 1000);
CREATE POLICY orders_all ON app.orders USING (true);
COMMENT ON POLICY orders_mine ON app.orders IS 'readers see positive quantities';

-- event trigger
CREATE EVENT TRIGGER drd_fx_ddl ON ddl_command_end WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE') EXECUTE FUNCTION audit.on_ddl();
ALTER EVENT TRIGGER drd_fx_ddl DISABLE;
COMMENT ON EVENT TRIGGER drd_fx_ddl IS 'ddl audit';

-- publications
CREATE PUBLICATION drd_fx_pub FOR TABLE app.customer (id, name) WHERE (score > 0), app.city WITH (publish = 'insert, update');
CREATE PUBLICATION drd_fx_pub_schema FOR TABLES IN SCHEMA audit;
CREATE PUBLICATION drd_fx_pub_root WITH (publish_via_partition_root = true);
ALTER PUBLICATION drd_fx_pub_root ADD TABLE app.measurement;
COMMENT ON PUBLICATION drd_fx_pub IS 'customers';

-- text search
CREATE TEXT SEARCH DICTIONARY app.simple_dict (TEMPLATE = pg_catalog.simple, STOPWORDS = english);
CREATE TEXT SEARCH CONFIGURATION app.my_ts (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION app.my_ts ALTER MAPPING FOR asciiword WITH app.simple_dict, english_stem;
CREATE TEXT SEARCH TEMPLATE app.my_template (LEXIZE = dsimple_lexize, INIT = dsimple_init);
CREATE TEXT SEARCH PARSER app.my_parser (START = prsd_start, GETTOKEN = prsd_nexttoken, END = prsd_end, LEXTYPES = prsd_lextype, HEADLINE = prsd_headline);
COMMENT ON TEXT SEARCH CONFIGURATION app.my_ts IS 'custom';

-- statistics
CREATE STATISTICS app.customer_stats (dependencies, ndistinct) ON score, mood FROM app.customer;
CREATE STATISTICS app.customer_expr_stats ON (score + 1), (lower(name)) FROM app.customer;
ALTER STATISTICS app.customer_stats SET STATISTICS 200;
COMMENT ON STATISTICS app.customer_stats IS 'correlated';

-- large objects
SELECT lo_from_bytea(0, 'hello large object'::bytea) AS lo1 \gset
SELECT lo_from_bytea(0, decode(repeat('00ff10', 30000), 'hex')) AS lo2 \gset
ALTER LARGE OBJECT :lo1 OWNER TO drd_fx_owner;
GRANT SELECT ON LARGE OBJECT :lo2 TO drd_fx_reader;
COMMENT ON LARGE OBJECT :lo1 IS 'greeting';

-- default privileges
ALTER DEFAULT PRIVILEGES FOR ROLE drd_fx_owner GRANT SELECT ON TABLES TO drd_fx_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE drd_fx_owner IN SCHEMA app GRANT USAGE ON SEQUENCES TO drd_fx_writer;
ALTER DEFAULT PRIVILEGES FOR ROLE drd_fx_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA audit GRANT SELECT, INSERT ON TABLES TO drd_fx_writer;
ALTER DEFAULT PRIVILEGES GRANT USAGE ON TYPES TO drd_fx_reader;

-- operators and casts
CREATE FUNCTION app.approx_eq(a integer, b integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT abs(a - b) <= 1';
CREATE FUNCTION app.approx_ne(a integer, b integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT abs(a - b) > 1';
CREATE OPERATOR app.=~= (FUNCTION = app.approx_eq, LEFTARG = integer, RIGHTARG = integer, COMMUTATOR = OPERATOR(app.=~=),
                         NEGATOR = OPERATOR(app.!~=), RESTRICT = eqsel, JOIN = eqjoinsel);
CREATE OPERATOR app.!~= (FUNCTION = app.approx_ne, LEFTARG = integer, RIGHTARG = integer);
CREATE FUNCTION app.neg(integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT -$1';
CREATE OPERATOR app.~- (FUNCTION = app.neg, RIGHTARG = integer);
COMMENT ON OPERATOR app.=~= (integer, integer) IS 'roughly equal';
CREATE FUNCTION app.mood_to_int(app.mood) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT array_position(enum_range(NULL::app.mood), $1)';
CREATE CAST (app.mood AS integer) WITH FUNCTION app.mood_to_int(app.mood) AS ASSIGNMENT;
CREATE CAST (app.address AS text) WITH INOUT;
COMMENT ON CAST (app.address AS text) IS 'address as text';

CREATE FUNCTION app.approx_cmp(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT CASE WHEN a < b THEN 1 WHEN a > b THEN -1 ELSE 0 END';
CREATE OPERATOR CLASS app.int4_reverse FOR TYPE integer USING btree AS
    OPERATOR 1 >, OPERATOR 2 >=, OPERATOR 3 =, OPERATOR 4 <=, OPERATOR 5 <, FUNCTION 1 app.approx_cmp(integer, integer);
CREATE OPERATOR FAMILY app.approx_ops USING hash;
ALTER OPERATOR FAMILY app.approx_ops USING hash ADD OPERATOR 1 =(integer, integer), FUNCTION 1 hashint4(integer);
CREATE OPERATOR CLASS app.approx_int FOR TYPE bigint USING hash FAMILY app.approx_ops AS OPERATOR 1 =, FUNCTION 1 hashint8(bigint);
COMMENT ON OPERATOR CLASS app.int4_reverse USING btree IS 'descending';
CREATE INDEX city_id_reverse ON app.city (id app.int4_reverse);

-- foreign data
CREATE FOREIGN DATA WRAPPER drd_fx_fdw OPTIONS (debug 'true');
CREATE SERVER drd_fx_server TYPE 'test' VERSION '1.0' FOREIGN DATA WRAPPER drd_fx_fdw OPTIONS (host 'db.example.com', port '5432');
CREATE USER MAPPING FOR drd_fx_reader SERVER drd_fx_server OPTIONS (user 'remote', password 'not-a-secret');
CREATE USER MAPPING FOR PUBLIC SERVER drd_fx_server;
GRANT USAGE ON FOREIGN SERVER drd_fx_server TO drd_fx_writer;
CREATE FOREIGN TABLE app.remote_items (id integer OPTIONS (column_name 'item_id') NOT NULL, label text COLLATE "C", CHECK (id > 0))
    SERVER drd_fx_server OPTIONS (schema_name 'remote', table_name 'items');
COMMENT ON FOREIGN TABLE app.remote_items IS 'over there';
CREATE TABLE app.events (kind text, at date DEFAULT CURRENT_DATE) PARTITION BY LIST (kind);
CREATE TABLE app.events_local PARTITION OF app.events FOR VALUES IN ('a');
CREATE FOREIGN TABLE app.events_remote PARTITION OF app.events FOR VALUES IN ('b') SERVER drd_fx_server OPTIONS (table_name 'events');
INSERT INTO app.events VALUES ('a', '2024-05-05');

-- typed table, and a partition whose cloned trigger is disabled
CREATE TABLE app.typed_address OF app.address (zip WITH OPTIONS NOT NULL);
INSERT INTO app.typed_address VALUES ('s', 'c', 1);
ALTER TABLE app.measurement_y2024 DISABLE TRIGGER measurement_touch;

-- public schema changes, grants made by a non-owner grantor, rules and INSTEAD OF triggers on views
GRANT CREATE ON SCHEMA public TO drd_fx_writer;
COMMENT ON SCHEMA public IS 'the public one';
GRANT USAGE ON SCHEMA app TO drd_fx_writer;
SET ROLE drd_fx_writer;
GRANT INSERT ON app.customer TO drd_fx_reader;
RESET ROLE;
CREATE RULE counts_insert AS ON INSERT TO app.counts DO INSTEAD NOTHING;
CREATE FUNCTION app.names_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER names_insert INSTEAD OF INSERT ON app.customer_names FOR EACH ROW EXECUTE FUNCTION app.names_insert();

-- ordered-set, moving-aggregate and window functions
CREATE FUNCTION app.os_sfunc(state integer[], v integer) RETURNS integer[] LANGUAGE sql IMMUTABLE AS 'SELECT state || v';
CREATE FUNCTION app.os_final(state integer[], frac double precision, v integer) RETURNS integer LANGUAGE sql IMMUTABLE
    AS 'SELECT state[1]';
CREATE AGGREGATE app.first_of(double precision ORDER BY integer) (SFUNC = app.os_sfunc, STYPE = integer[],
    FINALFUNC = app.os_final, FINALFUNC_EXTRA);
CREATE FUNCTION app.m_inv(state bigint, v integer) RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT state - v';
CREATE FUNCTION app.m_fwd(state bigint, v integer) RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT state + v';
CREATE AGGREGATE app.msum(integer) (SFUNC = app.m_fwd, STYPE = bigint, INITCOND = '0',
    MSFUNC = app.m_fwd, MINVFUNC = app.m_inv, MSTYPE = bigint, MINITCOND = '0');
COMMENT ON AGGREGATE app.first_of(double precision ORDER BY integer) IS 'ordered-set';
CREATE FUNCTION app.win_count() RETURNS bigint LANGUAGE internal WINDOW IMMUTABLE AS 'window_row_number';

-- constraints added after data: NOT VALID stays NOT VALID
INSERT INTO app.city VALUES (4, NULL);
ALTER TABLE app.city ADD CONSTRAINT city_name_present CHECK (name IS NOT NULL) NOT VALID;
ALTER TABLE app.orders ADD CONSTRAINT orders_qty_positive CHECK (qty > 0) NOT VALID;

-- data
INSERT INTO app.customer (name, email, mood, home, score, during, updated_at, tags)
VALUES ('Ada', 'ada@example.com', 'happy', ROW('1 Main St', 'Oslo', 1234), 50, '[2024-01-01,2024-02-01)', '2024-01-01 10:00+00', '{a,b}'),
       ('Bob', 'bob@example.com', 'sad', NULL, 5, NULL, NULL, '{}'),
       ('Cy', NULL, 'meh', ROW(NULL, NULL, NULL), 0, 'empty', NULL, NULL);
INSERT INTO app.orders (customer_id, qty, price, placed, note)
SELECT c.id, 2, 9.99, tstzrange('2024-01-01'::timestamptz + (c.id || ' days')::interval, '2024-01-01'::timestamptz + ((c.id + 1) || ' days')::interval), 'first'
FROM app.customer c;
INSERT INTO app.order_line SELECT id, 1, 'SKU-1' FROM app.orders;
INSERT INTO app.dog (id, name, good) VALUES (1, 'Rex', true);
INSERT INTO app.bird (id, name, wings) VALUES (2, 'Tweety', 2);
INSERT INTO app.animal (id, name) VALUES (3, 'Generic');
INSERT INTO app.cache VALUES ('k', '{"a": [1, 2, {"b": null}]}');
REFRESH MATERIALIZED VIEW app.city_stats;
REFRESH MATERIALIZED VIEW app.city_stats_2;
