package sqlite

import (
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/storetest"
)

// A database written before 0005 (entities clustered by article id) keeps
// every mention, and the sink carries on upserting into it.
func TestMigrateEntitiesToRowidTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newsflow.db")
	db, err := sql.Open("sqlite", dsn(path, ""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"0001_articles", "0002_align", "0003_entities_clustered", "0004_sortable_times"} {
		body, err := migrations.ReadFile("migrations/" + v + ".sql")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (?, ?)`, v, time.Now().UTC().Format(time.RFC3339)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`
		INSERT INTO articles (id, url, title, source_type, source_name, source_uri, enrichment_version, enrichment_version_ord,
		    ingested_at, enriched_at, kafka_topic, kafka_partition, kafka_offset, doc, stored_at)
		VALUES ('a1', '', 'old', 'feed', 's', '', '1.0.0', 1, '2026-11-27T10:00:00.000000Z', '2026-11-27T10:00:01.000000Z',
		    'news.enriched.v1', 0, 1, '{}', '2026-11-27T10:00:02.000000Z');
		INSERT INTO entities (article_id, ord, field, start_byte, end_byte, type, text, norm)
		VALUES ('a1', 0, 'body', 0, 5, 'PER', 'Rutte', 'rutte'), ('a1', 1, 'body', 6, 12, 'LOC', 'Berlin', 'berlin')`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(t.Context(), Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ents string
	if err := s.DB().QueryRow(`SELECT group_concat(type || ':' || norm, ' ') FROM (SELECT * FROM entities WHERE article_id = 'a1' ORDER BY ord)`).Scan(&ents); err != nil {
		t.Fatal(err)
	}
	if ents != "PER:rutte LOC:berlin" {
		t.Errorf("mentions after the migration: %q", ents)
	}
	var indexes []string
	rows, err := s.DB().Query(`SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name IN ('articles', 'entities') ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		indexes = append(indexes, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{"articles_ingested_at", "articles_language_month", "articles_published_day", "articles_source_type_name",
		"entities_norm", "sqlite_autoindex_articles_1", "sqlite_autoindex_entities_1"}
	if !slices.Equal(indexes, want) {
		t.Errorf("indexes %s, want %s", strings.Join(indexes, " "), strings.Join(want, " "))
	}
	var withoutRowid int
	if err := s.DB().QueryRow(`SELECT count(*) FROM pragma_table_list WHERE name = 'entities' AND wr`).Scan(&withoutRowid); err != nil {
		t.Fatal(err)
	}
	if withoutRowid != 0 {
		t.Error("entities is still a WITHOUT ROWID table")
	}
	// And the sink writes on: a newer version replaces the old mentions.
	r := storetest.NewGen(1).Record(0, "2.0.0", "news.enriched.v1", 0, 9)
	r.Article.ID = "a1"
	if err := s.Write(t.Context(), []store.Record{r}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.DB().QueryRow(`SELECT count(*) FROM entities WHERE article_id = 'a1'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(r.Article.Enrichment.Entities) {
		t.Errorf("%d mentions after the upsert, want %d", n, len(r.Article.Enrichment.Entities))
	}
}
