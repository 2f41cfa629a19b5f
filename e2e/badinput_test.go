package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/e2e/gen"
	"github.com/newsflow/newsflow/pkg/article"
)

// TestBadInput pushes a corpus of hostile input through ingest and straight
// onto the raw topic, between good articles. Every bad item is refused with a
// reason (ingest) or dead-lettered (the topic); nothing crashes or stalls;
// every good article arrives, hostile-looking text stored verbatim as text.
func TestBadInput(t *testing.T) {
	s := newStack(t)
	g := gen.New(99)
	var lines []string
	good := map[string]string{} // id -> what to look for in the stored title
	addGood := func(mutate func(a *article.Raw)) {
		a := g.Article(600)
		if mutate != nil {
			mutate(a)
			a.ID = article.ID(a.URL, "", "", a.Title, a.Body)
		}
		data, _ := json.Marshal(a)
		lines = append(lines, string(data))
		good[a.ID] = a.Title
	}
	bad := map[string]string{ // line -> the reason ingest must give
		`{"schema_version":1,"title":"truncated","body":"abc`: "malformed_json",
		`{"body": ["not", "a", "string"]}`:                    "invalid_field",
		`{"body": "   "}`:                                     "missing_body",
		`{"body":"nul \u0000 inside"}`:                        "nul_byte",
		`{"body":"ok","published":"yesterday-ish"}`:           "invalid_date",
		`{"body":"ok","id":"../../etc/passwd"}`:               "invalid_id",
		"{\"body\":\"bad utf-8 \xc3\x28 here\"}":              "invalid_utf8",
		`{"body":"` + strings.Repeat("x", 5<<20) + `"}`:       "too_large",
		`"just a string"`:                                     "malformed_json",
		`{"schema_version":2,"body":"from the future"}`:       "schema_version",
		"{\"body\":\"raw nul \x00 byte\"}":                    "nul_byte",
		`{"body":"ok","source":{"type":"jsonl","name":12}}`:   "invalid_field",
	}
	addGood(nil)
	for line := range bad {
		lines = append(lines, line)
		addGood(nil)
	}
	// Hostile-looking but valid text: kept, as text.
	addGood(func(a *article.Raw) { a.Title = `<script>alert("x")</script><b>Markup</b> in the title` })
	addGood(func(a *article.Raw) { a.Title = `Robert'); DROP TABLE articles; -- "quoted" %_ \ title` })
	addGood(func(a *article.Raw) {
		a.Title = "Traversal in the source name"
		a.Source = article.Source{Type: "jsonl", Name: "../../../etc/passwd", URI: "file:../../../etc/shadow"}
	})
	addGood(func(a *article.Raw) { a.Title = "Entities &amp; &lt;tags&gt; &#x27; stay text" })
	in := filepath.Join(s.Dir, "hostile.jsonl")
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	db := filepath.Join(s.Dir, "newsflow.db")
	out := filepath.Join(s.Dir, "out")
	s.start("enrich", "enrich")
	s.start("sink", "sink", "-to", "sqlite:"+db, "-to", "jsonl:"+out)
	report := s.ingest(in)
	t.Logf("ingest report:\n%s", report)
	for _, reason := range bad {
		if !strings.Contains(report, reason) {
			t.Errorf("ingest report does not give reason %s", reason)
		}
	}

	// The same classes straight onto the raw topic, from a producer that
	// skips ingest's checks.
	direct := [][]byte{
		[]byte(`{"schema_version":1,"title":"truncated","body":"abc`),
		[]byte(`{"schema_version":1,"id":"0123456789abcdef0123456789abcdef","source":{"type":"x"},"body":12,"ingested_at":"2026-01-01T00:00:00Z"}`),
		[]byte(`{"schema_version":1,"id":"0123456789abcdef0123456789abcdef","source":{"type":"x"},"body":"","ingested_at":"2026-01-01T00:00:00Z"}`),
		[]byte("{\"schema_version\":1,\"body\":\"\xc3\x28\"}"),
		[]byte(`{"schema_version":1,"id":"0123456789abcdef0123456789abcdef","source":{"type":"x"},"body":"a\u0000b","ingested_at":"2026-01-01T00:00:00Z"}`),
		[]byte(`{"schema_version":1,"id":"'; DROP TABLE articles; --","source":{"type":"x"},"body":"b","ingested_at":"2026-01-01T00:00:00Z"}`),
		{},
	}
	s.publishRaw(article.RawTopic, direct...)

	s.waitCaughtUp(2*time.Minute,
		map[string]int64{article.EnrichedTopic: int64(len(good)), article.DLQTopic(article.RawTopic): int64(len(direct))},
		map[string]string{article.EnrichGroup: article.RawTopic, "newsflow-sink-sqlite": article.EnrichedTopic, "newsflow-sink-jsonl": article.EnrichedTopic})

	sdb := openSQLite(t, db)
	var rows int
	if err := sdb.QueryRow(`SELECT count(*) FROM articles`).Scan(&rows); err != nil {
		t.Fatalf("the articles table is not intact: %v", err)
	}
	if rows != len(good) {
		t.Errorf("sink holds %d rows, want the %d good articles", rows, len(good))
	}
	for id, title := range good {
		var got string
		if err := sdb.QueryRow(`SELECT title FROM articles WHERE id = ?`, id).Scan(&got); err != nil {
			t.Errorf("good article %s missing: %v", id, err)
			continue
		}
		if got != title {
			t.Errorf("title stored as %q, want it verbatim %q", got, title)
		}
	}
	// The file sink wrote only inside its directory.
	err := filepath.WalkDir(s.Dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(path, "passwd") {
			t.Errorf("a file named after hostile input was written: %s", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	dlq := s.readTopic(article.DLQTopic(article.RawTopic), len(direct), 30*time.Second)
	for _, m := range dlq {
		if m.Metadata.Get(article.HeaderDLQReason) == "" {
			t.Errorf("dead-lettered message without a reason: %v", m.Metadata)
		}
	}
	for _, name := range []string{"enrich", "sink"} {
		if done, err := s.Proc(name).Exited(); done {
			t.Errorf("%s exited during the test: %v", name, err)
		}
	}
}
