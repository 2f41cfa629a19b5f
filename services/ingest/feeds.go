package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/logging"
	"github.com/newsflow/newsflow/pkg/ops"
	"github.com/newsflow/newsflow/services/ingest/internal/feeds"
	"github.com/newsflow/newsflow/services/ingest/internal/fetch"
	"github.com/newsflow/newsflow/services/ingest/internal/state"
)

const feedsUsage = `ingest feeds: follow RSS, Atom and JSON feeds and publish their new articles.

Feeds come from -feeds FILE (one per line: URL [interval=DURATION] [fulltext]
[name=NAME], # comments; or an OPML export ending in .opml) and from -feed
flags in the same form. Published article ids are kept in the -state file so
a restart does not publish them again.`

// specsValue collects repeated -feed flags without splitting on commas
// (URLs may hold them).
type specsValue struct{ specs *[]string }

func (v specsValue) String() string {
	if v.specs == nil {
		return ""
	}
	return strings.Join(*v.specs, "; ")
}

func (v specsValue) Set(s string) error {
	*v.specs = append(*v.specs, s)
	return nil
}

func runFeeds(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := newCommon("feeds", feedsUsage, stderr)
	var pcfg feeds.Config
	var fcfg fetch.Config
	var specs, allow []string
	listFile := c.fs.String("feeds", "", "feed list file (line format, or OPML ending in .opml)")
	c.fs.Var(specsValue{&specs}, "feed", "a feed: URL [interval=DURATION] [fulltext] [name=NAME] (repeatable)")
	c.fs.DurationVar(&pcfg.Interval, "interval", 10*time.Minute, "poll interval of feeds that do not set their own")
	c.fs.Float64Var(&pcfg.Jitter, "jitter", 0.1, "spread each wait by up to this fraction either way")
	c.fs.DurationVar(&pcfg.MaxBackoff, "max-backoff", 6*time.Hour, "longest wait after repeated failures (Retry-After may ask for more)")
	c.fs.IntVar(&pcfg.Workers, "workers", 32, "feeds polled at once")
	c.fs.BoolVar(&pcfg.FullText, "full-text", false, "fetch every new article's page for its full text (per feed: the fulltext option)")
	stateFile := c.fs.String("state", "var/ingest/state.db", "SQLite state file: published ids and feed validators")
	ttl := c.fs.Duration("seen-ttl", 30*24*time.Hour, "how long an id stays seen after a feed last carried it")
	once := c.fs.Bool("once", false, "poll every feed once, then exit (non-zero when any poll failed)")
	listen := c.fs.String("listen", "", "address for /healthz, /readyz and /feeds (status as JSON); empty: none")
	c.fs.StringVar(&fcfg.UserAgent, "user-agent", fetch.DefaultUserAgent, "User-Agent sent to the feeds' servers")
	c.fs.DurationVar(&fcfg.Timeout, "fetch-timeout", 30*time.Second, "timeout of one request, body included")
	c.fs.Int64Var(&fcfg.MaxBytes, "fetch-max-bytes", 8<<20, "largest response body (after decompression)")
	c.fs.IntVar(&fcfg.PerHost, "per-host", 2, "requests at once to one host")
	c.fs.BoolVar(&fcfg.AllowPrivate, "allow-private", false, "turn the SSRF guard off: allow loopback, private and link-local addresses (local testing only)")
	config.ListVar(c.fs, &allow, "allow-cidr", "address ranges allowed despite the SSRF guard, comma-separated CIDRs")
	if done, err := c.parse(args, getenv, stdout); done || err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (feeds come from -feeds and -feed)", c.fs.Args())
	}
	for _, a := range allow {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			return fmt.Errorf("allow-cidr %q: %w", a, err)
		}
		fcfg.Allow = append(fcfg.Allow, p)
	}
	var list []feeds.Feed
	if *listFile != "" {
		l, err := feeds.LoadList(*listFile)
		if err != nil {
			return err
		}
		list = l
	}
	var errs []error
	for _, s := range specs {
		f, err := feeds.ParseSpec(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("-feed: %w", err))
			continue
		}
		list = append(list, f)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(list) == 0 {
		c.fs.Usage()
		return errors.New("no feeds: give -feeds FILE or -feed URL")
	}
	log, err := logging.New(stderr, "ingest", c.log)
	if err != nil {
		return err
	}
	list, dups := feeds.Dedupe(list)
	for _, d := range dups {
		log.Warn().Str("feed", d).Msg("feed listed twice; following it once")
	}
	if fcfg.AllowPrivate {
		log.Warn().Msg("SSRF guard off: feeds may reach loopback, private and link-local addresses")
	}
	client, err := fetch.New(fcfg)
	if err != nil {
		return err
	}
	defer client.Close()
	store, err := state.Open(ctx, state.Config{Path: *stateFile, TTL: *ttl})
	if err != nil {
		return err
	}
	defer func() { _ = store.Close() }()
	pub, admin, closePub, err := c.connect(ctx, log)
	if err != nil {
		return err
	}
	defer closePub()
	pcfg.Feeds = list
	poller, err := feeds.New(ctx, pcfg, client, store, pub, log)
	if err != nil {
		return err
	}
	registerFeedMetrics(c.ops.Registry(), poller)

	if *listen != "" {
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: statusHandler(poller, func(ctx context.Context) error {
			_, err := admin.Partitions(ctx, c.topic)
			return err
		}), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer func() { _ = srv.Close() }()
		log.Info().Str("addr", ln.Addr().String()).Msg("feed status on /feeds")
	}

	start := time.Now()
	if *once {
		failed := poller.Once(ctx)
		printFeedReport(stdout, poller, time.Since(start))
		if failed > 0 {
			return fmt.Errorf("%d of %d feeds failed", failed, len(list))
		}
		return nil
	}
	_, _ = fmt.Fprintf(stdout, "ingest following %d feeds (state in %s)\n", len(list), *stateFile)
	log.Info().Int("feeds", len(list)).Dur("interval", pcfg.Interval).Msg("following feeds")
	err = poller.Run(ctx)
	printFeedReport(stdout, poller, time.Since(start))
	return err
}

func printFeedReport(w io.Writer, p *feeds.Poller, took time.Duration) {
	s := p.Stats()
	var b strings.Builder
	fmt.Fprintf(&b, "feeds: %d polls in %s (%d not modified, %d failed): %d articles published, %d already seen, %d refused",
		s.Polls, took.Round(time.Second), s.NotModified, s.Failures, s.Published, s.Duplicates, s.Refused)
	if s.FullText > 0 {
		fmt.Fprintf(&b, ", full text %d (%d failed)", s.FullText, s.FullTextFailed)
	}
	b.WriteString("\n")
	for _, st := range p.Statuses() {
		if st.ConsecutiveFailures == 0 {
			break
		}
		fmt.Fprintf(&b, "  failing: %s (%d in a row): %s\n", st.URL, st.ConsecutiveFailures, st.LastError)
	}
	_, _ = io.WriteString(w, b.String())
}

func statusHandler(p *feeds.Poller, ready func(context.Context) error) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`+"\n")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		if err := ready(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "broker not reachable: " + err.Error()})
			return
		}
		_, _ = io.WriteString(w, `{"status":"ready"}`+"\n")
	})
	mux.HandleFunc("/feeds", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"stats": p.Stats(), "feeds": p.Statuses()})
	})
	return mux
}

// registerFeedMetrics exports the poller's counters: polls by result and
// feed items by outcome.
func registerFeedMetrics(reg prometheus.Registerer, p *feeds.Poller) {
	polls := func(pick func(feeds.Stats) int64) func() float64 {
		return func() float64 { return float64(pick(p.Stats())) }
	}
	for result, f := range map[string]func(feeds.Stats) int64{
		"changed":      func(s feeds.Stats) int64 { return s.Polls - s.NotModified - s.Failures },
		"not_modified": func(s feeds.Stats) int64 { return s.NotModified },
		"failed":       func(s feeds.Stats) int64 { return s.Failures },
	} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: ops.Namespace, Name: "feed_polls_total", Help: "Feed polls by result.",
			ConstLabels: prometheus.Labels{"result": result},
		}, polls(f)))
	}
	for outcome, f := range map[string]func(feeds.Stats) int64{
		"published": func(s feeds.Stats) int64 { return s.Published },
		"duplicate": func(s feeds.Stats) int64 { return s.Duplicates },
		"refused":   func(s feeds.Stats) int64 { return s.Refused },
	} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: ops.Namespace, Name: "feed_items_total", Help: "Feed items by outcome.",
			ConstLabels: prometheus.Labels{"outcome": outcome},
		}, polls(f)))
	}
}
