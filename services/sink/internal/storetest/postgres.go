package storetest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultPostgresDSN is the local server the tests use unless
// NEWSFLOW_TEST_PG_DSN names another.
const DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresAdminDSN is the DSN of the test server.
func PostgresAdminDSN() string {
	if dsn := os.Getenv("NEWSFLOW_TEST_PG_DSN"); dsn != "" {
		return dsn
	}
	return DefaultPostgresDSN
}

// PostgresSchema creates a fresh schema on the test server, dropped when the
// test ends, and returns a DSN whose search_path is that schema, so parallel
// test runs never share tables. The test fails when no server answers.
func PostgresSchema(t testing.TB) (dsn, schema string) {
	t.Helper()
	admin := PostgresAdminDSN()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("PostgreSQL is not reachable at NEWSFLOW_TEST_PG_DSN (default %s): %v; scripts/ensure-postgres.sh starts the local server", DefaultPostgresDSN, err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	schema = fmt.Sprintf("sinktest_%d_%d", os.Getpid(), time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer func() { _ = conn.Close(ctx) }()
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return WithParam(admin, "search_path", schema), schema
}

// WithParam adds a query parameter to a URL DSN.
func WithParam(dsn, key, value string) string {
	u, err := url.Parse(dsn)
	if err != nil || !strings.Contains(dsn, "://") {
		return dsn + " " + key + "=" + value
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}
