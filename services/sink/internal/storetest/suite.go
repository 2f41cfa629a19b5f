package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/services/sink/internal/store"
)

// Harness adapts one kind of store to the suite.
type Harness struct {
	// Keyed stores keep one row per article id under the version rule
	// (SQLite, PostgreSQL); the others are logs that keep every offset
	// exactly once (JSON Lines, Parquet).
	Keyed bool
	// Open opens the store at this harness's location; opening again after
	// Close is a restart.
	Open func(t *testing.T) store.Store
	// Read returns what the store holds, after making everything written
	// visible.
	Read func(t *testing.T, s store.Store) []Stored
	// Snapshot renders the store exactly (rows, or file names and bytes),
	// leaving out only write timestamps, to compare before and after a
	// replay.
	Snapshot func(t *testing.T, s store.Store) string
}

// Stored is one article as a store holds it.
type Stored struct {
	ID           string
	Version      string
	Topic        string
	Part         int
	Offset       int64
	Language     string
	PublishedDay string   // YYYY-MM-DD or ""
	Entities     []string // TYPE:norm, in order
}

func (s Stored) String() string {
	return fmt.Sprintf("%s v%s %s/%d@%d %s %s %v", s.ID[:8], s.Version, s.Topic, s.Part, s.Offset, s.Language, s.PublishedDay, s.Entities)
}

// Expect is what a record should look like once stored.
func Expect(r store.Record) Stored {
	c := store.ColumnsOf(r)
	out := Stored{ID: c.ID, Version: c.EnrichmentVersion, Topic: c.Topic, Part: c.Partition, Offset: c.Offset}
	if c.Language != nil {
		out.Language = *c.Language
	}
	if c.PublishedDay != nil {
		out.PublishedDay = c.PublishedDay.Format("2006-01-02")
	}
	for _, e := range c.Entities {
		out.Entities = append(out.Entities, e.Type+":"+e.Norm)
	}
	return out
}

const topic = "news.enriched.v1"

// Run runs the contract suite; newHarness gives each subtest a fresh
// location.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Run("insert", func(t *testing.T) {
		h := newHarness(t)
		s := h.Open(t)
		defer closeStore(t, s)
		g := NewGen(1)
		var recs []store.Record
		for i := range 20 {
			recs = append(recs, g.Record(i, "1.0.0", topic, i%3, int64(i/3)))
		}
		write(t, s, recs[:11])
		write(t, s, recs[11:])
		check(t, h.Read(t, s), recs)
	})

	t.Run("upsert newer version", func(t *testing.T) {
		h := newHarness(t)
		s := h.Open(t)
		defer closeStore(t, s)
		g := NewGen(2)
		old := g.Record(0, "1.0.0", topic, 0, 5)
		newer := g.Record(0, "1.1.0", topic, 0, 9)
		if slices.Equal(Expect(old).Entities, Expect(newer).Entities) {
			t.Fatal("generator gave both versions the same entities; the test would prove nothing")
		}
		write(t, s, []store.Record{old})
		write(t, s, []store.Record{newer})
		want := []store.Record{newer}
		if !h.Keyed {
			want = []store.Record{old, newer}
		}
		check(t, h.Read(t, s), want)
	})

	t.Run("version rule", func(t *testing.T) {
		h := newHarness(t)
		s := h.Open(t)
		defer closeStore(t, s)
		g := NewGen(3)
		v2 := g.Record(0, "2.0.0", topic, 1, 100)
		older := g.Record(0, "1.9.9", topic, 1, 200)         // older version at a later offset
		earlier := g.Record(0, "2.0.0", topic, 1, 50)        // same version, earlier position: a replay
		otherPart := g.Record(0, "2.0.0", topic, 2, 10)      // same version from another partition
		olderElsewhere := g.Record(0, "1.10.0", topic, 3, 7) // 1.10.0 < 2.0.0 although "1.10.0" > "2.0.0" as text
		write(t, s, []store.Record{v2})
		write(t, s, []store.Record{older})
		write(t, s, []store.Record{earlier})
		if h.Keyed {
			check(t, h.Read(t, s), []store.Record{v2})
		}
		write(t, s, []store.Record{otherPart})
		write(t, s, []store.Record{olderElsewhere})
		want := []store.Record{otherPart}
		if !h.Keyed {
			want = []store.Record{v2, older, earlier, otherPart, olderElsewhere}
		}
		check(t, h.Read(t, s), want)
	})

	t.Run("duplicates in a batch", func(t *testing.T) {
		h := newHarness(t)
		s := h.Open(t)
		defer closeStore(t, s)
		g := NewGen(4)
		a1 := g.Record(1, "1.0.0", topic, 0, 1)
		a3 := g.Record(1, "1.0.0", topic, 0, 3)
		a2 := g.Record(1, "1.0.0", topic, 0, 2)
		b4 := g.Record(2, "1.1.0", topic, 0, 4)
		b5 := g.Record(2, "1.0.0", topic, 0, 5)
		c6 := g.Record(3, "1.0.0", topic, 0, 6)
		write(t, s, []store.Record{a1, a3, a2, b4, b5, c6})
		want := []store.Record{a3, b4, c6}
		if !h.Keyed {
			want = []store.Record{a1, a2, a3, b4, b5, c6}
		}
		check(t, h.Read(t, s), want)
	})

	t.Run("replay rewrites", func(t *testing.T) {
		h := newHarness(t)
		s := h.Open(t)
		g := NewGen(5)
		var recs []store.Record
		for i := range 60 {
			recs = append(recs, g.Record(i, "1.0.0", topic, i%3, int64(i/3)))
		}
		for b := range chunks(recs, 7) {
			write(t, s, b)
		}
		check(t, h.Read(t, s), recs)
		before := h.Snapshot(t, s)
		// The same messages again, in another order and other batches, as
		// after a rewind or a redelivery.
		shuffled := slices.Clone(recs)
		rand.New(rand.NewPCG(9, 9)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		for b := range chunks(shuffled, 11) {
			write(t, s, b)
		}
		check(t, h.Read(t, s), recs)
		if after := h.Snapshot(t, s); after != before {
			t.Errorf("a replay changed the store:\nbefore:\n%s\nafter:\n%s", clip(before), clip(after))
		}
		// And once more after a restart.
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = h.Open(t)
		defer closeStore(t, s)
		for b := range chunks(recs, 13) {
			write(t, s, b)
		}
		if after := h.Snapshot(t, s); after != before {
			t.Errorf("a replay after a restart changed the store:\nbefore:\n%s\nafter:\n%s", clip(before), clip(after))
		}
	})

	t.Run("restart", func(t *testing.T) {
		h := newHarness(t)
		g := NewGen(6)
		var recs []store.Record
		for i := range 60 {
			recs = append(recs, g.Record(i, "1.0.0", topic, i%4, int64(i/4)))
		}
		s := h.Open(t)
		write(t, s, recs[:30])
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("a second Close failed: %v", err)
		}
		s = h.Open(t)
		defer closeStore(t, s)
		// Restarted from an older committed offset: the last ten again.
		write(t, s, recs[20:45])
		write(t, s, recs[45:])
		check(t, h.Read(t, s), recs)
	})
}

func chunks(recs []store.Record, n int) func(func([]store.Record) bool) {
	return slices.Chunk(recs, n)
}

func write(t *testing.T, s store.Store, recs []store.Record) {
	t.Helper()
	if err := s.Write(t.Context(), recs); err != nil {
		t.Fatalf("writing %d records: %v", len(recs), err)
	}
}

// check compares what a store holds with the records expected, in any order.
func check(t *testing.T, got []Stored, want []store.Record) {
	t.Helper()
	var w []Stored
	for _, r := range want {
		w = append(w, Expect(r))
	}
	sortStored(got)
	sortStored(w)
	if len(got) != len(w) {
		t.Errorf("store holds %d records, want %d:\n got %s\nwant %s", len(got), len(w), render(got), render(w))
		return
	}
	for i := range w {
		if got[i].String() != w[i].String() {
			t.Errorf("record %d:\n got %s\nwant %s", i, got[i], w[i])
		}
	}
}

func sortStored(s []Stored) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].ID != s[j].ID {
			return s[i].ID < s[j].ID
		}
		if s[i].Part != s[j].Part {
			return s[i].Part < s[j].Part
		}
		return s[i].Offset < s[j].Offset
	})
}

func render(s []Stored) string {
	var b strings.Builder
	for _, x := range s {
		b.WriteString("\n  " + x.String())
	}
	return b.String()
}

func clip(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "..."
	}
	return s
}

func closeStore(t *testing.T, s store.Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Errorf("closing the store: %v", err)
	}
}
