// Command pipebench measures the whole local pipeline: it starts the
// embedded broker (on disk), enrich and sink as processes, writes N generated
// articles as JSON Lines, ingests them, and times until every sink has
// committed the last one.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/newsflow/newsflow/e2e/gen"
	"github.com/newsflow/newsflow/e2e/harness"
	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/broker"
)

func main() {
	n := flag.Int("n", 10000, "articles to push through")
	size := flag.Int("size", 3000, "approximate body size in bytes")
	targets := flag.String("to", "sqlite,jsonl", "sink targets: sqlite, jsonl (comma-separated)")
	seed := flag.Uint64("seed", 1, "generator seed")
	keep := flag.Bool("keep", false, "keep the working directory")
	enrichArgs := flag.String("enrich-args", "", "extra flags for enrich, space-separated")
	genOnly := flag.String("gen", "", "only write the generated articles to this JSON Lines file")
	flag.Parse()
	if *genOnly != "" {
		if err := write(*genOnly, *n, *size, *seed); err != nil {
			fmt.Fprintln(os.Stderr, "pipebench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*n, *size, strings.Split(*targets, ","), *seed, *keep, strings.Fields(*enrichArgs)); err != nil {
		fmt.Fprintln(os.Stderr, "pipebench:", err)
		os.Exit(1)
	}
}

func run(n, size int, targets []string, seed uint64, keep bool, enrichArgs []string) error {
	dir, err := os.MkdirTemp("", "newsflow-pipebench-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	bin := filepath.Join(dir, "bin")
	fmt.Printf("building services...\n")
	if err := harness.Build(bin); err != nil {
		return err
	}
	input := filepath.Join(dir, "articles.jsonl")
	if err := write(input, n, size, seed); err != nil {
		return err
	}
	s, err := harness.Start(dir, bin, broker.Config{})
	if err != nil {
		return err
	}
	defer s.Close()

	sinkArgs := []string{}
	groups := map[string]string{article.EnrichGroup: article.RawTopic}
	for _, t := range targets {
		switch t {
		case "sqlite":
			sinkArgs = append(sinkArgs, "-to", "sqlite:"+filepath.Join(dir, "newsflow.db"))
		case "jsonl":
			sinkArgs = append(sinkArgs, "-to", "jsonl:"+filepath.Join(dir, "out"))
		default:
			return fmt.Errorf("unknown target %q", t)
		}
		groups[article.SinkGroupBase+t] = article.EnrichedTopic
	}
	if _, err := s.StartService("enrich", "enrich", enrichArgs...); err != nil {
		return err
	}
	if _, err := s.StartService("sink", "sink", sinkArgs...); err != nil {
		return err
	}
	// Let both join their groups before the clock starts.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	if err := s.WaitCaughtUp(ctx, nil, groups); err != nil {
		cancel()
		return err
	}
	cancel()
	time.Sleep(2 * time.Second)

	start := time.Now()
	report, err := s.Ingest(input)
	if err != nil {
		return err
	}
	ingested := time.Since(start)
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	err = s.WaitCaughtUp(ctx, map[string]int64{article.RawTopic: int64(n), article.EnrichedTopic: int64(n)}, groups)
	total := time.Since(start)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, s.Logs(3000))
	}
	fmt.Print(report)
	fmt.Printf("articles: %d of ~%d bytes, sinks: %s\n", n, size, strings.Join(targets, ", "))
	fmt.Printf("ingest:   %6.0f articles/s (%s)\n", float64(n)/ingested.Seconds(), ingested.Round(time.Millisecond))
	fmt.Printf("pipeline: %6.0f articles/s end to end (%s from first publish to last commit of every sink)\n", float64(n)/total.Seconds(), total.Round(time.Millisecond))
	return nil
}

func write(path string, n, size int, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	g := gen.New(seed)
	for range n {
		data, err := json.Marshal(g.Article(size))
		if err != nil {
			return err
		}
		w.Write(data)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
