// Package target parses the sink's --to settings and opens their stores.
package target

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/newsflow/newsflow/services/sink/internal/files"
	"github.com/newsflow/newsflow/services/sink/internal/jsonl"
	"github.com/newsflow/newsflow/services/sink/internal/parquet"
	"github.com/newsflow/newsflow/services/sink/internal/postgres"
	"github.com/newsflow/newsflow/services/sink/internal/sqlite"
	"github.com/newsflow/newsflow/services/sink/internal/store"
)

// Kinds of target.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
	JSONL    = "jsonl"
	Parquet  = "parquet"
)

// Target is one place the sink writes to. Each target is its own consumer
// group, newsflow-sink-<Name>, so targets progress independently.
type Target struct {
	Name     string // group suffix; defaults to Kind
	Kind     string // sqlite, postgres, jsonl, parquet
	Location string // file, DSN or directory
	Files    files.Options
}

var namePrefix = regexp.MustCompile(`^([a-z0-9][a-z0-9_-]*)=(.+)$`)

const kinds = "sqlite:FILE, postgres://..., jsonl:DIR or parquet:DIR"

// Parse reads a target: kind:location, optionally prefixed by name=, for
// example "sqlite:./var/newsflow.db", "postgres://sink@db/news",
// "archive=jsonl:/data/archive?gzip=true&max_age=10m".
func Parse(spec string) (Target, error) {
	var t Target
	if m := namePrefix.FindStringSubmatch(spec); m != nil {
		t.Name, spec = m[1], m[2]
	}
	if strings.HasPrefix(spec, "postgres://") || strings.HasPrefix(spec, "postgresql://") {
		t.Kind, t.Location = Postgres, spec
	} else {
		kind, loc, ok := strings.Cut(spec, ":")
		if !ok || loc == "" {
			return Target{}, fmt.Errorf("sink target %q: want %s", postgres.Redact(spec), kinds)
		}
		t.Kind, t.Location = kind, loc
	}
	switch t.Kind {
	case SQLite:
	case Postgres:
		if _, err := url.Parse(t.Location); err != nil && strings.Contains(t.Location, "://") {
			return Target{}, fmt.Errorf("sink target %q: not a URL", postgres.Redact(spec))
		}
	case JSONL, Parquet:
		loc, opts, err := fileOptions(t.Location)
		if err != nil {
			return Target{}, fmt.Errorf("sink target %q: %w", spec, err)
		}
		t.Location, t.Files = loc, opts
		if t.Kind == JSONL {
			t.Files.Format = jsonl.Format{Gzip: opts.Format == gzipped}
		} else {
			if opts.Format == gzipped {
				return Target{}, fmt.Errorf("sink target %q: gzip is for jsonl; parquet files are zstd-compressed", spec)
			}
			t.Files.Format = parquet.Format{}
		}
	default:
		return Target{}, fmt.Errorf("sink target %q: unknown kind %q (want %s)", postgres.Redact(spec), t.Kind, kinds)
	}
	if t.Name == "" {
		t.Name = t.Kind
	}
	return t, nil
}

// gzipped marks gzip=true while parsing.
var gzipped = jsonl.Format{Gzip: true}

// fileOptions splits DIR?key=value&... into the directory and its options.
func fileOptions(loc string) (string, files.Options, error) {
	var o files.Options
	dir, query, _ := strings.Cut(loc, "?")
	if dir == "" {
		return "", o, errors.New("a directory is required")
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", o, err
	}
	var errs []error
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch k {
		case "gzip":
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("gzip=%q: want true or false", v))
			}
			if b {
				o.Format = gzipped
			}
		case "max_bytes":
			n, err := parseBytes(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("max_bytes=%q: %w", v, err))
			}
			o.MaxBytes = n
		case "max_age":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Errorf("max_age=%q: want a positive duration such as 1m", v))
			}
			o.MaxAge = d
		case "max_open":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				errs = append(errs, fmt.Errorf("max_open=%q: want a positive number", v))
			}
			o.MaxOpen = n
		default:
			errs = append(errs, fmt.Errorf("unknown option %q (want gzip, max_bytes, max_age, max_open)", k))
		}
	}
	return dir, o, errors.Join(errs...)
}

// parseBytes reads 1048576, 512KiB, 64MiB, 1GiB (or KB/MB/GB, also binary).
func parseBytes(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("want a positive size such as 64MiB")
	}
	return n * mult, nil
}

// String renders the target for logs, with any password redacted.
func (t Target) String() string {
	return t.Name + "=" + t.Describe()
}

// Describe renders kind:location with any password redacted.
func (t Target) Describe() string {
	if t.Kind == Postgres {
		return postgres.Redact(t.Location)
	}
	return t.Kind + ":" + t.Location
}

// OpenOptions apply to every target.
type OpenOptions struct {
	// NoMigrate refuses to start a database whose schema is behind instead
	// of migrating it.
	NoMigrate bool
}

// Open opens the target's store. An error wrapping store.ErrUnavailable
// means the store could not be reached and opening may be retried.
func Open(ctx context.Context, t Target, o OpenOptions) (store.Store, error) {
	switch t.Kind {
	case SQLite:
		return sqlite.Open(ctx, sqlite.Config{Path: t.Location, NoMigrate: o.NoMigrate})
	case Postgres:
		return postgres.Open(ctx, postgres.Config{DSN: t.Location, NoMigrate: o.NoMigrate})
	case JSONL, Parquet:
		return files.Open(t.Location, t.Files)
	}
	return nil, fmt.Errorf("sink target %s: unknown kind", t)
}
