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
	"github.com/newsflow/newsflow/pkg/stage"
	"github.com/newsflow/newsflow/services/sink/internal/batch"
	"github.com/newsflow/newsflow/services/sink/internal/handler"
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

const synopsis = `sink: write enriched articles to SQLite, JSON Lines and other stores.

Usage:
  sink --to sqlite:./var/newsflow.db --to jsonl:./var/out [flags]

Each --to is kind:location, optionally name=kind:location; each target
consumes in its own group, newsflow-sink-<name>.`

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
	config.ListVar(fs, &targets, "to", "where to write: sqlite:FILE, jsonl:DIR (repeatable)")
	groupPrefix := fs.String("group-prefix", article.SinkGroupBase, "consumer group prefix; the target name is appended")
	var bc batch.Config
	fs.IntVar(&bc.MaxRecords, "batch-records", 1000, "most records in one write")
	fs.IntVar(&bc.MaxBytes, "batch-bytes", 16<<20, "most bytes in one write")
	fs.DurationVar(&bc.MaxWait, "batch-wait", 200*time.Millisecond, "longest a record waits for its batch to fill")
	var logCfg logging.Config
	fs.StringVar(&logCfg.Level, "log-level", "info", "log level: trace, debug, info, warn, error")
	fs.StringVar(&logCfg.Format, "log-format", "auto", "log format: json, console, or auto (console on a terminal)")
	printConfig := fs.Bool("print-config", false, "print the effective configuration (secrets redacted) and exit")
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
	if err := errors.Join(errs...); err != nil {
		return err
	}
	log, err := logging.New(stderr, "sink", logCfg)
	if err != nil {
		return err
	}

	var wg sync.WaitGroup
	errc := make(chan error, len(parsed))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, t := range parsed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := runTarget(ctx, t, st, conn, bc, *groupPrefix, log); err != nil {
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

func runTarget(ctx context.Context, t target.Target, st stage.Config, conn kafka.ConnConfig, bc batch.Config, groupPrefix string, log zerolog.Logger) error {
	log = log.With().Str("target", t.Name).Logger()
	s, err := target.Open(ctx, t)
	if err != nil {
		return err
	}
	defer s.Close()
	b := batch.New(s, bc, func(stats batch.Stats) {
		ev := log.Debug()
		if stats.Err != nil {
			ev = log.Warn().Err(stats.Err)
		}
		ev.Int("records", stats.Records).Int("written", stats.Written).Dur("took", stats.Duration).Msg("batch")
	})
	defer b.Close()
	st.Name = "sink-" + t.Name
	st.Group = groupPrefix + t.Name
	stg, err := stage.New(st, conn, handler.New(b), nil, nil, log)
	if err != nil {
		return err
	}
	log.Info().Str("group", st.Group).Str("in", st.Topic).Str("store", t.Kind+":"+t.Location).Msg("sink target starting")
	err = stg.Run(ctx)
	log.Info().Msg("sink target stopped")
	return err
}
