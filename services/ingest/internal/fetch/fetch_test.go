package fetch

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// loopbackOnly is the guard on, with only 127.0.0.1 let through so the
// tests can reach their httptest servers.
func loopbackOnly(t *testing.T, cfg Config) *Client {
	t.Helper()
	cfg.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestGuardRefusesInternalAddresses(t *testing.T) {
	hits := atomic.Int32{}
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, "secret")
	}))
	defer target.Close()
	_, port, _ := strings.Cut(strings.TrimPrefix(target.URL, "http://"), ":")

	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	}))
	defer redirector.Close()

	guarded, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer guarded.Close()
	allowLocal := loopbackOnly(t, Config{})

	tests := []struct {
		name   string
		client *Client
		url    string
		want   error
	}{
		// The name resolves to 127.0.0.1/::1: refused after resolution.
		{"loopback by name", guarded, "http://localhost:" + port + "/", ErrBlocked},
		{"loopback literal", guarded, target.URL, ErrBlocked},
		{"redirect to ipv6 loopback", allowLocal, redirector.URL + "/?to=http://[::1]:" + port + "/", ErrBlocked},
		{"redirect to private", allowLocal, redirector.URL + "/?to=http://10.0.0.7/admin", ErrBlocked},
		{"redirect to metadata", allowLocal, redirector.URL + "/?to=http://169.254.169.254/latest/meta-data/", ErrBlocked},
		{"redirect to mapped v4", allowLocal, redirector.URL + "/?to=http://[::ffff:192.168.1.1]/", ErrBlocked},
		{"redirect to file", allowLocal, redirector.URL + "/?to=file:///etc/passwd", ErrScheme},
		{"ftp", allowLocal, "ftp://example.org/feed", ErrScheme},
		{"javascript", allowLocal, "javascript:alert(1)", ErrScheme},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.client.Get(t.Context(), Request{URL: tt.url})
			if !errors.Is(err, tt.want) {
				t.Fatalf("Get(%s) = %v, want %v", tt.url, err, tt.want)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the internal server was reached %d times", n)
	}

	// Switched off for local testing, the same URL is fetched.
	open, err := New(Config{AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := open.Get(t.Context(), Request{URL: target.URL})
	if err != nil || string(resp.Body) != "secret" {
		t.Fatalf("with the guard off: %v %+v", err, resp)
	}
}

func TestBlockedReason(t *testing.T) {
	for _, s := range []string{"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.169.254", "::1", "fe80::1",
		"fd00:ec2::254", "0.0.0.0", "100.100.100.200", "224.0.0.1", "255.255.255.255", "::ffff:127.0.0.1", "64:ff9b::a00:1", "::"} {
		if blockedReason(netip.MustParseAddr(s).Unmap()) == "" {
			t.Errorf("%s is let through", s)
		}
	}
	for _, s := range []string{"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"} {
		if why := blockedReason(netip.MustParseAddr(s)); why != "" {
			t.Errorf("%s refused as %s", s, why)
		}
	}
}

func TestConditionalGet(t *testing.T) {
	var full, notModified atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != "test-agent/1" {
			t.Errorf("user agent %q", r.Header.Get("User-Agent"))
		}
		if r.Header.Get("If-None-Match") == `"v1"` || r.Header.Get("If-Modified-Since") == "Mon, 14 Sep 2020 15:00:00 GMT" {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Mon, 14 Sep 2020 15:00:00 GMT")
		fmt.Fprint(w, "<rss/>")
	}))
	defer srv.Close()
	c := loopbackOnly(t, Config{UserAgent: "test-agent/1"})
	first, err := c.Get(t.Context(), Request{URL: srv.URL})
	if err != nil || first.Status != 200 || first.ETag != `"v1"` {
		t.Fatalf("first: %+v %v", first, err)
	}
	second, err := c.Get(t.Context(), Request{URL: srv.URL, ETag: first.ETag})
	if err != nil || second.Status != http.StatusNotModified || second.Body != nil {
		t.Fatalf("second: %+v %v", second, err)
	}
	third, err := c.Get(t.Context(), Request{URL: srv.URL, LastModified: first.LastModified})
	if err != nil || third.Status != http.StatusNotModified {
		t.Fatalf("third: %+v %v", third, err)
	}
	if full.Load() != 1 || notModified.Load() != 2 {
		t.Fatalf("full %d, not modified %d", full.Load(), notModified.Load())
	}
}

func TestSizeCap(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 2<<20)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(bytes.Repeat([]byte("A"), 64<<20)) // a gzip bomb: 64 MiB in ~64 KiB
	_ = zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/announced":
			_, _ = w.Write(big)
		case "/chunked":
			w.Header().Set("Transfer-Encoding", "chunked")
			for i := 0; i < 64; i++ {
				_, _ = w.Write(big[:64<<10])
				w.(http.Flusher).Flush()
			}
		case "/gzip":
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(gz.Bytes())
		case "/small":
			_, _ = w.Write(big[:1000])
		}
	}))
	defer srv.Close()
	c := loopbackOnly(t, Config{MaxBytes: 1 << 20})
	for _, path := range []string{"/announced", "/chunked", "/gzip"} {
		if _, err := c.Get(t.Context(), Request{URL: srv.URL + path}); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v, want ErrTooLarge", path, err)
		}
	}
	resp, err := c.Get(t.Context(), Request{URL: srv.URL + "/small"})
	if err != nil || len(resp.Body) != 1000 {
		t.Fatalf("small: %v", err)
	}
}

func TestStatusAndRetryAfter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/429":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/503":
			w.Header().Set("Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/404":
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := loopbackOnly(t, Config{})
	tests := []struct {
		path      string
		code      int
		temporary bool
		min, max  time.Duration
	}{
		{"/429", 429, true, 120 * time.Second, 120 * time.Second},
		{"/503", 503, true, 59 * time.Minute, time.Hour},
		{"/404", 404, false, 0, 0},
	}
	for _, tt := range tests {
		_, err := c.Get(t.Context(), Request{URL: srv.URL + tt.path})
		var se *StatusError
		if !errors.As(err, &se) {
			t.Fatalf("%s: %v", tt.path, err)
		}
		if se.Code != tt.code || se.Temporary() != tt.temporary || se.RetryAfter < tt.min || se.RetryAfter > tt.max {
			t.Errorf("%s: %+v", tt.path, se)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2020, 9, 14, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"0", 0}, {"-5", 0}, {"30", 30 * time.Second}, {"soon", 0},
		{"Mon, 14 Sep 2020 15:02:00 GMT", 2 * time.Minute},
		{"Mon, 14 Sep 2020 14:00:00 GMT", 0},
		{"99999999999", MaxRetryAfter},
	}
	for _, tt := range tests {
		if got := RetryAfter(tt.in, now); got != tt.want {
			t.Errorf("RetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestPerHostLimit(t *testing.T) {
	var cur, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		cur.Add(-1)
	}))
	defer srv.Close()
	c := loopbackOnly(t, Config{PerHost: 2})
	done := make(chan error)
	for i := 0; i < 10; i++ {
		go func() {
			_, err := c.Get(t.Context(), Request{URL: srv.URL})
			done <- err
		}()
	}
	for i := 0; i < 10; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if p := peak.Load(); p != 2 {
		t.Fatalf("peak concurrency on the host was %d, want 2", p)
	}
}

func TestTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer srv.Close()
	c := loopbackOnly(t, Config{Timeout: 200 * time.Millisecond})
	start := time.Now()
	_, err := c.Get(t.Context(), Request{URL: srv.URL})
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("slow server: %v after %s", err, time.Since(start))
	}
}
