-- biaoge PostgreSQL store, schema version 1: records (latest revision), revisions, per-form id
-- counters, 编号 counters per (form, period), definitions, documents and logs.
-- Text columns that are compared or sorted use COLLATE "C" (code point order, as Python compares).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE forms (
    form    text COLLATE "C" PRIMARY KEY,
    next_id bigint NOT NULL                 -- the next record id; never goes down
);

CREATE TABLE counters (
    form   text COLLATE "C" NOT NULL,
    period text COLLATE "C" NOT NULL,
    seq    bigint NOT NULL,                 -- the last sequence number used
    PRIMARY KEY (form, period)
);

CREATE TABLE records (
    form       text COLLATE "C" NOT NULL,
    id         bigint NOT NULL,
    number     text,
    created    text NOT NULL,
    day        text COLLATE "C" NOT NULL,   -- left(created, 10): what date filters compare
    creator    text COLLATE "C",
    department text COLLATE "C",
    revision   integer NOT NULL,            -- the latest revision, copied from revisions
    updated    text NOT NULL,
    version    integer,
    definition text,
    author     text,
    data       jsonb NOT NULL,
    search     text COLLATE "C" NOT NULL,   -- store.base.search_text(number, data)
    fields     jsonb NOT NULL,              -- store.base.field_texts(data)
    PRIMARY KEY (form, id)
);
CREATE INDEX records_day ON records (form, day, id);
CREATE INDEX records_search ON records USING gin (search gin_trgm_ops);
CREATE INDEX records_fields ON records USING gin (fields jsonb_path_ops);

CREATE TABLE revisions (
    form       text COLLATE "C" NOT NULL,
    id         bigint NOT NULL,
    revision   integer NOT NULL,
    updated    text NOT NULL,
    version    integer,
    definition text,
    author     text,
    data       jsonb NOT NULL,
    PRIMARY KEY (form, id, revision)
);

CREATE TABLE definitions (
    form   text COLLATE "C" NOT NULL,
    digest text COLLATE "C" NOT NULL,
    body   json NOT NULL,                   -- json, not jsonb: the order of fields is the form's order
    PRIMARY KEY (form, digest)
);

CREATE TABLE docs (
    kind text COLLATE "C" NOT NULL,
    key  text COLLATE "C" NOT NULL,
    v    bigint NOT NULL,
    doc  jsonb NOT NULL,
    PRIMARY KEY (kind, key)
);

CREATE TABLE logs (
    log   text COLLATE "C" NOT NULL,
    seq   bigint NOT NULL,
    entry jsonb NOT NULL,
    PRIMARY KEY (log, seq)
);
