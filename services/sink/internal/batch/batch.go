// Package batch gathers records handed in one at a time by concurrent
// message handlers into batches for a store, flushed by count, bytes or time.
// Each handler waits for its batch's write, so a message is acknowledged only
// once its record is durable. While a batch is being written, new records
// wait, which is the backpressure on a slow store.
package batch

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/newsflow/newsflow/services/sink/internal/store"
)

// ErrClosed is returned by Add after Close.
var ErrClosed = errors.New("batcher closed")

// Config bounds a batch.
type Config struct {
	MaxRecords int
	MaxBytes   int
	MaxWait    time.Duration
	// Writers is how many batches may be written at once (default 1). More
	// than one suits stores that take concurrent transactions (PostgreSQL):
	// a partition never has two messages of one article in flight, so
	// concurrent batches hold different articles.
	Writers int
}

// Stats describes one flushed batch, for metrics.
type Stats struct {
	Records   int // records handed in
	Written   int // records handed to the store, less those it refused
	Bytes     int
	Rejected  int // records the store refused for their content (dead-lettered)
	Duration  time.Duration
	Err       error
	StartedAt time.Time
}

// Batcher batches records for one store.
type Batcher struct {
	cfg     Config
	st      store.Store
	in      chan item
	done    chan struct{}
	stopped chan struct{}
	onFlush func(Stats)
	work    chan job
}

type job struct {
	items []item
	size  int
}

type item struct {
	rec    store.Record
	result chan error
}

// New starts a batcher writing to st. onFlush, if set, hears of every flush.
func New(st store.Store, cfg Config, onFlush func(Stats)) *Batcher {
	if cfg.MaxRecords <= 0 {
		cfg.MaxRecords = 1000
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 16 << 20
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 200 * time.Millisecond
	}
	if cfg.Writers <= 0 {
		cfg.Writers = 1
	}
	b := &Batcher{cfg: cfg, st: st, in: make(chan item, cfg.MaxRecords), done: make(chan struct{}), stopped: make(chan struct{}), onFlush: onFlush,
		work: make(chan job)}
	go b.run()
	return b
}

// Add hands in a record and waits until the batch holding it is written.
func (b *Batcher) Add(ctx context.Context, rec store.Record) error {
	it := item{rec: rec, result: make(chan error, 1)}
	select {
	case b.in <- it:
	case <-b.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-it.result:
		return err
	case <-ctx.Done():
		// The write may still land; the message is redelivered either way
		// and the store's upsert absorbs the duplicate.
		return ctx.Err()
	}
}

func (b *Batcher) run() {
	defer close(b.stopped)
	var writers sync.WaitGroup
	for range b.cfg.Writers {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for j := range b.work {
				b.flush(j.items, j.size)
			}
		}()
	}
	defer writers.Wait()
	defer close(b.work)
	var pending []item
	size := 0
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	flush := func() {
		timer.Stop()
		if len(pending) == 0 {
			return
		}
		// Waits for a free writer: the backpressure on a slow store.
		b.work <- job{pending, size}
		pending, size = nil, 0
	}
	for {
		select {
		case it := <-b.in:
			if len(pending) == 0 {
				timer.Reset(b.cfg.MaxWait)
			}
			pending = append(pending, it)
			size += len(it.rec.Payload)
			if len(pending) >= b.cfg.MaxRecords || size >= b.cfg.MaxBytes {
				flush()
			}
		case <-timer.C:
			flush()
		case <-b.done:
			// Write what was handed in before closing.
			for {
				select {
				case it := <-b.in:
					pending = append(pending, it)
					size += len(it.rec.Payload)
					continue
				default:
				}
				break
			}
			flush()
			return
		}
	}
}

func (b *Batcher) flush(items []item, size int) {
	recs := make([]store.Record, len(items))
	for i, it := range items {
		recs[i] = it.rec
	}
	// Keyed stores collapse duplicates themselves (store.Collapse); file
	// stores keep every offset.
	start := time.Now()
	// A write is not cancelled halfway by shutdown: it finishes or fails on
	// its own, and handlers waiting for it are answered either way.
	err := b.st.Write(context.Background(), recs)
	took := time.Since(start)
	// A store that refused some records for their content wrote the rest:
	// only the refused ones fail, with an error the handler dead-letters.
	var rej *store.RejectError
	rejected := errors.As(err, &rej)
	for _, it := range items {
		e := err
		if rejected {
			e = nil
			if re, ok := rej.Rejected[it.rec.Article.ID]; ok {
				e = &store.RejectError{Rejected: map[string]error{it.rec.Article.ID: re}}
			}
		}
		it.result <- e
	}
	if b.onFlush != nil {
		st := Stats{Records: len(items), Written: len(recs), Bytes: size, Duration: took, Err: err, StartedAt: start}
		if rejected {
			st.Rejected, st.Written, st.Err = len(rej.Rejected), len(recs)-len(rej.Rejected), nil
		}
		b.onFlush(st)
	}
}

// Close writes what is pending and stops the batcher.
func (b *Batcher) Close() {
	select {
	case <-b.done:
	default:
		close(b.done)
	}
	<-b.stopped
}
