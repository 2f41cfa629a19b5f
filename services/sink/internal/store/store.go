// Package store defines what the sink writes to and the rules every store
// follows: upsert by article id, an older enrichment version never overwrites
// a newer one, duplicates in a batch collapse to the last offset, and a write
// is durable when Write returns.
package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/newsflow/newsflow/pkg/article"
)

// Record is one enriched article with where it was read from.
type Record struct {
	Article *article.Enriched
	Version article.Version // parsed Article.Enrichment.Version
	Payload []byte          // the message as consumed
	Topic   string
	Part    int
	Offset  int64
}

// Store writes batches of records durably.
type Store interface {
	// Write stores a batch; stores keyed by article id collapse duplicates
	// with Collapse, file stores keep each offset once. When it returns nil, the batch is durable and its offsets
	// may be committed. A *RejectError means the records it names were
	// refused and the rest are durable; an error wrapping ErrUnavailable
	// means the store could not be reached; the batch is retried either way
	// except for the rejected records.
	Write(ctx context.Context, recs []Record) error
	Close() error
}

// Pinger is a store that can tell whether it is reachable.
type Pinger interface {
	Ping(ctx context.Context) error
}

// ErrUnavailable marks a store that cannot be reached right now: the batch
// is retried, never dead-lettered.
var ErrUnavailable = errors.New("store unavailable")

// RejectError reports records a store refused because of their content (a
// value the database cannot hold). Every other record of the batch is
// durable; the refused ones go to the dead-letter topic instead of blocking
// their partition forever.
type RejectError struct {
	Rejected map[string]error // by article id
}

func (e *RejectError) Error() string {
	for id, err := range e.Rejected {
		return fmt.Sprintf("store refused %d record(s), article %s: %v", len(e.Rejected), id, err)
	}
	return "store refused no records"
}

// Newer reports whether a should replace b under the store rules: a newer
// enrichment version wins; with equal versions the later position in the same
// partition wins (a replay of an old offset does not undo a newer message).
func Newer(a, b Record) bool {
	if c := a.Version.Compare(b.Version); c != 0 {
		return c > 0
	}
	if a.Topic == b.Topic && a.Part == b.Part {
		return a.Offset >= b.Offset
	}
	return true
}

// Collapse keeps one record per article id, the one Newer prefers, in the
// order of first appearance.
func Collapse(recs []Record) []Record {
	idx := make(map[string]int, len(recs))
	out := recs[:0:0]
	for _, r := range recs {
		if i, ok := idx[r.Article.ID]; ok {
			if Newer(r, out[i]) {
				out[i] = r
			}
			continue
		}
		idx[r.Article.ID] = len(out)
		out = append(out, r)
	}
	return out
}
