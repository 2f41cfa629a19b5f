package postgres_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/newsflow/newsflow/services/sink/internal/postgres"
	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/storetest"
)

// The roles of docs/sinks.md work: the migration role creates the schema, the
// runtime role writes with -migrate=false and cannot change the schema.
func TestLeastPrivilegeRoles(t *testing.T) {
	admin := storetest.PostgresAdminDSN()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("PostgreSQL is not reachable: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	var db string
	if err := conn.QueryRow(ctx, `SELECT current_database()`).Scan(&db); err != nil {
		t.Fatal(err)
	}
	sfx := fmt.Sprintf("%d_%d", os.Getpid(), time.Now().UnixNano())
	schema, migr, sink := "roles_"+sfx, "nf_migrate_"+sfx, "nf_sink_"+sfx
	id := func(s string) string { return pgx.Identifier{s}.Sanitize() }
	t.Cleanup(func() {
		ctx := context.Background()
		for _, q := range []string{
			"DROP SCHEMA IF EXISTS " + id(schema) + " CASCADE",
			"DROP OWNED BY " + id(migr) + ", " + id(sink),
			"DROP ROLE IF EXISTS " + id(migr),
			"DROP ROLE IF EXISTS " + id(sink),
		} {
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Errorf("cleanup: %s: %v", q, err)
			}
		}
	})
	for _, q := range []string{
		"CREATE SCHEMA " + id(schema),
		"CREATE ROLE " + id(migr) + " LOGIN",
		"CREATE ROLE " + id(sink) + " LOGIN",
		"GRANT USAGE, CREATE ON SCHEMA " + id(schema) + " TO " + id(migr),
		"GRANT USAGE ON SCHEMA " + id(schema) + " TO " + id(sink),
		"GRANT TEMPORARY ON DATABASE " + id(db) + " TO " + id(sink),
		"ALTER DEFAULT PRIVILEGES FOR ROLE " + id(migr) + " IN SCHEMA " + id(schema) + " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO " + id(sink),
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	as := func(role string) string {
		u, err := url.Parse(admin)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.User(role)
		return storetest.WithParam(u.String(), "search_path", schema)
	}
	if _, err := postgres.Open(ctx, postgres.Config{DSN: as(sink), NoMigrate: true}); err == nil {
		t.Fatal("the runtime role started on an empty schema")
	}
	m, err := postgres.Open(ctx, postgres.Config{DSN: as(migr)})
	if err != nil {
		t.Fatalf("migrating as the migration role: %v", err)
	}
	m.Close()
	s, err := postgres.Open(ctx, postgres.Config{DSN: as(sink), NoMigrate: true})
	if err != nil {
		t.Fatalf("opening as the runtime role: %v", err)
	}
	defer s.Close()
	g := storetest.NewGen(41)
	if err := s.Write(ctx, []store.Record{g.Record(1, "1.0.0", "t", 0, 1), g.Record(1, "1.1.0", "t", 0, 2)}); err != nil {
		t.Fatalf("writing as the runtime role: %v", err)
	}
	if _, err := s.Pool().Exec(ctx, "CREATE TABLE x (a int)"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("the runtime role could change the schema: %v", err)
	}
}
