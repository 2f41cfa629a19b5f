package files_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsflow/newsflow/services/sink/internal/files"
	"github.com/newsflow/newsflow/services/sink/internal/jsonl"
	"github.com/newsflow/newsflow/services/sink/internal/parquet"
	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/storetest"
)

const topic = "news.enriched.v1"

// recs makes records of partition 0 at the given offsets; article i is
// ingested on 2026-11-27.
func recs(offsets ...int64) []store.Record {
	g := storetest.NewGen(11)
	var out []store.Record
	for _, o := range offsets {
		out = append(out, g.Record(int(o), "1.0.0", topic, 0, o))
	}
	return out
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, p := range published(t, dir) {
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
	}
	return out
}

func mustWrite(t *testing.T, s *files.Store, r []store.Record) {
	t.Helper()
	if err := s.Write(t.Context(), r); err != nil {
		t.Fatal(err)
	}
}

func offsetsIn(t *testing.T, path string, format files.Format) []int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines, err := format.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, l := range lines {
		_, pos, err := files.SplitLine(l)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pos.Offset)
	}
	return out
}

func TestLayoutAndSealing(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s, err := files.Open(dir, files.Options{Format: jsonl.Format{}, MaxAge: time.Hour, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustWrite(t, s, recs(0, 1, 2))
	if got := names(t, dir); len(got) != 0 {
		t.Fatalf("an open part is visible: %v", got)
	}
	staged, _ := filepath.Glob(filepath.Join(dir, "_staging", topic, "date=2026-11-27", "p000-*.jsonl"))
	if len(staged) != 1 {
		t.Fatalf("staging files %v, want one", staged)
	}
	// Past MaxAge, the next write seals the part first.
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	mustWrite(t, s, recs(3))
	want := []string{topic + "/date=2026-11-27/p000-00000000000000000000-00000000000000000002.jsonl"}
	if got := names(t, dir); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("published %v, want %v", got, want)
	}
	// Another day (article 86400 is ingested a day later) is another directory.
	g := storetest.NewGen(1)
	mustWrite(t, s, []store.Record{g.Record(86400, "1.0.0", topic, 0, 4)})
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	want = append(want,
		topic+"/date=2026-11-27/p000-00000000000000000003-00000000000000000003.jsonl",
		topic+"/date=2026-11-28/p000-00000000000000000004-00000000000000000004.jsonl")
	if got := names(t, dir); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("published %v, want %v", got, want)
	}
}

// The background loop seals a part that stops growing.
func TestSealsIdlePartsByAge(t *testing.T) {
	dir := t.TempDir()
	s, err := files.Open(dir, files.Options{Format: jsonl.Format{}, MaxAge: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustWrite(t, s, recs(0, 1))
	deadline := time.Now().Add(10 * time.Second)
	for len(names(t, dir)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the part was not sealed within 10s of MaxAge")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A record that was in flight when its part was sealed joins that part; one
// between parts gets a part of its own; nothing overlaps.
func TestStragglersAndGaps(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := files.Open(dir, files.Options{Format: f.format})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			mustWrite(t, s, recs(10, 11, 13))
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, s, recs(12)) // in flight when 10..13 was sealed
			mustWrite(t, s, recs(5))  // before every part
			mustWrite(t, s, recs(20))
			mustWrite(t, s, recs(12, 5, 10)) // replays: nothing changes
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
			ext := f.format.Ext()
			want := []string{
				topic + "/date=2026-11-27/p000-00000000000000000005-00000000000000000005" + ext,
				topic + "/date=2026-11-27/p000-00000000000000000010-00000000000000000013" + ext,
				topic + "/date=2026-11-27/p000-00000000000000000020-00000000000000000020" + ext,
			}
			if got := names(t, dir); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("published %v, want %v", got, want)
			}
			if got := offsetsIn(t, filepath.Join(dir, want[1]), f.format); len(got) != 4 || got[0] != 10 || got[1] != 11 || got[2] != 12 || got[3] != 13 {
				t.Errorf("%s holds offsets %v, want 10..13 in order", want[1], got)
			}
		})
	}
}

// A crash during an append leaves a torn line; reopening cuts it off (its
// records were never acknowledged, so they come again) and carries on.
func TestRecoversTornStaging(t *testing.T) {
	dir := t.TempDir()
	s, err := files.Open(dir, files.Options{Format: parquet.Format{}})
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, s, recs(0, 1, 2))
	// Copy the directory as a crash would leave it: staging file and all,
	// then tear the last line.
	crashed := t.TempDir()
	staged, _ := filepath.Glob(filepath.Join(dir, "_staging", topic, "date=2026-11-27", "*.jsonl"))
	if len(staged) != 1 {
		t.Fatalf("staging files %v", staged)
	}
	data, _ := os.ReadFile(staged[0])
	rel, _ := filepath.Rel(dir, staged[0])
	if err := os.MkdirAll(filepath.Dir(filepath.Join(crashed, rel)), 0o755); err != nil {
		t.Fatal(err)
	}
	torn := append(data, []byte(`{"schema_version":1,"id":"ab`)...)
	if err := os.WriteFile(filepath.Join(crashed, rel), torn, 0o644); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2, err := files.Open(crashed, files.Options{Format: parquet.Format{}})
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, s2, recs(2, 3, 4)) // 2 again (redelivered), 3 and 4 new
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	got := names(t, crashed)
	if len(got) != 1 {
		t.Fatalf("published %v, want one part", got)
	}
	if off := offsetsIn(t, filepath.Join(crashed, got[0]), parquet.Format{}); len(off) != 5 {
		t.Errorf("recovered part holds offsets %v, want 0..4", off)
	}
}

func TestOneWriterPerDirectory(t *testing.T) {
	dir := t.TempDir()
	s, err := files.Open(dir, files.Options{Format: jsonl.Format{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := files.Open(dir, files.Options{Format: jsonl.Format{}}); err == nil || !strings.Contains(err.Error(), "another sink") {
		t.Errorf("a second Open of the same directory: %v, want a lock error", err)
	}
	s.Close()
	s, err = files.Open(dir, files.Options{Format: jsonl.Format{}})
	if err != nil {
		t.Fatalf("reopening after Close: %v", err)
	}
	s.Close()
}

// Big enough parts seal on size, the first part ending at the record that
// crossed the limit.
func TestSealsBySize(t *testing.T) {
	dir := t.TempDir()
	r := recs(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	size := len(files.Line(r[0])) * 3
	s, err := files.Open(dir, files.Options{Format: jsonl.Format{Gzip: true}, MaxBytes: int64(size)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, x := range r {
		mustWrite(t, s, []store.Record{x})
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	got := names(t, dir)
	if len(got) < 3 || len(got) > 5 {
		t.Errorf("10 records with a 3-record size limit made parts %v", got)
	}
}
