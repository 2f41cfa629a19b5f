// Package sqlite is the embedded default store: one SQLite file in WAL mode
// with a single writer, migrated by the sink itself. Its schema is the
// PostgreSQL one in SQLite's types (see docs/sinks.md): dates and times are
// ISO 8601 text, the document is JSON text.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"modernc.org/sqlite" // the pure-Go driver, registered as "sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/newsflow/newsflow/services/sink/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrSchemaBehind is returned by Open when migrations are pending and the
// store was told not to apply them.
var ErrSchemaBehind = errors.New("schema is behind: run the sink with -migrate-only, as a role that may change the schema")

// Config configures the store.
type Config struct {
	Path string
	// NoMigrate refuses to start with pending migrations instead of
	// applying them.
	NoMigrate bool
}

// Store writes articles to SQLite.
type Store struct {
	db   *sql.DB
	path string
}

// Open opens (creating if needed) the database at cfg.Path and migrates it.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	path := cfg.Path
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("creating %s: %w", dir, err)
		}
	}
	// A 256 MiB page cache and memory-mapped reads keep the indexes being
	// written in memory.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)&_pragma=cache_size(-262144)&_pragma=mmap_size(1073741824)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	// One writer: SQLite serialises writes anyway, and one connection keeps
	// the pragmas and avoids busy errors.
	db.SetMaxOpenConns(1)
	if err := migrate(ctx, db, cfg.NoMigrate); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// DB exposes the database for queries and tests.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks that the database file answers, for readiness probes.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

func migrate(ctx context.Context, db *sql.DB, noMigrate bool) error {
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
		if noMigrate {
			return fmt.Errorf("migration %s pending: %w", version, ErrSchemaBehind)
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

// The version rule in SQL: a newer enrichment version wins; with equal
// versions a later or equal position in the same partition wins, and any
// position in another partition or topic (store.Newer).
const upsertArticle = `
INSERT INTO articles (id, url, title, source_type, source_name, source_uri, published, published_precision,
    published_day, published_month, language, language_confidence, sentiment_score, sentiment_label,
    sentiment_confidence, enrichment_version, enrichment_version_ord, ingested_at, enriched_at,
    kafka_topic, kafka_partition, kafka_offset, doc, stored_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    url = excluded.url, title = excluded.title, source_type = excluded.source_type,
    source_name = excluded.source_name, source_uri = excluded.source_uri,
    published = excluded.published, published_precision = excluded.published_precision,
    published_day = excluded.published_day, published_month = excluded.published_month,
    language = excluded.language, language_confidence = excluded.language_confidence,
    sentiment_score = excluded.sentiment_score, sentiment_label = excluded.sentiment_label,
    sentiment_confidence = excluded.sentiment_confidence,
    enrichment_version = excluded.enrichment_version, enrichment_version_ord = excluded.enrichment_version_ord,
    ingested_at = excluded.ingested_at, enriched_at = excluded.enriched_at,
    kafka_topic = excluded.kafka_topic, kafka_partition = excluded.kafka_partition, kafka_offset = excluded.kafka_offset,
    doc = excluded.doc, stored_at = excluded.stored_at
WHERE excluded.enrichment_version_ord > articles.enrichment_version_ord
   OR (excluded.enrichment_version_ord = articles.enrichment_version_ord
       AND NOT (excluded.kafka_topic = articles.kafka_topic AND excluded.kafka_partition = articles.kafka_partition
                AND excluded.kafka_offset < articles.kafka_offset))
RETURNING id`

// Write upserts a batch in one transaction. A record SQLite refuses (a
// constraint or size limit) is isolated and reported in a
// *store.RejectError; the rest of the batch is committed.
func (s *Store) Write(ctx context.Context, recs []store.Record) error {
	rejected, err := s.write(ctx, recs, false)
	var rowErr *rowError
	if errors.As(err, &rowErr) {
		// Write again, each record under a savepoint, to find the bad ones.
		rejected, err = s.write(ctx, recs, true)
	}
	if err != nil {
		return err
	}
	if len(rejected) > 0 {
		return &store.RejectError{Rejected: rejected}
	}
	return nil
}

// rowError is a record SQLite refused for its content.
type rowError struct {
	id  string
	err error
}

func (e *rowError) Error() string { return fmt.Sprintf("article %s: %v", e.id, e.err) }
func (e *rowError) Unwrap() error { return e.err }

func (s *Store) write(ctx context.Context, recs []store.Record, isolate bool) (map[string]error, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, classify("begin", err)
	}
	defer tx.Rollback()
	up, err := tx.PrepareContext(ctx, upsertArticle)
	if err != nil {
		return nil, classify("preparing upsert", err)
	}
	defer func() { _ = up.Close() }()
	del, err := tx.PrepareContext(ctx, `DELETE FROM entities WHERE article_id = ?`)
	if err != nil {
		return nil, classify("preparing entity delete", err)
	}
	defer func() { _ = del.Close() }()
	ins, err := tx.PrepareContext(ctx, insertEntities(entityChunk))
	if err != nil {
		return nil, classify("preparing entity insert", err)
	}
	defer func() { _ = ins.Close() }()
	// Entity rows go in chunks of entityChunk rows per statement; in
	// isolation mode each record's rows go in at once, under its savepoint.
	var ents []any
	flushEntities := func(all bool) error {
		for len(ents) >= entityChunk*entityCols {
			if _, err := ins.ExecContext(ctx, ents[:entityChunk*entityCols]...); err != nil {
				return err
			}
			ents = ents[entityChunk*entityCols:]
		}
		if all && len(ents) > 0 {
			if _, err := tx.ExecContext(ctx, insertEntities(len(ents)/entityCols), ents...); err != nil {
				return err
			}
			ents = ents[:0]
		}
		return nil
	}
	now := time.Now().UTC().Format(timeLayout)
	var rejected map[string]error
	for _, r := range store.Collapse(recs) {
		c := store.ColumnsOf(r)
		if isolate {
			if _, err := tx.ExecContext(ctx, `SAVEPOINT rec`); err != nil {
				return nil, classify("savepoint", err)
			}
		}
		var err error
		ents, err = writeOne(ctx, up, del, c, now, ents)
		if err == nil && isolate {
			if err = flushEntities(true); err != nil {
				err = rowOrStore(c.ID, "inserting entities", err)
			}
		} else if err == nil {
			if err = flushEntities(false); err != nil {
				err = classify("inserting entities", err)
			}
		}
		if isolate {
			var rowErr *rowError
			if errors.As(err, &rowErr) {
				if rejected == nil {
					rejected = map[string]error{}
				}
				rejected[c.ID] = rowErr
				ents = ents[:0]
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO rec`); err != nil {
					return nil, classify("rollback to savepoint", err)
				}
				err = nil
			}
			if err == nil {
				if _, err := tx.ExecContext(ctx, `RELEASE rec`); err != nil {
					return nil, classify("release savepoint", err)
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if err := flushEntities(true); err != nil {
		return nil, rowOrStore("", "inserting entities", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, classify("commit", err)
	}
	return rejected, nil
}

// timeLayout writes times in UTC with a fixed-width fraction, so that
// ORDER BY on the text is chronological.
const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

const (
	entityCols  = 9
	entityChunk = 64
)

func insertEntities(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO entities (article_id, ord, field, start_byte, end_byte, type, text, norm, confidence) VALUES `)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	return b.String()
}

// writeOne upserts an article and, when the row changed, deletes its old
// entity rows and appends the new ones' values to ents.
func writeOne(ctx context.Context, up, del *sql.Stmt, c store.Columns, now string, ents []any) ([]any, error) {
	var id string
	err := up.QueryRowContext(ctx, c.ID, c.URL, c.Title, c.SourceType, c.SourceName, c.SourceURI,
		nullString(c.Published), nullString(c.PublishedPrecision), day(c.PublishedDay), day(c.PublishedMonth),
		c.Language, c.LanguageConfidence, c.SentimentScore, c.SentimentLabel, c.SentimentConf,
		c.EnrichmentVersion, c.VersionOrd, c.IngestedAt.Format(timeLayout), c.EnrichedAt.Format(timeLayout),
		c.Topic, c.Partition, c.Offset, string(c.Doc), now).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return ents, nil // an older version or position: the stored row stays
	}
	if err != nil {
		return ents, rowOrStore(c.ID, "upserting article", err)
	}
	if _, err := del.ExecContext(ctx, id); err != nil {
		return ents, rowOrStore(c.ID, "replacing entities", err)
	}
	for _, e := range c.Entities {
		ents = append(ents, id, e.Ord, e.Field, e.Start, e.End, e.Type, e.Text, e.Norm, e.Confidence)
	}
	return ents, nil
}

// rowOrStore tells an error caused by the record's values from one caused by
// the database.
func rowOrStore(id, what string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_RANGE:
			return &rowError{id: id, err: fmt.Errorf("%s: %w", what, err)}
		}
	}
	return classify(what+" "+id, err)
}

// classify marks errors that mean the database cannot be used right now
// (locked, full, I/O, gone) as store.ErrUnavailable.
func classify(what string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL,
			sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_PROTOCOL:
			return fmt.Errorf("%w: sqlite %s: %w", store.ErrUnavailable, what, err)
		}
	}
	if errors.Is(err, sql.ErrConnDone) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: sqlite %s: %w", store.ErrUnavailable, what, err)
	}
	return fmt.Errorf("sqlite %s: %w", what, err)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func day(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.Format(time.DateOnly)
}
