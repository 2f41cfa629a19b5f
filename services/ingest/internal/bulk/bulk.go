// Package bulk publishes files of articles (sample-format .txt and JSON
// Lines in our schema or news-please's) as fast as the broker takes them:
// lines are decoded and encoded by several workers, batches are published
// concurrently, and a checkpoint records how far each file is published so
// an interrupted backfill resumes where it stopped.
package bulk

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/rs/zerolog"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/services/ingest/internal/files"
	"github.com/newsflow/newsflow/services/ingest/internal/publish"
)

// Publisher publishes encoded messages and returns once Kafka acknowledged
// all of them.
type Publisher interface {
	PublishMessages(ctx context.Context, msgs []*message.Message) error
}

// Config configures a run.
type Config struct {
	// Checkpoint is the checkpoint file; empty for none.
	Checkpoint string
	// Workers is how many batches are decoded and published at once.
	Workers int
	// Batch is how many lines one batch holds.
	Batch int
	// Progress receives a progress bar (give a terminal); nil for none.
	Progress io.Writer
	// MaxRefusals is how many refusals the report lists one by one (all
	// are counted).
	MaxRefusals int
	// Now is the ingest time stamped on articles that do not carry one.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Workers == 0 {
		c.Workers = 4
	}
	if c.Batch == 0 {
		c.Batch = 1000
	}
	if c.MaxRefusals == 0 {
		c.MaxRefusals = 1000
	}
	if c.Now == nil {
		c.Now = func() time.Time { return time.Now().UTC() }
	}
}

// Validate reports every mistake in the configuration.
func (c *Config) Validate() error {
	if c.Workers < 1 || c.Batch < 1 || c.MaxRefusals < 0 {
		return errors.New("bulk workers and batch must be at least 1")
	}
	return nil
}

// Refusal is an input item that did not make an article.
type Refusal struct {
	Where  string
	Reason string
	Err    error
}

// Report says what a run did.
type Report struct {
	Files        int
	SkippedFiles int   // finished in an earlier run, per the checkpoint
	ResumedLines int64 // lines skipped because an earlier run published them
	Published    int64
	Refused      map[string]int64
	Refusals     []Refusal // the first MaxRefusals
	Bytes        int64
	Took         time.Duration
}

// RefusedTotal is the number of refused items.
func (r *Report) RefusedTotal() int64 {
	var n int64
	for _, c := range r.Refused {
		n += c
	}
	return n
}

type batch struct {
	entry     *Entry
	path      string
	txt       bool
	lines     [][]byte
	nums      []int // line number of each of lines
	firstLine int
	end       int64 // byte offset after the batch
	endLine   int
	last      bool // the file's final batch
	bytes     int64

	skipped   bool // read but left unpublished by an interrupt
	published int64
	refusals  []Refusal
	err       error
	done      chan struct{}
}

// Run publishes the files. It returns the report and, when it stopped
// early, why; the checkpoint then holds everything published.
func Run(ctx context.Context, cfg Config, paths []string, pub Publisher, log zerolog.Logger) (*Report, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	ck, err := LoadCheckpoint(cfg.Checkpoint)
	if err != nil {
		return nil, err
	}
	rep := &Report{Files: len(paths), Refused: map[string]int64{}}

	type input struct {
		path  string
		size  int64
		entry *Entry
	}
	var inputs []input
	var total int64
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		e := ck.entry(p)
		switch {
		case e.Done && e.Size == info.Size():
			rep.SkippedFiles++
			continue
		case e.Offset > info.Size() || (e.Done && e.Size != info.Size() && isTxt(p)):
			log.Warn().Str("file", p).Int64("checkpoint_offset", e.Offset).Int64("size", info.Size()).
				Msg("file changed since the checkpoint; starting it over")
			*e = Entry{}
		case e.Offset > 0:
			rep.ResumedLines += int64(e.Line)
			log.Info().Str("file", p).Int("line", e.Line).Msg("resuming from the checkpoint")
		}
		e.Size, e.Done = info.Size(), false
		inputs = append(inputs, input{path: p, size: info.Size(), entry: e})
		total += info.Size() - e.Offset
	}

	// On an interrupt (ctx ends) the reader stops, and the batches already
	// read are still published and recorded, so the checkpoint is exact.
	// On a failure everything stops at once.
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRun()
	cancel := func() { stopRun(); stopReading() }
	work := make(chan *batch, cfg.Workers)
	order := make(chan *batch, cfg.Workers*2)
	var readErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(work)
		defer close(order)
		for _, in := range inputs {
			if err := readFile(readCtx, in.path, in.entry, cfg.Batch, func(b *batch) bool {
				select {
				case order <- b:
				case <-readCtx.Done():
					return false
				}
				select {
				case work <- b:
					return true
				case <-readCtx.Done():
					// Interrupted: the last batch in order, never published.
					b.skipped = true
					close(b.done)
					return false
				}
			}); err != nil {
				readErr = err
				return
			}
		}
	})
	// cause is the first batch failure; batches failed after it only saw
	// the cancellation it caused.
	var causeOnce sync.Once
	var cause error
	for range cfg.Workers {
		wg.Go(func() {
			for b := range work {
				process(runCtx, b, cfg.Now(), pub)
				if b.err != nil && runCtx.Err() == nil {
					causeOnce.Do(func() {
						cause = fmt.Errorf("publishing %s from line %d: %w", b.path, b.firstLine, b.err)
					})
					// Stop the others now: batches published after a
					// failed one are published again on resume.
					cancel()
				}
				close(b.done)
			}
		})
	}

	var bytesDone, published, refused atomic.Int64
	stopBar := startBar(cfg.Progress, total, &bytesDone, &published, &refused)

	var runErr error
	lastSave := time.Now()
	for b := range order {
		<-b.done
		if runErr != nil || b.skipped {
			continue // draining after a failure, or the interrupt's cut
		}
		if b.err != nil {
			runErr = fmt.Errorf("publishing %s from line %d: %w", b.path, b.firstLine, b.err)
			cancel()
			continue
		}
		b.entry.Offset, b.entry.Line = b.end, b.endLine
		b.entry.Published += b.published
		b.entry.Refused += int64(len(b.refusals))
		b.entry.Done = b.last
		rep.Published += b.published
		rep.Bytes += b.bytes
		for _, r := range b.refusals {
			rep.Refused[r.Reason]++
			if len(rep.Refusals) < cfg.MaxRefusals {
				rep.Refusals = append(rep.Refusals, r)
				log.Warn().Str("where", r.Where).Str("reason", r.Reason).Err(r.Err).Msg("article refused")
			} else if len(rep.Refusals) == cfg.MaxRefusals {
				log.Warn().Msg("more refusals follow; counted in the report, not logged one by one")
			}
		}
		bytesDone.Add(b.bytes)
		published.Add(b.published)
		refused.Add(int64(len(b.refusals)))
		if b.last || time.Since(lastSave) > time.Second {
			if err := ck.Save(); err != nil {
				runErr = err
				cancel()
				continue
			}
			lastSave = time.Now()
		}
	}
	wg.Wait()
	stopBar()
	if cause != nil {
		runErr = cause
	}
	if runErr == nil && readErr != nil {
		runErr = readErr
	}
	if err := ck.Save(); err != nil && runErr == nil {
		runErr = err
	}
	rep.Took = time.Since(start)
	if runErr == nil && ctx.Err() != nil {
		runErr = ctx.Err()
	}
	return rep, runErr
}

func isTxt(p string) bool { return strings.EqualFold(filepath.Ext(p), ".txt") }

// readFile cuts a file into batches from the checkpoint's offset on.
func readFile(ctx context.Context, path string, e *Entry, size int, send func(*batch) bool) error {
	if !files.Supported(path) {
		b := &batch{entry: e, path: path, txt: true, last: true, done: make(chan struct{})}
		send(b)
		return nil
	}
	if isTxt(path) {
		info, err := os.Stat(path)
		if err != nil {
			return err
		}
		send(&batch{entry: e, path: path, txt: true, last: true, end: info.Size(), bytes: info.Size(), done: make(chan struct{})})
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.Seek(e.Offset, io.SeekStart); err != nil {
		return fmt.Errorf("seeking %s to the checkpoint: %w", path, err)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	offset, line := e.Offset, e.Line
	b := &batch{entry: e, path: path, firstLine: line + 1, done: make(chan struct{})}
	for {
		if ctx.Err() != nil {
			return nil
		}
		raw, n, err := files.ReadLineN(r, article.MaxMessageBytes)
		if n == 0 && errors.Is(err, io.EOF) {
			b.last, b.end, b.endLine = true, offset, line
			send(b)
			return nil
		}
		offset += int64(n)
		line++
		b.bytes += int64(n)
		switch {
		case errors.Is(err, article.ErrTooLarge):
			b.refusals = append(b.refusals, Refusal{Where: fmt.Sprintf("%s:%d", path, line), Reason: article.Reason(err), Err: err})
		case err != nil && !errors.Is(err, io.EOF):
			return fmt.Errorf("reading %s at line %d: %w", path, line, err)
		case !files.Blank(raw):
			b.lines = append(b.lines, raw)
			b.nums = append(b.nums, line)
		}
		if len(b.lines)+len(b.refusals) >= size {
			b.end, b.endLine = offset, line
			if !send(b) {
				return nil
			}
			b = &batch{entry: e, path: path, firstLine: line + 1, done: make(chan struct{})}
		}
	}
}

// process turns a batch into messages and publishes them.
func process(ctx context.Context, b *batch, now time.Time, pub Publisher) {
	if b.err != nil {
		return
	}
	var items []files.Item
	if b.txt {
		err := files.Read(b.path, now, func(it files.Item) error { items = append(items, it); return nil })
		if err != nil {
			b.err = err
			return
		}
	} else {
		base := filepath.Base(b.path)
		for i, raw := range b.lines {
			items = append(items, files.FromLine(raw, files.LineSource(base, b.nums[i]), now, fmt.Sprintf("%s:%d", b.path, b.nums[i])))
		}
	}
	msgs := make([]*message.Message, 0, len(items))
	for _, it := range items {
		if it.Err != nil {
			b.refusals = append(b.refusals, Refusal{Where: it.Where, Reason: article.Reason(it.Err), Err: it.Err})
			continue
		}
		msgs = append(msgs, publish.Encoded(it.Article, it.Data))
	}
	if err := ctx.Err(); err != nil {
		b.err = err
		return
	}
	if err := pub.PublishMessages(ctx, msgs); err != nil {
		b.err = err
		return
	}
	b.published = int64(len(msgs))
}
