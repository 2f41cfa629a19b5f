// Command enrich consumes raw articles, tags them with language, date,
// entities and sentiment, and publishes enriched articles. `enrich tag` runs
// the same taggers offline over JSON Lines.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/logging"
	"github.com/newsflow/newsflow/pkg/ops"
	"github.com/newsflow/newsflow/pkg/stage"
	"github.com/newsflow/newsflow/services/enrich/internal/handler"
	"github.com/newsflow/newsflow/services/enrich/internal/offline"
	"github.com/newsflow/newsflow/services/enrich/internal/pipeline"
	"github.com/newsflow/newsflow/services/enrich/internal/reprocess"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(os.Stderr, "enrich: %v\n", err)
		}
		os.Exit(1)
	}
}

const synopsis = `enrich: tag raw articles with language, date, entities and sentiment.

Usage:
  enrich [flags]          consume news.raw.v1, publish news.enriched.v1
  enrich tag [flags]      read raw articles as JSON Lines on stdin, write
                          enriched articles as JSON Lines on stdout
  enrich reprocess -enrichment-version V [flags]
                          re-enrich a range of news.raw.v1 side by side with
                          live enrichment, under its own group and version`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "tag" {
		return runTag(ctx, args[1:], getenv, stdin, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "reprocess" {
		return runReprocess(ctx, args[1:], getenv, stdout, stderr)
	}
	return runService(ctx, args, getenv, stdout, stderr)
}

func runTag(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("enrich tag", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { config.Usage(fs, stderr, synopsis) }
	tc := addTaggerFlags(fs)
	workers := fs.Int("workers", 0, "tagging goroutines (0: one per core)")
	version := fs.String("enrichment-version", "", "enrichment version to stamp (default: the built-in version)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file")
	timings := fs.Bool("timings", false, "report the time spent in each tagger on stderr at the end")
	warmup := fs.String("warmup", "", "tag this JSON Lines file first, untimed and unprofiled, its output discarded: models load on first use, so -timings and -cpuprofile then see the steady state")
	if err := config.Parse(fs, args, getenv); err != nil {
		return err
	}
	opts := versionOption(*version)
	var tt *tagTimes
	if *timings {
		tt = &tagTimes{d: map[string]time.Duration{}}
		opts = append(opts, pipeline.WithObserver(tt.observe))
	}
	p, err := newPipeline(*tc, opts...)
	if err != nil {
		return err
	}
	if *warmup != "" {
		if err := warmUp(ctx, p, *warmup, *workers); err != nil {
			return err
		}
		tt.reset()
	}
	stopProfile, err := ops.CPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer func() { _ = stopProfile() }()
	var e offline.Enricher = p
	var cnt *countingEnricher
	if tt != nil {
		cnt = &countingEnricher{Enricher: p}
		e = cnt
	}
	start := time.Now()
	err = offline.Tag(ctx, e, stdin, stdout, stderr, *workers)
	if tt != nil {
		tt.print(stderr)
		fmt.Fprintf(stderr, "articles %d words %d seconds %.3f\n", cnt.articles.Load(), cnt.words.Load(), time.Since(start).Seconds())
	}
	return err
}

// warmUp tags the articles of path and discards the result.
func warmUp(ctx context.Context, p offline.Enricher, path string, workers int) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	defer f.Close()
	if err := offline.Tag(ctx, p, f, io.Discard, io.Discard, workers); err != nil && !errors.Is(err, offline.ErrBadLines) {
		return fmt.Errorf("warm-up with %s: %w", path, err)
	}
	return nil
}

// countingEnricher counts articles and words, for -timings.
type countingEnricher struct {
	offline.Enricher
	articles, words atomic.Int64
}

func (c *countingEnricher) Enrich(a *article.Raw) (*article.Enriched, error) {
	c.articles.Add(1)
	c.words.Add(int64(len(strings.Fields(a.Title)) + len(strings.Fields(a.Body))))
	return c.Enricher.Enrich(a)
}

// tagTimes sums the time each tagger takes, for -timings.
type tagTimes struct {
	mu    sync.Mutex
	d     map[string]time.Duration
	order []string
	n     map[string]int
}

func (t *tagTimes) observe(tagger string, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.d[tagger]; !ok {
		t.order = append(t.order, tagger)
		if t.n == nil {
			t.n = map[string]int{}
		}
	}
	t.d[tagger] += d
	t.n[tagger]++
}

// reset forgets what was observed so far; a nil tagTimes does nothing.
func (t *tagTimes) reset() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.d)
	clear(t.n)
	t.order = nil
}

func (t *tagTimes) print(w io.Writer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var total time.Duration
	for _, d := range t.d {
		total += d
	}
	for _, name := range t.order {
		d := t.d[name]
		fmt.Fprintf(w, "tagger %-10s %10s total %9s/article %5.1f%%\n", name, d.Round(time.Millisecond),
			(d / time.Duration(max(t.n[name], 1))).Round(time.Microsecond), 100*float64(d)/float64(max(total, 1)))
	}
}

func runService(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("enrich", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { config.Usage(fs, stderr, synopsis) }
	conn := kafka.ConnConfig{Brokers: []string{"127.0.0.1:9092"}, ClientID: "newsflow-enrich"}
	conn.RegisterFlags(fs)
	st := stage.Config{Name: "enrich", Topic: article.RawTopic, Group: article.EnrichGroup, MaxInFlight: 16}
	st.RegisterFlags(fs)
	outTopic := fs.String("out-topic", article.EnrichedTopic, "topic enriched articles are published to")
	fs.StringVar(&st.Topic, "in-topic", st.Topic, "topic raw articles are consumed from")
	var logCfg logging.Config
	logCfg.RegisterFlags(fs)
	printConfig := fs.Bool("print-config", false, "print the effective configuration (secrets redacted) and exit")
	var opsCfg ops.Config
	opsCfg.RegisterFlags(fs, ":9102")
	stuckAfter := fs.Duration("stuck-after", 5*time.Minute, "a partition with lag and no progress for this long fails /healthz")
	tc := addTaggerFlags(fs)
	version := fs.String("enrichment-version", "", "enrichment version to stamp (default: the built-in version)")
	if err := config.Parse(fs, args, getenv); err != nil {
		return err
	}
	if err := conn.Validate(); err != nil {
		return err
	}
	if *printConfig {
		config.Print(fs, stdout)
		return nil
	}
	log, err := logging.New(stderr, "enrich", logCfg)
	if err != nil {
		return err
	}
	// With no -http-addr there is nobody to read metrics: skip them all,
	// which is also how their cost is measured.
	instrumented := opsCfg.Addr != ""
	srv := ops.NewServer(opsCfg, log)
	opts := versionOption(*version)
	if instrumented {
		tm, err := ops.NewTaggerMetrics(srv.Registry())
		if err != nil {
			return err
		}
		opts = append(opts, pipeline.WithObserver(tm.Observe))
	}
	p, err := newPipeline(*tc, opts...)
	if err != nil {
		return err
	}
	// The entity models load before the group is joined: loaded on first
	// use, they held up a new worker's first articles (pipebench -rate
	// 200, interleaved on one host: latency p99 0.91 and 1.37 s without,
	// 0.23 and 0.38 s with).
	loadStart := time.Now()
	if err := p.Load(); err != nil {
		return err
	}
	log.Info().Dur("took", time.Since(loadStart)).Msg("models loaded")
	var h *handler.Handler
	s, err := stage.New(st, conn, func(msg *message.Message) error { return h.Handle(msg) }, nil, nil, log, *outTopic)
	if err != nil {
		return err
	}
	h = handler.New(p, s.Publisher(), *outTopic)
	if instrumented {
		if err := s.Instrument(srv, *stuckAfter); err != nil {
			return err
		}
		h.Processed = s.Metrics().Processed
	}
	if _, err := srv.Listen(); err != nil {
		return err
	}
	log.Info().Strs("brokers", conn.Brokers).Str("group", st.Group).Str("in", st.Topic).Str("out", *outTopic).
		Str("enrichment_version", p.Version()).Msg("enrich starting")
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Run(ctx) }()
	err = s.Run(ctx)
	cancel()
	if serr := <-srvDone; err == nil {
		err = serr
	}
	log.Info().Msg("enrich stopped")
	return err
}

func runReprocess(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("enrich reprocess", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { config.Usage(fs, stderr, synopsis) }
	conn := kafka.ConnConfig{Brokers: []string{"127.0.0.1:9092"}, ClientID: "newsflow-reprocess"}
	conn.RegisterFlags(fs)
	cfg := reprocess.Config{Topic: article.RawTopic, OutTopic: article.EnrichedTopic}
	fs.StringVar(&cfg.Topic, "in-topic", cfg.Topic, "topic raw articles are read from")
	fs.StringVar(&cfg.OutTopic, "out-topic", cfg.OutTopic, "topic enriched articles are published to")
	fs.StringVar(&cfg.Group, "group", "", "consumer group of the run (default newsflow-enrich-reprocess-<version>)")
	from := fs.String("from-time", "", "start at the first article ingested at or after this RFC 3339 time (default: the beginning)")
	until := fs.String("until-time", "", "stop before the first article ingested at or after this RFC 3339 time (default: the end offsets at start)")
	fs.Float64Var(&cfg.Rate, "rate", 0, "articles per second at most (0: as fast as possible)")
	fs.IntVar(&cfg.Workers, "workers", runtime.GOMAXPROCS(0)*2, "partitions reprocessed at once")
	fs.DurationVar(&cfg.Every, "progress", 2*time.Second, "how often progress is printed")
	var logCfg logging.Config
	logCfg.RegisterFlags(fs)
	tc := addTaggerFlags(fs)
	version := fs.String("enrichment-version", "", "enrichment version to stamp (required; newer than the live one so sinks replace)")
	if err := config.Parse(fs, args, getenv); err != nil {
		return err
	}
	var errs []error
	if *version == "" {
		errs = append(errs, errors.New("enrichment-version: required, so the sinks can tell the new tags from the old"))
	}
	var err error
	if *from != "" {
		if cfg.From, err = time.Parse(time.RFC3339, *from); err != nil {
			errs = append(errs, fmt.Errorf("from-time: %w", err))
		}
	}
	if *until != "" {
		if cfg.Until, err = time.Parse(time.RFC3339, *until); err != nil {
			errs = append(errs, fmt.Errorf("until-time: %w", err))
		}
	}
	if cfg.Rate < 0 {
		errs = append(errs, errors.New("rate: must not be negative"))
	}
	errs = append(errs, conn.Validate())
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if cfg.Group == "" {
		cfg.Group = article.EnrichGroup + "-reprocess-" + *version
	}
	log, err := logging.New(stderr, "enrich-reprocess", logCfg)
	if err != nil {
		return err
	}
	p, err := newPipeline(*tc, pipeline.WithVersion(*version))
	if err != nil {
		return err
	}
	admin, err := kafka.NewAdmin(conn)
	if err != nil {
		return err
	}
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Conn: conn}, logging.NewWatermill(log))
	if err != nil {
		return err
	}
	defer func() { _ = pub.Close() }()
	fmt.Fprintf(stdout, "reprocessing %s into %s as version %s, group %s\n", cfg.Topic, cfg.OutTopic, *version, cfg.Group)
	sum, err := reprocess.Run(ctx, admin, pub, p, cfg, stdout, log)
	sum.Report(stdout)
	if err != nil && ctx.Err() != nil {
		fmt.Fprintln(stdout, "interrupted; run the same command again to resume")
		return nil
	}
	return err
}
