package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/newsflow/newsflow/e2e/gen"
	"github.com/newsflow/newsflow/pkg/article"
)

// writeArticles writes n generated articles as JSON Lines and returns the
// file and the ids.
func writeArticles(t *testing.T, dir string, name string, seed uint64, n, size int) (string, map[string]bool) {
	t.Helper()
	path := filepath.Join(dir, name)
	ids, err := gen.WriteJSONL(path, seed, n, size)
	if err != nil {
		t.Fatal(err)
	}
	return path, ids
}

func rowCount(t *testing.T, db string) (rows, distinct int) {
	t.Helper()
	if err := openSQLite(t, db).QueryRow(`SELECT count(*), count(DISTINCT id) FROM articles`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	return rows, distinct
}

// TestScaleOutAndKill runs three enrich workers in one group, kills one with
// SIGKILL mid-stream, adds another, and checks that every article reaches
// the sink exactly once.
func TestScaleOutAndKill(t *testing.T) {
	s := newStack(t)
	const n = 1200
	input, ids := writeArticles(t, s.Dir, "articles.jsonl", 7, n, 2000)
	db := filepath.Join(s.Dir, "newsflow.db")
	s.start("sink", "sink", "-to", "sqlite:"+db)
	for _, w := range []string{"enrich-1", "enrich-2", "enrich-3"} {
		s.start(w, "enrich", "-max-in-flight", "4")
	}
	s.ingest(input)

	// Kill a worker once part of the stream is through.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		p, err := s.Measure(context.Background(), []string{article.EnrichedTopic}, nil)
		if err == nil && p.Ends[article.EnrichedTopic] >= n/4 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	if err := s.WaitGroupStable(wctx, article.EnrichGroup, 3); err != nil {
		t.Logf("killing without a stable group: %v", err)
	}
	cancel()
	if err := s.Signal("enrich-2", syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s.start("enrich-4", "enrich", "-max-in-flight", "4")

	s.waitCaughtUp(3*time.Minute,
		map[string]int64{article.EnrichedTopic: n},
		map[string]string{article.EnrichGroup: article.RawTopic, "newsflow-sink-sqlite": article.EnrichedTopic})
	rows, distinct := rowCount(t, db)
	if rows != n || distinct != n {
		t.Fatalf("sink holds %d rows (%d distinct), want %d", rows, distinct, n)
	}
	sdb := openSQLite(t, db)
	for id := range ids {
		var one int
		if err := sdb.QueryRow(`SELECT 1 FROM articles WHERE id = ?`, id).Scan(&one); err != nil {
			t.Fatalf("article %s lost: %v", id, err)
		}
	}
	p, _ := s.Measure(context.Background(), []string{article.EnrichedTopic}, nil)
	t.Logf("enriched topic holds %d messages for %d articles: %d duplicates from the killed worker's uncommitted work",
		p.Ends[article.EnrichedTopic], n, p.Ends[article.EnrichedTopic]-n)
}

// TestReprocessSideBySide ships a "new enricher": live enrichment restarts
// with a new version while enrich reprocess runs the old range under its own
// group, and live articles keep arriving. Afterwards every row carries the new
// version, the row count is unchanged, and no live article is lost.
func TestReprocessSideBySide(t *testing.T) {
	s := newStack(t)
	const old, live = 400, 150
	first, _ := writeArticles(t, s.Dir, "old.jsonl", 11, old, 1500)
	second, _ := writeArticles(t, s.Dir, "live.jsonl", 12, live, 1500)
	db := filepath.Join(s.Dir, "newsflow.db")
	s.start("sink", "sink", "-to", "sqlite:"+db)
	s.start("enrich", "enrich")
	s.ingest(first)
	groups := map[string]string{article.EnrichGroup: article.RawTopic, "newsflow-sink-sqlite": article.EnrichedTopic}
	s.waitCaughtUp(2*time.Minute, map[string]int64{article.EnrichedTopic: old}, groups)

	const next = "9.0.0"
	if err := s.stop("enrich"); err != nil {
		t.Fatal(err)
	}
	s.start("enrich-next", "enrich", "-enrichment-version", next)
	done := make(chan error, 1)
	var report string
	go func() {
		var err error
		report, err = s.Run("enrich", "reprocess", "-enrichment-version", next, "-rate", "400", "-progress", "500ms")
		done <- err
	}()
	// Live articles arrive while the reprocess runs.
	time.Sleep(300 * time.Millisecond)
	s.ingest(second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	t.Logf("reprocess:\n%s", report)
	if !strings.Contains(report, "reprocessed 400 of 400 articles") {
		t.Errorf("reprocess report does not account for the range: %s", report)
	}
	// The reprocess group stops at the end offsets it captured: its lag on
	// the live articles after them is expected, so it is not waited for.
	s.waitCaughtUp(2*time.Minute, map[string]int64{article.RawTopic: old + live}, groups)

	sdb := openSQLite(t, db)
	var rows, newest int
	if err := sdb.QueryRow(`SELECT count(*), count(*) FILTER (WHERE enrichment_version = ?) FROM articles`, next).Scan(&rows, &newest); err != nil {
		t.Fatal(err)
	}
	if rows != old+live {
		t.Errorf("sink holds %d rows, want %d", rows, old+live)
	}
	if newest != rows {
		t.Errorf("%d of %d rows carry version %s", newest, rows, next)
	}
	// Running the same reprocess again resumes at the end: nothing to do.
	again, err := s.Run("enrich", "reprocess", "-enrichment-version", next)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(again, "reprocessed 400 of 400 articles") || !strings.Contains(again, ": 0 published") {
		t.Errorf("a second run redid work: %s", again)
	}
}

// TestRewindSink rewinds an idle sink group to the beginning: the sink
// reads everything again and the rows stay as they were.
func TestRewindSink(t *testing.T) {
	s := newStack(t)
	const n = 200
	input, _ := writeArticles(t, s.Dir, "articles.jsonl", 21, n, 1000)
	db := filepath.Join(s.Dir, "newsflow.db")
	s.start("enrich", "enrich")
	s.start("sink", "sink", "-to", "sqlite:"+db)
	s.ingest(input)
	groups := map[string]string{article.EnrichGroup: article.RawTopic, "newsflow-sink-sqlite": article.EnrichedTopic}
	s.waitCaughtUp(2*time.Minute, map[string]int64{article.EnrichedTopic: n}, groups)

	rewind := []string{"rewind", "-group", "newsflow-sink-sqlite", "-topic", article.EnrichedTopic, "-to-beginning"}
	if _, err := s.Run("newsflow", rewind...); err == nil || !strings.Contains(err.Error(), "active members") {
		t.Fatalf("rewind of a running group was not refused: %v", err)
	}
	if err := s.stop("sink"); err != nil {
		t.Fatal(err)
	}
	dry, err := s.Run("newsflow", rewind...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dry, "dry run") || !strings.Contains(dry, "would reprocess 200 messages") {
		t.Errorf("dry run output: %s", dry)
	}
	lags, _ := s.Admin.Lag(context.Background(), "newsflow-sink-sqlite", article.EnrichedTopic)
	for _, l := range lags {
		if l.Lag != 0 {
			t.Fatalf("the dry run moved offsets: %+v", l)
		}
	}
	if _, err := s.Run("newsflow", append(rewind, "-apply")...); err != nil {
		t.Fatal(err)
	}
	p, _ := s.Measure(context.Background(), nil, map[string]string{"newsflow-sink-sqlite": article.EnrichedTopic})
	if p.Lags["newsflow-sink-sqlite"] != n {
		t.Fatalf("after rewinding, lag is %d, want %d", p.Lags["newsflow-sink-sqlite"], n)
	}
	s.start("sink-again", "sink", "-to", "sqlite:"+db)
	s.waitCaughtUp(time.Minute, nil, groups)
	if rows, distinct := rowCount(t, db); rows != n || distinct != n {
		t.Errorf("after the replay the sink holds %d rows (%d distinct), want %d", rows, distinct, n)
	}
}

// TestDLQReplay sends dead-lettered messages back to their origin, filtered
// by reason, with the original key, and counts attempts.
func TestDLQReplay(t *testing.T) {
	s := newStack(t)
	s.start("enrich", "enrich")
	s.publishRaw(article.RawTopic,
		[]byte(`{"schema_version":3,"id":"0123456789abcdef0123456789abcdef","source":{"type":"x"},"body":"b","ingested_at":"2026-01-01T00:00:00Z"}`),
		[]byte(`not json`),
	)
	dlq := article.DLQTopic(article.RawTopic)
	s.waitCaughtUp(time.Minute, map[string]int64{dlq: 2}, map[string]string{article.EnrichGroup: article.RawTopic})

	out, err := s.Run("newsflow", "dlq-replay", "-dlq", dlq, "-reason", "schema_version")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "dry run: 1 messages") {
		t.Errorf("dry run output: %s", out)
	}
	if out, err = s.Run("newsflow", "dlq-replay", "-dlq", dlq, "-reason", "schema_version", "-apply"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "republished 1 messages to "+article.RawTopic) {
		t.Errorf("apply output: %s", out)
	}
	// Still bad: it comes back with its attempt count raised and its key kept.
	s.waitCaughtUp(time.Minute, map[string]int64{dlq: 3}, map[string]string{article.EnrichGroup: article.RawTopic})
	msgs := s.readTopic(dlq, 3, 30*time.Second)
	var second int
	for _, m := range msgs {
		if m.Metadata.Get(article.HeaderDLQAttempts) == "2" {
			second++
			if m.Metadata.Get(article.HeaderArticleID) != "bad-0" || !strings.HasPrefix(m.Metadata.Get(article.HeaderDLQReason), "schema_version") {
				t.Errorf("replayed message lost its key or reason: %v", m.Metadata)
			}
		}
	}
	if second != 1 {
		t.Errorf("%d messages with dlq_attempts=2, want 1", second)
	}
}
