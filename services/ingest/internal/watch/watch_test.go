package watch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/rs/zerolog"
)

type fakePub struct {
	mu   sync.Mutex
	n    int
	down atomic.Bool
}

func (f *fakePub) PublishMessages(_ context.Context, msgs []*message.Message) error {
	if f.down.Load() {
		return errors.New("broker down")
	}
	f.mu.Lock()
	f.n += len(msgs)
	f.mu.Unlock()
	return nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T) (*Watcher, *fakePub, *clock, string) {
	t.Helper()
	dir := t.TempDir()
	pub := &fakePub{}
	w, err := New(Config{Dir: dir, Settle: 2 * time.Second}, pub, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	w.now = c.now
	return w, pub, c, dir
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFilesAreIngestedWhenCompleteThenMoved(t *testing.T) {
	w, pub, c, dir := setup(t)
	write(t, filepath.Join(dir, "a.txt"), " date 2020-09 Een tekst over de haven.\n")
	write(t, filepath.Join(dir, "b.jsonl"), `{"body":"One."}`+"\n"+`{"maintext":"Two.","source_domain":"x.example"}`+"\n")
	write(t, filepath.Join(dir, ".c.jsonl.tmp"), `{"body":"being written"}`)

	// First sight: not settled yet.
	if out, err := w.Scan(t.Context()); err != nil || len(out) != 0 {
		t.Fatalf("first scan: %v %v", out, err)
	}
	// A file still growing restarts its settle time.
	c.t = c.t.Add(time.Second)
	write(t, filepath.Join(dir, "b.jsonl"), `{"body":"One."}`+"\n"+`{"maintext":"Two.","source_domain":"x.example"}`+"\n"+`{"body":"Three."}`+"\n")
	c.t = c.t.Add(1500 * time.Millisecond)
	out, err := w.Scan(t.Context())
	if err != nil || len(out) != 1 || out[0].File != "a.txt" || out[0].Published != 1 {
		t.Fatalf("second scan: %+v %v", out, err)
	}
	c.t = c.t.Add(2 * time.Second)
	out, err = w.Scan(t.Context())
	if err != nil || len(out) != 1 || out[0].File != "b.jsonl" || out[0].Published != 3 {
		t.Fatalf("third scan: %+v %v", out, err)
	}
	// Renamed into place: picked up after settling, like any file.
	if err := os.Rename(filepath.Join(dir, ".c.jsonl.tmp"), filepath.Join(dir, "c.jsonl")); err != nil {
		t.Fatal(err)
	}
	_, _ = w.Scan(t.Context())
	c.t = c.t.Add(2 * time.Second)
	if out, _ := w.Scan(t.Context()); len(out) != 1 || out[0].File != "c.jsonl" {
		t.Fatalf("renamed file: %+v", out)
	}
	for _, n := range []string{"a.txt", "b.jsonl", "c.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, DoneDir, n)); err != nil {
			t.Errorf("%s not in done/: %v", n, err)
		}
	}
	if pub.n != 5 {
		t.Fatalf("published %d", pub.n)
	}
}

func TestRefusedItemsGoToFailedWithReason(t *testing.T) {
	w, pub, c, dir := setup(t)
	write(t, filepath.Join(dir, "mixed.jsonl"), `{"body":"Good."}`+"\n"+`{"title":"no body"}`+"\n"+`{"body":"x","published":"someday"}`+"\n")
	write(t, filepath.Join(dir, "empty.txt"), "   \n")
	write(t, filepath.Join(dir, "table.csv"), "a,b\n")
	_, _ = w.Scan(t.Context())
	c.t = c.t.Add(3 * time.Second)
	out, err := w.Scan(t.Context())
	if err != nil || len(out) != 3 {
		t.Fatalf("%+v %v", out, err)
	}
	reasons := map[string]string{}
	for _, n := range []string{"mixed.jsonl", "empty.txt", "table.csv"} {
		data, err := os.ReadFile(filepath.Join(dir, FailedDir, n+".reason"))
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		reasons[n] = string(data)
		if _, err := os.Stat(filepath.Join(dir, FailedDir, n)); err != nil {
			t.Errorf("%s not in failed/", n)
		}
	}
	for n, want := range map[string][]string{
		"mixed.jsonl": {"2 refused, 1 published", "line 2: missing_body", "line 3: invalid_date"},
		"empty.txt":   {"1 refused, 0 published", "file: "},
		"table.csv":   {"unsupported file type \".csv\""},
	} {
		for _, s := range want {
			if !strings.Contains(reasons[n], s) {
				t.Errorf("%s reason lacks %q:\n%s", n, s, reasons[n])
			}
		}
	}
	if pub.n != 1 {
		t.Fatalf("published %d", pub.n)
	}
}

func TestBrokerDownLeavesFileInPlace(t *testing.T) {
	w, pub, c, dir := setup(t)
	pub.down.Store(true)
	path := filepath.Join(dir, "a.jsonl")
	write(t, path, `{"body":"One."}`+"\n")
	_, _ = w.Scan(t.Context())
	c.t = c.t.Add(3 * time.Second)
	if out, _ := w.Scan(t.Context()); len(out) != 0 {
		t.Fatalf("moved while the broker is down: %+v", out)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal("file left the folder")
	}
	pub.down.Store(false)
	c.t = c.t.Add(time.Minute)
	if out, _ := w.Scan(t.Context()); len(out) != 1 || out[0].Published != 1 {
		t.Fatalf("after the broker came back: %+v", out)
	}
}

func TestNameClashInDone(t *testing.T) {
	w, _, c, dir := setup(t)
	for range 2 {
		write(t, filepath.Join(dir, "same.jsonl"), `{"body":"One."}`+"\n")
		_, _ = w.Scan(t.Context())
		c.t = c.t.Add(3 * time.Second)
		if out, err := w.Scan(t.Context()); err != nil || len(out) != 1 {
			t.Fatalf("%+v %v", out, err)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, DoneDir))
	if len(entries) != 2 {
		t.Fatalf("done/ holds %d files, want 2", len(entries))
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	dir := t.TempDir()
	w, err := New(Config{Dir: dir, Settle: 10 * time.Millisecond, Scan: 10 * time.Millisecond}, &fakePub{}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "x.jsonl"), `{"body":"One."}`+"\n")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, DoneDir, "x.jsonl")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("file not ingested by Run")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Dir: filepath.Join(dir, "missing")}, &fakePub{}, zerolog.Nop()); err == nil {
		t.Fatal("watching a missing folder")
	}
}
