package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/newsflow/newsflow/services/sink/internal/postgres"
	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/storetest"
)

func harness(t *testing.T) storetest.Harness {
	dsn, _ := storetest.PostgresSchema(t)
	return storetest.Harness{
		Keyed: true,
		Open: func(t *testing.T) store.Store {
			s, err := postgres.Open(t.Context(), postgres.Config{DSN: dsn})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		Read:     func(t *testing.T, s store.Store) []storetest.Stored { return read(t, s.(*postgres.Store).Pool()) },
		Snapshot: func(t *testing.T, s store.Store) string { return snapshot(t, s.(*postgres.Store).Pool()) },
	}
}

func TestContract(t *testing.T) { storetest.Run(t, harness) }

func read(t *testing.T, pool *pgxpool.Pool) []storetest.Stored {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT a.id, a.enrichment_version, a.kafka_topic, a.kafka_partition, a.kafka_offset,
	    coalesce(a.language, ''), coalesce(to_char(a.published_day, 'YYYY-MM-DD'), ''),
	    coalesce((SELECT array_agg(type || ':' || norm ORDER BY ord) FROM entities e WHERE e.article_id = a.id), '{}')
	  FROM articles a`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []storetest.Stored
	for rows.Next() {
		var s storetest.Stored
		var part int32
		if err := rows.Scan(&s.ID, &s.Version, &s.Topic, &part, &s.Offset, &s.Language, &s.PublishedDay, &s.Entities); err != nil {
			t.Fatal(err)
		}
		s.Part = int(part)
		if len(s.Entities) == 0 {
			s.Entities = nil
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func snapshot(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT to_jsonb(a) - 'stored_at' FROM articles a ORDER BY id`,
		`SELECT to_jsonb(e) FROM entities e ORDER BY article_id, ord`,
	} {
		rows, err := pool.Query(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			b.WriteString(s + "\n")
		}
		rows.Close()
	}
	return b.String()
}

// A value the server refuses (here a \u0000 escape, which jsonb cannot
// hold; the handler's store.Check normally stops it first) fails only its
// own record: the rest of the batch is committed.
func TestRejectsOnlyTheBadRecord(t *testing.T) {
	h := harness(t)
	s := h.Open(t)
	defer s.Close()
	g := storetest.NewGen(7)
	good1 := g.Record(1, "1.0.0", "t", 0, 1)
	bad := g.Record(2, "1.0.0", "t", 0, 2)
	bad.Payload = []byte(strings.Replace(string(bad.Payload), `"lang_hint":""`, `"lang_hint":"\u0000"`, 1))
	if !strings.Contains(string(bad.Payload), `\u0000`) {
		t.Fatal("could not plant the bad value")
	}
	good2 := g.Record(3, "1.0.0", "t", 0, 3)
	err := s.Write(t.Context(), []store.Record{good1, bad, good2})
	var rej *store.RejectError
	if !errors.As(err, &rej) {
		t.Fatalf("Write returned %v, want a *store.RejectError", err)
	}
	if len(rej.Rejected) != 1 || rej.Rejected[bad.Article.ID] == nil {
		t.Fatalf("rejected %v, want only %s", rej.Rejected, bad.Article.ID)
	}
	got := h.Read(t, s)
	if len(got) != 2 {
		t.Fatalf("store holds %v, want the two good records", got)
	}
}

// A runtime role that may not change the schema starts when the schema is
// current and refuses clearly when it is behind.
func TestNoMigrate(t *testing.T) {
	dsn, _ := storetest.PostgresSchema(t)
	if _, err := postgres.Open(t.Context(), postgres.Config{DSN: dsn, NoMigrate: true}); !errors.Is(err, postgres.ErrSchemaBehind) {
		t.Fatalf("opening an empty schema with NoMigrate: %v, want ErrSchemaBehind", err)
	}
	s, err := postgres.Open(t.Context(), postgres.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = postgres.Open(t.Context(), postgres.Config{DSN: dsn, NoMigrate: true})
	if err != nil {
		t.Fatalf("opening a current schema with NoMigrate: %v", err)
	}
	s.Close()
}

// An unreachable server is store.ErrUnavailable, so the sink waits and
// retries instead of failing or dead-lettering.
func TestUnreachableIsUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20e9)
	defer cancel()
	_, err := postgres.Open(ctx, postgres.Config{DSN: "postgres://nobody:secret@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Open on a closed port: %v, want store.ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("the error shows the password: %v", err)
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ name, dsn, want string }{
		{"userinfo", "postgres://sink:s3cret@db:5432/news?sslmode=require", "postgres://sink:REDACTED@db:5432/news?sslmode=require"},
		{"query", "postgresql://db/news?user=sink&password=s3cret", "postgresql://db/news?password=REDACTED&user=sink"},
		{"keyvalue", "host=db user=sink password=s3cret dbname=news", "host=db user=sink password=REDACTED dbname=news"},
		{"none", "postgres://sink@db/news", "postgres://sink@db/news"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := postgres.Redact(tc.dsn)
			if got != tc.want || strings.Contains(got, "s3cret") {
				t.Errorf("Redact(%q) = %q, want %q", tc.dsn, got, tc.want)
			}
		})
	}
}
