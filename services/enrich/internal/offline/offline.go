// Package offline runs the enrichment pipeline over JSON Lines: raw articles
// in, enriched articles out, one output line per input line, in order. Tests,
// evaluation and backfills use it through `enrich tag`.
package offline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/newsflow/newsflow/pkg/article"
)

// Enricher is the part of the pipeline offline mode needs.
type Enricher interface {
	Enrich(a *article.Raw) (*article.Enriched, error)
}

// ErrBadLines is returned when some input lines could not be enriched; each
// was reported on the error writer with its line number.
var ErrBadLines = errors.New("some lines could not be enriched")

// LineError is written in place of the enriched article for a bad line, so
// output line n always answers input line n.
type LineError struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

type job struct {
	line int
	data []byte
	out  []byte
	err  error
	done chan struct{}
}

// Tag reads raw articles from r and writes enriched articles to w using
// workers goroutines (GOMAXPROCS when 0).
func Tag(ctx context.Context, p Enricher, r io.Reader, w io.Writer, errw io.Writer, workers int) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	jobs := make(chan *job, workers*4)
	ordered := make(chan *job, workers*4)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				j.out, j.err = enrichLine(p, j.data)
				close(j.done)
			}
		}()
	}

	readErr := make(chan error, 1)
	go func() {
		defer close(ordered)
		defer close(jobs)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), article.MaxMessageBytes+1024)
		line := 0
		for sc.Scan() {
			line++
			j := &job{line: line, data: append([]byte(nil), sc.Bytes()...), done: make(chan struct{})}
			select {
			case jobs <- j:
			case <-ctx.Done():
				readErr <- ctx.Err()
				return
			}
			ordered <- j
		}
		if err := sc.Err(); err != nil {
			readErr <- fmt.Errorf("reading line %d: %w", line+1, err)
		}
		close(readErr)
	}()

	bw := bufio.NewWriterSize(w, 256*1024)
	bad := 0
	var writeErr error
	for j := range ordered {
		<-j.done
		out := j.out
		if j.err != nil {
			bad++
			fmt.Fprintf(errw, "line %d: %v\n", j.line, j.err)
			out, _ = json.Marshal(LineError{Line: j.line, Error: j.err.Error()})
		}
		if writeErr == nil {
			if _, err := bw.Write(append(out, '\n')); err != nil {
				writeErr = fmt.Errorf("writing output: %w", err)
			}
		}
	}
	wg.Wait()
	if err := <-readErr; err != nil {
		return err
	}
	if writeErr != nil {
		return writeErr
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	if bad > 0 {
		return fmt.Errorf("%w: %d bad", ErrBadLines, bad)
	}
	return nil
}

func enrichLine(p Enricher, data []byte) ([]byte, error) {
	raw, err := article.DecodeRaw(data)
	if err != nil {
		return nil, err
	}
	enriched, err := p.Enrich(&raw)
	if err != nil {
		return nil, err
	}
	return article.Encode(enriched)
}
