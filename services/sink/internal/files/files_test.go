package files_test

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/services/sink/internal/files"
	"github.com/newsflow/newsflow/services/sink/internal/jsonl"
	"github.com/newsflow/newsflow/services/sink/internal/parquet"
	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/storetest"
)

var formats = []struct {
	name   string
	format files.Format
}{
	{"jsonl", jsonl.Format{}},
	{"jsonl.gz", jsonl.Format{Gzip: true}},
	{"parquet", parquet.Format{}},
}

func harness(format files.Format, opt files.Options) func(t *testing.T) storetest.Harness {
	return func(t *testing.T) storetest.Harness {
		dir := t.TempDir()
		opt.Format = format
		return storetest.Harness{
			Open: func(t *testing.T) store.Store {
				s, err := files.Open(dir, opt)
				if err != nil {
					t.Fatal(err)
				}
				return s
			},
			Read: func(t *testing.T, s store.Store) []storetest.Stored {
				flush(t, s)
				return read(t, dir, format)
			},
			Snapshot: func(t *testing.T, s store.Store) string {
				flush(t, s)
				return snapshot(t, dir)
			},
		}
	}
}

func TestContract(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) { storetest.Run(t, harness(f.format, files.Options{})) })
		// Tiny parts: every batch seals parts, so replays meet sealed parts
		// and in-flight records are merged into them.
		t.Run(f.name+" tiny parts", func(t *testing.T) { storetest.Run(t, harness(f.format, files.Options{MaxBytes: 2000})) })
	}
}

func flush(t *testing.T, s store.Store) {
	t.Helper()
	if err := s.(*files.Store).Flush(); err != nil {
		t.Fatal(err)
	}
}

// published lists the published files under dir.
func published(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "_staging" {
			return filepath.SkipDir
		}
		if !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func read(t *testing.T, dir string, format files.Format) []storetest.Stored {
	t.Helper()
	var out []storetest.Stored
	for _, path := range published(t, dir) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := format.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, l := range lines {
			doc, pos, err := files.SplitLine(l)
			if err != nil {
				t.Fatal(err)
			}
			a, err := article.DecodeEnriched(doc)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			// The file a record is in must be the one its name promises.
			wantDir := "date=" + a.IngestedAt.UTC().Format(time.DateOnly)
			if filepath.Base(filepath.Dir(path)) != wantDir || !strings.HasPrefix(filepath.Base(path), fmt.Sprintf("p%03d-", pos.Partition)) {
				t.Errorf("%s holds %s/%d@%d ingested %s", path, pos.Topic, pos.Partition, pos.Offset, a.IngestedAt)
			}
			out = append(out, storetest.Expect(storetest.RecordOf(&a, pos.Topic, pos.Partition, pos.Offset)))
		}
	}
	return out
}

func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	for _, path := range published(t, dir) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, path)
		fmt.Fprintf(&b, "%s %x\n", rel, sha256.Sum256(data))
	}
	return b.String()
}
