-- Align with the PostgreSQL schema: the source URI, the month of
-- publication, sentiment confidence and entity confidence, backfilled from
-- the stored documents.
ALTER TABLE articles ADD COLUMN source_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN published_month TEXT;  -- YYYY-MM-01 when known to the month
ALTER TABLE articles ADD COLUMN sentiment_confidence REAL;
ALTER TABLE entities ADD COLUMN confidence REAL;

UPDATE articles SET
    source_uri = coalesce(json_extract(doc, '$.source.uri'), ''),
    published_month = CASE WHEN published_precision IN ('month', 'day', 'minute', 'second')
                           THEN substr(published, 1, 7) || '-01' END,
    sentiment_confidence = json_extract(doc, '$.enrichment.sentiment.confidence');
UPDATE entities SET confidence = (
    SELECT json_extract(a.doc, '$.enrichment.entities[' || entities.ord || '].confidence')
    FROM articles a WHERE a.id = entities.article_id);

CREATE INDEX articles_language_month ON articles (language, published_month);
CREATE INDEX articles_source_type_name ON articles (source_type, source_name);
DROP INDEX articles_source;
