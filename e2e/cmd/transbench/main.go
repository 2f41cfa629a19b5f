// Command transbench compares Kafka transports on the embedded broker (on
// disk, in this process): newsflow's watermill adapter on kafka-go, franz-go's
// kgo (the fastest Go client, the ceiling) and watermill's own Sarama-based
// adapter (the peer). For each it measures produce, consume-and-commit and
// pass-through (consume, produce to another topic, commit) of N messages,
// repeated, and reports medians of messages per second and CPU time per
// 1,000 messages (client and broker together, since both run here).
package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/newsflow/newsflow/e2e/benchresult"
	"github.com/newsflow/newsflow/pkg/broker"
	"github.com/newsflow/newsflow/pkg/ops"
)

// Result is one measured run.
type Result = benchresult.Transport

// client runs the three modes.
type client interface {
	name() string
	produce(ctx context.Context, brokers []string, topic string, msgs []msg) error
	consume(ctx context.Context, brokers []string, topic, group string, n int) error
	passThrough(ctx context.Context, brokers []string, in, out, group string, n int) error
}

type msg struct {
	key, value []byte
}

func main() {
	n := flag.Int("n", 200000, "messages per run")
	size := flag.Int("size", 2048, "message value size in bytes")
	partitions := flag.Int("partitions", 8, "partitions per topic")
	runs := flag.Int("runs", 3, "runs per client and mode")
	clients := flag.String("clients", "newsflow,kgo,watermill-kafka", "clients to measure")
	modes := flag.String("modes", "produce,consume,passthrough", "modes to measure")
	out := flag.String("json", "", "write every result as JSON to this file")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of each client's measured phase to `PREFIX`-CLIENT-MODE.prof (the last run's)")
	memProfile := flag.String("memprofile", "", "write an allocation profile of the whole run to this file")
	flag.BoolVar(&syncWrites, "sync-writes", false, "the broker fsyncs every produced batch")
	flag.DurationVar(&benchBatchTimeout, "batch-timeout", benchBatchTimeout, "newsflow publisher linger")
	flag.IntVar(&benchInFlight, "in-flight", benchInFlight, "newsflow subscriber in-flight messages per partition")
	flag.IntVar(&benchMinBytes, "min-bytes", benchMinBytes, "newsflow subscriber fetch min bytes")
	flag.IntVar(&benchMaxBytes, "max-bytes", benchMaxBytes, "newsflow subscriber fetch max bytes per partition (0: the adapter's default)")
	flag.DurationVar(&benchMaxWait, "max-wait", benchMaxWait, "newsflow subscriber fetch max wait")
	flag.Parse()
	if *memProfile != "" {
		runtime.MemProfileRate = 1 // every allocation, for exact counts
	}
	all := map[string]client{
		"newsflow": newsflowClient{}, "kgo": kgoClient{}, "watermill-kafka": saramaClient{},
		"newsflow-batched": newsflowBatched{}, "router-alone": routerFloor{}, "watermill-kafka-batched": saramaBatched{},
	}
	msgs := makeMessages(*n, *size)
	var results []Result
	for run := 1; run <= *runs; run++ {
		for _, mode := range strings.Split(*modes, ",") {
			for _, name := range strings.Split(*clients, ",") {
				c, ok := all[name]
				if !ok {
					fmt.Fprintf(os.Stderr, "unknown client %s\n", name)
					os.Exit(2)
				}
				r, err := measure(c, mode, msgs, *partitions)
				if errors.Is(err, errNotMeasured) {
					continue
				}
				if err != nil {
					fmt.Fprintf(os.Stderr, "%s %s run %d: %v\n", name, mode, run, err)
					pprof.StopCPUProfile()
					os.Exit(1)
				}
				r.Run = run
				results = append(results, r)
				fmt.Printf("run %d %-11s %-16s %8.0f msg/s %6.1f CPU-ms/1000 msgs %6.1f allocs/msg\n", run, mode, name, r.PerSecond(), r.CPUPer1000(), r.AllocsPerMsg())
			}
		}
	}
	if *memProfile != "" {
		if f, err := os.Create(*memProfile); err == nil {
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
	}
	fmt.Println()
	printMedians(results, strings.Split(*modes, ","), strings.Split(*clients, ","))
	if *out != "" {
		data, _ := json.MarshalIndent(results, "", "  ")
		if err := os.WriteFile(*out, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

// makeMessages returns n messages with random 32-hex-digit keys and distinct
// random values, from a fixed seed. Distinct values matter: identical ones
// would let a compressing client shrink whole batches to almost nothing and
// measure compression instead of transport.
func makeMessages(n, size int) []msg {
	rng := rand.NewChaCha8([32]byte{'n', 'e', 'w', 's', 'f', 'l', 'o', 'w'})
	values := make([]byte, n*size)
	_, _ = rng.Read(values)
	msgs := make([]msg, n)
	for i := range msgs {
		k := make([]byte, 16)
		_, _ = rng.Read(k)
		msgs[i] = msg{key: []byte(hex.EncodeToString(k)), value: values[i*size : (i+1)*size : (i+1)*size]}
	}
	return msgs
}

// syncWrites makes the broker fsync every produced batch (-sync-writes).
var syncWrites bool

// measure runs one client in one mode on a fresh broker.
func measure(c client, mode string, msgs []msg, partitions int) (Result, error) {
	dir, err := os.MkdirTemp("", "transbench-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	b, err := broker.Start(broker.Config{DataDir: filepath.Join(dir, "kafka"), Partitions: partitions, SyncWrites: syncWrites})
	if err != nil {
		return Result{}, err
	}
	defer b.Close()
	brokers := b.Brokers()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	in, out := "bench-in", "bench-out"
	for _, t := range []string{in, out} {
		if err := b.Cluster().CreateTopic(t, int32(partitions), nil); err != nil {
			return Result{}, err
		}
	}
	if mode != "produce" {
		// Fill the input with the fastest client; it is not what is measured.
		if err := (kgoClient{}).produce(ctx, brokers, in, msgs); err != nil {
			return Result{}, fmt.Errorf("filling the topic: %w", err)
		}
	}
	if os.Getenv("TRANSBENCH_STATS") != "" {
		defer countRequests(b.Cluster())()
	}
	stopProfile, err := ops.CPUProfile(profilePath(c.name(), mode))
	if err != nil {
		return Result{}, err
	}
	cpu0, allocs0 := cpuTime(), heapAllocs()
	start := time.Now()
	switch mode {
	case "produce":
		err = c.produce(ctx, brokers, in, msgs)
	case "consume":
		err = c.consume(ctx, brokers, in, "bench-consume", len(msgs))
	case "passthrough":
		err = c.passThrough(ctx, brokers, in, out, "bench-pass", len(msgs))
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	took := time.Since(start)
	cpu, allocs := cpuTime()-cpu0, heapAllocs()-allocs0
	err = errors.Join(err, stopProfile())
	if err != nil {
		return Result{}, err
	}
	return Result{Client: c.name(), Mode: mode, Messages: len(msgs), Seconds: took.Seconds(), CPU: cpu.Seconds(), Allocs: allocs}, nil
}

// cpuProfile is the prefix of the per-client CPU profiles; empty for none.
var cpuProfile string

// profilePath names the profile of one client's measured phase: seeding the
// input and starting the broker stay out of it.
func profilePath(client, mode string) string {
	if cpuProfile == "" {
		return ""
	}
	return fmt.Sprintf("%s-%s-%s.prof", cpuProfile, client, mode)
}

// heapAllocs is how many heap objects this process has allocated.
func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	if len(xs) == 0 {
		return 0
	}
	return xs[len(xs)/2]
}

func printMedians(results []Result, modes, clients []string) {
	fmt.Println("| mode | client | msg/s (median) | CPU-ms per 1,000 msgs (median) | allocs/msg (median) | runs |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, mode := range modes {
		for _, c := range clients {
			var rate, cpu, allocs []float64
			for _, r := range results {
				if r.Mode == mode && r.Client == c {
					rate = append(rate, r.PerSecond())
					cpu = append(cpu, r.CPUPer1000())
					allocs = append(allocs, r.AllocsPerMsg())
				}
			}
			if len(rate) == 0 {
				continue // not measured in this mode
			}
			fmt.Printf("| %s | %s | %.0f | %.1f | %.1f | %d |\n", mode, c, median(rate), median(cpu), median(allocs), len(rate))
		}
	}
}

// waitGroupErr runs fns concurrently and returns the first error.
func waitGroupErr(fns ...func() error) error {
	var wg sync.WaitGroup
	errs := make([]error, len(fns))
	for i, f := range fns {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f() }()
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// countRequests counts the produce and fetch requests the broker serves and
// the records in them, and returns a function printing the counts
// (TRANSBENCH_STATS=1): how well each client batches.
func countRequests(c *kfake.Cluster) func() {
	var mu sync.Mutex
	counts := map[string][2]int{}
	c.Control(func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		var name string
		switch req.(type) {
		case *kmsg.ProduceRequest:
			name = "produce"
		case *kmsg.FetchRequest:
			name = "fetch"
		default:
			return nil, nil, false
		}
		mu.Lock()
		n := counts[name]
		n[0]++
		counts[name] = n
		mu.Unlock()
		return nil, nil, false
	})
	return func() {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(os.Stderr, "broker: %d produce requests, %d fetch requests\n", counts["produce"][0], counts["fetch"][0])
	}
}
