-- Articles keyed by id: the enriched article as jsonb and the columns people
-- filter on. Tables are created in the first schema of the search_path.
CREATE TABLE articles (
    id                     text PRIMARY KEY,
    url                    text NOT NULL,
    title                  text NOT NULL,
    source_type            text NOT NULL,
    source_name            text NOT NULL,
    source_uri             text NOT NULL,
    published              text,                -- ISO 8601 as precise as known
    published_precision    text,                -- year, month, day, minute, second
    published_day          date,                -- when known to the day
    published_month        date,                -- first of the month, when known to the month
    language               text,                -- ISO 639-1, or und
    language_confidence    double precision,
    sentiment_score        double precision,    -- in [-1, 1]
    sentiment_label        text,                -- negative, neutral, positive
    sentiment_confidence   double precision,
    enrichment_version     text NOT NULL,
    enrichment_version_ord bigint NOT NULL,     -- sorts like the version
    ingested_at            timestamptz NOT NULL,
    enriched_at            timestamptz NOT NULL,
    kafka_topic            text NOT NULL,
    kafka_partition        integer NOT NULL,
    kafka_offset           bigint NOT NULL,
    doc                    jsonb COMPRESSION lz4 NOT NULL, -- the enriched article as consumed
    stored_at              timestamptz NOT NULL DEFAULT now()
);
-- B-trees for the filters and orderings the example queries use; the
-- composite (language, published_month) serves "per language over time".
CREATE INDEX articles_published_day ON articles (published_day);
CREATE INDEX articles_language_month ON articles (language, published_month);
CREATE INDEX articles_source ON articles (source_type, source_name);
CREATE INDEX articles_ingested_at ON articles (ingested_at DESC);

-- One row per entity mention, so "top entities per day" is plain SQL.
CREATE TABLE entities (
    article_id text NOT NULL,                   -- articles.id; the sink keeps them in step
    ord        integer NOT NULL,                -- position in the article's entity list
    field      text NOT NULL,                   -- title or body
    start_byte integer NOT NULL,                -- UTF-8 byte offsets into field, end exclusive
    end_byte   integer NOT NULL,
    type       text NOT NULL,                   -- PER, ORG, LOC, MISC
    text       text NOT NULL,
    norm       text NOT NULL,                   -- case- and space-folded text, at most 256 bytes
    confidence double precision,
    PRIMARY KEY (article_id, ord)
);
CREATE INDEX entities_norm ON entities (norm, type);
