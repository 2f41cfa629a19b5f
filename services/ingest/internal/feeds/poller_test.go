package feeds

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/services/ingest/internal/fetch"
	"github.com/newsflow/newsflow/services/ingest/internal/state"
)

// memPub is a Publisher that keeps what it is given, or fails on demand.
type memPub struct {
	mu   sync.Mutex
	arts []*article.Raw
	fail atomic.Bool
}

func (m *memPub) Publish(_ context.Context, arts []*article.Raw) error {
	if m.fail.Load() {
		return errors.New("broker down")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.arts = append(m.arts, arts...)
	return nil
}

func (m *memPub) ids() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, len(m.arts))
	for i, a := range m.arts {
		out[i] = a.ID
	}
	return out
}

// site serves documents by path with ETag support, counting requests.
type site struct {
	mu       sync.Mutex
	docs     map[string]string
	versions map[string]int
	noETag   bool
	hits     map[string]int
	cond     map[string]int // conditional requests
	handlers map[string]http.HandlerFunc
}

func newSite() *site {
	return &site{docs: map[string]string{}, versions: map[string]int{}, hits: map[string]int{}, cond: map[string]int{}, handlers: map[string]http.HandlerFunc{}}
}

func (s *site) set(path, doc string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs[path] = doc
	s.versions[path]++
}

func (s *site) count(path string) (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path], s.cond[path]
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	if r.Header.Get("If-None-Match") != "" {
		s.cond[r.URL.Path]++
	}
	h := s.handlers[r.URL.Path]
	doc, ok := s.docs[r.URL.Path]
	etag := fmt.Sprintf(`"v%d"`, s.versions[r.URL.Path])
	noETag := s.noETag
	s.mu.Unlock()
	if !strings.Contains(r.Header.Get("User-Agent"), "newsflow-ingest") {
		http.Error(w, "who are you", http.StatusForbidden)
		return
	}
	if h != nil {
		h(w, r)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	if !noETag {
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
	}
	fmt.Fprint(w, doc)
}

type harness struct {
	t      *testing.T
	srv    *httptest.Server
	site   *site
	pub    *memPub
	client *fetch.Client
	path   string
}

func newClient(t *testing.T, perHost int) *fetch.Client {
	t.Helper()
	client, err := fetch.New(fetch.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Timeout: 2 * time.Second, MaxBytes: 1 << 20, PerHost: perHost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	return client
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	s := newSite()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &harness{t: t, srv: srv, site: s, pub: &memPub{}, client: newClient(t, 0), path: filepath.Join(t.TempDir(), "state.db")}
}

func (h *harness) url(path string) string { return h.srv.URL + path }

// poller opens the state file and builds a poller, as a (re)start would.
func (h *harness) poller(cfg Config) *Poller {
	h.t.Helper()
	store, err := state.Open(h.t.Context(), state.Config{Path: h.path, TTL: 24 * time.Hour})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = store.Close() })
	p, err := New(h.t.Context(), cfg, h.client, store, h.pub, zerolog.Nop())
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

func rssDoc(items ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>`)
	for _, it := range items {
		fmt.Fprintf(&b, `<item><title>%s</title><link>https://pub.example.org/%s</link><description>Text of %s.</description></item>`, it, it, it)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

func TestNoRepublishAcrossRestart(t *testing.T) {
	h := newHarness(t)
	h.site.set("/feed", rssDoc("a", "b", "c"))
	feed := Feed{URL: h.url("/feed")}
	cfg := Config{Feeds: []Feed{feed}}

	p := h.poller(cfg)
	if r := p.Poll(t.Context(), feed); r.Err != nil || r.Published != 3 {
		t.Fatalf("first poll: %+v", r)
	}
	if r := p.Poll(t.Context(), feed); !r.NotModified {
		t.Fatalf("second poll not conditional: %+v", r)
	}
	_ = p.store.Close()

	// Restart: the ETag comes back from the state file.
	p = h.poller(cfg)
	if r := p.Poll(t.Context(), feed); !r.NotModified {
		t.Fatalf("poll after restart: %+v", r)
	}
	// The feed changes: only the new item is published.
	h.site.set("/feed", rssDoc("d", "a", "b", "c"))
	if r := p.Poll(t.Context(), feed); r.Err != nil || r.Published != 1 || r.Duplicates != 3 {
		t.Fatalf("changed feed: %+v", r)
	}
	_ = p.store.Close()

	// A server that ignores conditional GET: everything comes again, nothing
	// is published again.
	h.site.noETag = true
	p = h.poller(cfg)
	if r := p.Poll(t.Context(), feed); r.Err != nil || r.Published != 0 || r.Duplicates != 4 {
		t.Fatalf("after restart without ETag: %+v", r)
	}
	ids := h.pub.ids()
	if len(ids) != 4 {
		t.Fatalf("published %d articles, want 4", len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("article %s published twice", id)
		}
		seen[id] = true
	}
	// Every poll after the first was conditional, the last one ignored.
	if hits, cond := h.site.count("/feed"); cond != 4 || hits != 5 {
		t.Fatalf("%d requests, %d conditional", hits, cond)
	}
}

func TestSameArticleInManyFeedsPublishedOnce(t *testing.T) {
	// Feeds polled at once that all carry the same articles: each article
	// is published once (this raced before claims were added).
	h := newHarness(t)
	var feeds []Feed
	for i := range 8 {
		path := fmt.Sprintf("/f%d", i)
		h.site.set(path, rssDoc("shared1", "shared2", fmt.Sprintf("own%d", i)))
		feeds = append(feeds, Feed{URL: h.url(path)})
	}
	h.client = newClient(t, 16)
	for round := range 5 {
		h.pub.mu.Lock()
		h.pub.arts = nil
		h.pub.mu.Unlock()
		h.path = filepath.Join(t.TempDir(), fmt.Sprintf("state%d.db", round))
		p := h.poller(Config{Feeds: feeds, Workers: 8})
		if failed := p.Once(t.Context()); failed != 0 {
			t.Fatalf("%d polls failed", failed)
		}
		if got := len(h.pub.ids()); got != 10 {
			t.Fatalf("round %d: published %d, want 10", round, got)
		}
	}
}

func TestPublishFailureIsRetried(t *testing.T) {
	h := newHarness(t)
	h.site.set("/feed", rssDoc("a", "b"))
	feed := Feed{URL: h.url("/feed")}
	p := h.poller(Config{Feeds: []Feed{feed}})
	h.pub.fail.Store(true)
	if r := p.Poll(t.Context(), feed); r.Err == nil {
		t.Fatal("poll succeeded with the broker down")
	}
	h.pub.fail.Store(false)
	// Not marked seen, and the ETag was not kept: the next poll fetches
	// the document and publishes it.
	if r := p.Poll(t.Context(), feed); r.Err != nil || r.Published != 2 {
		t.Fatalf("retry: %+v", r)
	}
	if _, cond := h.site.count("/feed"); cond != 0 {
		t.Fatalf("%d conditional requests after a failed publish", cond)
	}
	st := p.Statuses()[0]
	if st.ConsecutiveFailures != 0 || st.Published != 2 || st.LastResult != "published" {
		t.Fatalf("status %+v", st)
	}
}

func TestFailingFeedsAreReportedAndOthersGoOn(t *testing.T) {
	h := newHarness(t)
	h.site.set("/good", rssDoc("g1", "g2"))
	h.site.set("/broken", string(fixture(t, "broken.xml")))
	h.site.set("/html", "<html><body>moved</body></html>")
	h.site.handlers["/busy"] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	}
	h.site.handlers["/down"] = func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}
	h.site.handlers["/huge"] = func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>`)
		chunk := strings.Repeat("x", 64<<10)
		for range 40 { // 2.5 MiB against a 1 MiB cap
			fmt.Fprint(w, chunk)
		}
	}
	h.site.handlers["/ssrf"] = func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusMovedPermanently)
	}
	h.site.handlers["/laughs"] = func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(fixture(t, "billion-laughs.xml"))
	}
	var feeds []Feed
	for _, p := range []string{"/good", "/broken", "/html", "/busy", "/down", "/huge", "/ssrf", "/laughs", "/missing"} {
		feeds = append(feeds, Feed{URL: h.url(p)})
	}
	p := h.poller(Config{Feeds: feeds, Interval: time.Second, StartSpread: 10 * time.Millisecond, Workers: 4})
	ctx, cancel := context.WithTimeout(t.Context(), 3500*time.Millisecond)
	defer cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}

	want := map[string]string{
		"/broken": "XML syntax error", "/html": ErrNotAFeed.Error(), "/busy": "429", "/down": "502",
		"/huge": fetch.ErrTooLarge.Error(), "/ssrf": fetch.ErrBlocked.Error(), "/missing": "404",
	}
	for _, st := range p.Statuses() {
		path := strings.TrimPrefix(st.URL, h.srv.URL)
		switch path {
		case "/good", "/laughs":
			if st.ConsecutiveFailures != 0 || st.LastSuccess.IsZero() {
				t.Errorf("%s: %+v", path, st)
			}
		default:
			if st.ConsecutiveFailures == 0 || !strings.Contains(st.LastError, want[path]) {
				t.Errorf("%s: failures %d, last error %q, want %q", path, st.ConsecutiveFailures, st.LastError, want[path])
			}
		}
	}
	// Polled again on its interval and answered 304; the busy feed was
	// asked once, then left alone as Retry-After said; the failing feed
	// backed off (1 s, then 2 s).
	if hits, cond := h.site.count("/good"); hits < 2 || cond < 1 {
		t.Errorf("good feed: %d requests, %d conditional", hits, cond)
	}
	if hits, _ := h.site.count("/busy"); hits != 1 {
		t.Errorf("busy feed asked %d times despite Retry-After", hits)
	}
	if hits, _ := h.site.count("/down"); hits > 3 {
		t.Errorf("failing feed asked %d times in 3.5 s", hits)
	}
	if got := len(h.pub.ids()); got != 3 {
		t.Errorf("published %d articles, want 3 (2 good + 1 from the laughs feed)", got)
	}
	if s := p.Stats(); s.NotModified < 1 || s.Failures < 7 || s.Published != 3 {
		t.Errorf("stats %+v", s)
	}
}

func TestBackoffSchedule(t *testing.T) {
	p := &Poller{cfg: Config{Interval: time.Minute, MaxBackoff: 5 * time.Minute}, log: zerolog.Nop()}
	f := &follow{feed: Feed{URL: "u"}}
	fail := Result{Err: errors.New("boom")}
	for i, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute} {
		f.st.ConsecutiveFailures = i + 1
		if got := p.next(f, fail); got != want {
			t.Errorf("after %d failures: %s, want %s", i+1, got, want)
		}
	}
	f.st.ConsecutiveFailures = 1
	if got := p.next(f, Result{Err: fail.Err, RetryAfter: time.Hour}); got != time.Hour {
		t.Errorf("retry-after: %s", got)
	}
	f.st.ConsecutiveFailures = 0
	f.feed.Interval = 30 * time.Second
	if got := p.next(f, Result{}); got != 30*time.Second {
		t.Errorf("own interval: %s", got)
	}
	p.cfg.Jitter = 0.2
	for range 100 {
		if got := p.next(f, Result{}); got < 24*time.Second || got > 36*time.Second {
			t.Fatalf("jittered wait %s outside ±20%%", got)
		}
	}
}

func TestFullText(t *testing.T) {
	h := newHarness(t)
	page := string(fixture(t, "article.html"))
	h.site.set("/story", page)
	h.site.set("/feed", `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>Ferry</title><link>`+h.url("/story")+`</link><description>Short teaser.</description></item>
<item><title>Gone</title><link>`+h.url("/gone")+`</link><description>Teaser of a missing page.</description></item>
<item><title>Nothing</title><link>`+h.url("/gone2")+`</link></item>
</channel></rss>`)
	feed := Feed{URL: h.url("/feed"), FullText: true}
	p := h.poller(Config{Feeds: []Feed{feed}})
	r := p.Poll(t.Context(), feed)
	if r.Err != nil || r.Published != 2 || r.Refused != 1 {
		t.Fatalf("poll: %+v", r)
	}
	byTitle := map[string]*article.Raw{}
	for _, a := range h.pub.arts {
		byTitle[a.Title] = a
	}
	ferry := byTitle["Ferry"]
	if ferry == nil || !strings.Contains(ferry.Body, "Repairs to the pier took three days.") || strings.Contains(ferry.Body, "Most read") ||
		strings.Contains(ferry.Body, "Privacy") || ferry.Published != "2020-09-14T13:00:00Z" {
		t.Fatalf("full text: %+v", ferry)
	}
	if gone := byTitle["Gone"]; gone == nil || gone.Body != "Teaser of a missing page." {
		t.Fatalf("fallback to summary: %+v", gone)
	}
	if s := p.Stats(); s.FullText != 3 || s.FullTextFailed != 2 || s.Refused != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []Config{
		{},
		{Feeds: []Feed{{URL: "http://x"}}, Interval: time.Millisecond},
		{Feeds: []Feed{{URL: "http://x"}}, Jitter: 1.5},
		{Feeds: []Feed{{URL: "http://x"}}, Interval: time.Hour, MaxBackoff: time.Minute},
	}
	for i, c := range bad {
		c.setDefaults()
		if err := c.Validate(); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
}
