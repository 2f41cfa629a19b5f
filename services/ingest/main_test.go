package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/broker"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// The end-to-end tests run the commands as a user would (through run) and
// read what they published back from an embedded broker.
var brokerAddr string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "newsflow-ingest-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	brokerAddr = b.Addr()
	code := m.Run()
	b.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

func env(string) string { return "" }

// ingest runs the command with the test broker and topic and returns its
// standard output.
func ingest(t *testing.T, topic string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := []string{}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") && !strings.Contains(args[0], "/") {
		cmd, args = args[:1], args[1:]
	}
	full := append(cmd, append([]string{"-kafka-brokers", brokerAddr, "-topic", topic, "-partitions", "3", "-log-format", "json"}, args...)...)
	err := run(t.Context(), full, env, &out, &errOut)
	if err != nil {
		t.Logf("stderr:\n%s", errOut.String())
	}
	return out.String(), err
}

type record struct {
	key     string
	art     article.Raw
	headers map[string]string
}

// readTopic reads everything in a topic.
func readTopic(t *testing.T, topic string) []record {
	t.Helper()
	admin, err := kafka.NewAdmin(kafka.ConnConfig{Brokers: []string{brokerAddr}})
	if err != nil {
		t.Fatal(err)
	}
	offs, err := admin.TopicOffsets(t.Context(), topic)
	if err != nil {
		t.Fatal(err)
	}
	var out []record
	for p, o := range offs {
		if o.End == o.First {
			continue
		}
		r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{brokerAddr}, Topic: topic, Partition: p, MaxWait: 100 * time.Millisecond})
		if err := r.SetOffset(o.First); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		for off := o.First; off < o.End; off++ {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				cancel()
				t.Fatalf("reading %s/%d at %d: %v", topic, p, off, err)
			}
			a, err := article.DecodeRaw(m.Value)
			if err != nil {
				t.Fatalf("message at %s/%d/%d is not a valid raw article: %v", topic, p, m.Offset, err)
			}
			h := map[string]string{}
			for _, x := range m.Headers {
				h[x.Key] = string(x.Value)
			}
			out = append(out, record{key: string(m.Key), art: a, headers: h})
		}
		cancel()
		r.Close()
	}
	return out
}

func checkRecords(t *testing.T, recs []record) map[string]record {
	t.Helper()
	byID := map[string]record{}
	for _, r := range recs {
		if r.key != r.art.ID || r.headers[article.HeaderArticleID] != r.art.ID || r.headers[article.HeaderSchemaVersion] != "1" ||
			r.headers[article.HeaderSource] != r.art.Source.Type+":"+r.art.Source.Name || r.headers[article.HeaderIngestedAt] == "" {
			t.Errorf("key or headers do not match the article: key %q headers %v article %s", r.key, r.headers, r.art.ID)
		}
		if _, dup := byID[r.art.ID]; dup {
			t.Errorf("article %s published twice", r.art.ID)
		}
		byID[r.art.ID] = r
	}
	return byID
}

func TestFilesEndToEnd(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("samples/a.txt", " date 2020-09 Een lening van de bank.\n\nTweede alinea.\n")
	write("samples/b.txt", "date 2021-03-04 Another sample article.\n")
	write("archive.jsonl", `{"url":"https://news.example.org/1","title":"One","maintext":"First body.","date_publish":"2020-09-14 15:00:00","language":"en","source_domain":"news.example.org"}`+"\n"+
		`{"url":"https://news.example.org/2","title":"Two","body":"Second body.","published":"Mon, 14 Sep 2020 15:00:00 GMT"}`+"\n"+
		`{"title":"no body"}`+"\n")
	ckpt := filepath.Join(dir, "ck.json")

	// The form bin/newsflow dev uses: ingest [flags] PATH...
	out, err := ingest(t, "e2e-files", "-checkpoint", ckpt, filepath.Join(dir, "samples"), filepath.Join(dir, "archive.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "ingested 3 files") || !strings.Contains(out, "4 articles published, 1 refused") || !strings.Contains(out, "refused missing_body") {
		t.Fatalf("report:\n%s", out)
	}
	byID := checkRecords(t, readTopic(t, "e2e-files"))
	if len(byID) != 4 {
		t.Fatalf("%d articles in the topic, want 4", len(byID))
	}
	np := byID[article.ID("https://news.example.org/1", "", "", "", "")]
	if np.art.Source.Name != "news.example.org" || np.art.Published != "2020-09-14T15:00:00" || np.art.LangHint != "en" || np.art.Body != "First body." {
		t.Fatalf("news-please article: %+v", np.art)
	}
	if got := byID[article.ID("https://news.example.org/2", "", "", "", "")].art.Published; got != "2020-09-14T15:00:00Z" {
		t.Fatalf("RFC 1123 date normalised to %q", got)
	}

	// Again with the same checkpoint: everything is done, nothing is sent.
	out, err = ingest(t, "files", "-checkpoint", ckpt, filepath.Join(dir, "samples"), filepath.Join(dir, "archive.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "0 articles published") || !strings.Contains(out, "3 files already done") {
		t.Fatalf("resumed report:\n%s", out)
	}
	if n := len(readTopic(t, "e2e-files")); n != 4 {
		t.Fatalf("%d messages after the rerun, want 4", n)
	}
}

// feedSite serves an RSS feed whose items can be changed, with ETags.
type feedSite struct {
	mu    sync.Mutex
	items []string
	ver   int
}

func (s *feedSite) set(items ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items, s.ver = items, s.ver+1
}

func (s *feedSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	etag := fmt.Sprintf(`"%d"`, s.ver)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Site</title><language>en</language>`)
	for _, it := range s.items {
		fmt.Fprintf(w, `<item><title>%s</title><link>https://site.example.org/%s</link><pubDate>Mon, 14 Sep 2020 15:00:00 +0200</pubDate><description>&lt;p&gt;Story %s.&lt;/p&gt;</description></item>`, it, it, it)
	}
	fmt.Fprint(w, `</channel></rss>`)
}

func TestFeedsEndToEndNoDuplicatesAcrossRestart(t *testing.T) {
	site := &feedSite{}
	site.set("a", "b", "c")
	srv := httptest.NewServer(site)
	defer srv.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer failing.Close()
	dir := t.TempDir()
	list := filepath.Join(dir, "feeds.txt")
	if err := os.WriteFile(list, []byte("# test feeds\n"+srv.URL+"/feed.xml name=site\n"+failing.URL+"/rss\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"feeds", "-once", "-feeds", list, "-state", filepath.Join(dir, "state.db"), "-allow-cidr", "127.0.0.1/32"}

	out, err := ingest(t, "e2e-feeds", args...)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 feeds failed") {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	if !strings.Contains(out, "3 articles published") || !strings.Contains(out, "failing: "+failing.URL+"/rss") {
		t.Fatalf("report:\n%s", out)
	}
	// Restart: the feed has not changed (304), and even when the server
	// sends everything again only the new item goes out.
	if out, _ = ingest(t, "e2e-feeds", args...); !strings.Contains(out, "0 articles published") || !strings.Contains(out, "1 not modified") {
		t.Fatalf("second run:\n%s", out)
	}
	site.set("d", "a", "b", "c")
	if out, _ = ingest(t, "e2e-feeds", args...); !strings.Contains(out, "1 articles published, 3 already seen") {
		t.Fatalf("third run:\n%s", out)
	}
	byID := checkRecords(t, readTopic(t, "e2e-feeds"))
	if len(byID) != 4 {
		t.Fatalf("%d articles, want 4", len(byID))
	}
	a := byID[article.ID("https://site.example.org/a", "", "", "", "")].art
	if a.Source != (article.Source{Type: "feed", Name: "site", URI: srv.URL + "/feed.xml"}) || a.Body != "Story a." || a.Published != "2020-09-14T13:00:00Z" || a.LangHint != "en" {
		t.Fatalf("feed article: %+v", a)
	}

	// With the SSRF guard on and no allowance, the local feed is refused.
	guarded := []string{"feeds", "-once", "-feed", srv.URL + "/feed.xml", "-state", filepath.Join(dir, "state2.db")}
	if out, err := ingest(t, "e2e-feeds", guarded...); err == nil || !strings.Contains(out, "address not allowed") {
		t.Fatalf("guarded run: %v\n%s", err, out)
	}
}

func TestServeEndToEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "-kafka-brokers", brokerAddr, "-topic", "e2e-serve", "-partitions", "3", "-listen", "127.0.0.1:0",
			"-token", "0123456789abcdef-token", "-log-format", "json"}, env, pw, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no start line: %v (%s)", err, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	url := strings.TrimSpace(strings.TrimPrefix(line, "ingest serving POST "))

	postArticles := func(body, token string) (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := postArticles(`{"body":"x"}`, "wrong"); code != 401 {
		t.Fatalf("wrong token: %d %s", code, body)
	}
	if code, body := postArticles(`{"body":"x"}`+"\n"+`{"title":"none"}`, "0123456789abcdef-token"); code != 400 || !strings.Contains(body, `"reason":"missing_body"`) {
		t.Fatalf("bad batch: %d %s", code, body)
	}
	code, body := postArticles(`{"url":"https://push.example.org/1","body":"Pushed one."}`+"\n"+`{"body":"Pushed two.","lang_hint":"nl"}`, "0123456789abcdef-token")
	if code != 202 || !strings.Contains(body, `"accepted":2`) {
		t.Fatalf("good batch: %d %s", code, body)
	}
	// 202 means acknowledged: the articles are already in the topic.
	byID := checkRecords(t, readTopic(t, "e2e-serve"))
	if len(byID) != 2 {
		t.Fatalf("%d articles, want 2", len(byID))
	}
	if a := byID[article.ID("https://push.example.org/1", "", "", "", "")].art; a.Source.Type != "http" || a.Body != "Pushed one." {
		t.Fatalf("pushed article %+v", a)
	}
	resp, err := http.Get(strings.TrimSuffix(url, "/v1/articles") + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestWatchEndToEnd(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"watch", "-kafka-brokers", brokerAddr, "-topic", "e2e-watch", "-partitions", "3",
			"-settle", "100ms", "-scan", "50ms", "-log-format", "json", dir}, env, io.Discard, &stderr)
	}()
	// Written under a temporary name, then renamed into place.
	tmp := filepath.Join(dir, ".drop.jsonl.tmp")
	if err := os.WriteFile(tmp, []byte(`{"body":"Dropped one."}`+"\n"+`{"maintext":"Dropped two.","source_domain":"d.example"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "drop.jsonl")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.jsonl"), []byte("{oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, e1 := os.Stat(filepath.Join(dir, "done", "drop.jsonl"))
		_, e2 := os.Stat(filepath.Join(dir, "failed", "bad.jsonl.reason"))
		if e1 == nil && e2 == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("files not moved: %v %v\n%s", e1, e2, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	reason, _ := os.ReadFile(filepath.Join(dir, "failed", "bad.jsonl.reason"))
	if !strings.Contains(string(reason), "line 1: malformed_json") {
		t.Fatalf("reason file:\n%s", reason)
	}
	if n := len(checkRecords(t, readTopic(t, "e2e-watch"))); n != 2 {
		t.Fatalf("%d articles, want 2", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(t.Context(), nil, env, &out, &errOut); err == nil || !strings.Contains(errOut.String(), "ingest feeds") {
		t.Fatalf("no args: %v\n%s", err, errOut.String())
	}
	errOut.Reset()
	if err := run(t.Context(), []string{"feeds", "-print-config"}, env, &out, &errOut); err != nil || !strings.Contains(out.String(), "NEWSFLOW_SEEN_TTL=720h0m0s") {
		t.Fatalf("print-config: %v\n%s", err, out.String())
	}
	if err := run(t.Context(), []string{"serve", "-token", "x", "-print-config"}, env, &out, &errOut); err != nil || !strings.Contains(out.String(), "NEWSFLOW_TOKEN=REDACTED") {
		t.Fatalf("secret not redacted:\n%s", out.String())
	}
}
