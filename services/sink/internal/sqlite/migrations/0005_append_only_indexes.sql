-- Every B-tree a batch grows is appended to at its end, so a commit writes
-- about the pages it adds instead of rewriting pages all over the file.
-- Article ids are hashes: in 0003's entities, clustered by (article_id, ord),
-- and in its (norm, type) index, whose entries end in the article id, each
-- batch's mentions landed on random pages, and a batch of 1000 articles
-- rewrote some 15,000 pages (60 MB) of the two through the WAL and again at
-- the checkpoint. Here the mentions are a rowid table (new rows at its end),
-- its (norm, type) index ends in the rowid (new entries at the end of their
-- entity's range), and only the (article_id, ord) key, small entries, one
-- page per article, takes random inserts.
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
);
INSERT INTO entities_new (article_id, ord, field, start_byte, end_byte, type, text, norm, confidence)
    SELECT article_id, ord, field, start_byte, end_byte, type, text, norm, confidence FROM entities;
DROP TABLE entities;
ALTER TABLE entities_new RENAME TO entities;
CREATE INDEX entities_norm ON entities (norm, type);
-- Left over from 0001: (language, published_month) replaced it in 0002, and
-- PostgreSQL never had it.
DROP INDEX IF EXISTS articles_language_day;
