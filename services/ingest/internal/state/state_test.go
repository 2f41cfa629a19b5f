package state

import (
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

func open(t *testing.T, path string, ttl time.Duration) *Store {
	t.Helper()
	s, err := Open(t.Context(), Config{Path: path, TTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestSeenSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "state.db")
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s := open(t, path, 24*time.Hour)
	ids := []string{"a", "b", "c", "b"}
	unseen, err := s.Unseen(t.Context(), ids, now)
	if err != nil || !slices.Equal(unseen, []string{"a", "b", "c"}) {
		t.Fatalf("fresh store: %v %v", unseen, err)
	}
	if err := s.Mark(t.Context(), []string{"a", "b"}, "feed:x", now); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}

	s = open(t, path, 24*time.Hour)
	unseen, err = s.Unseen(t.Context(), []string{"a", "b", "c", "d"}, now.Add(time.Hour))
	if err != nil || !slices.Equal(unseen, []string{"c", "d"}) {
		t.Fatalf("after restart: %v %v", unseen, err)
	}
}

func TestTTL(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "state.db"), 8*time.Hour)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.Mark(t.Context(), []string{"kept", "dropped"}, "feed:x", t0); err != nil {
		t.Fatal(err)
	}
	// "kept" is shown again after 5 h: its sighting moves forward.
	if unseen, err := s.Unseen(t.Context(), []string{"kept"}, t0.Add(5*time.Hour)); err != nil || len(unseen) != 0 {
		t.Fatalf("at 5h: %v %v", unseen, err)
	}
	at := t0.Add(9 * time.Hour)
	unseen, err := s.Unseen(t.Context(), []string{"kept", "dropped"}, at)
	if err != nil || !slices.Equal(unseen, []string{"dropped"}) {
		t.Fatalf("at 9h: %v %v", unseen, err)
	}
	n, err := s.Prune(t.Context(), at)
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	if c, _ := s.Count(t.Context()); c != 1 {
		t.Fatalf("count %d after prune", c)
	}
}

func TestManyIDs(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "state.db"), time.Hour)
	now := time.Now()
	var ids []string
	for i := range 1234 {
		ids = append(ids, strconv.Itoa(i))
	}
	if err := s.Mark(t.Context(), ids[:1000], "x", now); err != nil {
		t.Fatal(err)
	}
	unseen, err := s.Unseen(t.Context(), ids, now)
	if err != nil || !slices.Equal(unseen, ids[1000:]) {
		t.Fatalf("%d unseen, %v", len(unseen), err)
	}
}

func TestValidators(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s := open(t, path, time.Hour)
	now := time.Now()
	if err := s.SaveValidators(t.Context(), "http://a/feed", Validators{ETag: `"1"`}, now); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveValidators(t.Context(), "http://a/feed", Validators{ETag: `"2"`, LastModified: "x"}, now); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s = open(t, path, time.Hour)
	v, err := s.Validators(t.Context())
	if err != nil || v["http://a/feed"] != (Validators{ETag: `"2"`, LastModified: "x"}) || len(v) != 1 {
		t.Fatalf("%v %v", v, err)
	}
}

func TestConfig(t *testing.T) {
	if _, err := Open(t.Context(), Config{}); err == nil {
		t.Fatal("opened without a path")
	}
	if _, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "x.db"), TTL: time.Second}); err == nil {
		t.Fatal("accepted a one-second TTL")
	}
}
