package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/broker"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/services/sink/internal/files"
	"github.com/newsflow/newsflow/services/sink/internal/jsonl"
	"github.com/newsflow/newsflow/services/sink/internal/parquet"
	"github.com/newsflow/newsflow/services/sink/internal/storetest"

	_ "modernc.org/sqlite"
)

// env is an embedded broker for one test.
type env struct {
	t     *testing.T
	b     *broker.Broker
	admin *kafka.Admin
	pub   *kafka.Publisher
	logs  *syncBuffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	conn := kafka.ConnConfig{Brokers: b.Brokers(), ClientID: "sink-test"}
	admin, err := kafka.NewAdmin(conn)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Conn: conn}, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	e := &env{t: t, b: b, admin: admin, pub: pub, logs: &syncBuffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sink logs:\n%s", e.logs.tail(8000))
		}
	})
	return e
}

// publish sends articles first..last-1 at a version, keyed by id.
func (e *env) publish(g *storetest.Gen, first, last int, version string) {
	e.t.Helper()
	for from := first; from < last; from += 200 {
		e.publishChunk(g, from, min(from+200, last), version)
	}
}

func (e *env) publishChunk(g *storetest.Gen, first, last int, version string) {
	e.t.Helper()
	var msgs []*message.Message
	for i := first; i < last; i++ {
		a := g.Article(i, version, 120)
		data, err := article.Encode(a)
		if err != nil {
			e.t.Fatal(err)
		}
		m := message.NewMessage(watermill.NewUUID(), data)
		for k, v := range a.Headers() {
			m.Metadata.Set(k, v)
		}
		m.Metadata.Set(article.HeaderEnrichmentVersion, version)
		msgs = append(msgs, m)
	}
	if err := e.pub.Publish(article.EnrichedTopic, msgs...); err != nil {
		e.t.Fatal(err)
	}
}

// sink runs the sink with args until the returned stop is called.
func (e *env) sink(args ...string) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	all := append([]string{"-kafka-brokers", e.b.Addr(), "-retry-initial", "20ms", "-retry-max-pause", "200ms",
		"-batch-wait", "20ms", "-log-format", "json", "-log-level", "info"}, args...)
	done := make(chan error, 1)
	go func() { done <- run(ctx, all, func(string) string { return "" }, io.Discard, e.logs) }()
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(60 * time.Second):
				err = errors.New("the sink did not stop within 60s")
			}
		})
		return err
	}
}

// total counts the messages of a topic.
func (e *env) total(topic string) int64 {
	e.t.Helper()
	offs, err := e.admin.TopicOffsets(e.t.Context(), topic)
	if err != nil {
		e.t.Fatal(err)
	}
	var n int64
	for _, o := range offs {
		n += o.End - o.First
	}
	return n
}

// caughtUp reports whether group has committed every offset of the topic.
func (e *env) caughtUp(group string) bool {
	lags, err := e.admin.Lag(e.t.Context(), group, article.EnrichedTopic)
	if err != nil {
		return false
	}
	for _, l := range lags {
		if l.Lag != 0 {
			return false
		}
	}
	return len(lags) > 0
}

func (e *env) committed(group string) int64 {
	c, err := e.admin.CommittedOffsets(e.t.Context(), group, article.EnrichedTopic)
	if err != nil {
		return 0 // the group has not committed yet
	}
	var n int64
	for _, o := range c {
		n += o
	}
	return n
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) tail(n int) string {
	str := s.String()
	if len(str) > n {
		return "..." + str[len(str)-n:]
	}
	return str
}

// proxy forwards TCP connections to a target and can be stopped and started
// again on the same address: PostgreSQL going away and coming back, without
// touching the machine's server.
type proxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{target: target, conns: map[net.Conn]bool{}}
	if err := p.start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[up] = true, true
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close(); c.Close() }()
			go func() { io.Copy(c, up); up.Close(); c.Close() }()
		}
	}()
	return nil
}

// stop closes the listener and cuts every connection.
func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

// PostgreSQL stops mid-stream: the sink retries, commits nothing it has not
// written and dead-letters nothing; when the server is back, the backlog
// drains and every article is there once, at its newest version.
func TestDatabaseOutage(t *testing.T) {
	e := newEnv(t)
	adminDSN, schema := storetest.PostgresSchema(t)
	u, err := url.Parse(adminDSN)
	if err != nil {
		t.Fatal(err)
	}
	px := newProxy(t, u.Host)
	u.Host = px.addr
	// The local server trusts loopback connections and ignores the
	// password; it is there to show that no log line carries it.
	u.User = url.UserPassword(u.User.Username(), "pw-never-logged")
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	dsn := u.String()

	g := storetest.NewGen(21)
	e.publish(g, 0, 400, "1.0.0")
	stop := e.sink("-to", dsn)
	defer stop()
	db := pgConn(t, adminDSN)
	count := func() (rows, distinct, newest int) {
		err := db.QueryRow(t.Context(), `SELECT count(*), count(DISTINCT id), count(*) FILTER (WHERE enrichment_version = '1.1.0') FROM `+
			pgx.Identifier{schema, "articles"}.Sanitize()).Scan(&rows, &distinct, &newest)
		if err != nil {
			return -1, -1, -1
		}
		return
	}
	waitFor(t, "the first rows", 30*time.Second, func() bool { r, _, _ := count(); return r > 0 })

	px.stop()
	t.Log("database stopped")
	// More arrives while the database is down: new articles and a newer
	// enrichment of old ones.
	e.publish(g, 400, 700, "1.0.0")
	e.publish(g, 0, 100, "1.1.0")
	total := e.total(article.EnrichedTopic)
	time.Sleep(3 * time.Second)
	if c := e.committed(article.SinkGroupBase + "postgres"); c >= total {
		t.Fatalf("with the database down the sink committed %d of %d offsets", c, total)
	}
	if n := e.total(article.DLQTopic(article.EnrichedTopic)); n != 0 {
		t.Fatalf("%d messages were dead-lettered while the database was down", n)
	}
	if !strings.Contains(e.logs.String(), "store write failed") {
		t.Errorf("the sink did not report the failing store")
	}

	if err := px.start(px.addr); err != nil {
		t.Fatal(err)
	}
	t.Log("database back")
	waitFor(t, "the backlog to drain", 60*time.Second, func() bool { return e.caughtUp(article.SinkGroupBase + "postgres") })
	rows, distinct, newest := count()
	if rows != 700 || distinct != 700 || newest != 100 {
		t.Errorf("after the outage: %d rows, %d distinct ids, %d at 1.1.0; want 700, 700, 100", rows, distinct, newest)
	}
	if n := e.total(article.DLQTopic(article.EnrichedTopic)); n != 0 {
		t.Errorf("%d messages were dead-lettered", n)
	}
	if strings.Contains(e.logs.String(), "pw-never-logged") {
		t.Errorf("the logs show DSN credentials")
	}
	if err := stop(); err != nil {
		t.Errorf("sink: %v", err)
	}
}

func pgConn(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// The sink stops mid-stream and starts again, then the whole topic is
// replayed from the start in new consumer groups into the same stores: every
// database holds exactly one row per article and the files hold every
// offset exactly once.
func TestRestartAndReplay(t *testing.T) {
	e := newEnv(t)
	dsn, schema := storetest.PostgresSchema(t)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "newsflow.db")
	out, pq := filepath.Join(dir, "out"), filepath.Join(dir, "parquet")
	targets := []string{"-to", "sqlite:" + dbPath, "-to", dsn, "-to", "jsonl:" + out + "?gzip=true&max_age=500ms", "-to", "parquet:" + pq + "?max_bytes=256KiB"}

	g := storetest.NewGen(22)
	const n = 5000
	e.publish(g, 0, n, "1.0.0")
	e.publish(g, 0, 200, "1.0.0") // re-ingested: the same ids again, later offsets
	total := e.total(article.EnrichedTopic)
	// A small in-flight window, so that stopping does not finish the topic.
	stop := e.sink(append(targets, "-max-in-flight", "4")...)
	waitFor(t, "some progress", 60*time.Second, func() bool { return e.committed(article.SinkGroupBase+"sqlite") > 50 })
	if err := stop(); err != nil {
		t.Fatalf("stopping the sink mid-stream: %v", err)
	}
	stoppedAt := e.committed(article.SinkGroupBase + "sqlite")
	t.Logf("stopped after %d of %d offsets (sqlite group)", stoppedAt, total)
	if stoppedAt >= total {
		t.Fatalf("the sink had finished before it was stopped; the test did not stop it mid-stream")
	}

	stop = e.sink(targets...)
	groups := []string{"sqlite", "postgres", "jsonl", "parquet"}
	waitFor(t, "the sink to catch up after the restart", 90*time.Second, func() bool {
		for _, gname := range groups {
			if !e.caughtUp(article.SinkGroupBase + gname) {
				return false
			}
		}
		return true
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// Replay everything from the start, side by side in new groups.
	stop = e.sink(append(targets, "-group-prefix", "replay-")...)
	waitFor(t, "the replay to catch up", 90*time.Second, func() bool {
		for _, gname := range groups {
			if !e.caughtUp("replay-" + gname) {
				return false
			}
		}
		return true
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	sdb, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var rows, distinct int
	if err := sdb.QueryRow(`SELECT count(*), count(DISTINCT id) FROM articles`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != n || distinct != n {
		t.Errorf("sqlite: %d rows, %d distinct ids; want %d", rows, distinct, n)
	}
	pg := pgConn(t, dsn)
	if err := pg.QueryRow(t.Context(), `SELECT count(*), count(DISTINCT id) FROM `+pgx.Identifier{schema, "articles"}.Sanitize()).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != n || distinct != n {
		t.Errorf("postgres: %d rows, %d distinct ids; want %d", rows, distinct, n)
	}
	for _, c := range []struct {
		dir    string
		format files.Format
	}{{out, jsonl.Format{Gzip: true}}, {pq, parquet.Format{}}} {
		seen := offsetsInDir(t, c.dir, c.format)
		dups := 0
		for _, k := range seen {
			if k != 1 {
				dups++
			}
		}
		if int64(len(seen)) != total || dups != 0 {
			t.Errorf("%s: %d distinct offsets (%d more than once), want %d once each", c.dir, len(seen), dups, total)
		}
	}
	if n := e.total(article.DLQTopic(article.EnrichedTopic)); n != 0 {
		t.Errorf("%d messages were dead-lettered", n)
	}
}

// offsetsInDir counts how often each partition/offset appears in the
// published files.
func offsetsInDir(t *testing.T, dir string, format files.Format) map[string]int {
	t.Helper()
	seen := map[string]int{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "_staging" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, format.Ext()) {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		lines, err := format.Decode(f)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for _, l := range lines {
			_, pos, err := files.SplitLine(l)
			if err != nil {
				return err
			}
			seen[fmt.Sprintf("%d/%d", pos.Partition, pos.Offset)]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return seen
}

// A message that decodes but that no store can hold faithfully goes to the
// dead-letter topic with the reason; the rest are written.
func TestUnstorableToDLQ(t *testing.T) {
	e := newEnv(t)
	g := storetest.NewGen(23)
	e.publish(g, 0, 20, "1.0.0")
	a := g.Article(20, "1.0.0", 10)
	data, _ := article.Encode(a)
	data = bytes.Replace(data, []byte(`"lang_hint":""`), []byte(`"lang_hint":"\u0000"`), 1)
	m := message.NewMessage(watermill.NewUUID(), data)
	m.Metadata.Set(kafka.KeyMetadata, a.ID)
	if err := e.pub.Publish(article.EnrichedTopic, m); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(t.TempDir(), "db")
	stop := e.sink("-to", "sqlite:"+dbPath)
	defer stop()
	waitFor(t, "the sink to catch up", 60*time.Second, func() bool { return e.caughtUp(article.SinkGroupBase + "sqlite") })
	if n := e.total(article.DLQTopic(article.EnrichedTopic)); n != 1 {
		t.Fatalf("%d messages dead-lettered, want 1", n)
	}
	var logged struct {
		Reason string `json:"reason"`
	}
	for _, l := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(l, "message dead-lettered") {
			_ = json.Unmarshal([]byte(l), &logged)
		}
	}
	if logged.Reason != "nul_byte" {
		t.Errorf("dead-letter reason %q, want nul_byte", logged.Reason)
	}
}
