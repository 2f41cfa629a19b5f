// Command pipebench measures the whole local pipeline: it starts the
// embedded broker (on disk), enrich and sink as processes, and pushes
// generated articles through.
//
// Throughput mode (default): N articles are written as JSON Lines and
// ingested; the clock runs from the first publish to the last commit of every
// sink. Latency mode (-rate): articles are published at a fixed rate for
// -duration, each stamped with its publish time, and the latency of each is
// its sink's stored_at minus that time (SQLite), reported as p50/p90/p99.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	_ "modernc.org/sqlite"

	"github.com/newsflow/newsflow/e2e/benchresult"
	"github.com/newsflow/newsflow/e2e/gen"
	"github.com/newsflow/newsflow/e2e/harness"
	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/broker"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// Result is what one run measured.
type Result = benchresult.Pipe

func main() {
	n := flag.Int("n", 10000, "articles to push through (throughput mode)")
	size := flag.Int("size", 3000, "approximate body size in bytes")
	targets := flag.String("to", "sqlite,jsonl", "sink targets: sqlite, jsonl, postgres (comma-separated)")
	seed := flag.Uint64("seed", 1, "generator seed")
	keep := flag.Bool("keep", false, "keep the working directory")
	taggers := flag.String("taggers", "language,date,entities,sentiment", "enrich -taggers (none for pass-through)")
	workers := flag.Int("enrich-workers", 1, "enrich processes")
	rate := flag.Float64("rate", 0, "latency mode: articles per second offered")
	duration := flag.Duration("duration", time.Minute, "latency mode: how long articles are offered")
	out := flag.String("json", "", "write the result as JSON to this file")
	genOnly := flag.String("gen", "", "only write the generated articles to this JSON Lines file")
	noMetrics := flag.Bool("no-metrics", false, "run enrich and sink without metrics (-http-addr=), to measure what metrics cost")
	pgDSN := flag.String("pg", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL for the postgres target (a fresh schema is made)")
	flag.Parse()
	if *genOnly != "" {
		if err := writeArticles(*genOnly, *n, *size, *seed); err != nil {
			fmt.Fprintln(os.Stderr, "pipebench:", err)
			os.Exit(1)
		}
		return
	}
	cfg := run{n: *n, size: *size, targets: strings.Split(*targets, ","), seed: *seed, keep: *keep,
		taggers: *taggers, workers: *workers, rate: *rate, duration: *duration, pg: *pgDSN, noMetrics: *noMetrics}
	res, err := cfg.do()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pipebench:", err)
		os.Exit(1)
	}
	if *out != "" {
		data, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*out, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "pipebench:", err)
			os.Exit(1)
		}
	}
}

type run struct {
	n, size   int
	targets   []string
	seed      uint64
	keep      bool
	taggers   string
	workers   int
	rate      float64
	duration  time.Duration
	pg        string
	noMetrics bool
}

func (r run) do() (*Result, error) {
	dir, err := os.MkdirTemp("", "newsflow-pipebench-")
	if err != nil {
		return nil, err
	}
	if !r.keep {
		defer os.RemoveAll(dir)
	}
	bin := filepath.Join(dir, "bin")
	fmt.Printf("building services...\n")
	if err := harness.Build(bin); err != nil {
		return nil, err
	}
	s, err := harness.Start(dir, bin, broker.Config{})
	if err != nil {
		return nil, err
	}
	defer s.Close()

	sinkArgs := []string{}
	enrichArgs := []string{"-taggers", r.taggers}
	if r.noMetrics {
		sinkArgs = append(sinkArgs, "-http-addr=")
		enrichArgs = append(enrichArgs, "-http-addr=")
	}
	groups := map[string]string{article.EnrichGroup: article.RawTopic}
	db := filepath.Join(dir, "newsflow.db")
	for _, t := range r.targets {
		switch t {
		case "sqlite":
			sinkArgs = append(sinkArgs, "-to", "sqlite:"+db)
		case "jsonl":
			sinkArgs = append(sinkArgs, "-to", "jsonl:"+filepath.Join(dir, "out"))
		case "postgres":
			schema := fmt.Sprintf("pipebench_%d", time.Now().UnixNano())
			if out, err := exec.Command("psql", "-At", r.pg, "-c", "CREATE SCHEMA "+schema).CombinedOutput(); err != nil {
				return nil, fmt.Errorf("creating schema: %w %s", err, out)
			}
			defer exec.Command("psql", "-At", r.pg, "-c", "DROP SCHEMA "+schema+" CASCADE").Run()
			sinkArgs = append(sinkArgs, "-to", r.pg+"&search_path="+schema)
		default:
			return nil, fmt.Errorf("unknown target %q", t)
		}
		groups[article.SinkGroupBase+t] = article.EnrichedTopic
	}
	for i := range r.workers {
		if _, err := s.StartService(fmt.Sprintf("enrich-%d", i), "enrich", enrichArgs...); err != nil {
			return nil, err
		}
	}
	if _, err := s.StartService("sink", "sink", sinkArgs...); err != nil {
		return nil, err
	}
	// Let everyone join their groups before the clock starts.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	if err := s.WaitCaughtUp(ctx, nil, groups); err != nil {
		cancel()
		return nil, err
	}
	cancel()
	time.Sleep(3 * time.Second)

	res := &Result{Articles: r.n, Size: r.size, Targets: r.targets, Taggers: r.taggers, Workers: r.workers}
	if r.rate > 0 {
		return res, r.latency(s, res, db, groups)
	}
	res.Mode = "throughput"
	input := filepath.Join(dir, "articles.jsonl")
	if err := writeArticles(input, r.n, r.size, r.seed); err != nil {
		return nil, err
	}
	cpu := r.cpuMeter(s)
	start := time.Now()
	report, err := s.Ingest(input)
	if err != nil {
		return nil, err
	}
	ingested := time.Since(start)
	ctx, cancel = context.WithTimeout(context.Background(), 2*time.Hour)
	defer cancel()
	err = s.WaitCaughtUp(ctx, map[string]int64{article.RawTopic: int64(r.n), article.EnrichedTopic: int64(r.n)}, groups)
	total := time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, s.Logs(3000))
	}
	if res.CPU, err = cpu(r.n); err != nil {
		return nil, err
	}
	res.IngestRate = float64(r.n) / ingested.Seconds()
	res.Rate = float64(r.n) / total.Seconds()
	res.Seconds = total.Seconds()
	fmt.Print(report)
	fmt.Printf("articles: %d of ~%d bytes, taggers %s, %d enrich worker(s), sinks: %s\n", r.n, r.size, r.taggers, r.workers, strings.Join(r.targets, ", "))
	fmt.Printf("ingest:   %6.0f articles/s (%s)\n", res.IngestRate, ingested.Round(time.Millisecond))
	fmt.Printf("pipeline: %6.0f articles/s end to end (%s from first publish to last commit of every sink)\n", res.Rate, total.Round(time.Millisecond))
	fmt.Printf("CPU per article: ingest %.3f ms, enrich %.3f ms, sink %.3f ms, broker and harness %.3f ms\n",
		res.CPU["ingest"], res.CPU["enrich"], res.CPU["sink"], res.CPU["broker"])
	return res, nil
}

// cpuMeter reads the CPU time used so far by the enrich processes, the
// sink, this process (the broker runs in it) and its ended children (ingest,
// the only one that ends during a run); the function it returns gives each
// one's CPU time since then per article, in milliseconds.
func (r run) cpuMeter(s *harness.Stack) func(articles int) (map[string]float64, error) {
	procs := map[string][]string{"sink": {"sink"}}
	for i := range r.workers {
		procs["enrich"] = append(procs["enrich"], fmt.Sprintf("enrich-%d", i))
	}
	read := func() (map[string]time.Duration, error) {
		out := map[string]time.Duration{"broker": rusage(syscall.RUSAGE_SELF), "ingest": rusage(syscall.RUSAGE_CHILDREN)}
		for group, names := range procs {
			for _, name := range names {
				d, err := s.Proc(name).CPU()
				if err != nil {
					return nil, err
				}
				out[group] += d
			}
		}
		return out, nil
	}
	before, err := read()
	return func(articles int) (map[string]float64, error) {
		if err != nil {
			return nil, err
		}
		after, err := read()
		if err != nil {
			return nil, err
		}
		per := map[string]float64{}
		for k, d := range after {
			per[k] = float64(d-before[k]) / float64(time.Millisecond) / float64(articles)
		}
		return per, nil
	}
}

// rusage is the user and system CPU time of this process or of its ended
// children.
func rusage(who int) time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(who, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// latency offers articles at a fixed rate and reads each one's latency from
// the SQLite sink.
func (r run) latency(s *harness.Stack, res *Result, db string, groups map[string]string) error {
	if !slices.Contains(r.targets, "sqlite") {
		return fmt.Errorf("latency mode reads stored_at from the sqlite target")
	}
	res.Mode, res.OfferedRate = "latency", r.rate
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Conn: s.Conn}, watermill.NopLogger{})
	if err != nil {
		return err
	}
	defer pub.Close()
	g := gen.New(r.seed)
	interval := time.Duration(float64(time.Second) / r.rate)
	total := int(r.rate * r.duration.Seconds())
	start := time.Now()
	for i := range total {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		a := g.Article(r.size)
		a.IngestedAt = time.Now().UTC()
		data, err := article.Encode(a)
		if err != nil {
			return err
		}
		m := message.NewMessage(watermill.NewUUID(), data)
		m.Metadata = a.Headers()
		go func() { _ = pub.Publish(article.RawTopic, m) }() // pacing must not wait for acks
	}
	offered := time.Since(start)
	res.Articles = total
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if err := s.WaitCaughtUp(ctx, map[string]int64{article.EnrichedTopic: int64(total)}, groups); err != nil {
		return err
	}
	sdb, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		return err
	}
	defer sdb.Close()
	rows, err := sdb.Query(`SELECT ingested_at, stored_at FROM articles`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var in, st string
		if err := rows.Scan(&in, &st); err != nil {
			return err
		}
		ti, err1 := time.Parse(time.RFC3339Nano, in)
		ts, err2 := time.Parse(time.RFC3339Nano, st)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("parsing times %q %q", in, st)
		}
		res.Latencies = append(res.Latencies, ts.Sub(ti).Seconds())
	}
	slices.Sort(res.Latencies)
	q := func(p float64) float64 {
		return res.Latencies[min(len(res.Latencies)-1, int(p*float64(len(res.Latencies))))]
	}
	res.P50, res.P90, res.P99, res.Max = q(0.50), q(0.90), q(0.99), res.Latencies[len(res.Latencies)-1]
	res.Seconds = offered.Seconds()
	fmt.Printf("offered %d articles at %.0f/s over %s (taggers %s): latency p50 %.3fs p90 %.3fs p99 %.3fs max %.3fs\n",
		total, r.rate, offered.Round(time.Millisecond), r.taggers, res.P50, res.P90, res.P99, res.Max)
	return nil
}

func writeArticles(path string, n, size int, seed uint64) error {
	_, err := gen.WriteJSONL(path, seed, n, size)
	return err
}
