package files

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/newsflow/newsflow/services/sink/internal/jsonl"
	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/storetest"
)

// A batch spans several parts, appended and fsynced at once. When one
// part's file fails, the batch fails as unavailable, the other parts keep
// their records, and the retry writes each record exactly once.
func TestAppendFailureInOnePart(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Format: jsonl.Format{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g := storetest.NewGen(3)
	batch := func(first int64) []store.Record {
		var out []store.Record
		for p := range 4 {
			for o := first; o < first+3; o++ {
				out = append(out, g.Record(int(o)*4+p, "1.0.0", "t", p, o))
			}
		}
		return out
	}
	if err := s.Write(t.Context(), batch(0)); err != nil {
		t.Fatal(err)
	}
	// Partition 2's staging file fails its next write.
	var broken *part
	for k, op := range s.open {
		if k.part == 2 {
			broken = op
		}
	}
	if err := broken.f.Close(); err != nil {
		t.Fatal(err)
	}
	second := batch(3)
	if err := s.Write(t.Context(), second); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("writing with a broken part: %v, want store.ErrUnavailable", err)
	}
	// Redelivered, as the sink does with a failed batch.
	if err := s.Write(t.Context(), second); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	for p := range 4 {
		paths, err := filepath.Glob(filepath.Join(dir, "t", "date=*", fmt.Sprintf("p%03d-*.jsonl", p)))
		if err != nil || len(paths) != 1 {
			t.Fatalf("partition %d: files %v (%v)", p, paths, err)
		}
		data, err := os.ReadFile(paths[0])
		if err != nil {
			t.Fatal(err)
		}
		var offs []int64
		for l := range bytes.Lines(data) {
			offs = append(offs, lineOffset(bytes.TrimSuffix(l, []byte("\n"))))
		}
		if want := []int64{0, 1, 2, 3, 4, 5}; !slices.Equal(offs, want) {
			t.Errorf("partition %d holds offsets %v, want %v", p, offs, want)
		}
	}
}
