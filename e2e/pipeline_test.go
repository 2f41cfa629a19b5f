package e2e

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/e2e/gen"
	"github.com/newsflow/newsflow/pkg/article"
)

// sharedSample is the real article in the shared samples folder, when the
// machine has it (it is someone else's text and never copied here).
// NEWSFLOW_SHARED_SAMPLES points elsewhere.
func sharedSample(t *testing.T) string {
	dir := os.Getenv("NEWSFLOW_SHARED_SAMPLES")
	if dir == "" {
		dir = "../../shared/samples"
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	if len(paths) == 0 {
		return ""
	}
	return paths[0]
}

// TestPipeline pushes the sample articles, 250 generated ones, invalid lines
// and malformed messages through ingest, enrich and sink as processes, and
// accounts for every one of them.
func TestPipeline(t *testing.T) {
	s := newStack(t)
	in := filepath.Join(s.Dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}

	// Generated articles, plus two lines ingest must refuse.
	g := gen.New(42)
	var lines []string
	ids := map[string]bool{}
	for range 250 {
		a := g.Article(2500)
		data, _ := json.Marshal(a)
		lines = append(lines, string(data))
		ids[a.ID] = true
	}
	lines = append(lines, `{"title":"no body"}`, `{"body": 12}`)
	if err := os.WriteFile(filepath.Join(in, "generated.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The repository's own samples.
	repoSamples, _ := filepath.Glob("../samples/*.txt")
	for _, p := range repoSamples {
		data, _ := os.ReadFile(p)
		if err := os.WriteFile(filepath.Join(in, filepath.Base(p)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inputs := []string{in}
	sample := sharedSample(t)
	if sample != "" {
		inputs = append(inputs, sample)
	} else {
		t.Log("../shared/samples is absent; running without the shared sample article")
	}

	db := filepath.Join(s.Dir, "newsflow.db")
	out := filepath.Join(s.Dir, "out")
	s.start("enrich", "enrich")
	s.start("sink", "sink", "-to", "sqlite:"+db, "-to", "jsonl:"+out)

	report := s.ingest(inputs...)
	t.Logf("ingest: %s", report)
	wantArticles := 250 + len(repoSamples)
	if sample != "" {
		wantArticles++
	}
	if !strings.Contains(report, "refused") || !strings.Contains(report, "missing_body") || !strings.Contains(report, "invalid_field") {
		t.Errorf("ingest report does not list the refused lines: %s", report)
	}

	// Malformed messages from a producer that bypasses ingest.
	bad := [][]byte{
		[]byte(`{"schema_version":1,"id":`), // truncated JSON
		[]byte(`{"schema_version":1,"id":"0123456789abcdef0123456789abcdef","source":{"type":"x"},"ingested_at":"2026-01-01T00:00:00Z"}`), // no body
		[]byte("{\"schema_version\":1,\"body\":\"\xff\xfe\"}"),                                                                            // invalid UTF-8
		[]byte(`{"schema_version":7,"id":"0123456789abcdef0123456789abcdef","source":{"type":"x"},"body":"b","ingested_at":"2026-01-01T00:00:00Z"}`),
	}
	s.publishRaw(article.RawTopic, bad...)

	total := int64(wantArticles + len(bad))
	s.waitCaughtUp(90*time.Second,
		map[string]int64{article.RawTopic: total, article.EnrichedTopic: int64(wantArticles)},
		map[string]string{article.EnrichGroup: article.RawTopic, "newsflow-sink-sqlite": article.EnrichedTopic, "newsflow-sink-jsonl": article.EnrichedTopic})

	// SQLite: one row per distinct id, nothing lost.
	sdb := openSQLite(t, db)
	var rows, distinct int
	if err := sdb.QueryRow(`SELECT count(*), count(DISTINCT id) FROM articles`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != wantArticles || distinct != wantArticles {
		t.Errorf("sqlite holds %d rows (%d distinct), want %d", rows, distinct, wantArticles)
	}
	for id := range ids {
		var lang string
		if err := sdb.QueryRow(`SELECT language FROM articles WHERE id = ?`, id).Scan(&lang); err != nil {
			t.Errorf("generated article %s is missing: %v", id, err)
			break
		}
	}
	if sample != "" {
		var lang, published, precision string
		err := sdb.QueryRow(`SELECT language, published, published_precision FROM articles WHERE source_type = 'file' AND doc LIKE '%Loekasjenko%'`).Scan(&lang, &published, &precision)
		if err != nil {
			t.Fatalf("the sample article is not in the sink: %v", err)
		}
		if lang != "nl" || published != "2020-09" || precision != "month" {
			t.Errorf("sample article tagged %s, published %s (%s); want nl, 2020-09 (month)", lang, published, precision)
		}
	}

	// JSONL: every article exactly once across the files, published or
	// still open in the staging area.
	seen := map[string]int{}
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".jsonl") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var a article.Enriched
			if err := json.Unmarshal([]byte(line), &a); err != nil {
				return fmt.Errorf("bad JSONL line in %s: %w", path, err)
			}
			seen[a.ID]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != wantArticles {
		t.Errorf("JSONL files hold %d distinct articles, want %d", len(seen), wantArticles)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("article %s appears %d times in the JSONL files", id, n)
		}
	}

	// The DLQ holds exactly the malformed messages, each with a reason.
	dlq := s.readTopic(article.DLQTopic(article.RawTopic), len(bad), 30*time.Second)
	reasons := map[string]bool{}
	for _, m := range dlq {
		r := m.Metadata.Get(article.HeaderDLQReason)
		reasons[strings.SplitN(r, ":", 2)[0]] = true
		if m.Metadata.Get(article.HeaderDLQStage) != "enrich" || m.Metadata.Get(article.HeaderOriginTopic) != article.RawTopic ||
			m.Metadata.Get(article.HeaderOriginOffset) == "" || m.Metadata.Get(article.HeaderFailedAt) == "" {
			t.Errorf("dead-lettered message lacks its headers: %v", m.Metadata)
		}
	}
	for _, want := range []string{"malformed_json", "missing_body", "invalid_utf8", "schema_version"} {
		if !reasons[want] {
			t.Errorf("no dead-lettered message with reason %s; got %v", want, reasons)
		}
	}

	// Re-ingesting the same files gives the same ids: no new rows.
	s.ingest(inputs...)
	s.waitCaughtUp(60*time.Second,
		map[string]int64{article.EnrichedTopic: int64(2 * wantArticles)},
		map[string]string{"newsflow-sink-sqlite": article.EnrichedTopic, "newsflow-sink-jsonl": article.EnrichedTopic})
	if err := sdb.QueryRow(`SELECT count(*) FROM articles`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != wantArticles {
		t.Errorf("after re-ingesting, sqlite holds %d rows, want %d", rows, wantArticles)
	}

	// SIGTERM stops every service cleanly.
	for _, name := range []string{"enrich", "sink"} {
		if err := s.stop(name); err != nil {
			t.Errorf("%s did not stop cleanly: %v", name, err)
		}
	}
}
