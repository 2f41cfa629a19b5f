package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEntityModelsDir checks -entity-models: a missing directory or a
// damaged model stops the start with a reason naming the directory; a
// directory without models leaves the built-in ones in place.
func TestEntityModelsDir(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, dir, want string
	}{
		{"missing", filepath.Join(dir, "none"), "no such file"},
		{"damaged", dir, "models from " + dir},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "damaged" {
				if err := os.WriteFile(filepath.Join(dir, "nl.ner.gz"), []byte("not a model"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cfg := defaultTaggerConfig(t)
			cfg.entityModels = c.dir
			_, err := newPipeline(cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("newPipeline: %v, want an error with %q", err, c.want)
			}
		})
	}
	cfg := defaultTaggerConfig(t)
	cfg.entityModels = t.TempDir()
	if _, err := newPipeline(cfg); err != nil {
		t.Fatalf("an empty model directory: %v", err)
	}
}

// TestTagWarmup checks -warmup: its articles are tagged first and left out
// of -timings' counts and of the output; a missing file stops the run.
func TestTagWarmup(t *testing.T) {
	line := `{"schema_version":1,"id":"0123456789abcdef0123456789abcdef","source":{"type":"file","name":"t","uri":"file:t"},` +
		`"ingested_at":"2026-11-28T00:00:00Z","title":"Rain in Amsterdam","body":"It rained in Amsterdam on Monday, the city said."}` + "\n"
	warm := filepath.Join(t.TempDir(), "warm.jsonl")
	if err := os.WriteFile(warm, []byte(strings.Repeat(line, 3)), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errw strings.Builder
	getenv := func(string) string { return "" }
	if err := runTag(context.Background(), []string{"-timings", "-warmup", warm, "-taggers", "language"}, getenv, strings.NewReader(line), &out, &errw); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != 1 {
		t.Errorf("%d output lines, want 1 (the warm-up's are discarded)", n)
	}
	if !strings.Contains(errw.String(), "articles 1 ") || !strings.Contains(errw.String(), "tagger language") {
		t.Errorf("timings count the warm-up: %s", errw.String())
	}
	err := runTag(context.Background(), []string{"-warmup", filepath.Join(t.TempDir(), "none.jsonl")}, getenv, strings.NewReader(line), &out, &errw)
	if err == nil || !strings.Contains(err.Error(), "warm-up") {
		t.Errorf("missing warm-up file: %v, want a warm-up error", err)
	}
}

func TestTagTimesReset(t *testing.T) {
	tt := &tagTimes{d: map[string]time.Duration{}}
	tt.observe("language", 3*time.Second)
	tt.reset()
	tt.observe("language", time.Second)
	var b strings.Builder
	tt.print(&b)
	if !strings.Contains(b.String(), "1s total") || !strings.Contains(b.String(), "1s/article") {
		t.Errorf("after reset: %s, want one second in one article", b.String())
	}
}
