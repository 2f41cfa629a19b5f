// Command scalebench measures how enrichment scales and what replays cost:
//
//   - enrichment throughput of one worker on one core, two workers on one
//     core each, and one worker using both cores (concurrency inside one
//     process), each over the same pre-filled raw topic;
//   - the pause a rebalance causes: a worker joins mid-stream and the longest
//     stretch without any output is measured;
//   - replay throughput: `enrich reprocess` over the whole topic.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/newsflow/newsflow/e2e/benchresult"
	"github.com/newsflow/newsflow/e2e/gen"
	"github.com/newsflow/newsflow/e2e/harness"
	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/broker"
)

// worker is an enrich process and its GOMAXPROCS.
type worker struct {
	name  string
	procs string
}

// Result is one configuration's figure.
type Result = benchresult.Scale

func main() {
	n := flag.Int("n", 4000, "articles per enrichment run")
	replayN := flag.Int("replay-n", 100000, "articles for the replay run")
	size := flag.Int("size", 3600, "approximate body size in bytes (about 600 words)")
	taggers := flag.String("taggers", "language,date,entities,sentiment", "enrich -taggers for the scaling runs")
	replayTaggers := flag.String("replay-taggers", "none", "enrich -taggers for the replay run")
	out := flag.String("json", "", "write the results as JSON to this file")
	flag.Parse()
	res, err := run(*n, *replayN, *size, *taggers, *replayTaggers)
	for _, r := range res {
		fmt.Printf("%-48s %7d articles %8.1f s %8.1f articles/s", r.Name, r.Articles, r.Seconds, r.Rate)
		if r.Pause > 0 {
			fmt.Printf("  longest pause %.2f s", r.Pause)
		}
		fmt.Println()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scalebench:", err)
		os.Exit(1)
	}
	if *out != "" {
		data, _ := json.MarshalIndent(res, "", "  ")
		_ = os.WriteFile(*out, data, 0o644)
	}
}

func run(n, replayN, size int, taggers, replayTaggers string) ([]Result, error) {
	dir, err := os.MkdirTemp("", "newsflow-scalebench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bin")
	if err := harness.Build(bin); err != nil {
		return nil, err
	}
	input := filepath.Join(dir, "articles.jsonl")
	if err := writeArticles(input, n, size); err != nil {
		return nil, err
	}
	replayInput := filepath.Join(dir, "replay.jsonl")
	if err := writeArticles(replayInput, replayN, size); err != nil {
		return nil, err
	}
	var results []Result
	configs := []struct {
		name    string
		workers []worker
		join    *worker // a worker that joins at a third of the run
	}{
		{name: "1 worker, 1 core (GOMAXPROCS=1)", workers: []worker{{"w1", "1"}}},
		{name: "2 workers, 1 core each", workers: []worker{{"w1", "1"}, {"w2", "1"}}},
		{name: "1 worker, 2 cores (partitions in parallel)", workers: []worker{{"w1", "2"}}},
		{name: "1 worker, 2 cores; a 2nd joins mid-stream", workers: []worker{{"w1", "2"}}, join: &worker{"w2", "2"}},
	}
	for _, c := range configs {
		s, err := harness.Start(filepath.Join(dir, fmt.Sprint(len(results))), bin, broker.Config{})
		if err != nil {
			return results, err
		}
		if _, err := s.Ingest(input); err != nil {
			s.Close()
			return results, err
		}
		start := time.Now()
		for _, w := range c.workers {
			s.Env = []string{"GOMAXPROCS=" + w.procs}
			if _, err := s.StartService(w.name, "enrich", "-taggers", taggers); err != nil {
				s.Close()
				return results, err
			}
		}
		r, err := watch(s, n, start, c.join, taggers)
		s.Close()
		if err != nil {
			return results, err
		}
		r.Name = c.name
		results = append(results, r)
	}

	// Replay: fill a topic with replayN articles, then time enrich reprocess.
	s, err := harness.Start(filepath.Join(dir, "replay"), bin, broker.Config{})
	if err != nil {
		return results, err
	}
	defer s.Close()
	if _, err := s.Ingest(replayInput); err != nil {
		return results, err
	}
	start := time.Now()
	out, err := s.Run("enrich", "reprocess", "-enrichment-version", "9.9.9", "-taggers", replayTaggers, "-progress", "0")
	took := time.Since(start)
	if err != nil {
		return results, err
	}
	if !strings.Contains(out, fmt.Sprintf("reprocessed %d of %d articles", replayN, replayN)) {
		return results, fmt.Errorf("the replay did not account for every article:\n%s", out)
	}
	results = append(results, Result{Name: "replay (enrich reprocess, taggers " + replayTaggers + ")", Articles: replayN,
		Seconds: took.Seconds(), Rate: float64(replayN) / took.Seconds()})
	return results, nil
}

// watch waits until the enrich group has processed n articles, starting the
// joining worker at a third, and measures the longest stretch after the join
// in which the enriched topic did not grow.
func watch(s *harness.Stack, n int, start time.Time, join *worker, taggers string) (Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	var joinedAt, lastGrowth time.Time
	var last int64
	var pause time.Duration
	for {
		p, err := s.Measure(ctx, []string{article.EnrichedTopic}, nil)
		if err != nil {
			return Result{}, err
		}
		now := time.Now()
		cur := p.Ends[article.EnrichedTopic]
		if cur > last {
			if !joinedAt.IsZero() && !lastGrowth.IsZero() && lastGrowth.After(joinedAt.Add(-time.Second)) {
				pause = max(pause, now.Sub(lastGrowth))
			}
			last, lastGrowth = cur, now
		}
		if join != nil && joinedAt.IsZero() && cur >= int64(n/3) {
			s.Env = []string{"GOMAXPROCS=" + join.procs}
			if _, err := s.StartService(join.name, "enrich", "-taggers", taggers); err != nil {
				return Result{}, err
			}
			joinedAt = now
		}
		if cur >= int64(n) {
			took := now.Sub(start)
			return Result{Articles: n, Seconds: took.Seconds(), Rate: float64(n) / took.Seconds(), Pause: pause.Seconds()}, nil
		}
		select {
		case <-ctx.Done():
			return Result{}, fmt.Errorf("timed out at %d of %d", cur, n)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func writeArticles(path string, n, size int) error {
	_, err := gen.WriteJSONL(path, 7, n, size)
	return err
}
