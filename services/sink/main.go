// Command sink consumes enriched articles and writes them to SQLite,
// PostgreSQL, JSON Lines or Parquet. Each target is its own consumer group.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/logging"
	"github.com/newsflow/newsflow/pkg/ops"
	"github.com/newsflow/newsflow/pkg/stage"
	"github.com/newsflow/newsflow/services/sink/internal/batch"
	"github.com/newsflow/newsflow/services/sink/internal/handler"
	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/target"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(os.Stderr, "sink: %v\n", err)
		}
		os.Exit(1)
	}
}

const synopsis = `sink: write enriched articles to SQLite, PostgreSQL, JSON Lines and Parquet.

Usage:
  sink --to sqlite:./var/newsflow.db --to jsonl:./var/out [flags]
  sink --to postgres://sink@db/news --migrate-only

Each --to is kind:location, optionally name=kind:location; each target
consumes in its own group, newsflow-sink-<name>. Kinds:
  sqlite:FILE                  SQLite database (WAL, one writer)
  postgres://... postgresql://... PostgreSQL; PGPASSWORD/PGPASSFILE supply the password
  jsonl:DIR[?options]          JSON Lines files by date, partition and offset range
  parquet:DIR[?options]        Parquet files, same layout
File options: gzip=true (jsonl), max_bytes=64MiB, max_age=1m, max_open=64.`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sink", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { config.Usage(fs, stderr, synopsis) }
	conn := kafka.ConnConfig{Brokers: []string{"127.0.0.1:9092"}, ClientID: "newsflow-sink"}
	conn.RegisterFlags(fs)
	st := stage.Config{Topic: article.EnrichedTopic, MaxInFlight: 256}
	st.RegisterFlags(fs)
	fs.StringVar(&st.Topic, "in-topic", st.Topic, "topic enriched articles are consumed from")
	targets := []string{"sqlite:./var/newsflow.db"}
	config.ListVar(fs, &targets, "to", "where to write: sqlite:FILE, postgres://..., jsonl:DIR, parquet:DIR (repeatable)")
	migrate := fs.Bool("migrate", true, "apply pending database migrations at start; false refuses to start with a schema that is behind")
	migrateOnly := fs.Bool("migrate-only", false, "apply pending database migrations and exit (run as the migration role)")
	groupPrefix := fs.String("group-prefix", article.SinkGroupBase, "consumer group prefix; the target name is appended")
	var bc batch.Config
	fs.IntVar(&bc.MaxRecords, "batch-records", 1000, "most records in one write")
	fs.IntVar(&bc.MaxBytes, "batch-bytes", 16<<20, "most bytes in one write")
	fs.DurationVar(&bc.MaxWait, "batch-wait", 200*time.Millisecond, "longest a record waits for its batch to fill")
	fs.IntVar(&bc.Writers, "batch-writers", 0, "batches written at once per target (default: 2 for PostgreSQL, 1 for the others, which have one writer)")
	var logCfg logging.Config
	logCfg.RegisterFlags(fs)
	printConfig := fs.Bool("print-config", false, "print the effective configuration (secrets redacted) and exit")
	var opsCfg ops.Config
	opsCfg.RegisterFlags(fs, ":9103")
	stuckAfter := fs.Duration("stuck-after", 5*time.Minute, "a partition with lag and no progress for this long fails /healthz")
	if err := config.Parse(fs, args, getenv); err != nil {
		return err
	}
	if *printConfig {
		config.Print(fs, stdout)
		return nil
	}
	var parsed []target.Target
	var errs []error
	names := map[string]bool{}
	for _, spec := range targets {
		t, err := target.Parse(spec)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if names[t.Name] {
			errs = append(errs, fmt.Errorf("two targets are named %q: name one with name=kind:location", t.Name))
		}
		names[t.Name] = true
		parsed = append(parsed, t)
	}
	if len(parsed) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("to: at least one target is required"))
	}
	errs = append(errs, conn.Validate())
	if err := errors.Join(errs...); err != nil {
		return err
	}
	log, err := logging.New(stderr, "sink", logCfg)
	if err != nil {
		return err
	}

	openOpts := target.OpenOptions{NoMigrate: !*migrate}
	if *migrateOnly {
		return migrateTargets(ctx, parsed, openOpts, stdout)
	}

	srv := ops.NewServer(opsCfg, log)
	bm, err := ops.NewBatchMetrics(srv.Registry())
	if err != nil {
		return err
	}
	if _, err := srv.Listen(); err != nil {
		return err
	}
	var wg sync.WaitGroup
	errc := make(chan error, len(parsed))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-srvDone; err != nil {
			log.Warn().Err(err).Msg("stopping the ops server")
		}
	}()
	tops := targetOps{srv: srv, batches: bm, stuckAfter: *stuckAfter}
	for _, t := range parsed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := runTarget(ctx, t, openOpts, st, conn, bc, *groupPrefix, tops, log); err != nil {
				errc <- fmt.Errorf("target %s: %w", t, err)
				cancel() // one failing target stops the process; restarts are the supervisor's job
			}
		}()
	}
	wg.Wait()
	close(errc)
	var runErrs []error
	for err := range errc {
		runErrs = append(runErrs, err)
	}
	return errors.Join(runErrs...)
}

// migrateTargets opens each database target, which applies its pending
// migrations, and closes it again.
func migrateTargets(ctx context.Context, targets []target.Target, o target.OpenOptions, stdout io.Writer) error {
	if o.NoMigrate {
		return errors.New("-migrate-only and -migrate=false contradict each other")
	}
	for _, t := range targets {
		if t.Kind != target.SQLite && t.Kind != target.Postgres {
			continue
		}
		s, err := target.Open(ctx, t, o)
		if err != nil {
			return fmt.Errorf("target %s: %w", t, err)
		}
		if err := s.Close(); err != nil {
			return fmt.Errorf("target %s: %w", t, err)
		}
		if _, err := fmt.Fprintf(stdout, "%s: schema up to date\n", t); err != nil {
			return err
		}
	}
	return nil
}

// openStore opens a target's store, waiting while it is unreachable (a
// database that is not up yet), as the stage waits for the broker.
func openStore(ctx context.Context, t target.Target, o target.OpenOptions, log zerolog.Logger) (store.Store, error) {
	pause := 500 * time.Millisecond
	for {
		s, err := target.Open(ctx, t, o)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, store.ErrUnavailable) {
			return nil, err
		}
		log.Warn().Err(err).Dur("retry_in", pause).Msg("store unavailable, waiting")
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 30*time.Second)
	}
}

// targetOps is what each target registers its metrics and checks on.
type targetOps struct {
	srv        *ops.Server
	batches    *ops.BatchMetrics
	stuckAfter time.Duration
}

func runTarget(ctx context.Context, t target.Target, o target.OpenOptions, st stage.Config, conn kafka.ConnConfig, bc batch.Config, groupPrefix string, tops targetOps, log zerolog.Logger) error {
	log = log.With().Str("target", t.Name).Logger()
	tops.srv.Ready("store-"+t.Name, func(context.Context) error { return errors.New("not open yet") })
	s, err := openStore(ctx, t, o, log)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer func() {
		if err := s.Close(); err != nil {
			log.Error().Err(err).Msg("closing the store")
		}
	}()
	if bc.Writers <= 0 {
		bc.Writers = 1
		if t.Kind == target.Postgres {
			bc.Writers = 2
		}
	}
	if t.Kind != target.Postgres {
		bc.Writers = 1 // SQLite and the file stores write one batch at a time anyway
	}
	storeReady := func(context.Context) error { return nil }
	if p, ok := s.(store.Pinger); ok {
		storeReady = p.Ping
	}
	tops.srv.Ready("store-"+t.Name, storeReady)
	logFlush := flushLogger(log)
	instrumented := tops.srv.Addr() != ""
	b := batch.New(s, bc, func(stats batch.Stats) {
		if instrumented {
			tops.batches.Observe(t.Name, stats.Records, stats.Written, stats.Duration, stats.Err)
		}
		logFlush(stats)
	})
	defer b.Close()
	st.Name = "sink-" + t.Name
	st.Group = groupPrefix + t.Name
	processed := func(time.Time) {}
	stg, err := stage.New(st, conn, handler.New(b, func(at time.Time) { processed(at) }), nil, nil, log)
	if err != nil {
		return err
	}
	// With no -http-addr there is nobody to read metrics: skip them.
	if instrumented {
		if err := stg.Instrument(tops.srv, tops.stuckAfter, storeReady); err != nil {
			return err
		}
		processed = stg.Metrics().Processed
	}
	log.Info().Str("group", st.Group).Str("in", st.Topic).Str("store", t.Describe()).Msg("sink target starting")
	err = stg.Run(ctx)
	log.Info().Msg("sink target stopped")
	return err
}

// flushLogger reports batches: each at debug level, a store failure once
// when it starts and then at most every 10 seconds with the count of failed
// batches and records, and the recovery.
func flushLogger(log zerolog.Logger) func(batch.Stats) {
	var failing bool
	var since, lastLog time.Time
	var batches, records int
	return func(s batch.Stats) {
		if s.Err == nil {
			if failing {
				log.Info().Int("failed_batches", batches).Int("failed_records", records).Dur("down_for", time.Since(since)).Msg("store writes succeed again")
				failing, batches, records = false, 0, 0
			}
			ev := log.Debug()
			if s.Rejected > 0 {
				ev = log.Warn()
			}
			ev.Int("records", s.Records).Int("written", s.Written).Int("rejected", s.Rejected).Dur("took", s.Duration).Msg("batch")
			return
		}
		batches++
		records += s.Records
		now := time.Now()
		if !failing {
			failing, since, lastLog = true, now, now
			log.Warn().Err(s.Err).Int("records", s.Records).Msg("store write failed; the batch is retried and offsets are not committed")
			return
		}
		if now.Sub(lastLog) >= 10*time.Second {
			lastLog = now
			log.Warn().Err(s.Err).Int("failed_batches", batches).Int("failed_records", records).Dur("failing_for", now.Sub(since)).Msg("store still failing")
		}
	}
}
