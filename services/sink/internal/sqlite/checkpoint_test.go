package sqlite

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/storetest"
)

// The checkpointer copies committed pages into the database file while the
// store is open, without the writer's help: below the backstop the writer
// never checkpoints.
func TestCheckpointerCopiesTheWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newsflow.db")
	s, err := Open(t.Context(), Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g := storetest.NewGen(1)
	var recs []store.Record
	for i := range 300 {
		recs = append(recs, g.Record(i, "1.0.0", "news.enriched.v1", i%3, int64(i)))
	}
	before := size(t, path)
	if err := s.Write(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for size(t, path) < before+1<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes 10s after a write of 300 articles (%d before): no checkpoint", size(t, path), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var n int
	if err := s.DB().QueryRow(`SELECT count(*) FROM articles`).Scan(&n); err != nil || n != 300 {
		t.Fatalf("articles: %d, %v", n, err)
	}
}

// With batches back to back the WAL stays bounded: the writer checkpoints
// itself past the backstop, and SQLite then starts the WAL over.
func TestWALStaysBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newsflow.db")
	const backstop = 256 // pages: 1 MiB
	s, err := Open(t.Context(), Config{Path: path, walBackstop: backstop})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g := storetest.NewGen(2)
	largest := int64(0)
	for b := range 40 {
		var recs []store.Record
		for i := range 50 {
			n := b*50 + i
			recs = append(recs, g.Record(n, "1.0.0", "news.enriched.v1", n%3, int64(n)))
		}
		if err := s.Write(t.Context(), recs); err != nil {
			t.Fatal(err)
		}
		largest = max(largest, size(t, path+"-wal"))
	}
	// A batch of 50 articles is about 100 pages; the WAL may hold the
	// backstop and several batches beyond it while the checkpointer races
	// the writer (3.1 MiB seen on a busy machine), not everything written
	// (2,000 articles, some 4,000 pages: about 16 MiB, and 29 MiB without
	// the backstop).
	if limit := int64(6*backstop) * 4096; largest > limit {
		t.Errorf("the WAL grew to %d bytes, want at most %d", largest, limit)
	}
}

func size(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
