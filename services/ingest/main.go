// Command ingest turns sources into raw articles and publishes them to
// news.raw.v1, keyed by article id: files once (with a resumable
// checkpoint), feeds followed live, an HTTP endpoint, and a watched folder.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/broker"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/logging"
	"github.com/newsflow/newsflow/pkg/ops"
	"github.com/newsflow/newsflow/services/ingest/internal/bulk"
	"github.com/newsflow/newsflow/services/ingest/internal/files"
	"github.com/newsflow/newsflow/services/ingest/internal/publish"
	"github.com/newsflow/newsflow/services/ingest/internal/server"
	"github.com/newsflow/newsflow/services/ingest/internal/watch"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(os.Stderr, "ingest: %v\n", err)
		}
		os.Exit(1)
	}
}

const synopsis = `ingest: publish articles to news.raw.v1.

Usage:
  ingest [files] [flags] PATH...   publish files once; -checkpoint makes a backfill resumable
  ingest feeds [flags]             follow RSS, Atom and JSON feeds (-feeds FILE, -feed URL)
  ingest serve [flags]             accept articles on POST /v1/articles
  ingest watch [flags] DIR         ingest files dropped into DIR

Each PATH is a sample-format .txt file, a JSON Lines file (.jsonl, .ndjson)
of raw articles in our schema or with news-please's field names, or a
directory of them (walked recursively). "ingest COMMAND -h" lists a
command's flags.`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "files"
	if len(args) > 0 {
		switch args[0] {
		case "files", "feeds", "serve", "watch":
			cmd, args = args[0], args[1:]
		case "help", "-h", "-help", "--help":
			_, _ = fmt.Fprintln(stderr, synopsis)
			return flag.ErrHelp
		}
	}
	switch cmd {
	case "feeds":
		return runFeeds(ctx, args, getenv, stdout, stderr)
	case "serve":
		return runServe(ctx, args, getenv, stdout, stderr)
	case "watch":
		return runWatch(ctx, args, getenv, stdout, stderr)
	}
	return runFiles(ctx, args, getenv, stdout, stderr)
}

// common are the settings every command has: the broker, the topic, logs.
type common struct {
	fs          *flag.FlagSet
	conn        kafka.ConnConfig
	topic       string
	partitions  int
	chunk       int
	compression string
	log         logging.Config
	printConfig bool
	opsCfg      ops.Config
	ops         *ops.Server
}

func newCommon(name, usage string, stderr io.Writer) *common {
	c := &common{conn: kafka.ConnConfig{Brokers: []string{"127.0.0.1:9092"}, ClientID: "newsflow-ingest"}}
	c.fs = flag.NewFlagSet("ingest "+name, flag.ContinueOnError)
	c.fs.SetOutput(stderr)
	c.fs.Usage = func() { config.Usage(c.fs, stderr, usage) }
	c.conn.RegisterFlags(c.fs)
	c.fs.StringVar(&c.topic, "topic", article.RawTopic, "topic raw articles are published to")
	c.fs.IntVar(&c.partitions, "partitions", broker.DefaultPartitions, "partitions of the topic if ingest creates it")
	c.fs.IntVar(&c.chunk, "publish-chunk", 1000, "articles per produce call")
	c.fs.StringVar(&c.compression, "publish-compression", "", "produce compression: none, gzip, snappy, lz4, zstd")
	c.log.RegisterFlags(c.fs)
	c.fs.BoolVar(&c.printConfig, "print-config", false, "print the effective configuration (secrets redacted) and exit")
	def := ":9101" // long-running commands serve metrics by default
	if name == "files" {
		def = ""
	}
	c.opsCfg.RegisterFlags(c.fs, def)
	return c
}

// parse reads flags and environment; done is true when the command should
// stop here (the configuration was printed).
func (c *common) parse(args []string, getenv func(string) string, stdout io.Writer) (done bool, err error) {
	if err := config.Parse(c.fs, args, getenv); err != nil {
		return false, err
	}
	if c.printConfig {
		config.Print(c.fs, stdout)
		return true, nil
	}
	if c.chunk < 1 {
		return false, errors.New("publish-chunk: must be at least 1")
	}
	return false, nil
}

// connect waits for the broker, makes sure the topic exists and builds the
// publisher. close releases it.
func (c *common) connect(ctx context.Context, log zerolog.Logger) (*publish.Kafka, *kafka.Admin, func(), error) {
	admin, err := kafka.NewAdmin(c.conn)
	if err != nil {
		return nil, nil, nil, err
	}
	err = admin.WaitForBroker(ctx, func(err error) { log.Warn().Err(err).Msg("waiting for the Kafka broker") },
		kafka.TopicSpec{Name: c.topic, Partitions: c.partitions})
	if err != nil {
		return nil, nil, nil, err
	}
	// Batches stay under Kafka's default max.message.bytes (1 MiB): a
	// bigger produce batch is refused whole by the broker.
	kp, err := kafka.NewPublisher(kafka.PublisherConfig{Conn: c.conn, Compression: c.compression, BatchSize: c.chunk, BatchBytes: 1_000_000}, logging.NewWatermill(log))
	if err != nil {
		return nil, nil, nil, err
	}
	pub, err := publish.New(publish.Config{Topic: c.topic, Chunk: c.chunk}, kp)
	if err != nil {
		_ = kp.Close()
		return nil, nil, nil, err
	}
	stopOps, err := c.serveOps(ctx, log, pub, admin)
	if err != nil {
		_ = kp.Close()
		return nil, nil, nil, err
	}
	return pub, admin, func() { stopOps(); _ = kp.Close() }, nil
}

// serveOps serves /metrics, /healthz and /readyz on -http-addr, with the
// articles published and, once a feed poller registers them, feed metrics.
func (c *common) serveOps(ctx context.Context, log zerolog.Logger, pub *publish.Kafka, admin *kafka.Admin) (func(), error) {
	c.ops = ops.NewServer(c.opsCfg, log)
	c.ops.Ready("kafka", func(ctx context.Context) error {
		_, err := admin.Partitions(ctx, c.topic)
		return err
	})
	c.ops.Live("process", func(context.Context) error { return nil })
	c.ops.Registry().MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: ops.Namespace, Name: "ingest_published_total", Help: "Articles ingest published and Kafka acknowledged.",
	}, func() float64 { return float64(pub.Published()) }))
	if _, err := c.ops.Listen(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = c.ops.Run(ctx) }()
	return func() { cancel(); <-done }, nil
}

func runFiles(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := newCommon("files", synopsis, stderr)
	var cfg bulk.Config
	c.fs.StringVar(&cfg.Checkpoint, "checkpoint", "", "checkpoint file: records how far each file is published, so a rerun resumes (empty: none)")
	c.fs.IntVar(&cfg.Workers, "workers", 4, "batches decoded and published at once")
	c.fs.IntVar(&cfg.Batch, "batch", 1000, "lines per batch")
	progress := c.fs.String("progress", "auto", "progress bar on stderr: auto (on a terminal), always, never")
	if done, err := c.parse(args, getenv, stdout); done || err != nil {
		return err
	}
	if c.fs.NArg() == 0 {
		c.fs.Usage()
		return errors.New("no PATH to ingest")
	}
	switch *progress {
	case "always":
		cfg.Progress = stderr
	case "auto":
		if f, ok := stderr.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
			cfg.Progress = stderr
		}
	case "never":
	default:
		return fmt.Errorf("progress %q: want auto, always or never", *progress)
	}
	log, err := logging.New(stderr, "ingest", c.log)
	if err != nil {
		return err
	}
	paths, err := files.List(c.fs.Args())
	if err != nil {
		return err
	}
	pub, _, closePub, err := c.connect(ctx, log)
	if err != nil {
		return err
	}
	defer closePub()
	rep, err := bulk.Run(ctx, cfg, paths, pub, log)
	if rep != nil {
		printReport(stdout, rep)
		log.Info().Int("files", rep.Files).Int64("published", rep.Published).Int64("refused", rep.RefusedTotal()).Msg("ingest finished")
	}
	if err != nil {
		if ctx.Err() != nil {
			err = errors.New("interrupted")
		}
		if cfg.Checkpoint != "" {
			return fmt.Errorf("%w; the checkpoint %s holds what was published: run the same command again to resume", err, cfg.Checkpoint)
		}
		return err
	}
	return nil
}

func printReport(w io.Writer, r *bulk.Report) {
	rate := 0.0
	if s := r.Took.Seconds(); s > 0 {
		rate = float64(r.Published) / s
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ingested %d files in %s: %d articles published, %d refused (%.0f articles/s)\n",
		r.Files, r.Took.Round(time.Millisecond), r.Published, r.RefusedTotal(), rate)
	if r.SkippedFiles > 0 || r.ResumedLines > 0 {
		fmt.Fprintf(&b, "  resumed: %d files already done, %d lines published by an earlier run\n", r.SkippedFiles, r.ResumedLines)
	}
	reasons := make([]string, 0, len(r.Refused))
	for k := range r.Refused {
		reasons = append(reasons, k)
	}
	sort.Strings(reasons)
	for _, k := range reasons {
		fmt.Fprintf(&b, "  refused %-16s %d\n", k, r.Refused[k])
	}
	_, _ = io.WriteString(w, b.String())
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := newCommon("serve", "ingest serve: accept raw articles on POST /v1/articles (one JSON article, a JSON array, or NDJSON).", stderr)
	var cfg server.Config
	c.fs.StringVar(&cfg.Addr, "listen", "127.0.0.1:8080", "address to listen on")
	tokenFile := c.fs.String("token-file", "", "file holding the bearer token clients must send (empty: no auth)")
	c.fs.StringVar(&cfg.Token, "token", "", "bearer token clients must send (prefer -token-file)")
	c.fs.Int64Var(&cfg.MaxBody, "max-body", 16<<20, "largest request body in bytes (413 above)")
	c.fs.IntVar(&cfg.MaxItems, "max-items", 5000, "most articles per request (413 above)")
	c.fs.IntVar(&cfg.MaxInFlight, "max-in-flight", 8, "requests publishing at once (503 when full)")
	c.fs.DurationVar(&cfg.QueueWait, "queue-wait", 250*time.Millisecond, "how long a request waits for a publishing slot before 503")
	c.fs.DurationVar(&cfg.PublishTimeout, "publish-timeout", 30*time.Second, "how long to wait for Kafka's acknowledgement before 503")
	c.fs.StringVar(&cfg.SourceName, "source-name", "api", "source name of articles that do not give one")
	grace := c.fs.Duration("shutdown-timeout", 20*time.Second, "how long shutdown waits for requests in flight")
	if done, err := c.parse(args, getenv, stdout); done || err != nil {
		return err
	}
	if *tokenFile != "" {
		data, err := os.ReadFile(*tokenFile)
		if err != nil {
			return fmt.Errorf("token-file: %w", err)
		}
		cfg.Token = strings.TrimSpace(string(data))
	}
	log, err := logging.New(stderr, "ingest", c.log)
	if err != nil {
		return err
	}
	pub, admin, closePub, err := c.connect(ctx, log)
	if err != nil {
		return err
	}
	defer closePub()
	ready := func(ctx context.Context) error {
		_, err := admin.Partitions(ctx, c.topic)
		return err
	}
	srv, err := server.New(cfg, pub, ready, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	_, _ = fmt.Fprintf(stdout, "ingest serving POST http://%s/v1/articles\n", ln.Addr())
	log.Info().Str("addr", ln.Addr().String()).Bool("auth", cfg.Token != "").Msg("HTTP endpoint listening")
	return srv.Run(ctx, ln, *grace)
}

func runWatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := newCommon("watch", "ingest watch DIR: publish sample-format .txt and .jsonl files dropped into DIR, then move them to DIR/done or DIR/failed.", stderr)
	var cfg watch.Config
	c.fs.DurationVar(&cfg.Settle, "settle", 2*time.Second, "a file unchanged this long is complete")
	c.fs.DurationVar(&cfg.Scan, "scan", time.Second, "how often the folder is looked at")
	c.fs.IntVar(&cfg.Bulk.Workers, "workers", 4, "batches decoded and published at once")
	if done, err := c.parse(args, getenv, stdout); done || err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		c.fs.Usage()
		return errors.New("watch takes one DIR")
	}
	cfg.Dir = c.fs.Arg(0)
	log, err := logging.New(stderr, "ingest", c.log)
	if err != nil {
		return err
	}
	pub, _, closePub, err := c.connect(ctx, log)
	if err != nil {
		return err
	}
	defer closePub()
	w, err := watch.New(cfg, pub, log)
	if err != nil {
		return err
	}
	_, _ = fmt.Fprintf(stdout, "ingest watching %s (done/ and failed/ inside it)\n", cfg.Dir)
	return w.Run(ctx)
}
