// Command ingest turns sources into raw articles and publishes them to
// news.raw.v1, keyed by article id.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/rs/zerolog"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/broker"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/logging"
	"github.com/newsflow/newsflow/services/ingest/internal/files"
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
  ingest [flags] PATH...

Each PATH is a sample-format .txt file, a JSON Lines file of raw articles
(.jsonl), or a directory of them (walked recursively).`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { config.Usage(fs, stderr, synopsis) }
	conn := kafka.ConnConfig{Brokers: []string{"127.0.0.1:9092"}, ClientID: "newsflow-ingest"}
	conn.RegisterFlags(fs)
	topic := fs.String("topic", article.RawTopic, "topic raw articles are published to")
	partitions := fs.Int("partitions", broker.DefaultPartitions, "partitions of the topic if ingest creates it")
	chunk := fs.Int("publish-chunk", 500, "articles per publish call")
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
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no PATH to ingest")
	}
	if *chunk < 1 {
		return errors.New("publish-chunk: must be at least 1")
	}
	log, err := logging.New(stderr, "ingest", logCfg)
	if err != nil {
		return err
	}
	paths, err := files.List(fs.Args())
	if err != nil {
		return err
	}
	admin, err := kafka.NewAdmin(conn)
	if err != nil {
		return err
	}
	err = admin.WaitForBroker(ctx, func(err error) { log.Warn().Err(err).Msg("waiting for the Kafka broker") },
		kafka.TopicSpec{Name: *topic, Partitions: *partitions})
	if err != nil {
		return err
	}
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Conn: conn}, logging.NewWatermill(log))
	if err != nil {
		return err
	}
	defer pub.Close()

	rep := &report{refused: map[string]int{}}
	start := time.Now()
	batch := make([]*message.Message, 0, *chunk)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := pub.Publish(*topic, batch...); err != nil {
			return err
		}
		rep.published += len(batch)
		batch = batch[:0]
		return nil
	}
	for _, path := range paths {
		err := files.Read(path, time.Now().UTC(), func(it files.Item) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if it.Err != nil {
				rep.refuse(log, it)
				return nil
			}
			data, err := article.Encode(it.Article)
			if err != nil {
				rep.refuse(log, files.Item{Where: it.Where, Err: err})
				return nil
			}
			msg := message.NewMessage(watermill.NewUUID(), data)
			msg.Metadata = it.Article.Headers()
			batch = append(batch, msg)
			rep.read++
			if len(batch) >= *chunk {
				return flush()
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("ingesting %s: %w (%d articles published before)", path, err, rep.published)
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("%w (%d articles published before)", err, rep.published)
	}
	rep.print(stdout, len(paths), time.Since(start))
	log.Info().Int("files", len(paths)).Int("published", rep.published).Int("refused", rep.total()).Msg("ingest finished")
	return nil
}

type report struct {
	read, published int
	refused         map[string]int
}

func (r *report) refuse(log zerolog.Logger, it files.Item) {
	reason := article.Reason(it.Err)
	r.refused[reason]++
	log.Warn().Str("where", it.Where).Str("reason", reason).Err(it.Err).Msg("article refused")
}

func (r *report) total() int {
	n := 0
	for _, c := range r.refused {
		n += c
	}
	return n
}

func (r *report) print(w io.Writer, files int, took time.Duration) {
	fmt.Fprintf(w, "ingested %d files in %s: %d articles published, %d refused\n", files, took.Round(time.Millisecond), r.published, r.total())
	reasons := make([]string, 0, len(r.refused))
	for k := range r.refused {
		reasons = append(reasons, k)
	}
	sort.Strings(reasons)
	for _, k := range reasons {
		fmt.Fprintf(w, "  refused %-16s %d\n", k, r.refused[k])
	}
}
