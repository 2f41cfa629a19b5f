// Command sinkbench measures the sink's stores: it pushes synthetic
// enriched articles through the sink's batcher into each store, as the sink
// stage does (12 partitions, 256 in flight per partition, batches of 1000),
// and reports the sustained rate and the batch write latency.
//
//	go run ./cmd/sinkbench -n 100000 -stores sqlite,postgres,jsonl,parquet
//
// PostgreSQL runs in a fresh schema of NEWSFLOW_TEST_PG_DSN (default: the
// local server), dropped afterwards; files go to a temporary directory.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/newsflow/newsflow/pkg/ops"
	"github.com/newsflow/newsflow/services/sink/internal/batch"
	"github.com/newsflow/newsflow/services/sink/internal/postgres"
	"github.com/newsflow/newsflow/services/sink/internal/sqlite"
	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/storetest"
	"github.com/newsflow/newsflow/services/sink/internal/target"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "sinkbench: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sinkbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 100_000, "articles per store")
	stores := fs.String("stores", "sqlite,postgres,jsonl,jsonl-gz,parquet", "stores to measure (null: the harness alone)")
	parts := fs.Int("partitions", 12, "partitions the articles are spread over")
	inFlight := fs.Int("max-in-flight", 256, "records per partition waiting for their batch")
	words := fs.Int("body-words", 250, "words per article body")
	mentions := fs.Int("date-mentions", 0, "dates each article mentions, tagged (0: the load of the earlier figures)")
	var bc batch.Config
	fs.IntVar(&bc.MaxRecords, "batch-records", 1000, "most records in one write")
	fs.IntVar(&bc.MaxBytes, "batch-bytes", 16<<20, "most bytes in one write")
	fs.DurationVar(&bc.MaxWait, "batch-wait", 200*time.Millisecond, "longest a record waits for its batch")
	pgWriters := fs.Int("pg-writers", 2, "PostgreSQL batches written at once (the sink's default)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the runs to this file")
	dir := fs.String("dir", "", "where the SQLite database and the files go (default: a temporary directory)")
	queries := fs.String("queries", "../../docs/sinks.md", "after loading a database, time the example queries of this file on it (\"\" to skip)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "sinkbench-")
		if err != nil {
			return err
		}
		defer func() { _ = os.RemoveAll(d) }()
		*dir = d
	}
	var examples []string
	if *queries != "" {
		doc, err := os.ReadFile(*queries)
		if err != nil {
			return err
		}
		if examples, err = storetest.ExampleQueries(string(doc)); err != nil {
			return fmt.Errorf("%s: %w", *queries, err)
		}
	}
	say(stdout, "generating %d articles (%d body words) over %d partitions...\n", *n, *words, *parts)
	g := storetest.NewGen(1)
	g.DateMentions = *mentions
	load := g.Load(*n, *parts, *words)
	say(stdout, "%d articles, %.1f MB of messages (%.0f bytes each)\n", load.N, float64(load.Bytes)/1e6, float64(load.Bytes)/float64(load.N))
	stopProfile, err := ops.CPUProfile(*cpuprofile)
	if err != nil {
		return err
	}
	defer func() { _ = stopProfile() }()
	for _, name := range strings.Split(*stores, ",") {
		name = strings.TrimSpace(name)
		st, spec, cleanup, err := open(ctx, name, *dir)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		cfg := bc
		cfg.Writers = 1
		if name == "postgres" {
			cfg.Writers = *pgWriters
		}
		res, err := storetest.RunLoad(ctx, st, load, cfg, *inFlight, true)
		if err != nil {
			cleanup()
			return fmt.Errorf("%s: %w", name, err)
		}
		say(stdout, "%-9s %s\n", name, res)
		if name == "sqlite" || name == "postgres" {
			err = timeQueries(ctx, stdout, spec, examples)
		}
		cleanup()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// tb lends storetest.PostgresSchema a testing.TB outside a test.
type tb struct {
	testing.TB
	cleanups []func()
}

func (t *tb) Helper()                   {}
func (t *tb) Cleanup(f func())          { t.cleanups = append(t.cleanups, f) }
func (t *tb) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }
func (t *tb) Fatal(a ...any)            { panic(fmt.Sprint(a...)) }
func (t *tb) Errorf(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }

func open(ctx context.Context, name, dir string) (st store.Store, spec string, cleanup func(), err error) {
	cleanup = func() {}
	switch name {
	case "sqlite":
		path := filepath.Join(dir, "bench.db")
		_ = os.Remove(path)
		spec = "sqlite:" + path
	case "postgres":
		t := &tb{}
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%v", r)
			}
		}()
		dsn, _ := storetest.PostgresSchema(t)
		spec = dsn
		cleanup = func() {
			for i := len(t.cleanups) - 1; i >= 0; i-- {
				t.cleanups[i]()
			}
		}
	case "jsonl", "parquet":
		out := filepath.Join(dir, name)
		_ = os.RemoveAll(out)
		spec = name + ":" + out
	case "null":
		// The harness alone: what the batcher and the partition feeders
		// cost, the ceiling any store's figure is measured under.
		return discard{}, "", cleanup, nil
	case "jsonl-gz":
		out := filepath.Join(dir, name)
		_ = os.RemoveAll(out)
		spec = "jsonl:" + out + "?gzip=true"
	default:
		return nil, "", cleanup, fmt.Errorf("unknown store %q", name)
	}
	t, err := target.Parse(spec)
	if err != nil {
		return nil, "", cleanup, err
	}
	st, err = target.Open(ctx, t, target.OpenOptions{})
	if err != nil {
		cleanup()
		return nil, "", func() {}, err
	}
	return st, spec, cleanup, nil
}

// timeQueries reopens a loaded database and runs each query three times,
// reporting the rows and the first and best times.
func timeQueries(ctx context.Context, stdout io.Writer, spec string, queries []string) error {
	if len(queries) == 0 {
		return nil
	}
	t, err := target.Parse(spec)
	if err != nil {
		return err
	}
	st, err := target.Open(ctx, t, target.OpenOptions{NoMigrate: true})
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	for i, q := range queries {
		var first, best time.Duration
		rows := 0
		for run := range 3 {
			start := time.Now()
			n, err := countRows(ctx, st, q)
			if err != nil {
				return fmt.Errorf("example query %d: %w", i+1, err)
			}
			took := time.Since(start)
			if run == 0 {
				first, best, rows = took, took, n
			}
			best = min(best, took)
		}
		say(stdout, "  query %d (%s): %d rows, first %s, best of 3 %s\n", i+1, firstLine(q), rows,
			first.Round(100*time.Microsecond), best.Round(100*time.Microsecond))
	}
	return nil
}

func countRows(ctx context.Context, st store.Store, q string) (int, error) {
	n := 0
	switch s := st.(type) {
	case *sqlite.Store:
		rows, err := s.DB().QueryContext(ctx, q)
		if err != nil {
			return 0, err
		}
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			n++
		}
		return n, rows.Err()
	case *postgres.Store:
		rows, err := s.Pool().Query(ctx, q, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		for rows.Next() {
			n++
		}
		return n, rows.Err()
	}
	return 0, fmt.Errorf("%T runs no queries", st)
}

func firstLine(q string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(q), "\n")
	return strings.TrimSpace(l)
}

// discard is a store that writes nothing.
type discard struct{}

func (discard) Write(context.Context, []store.Record) error { return nil }
func (discard) Close() error                                { return nil }

// say writes a line of the report; a failing stdout is not worth stopping for.
func say(w io.Writer, format string, args ...any) { _, _ = fmt.Fprintf(w, format, args...) }
