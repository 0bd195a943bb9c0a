-- Hostile identifiers and edge-case values. Loaded by psql as a superuser.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drd fx "Weird" role') THEN
        CREATE ROLE "drd fx ""Weird"" role" NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'DRD_FX_Upper') THEN CREATE ROLE "DRD_FX_Upper" NOLOGIN; END IF;
END $$;

CREATE SCHEMA "My Schema";
CREATE SCHEMA "select";
CREATE SCHEMA "Ünïcødé ✓";
COMMENT ON SCHEMA "My Schema" IS 'it''s a schema
with a newline and a \backslash';

CREATE TYPE "My Schema"."Quote'Enum" AS ENUM ('it''s', 'with space', 'back\slash', 'ünï', '"dq"', '');
CREATE DOMAIN "select"."from" AS text CHECK (VALUE <> 'where');

CREATE TABLE "My Schema"."Tab""le" (
    "Id" serial PRIMARY KEY,
    "Col With Space" text,
    "order" integer,
    "ünïcödé" text,
    "UPPER" text DEFAULT 'x''y',
    "a""b" text,
    "select" "select"."from",
    "e" "My Schema"."Quote'Enum"
);
COMMENT ON TABLE "My Schema"."Tab""le" IS 'tab"le ''comment''';
COMMENT ON COLUMN "My Schema"."Tab""le"."a""b" IS 'column a"b';
GRANT SELECT ("Col With Space", "a""b") ON "My Schema"."Tab""le" TO "drd fx ""Weird"" role";
GRANT ALL ON "My Schema"."Tab""le" TO "DRD_FX_Upper";
ALTER TABLE "My Schema"."Tab""le" OWNER TO "drd fx ""Weird"" role";
CREATE INDEX "Index With Space" ON "My Schema"."Tab""le" ("order" DESC NULLS LAST, "ünïcödé");
CREATE UNIQUE INDEX "uniq ""quoted""" ON "My Schema"."Tab""le" (lower("Col With Space")) WHERE "order" > 0;

CREATE TABLE "select"."user" ("group" integer, "table" text, "check" boolean);
CREATE TABLE "Ünïcødé ✓"."Tåble ✓" ("κλειδί" integer PRIMARY KEY, "值" text, "emoji 😀" text);
CREATE TABLE "select"."no columns" ();
CREATE TABLE public."MixedCase" ("Name" text NOT NULL, name text, "NAME" text);
CREATE TABLE public.only_generated (a integer, b integer GENERATED ALWAYS AS (a * 2) STORED);

CREATE VIEW "select"."view ""v""" AS SELECT "group" AS "Group By", "table" FROM "select"."user";
CREATE FUNCTION "My Schema"."func$dollar"("in put" text) RETURNS text LANGUAGE plpgsql AS $body$
BEGIN
    RETURN $x$it's $$ and $body $x$ || "in put";
END
$body$;
CREATE SEQUENCE "My Schema"."seq'quote";
SELECT setval('"My Schema"."seq''quote"', 42);

CREATE TABLE public.edge_values (
    id integer PRIMARY KEY,
    t text,
    b bytea,
    f8 double precision,
    f4 real,
    n numeric,
    ia integer[],
    ta text[],
    j json,
    jb jsonb,
    ts timestamptz,
    d date,
    iv interval,
    u uuid,
    ip inet,
    bits bit varying(16),
    pt point,
    x xml
);
INSERT INTO public.edge_values VALUES
    (1, E'back\\slash', E'\\x00ff00', 'NaN', 'NaN', 'NaN', '{1,NULL,3}', '{"a b","c\"d","e\\\\f",NULL,"NULL"}',
     '{"k": "v\n", "n": [1, 2.50, null]}', '{"k": "v", "z": {"deep": true}}', 'infinity', 'infinity', '1 year 2 mons -3 days',
     'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1/24', B'1010', '(1.5,-2)', '<a>x &amp; y</a>'),
    (2, E'line1\nline2\r\nline3', E'\\x', 'Infinity', '-Infinity', '1e-1000', '{}', '{}', '[]', '[]', '-infinity', '-infinity', '0',
     NULL, '::1', B'', '(0,0)', ''),
    (3, E'tab\there', decode('5c4e0a09', 'hex'), '-Infinity', 'Infinity', '-0.000000000000000000001', '{{1,2},{3,4}}', '{""}',
     'null', '"string"', '2024-02-29 23:59:59.999999+00', '2000-01-01', '-178000000 years', NULL, NULL, NULL, NULL, NULL),
    (4, '\N', '\x5c4e', 1.7976931348623157e308, 3.4028235e38, 123456789012345678901234567890.123456789, NULL, '{"\\N"}',
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (5, '', '', 5e-324, 1e-45, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (6, NULL, NULL, -0.0, -0.0, -0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (7, 'ünïcødé ✓ 😀 值', E'\\xdeadbeef', 0.1, 0.1, 0.1, NULL, '{"ü,ñ","{}"}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (8, E'\\.', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (9, E'ends with backslash \\', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

INSERT INTO "My Schema"."Tab""le" ("Col With Space", "order", "ünïcödé", "a""b", "select", "e")
VALUES ('a b', 1, 'ü', 'q"q', 'from', 'it''s'), (E'x\ty', 2, NULL, NULL, NULL, ''), (NULL, -1, '\N', '\\', 'x', 'back\slash');
INSERT INTO "select"."user" VALUES (1, 'select', true), (NULL, NULL, NULL);
INSERT INTO "Ünïcødé ✓"."Tåble ✓" VALUES (1, '一', '😀'), (2, E'\u00e9', NULL);
INSERT INTO "select"."no columns" DEFAULT VALUES;
INSERT INTO "select"."no columns" DEFAULT VALUES;
INSERT INTO public."MixedCase" VALUES ('A', 'a', 'AA');
INSERT INTO public.only_generated (a) VALUES (1), (NULL);

CREATE TABLE "My Schema"."Child ""1""" (extra text) INHERITS ("My Schema"."Tab""le");
CREATE TABLE "select"."part" ("key" text, "val" integer) PARTITION BY LIST ("key");
CREATE TABLE "select"."part 'a'" PARTITION OF "select"."part" FOR VALUES IN ('a''s', 'b"s', E'c\\s');
INSERT INTO "select"."part" VALUES ('a''s', 1), ('b"s', 2), (E'c\\s', 3);
CREATE POLICY "policy ""p""" ON "select"."user" TO "drd fx ""Weird"" role", "DRD_FX_Upper" USING ("check");
ALTER TABLE "select"."user" ENABLE ROW LEVEL SECURITY;
CREATE TRIGGER "trigger ""t""" AFTER INSERT ON "select"."user" FOR EACH STATEMENT EXECUTE FUNCTION suppress_redundant_updates_trigger();
ALTER DEFAULT PRIVILEGES FOR ROLE "drd fx ""Weird"" role" IN SCHEMA "My Schema" GRANT SELECT ON TABLES TO "DRD_FX_Upper";
ALTER SCHEMA public OWNER TO "DRD_FX_Upper";
REVOKE USAGE ON SCHEMA public FROM PUBLIC;
COMMENT ON SCHEMA public IS NULL;
