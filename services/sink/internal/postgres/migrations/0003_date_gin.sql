-- The GIN index covers the date tags only: what the enrichment holds that no
-- column or table indexes (the mentioned dates' values, texts and spans).
-- 0002's index on the whole enrichment also held every entity mention's
-- text, type, offsets and confidence, some ninety keys per article, most of
-- them unique numbers no query asks for; the entities table indexes
-- mentions already. Keeping those keys was about 40% of the time a batch
-- spent writing (sinkbench, 100,000 articles).
DROP INDEX IF EXISTS articles_enrichment_gin;
CREATE INDEX articles_date_gin ON articles USING gin ((doc -> 'enrichment' -> 'date') jsonb_path_ops);
