// Package tagrun runs raw articles through `enrich tag`, the offline mode the
// evaluation programs measure the taggers with.
package tagrun

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/newsflow/newsflow/pkg/article"
)

// MaxRSS is the peak resident memory, in bytes, of the last `enrich tag`
// process Run started (0 where the platform does not report it).
var MaxRSS int64

// Run writes the articles as JSON Lines to `bin tag args...` and returns the
// enriched articles in input order.
func Run(ctx context.Context, bin string, args []string, raws []article.Raw) ([]article.Enriched, time.Duration, error) {
	var in bytes.Buffer
	for i := range raws {
		data, err := article.Encode(&raws[i])
		if err != nil {
			return nil, 0, fmt.Errorf("encoding article %d: %w", i, err)
		}
		in.Write(data)
		in.WriteByte('\n')
	}
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append([]string{"tag"}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = &in, &out, &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return nil, 0, fmt.Errorf("running %s tag: %w: %s", bin, err, errb.String())
	}
	elapsed := time.Since(start)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		MaxRSS = ru.Maxrss * 1024 // kilobytes on Linux
	}
	var res []article.Enriched
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), article.MaxMessageBytes+1<<20)
	for sc.Scan() {
		e, err := article.DecodeEnriched(sc.Bytes())
		if err != nil {
			return nil, 0, fmt.Errorf("decoding output line %d: %w", len(res)+1, err)
		}
		res = append(res, e)
	}
	if err := sc.Err(); err != nil {
		return nil, 0, err
	}
	if len(res) != len(raws) {
		return nil, 0, fmt.Errorf("%s tag wrote %d lines for %d articles", bin, len(res), len(raws))
	}
	return res, elapsed, nil
}

// NewRaw builds a valid raw article with a deterministic id.
func NewRaw(key, title, body, published, hint string) article.Raw {
	return article.Raw{
		SchemaVersion: article.SchemaVersion,
		ID:            article.ID("", "", "", key, body),
		Source:        article.Source{Type: "file", Name: "eval", URI: "eval:" + key},
		Title:         title,
		Body:          body,
		Published:     published,
		IngestedAt:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		LangHint:      hint,
	}
}

// DefaultBin is where `make build` puts the enrich binary, from the
// repository root or from services/enrich.
func DefaultBin() string {
	for _, p := range []string{"bin/enrich", "../../bin/enrich"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "bin/enrich"
}
