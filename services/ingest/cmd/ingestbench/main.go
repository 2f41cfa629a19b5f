// Command ingestbench measures ingest as a user runs it: the real
// bin/ingest binary as a child process against an embedded broker on disk,
// its CPU time read from the kernel (/proc while it runs, wait4's rusage at
// exit), and what it published read back from the topic.
//
//	ingestbench bulk  -n 200000 -size 3000     bulk JSON Lines into Kafka
//	ingestbench feeds -feeds 1000 -interval 60s  feed polling, then a restart
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/pkg/broker"
	"github.com/newsflow/newsflow/pkg/kafka"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "ingestbench: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: ingestbench bulk|feeds [flags]")
	}
	switch args[0] {
	case "bulk":
		return runBulk(ctx, args[1:], out)
	case "feeds":
		return runFeeds(ctx, args[1:], out)
	}
	return fmt.Errorf("unknown benchmark %q: want bulk or feeds", args[0])
}

// say writes a line of the report; a closed stdout is not worth failing on.
func say(w io.Writer, format string, a ...any) { _, _ = fmt.Fprintf(w, format, a...) }

// env is the embedded broker and a scratch folder.
type env struct {
	dir    string
	broker *broker.Broker
	bin    string
}

func setup(bin string) (*env, error) {
	dir, err := os.MkdirTemp("", "ingestbench-")
	if err != nil {
		return nil, err
	}
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", DataDir: filepath.Join(dir, "kafka")})
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		return nil, err
	}
	return &env{dir: dir, broker: b, bin: abs}, nil
}

// logTail is the end of ingest's log, for error messages (the scratch
// folder is removed on exit).
func (e *env) logTail() string {
	data, _ := os.ReadFile(filepath.Join(e.dir, "ingest.log"))
	if len(data) > 2000 {
		data = data[len(data)-2000:]
	}
	return string(data)
}

func (e *env) close() {
	e.broker.Close()
	_ = os.RemoveAll(e.dir)
}

// proc is a running bin/ingest.
type proc struct {
	cmd   *exec.Cmd
	start time.Time
}

func (e *env) start(args []string, stdout io.Writer) (*proc, error) {
	cmd := exec.Command(e.bin, args...)
	cmd.Stdout = stdout
	logf, err := os.OpenFile(filepath.Join(e.dir, "ingest.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logf
	cmd.Env = append(os.Environ(), "NEWSFLOW_KAFKA_BROKERS="+e.broker.Addr(), "NEWSFLOW_LOG_FORMAT=json")
	p := &proc{cmd: cmd, start: time.Now()}
	return p, cmd.Start()
}

// selfCPU is this process's CPU time so far (the embedded broker's, while
// ingest runs).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpu reads the process's user+system CPU time from /proc/PID/stat.
func (p *proc) cpu() (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const clkTck = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clkTck, nil
}

// wait waits for exit and returns wall time and the CPU time wait4 reports.
func (p *proc) wait() (wall, cpu time.Duration, err error) {
	err = p.cmd.Wait()
	wall = time.Since(p.start)
	if ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return wall, cpu, err
}

func topicIDs(ctx context.Context, addr, topic string) (map[string]int, int, error) {
	admin, err := kafka.NewAdmin(kafka.ConnConfig{Brokers: []string{addr}})
	if err != nil {
		return nil, 0, err
	}
	offs, err := admin.TopicOffsets(ctx, topic)
	if err != nil {
		return nil, 0, err
	}
	ids := map[string]int{}
	total := 0
	for p, o := range offs {
		if o.End == o.First {
			continue
		}
		r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{addr}, Topic: topic, Partition: p, MaxWait: 100 * time.Millisecond, MaxBytes: 16 << 20})
		if err := r.SetOffset(o.First); err != nil {
			return nil, 0, err
		}
		for off := o.First; off < o.End; off++ {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				_ = r.Close()
				return nil, 0, err
			}
			ids[string(m.Key)]++
			total++
		}
		_ = r.Close()
	}
	return ids, total, nil
}

func runBulk(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bulk", flag.ContinueOnError)
	n := fs.Int("n", 200000, "articles")
	size := fs.Int("size", 3000, "approximate bytes per article")
	bin := fs.String("ingest", "bin/ingest", "the ingest binary")
	workers := fs.Int("workers", 4, "ingest -workers")
	newsPlease := fs.Bool("news-please", false, "write news-please's field names instead of ours")
	extra := fs.String("args", "", "more ingest flags, space-separated (e.g. -publish-compression lz4)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	e, err := setup(*bin)
	if err != nil {
		return err
	}
	defer e.close()
	path := filepath.Join(e.dir, "archive.jsonl")
	bytes, err := writeArchive(path, *n, *size, *newsPlease)
	if err != nil {
		return err
	}
	say(out, "bulk: %d articles, %.1f MB of JSON Lines (%.0f bytes per line), broker on disk at %s\n",
		*n, float64(bytes)/1e6, float64(bytes)/float64(*n), e.broker.Addr())
	ingestArgs := append([]string{"files", "-topic", "bench-bulk", "-progress", "never", "-workers", strconv.Itoa(*workers)}, strings.Fields(*extra)...)
	self0 := selfCPU()
	p, err := e.start(append(ingestArgs, path), out)
	if err != nil {
		return err
	}
	wall, cpu, err := p.wait()
	brokerCPU := selfCPU() - self0
	if err != nil {
		return fmt.Errorf("ingest: %w\n%s", err, e.logTail())
	}
	ids, total, err := topicIDs(ctx, e.broker.Addr(), "bench-bulk")
	if err != nil {
		return err
	}
	if total != *n || len(ids) != *n {
		return fmt.Errorf("topic holds %d messages, %d distinct ids; want %d", total, len(ids), *n)
	}
	say(out, "bulk: %d articles in %s = %.0f articles/s, %.1f MB/s; ingest CPU %s (%.0f%% of one core), embedded broker CPU %s; all %d read back from the topic\n",
		*n, wall.Round(time.Millisecond), float64(*n)/wall.Seconds(), float64(bytes)/1e6/wall.Seconds(), cpu.Round(time.Millisecond),
		100*cpu.Seconds()/wall.Seconds(), brokerCPU.Round(time.Millisecond), total)
	return nil
}

var words = strings.Fields(`the council harbour ferry minister election market river bridge city report police weather
school hospital budget train station police court judge museum festival company workers strike energy prices water
said on monday that after before during while because although inquiry protest agreement talks summit ministers`)

func writeArchive(path string, n, size int, newsPlease bool) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	var total int64
	var body strings.Builder
	for i := 0; i < n; i++ {
		body.Reset()
		for body.Len() < size-250 {
			body.WriteString(words[rng.IntN(len(words))])
			if rng.IntN(12) == 0 {
				body.WriteString(". ")
			} else {
				body.WriteByte(' ')
			}
		}
		var line string
		if newsPlease {
			line = fmt.Sprintf(`{"url":"https://news.example.org/%d","title":"Article %d","maintext":%q,"date_publish":"2020-09-14 15:00:00","language":"en","source_domain":"news.example.org"}`, i, i, body.String())
		} else {
			line = fmt.Sprintf(`{"url":"https://news.example.org/%d","title":"Article %d","body":%q,"published":"2020-09-14T15:00:00Z","lang_hint":"en"}`, i, i, body.String())
		}
		k, err := w.WriteString(line + "\n")
		if err != nil {
			return 0, err
		}
		total += int64(k)
	}
	return total, w.Flush()
}

// feedFarm serves n RSS feeds over several listeners ("hosts"), each feed
// 20 items of a few hundred bytes, with ETag support unless told not to;
// every change period a share of the feeds gets a new item.
type feedFarm struct {
	mu     sync.Mutex
	feeds  []*farmFeed
	etag   bool
	hits   int64
	cond   int64
	full   int64
	added  int64
	srvs   []*http.Server
	urls   []string
	stopCh chan struct{}
}

type farmFeed struct {
	items []int // item numbers, newest first
	next  int
	ver   int
	doc   []byte
}

func newFarm(n, hosts int, etag bool) (*feedFarm, error) {
	f := &feedFarm{etag: etag, stopCh: make(chan struct{})}
	for i := 0; i < n; i++ {
		ff := &farmFeed{}
		for j := 0; j < 20; j++ {
			ff.items = append([]int{ff.next}, ff.items...)
			ff.next++
		}
		f.feeds = append(f.feeds, ff)
		f.render(i)
	}
	var addrs []string
	for h := 0; h < hosts; h++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		srv := &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		f.srvs = append(f.srvs, srv)
		addrs = append(addrs, ln.Addr().String())
	}
	for i := 0; i < n; i++ {
		f.urls = append(f.urls, fmt.Sprintf("http://%s/feed/%d.xml", addrs[i%hosts], i))
	}
	return f, nil
}

func (f *feedFarm) render(i int) {
	ff := f.feeds[i]
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed %d</title><link>https://feed%d.example.org/</link><language>en</language>`, i, i)
	for _, it := range ff.items {
		fmt.Fprintf(&b, `<item><title>Story %d of feed %d</title><link>https://feed%d.example.org/story/%d</link><guid>https://feed%d.example.org/story/%d</guid><pubDate>Mon, 14 Sep 2020 15:00:00 +0000</pubDate><description><![CDATA[<p>The council of feed %d met on Monday to discuss story %d, the harbour budget and the new ferry timetable.</p><p>A decision is expected next week.</p>]]></description></item>`,
			it, i, i, it, i, it, i, it)
	}
	b.WriteString(`</channel></rss>`)
	ff.doc = []byte(b.String())
	ff.ver++
}

// change gives share of the feeds one new item (the oldest drops off).
func (f *feedFarm) change(share float64, rng *rand.Rand) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, ff := range f.feeds {
		if rng.Float64() >= share {
			continue
		}
		ff.items = append([]int{ff.next}, ff.items[:len(ff.items)-1]...)
		ff.next++
		f.added++
		f.render(i)
	}
}

func (f *feedFarm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var i int
	if _, err := fmt.Sscanf(r.URL.Path, "/feed/%d.xml", &i); err != nil || i < 0 || i >= len(f.feeds) {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	ff := f.feeds[i]
	doc, etag := ff.doc, fmt.Sprintf(`"%d"`, ff.ver)
	f.hits++
	notModified := f.etag && r.Header.Get("If-None-Match") == etag
	if notModified {
		f.cond++
	} else {
		f.full++
	}
	f.mu.Unlock()
	if notModified {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if f.etag {
		w.Header().Set("ETag", etag)
	}
	w.Header().Set("Content-Type", "application/rss+xml")
	_, _ = w.Write(doc)
}

func (f *feedFarm) counts() (hits, cond, full, added int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits, f.cond, f.full, f.added
}

func runFeeds(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("feeds", flag.ContinueOnError)
	n := fs.Int("feeds", 1000, "feeds")
	hosts := fs.Int("hosts", 20, "local servers the feeds are spread over")
	interval := fs.Duration("interval", 60*time.Second, "poll interval")
	first := fs.Int("intervals", 3, "intervals the first run lasts")
	second := fs.Int("restart-intervals", 2, "intervals the run after the restart lasts")
	share := fs.Float64("change", 0.1, "share of feeds that get a new item every interval")
	etag := fs.Bool("etag", true, "servers answer conditional GET with 304")
	bin := fs.String("ingest", "bin/ingest", "the ingest binary")
	if err := fs.Parse(args); err != nil {
		return err
	}
	e, err := setup(*bin)
	if err != nil {
		return err
	}
	defer e.close()
	farm, err := newFarm(*n, *hosts, *etag)
	if err != nil {
		return err
	}
	list := filepath.Join(e.dir, "feeds.txt")
	if err := os.WriteFile(list, []byte(strings.Join(farm.urls, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(3, 4))
	go func() {
		t := time.NewTicker(*interval)
		defer t.Stop()
		for {
			select {
			case <-farm.stopCh:
				return
			case <-t.C:
				farm.change(*share, rng)
			}
		}
	}()
	defer close(farm.stopCh)
	say(out, "feeds: %d feeds on %d local servers, %s interval, %.0f%% of feeds get a new item per interval, conditional GET %v\n",
		*n, *hosts, *interval, *share*100, *etag)

	args2 := []string{"feeds", "-feeds", list, "-interval", interval.String(), "-state", filepath.Join(e.dir, "state.db"),
		"-allow-cidr", "127.0.0.0/8", "-topic", "bench-feeds", "-per-host", "4"}
	runFor := func(label string, intervals int) error {
		p, err := e.start(args2, io.Discard)
		if err != nil {
			return err
		}
		prev, _ := p.cpu()
		prevT := time.Now()
		for k := 1; k <= intervals; k++ {
			select {
			case <-ctx.Done():
				_ = p.cmd.Process.Signal(syscall.SIGTERM)
				_, _, _ = p.wait()
				return ctx.Err()
			case <-time.After(*interval):
			}
			c, err := p.cpu()
			if err != nil {
				return err
			}
			now := time.Now()
			hits, cond, full, added := farm.counts()
			say(out, "  %s interval %d: ingest CPU %s over %s = %.1f%% of one core (requests so far %d: %d answered 304, %d full; %d items added)\n",
				label, k, (c - prev).Round(time.Millisecond), now.Sub(prevT).Round(time.Millisecond), 100*(c-prev).Seconds()/now.Sub(prevT).Seconds(), hits, cond, full, added)
			prev, prevT = c, now
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		wall, cpu, err := p.wait()
		if err != nil {
			return fmt.Errorf("ingest: %w\n%s", err, e.logTail())
		}
		say(out, "  %s total: CPU %s over %s = %.1f%% of one core (wait4 rusage)\n", label, cpu.Round(time.Millisecond), wall.Round(time.Millisecond), 100*cpu.Seconds()/wall.Seconds())
		return nil
	}
	if err := runFor("run 1", *first); err != nil {
		return err
	}
	idsBefore, totalBefore, err := topicIDs(ctx, e.broker.Addr(), "bench-feeds")
	if err != nil {
		return err
	}
	say(out, "  after run 1: %d messages, %d distinct articles\n", totalBefore, len(idsBefore))
	say(out, "  restarting ingest on the same state file\n")
	if err := runFor("run 2", *second); err != nil {
		return err
	}
	ids, total, err := topicIDs(ctx, e.broker.Addr(), "bench-feeds")
	if err != nil {
		return err
	}
	dups := 0
	for _, c := range ids {
		if c > 1 {
			dups += c - 1
		}
	}
	_, _, _, added := farm.counts()
	say(out, "feeds: %d messages, %d distinct articles, %d duplicate publications; feeds carried %d items in all (%d at start + %d added)\n",
		total, len(ids), dups, int64(*n*20)+added, *n*20, added)
	if dups > 0 {
		return fmt.Errorf("%d duplicate publications", dups)
	}
	return nil
}
