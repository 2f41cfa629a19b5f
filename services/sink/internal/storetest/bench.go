package storetest

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/newsflow/newsflow/services/sink/internal/batch"
	"github.com/newsflow/newsflow/services/sink/internal/store"
)

// Load is a prepared stream of records over partitions, in offset order
// per partition, as the sink consumes them.
type Load struct {
	Parts [][]store.Record
	N     int
	Bytes int64
}

// NewLoad makes n distinct articles spread over parts partitions by id.
func NewLoad(seed uint64, n, parts, bodyWords int) Load {
	return NewGen(seed).Load(n, parts, bodyWords)
}

// Load makes n distinct articles spread over parts partitions by id.
func (g *Gen) Load(n, parts, bodyWords int) Load {
	l := Load{Parts: make([][]store.Record, parts), N: n}
	for i := range n {
		a := g.Article(i, "1.0.0", bodyWords)
		h := fnv.New32a()
		h.Write([]byte(a.ID))
		p := int(h.Sum32() % uint32(parts))
		r := RecordOf(a, topic, p, int64(len(l.Parts[p])))
		l.Parts[p] = append(l.Parts[p], r)
		l.Bytes += int64(len(r.Payload))
	}
	return l
}

// Result is what a load run measured.
type Result struct {
	Articles int
	Elapsed  time.Duration
	Batches  []time.Duration // each batch's write time
	Records  []int           // each batch's size
	// CPU is the process's user and system time during the run (every
	// goroutine, the store's included). On a shared machine the rate
	// depends on what else runs; CPU per article much less so.
	CPU time.Duration
	// Written is what the process handed to write system calls during the
	// run (Linux's wchar; 0 where unknown): the store's write amplification.
	Written int64
}

// PerSecond is the sustained rate.
func (r Result) PerSecond() float64 { return float64(r.Articles) / r.Elapsed.Seconds() }

// Quantile of the batch write times.
func (r Result) Quantile(q float64) time.Duration {
	if len(r.Batches) == 0 {
		return 0
	}
	s := slices.Clone(r.Batches)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func (r Result) String() string {
	mean := 0
	for _, n := range r.Records {
		mean += n
	}
	if len(r.Records) > 0 {
		mean /= len(r.Records)
	}
	return fmt.Sprintf("%d articles in %.2fs: %.0f articles/s; %d batches (mean %d records), batch write p50 %s p99 %s max %s; cpu %.2fs (%.0f µs/article); wrote %.0f MB",
		r.Articles, r.Elapsed.Seconds(), r.PerSecond(), len(r.Batches), mean,
		r.Quantile(0.50).Round(100*time.Microsecond), r.Quantile(0.99).Round(100*time.Microsecond), r.Quantile(1).Round(100*time.Microsecond),
		r.CPU.Seconds(), float64(r.CPU.Microseconds())/float64(max(1, r.Articles)), float64(r.Written)/1e6)
}

// RunLoad pushes the load through a batcher into st the way the sink does: one
// goroutine per partition hands records in, in offset order, with up to
// inFlight of them waiting for their batch at once. closeStore, when set, is
// timed too (file stores publish their last parts there).
func RunLoad(ctx context.Context, st store.Store, l Load, cfg batch.Config, inFlight int, closeStore bool) (Result, error) {
	var mu sync.Mutex
	var res Result
	b := batch.New(st, cfg, func(s batch.Stats) {
		mu.Lock()
		res.Batches = append(res.Batches, s.Duration)
		res.Records = append(res.Records, s.Records)
		mu.Unlock()
	})
	start, cpu0, w0 := time.Now(), cpuTime(), written()
	var wg sync.WaitGroup
	errc := make(chan error, len(l.Parts))
	for _, part := range l.Parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			window := make(chan struct{}, inFlight)
			var pw sync.WaitGroup
			var once sync.Once
			for _, r := range part {
				window <- struct{}{}
				pw.Add(1)
				go func() {
					defer pw.Done()
					if err := b.Add(ctx, r); err != nil {
						once.Do(func() { errc <- err })
					}
					<-window
				}()
			}
			pw.Wait()
		}()
	}
	wg.Wait()
	b.Close()
	var err error
	if closeStore {
		err = st.Close()
	}
	res.Elapsed, res.CPU, res.Written = time.Since(start), cpuTime()-cpu0, written()-w0
	res.Articles = l.N
	close(errc)
	for e := range errc {
		err = errors.Join(err, e)
	}
	return res, err
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// written is the process's wchar from /proc/self/io, or 0.
func written() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for l := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(l, "wchar: "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}
