//go:build chaos

// The fault-injection suite: `make test-chaos`. Each scenario pushes a known
// set of articles through ingest, enrich (two workers) and sink as processes
// while breaking something, then accounts for every article: exactly one row
// each in the sink, none missing, and the dead-letter topics holding exactly
// the bad messages. NEWSFLOW_CHAOS_SEED replays a run; NEWSFLOW_CHAOS_ARTICLES
// sets its size (default 50,000); NEWSFLOW_CHAOS_SCENARIOS picks scenarios;
// NEWSFLOW_CHAOS_REPORT names the file the result table is written to.
package e2e

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/newsflow/newsflow/e2e/harness"
	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/broker"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// chaos is one scenario's run.
type chaos struct {
	t      *testing.T
	s      *harness.Stack
	rng    *rand.Rand
	n      int
	ids    map[string]bool
	input  string
	sinkTo string // the sink target spec
	db     func() (*sql.DB, error)
	group  string // the sink's group

	faults     atomic.Int64
	recoveries []time.Duration
	mu         sync.Mutex
}

type scenario struct {
	name    string
	process bool   // the broker runs as its own process
	sink    string // sqlite or postgres
	inject  func(c *chaos, progress func() float64)
}

const badRaw, badEnriched = 40, 15

func TestChaos(t *testing.T) {
	seed := uint64(envInt("NEWSFLOW_CHAOS_SEED", 20261127))
	n := envInt("NEWSFLOW_CHAOS_ARTICLES", 50000)
	only := os.Getenv("NEWSFLOW_CHAOS_SCENARIOS")
	t.Logf("seed %d, %d articles per scenario (replay with NEWSFLOW_CHAOS_SEED=%d)", seed, n, seed)
	input, ids := writeArticles(t, t.TempDir(), "articles.jsonl", seed, n, 600)

	scenarios := []scenario{
		{name: "kill -9 enrich and sink", sink: "sqlite", inject: killWorkers},
		{name: "kill -9 broker (sync writes)", process: true, sink: "sqlite", inject: killBroker},
		{name: "produce fails after the write", sink: "sqlite", inject: produceFaults},
		{name: "commits, heartbeats, connections, slow fetch", sink: "sqlite", inject: groupFaults},
		{name: "PostgreSQL unreachable 30 s", sink: "postgres", inject: postgresOutage},
		{name: "SIGTERM everything, restart", process: true, sink: "sqlite", inject: stopEverything},
	}
	var rows []string
	for i, sc := range scenarios {
		if only != "" && !strings.Contains(only, strconv.Itoa(i+1)) {
			continue
		}
		t.Run(strconv.Itoa(i+1), func(t *testing.T) {
			row := runScenario(t, sc, seed+uint64(i), n, input, ids)
			rows = append(rows, row)
		})
	}
	report := "| scenario | articles in | rows out | lost | duplicate rows | DLQ'd (want) | faults injected | worst recovery | duplicates absorbed |\n" +
		"|---|---|---|---|---|---|---|---|---|\n" + strings.Join(rows, "\n") + "\n"
	fmt.Printf("\nchaos seed %d\n%s", seed, report)
	if path := os.Getenv("NEWSFLOW_CHAOS_REPORT"); path != "" {
		_ = os.WriteFile(path, []byte(fmt.Sprintf("seed %d, %d articles per scenario\n\n%s", seed, n, report)), 0o644)
	}
}

func runScenario(t *testing.T, sc scenario, seed uint64, n int, input string, ids map[string]bool) string {
	dir := t.TempDir()
	var hs *harness.Stack
	var err error
	if sc.process {
		hs, err = harness.StartBrokerProcess(dir, binDir)
	} else {
		hs, err = harness.Start(dir, binDir, broker.Config{})
	}
	if err != nil {
		t.Fatal(err)
	}
	defer hs.Close()
	c := &chaos{t: t, s: hs, rng: rand.New(rand.NewPCG(seed, seed)), n: n, ids: ids, input: input}
	switch sc.sink {
	case "sqlite":
		path := filepath.Join(dir, "newsflow.db")
		c.sinkTo, c.group = "sqlite:"+path, article.SinkGroupBase+"sqlite"
		c.db = func() (*sql.DB, error) { return sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)") }
	case "postgres":
		proxy, dsn, cleanup := postgresBehindProxy(t)
		defer cleanup()
		c.sinkTo, c.group = dsn, article.SinkGroupBase+"postgres"
		c.db = func() (*sql.DB, error) { return nil, errors.New("postgres rows are counted with psql") }
		pgProxy = proxy
	}
	defer func() {
		if t.Failed() {
			t.Logf("process logs:\n%s", hs.Logs(6000))
		}
	}()

	c.startEnrich("enrich-1")
	c.startEnrich("enrich-2")
	c.startSink("sink")
	hs.Env = append(hs.Env, "NEWSFLOW_KAFKA_DIAL_TIMEOUT=2s")

	// Load: the articles through ingest (rerun until it completes, as a
	// supervisor would), and bad messages straight onto both topics.
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		for attempt := 1; attempt <= 30; attempt++ {
			if _, err := hs.Ingest(input); err == nil {
				return
			}
			time.Sleep(time.Second)
		}
		t.Errorf("ingest never completed")
	}()
	go c.publishBad()

	groups := map[string]string{article.EnrichGroup: article.RawTopic, c.group: article.EnrichedTopic}
	progress := func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		committed, err := hs.Admin.CommittedOffsets(ctx, c.group, article.EnrichedTopic)
		if err != nil {
			return 0
		}
		var sum int64
		for _, o := range committed {
			sum += o
		}
		return float64(sum) / float64(n)
	}
	sc.inject(c, progress)
	<-loadDone

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	err = hs.WaitCaughtUp(ctx, map[string]int64{article.RawTopic: int64(n + badRaw), article.EnrichedTopic: int64(n + badEnriched)}, groups)
	if err != nil {
		t.Fatal(err)
	}
	rowsOut, distinct, missing := c.count(sc.sink)
	dlqd := c.deadLettered()
	lost := len(missing)
	worst := time.Duration(0)
	for _, r := range c.recoveries {
		worst = max(worst, r)
	}
	if lost != 0 {
		t.Errorf("%d articles lost, e.g. %v", lost, missing[:min(3, len(missing))])
	}
	if rowsOut != distinct || distinct != n {
		t.Errorf("sink holds %d rows, %d distinct; want %d", rowsOut, distinct, n)
	}
	if dlqd != badRaw+badEnriched {
		t.Errorf("dead-letter topics hold %d distinct bad messages, want %d", dlqd, badRaw+badEnriched)
	}
	// Messages beyond one per article on the enriched topic are what
	// redeliveries and retried produces wrote twice; the sink absorbed them.
	p, _ := hs.Measure(context.Background(), []string{article.EnrichedTopic}, nil)
	absorbed := p.Ends[article.EnrichedTopic] - int64(n+badEnriched)
	return fmt.Sprintf("| %s | %d | %d | %d | %d | %d (%d) | %d | %s | %d |", sc.name, n, rowsOut, lost, rowsOut-distinct,
		dlqd, badRaw+badEnriched, c.faults.Load(), worst.Round(100*time.Millisecond), absorbed)
}

var pgProxy *harness.Proxy

func (c *chaos) startEnrich(name string) {
	if _, err := c.s.StartService(name, "enrich", "-taggers", chaosTaggers(), "-max-in-flight", "8"); err != nil {
		c.t.Fatal(err)
	}
}

func (c *chaos) startSink(name string) {
	if _, err := c.s.StartService(name, "sink", "-to", c.sinkTo); err != nil {
		c.t.Fatal(err)
	}
}

// chaosTaggers are the taggers the scenarios run: language and date by
// default, so the load is enrichment-shaped without the run taking hours on
// two cores; NEWSFLOW_CHAOS_TAGGERS=language,date,entities,sentiment runs all.
func chaosTaggers() string {
	if v := os.Getenv("NEWSFLOW_CHAOS_TAGGERS"); v != "" {
		return v
	}
	return "language,date"
}

func (c *chaos) publishBad() {
	var raw, enriched [][]byte
	for i := range badRaw {
		switch i % 4 {
		case 0:
			raw = append(raw, []byte(`{"schema_version":1,"id":`))
		case 1:
			raw = append(raw, []byte(fmt.Sprintf(`{"schema_version":9,"id":"%032x","source":{"type":"x"},"body":"b","ingested_at":"2026-01-01T00:00:00Z"}`, i)))
		case 2:
			raw = append(raw, []byte("{\"body\":\"\xff\xfe\"}"))
		default:
			raw = append(raw, []byte(`[1,2,3]`))
		}
	}
	for i := range badEnriched {
		enriched = append(enriched, []byte(fmt.Sprintf(`{"schema_version":1,"id":"%032x","body":"no enrichment","source":{"type":"x"},"ingested_at":"2026-01-01T00:00:00Z"}`, i)))
	}
	for attempt := 0; attempt < 60; attempt++ {
		if err := c.publishKeyed(article.RawTopic, "bad-raw-", raw); err == nil {
			break
		}
		time.Sleep(time.Second)
	}
	for attempt := 0; attempt < 60; attempt++ {
		if err := c.publishKeyed(article.EnrichedTopic, "bad-enriched-", enriched); err == nil {
			break
		}
		time.Sleep(time.Second)
	}
}

func (c *chaos) publishKeyed(topic, prefix string, payloads [][]byte) error {
	return c.s.PublishKeyed(topic, prefix, payloads...)
}

// count returns the rows, distinct ids and the ids missing from the sink.
func (c *chaos) count(kind string) (rows, distinct int, missing []string) {
	seen := map[string]bool{}
	if kind == "postgres" {
		out, err := exec.Command("psql", "-At", pgDSNForPsql(c.sinkTo), "-c", "SELECT id FROM articles").Output()
		if err != nil {
			c.t.Fatal(err)
		}
		for _, id := range strings.Fields(string(out)) {
			rows++
			seen[id] = true
		}
	} else {
		db, err := c.db()
		if err != nil {
			c.t.Fatal(err)
		}
		defer db.Close()
		r, err := db.Query(`SELECT id FROM articles`)
		if err != nil {
			c.t.Fatal(err)
		}
		for r.Next() {
			var id string
			r.Scan(&id)
			rows++
			seen[id] = true
		}
		r.Close()
	}
	for id := range c.ids {
		if !seen[id] {
			missing = append(missing, id)
		}
	}
	return rows, len(seen), missing
}

// deadLettered counts the distinct bad messages in both dead-letter topics,
// and fails if any good article is among them.
func (c *chaos) deadLettered() int {
	keys := map[string]bool{}
	for _, topic := range []string{article.DLQTopic(article.RawTopic), article.DLQTopic(article.EnrichedTopic)} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		ends, err := c.s.Admin.TopicOffsets(ctx, topic)
		if err != nil {
			c.t.Fatal(err)
		}
		var total int64
		for _, o := range ends {
			total += o.End - o.First
		}
		msgs, err := c.s.ReadTopic(ctx, topic, int(total))
		cancel()
		if err != nil {
			c.t.Fatal(err)
		}
		for _, m := range msgs {
			k := m.Metadata.Get(article.HeaderArticleID)
			if c.ids[k] {
				c.t.Errorf("good article %s was dead-lettered: %s", k, m.Metadata.Get(article.HeaderDLQReason))
			}
			keys[topic+"/"+k] = true
		}
	}
	return len(keys)
}

// recovered records how long after fixedAt the pipeline flowed again on
// every partition: each partition of the enrich and sink groups that had
// work waiting when the fault ended has committed past where it stood.
func (c *chaos) recovered(fixedAt time.Time, _ func() float64) {
	groups := map[string]string{article.EnrichGroup: article.RawTopic, c.group: article.EnrichedTopic}
	type key struct {
		group string
		part  int
	}
	read := func() (map[key]harnessLag, bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		out := map[key]harnessLag{}
		for g, topic := range groups {
			lags, err := c.s.Admin.Lag(ctx, g, topic)
			if err != nil {
				return nil, false
			}
			for _, l := range lags {
				out[key{g, l.Partition}] = harnessLag{committed: l.Committed, lag: l.Lag}
			}
		}
		return out, true
	}
	deadline := fixedAt.Add(5 * time.Minute)
	var start map[key]harnessLag
	for start == nil && time.Now().Before(deadline) {
		if m, ok := read(); ok {
			start = m
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}
	for time.Now().Before(deadline) {
		now, ok := read()
		if ok {
			flowing := true
			for k, was := range start {
				cur := now[k]
				if was.lag > 0 && cur.lag > 0 && cur.committed <= was.committed {
					flowing = false
				}
			}
			if flowing {
				c.mu.Lock()
				c.recoveries = append(c.recoveries, time.Since(fixedAt))
				c.mu.Unlock()
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Errorf("the pipeline did not flow again within 5 minutes of the fault ending")
}

type harnessLag struct{ committed, lag int64 }

func (c *chaos) sleep(lo, hi time.Duration) {
	time.Sleep(lo + time.Duration(c.rng.Int64N(int64(hi-lo))))
}

// waitFor waits until progress reaches at least p (or the load is done).
func waitFor(progress func() float64, p float64) {
	deadline := time.Now().Add(10 * time.Minute)
	for progress() < p && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
}

// killWorkers SIGKILLs an enrich worker or the sink at random points and
// starts it again.
func killWorkers(c *chaos, progress func() float64) {
	names := []string{"enrich-1", "enrich-2", "sink"}
	waitFor(progress, 0.05)
	for i := 0; i < 8 && progress() < 0.9; i++ {
		name := names[c.rng.IntN(len(names))]
		// Kill in a stable group: see harness.WaitGroupStable for why.
		wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = c.s.WaitGroupStable(wctx, article.EnrichGroup, 2)
		_ = c.s.WaitGroupStable(wctx, c.group, 1)
		cancel()
		c.s.Kill(name)
		c.faults.Add(1)
		c.sleep(200*time.Millisecond, 1500*time.Millisecond)
		if name == "sink" {
			c.startSink(name)
		} else {
			c.startEnrich(name)
		}
		c.recovered(time.Now(), progress)
		c.sleep(time.Second, 4*time.Second)
	}
}

// killBroker kills the broker process with SIGKILL twice under load and
// restarts it on the same data directory; it runs with synchronous writes,
// so what it acknowledged is on disk.
func killBroker(c *chaos, progress func() float64) {
	for _, at := range []float64{0.3, 0.6} {
		waitFor(progress, at)
		if err := c.s.KillBroker(); err != nil {
			c.t.Fatal(err)
		}
		c.faults.Add(1)
		time.Sleep(2 * time.Second)
		if err := c.s.StartBroker(); err != nil {
			c.t.Fatal(err)
		}
		c.recovered(time.Now(), progress)
	}
}

// produceFaults answers a share of produce requests with REQUEST_TIMED_OUT
// after the broker stored them: the writers retry, and the duplicates they
// write must be absorbed by the sink.
func produceFaults(c *chaos, progress func() float64) {
	cl := c.s.Broker.Cluster()
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(c.rng.Uint64(), 1))
	h := cl.Fault(kfake.Fault{
		Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.RequestTimedOut, Count: -1,
		When: func(kmsg.Request) bool { mu.Lock(); defer mu.Unlock(); return rng.Float64() < 0.05 },
	})
	waitFor(progress, 0.7)
	h.Remove()
	c.faults.Add(int64(h.Hits()))
	c.recovered(time.Now(), progress)
}

// groupFaults fails offset commits and heartbeats, drops fetch connections
// and delays fetches, at random, until most of the load is through.
func groupFaults(c *chaos, progress func() float64) {
	cl := c.s.Broker.Cluster()
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(c.rng.Uint64(), 2))
	chance := func(p float64) bool { mu.Lock(); defer mu.Unlock(); return rng.Float64() < p }
	commits := cl.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Err: kerr.CoordinatorNotAvailable, Count: -1,
		When: func(kmsg.Request) bool { return chance(0.2) }})
	beats := cl.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Heartbeat}, Err: kerr.RebalanceInProgress, Count: -1,
		When: func(kmsg.Request) bool { return chance(0.03) }})
	var stop atomic.Bool
	var drops, delays atomic.Int64
	cl.ControlKey(int16(kmsg.Fetch), func(kmsg.Request) (kmsg.Response, error, bool) {
		if stop.Load() {
			return nil, nil, false // handled by the cluster; the control is dropped
		}
		cl.KeepControl()
		switch {
		case chance(0.01):
			drops.Add(1)
			return nil, errors.New("chaos: drop the connection"), true
		case chance(0.05):
			delays.Add(1)
			cl.SleepControl(func() { time.Sleep(300 * time.Millisecond) })
		}
		return nil, nil, false
	})
	waitFor(progress, 0.8)
	stop.Store(true)
	commits.Remove()
	beats.Remove()
	c.faults.Add(int64(commits.Hits()+beats.Hits()) + drops.Load() + delays.Load())
	c.recovered(time.Now(), progress)
}

// postgresOutage cuts the sink off PostgreSQL for 30 s under load.
func postgresOutage(c *chaos, progress func() float64) {
	waitFor(progress, 0.3)
	pgProxy.Cut()
	c.faults.Add(1)
	time.Sleep(30 * time.Second)
	if err := pgProxy.Restore(); err != nil {
		c.t.Fatal(err)
	}
	c.recovered(time.Now(), progress)
}

// stopEverything SIGTERMs every service and the broker under load, then
// starts them again.
func stopEverything(c *chaos, progress func() float64) {
	waitFor(progress, 0.4)
	c.s.StopAll(time.Minute)
	c.faults.Add(1)
	if err := c.s.KillBrokerGracefully(); err != nil {
		c.t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := c.s.StartBroker(); err != nil {
		c.t.Fatal(err)
	}
	c.startEnrich("enrich-1")
	c.startEnrich("enrich-2")
	c.startSink("sink")
	c.recovered(time.Now(), progress)
}

// postgresBehindProxy creates a schema for the run on the local server and
// returns a DSN that reaches it through a proxy.
func postgresBehindProxy(t *testing.T) (*harness.Proxy, string, func()) {
	base := os.Getenv("NEWSFLOW_TEST_PG_DSN")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	schema := fmt.Sprintf("chaos_%d", time.Now().UnixNano())
	if out, err := exec.Command("psql", "-At", base, "-c", "CREATE SCHEMA "+schema).CombinedOutput(); err != nil {
		t.Fatalf("creating schema: %v %s", err, out)
	}
	host := "127.0.0.1:5432"
	proxy, err := harness.NewProxy(host)
	if err != nil {
		t.Fatal(err)
	}
	dsn := strings.Replace(base, host, proxy.Addr(), 1)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	dsn += sep + "search_path=" + schema
	return proxy, dsn, func() {
		proxy.Close()
		_ = exec.Command("psql", "-At", base, "-c", "DROP SCHEMA "+schema+" CASCADE").Run()
	}
}

// pgDSNForPsql turns the sink's DSN into one psql understands directly.
func pgDSNForPsql(dsn string) string {
	base := os.Getenv("NEWSFLOW_TEST_PG_DSN")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	i := strings.Index(dsn, "search_path=")
	return base + "&options=-csearch_path%3D" + dsn[i+len("search_path="):]
}
