package parquet_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/newsflow/newsflow/services/sink/internal/files"
	"github.com/newsflow/newsflow/services/sink/internal/parquet"
	"github.com/newsflow/newsflow/services/sink/internal/storetest"
)

// The columns hold what a reader such as DuckDB expects: dates as days since
// 1970 (the DATE type), times in UTC, entities as a list, the document as
// JSON. Checked against values computed here, not against the writer.
func TestColumns(t *testing.T) {
	g := storetest.NewGen(3)
	r := g.Record(11, "1.2.3", "news.enriched.v1", 4, 77)
	var buf bytes.Buffer
	if err := (parquet.Format{}).Encode(&buf, [][]byte{files.Line(r)}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "x.parquet")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := parquet.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	row := rows[0]
	a := r.Article
	day, err := time.Parse(time.DateOnly, a.Enrichment.Date.Published[:10])
	if err != nil {
		t.Fatal(err)
	}
	wantDays := int32(day.Sub(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)).Hours() / 24)
	if row.PublishedDay == nil || *row.PublishedDay != wantDays {
		t.Errorf("published_day = %v, want %d (%s)", row.PublishedDay, wantDays, day.Format(time.DateOnly))
	}
	if row.PublishedMonth == nil || *row.PublishedMonth != wantDays-int32(day.Day()-1) {
		t.Errorf("published_month = %v, want the first of %s", row.PublishedMonth, day.Format("2006-01"))
	}
	if !row.IngestedAt.Equal(a.IngestedAt) || row.KafkaPartition != 4 || row.KafkaOffset != 77 || row.EnrichmentVersionOrd != 1_000_002_000_003 {
		t.Errorf("row %+v does not match the record", row)
	}
	if len(row.Entities) != len(a.Enrichment.Entities) || row.Entities[0].Text != a.Enrichment.Entities[0].Text {
		t.Errorf("entities %v, want %v", row.Entities, a.Enrichment.Entities)
	}
	if row.Doc != string(r.Payload) {
		t.Errorf("doc differs from the message")
	}
}
