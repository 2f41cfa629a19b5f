-- Containment queries on the tags (doc @> '{"enrichment": {...}}') without a
-- column of their own, for example the dates an article mentions. Only the
-- enrichment is indexed: indexing the whole document would add the body and
-- title to the index for no query that needs them. jsonb_path_ops keeps the
-- index small and serves @>.
CREATE INDEX articles_enrichment_gin ON articles USING gin ((doc -> 'enrichment') jsonb_path_ops);
