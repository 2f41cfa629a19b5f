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
	"syscall"

	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/services/enrich/internal/offline"
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
                          enriched articles as JSON Lines on stdout`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "tag" {
		return runTag(ctx, args[1:], getenv, stdin, stdout, stderr)
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
	if err := config.Parse(fs, args, getenv); err != nil {
		return err
	}
	p, err := newPipeline(*tc, versionOption(*version)...)
	if err != nil {
		return err
	}
	return offline.Tag(ctx, p, stdin, stdout, stderr, *workers)
}

func runService(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("not yet")
}
