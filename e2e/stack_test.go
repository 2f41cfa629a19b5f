// Package e2e runs the newsflow services as separate processes against the
// embedded broker and checks what comes out, the way a user would.
package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	_ "modernc.org/sqlite"

	"github.com/newsflow/newsflow/e2e/harness"
	"github.com/newsflow/newsflow/pkg/broker"
)

// binDir holds the service binaries, built once for the package.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "newsflow-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	if err := harness.Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// stack wraps the harness for tests: failures end the test, and the logs of
// every process are shown when it fails.
type stack struct {
	*harness.Stack
	t *testing.T
}

func newStack(t *testing.T, opts ...func(*broker.Config)) *stack {
	t.Helper()
	var cfg broker.Config
	for _, o := range opts {
		o(&cfg)
	}
	hs, err := harness.Start(t.TempDir(), binDir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{Stack: hs, t: t}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("process logs:\n%s", hs.Logs(4000))
		}
		hs.Close()
	})
	return s
}

func (s *stack) start(name, bin string, args ...string) *harness.Proc {
	s.t.Helper()
	p, err := s.StartService(name, bin, args...)
	if err != nil {
		s.t.Fatal(err)
	}
	return p
}

func (s *stack) stop(name string) error { return s.Stop(name, 45*time.Second) }

func (s *stack) ingest(paths ...string) string {
	s.t.Helper()
	out, err := s.Ingest(paths...)
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

func (s *stack) waitCaughtUp(timeout time.Duration, min map[string]int64, groups map[string]string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := s.WaitCaughtUp(ctx, min, groups); err != nil {
		s.t.Fatal(err)
	}
}

func (s *stack) publishRaw(topic string, payloads ...[]byte) {
	s.t.Helper()
	if err := s.Publish(topic, payloads...); err != nil {
		s.t.Fatal(err)
	}
}

func (s *stack) readTopic(topic string, want int, timeout time.Duration) []*message.Message {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	msgs, err := s.ReadTopic(ctx, topic, want)
	if err != nil {
		s.t.Fatal(err)
	}
	return msgs
}

func openSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
