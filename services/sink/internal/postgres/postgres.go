// Package postgres is the production store: PostgreSQL through pgx, with the
// schema created and migrated by the sink itself from embedded, versioned
// migrations. A batch is one transaction: COPY into a temporary table, one
// INSERT ... ON CONFLICT applying the version rule, and the entity mentions
// of the rows that changed replaced by a second COPY.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/newsflow/newsflow/services/sink/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrSchemaBehind is returned by Open when migrations are pending and the
// store was told not to apply them.
var ErrSchemaBehind = errors.New("schema is behind: run the sink with -migrate-only, as the migration role")

// Config configures the store.
type Config struct {
	// DSN is a postgres:// URL or key=value string; libpq's environment
	// variables (PGPASSWORD, PGPASSFILE, PGSSLMODE, ...) fill what it leaves
	// out. The tables live in the first schema of its search_path.
	DSN string
	// NoMigrate refuses to start with pending migrations instead of
	// applying them (for a runtime role that may not change the schema).
	NoMigrate bool
	// WriteTimeout bounds one batch write (default 60s).
	WriteTimeout time.Duration
	// MaxConns bounds the pool (default 4).
	MaxConns int32
}

// Store writes articles to PostgreSQL.
type Store struct {
	cfg    Config
	pool   *pgxpool.Pool
	schema string
}

// Open connects, migrates the schema (unless cfg.NoMigrate) and returns the
// store. An error wrapping store.ErrUnavailable means the server could not be
// reached; retrying may help.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 60 * time.Second
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 4
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err) // pgx redacts passwords in its parse errors
	}
	pcfg.MaxConns = cfg.MaxConns
	if pcfg.ConnConfig.ConnectTimeout == 0 {
		pcfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	// Every connection gets its own staging table; ON COMMIT DELETE ROWS
	// empties it after each batch. Its doc is text kept uncompressed: the
	// server parses it into jsonb once, in the INSERT.
	pcfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, createStaging)
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{cfg: cfg, pool: pool}
	if err := s.init(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) init(ctx context.Context) error {
	var schema *string
	if err := s.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return classify("connecting", err)
	}
	if schema == nil {
		return errors.New("postgres: no schema of the search_path exists; create it first")
	}
	s.schema = *schema
	return s.migrate(ctx)
}

// Pool exposes the connection pool for queries and tests.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Schema is the schema holding the tables.
func (s *Store) Schema() string { return s.schema }

// Close closes the pool.
// Ping checks that the database answers, for readiness probes.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

type migration struct {
	version string
	body    string
}

func pending(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
	QueryRow(context.Context, string, ...any) pgx.Row
}) ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	applied := map[string]bool{}
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, classify("reading schema_migrations", err)
	}
	if exists {
		rows, err := q.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return nil, classify("reading schema_migrations", err)
		}
		versions, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, classify("reading schema_migrations", err)
		}
		for _, v := range versions {
			applied[v] = true
		}
	}
	var out []migration
	for _, name := range names {
		version := strings.TrimSuffix(filepath.Base(name), ".sql")
		if applied[version] {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version, string(body)})
	}
	return out, nil
}

// migrate applies pending migrations in one transaction, holding an advisory
// lock so sinks starting together migrate once. With nothing pending it only
// reads, so a runtime role without DDL rights starts fine.
func (s *Store) migrate(ctx context.Context) error {
	todo, err := pending(ctx, s.pool)
	if err != nil || len(todo) == 0 {
		return err
	}
	if s.cfg.NoMigrate {
		return fmt.Errorf("postgres: migration %s pending: %w", todo[0].version, ErrSchemaBehind)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return classify("migrating", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.newsflow.schema_migrations'))`); err != nil {
		return classify("locking for migration", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("postgres: creating schema_migrations: %w", err)
	}
	// Another sink may have migrated while we waited for the lock.
	if todo, err = pending(ctx, tx); err != nil {
		return err
	}
	for _, m := range todo {
		if _, err := tx.Exec(ctx, m.body); err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.version, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.version); err != nil {
			return fmt.Errorf("postgres: recording migration %s: %w", m.version, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return classify("committing migrations", err)
	}
	return nil
}

// articleCols are the columns copied per batch, in order.
var articleCols = []string{
	"id", "url", "title", "source_type", "source_name", "source_uri", "published", "published_precision",
	"published_day", "published_month", "language", "language_confidence", "sentiment_score", "sentiment_label",
	"sentiment_confidence", "enrichment_version", "enrichment_version_ord", "ingested_at", "enriched_at",
	"kafka_topic", "kafka_partition", "kafka_offset", "doc",
}

var entityCols = []string{"article_id", "ord", "field", "start_byte", "end_byte", "type", "text", "norm", "confidence"}

const createStaging = `
CREATE TEMP TABLE IF NOT EXISTS newsflow_articles_in (
    id text, url text, title text, source_type text, source_name text, source_uri text,
    published text, published_precision text, published_day date, published_month date,
    language text, language_confidence double precision, sentiment_score double precision,
    sentiment_label text, sentiment_confidence double precision, enrichment_version text,
    enrichment_version_ord bigint, ingested_at timestamptz, enriched_at timestamptz,
    kafka_topic text, kafka_partition integer, kafka_offset bigint, doc text
) ON COMMIT DELETE ROWS;
ALTER TABLE newsflow_articles_in ALTER COLUMN doc SET STORAGE EXTERNAL`

// The version rule in SQL (store.Newer): a newer enrichment version wins;
// with equal versions a later or equal position in the same partition wins,
// and any position in another partition or topic.
var upsert = `
INSERT INTO articles (` + strings.Join(articleCols, ", ") + `, stored_at)
SELECT ` + strings.Join(articleCols[:len(articleCols)-1], ", ") + `, doc::jsonb, now() FROM newsflow_articles_in
ON CONFLICT (id) DO UPDATE SET ` + setExcluded() + `, stored_at = excluded.stored_at
WHERE excluded.enrichment_version_ord > articles.enrichment_version_ord
   OR (excluded.enrichment_version_ord = articles.enrichment_version_ord
       AND NOT (excluded.kafka_topic = articles.kafka_topic AND excluded.kafka_partition = articles.kafka_partition
                AND excluded.kafka_offset < articles.kafka_offset))
RETURNING id`

func setExcluded() string {
	var sets []string
	for _, c := range articleCols[1:] {
		sets = append(sets, c+" = excluded."+c)
	}
	return strings.Join(sets, ", ")
}

// Write upserts a batch in one transaction. A record the server refuses for
// its values (a data exception, a constraint, a size limit) is isolated and
// reported in a *store.RejectError; the rest of the batch is committed. An
// unreachable or failing server gives an error wrapping store.ErrUnavailable.
func (s *Store) Write(ctx context.Context, recs []store.Record) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.WriteTimeout)
	defer cancel()
	recs = store.Collapse(recs)
	cols := make([]store.Columns, len(recs))
	for i, r := range recs {
		cols[i] = store.ColumnsOf(r)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error { return writeBatch(ctx, tx, cols) })
	if err == nil || !isDataError(err) {
		return err
	}
	// Some value was refused: write again, each record under a savepoint,
	// to find which.
	rejected := map[string]error{}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		for _, c := range cols {
			sp, err := tx.Begin(ctx)
			if err != nil {
				return classify("savepoint", err)
			}
			err = writeBatch(ctx, sp, []store.Columns{c})
			if err == nil {
				// The staging table empties only at commit.
				_, err = sp.Exec(ctx, `DELETE FROM newsflow_articles_in`)
			}
			if isDataError(err) {
				rejected[c.ID] = err
				err = sp.Rollback(ctx)
			} else if err == nil {
				err = sp.Commit(ctx)
			}
			if err != nil {
				return classify("writing article "+c.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(rejected) > 0 {
		return &store.RejectError{Rejected: rejected}
	}
	return nil
}

func (s *Store) inTx(ctx context.Context, f func(pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return classify("begin", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // a no-op after Commit
	if err := f(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return classify("commit", err)
	}
	return nil
}

func writeBatch(ctx context.Context, tx pgx.Tx, cols []store.Columns) error {
	rows := make([][]any, len(cols))
	byID := make(map[string]*store.Columns, len(cols))
	for i := range cols {
		c := &cols[i]
		byID[c.ID] = c
		rows[i] = []any{c.ID, c.URL, c.Title, c.SourceType, c.SourceName, c.SourceURI,
			nullString(c.Published), nullString(c.PublishedPrecision), c.PublishedDay, c.PublishedMonth,
			c.Language, c.LanguageConfidence, c.SentimentScore, c.SentimentLabel, c.SentimentConf,
			c.EnrichmentVersion, c.VersionOrd, c.IngestedAt, c.EnrichedAt,
			c.Topic, int32(c.Partition), c.Offset, string(c.Doc)}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"newsflow_articles_in"}, articleCols, pgx.CopyFromRows(rows)); err != nil {
		return classify("copying articles", err)
	}
	res, err := tx.Query(ctx, upsert)
	if err != nil {
		return classify("upserting articles", err)
	}
	changed, err := pgx.CollectRows(res, pgx.RowTo[string])
	if err != nil {
		return classify("upserting articles", err)
	}
	if len(changed) == 0 {
		return nil // every record was older than what is stored
	}
	if _, err := tx.Exec(ctx, `DELETE FROM entities WHERE article_id = ANY($1)`, changed); err != nil {
		return classify("replacing entities", err)
	}
	var ents [][]any
	for _, id := range changed {
		for _, e := range byID[id].Entities {
			ents = append(ents, []any{id, int32(e.Ord), e.Field, int32(e.Start), int32(e.End), e.Type, e.Text, e.Norm, e.Confidence})
		}
	}
	if len(ents) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"entities"}, entityCols, pgx.CopyFromRows(ents)); err != nil {
			return classify("copying entities", err)
		}
	}
	return nil
}

// isDataError reports a server error caused by the values written: a data
// exception (class 22), an integrity constraint (23) or a program limit such
// as an over-long index key (54).
func isDataError(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || len(pe.Code) < 2 {
		return false
	}
	switch pe.Code[:2] {
	case "22", "23", "54":
		return true
	}
	return false
}

// classify marks errors that mean the server cannot be used right now as
// store.ErrUnavailable: no answer at all (refused, reset, timed out), or a
// server error of the connection (08), resources (53), shutdown (57),
// system (58) or transaction-rollback (40) classes. Errors caused by the
// values or the schema (a missing privilege, a missing table) stay plain:
// they are retried too, but say what to fix.
func classify(what string, err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code[:min(2, len(pe.Code))] {
		case "08", "53", "57", "58", "40":
			return fmt.Errorf("%w: postgres %s: %w", store.ErrUnavailable, what, err)
		}
		return fmt.Errorf("postgres %s: %w", what, err)
	}
	if errors.Is(err, store.ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: postgres %s: %w", store.ErrUnavailable, what, err)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Redact hides the password of a DSN (URL userinfo or a password parameter)
// for logs.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		fields := strings.Fields(dsn)
		for i, f := range fields {
			if k, _, ok := strings.Cut(f, "="); ok && (strings.EqualFold(k, "password") || strings.EqualFold(k, "sslpassword")) {
				fields[i] = k + "=REDACTED"
			}
		}
		return strings.Join(fields, " ")
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
	}
	q := u.Query()
	for k := range q {
		if strings.EqualFold(k, "password") || strings.EqualFold(k, "sslpassword") {
			q.Set(k, "REDACTED")
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}
