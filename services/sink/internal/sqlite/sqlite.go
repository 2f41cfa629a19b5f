// Package sqlite is the embedded default store: one SQLite file in WAL mode
// with a single writer, migrated by the sink itself.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go driver, registered as "sqlite"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/services/sink/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store writes articles to SQLite.
type Store struct {
	db *sql.DB
}

// Open opens (creating if needed) the database at path and migrates it.
func Open(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("creating %s: %w", dir, err)
		}
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	// One writer: SQLite serialises writes anyway, and one connection keeps
	// the pragmas and avoids busy errors.
	db.SetMaxOpenConns(1)
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db}, nil
}

// DB exposes the database for queries and tests.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		version := strings.TrimSuffix(filepath.Base(name), ".sql")
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
			return fmt.Errorf("reading schema_migrations: %w", err)
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", version, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, time.Now().UTC().Format(time.RFC3339)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", version, err)
		}
	}
	return nil
}

const upsertArticle = `
INSERT INTO articles (id, url, title, source_type, source_name, published, published_precision, published_day,
    language, language_confidence, sentiment_score, sentiment_label, enrichment_version, enrichment_version_ord,
    ingested_at, enriched_at, kafka_topic, kafka_partition, kafka_offset, doc, stored_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    url = excluded.url, title = excluded.title, source_type = excluded.source_type, source_name = excluded.source_name,
    published = excluded.published, published_precision = excluded.published_precision, published_day = excluded.published_day,
    language = excluded.language, language_confidence = excluded.language_confidence,
    sentiment_score = excluded.sentiment_score, sentiment_label = excluded.sentiment_label,
    enrichment_version = excluded.enrichment_version, enrichment_version_ord = excluded.enrichment_version_ord,
    ingested_at = excluded.ingested_at, enriched_at = excluded.enriched_at,
    kafka_topic = excluded.kafka_topic, kafka_partition = excluded.kafka_partition, kafka_offset = excluded.kafka_offset,
    doc = excluded.doc, stored_at = excluded.stored_at
WHERE excluded.enrichment_version_ord > articles.enrichment_version_ord
   OR (excluded.enrichment_version_ord = articles.enrichment_version_ord
       AND NOT (excluded.kafka_topic = articles.kafka_topic AND excluded.kafka_partition = articles.kafka_partition
                AND excluded.kafka_offset < articles.kafka_offset))
RETURNING id`

// Write upserts a batch in one transaction.
func (s *Store) Write(ctx context.Context, recs []store.Record) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%w: sqlite begin: %v", store.ErrUnavailable, err)
	}
	defer tx.Rollback()
	up, err := tx.PrepareContext(ctx, upsertArticle)
	if err != nil {
		return fmt.Errorf("preparing upsert: %w", err)
	}
	defer up.Close()
	del, err := tx.PrepareContext(ctx, `DELETE FROM entities WHERE article_id = ?`)
	if err != nil {
		return fmt.Errorf("preparing entity delete: %w", err)
	}
	defer del.Close()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO entities (article_id, ord, field, start_byte, end_byte, type, text, norm) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("preparing entity insert: %w", err)
	}
	defer ins.Close()
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for _, r := range store.Collapse(recs) {
		row := rowOf(r)
		var id string
		err := up.QueryRowContext(ctx, row.id, row.url, row.title, row.sourceType, row.sourceName, row.published, row.precision, row.day,
			row.language, row.languageConf, row.sentimentScore, row.sentimentLabel, row.version, row.versionOrd,
			row.ingestedAt, row.enrichedAt, r.Topic, r.Part, r.Offset, string(r.Payload), now).Scan(&id)
		if err == sql.ErrNoRows {
			continue // an older version or position: the stored row stays
		}
		if err != nil {
			return fmt.Errorf("upserting article %s: %w", r.Article.ID, err)
		}
		if _, err := del.ExecContext(ctx, id); err != nil {
			return fmt.Errorf("replacing entities of %s: %w", id, err)
		}
		for i, e := range r.Article.Enrichment.Entities {
			if _, err := ins.ExecContext(ctx, id, i, e.Field, e.Start, e.End, e.Type, e.Text, article.NormaliseText(e.Text)); err != nil {
				return fmt.Errorf("inserting entity of %s: %w", id, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%w: sqlite commit: %v", store.ErrUnavailable, err)
	}
	return nil
}

// row holds the filter columns derived from an enriched article.
type row struct {
	id, url, title, sourceType, sourceName string
	published, precision, day              any
	language, languageConf                 any
	sentimentScore, sentimentLabel         any
	version                                string
	versionOrd                             int64
	ingestedAt, enrichedAt                 string
}

// rowOf derives the filter columns of a record.
func rowOf(r store.Record) row {
	a := r.Article
	out := row{
		id: a.ID, url: a.URL, title: a.Title, sourceType: a.Source.Type, sourceName: a.Source.Name,
		version: a.Enrichment.Version, versionOrd: r.Version.Ordinal(),
		ingestedAt: a.IngestedAt.UTC().Format(time.RFC3339Nano), enrichedAt: a.Enrichment.EnrichedAt.UTC().Format(time.RFC3339Nano),
	}
	published, precision := a.Published, ""
	if d := a.Enrichment.Date; d != nil && d.Published != "" {
		published, precision = d.Published, string(d.Precision)
	}
	if published != "" {
		out.published = published
		if precision == "" {
			if _, p, err := article.ParseDate(published); err == nil {
				precision = string(p)
			}
		}
		out.precision = precision
		if len(published) >= 10 {
			out.day = published[:10]
		}
	}
	if l := a.Enrichment.Language; l != nil {
		out.language, out.languageConf = l.Code, l.Confidence
	}
	if s := a.Enrichment.Sentiment; s != nil {
		out.sentimentScore, out.sentimentLabel = s.Score, s.Label
	}
	return out
}
