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
	"runtime"
	"sort"
	"strings"
	"sync"
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

	walBackstop int // pages; walBackstop when 0 (tests set it lower)
}

// Store writes articles to SQLite.
type Store struct {
	db   *sql.DB
	path string

	stmts *stmts
	ckpt  *checkpointer
}

// Open opens (creating if needed) the database at cfg.Path and migrates it.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	path := cfg.Path
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("creating %s: %w", dir, err)
		}
	}
	backstop := cfg.walBackstop
	if backstop <= 0 {
		backstop = walBackstop
	}
	db, err := sql.Open("sqlite", dsn(path, writerPragmas(backstop)))
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
	st, err := prepareAll(ctx, db)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	ckdb, err := sql.Open("sqlite", dsn(path, ""))
	if err != nil {
		st.close()
		_ = db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	ckdb.SetMaxOpenConns(1)
	s := &Store{db: db, path: path, stmts: st, ckpt: newCheckpointer(ckdb)}
	s.ckpt.Kick() // what a previous run left in the WAL
	return s, nil
}

// dsn opens path in WAL mode with synchronous=FULL (a commit returns once
// its WAL frames are fsynced, so an offset is committed only for a durable
// batch), waiting up to 10 s for locks held by readers, with extra pragmas.
func dsn(path, pragmas string) string {
	return "file:" + path + "?_journal_mode=WAL&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)" + pragmas
}

// writerPragmas configure the writing connection:
//   - a 256 MiB page cache and memory-mapped reads keep the indexes being
//     written in memory;
//   - temp_store=MEMORY keeps statement journals in memory: a multi-row
//     upsert journals every page it touches in case it has to be undone,
//     and in a temporary file that was gigabytes of writes per 100,000
//     articles (the entity inserts avoid the journal with OR FAIL);
//   - wal_autocheckpoint: the checkpointer copies the WAL into the
//     database file on its own connection; the writer does only when the
//     WAL grows past backstop pages.
func writerPragmas(backstop int) string {
	return fmt.Sprintf("&_pragma=cache_size(-262144)&_pragma=mmap_size(1073741824)&_pragma=temp_store(MEMORY)&_pragma=wal_autocheckpoint(%d)", backstop)
}

// DB exposes the database for queries and tests.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error {
	err := s.ckpt.Close()
	s.stmts.close()
	// The last connection to close checkpoints the rest and removes the
	// WAL.
	return errors.Join(err, s.db.Close())
}

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
// position in another partition or topic (store.Newer). RETURNING names the
// rows written, whose mentions are replaced.
const upsertHead = `
INSERT OR FAIL INTO articles (id, url, title, source_type, source_name, source_uri, published, published_precision,
    published_day, published_month, language, language_confidence, sentiment_score, sentiment_label,
    sentiment_confidence, enrichment_version, enrichment_version_ord, ingested_at, enriched_at,
    kafka_topic, kafka_partition, kafka_offset, doc, stored_at)
VALUES `

const upsertTail = `
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
	rows := prepare(store.Collapse(recs))
	rejected, err := s.write(ctx, rows, false)
	var rowErr *rowError
	if errors.As(err, &rowErr) {
		// Write again, each record under a savepoint, to find the bad ones.
		rejected, err = s.write(ctx, rows, true)
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

// row is a record's statement arguments, derived before the transaction.
type row struct {
	id       string
	article  []any // articleCols values
	entities []any // entityCols values per mention
}

// prepare derives the rows' arguments, on every core: decoding dates,
// normalising entity text and formatting times is work the single writer
// need not wait for.
func prepare(recs []store.Record) []row {
	out := make([]row, len(recs))
	now := time.Now().UTC().Format(timeLayout)
	workers := min(runtime.GOMAXPROCS(0), (len(recs)+63)/64)
	if workers <= 1 {
		for i, r := range recs {
			out[i] = rowOf(store.ColumnsOf(r), now)
		}
		return out
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(recs); i += workers {
				out[i] = rowOf(store.ColumnsOf(recs[i]), now)
			}
		}()
	}
	wg.Wait()
	return out
}

func rowOf(c store.Columns, now string) row {
	r := row{id: c.ID, article: []any{c.ID, c.URL, c.Title, c.SourceType, c.SourceName, c.SourceURI,
		nullString(c.Published), nullString(c.PublishedPrecision), day(c.PublishedDay), day(c.PublishedMonth),
		c.Language, c.LanguageConfidence, c.SentimentScore, c.SentimentLabel, c.SentimentConf,
		c.EnrichmentVersion, c.VersionOrd, c.IngestedAt.Format(timeLayout), c.EnrichedAt.Format(timeLayout),
		c.Topic, c.Partition, c.Offset, string(c.Doc), now}}
	if len(c.Entities) > 0 {
		r.entities = make([]any, 0, len(c.Entities)*entityCols)
		for _, e := range c.Entities {
			r.entities = append(r.entities, c.ID, e.Ord, e.Field, e.Start, e.End, e.Type, e.Text, e.Norm, e.Confidence)
		}
	}
	return r
}

func (s *Store) write(ctx context.Context, rows []row, isolate bool) (map[string]error, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, classify("begin", err)
	}
	defer tx.Rollback()
	var rejected map[string]error
	if isolate {
		rejected, err = s.writeEach(ctx, tx, rows)
	} else {
		err = s.writeAll(ctx, tx, rows)
	}
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, classify("commit", err)
	}
	s.ckpt.Kick()
	return rejected, nil
}

// writeAll writes the rows with a few large statements: the articles in
// multi-row upserts, then the mentions of the articles that changed,
// deleted and inserted many at a time. A value SQLite refuses fails the
// whole batch with a *rowError, and Write isolates it.
func (s *Store) writeAll(ctx context.Context, tx *sql.Tx, rows []row) error {
	changed := make(map[string]bool, len(rows))
	rest := rows
	for _, n := range sizes(len(rows), articleChunk) {
		chunk := rest[:n]
		rest = rest[n:]
		args := make([]any, 0, n*articleCols)
		for _, r := range chunk {
			args = append(args, r.article...)
		}
		res, err := tx.StmtContext(ctx, s.stmts.upsert[n]).QueryContext(ctx, args...)
		if err != nil {
			return rowOrStore("", "upserting articles", err)
		}
		for res.Next() {
			var id string
			if err := res.Scan(&id); err != nil {
				_ = res.Close()
				return rowOrStore("", "upserting articles", err)
			}
			changed[id] = true
		}
		if err := errors.Join(res.Err(), res.Close()); err != nil {
			return rowOrStore("", "upserting articles", err)
		}
	}
	if len(changed) == 0 {
		return nil // every record was older than what is stored
	}
	ids := make([]any, 0, len(changed))
	var ents []any
	for _, r := range rows {
		if changed[r.id] {
			ids = append(ids, r.id)
			ents = append(ents, r.entities...)
		}
	}
	for _, n := range sizes(len(ids), deleteChunk) {
		if _, err := tx.StmtContext(ctx, s.stmts.del[n]).ExecContext(ctx, ids[:n]...); err != nil {
			return rowOrStore("", "replacing entities", err)
		}
		ids = ids[n:]
	}
	for _, n := range sizes(len(ents)/entityCols, entityChunk) {
		if _, err := tx.StmtContext(ctx, s.stmts.entities[n]).ExecContext(ctx, ents[:n*entityCols]...); err != nil {
			return rowOrStore("", "inserting entities", err)
		}
		ents = ents[n*entityCols:]
	}
	return nil
}

// writeEach writes one record at a time, each under a savepoint, and
// returns the ones SQLite refused instead of failing the batch.
func (s *Store) writeEach(ctx context.Context, tx *sql.Tx, rows []row) (map[string]error, error) {
	var rejected map[string]error
	for _, r := range rows {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT rec`); err != nil {
			return nil, classify("savepoint", err)
		}
		err := s.writeAll(ctx, tx, []row{r})
		var rowErr *rowError
		if errors.As(err, &rowErr) {
			if rejected == nil {
				rejected = map[string]error{}
			}
			rowErr.id = r.id
			rejected[r.id] = rowErr
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO rec`); err != nil {
				return nil, classify("rollback to savepoint", err)
			}
		} else if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `RELEASE rec`); err != nil {
			return nil, classify("release savepoint", err)
		}
	}
	return rejected, nil
}

// stmts are the batch statements, prepared once per store for each size
// sizes gives (so a batch never waits for a prepare) and bound to each
// transaction.
type stmts struct {
	upsert, del, entities map[int]*sql.Stmt
}

func prepareAll(ctx context.Context, db *sql.DB) (*stmts, error) {
	st := &stmts{upsert: map[int]*sql.Stmt{}, del: map[int]*sql.Stmt{}, entities: map[int]*sql.Stmt{}}
	for _, p := range []struct {
		into  map[int]*sql.Stmt
		max   int
		build func(int) string
	}{
		{st.upsert, articleChunk, func(n int) string { return upsertHead + rowsSQL(n, articleCols) + upsertTail }},
		{st.del, deleteChunk, func(n int) string {
			return `DELETE FROM entities WHERE article_id IN (` + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + `)`
		}},
		{st.entities, entityChunk, func(n int) string { return insertEntitiesHead + rowsSQL(n, entityCols) }},
	} {
		for n := 1; n <= p.max; n *= 2 {
			s, err := db.PrepareContext(ctx, p.build(n))
			if err != nil {
				st.close()
				return nil, classify("preparing statements", err)
			}
			p.into[n] = s
		}
	}
	return st, nil
}

func (st *stmts) close() {
	for _, m := range []map[int]*sql.Stmt{st.upsert, st.del, st.entities} {
		for _, s := range m {
			_ = s.Close()
		}
	}
}

// sizes splits n rows into statements of max rows and then powers of two,
// the sizes prepareAll prepares: 1000 articles are 31 upserts of 32 rows
// and one of 8.
func sizes(n, max int) []int {
	var out []int
	for ; n >= max; n -= max {
		out = append(out, max)
	}
	for p := max / 2; p >= 1; p /= 2 {
		if n >= p {
			out = append(out, p)
			n -= p
		}
	}
	return out
}

// rowsSQL is n rows of cols parameters: (?, ?), (?, ?).
func rowsSQL(n, cols int) string {
	one := "(" + strings.Repeat("?, ", cols-1) + "?)"
	return strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
}

// timeLayout writes times in UTC with a fixed-width fraction, so that
// ORDER BY on the text is chronological.
const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

// Most rows per statement (powers of two, see sizes): SQLite binds at most
// 32,766 parameters per statement, and beyond a few dozen rows longer
// statements no longer pay.
const (
	articleCols  = 24
	articleChunk = 32
	entityCols   = 9
	entityChunk  = 128
	deleteChunk  = 256
)

const insertEntitiesHead = `INSERT OR FAIL INTO entities (article_id, ord, field, start_byte, end_byte, type, text, norm, confidence) VALUES `

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
