package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
