// Package fetch is ingest's outbound HTTP client: http and https only, an
// SSRF guard checked on the address actually dialled (after DNS resolution,
// on every redirect), timeouts, a size cap on every response body, a limit
// on concurrent requests per host, conditional GET and Retry-After.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultUserAgent names ingest to the sites it polls.
const DefaultUserAgent = "newsflow-ingest/1.0 (+https://github.com/newsflow/newsflow)"

// Errors a Get can end with; check with errors.Is.
var (
	ErrBlocked   = errors.New("address not allowed")
	ErrScheme    = errors.New("only http and https URLs are fetched")
	ErrTooLarge  = errors.New("response body over the size cap")
	ErrRedirects = errors.New("too many redirects")
)

// Config configures a Client.
type Config struct {
	UserAgent string
	// Timeout bounds one request from dial to the last body byte.
	Timeout time.Duration
	// MaxBytes caps a response body after decompression; a bigger one is
	// refused with ErrTooLarge, never truncated.
	MaxBytes     int64
	MaxRedirects int
	// PerHost is how many requests may run at once against one host.
	PerHost int
	// AllowPrivate turns the SSRF guard off, for testing against local
	// servers. Allow lists addresses allowed despite the guard.
	AllowPrivate bool
	Allow        []netip.Prefix
}

func (c *Config) setDefaults() {
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = 8 << 20
	}
	if c.MaxRedirects == 0 {
		c.MaxRedirects = 5
	}
	if c.PerHost == 0 {
		c.PerHost = 2
	}
}

// Validate reports every mistake in the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Timeout < 0 || c.MaxBytes < 0 || c.MaxRedirects < 0 || c.PerHost < 0 {
		errs = append(errs, errors.New("fetch timeout, size cap, redirects and per-host limit must not be negative"))
	}
	if strings.ContainsAny(c.UserAgent, "\r\n") {
		errs = append(errs, errors.New("user agent must be one line"))
	}
	return errors.Join(errs...)
}

// Client fetches URLs safely. It is safe for concurrent use.
type Client struct {
	cfg   Config
	http  *http.Client
	mu    sync.Mutex
	hosts map[string]chan struct{}
}

// New builds a Client.
func New(cfg Config) (*Client, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("fetch config: %w", err)
	}
	c := &Client{cfg: cfg, hosts: map[string]chan struct{}{}}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: c.control}
	tr := &http.Transport{
		// No proxy from the environment: a proxy would dial for us and
		// bypass the address check.
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  cfg.Timeout,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           1024,
		MaxIdleConnsPerHost:    max(cfg.PerHost, 2),
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		ForceAttemptHTTP2:      true,
	}
	c.http = &http.Client{Transport: tr, CheckRedirect: c.checkRedirect}
	return c, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// control runs just before a connection is made, with the address DNS gave:
// the SSRF guard sees what is really dialled, so DNS rebinding cannot
// sneak past a check made earlier on the name.
func (c *Client) control(_, address string, _ syscall.RawConn) error {
	if c.cfg.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot read dialled address %q", ErrBlocked, address)
	}
	if err := c.CheckAddr(ap.Addr()); err != nil {
		return err
	}
	return nil
}

// CheckAddr reports whether the guard refuses an address.
func (c *Client) CheckAddr(a netip.Addr) error {
	a = a.Unmap()
	for _, p := range c.cfg.Allow {
		if p.Contains(a) {
			return nil
		}
	}
	if why := blockedReason(a); why != "" {
		return &BlockedError{Addr: a, Why: why}
	}
	return nil
}

// BlockedError is the guard refusing an address.
type BlockedError struct {
	Addr netip.Addr
	Why  string
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("%s: %s is %s", ErrBlocked, e.Addr, e.Why)
}

func (e *BlockedError) Unwrap() error { return ErrBlocked }

var specialRanges = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a \"this network\" address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("64:ff9b::/96"), "a NAT64 address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a NAT64 address"},
	{netip.MustParsePrefix("2002::/16"), "a 6to4 address"},
	{netip.MustParsePrefix("2001::/32"), "a Teredo address"},
}

// blockedReason says why an address must not be fetched from, or "".
// Cloud metadata services (169.254.169.254, fd00:ec2::254) fall under
// link-local and private.
func blockedReason(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "not an address"
	case a.IsLoopback():
		return "a loopback address"
	case a.IsPrivate():
		return "a private address"
	case a.IsLinkLocalUnicast():
		return "a link-local address (cloud metadata lives here)"
	case a.IsUnspecified():
		return "the unspecified address"
	case a.IsMulticast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast():
		return "a multicast address"
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "the broadcast address"
	}
	for _, r := range specialRanges {
		if r.prefix.Contains(a) {
			return r.why
		}
	}
	return ""
}

func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.cfg.MaxRedirects {
		return fmt.Errorf("%w: more than %d", ErrRedirects, c.cfg.MaxRedirects)
	}
	if err := checkURL(req.URL); err != nil {
		return err
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	return nil
}

func checkURL(u *url.URL) error {
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return fmt.Errorf("%w: %q", ErrScheme, u.Scheme+":")
	}
	if u.Host == "" {
		return fmt.Errorf("%w: no host in %q", ErrScheme, u.Redacted())
	}
	return nil
}

// Request is one GET. ETag and LastModified make it conditional.
type Request struct {
	URL          string
	ETag         string
	LastModified string
	Accept       string
}

// Response is a fetched document. Status 304 comes with no body.
type Response struct {
	Status       int
	URL          string // after redirects
	Body         []byte
	ContentType  string
	ETag         string
	LastModified string
}

// StatusError is an answer other than 2xx or 304. RetryAfter is what the
// server asked for with Retry-After, 0 when it did not say.
type StatusError struct {
	Code       int
	Status     string
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("http %s (retry after %s)", e.Status, e.RetryAfter)
	}
	return "http " + e.Status
}

// Temporary reports whether the server may answer differently later: 429
// and 5xx. Other 4xx answers are still retried, but on the slow schedule.
func (e *StatusError) Temporary() bool {
	return e.Code == http.StatusTooManyRequests || e.Code >= 500
}

// Get fetches a URL, waiting for a slot on its host first.
func (c *Client) Get(ctx context.Context, r Request) (*Response, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrScheme, err)
	}
	if err := checkURL(u); err != nil {
		return nil, err
	}
	release, err := c.acquire(ctx, strings.ToLower(u.Host))
	if err != nil {
		return nil, err
	}
	defer release()

	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if r.Accept != "" {
		req.Header.Set("Accept", r.Accept)
	}
	if r.ETag != "" {
		req.Header.Set("If-None-Match", r.ETag)
	}
	if r.LastModified != "" {
		req.Header.Set("If-Modified-Since", r.LastModified)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := &Response{
		Status:       resp.StatusCode,
		URL:          resp.Request.URL.String(),
		ContentType:  resp.Header.Get("Content-Type"),
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return out, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, &StatusError{Code: resp.StatusCode, Status: resp.Status, RetryAfter: RetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	}
	if resp.ContentLength > c.cfg.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes announced, cap %d", ErrTooLarge, resp.ContentLength, c.cfg.MaxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	if int64(len(body)) > c.cfg.MaxBytes {
		return nil, fmt.Errorf("%w: cap %d bytes", ErrTooLarge, c.cfg.MaxBytes)
	}
	out.Body = body
	return out, nil
}

// acquire waits for a request slot on host.
func (c *Client) acquire(ctx context.Context, host string) (func(), error) {
	c.mu.Lock()
	sem, ok := c.hosts[host]
	if !ok {
		sem = make(chan struct{}, c.cfg.PerHost)
		c.hosts[host] = sem
	}
	c.mu.Unlock()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// MaxRetryAfter caps what a server can ask for with Retry-After.
const MaxRetryAfter = 24 * time.Hour

// RetryAfter reads a Retry-After header: seconds or an HTTP date. It gives
// 0 when the header is missing or unreadable.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		d = time.Duration(min(n, int64(MaxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}
