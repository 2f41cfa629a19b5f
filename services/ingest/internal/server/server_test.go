package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/newsflow/newsflow/pkg/article"
)

type fakePub struct {
	mu      sync.Mutex
	arts    []*article.Raw
	err     error
	block   chan struct{}
	entered chan struct{} // receives when a publish starts, if set
}

func (f *fakePub) Publish(_ context.Context, arts []*article.Raw) error {
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.arts = append(f.arts, arts...)
	return nil
}

func newServer(t *testing.T, cfg Config, pub *fakePub) *httptest.Server {
	t.Helper()
	s, err := New(cfg, pub, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

type answer struct {
	code int
	body map[string]any
	hdr  http.Header
}

func post(t *testing.T, url, contentType, body string, hdr ...string) answer {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url+"/v1/articles", strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("answer is not JSON: %q", data)
	}
	return answer{resp.StatusCode, m, resp.Header}
}

const one = `{"url":"https://news.example.org/a","title":"A","body":"Text A.","published":"Mon, 14 Sep 2020 15:00:00 GMT"}`

func TestAccepts(t *testing.T) {
	pub := &fakePub{}
	srv := newServer(t, Config{}, pub)
	tests := []struct {
		name, ct, body string
		n              int
	}{
		{"one article", "application/json", one, 1},
		{"pretty printed", "application/json", "{\n  \"body\": \"Pretty.\"\n}\n", 1},
		{"array", "application/json", `[` + one + `,{"body":"B."}]`, 2},
		{"ndjson batch", "application/x-ndjson", one + "\n\n{\"body\":\"B.\"}\r\n{\"maintext\":\"C.\",\"source_domain\":\"c.example\"}", 3},
		{"no content type, one line", "", one, 1},
		{"no content type, lines", "", one + "\n{\"body\":\"B.\"}\n", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := post(t, srv.URL, tt.ct, tt.body)
			if a.code != http.StatusAccepted || int(a.body["accepted"].(float64)) != tt.n {
				t.Fatalf("%d %v", a.code, a.body)
			}
			if ids := a.body["ids"].([]any); len(ids) != tt.n || !article.ValidID(ids[0].(string)) {
				t.Fatalf("ids %v", ids)
			}
		})
	}
	first := pub.arts[0]
	if first.Source != (article.Source{Type: "http", Name: "api", URI: "http:/v1/articles"}) || first.Published != "2020-09-14T15:00:00Z" ||
		first.ID != article.ID("https://news.example.org/a", "", "", "", "") {
		t.Fatalf("stored %+v", first)
	}
}

func TestRefusesBadItemsWithReasons(t *testing.T) {
	pub := &fakePub{}
	srv := newServer(t, Config{}, pub)
	body := one + "\n" + `{"title":"no body"}` + "\n" + `{"body":"x","published":"later"}` + "\nnot json\n" + `{"body":"x","id":"SHOUT"}` + "\n"
	a := post(t, srv.URL, "application/x-ndjson", body)
	if a.code != http.StatusBadRequest {
		t.Fatalf("%d %v", a.code, a.body)
	}
	items := a.body["items"].([]any)
	want := []struct {
		line   float64
		reason string
	}{{2, "missing_body"}, {3, "invalid_date"}, {4, "malformed_json"}, {5, "invalid_id"}}
	if len(items) != len(want) {
		t.Fatalf("items %v", items)
	}
	for i, w := range want {
		it := items[i].(map[string]any)
		if it["item"].(float64) != w.line || it["reason"] != w.reason || it["error"] == "" {
			t.Errorf("item %d: %v, want line %v %s", i, it, w.line, w.reason)
		}
	}
	if len(pub.arts) != 0 {
		t.Fatalf("published %d articles of a refused request", len(pub.arts))
	}
	// Invalid UTF-8 in a line.
	if a := post(t, srv.URL, "application/x-ndjson", "{\"body\":\"caf\xe9\"}"); a.code != 400 || a.body["items"].([]any)[0].(map[string]any)["reason"] != "invalid_utf8" {
		t.Fatalf("invalid utf-8: %d %v", a.code, a.body)
	}
	for _, c := range []struct{ ct, body string }{
		{"application/json", `[1,`},
		{"application/json", ``},
		{"text/plain", one},
		{"application/json; charset=latin1", one},
	} {
		if a := post(t, srv.URL, c.ct, c.body); a.code != 400 && a.code != 415 {
			t.Errorf("%s %q: %d %v", c.ct, c.body, a.code, a.body)
		}
	}
}

func TestOversize(t *testing.T) {
	srv := newServer(t, Config{MaxBody: 4096, MaxItems: 3}, &fakePub{})
	big := `{"body":"` + strings.Repeat("x", 5000) + `"}`
	if a := post(t, srv.URL, "application/json", big); a.code != http.StatusRequestEntityTooLarge {
		t.Fatalf("big body: %d %v", a.code, a.body)
	}
	// Without Content-Length (chunked), the cap still holds.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/v1/articles", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked big body: %d", resp.StatusCode)
	}
	lines := strings.Repeat(`{"body":"x"}`+"\n", 4)
	if a := post(t, srv.URL, "application/x-ndjson", lines); a.code != http.StatusRequestEntityTooLarge {
		t.Fatalf("too many items: %d %v", a.code, a.body)
	}
}

func TestOversizeLineInLargeBody(t *testing.T) {
	srv := newServer(t, Config{MaxBody: 4 << 20}, &fakePub{})
	body := `{"body":"` + strings.Repeat("x", article.MaxMessageBytes+1) + `"}` + "\n" + `{"body":"ok"}`
	a := post(t, srv.URL, "application/x-ndjson", body)
	if a.code != 400 || a.body["items"].([]any)[0].(map[string]any)["reason"] != "too_large" {
		t.Fatalf("%d %v", a.code, a.body)
	}
}

func TestBackpressureAndBrokerDown(t *testing.T) {
	pub := &fakePub{block: make(chan struct{}), entered: make(chan struct{}, 1)}
	srv := newServer(t, Config{MaxInFlight: 1, QueueWait: 50 * time.Millisecond, PublishTimeout: 5 * time.Second}, pub)
	first := make(chan answer)
	go func() { first <- post(t, srv.URL, "application/json", one) }()
	<-pub.entered // the first request holds the only slot
	a := post(t, srv.URL, "application/json", `{"body":"second"}`)
	if a.code != http.StatusServiceUnavailable || a.hdr.Get("Retry-After") == "" {
		t.Fatalf("second request while the first publishes: %d %v", a.code, a.body)
	}
	close(pub.block)
	if got := <-first; got.code != http.StatusAccepted {
		t.Fatalf("first: %d %v", got.code, got.body)
	}

	down := &fakePub{err: errors.New("leader not available")}
	srv2 := newServer(t, Config{}, down)
	if a := post(t, srv2.URL, "application/json", one); a.code != http.StatusServiceUnavailable || !strings.Contains(fmt.Sprint(a.body["error"]), "leader not available") {
		t.Fatalf("broker down: %d %v", a.code, a.body)
	}

	slow := &fakePub{block: make(chan struct{})}
	defer close(slow.block)
	srv3 := newServer(t, Config{PublishTimeout: 100 * time.Millisecond}, slow)
	if a := post(t, srv3.URL, "application/json", one); a.code != http.StatusServiceUnavailable {
		t.Fatalf("no ack in time: %d %v", a.code, a.body)
	}
}

func TestBearerToken(t *testing.T) {
	pub := &fakePub{}
	srv := newServer(t, Config{Token: "s3cret-token-0123456789"}, pub)
	for _, h := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", "s3cret-token-0123456789"}} {
		if a := post(t, srv.URL, "application/json", one, h...); a.code != http.StatusUnauthorized || a.hdr.Get("WWW-Authenticate") == "" {
			t.Fatalf("%v: %d", h, a.code)
		}
	}
	if a := post(t, srv.URL, "application/json", one, "Authorization", "Bearer s3cret-token-0123456789"); a.code != http.StatusAccepted {
		t.Fatalf("good token: %d %v", a.code, a.body)
	}
	if _, err := New(Config{Token: "short"}, pub, nil, zerolog.Nop()); err == nil {
		t.Fatal("accepted a short token")
	}
}

func TestMethodAndProbes(t *testing.T) {
	s, _ := New(Config{}, &fakePub{}, func(context.Context) error { return errors.New("no broker") }, zerolog.Nop())
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	for path, want := range map[string]int{"/v1/articles": 405, "/healthz": 200, "/readyz": 503} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}
