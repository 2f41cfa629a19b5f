-- Entity mentions clustered by (article_id, ord): one B-tree instead of a
-- rowid table plus its primary-key index, and one secondary index on the
-- normalised text, which serves both lookups by entity and top-N per type.
CREATE TABLE entities_new (
    article_id TEXT NOT NULL,
    ord        INTEGER NOT NULL,
    field      TEXT NOT NULL,
    start_byte INTEGER NOT NULL,
    end_byte   INTEGER NOT NULL,
    type       TEXT NOT NULL,
    text       TEXT NOT NULL,
    norm       TEXT NOT NULL,
    confidence REAL,
    PRIMARY KEY (article_id, ord)
) WITHOUT ROWID;
INSERT INTO entities_new (article_id, ord, field, start_byte, end_byte, type, text, norm, confidence)
    SELECT article_id, ord, field, start_byte, end_byte, type, text, norm, confidence FROM entities;
DROP TABLE entities;
ALTER TABLE entities_new RENAME TO entities;
CREATE INDEX entities_norm ON entities (norm, type);
