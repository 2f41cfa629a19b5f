// Package watch ingests files dropped into a folder: a sample-format .txt
// or a .jsonl file is published once it is complete (unchanged for a
// settle time, or renamed into place), then moved to done/, or to failed/
// with a reason file when any of its items was refused.
package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/newsflow/newsflow/services/ingest/internal/bulk"
	"github.com/newsflow/newsflow/services/ingest/internal/files"
)

// Config configures a Watcher.
type Config struct {
	Dir string
	// Settle is how long a file must stay the same size and age before it
	// counts as complete.
	Settle time.Duration
	// Scan is how often the folder is looked at.
	Scan time.Duration
	// Bulk configures how a file is published (its checkpoint is unused:
	// a file is done when it leaves the folder).
	Bulk bulk.Config
}

func (c *Config) setDefaults() {
	if c.Settle == 0 {
		c.Settle = 2 * time.Second
	}
	if c.Scan == 0 {
		c.Scan = time.Second
	}
}

// Validate reports every mistake in the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("a folder to watch is required"))
	}
	if c.Settle < 0 || c.Scan <= 0 {
		errs = append(errs, errors.New("settle must not be negative and scan must be positive"))
	}
	return errors.Join(errs...)
}

// Watcher watches one folder.
type Watcher struct {
	cfg     Config
	pub     bulk.Publisher
	log     zerolog.Logger
	pending map[string]*candidate
	now     func() time.Time
}

type candidate struct {
	size    int64
	mod     time.Time
	since   time.Time // first seen with this size and age
	retryAt time.Time // after a failed publish
	backoff time.Duration
}

// Outcome is what happened to one file.
type Outcome struct {
	File      string
	MovedTo   string
	Published int64
	Refused   int64
}

// Done and failed are the folders files are moved to, inside the watched one.
const (
	DoneDir   = "done"
	FailedDir = "failed"
)

// New builds a Watcher and creates the done/ and failed/ folders.
func New(cfg Config, pub bulk.Publisher, log zerolog.Logger) (*Watcher, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("watch config: %w", err)
	}
	cfg.Bulk.Checkpoint = ""
	info, err := os.Stat(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("watched folder: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("watched folder %s is not a folder", cfg.Dir)
	}
	for _, d := range []string{DoneDir, FailedDir} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("creating %s: %w", d, err)
		}
	}
	return &Watcher{cfg: cfg, pub: pub, log: log, pending: map[string]*candidate{}, now: time.Now}, nil
}

// Run scans the folder until ctx ends.
func (w *Watcher) Run(ctx context.Context) error {
	t := time.NewTicker(w.cfg.Scan)
	defer t.Stop()
	for {
		if _, err := w.Scan(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			w.log.Error().Err(err).Msg("scanning the watched folder")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// ignored reports files that are not (yet) input: hidden files, editor
// and download leftovers, and files being written under a temporary name.
func ignored(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") || strings.HasSuffix(name, ".reason") {
		return true
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".tmp", ".part", ".partial", ".crdownload", ".swp":
		return true
	}
	return false
}

// Scan looks at the folder once and ingests every complete file.
func (w *Watcher) Scan(ctx context.Context) ([]Outcome, error) {
	entries, err := os.ReadDir(w.cfg.Dir)
	if err != nil {
		return nil, err
	}
	now := w.now()
	present := map[string]bool{}
	var ready []string
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || ignored(name) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // gone since ReadDir
		}
		present[name] = true
		c, ok := w.pending[name]
		if !ok || c.size != info.Size() || !c.mod.Equal(info.ModTime()) {
			w.pending[name] = &candidate{size: info.Size(), mod: info.ModTime(), since: now}
			if w.cfg.Settle > 0 {
				continue
			}
			c = w.pending[name]
		}
		if now.Sub(c.since) >= w.cfg.Settle && !now.Before(c.retryAt) {
			ready = append(ready, name)
		}
	}
	for name := range w.pending {
		if !present[name] {
			delete(w.pending, name)
		}
	}
	sort.Strings(ready)
	var out []Outcome
	for _, name := range ready {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		o, err := w.ingest(ctx, name)
		if err != nil {
			c := w.pending[name]
			c.backoff = min(max(2*c.backoff, w.cfg.Scan), time.Minute)
			c.retryAt = w.now().Add(c.backoff)
			w.log.Warn().Str("file", name).Err(err).Dur("retry_in", c.backoff).Msg("file not ingested; it stays and is tried again")
			continue
		}
		delete(w.pending, name)
		out = append(out, o)
	}
	return out, nil
}

// ingest publishes one file and moves it. An error means it was left in
// place to be tried again (the broker was down, or ingest is stopping).
func (w *Watcher) ingest(ctx context.Context, name string) (Outcome, error) {
	path := filepath.Join(w.cfg.Dir, name)
	o := Outcome{File: name}
	var reasons []string
	if !files.Supported(path) {
		reasons = append(reasons, fmt.Sprintf("unsupported file type %q: want .txt (sample format), .jsonl or .ndjson", filepath.Ext(name)))
		o.Refused = 1
	} else {
		rep, err := bulk.Run(ctx, w.cfg.Bulk, []string{path}, w.pub, w.log)
		if err != nil {
			return o, err
		}
		o.Published, o.Refused = rep.Published, rep.RefusedTotal()
		for _, r := range rep.Refusals {
			where := strings.TrimPrefix(r.Where, path)
			where = strings.TrimPrefix(where, ":")
			if where == "" {
				where = "file"
			} else {
				where = "line " + where
			}
			reasons = append(reasons, fmt.Sprintf("%s: %s: %v", where, r.Reason, r.Err))
		}
		if int64(len(rep.Refusals)) < o.Refused {
			reasons = append(reasons, fmt.Sprintf("... and %d more", o.Refused-int64(len(rep.Refusals))))
		}
	}
	dest := DoneDir
	if o.Refused > 0 {
		dest = FailedDir
	}
	moved, err := w.move(path, dest)
	if err != nil {
		return o, err
	}
	o.MovedTo = moved
	if dest == FailedDir {
		text := fmt.Sprintf("%s: %d refused, %d published\n", name, o.Refused, o.Published)
		if o.Published > 0 {
			text += "The published articles are in Kafka; dropping the fixed file in again publishes them again under the same ids, which the sinks overwrite.\n"
		}
		text += "\n" + strings.Join(reasons, "\n") + "\n"
		if err := os.WriteFile(moved+".reason", []byte(text), 0o644); err != nil {
			w.log.Error().Err(err).Str("file", moved).Msg("writing the reason file")
		}
		w.log.Warn().Str("file", name).Int64("published", o.Published).Int64("refused", o.Refused).Str("moved_to", moved).Msg("file had refused items")
	} else {
		w.log.Info().Str("file", name).Int64("published", o.Published).Str("moved_to", moved).Msg("file ingested")
	}
	return o, nil
}

// move renames a file into sub, adding a time stamp when the name is taken.
func (w *Watcher) move(path, sub string) (string, error) {
	name := filepath.Base(path)
	dest := filepath.Join(w.cfg.Dir, sub, name)
	if _, err := os.Lstat(dest); err == nil {
		ext := filepath.Ext(name)
		dest = filepath.Join(w.cfg.Dir, sub, strings.TrimSuffix(name, ext)+"."+w.now().UTC().Format("20060102T150405.000000000")+ext)
	}
	if err := os.Rename(path, dest); err != nil {
		return "", fmt.Errorf("moving %s to %s: %w", name, sub, err)
	}
	return dest, nil
}
