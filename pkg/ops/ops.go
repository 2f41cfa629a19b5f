// Package ops serves what operators need from every service: Prometheus
// /metrics, /healthz (alive and not stuck) and /readyz (connected to Kafka
// and the store), plus the metrics newsflow's stages share.
package ops

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
)

// Namespace prefixes every newsflow metric.
const Namespace = "newsflow"

// Check is a health or readiness probe; nil means good.
type Check func(ctx context.Context) error

// Config is a service's operations endpoint.
type Config struct {
	Addr string // listen address; empty: off
	// Pprof serves Go's profiles under /debug/pprof/ as well: CPU, heap,
	// goroutines, what an operator asks for when a stage runs slow.
	Pprof bool
}

// RegisterFlags adds the endpoint's flags with a service's default port.
func (c *Config) RegisterFlags(fs *flag.FlagSet, def string) {
	fs.StringVar(&c.Addr, "http-addr", def, "address of /metrics, /healthz and /readyz (empty: off)")
	fs.BoolVar(&c.Pprof, "pprof", false, "also serve Go's profiles under /debug/pprof/ on the http address")
}

// Server is a service's operations endpoint.
type Server struct {
	addr     string
	pprof    bool
	log      zerolog.Logger
	registry *prometheus.Registry

	mu        sync.Mutex
	liveness  map[string]Check
	readiness map[string]Check
	listener  net.Listener
}

// NewServer builds the endpoint; Run serves it.
func NewServer(c Config, log zerolog.Logger) *Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &Server{addr: c.Addr, pprof: c.Pprof, log: log, registry: reg, liveness: map[string]Check{}, readiness: map[string]Check{}}
}

// Addr is the configured listen address; empty when the endpoint is off.
func (s *Server) Addr() string { return s.addr }

// Registry is where the service registers its metrics.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// Live adds a liveness check: /healthz fails when any fails.
func (s *Server) Live(name string, c Check) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.liveness[name] = c
}

// Ready adds a readiness check: /readyz fails when any fails.
func (s *Server) Ready(name string, c Check) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readiness[name] = c
}

// Handler serves the three endpoints, and the profiles when configured.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{Registry: s.registry}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { s.serveChecks(w, r, s.liveness) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { s.serveChecks(w, r, s.readiness) })
	if s.pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

func (s *Server) serveChecks(w http.ResponseWriter, r *http.Request, checks map[string]Check) {
	s.mu.Lock()
	names := make([]string, 0, len(checks))
	for n := range checks {
		names = append(names, n)
	}
	s.mu.Unlock()
	sort.Strings(names)
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	results := map[string]string{}
	ok := true
	for _, n := range names {
		s.mu.Lock()
		c := checks[n]
		s.mu.Unlock()
		if err := c(ctx); err != nil {
			ok = false
			results[n] = err.Error()
		} else {
			results[n] = "ok"
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": ok, "checks": results})
}

// Listen binds the address, so callers learn the port before serving (port 0).
func (s *Server) Listen() (string, error) {
	if s.addr == "" {
		return "", nil
	}
	l, err := net.Listen("tcp", s.addr)
	if err != nil {
		return "", fmt.Errorf("listening on %s for metrics and health: %w", s.addr, err)
	}
	s.listener = l
	return l.Addr().String(), nil
}

// Run serves until ctx ends. With an empty address it only waits.
func (s *Server) Run(ctx context.Context) error {
	if s.addr == "" {
		<-ctx.Done()
		return nil
	}
	if s.listener == nil {
		if _, err := s.Listen(); err != nil {
			return err
		}
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(s.listener) }()
	s.log.Info().Str("addr", s.listener.Addr().String()).Msg("serving /metrics, /healthz, /readyz")
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}
