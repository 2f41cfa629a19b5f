// Package e2e runs the newsflow services as separate processes against the
// embedded broker and checks what comes out, the way a user would.
package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	_ "modernc.org/sqlite"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/broker"
	"github.com/newsflow/newsflow/pkg/kafka"
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
	for _, svc := range []string{"ingest", "enrich", "sink"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, svc), "github.com/newsflow/newsflow/services/"+svc)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n", svc, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// stack is a broker and the services running against it.
type stack struct {
	t      *testing.T
	dir    string
	broker *broker.Broker
	admin  *kafka.Admin
	conn   kafka.ConnConfig
	mu     sync.Mutex
	procs  map[string]*proc
}

type proc struct {
	cmd  *exec.Cmd
	log  *bytes.Buffer
	done chan error
}

func newStack(t *testing.T, opts ...func(*broker.Config)) *stack {
	t.Helper()
	dir := t.TempDir()
	cfg := broker.Config{Addr: "127.0.0.1:0", DataDir: filepath.Join(dir, "kafka")}
	for _, o := range opts {
		o(&cfg)
	}
	b, err := broker.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	conn := kafka.ConnConfig{Brokers: b.Brokers()}
	admin, err := kafka.NewAdmin(conn)
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, dir: dir, broker: b, admin: admin, conn: conn, procs: map[string]*proc{}}
	t.Cleanup(func() {
		s.stopAll()
		b.Close()
		if t.Failed() {
			for name, p := range s.procs {
				t.Logf("---- %s log (tail) ----\n%s", name, tail(p.log.String(), 3000))
			}
		}
	})
	return s
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// start runs a service binary with the stack's broker.
func (s *stack) start(name, bin string, args ...string) *proc {
	s.t.Helper()
	cmd := exec.Command(filepath.Join(binDir, bin), args...)
	cmd.Env = append(os.Environ(), "NEWSFLOW_KAFKA_BROKERS="+s.broker.Addr(), "NEWSFLOW_LOG_FORMAT=json")
	var log bytes.Buffer
	cmd.Stdout = &syncWriter{w: &log, mu: &s.mu}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting %s: %v", name, err)
	}
	p := &proc{cmd: cmd, log: &log, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	s.mu.Lock()
	s.procs[name] = p
	s.mu.Unlock()
	return p
}

// stop sends SIGTERM and waits for a clean exit.
func (s *stack) stop(name string) error {
	s.mu.Lock()
	p := s.procs[name]
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(45 * time.Second):
		_ = p.cmd.Process.Kill()
		return fmt.Errorf("%s did not stop within 45 s of SIGTERM", name)
	}
}

func (s *stack) stopAll() {
	for name := range s.procs {
		_ = s.stop(name)
	}
}

// ingest runs ingest to completion and returns its report.
func (s *stack) ingest(paths ...string) string {
	s.t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "ingest"), paths...)
	cmd.Env = append(os.Environ(), "NEWSFLOW_KAFKA_BROKERS="+s.broker.Addr(), "NEWSFLOW_LOG_FORMAT=json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		s.t.Fatalf("ingest: %v\n%s", err, stderr.String())
	}
	return stdout.String()
}

// waitCaughtUp waits until every group has committed up to the end of its
// topic and the topic holds at least min messages.
func (s *stack) waitCaughtUp(timeout time.Duration, min map[string]int64, groups map[string]string) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		ok := true
		var state []string
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		for topic, n := range min {
			offs, err := s.admin.TopicOffsets(ctx, topic)
			if err != nil {
				ok = false
				break
			}
			var total int64
			for _, o := range offs {
				total += o.End
			}
			state = append(state, fmt.Sprintf("%s=%d", topic, total))
			if total < n {
				ok = false
			}
		}
		for group, topic := range groups {
			lags, err := s.admin.Lag(ctx, group, topic)
			if err != nil {
				ok = false
				continue
			}
			var lag int64
			for _, l := range lags {
				lag += l.Lag
			}
			state = append(state, fmt.Sprintf("%s lag %d", group, lag))
			if lag > 0 {
				ok = false
			}
		}
		cancel()
		last = strings.Join(state, ", ")
		if ok {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.t.Fatalf("pipeline did not catch up in %s: %s", timeout, last)
}

// publishRaw publishes payloads to a topic as a third-party producer would.
func (s *stack) publishRaw(topic string, payloads ...[]byte) {
	s.t.Helper()
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Conn: s.conn}, watermill.NopLogger{})
	if err != nil {
		s.t.Fatal(err)
	}
	defer pub.Close()
	for i, p := range payloads {
		msg := message.NewMessage(watermill.NewUUID(), p)
		msg.Metadata.Set(article.HeaderArticleID, fmt.Sprintf("bad-%d", i))
		if err := pub.Publish(topic, msg); err != nil {
			s.t.Fatal(err)
		}
	}
}

// readTopic reads every message of a topic from the beginning.
func (s *stack) readTopic(topic string, want int, timeout time.Duration) []*message.Message {
	s.t.Helper()
	sub, err := kafka.NewSubscriber(kafka.SubscriberConfig{Conn: s.conn, ConsumerGroup: "e2e-reader-" + watermill.NewShortUUID()}, watermill.NopLogger{})
	if err != nil {
		s.t.Fatal(err)
	}
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		s.t.Fatal(err)
	}
	var out []*message.Message
	for len(out) < want {
		select {
		case m, ok := <-ch:
			if !ok {
				s.t.Fatalf("read %d of %d messages from %s before the timeout", len(out), want, topic)
			}
			out = append(out, m)
			m.Ack()
		case <-ctx.Done():
			s.t.Fatalf("read %d of %d messages from %s before the timeout", len(out), want, topic)
		}
	}
	return out
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

type syncWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
