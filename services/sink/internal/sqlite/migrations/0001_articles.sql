-- Articles keyed by id, the whole enriched document as JSON, and the columns
-- people filter on.
CREATE TABLE articles (
    id                     TEXT PRIMARY KEY,
    url                    TEXT NOT NULL,
    title                  TEXT NOT NULL,
    source_type            TEXT NOT NULL,
    source_name            TEXT NOT NULL,
    published              TEXT,             -- ISO 8601 as precise as known
    published_precision    TEXT,
    published_day          TEXT,             -- YYYY-MM-DD when known to the day
    language               TEXT,
    language_confidence    REAL,
    sentiment_score        REAL,
    sentiment_label        TEXT,
    enrichment_version     TEXT NOT NULL,
    enrichment_version_ord INTEGER NOT NULL, -- sorts like the version
    ingested_at            TEXT NOT NULL,
    enriched_at            TEXT NOT NULL,
    kafka_topic            TEXT NOT NULL,
    kafka_partition        INTEGER NOT NULL,
    kafka_offset           INTEGER NOT NULL,
    doc                    TEXT NOT NULL,    -- the enriched article, JSON
    stored_at              TEXT NOT NULL
);
CREATE INDEX articles_published_day ON articles (published_day);
CREATE INDEX articles_language_day ON articles (language, published_day);
CREATE INDEX articles_source ON articles (source_name);
CREATE INDEX articles_ingested_at ON articles (ingested_at);

-- One row per entity mention, so "top entities per day" is plain SQL.
CREATE TABLE entities (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    ord        INTEGER NOT NULL,
    field      TEXT NOT NULL,
    start_byte INTEGER NOT NULL,
    end_byte   INTEGER NOT NULL,
    type       TEXT NOT NULL,
    text       TEXT NOT NULL,
    norm       TEXT NOT NULL,                -- case- and space-folded text
    PRIMARY KEY (article_id, ord)
);
CREATE INDEX entities_norm ON entities (norm, type);
CREATE INDEX entities_type ON entities (type, norm);
