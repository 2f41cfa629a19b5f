// Package state is ingest's persistent memory in one SQLite file: the
// seen-set of article ids already published (with a TTL, so it does not grow
// forever) and each feed's validators for conditional GET. A restart reads
// it back, so articles a feed repeats are not published again.
package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver
)

// Config configures a Store.
type Config struct {
	// Path is the SQLite file; its directory is created if missing.
	Path string
	// TTL is how long an id stays seen after a feed last showed it.
	TTL time.Duration
}

func (c *Config) setDefaults() {
	if c.TTL == 0 {
		c.TTL = 30 * 24 * time.Hour
	}
}

// Validate reports every mistake in the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("state file path is required"))
	}
	if c.TTL < time.Minute {
		errs = append(errs, fmt.Errorf("seen TTL %s is under a minute", c.TTL))
	}
	return errors.Join(errs...)
}

// Store is the state file. It is safe for concurrent use.
type Store struct {
	db    *sql.DB
	ttl   time.Duration
	close sync.Once
}

const schema = `
CREATE TABLE IF NOT EXISTS seen (
	id         TEXT PRIMARY KEY,
	source     TEXT NOT NULL,
	first_seen INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_last ON seen(last_seen);
CREATE TABLE IF NOT EXISTS feeds (
	url           TEXT PRIMARY KEY,
	etag          TEXT NOT NULL DEFAULT '',
	last_modified TEXT NOT NULL DEFAULT '',
	updated       INTEGER NOT NULL
) WITHOUT ROWID;
`

// Open opens or creates the state file.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("state config: %w", err)
	}
	if dir := filepath.Dir(cfg.Path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("creating state directory: %w", err)
		}
	}
	dsn := "file:" + cfg.Path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening state file %s: %w", cfg.Path, err)
	}
	// One writer at a time is all SQLite does; one connection avoids
	// lock contention between the pool's connections.
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("preparing state file %s: %w", cfg.Path, err)
	}
	return &Store{db: db, ttl: cfg.TTL}, nil
}

// Close closes the file. It is idempotent.
func (s *Store) Close() error {
	var err error
	s.close.Do(func() { err = s.db.Close() })
	return err
}

// TTL is how long an id stays seen after it was last shown.
func (s *Store) TTL() time.Duration { return s.ttl }

const maxParams = 500

// Unseen returns the ids not in the seen-set (or expired from it), in the
// order given, each once. Ids that are seen have their last sighting moved
// to now when it is old, so an article a feed keeps carrying never expires.
func (s *Store) Unseen(ctx context.Context, ids []string, now time.Time) ([]string, error) {
	cutoff := now.Add(-s.ttl).Unix()
	refresh := now.Add(-s.ttl / 8).Unix()
	last := make(map[string]int64, len(ids))
	for start := 0; start < len(ids); start += maxParams {
		chunk := ids[start:min(start+maxParams, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := s.db.QueryContext(ctx, "SELECT id, last_seen FROM seen WHERE id IN ("+placeholders(len(chunk))+")", args...)
		if err != nil {
			return nil, fmt.Errorf("reading seen-set: %w", err)
		}
		for rows.Next() {
			var id string
			var ls int64
			if err := rows.Scan(&id, &ls); err != nil {
				_ = rows.Close()
				return nil, fmt.Errorf("reading seen-set: %w", err)
			}
			last[id] = ls
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("reading seen-set: %w", err)
		}
	}
	var unseen, stale []string
	done := make(map[string]bool, len(ids))
	for _, id := range ids {
		if done[id] {
			continue
		}
		done[id] = true
		ls, ok := last[id]
		switch {
		case !ok || ls < cutoff:
			unseen = append(unseen, id)
		case ls < refresh:
			stale = append(stale, id)
		}
	}
	if len(stale) > 0 {
		if err := s.touch(ctx, stale, now); err != nil {
			return nil, err
		}
	}
	return unseen, nil
}

func (s *Store) touch(ctx context.Context, ids []string, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, "UPDATE seen SET last_seen = ? WHERE id = ?")
		if err != nil {
			return err
		}
		defer func() { _ = stmt.Close() }()
		for _, id := range ids {
			if _, err := stmt.ExecContext(ctx, now.Unix(), id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Mark records ids as published from source at now, in one transaction.
func (s *Store) Mark(ctx context.Context, ids []string, source string, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO seen (id, source, first_seen, last_seen) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen`)
		if err != nil {
			return err
		}
		defer func() { _ = stmt.Close() }()
		for _, id := range ids {
			if _, err := stmt.ExecContext(ctx, id, source, now.Unix(), now.Unix()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("marking %d ids seen: %w", len(ids), err)
	}
	return nil
}

// Prune forgets ids not shown for longer than the TTL and returns how many.
func (s *Store) Prune(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, "DELETE FROM seen WHERE last_seen < ?", now.Add(-s.ttl).Unix())
	if err != nil {
		return 0, fmt.Errorf("pruning seen-set: %w", err)
	}
	return res.RowsAffected()
}

// Count is the number of ids in the seen-set.
func (s *Store) Count(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM seen").Scan(&n)
	return n, err
}

// Validators are what a feed's server gave for conditional GET.
type Validators struct {
	ETag         string
	LastModified string
}

// Validators returns the stored validators of every feed, by URL.
func (s *Store) Validators(ctx context.Context) (map[string]Validators, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT url, etag, last_modified FROM feeds")
	if err != nil {
		return nil, fmt.Errorf("reading feed validators: %w", err)
	}
	defer func() { _ = rows.Close() }()
	out := map[string]Validators{}
	for rows.Next() {
		var url string
		var v Validators
		if err := rows.Scan(&url, &v.ETag, &v.LastModified); err != nil {
			return nil, fmt.Errorf("reading feed validators: %w", err)
		}
		out[url] = v
	}
	return out, rows.Err()
}

// SaveValidators stores a feed's validators.
func (s *Store) SaveValidators(ctx context.Context, url string, v Validators, now time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO feeds (url, etag, last_modified, updated) VALUES (?, ?, ?, ?)
		ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, updated = excluded.updated`,
		url, v.ETag, v.LastModified, now.Unix())
	if err != nil {
		return fmt.Errorf("saving validators of %s: %w", url, err)
	}
	return nil
}

func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
