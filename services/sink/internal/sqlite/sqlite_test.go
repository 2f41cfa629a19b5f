package sqlite_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/services/sink/internal/sqlite"
	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/storetest"
)

func harness(t *testing.T) storetest.Harness {
	path := filepath.Join(t.TempDir(), "newsflow.db")
	return storetest.Harness{
		Keyed: true,
		Open: func(t *testing.T) store.Store {
			s, err := sqlite.Open(t.Context(), sqlite.Config{Path: path})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		Read:     func(t *testing.T, s store.Store) []storetest.Stored { return read(t, s.(*sqlite.Store).DB()) },
		Snapshot: func(t *testing.T, s store.Store) string { return snapshot(t, s.(*sqlite.Store).DB()) },
	}
}

func TestContract(t *testing.T) { storetest.Run(t, harness) }

func read(t *testing.T, db *sql.DB) []storetest.Stored {
	t.Helper()
	rows, err := db.Query(`SELECT a.id, a.enrichment_version, a.kafka_topic, a.kafka_partition, a.kafka_offset,
	    coalesce(a.language, ''), coalesce(a.published_day, ''),
	    coalesce((SELECT group_concat(type || ':' || norm, '|') FROM (SELECT type, norm FROM entities e WHERE e.article_id = a.id ORDER BY ord)), '')
	  FROM articles a`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []storetest.Stored
	for rows.Next() {
		var s storetest.Stored
		var ents string
		if err := rows.Scan(&s.ID, &s.Version, &s.Topic, &s.Part, &s.Offset, &s.Language, &s.PublishedDay, &ents); err != nil {
			t.Fatal(err)
		}
		if ents != "" {
			s.Entities = strings.Split(ents, "|")
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func snapshot(t *testing.T, db *sql.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT * FROM articles ORDER BY id`,
		`SELECT * FROM entities ORDER BY article_id, ord`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, c := range cols {
				if c != "stored_at" {
					fmt.Fprintf(&b, "%s=%v ", c, vals[i])
				}
			}
			b.WriteByte('\n')
		}
		rows.Close()
	}
	return b.String()
}
