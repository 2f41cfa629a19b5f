// Package server is ingest's HTTP endpoint: POST /v1/articles takes one
// raw article or a batch as NDJSON, validates every item against the raw
// schema and answers 202 only once Kafka acknowledged the write.
package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/services/ingest/internal/files"
)

// Publisher publishes articles and returns once Kafka acknowledged them.
type Publisher interface {
	Publish(ctx context.Context, arts []*article.Raw) error
}

// Config configures the endpoint.
type Config struct {
	Addr string
	// Token, when set, is the bearer token every request must carry.
	Token string
	// MaxBody caps a request body; a bigger one is answered 413.
	MaxBody int64
	// MaxItems caps the articles in one request; more is answered 413.
	MaxItems int
	// MaxInFlight is how many requests may publish at once; a request that
	// cannot get a slot within QueueWait is answered 503.
	MaxInFlight int
	QueueWait   time.Duration
	// PublishTimeout bounds the wait for Kafka's acknowledgement; past it
	// the answer is 503 (the write may still land: retrying is safe, sinks
	// upsert by article id).
	PublishTimeout time.Duration
	// SourceName names the source of articles that do not give one.
	SourceName string
}

func (c *Config) setDefaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.MaxBody == 0 {
		c.MaxBody = 16 << 20
	}
	if c.MaxItems == 0 {
		c.MaxItems = 5000
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 8
	}
	if c.QueueWait == 0 {
		c.QueueWait = 250 * time.Millisecond
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = 30 * time.Second
	}
	if c.SourceName == "" {
		c.SourceName = "api"
	}
}

// Validate reports every mistake in the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.MaxBody < 1 || c.MaxItems < 1 || c.MaxInFlight < 1 {
		errs = append(errs, errors.New("max body, max items and max in-flight must be at least 1"))
	}
	if c.Token != "" && len(c.Token) < 16 {
		errs = append(errs, errors.New("bearer token must be at least 16 characters"))
	}
	return errors.Join(errs...)
}

// Server is the HTTP endpoint.
type Server struct {
	cfg   Config
	pub   Publisher
	ready func(context.Context) error
	log   zerolog.Logger
	slots chan struct{}
	now   func() time.Time

	mu      sync.Mutex
	readyAt time.Time
	readyOK error
}

// New builds the endpoint. ready, when not nil, tells /readyz whether the
// broker is reachable.
func New(cfg Config, pub Publisher, ready func(context.Context) error, log zerolog.Logger) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("server config: %w", err)
	}
	return &Server{cfg: cfg, pub: pub, ready: ready, log: log, slots: make(chan struct{}, cfg.MaxInFlight),
		now: func() time.Time { return time.Now().UTC() }}, nil
}

// Handler routes the endpoint's paths.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/articles", s.auth(http.HandlerFunc(s.articles)))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("/readyz", s.readyz)
	return mux
}

// Run serves until ctx ends, then lets requests in flight finish (their
// publishes are acknowledged or fail) for up to grace.
func (s *Server) Run(ctx context.Context, ln net.Listener, grace time.Duration) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting the HTTP server down: %w", err)
	}
	return nil
}

func (s *Server) auth(next http.Handler) http.Handler {
	if s.cfg.Token == "" {
		return next
	}
	want := []byte("Bearer " + s.cfg.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="newsflow-ingest"`)
			writeJSON(w, http.StatusUnauthorized, errorBody{Error: "a valid bearer token is required"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

type errorBody struct {
	Error string      `json:"error"`
	Items []itemError `json:"items,omitempty"`
}

type itemError struct {
	Item   int    `json:"item"` // 1-based: the line of an NDJSON body, the index in an array
	Reason string `json:"reason"`
	Error  string `json:"error"`
}

type accepted struct {
	Accepted int      `json:"accepted"`
	IDs      []string `json:"ids"`
}

func (s *Server) articles(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: "use POST"})
		return
	}
	if r.ContentLength > s.cfg.MaxBody {
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{Error: fmt.Sprintf("body is %d bytes, limit %d", r.ContentLength, s.cfg.MaxBody)})
		return
	}
	kind, err := bodyKind(r.Header.Get("Content-Type"))
	if err != nil {
		writeJSON(w, http.StatusUnsupportedMediaType, errorBody{Error: err.Error()})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{Error: fmt.Sprintf("body is over the limit of %d bytes", s.cfg.MaxBody)})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "reading body: " + err.Error()})
		return
	}
	raws, err := split(kind, body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: err.Error()})
		return
	}
	if len(raws) == 0 {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "no articles in the body"})
		return
	}
	if len(raws) > s.cfg.MaxItems {
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{Error: fmt.Sprintf("%d articles, limit %d per request", len(raws), s.cfg.MaxItems)})
		return
	}

	// Every item is checked; one bad item refuses the request, so a client
	// fixes and resends the batch rather than guessing what went through.
	now := s.now()
	arts := make([]*article.Raw, 0, len(raws))
	var bad []itemError
	for _, it := range raws {
		if it.err != nil {
			bad = append(bad, itemError{Item: it.n, Reason: article.Reason(it.err), Error: it.err.Error()})
			continue
		}
		src := article.Source{Type: "http", Name: s.cfg.SourceName, URI: "http:/v1/articles"}
		item := files.FromLine(it.raw, src, now, fmt.Sprintf("item %d", it.n))
		if item.Err != nil {
			bad = append(bad, itemError{Item: it.n, Reason: article.Reason(item.Err), Error: item.Err.Error()})
			continue
		}
		arts = append(arts, item.Article)
	}
	if len(bad) > 0 {
		s.log.Info().Int("items", len(raws)).Int("refused", len(bad)).Str("first_reason", bad[0].Reason).Msg("request refused")
		writeJSON(w, http.StatusBadRequest, errorBody{Error: fmt.Sprintf("%d of %d articles refused; none published", len(bad), len(raws)), Items: bad})
		return
	}

	// Backpressure: a bounded number of requests publish at once.
	wait := time.NewTimer(s.cfg.QueueWait)
	defer wait.Stop()
	select {
	case s.slots <- struct{}{}:
	case <-wait.C:
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "too many requests publishing; retry shortly"})
		return
	case <-r.Context().Done():
		return
	}
	done := make(chan error, 1)
	go func() {
		// The slot is held until Kafka answers, even if the client is
		// gone: that is the load the broker actually carries.
		defer func() { <-s.slots }()
		done <- s.pub.Publish(context.WithoutCancel(r.Context()), arts)
	}()
	timeout := time.NewTimer(s.cfg.PublishTimeout)
	defer timeout.Stop()
	select {
	case err = <-done:
	case <-timeout.C:
		err = fmt.Errorf("no acknowledgement from Kafka within %s", s.cfg.PublishTimeout)
	}
	if err != nil {
		s.log.Warn().Err(err).Int("articles", len(arts)).Msg("publishing pushed articles failed")
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "publishing to Kafka failed: " + err.Error()})
		return
	}
	ids := make([]string, len(arts))
	for i, a := range arts {
		ids[i] = a.ID
	}
	writeJSON(w, http.StatusAccepted, accepted{Accepted: len(arts), IDs: ids})
}

type rawItem struct {
	n   int
	raw []byte
	err error
}

const (
	kindAuto = iota
	kindJSON
	kindNDJSON
)

func bodyKind(contentType string) (int, error) {
	if contentType == "" {
		return kindAuto, nil
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return 0, fmt.Errorf("content type %q: %w", contentType, err)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return 0, fmt.Errorf("charset %q: send UTF-8", cs)
	}
	switch mt {
	case "application/json":
		return kindJSON, nil
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines":
		return kindNDJSON, nil
	}
	return 0, fmt.Errorf("content type %q: want application/json (one article or an array) or application/x-ndjson", mt)
}

// split cuts a body into items: the lines of NDJSON, or the one object or
// the array elements of JSON. Without a content type, a body that is one
// JSON value is read as JSON, anything else as NDJSON.
func split(kind int, body []byte) ([]rawItem, error) {
	trimmed := bytes.TrimSpace(body)
	if kind == kindAuto {
		kind = kindNDJSON
		if json.Valid(trimmed) {
			kind = kindJSON
		}
	}
	if kind == kindJSON {
		if len(trimmed) > 0 && trimmed[0] == '[' {
			var elems []json.RawMessage
			if err := json.Unmarshal(trimmed, &elems); err != nil {
				return nil, fmt.Errorf("body is not a JSON array of articles: %w", err)
			}
			out := make([]rawItem, len(elems))
			for i, e := range elems {
				out[i] = rawItem{n: i + 1, raw: e}
			}
			return out, nil
		}
		return []rawItem{{n: 1, raw: trimmed}}, nil
	}
	var out []rawItem
	r := bufio.NewReader(bytes.NewReader(body))
	for n := 1; ; n++ {
		line, err := files.ReadLine(r, article.MaxMessageBytes)
		if errors.Is(err, article.ErrTooLarge) {
			out = append(out, rawItem{n: n, err: &article.DecodeError{Err: err}})
			continue
		}
		if len(line) == 0 && errors.Is(err, io.EOF) {
			return out, nil
		}
		if !files.Blank(line) {
			out = append(out, rawItem{n: n, raw: line})
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err // a bytes.Reader fails with nothing but io.EOF
		}
	}
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.ready == nil {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
		return
	}
	// Cache the answer briefly: probes should not hammer the broker.
	s.mu.Lock()
	if time.Since(s.readyAt) > 2*time.Second {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		s.readyOK = s.ready(ctx)
		cancel()
		s.readyAt = time.Now()
	}
	err := s.readyOK
	s.mu.Unlock()
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "broker not reachable: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
