package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/newsflow/newsflow/services/sink/internal/postgres"
	"github.com/newsflow/newsflow/services/sink/internal/sqlite"
	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/storetest"
)

// exampleQueries are the SQL blocks between the queries markers of
// docs/sinks.md, which the README points to.
func exampleQueries(t *testing.T) []string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/sinks.md")
	if err != nil {
		t.Fatal(err)
	}
	out, err := storetest.ExampleQueries(string(doc))
	if err != nil {
		t.Fatalf("docs/sinks.md: %v", err)
	}
	if len(out) != 5 {
		t.Fatalf("docs/sinks.md has %d example queries, want 5", len(out))
	}
	return out
}

func exampleData() []store.Record {
	g := storetest.NewGen(31)
	var recs []store.Record
	for i := range 300 {
		recs = append(recs, g.Record(i, "1.0.0", "news.enriched.v1", i%3, int64(i)))
	}
	return recs
}

// Every documented query runs on both databases, returns rows, and the two
// agree (the queries order their results fully).
func TestExampleQueries(t *testing.T) {
	queries := exampleQueries(t)
	recs := exampleData()

	sq, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "db")})
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	dsn, _ := storetest.PostgresSchema(t)
	pg, err := postgres.Open(t.Context(), postgres.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	for _, s := range []store.Store{sq, pg} {
		if err := s.Write(t.Context(), recs); err != nil {
			t.Fatal(err)
		}
	}
	for i, q := range queries {
		a := sqliteRows(t, sq.DB(), q)
		b := pgRows(t, pg, q)
		if len(a) == 0 {
			t.Errorf("query %d returns no rows:\n%s", i+1, q)
			continue
		}
		if len(a) != len(b) {
			t.Errorf("query %d: sqlite %d rows, postgres %d", i+1, len(a), len(b))
			continue
		}
		// Compare the first column (ids, languages, days...), rendered.
		for j := range a {
			if a[j] != b[j] {
				t.Errorf("query %d row %d: sqlite %q, postgres %q", i+1, j, a[j], b[j])
				break
			}
		}
	}
}

func render(v any) string {
	switch x := v.(type) {
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.UTC().Format("2006-01-02T15:04:05.000000Z")
	case []byte:
		return string(x)
	case float64:
		return fmt.Sprintf("%.6f", x)
	case int32:
		return fmt.Sprint(int64(x))
	}
	return fmt.Sprint(v)
}

func sqliteRows(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("sqlite: %v\n%s", err, q)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, render(vals[0]))
	}
	return out
}

func pgRows(t *testing.T, s *postgres.Store, q string) []string {
	t.Helper()
	rows, err := s.Pool().Query(context.Background(), q, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatalf("postgres: %v\n%s", err, q)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, render(vals[0]))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("postgres: %v\n%s", err, q)
	}
	return out
}
