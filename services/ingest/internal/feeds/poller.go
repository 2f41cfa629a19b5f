// Package feeds follows RSS, Atom and JSON feeds: each feed polled on its
// own interval with jitter, conditional GET, back-off that honours
// Retry-After, dedup through the persistent seen-set, optional full text,
// and a failing feed reported and retried without stopping the others.
package feeds

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/services/ingest/internal/fetch"
	"github.com/newsflow/newsflow/services/ingest/internal/state"
)

// Publisher publishes articles and returns once Kafka acknowledged them.
type Publisher interface {
	Publish(ctx context.Context, arts []*article.Raw) error
}

// Config configures a Poller.
type Config struct {
	Feeds []Feed
	// Interval is the poll interval of feeds that do not set their own.
	Interval time.Duration
	// Jitter spreads each wait by up to this fraction either way, so feeds
	// started together do not stay in step.
	Jitter float64
	// MaxBackoff caps the wait after repeated failures (Retry-After can ask
	// for more, up to fetch.MaxRetryAfter).
	MaxBackoff time.Duration
	// Workers is how many feeds are polled at once.
	Workers int
	// StartSpread spreads the first polls over this long; 0 means the
	// shorter of the interval and a minute.
	StartSpread time.Duration
	// FullText fetches full text for every feed, not only those that ask.
	FullText bool
}

func (c *Config) setDefaults() {
	if c.Interval == 0 {
		c.Interval = 10 * time.Minute
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 6 * time.Hour
	}
	if c.Workers == 0 {
		c.Workers = 32
	}
	if c.StartSpread == 0 {
		c.StartSpread = min(c.Interval, time.Minute)
	}
}

// Validate reports every mistake in the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Interval < MinInterval {
		errs = append(errs, fmt.Errorf("interval %s is under %s", c.Interval, MinInterval))
	}
	if c.Jitter < 0 || c.Jitter >= 1 {
		errs = append(errs, fmt.Errorf("jitter %g: want a fraction in [0, 1)", c.Jitter))
	}
	if c.Workers < 1 {
		errs = append(errs, errors.New("workers must be at least 1"))
	}
	if c.MaxBackoff < c.Interval {
		errs = append(errs, fmt.Errorf("max backoff %s is under the interval %s", c.MaxBackoff, c.Interval))
	}
	if len(c.Feeds) == 0 {
		errs = append(errs, errors.New("no feeds to follow"))
	}
	return errors.Join(errs...)
}

// Poller follows the feeds.
type Poller struct {
	cfg    Config
	client *fetch.Client
	store  *state.Store
	pub    Publisher
	log    zerolog.Logger
	sem    chan struct{}
	feeds  []*follow
	stats  stats

	// claimed holds the ids a poll is checking and publishing right now:
	// another feed carrying the same article skips it meanwhile, so two
	// feeds polled at once cannot both find it unseen and both publish it.
	claimMu sync.Mutex
	claimed map[string]bool
}

// follow is one feed and what the poller knows of it.
type follow struct {
	feed Feed
	mu   sync.Mutex
	st   Status
	val  state.Validators
	// refused holds the ids refused at the last poll, so a refusal is
	// reported when it first appears, not at every poll.
	refused map[string]bool
}

// Status is a feed's state, for the status endpoint and the final report.
type Status struct {
	URL                 string    `json:"url"`
	Name                string    `json:"name"`
	LastPoll            time.Time `json:"last_poll,omitzero"`
	LastSuccess         time.Time `json:"last_success,omitzero"`
	LastResult          string    `json:"last_result,omitempty"` // published, not_modified, unchanged, error
	LastError           string    `json:"last_error,omitempty"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
	NextPoll            time.Time `json:"next_poll,omitzero"`
	Published           int64     `json:"published"`
	Refused             int64     `json:"refused"`
}

type stats struct {
	polls, notModified, failures, published, duplicates, refused, fullText, fullTextFailed, repaired atomic.Int64
}

// Stats are the poller's counters since start.
type Stats struct {
	Polls          int64 `json:"polls"`
	NotModified    int64 `json:"not_modified"`
	Failures       int64 `json:"failures"`
	Published      int64 `json:"published"`
	Duplicates     int64 `json:"duplicates"` // items skipped as already published
	Refused        int64 `json:"refused"`
	FullText       int64 `json:"full_text"`
	FullTextFailed int64 `json:"full_text_failed"`
	Repaired       int64 `json:"repaired_utf8"`
}

// New builds a Poller. Feed validators saved by an earlier run are loaded
// from the store, so the first poll after a restart is conditional.
func New(ctx context.Context, cfg Config, client *fetch.Client, store *state.Store, pub Publisher, log zerolog.Logger) (*Poller, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("feeds config: %w", err)
	}
	vals, err := store.Validators(ctx)
	if err != nil {
		return nil, err
	}
	p := &Poller{cfg: cfg, client: client, store: store, pub: pub, log: log, sem: make(chan struct{}, cfg.Workers), claimed: map[string]bool{}}
	for _, f := range cfg.Feeds {
		if cfg.FullText {
			f.FullText = true
		}
		p.feeds = append(p.feeds, &follow{
			feed: f, val: vals[f.URL], refused: map[string]bool{},
			st: Status{URL: f.URL, Name: f.SourceName()},
		})
	}
	return p, nil
}

// Stats returns the counters.
func (p *Poller) Stats() Stats {
	s := &p.stats
	return Stats{
		Polls: s.polls.Load(), NotModified: s.notModified.Load(), Failures: s.failures.Load(),
		Published: s.published.Load(), Duplicates: s.duplicates.Load(), Refused: s.refused.Load(),
		FullText: s.fullText.Load(), FullTextFailed: s.fullTextFailed.Load(), Repaired: s.repaired.Load(),
	}
}

// Statuses returns every feed's status, failing feeds first.
func (p *Poller) Statuses() []Status {
	out := make([]Status, 0, len(p.feeds))
	for _, f := range p.feeds {
		f.mu.Lock()
		out = append(out, f.st)
		f.mu.Unlock()
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ConsecutiveFailures > out[j].ConsecutiveFailures })
	return out
}

// Run follows every feed until ctx ends. A poll under way when ctx ends
// finishes what it published (marks it seen) before Run returns.
func (p *Poller) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, f := range p.feeds {
		wg.Go(func() { p.follow(ctx, f) })
	}
	wg.Go(func() { p.prune(ctx) })
	wg.Wait()
	return nil
}

// Once polls every feed once, at most Workers at a time, and returns how
// many polls failed.
func (p *Poller) Once(ctx context.Context) int {
	var wg sync.WaitGroup
	var failed atomic.Int32
	for _, f := range p.feeds {
		wg.Go(func() {
			select {
			case p.sem <- struct{}{}:
			case <-ctx.Done():
				failed.Add(1)
				return
			}
			defer func() { <-p.sem }()
			if r := p.Poll(ctx, f.feed); r.Err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	return int(failed.Load())
}

func (p *Poller) follow(ctx context.Context, f *follow) {
	wait := time.Duration(rand.Int64N(int64(p.cfg.StartSpread) + 1))
	for {
		f.mu.Lock()
		f.st.NextPoll = time.Now().Add(wait)
		f.mu.Unlock()
		if !sleep(ctx, wait) {
			return
		}
		select {
		case p.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		r := p.poll(ctx, f)
		<-p.sem
		if ctx.Err() != nil {
			return
		}
		wait = p.next(f, r)
	}
}

// next is how long to wait after a poll: the interval with jitter, or after
// a failure the interval doubled per consecutive failure up to MaxBackoff,
// and never less than the server's Retry-After.
func (p *Poller) next(f *follow, r Result) time.Duration {
	interval := f.feed.Interval
	if interval == 0 {
		interval = p.cfg.Interval
	}
	f.mu.Lock()
	failures := f.st.ConsecutiveFailures
	f.mu.Unlock()
	d := interval
	if r.Err != nil {
		d = p.cfg.MaxBackoff
		if failures-1 < 30 && interval<<(failures-1) < p.cfg.MaxBackoff {
			d = interval << (failures - 1)
		}
	}
	d = jitter(d, p.cfg.Jitter)
	if r.RetryAfter > d {
		d = r.RetryAfter
	}
	if r.Err != nil {
		p.log.Warn().Str("feed", f.feed.URL).Err(r.Err).Int("consecutive_failures", failures).
			Dur("retry_in", d).Msg("feed poll failed; retrying later")
	}
	return d
}

func jitter(d time.Duration, frac float64) time.Duration {
	if frac == 0 {
		return d
	}
	return time.Duration(float64(d) * (1 + frac*(2*rand.Float64()-1)))
}

func (p *Poller) prune(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := p.store.Prune(ctx, time.Now()); err != nil && ctx.Err() == nil {
			p.log.Error().Err(err).Msg("pruning the seen-set")
		} else if n > 0 {
			p.log.Info().Int64("forgotten", n).Msg("pruned ids past the seen TTL")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Result is the outcome of one poll.
type Result struct {
	NotModified bool
	Published   int
	Duplicates  int
	Refused     int
	Err         error
	RetryAfter  time.Duration
}

const accept = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"

// Poll polls one configured feed now, outside the schedule (for tests and
// one-shot runs).
func (p *Poller) Poll(ctx context.Context, feed Feed) Result {
	for _, f := range p.feeds {
		if f.feed.URL == feed.URL {
			return p.poll(ctx, f)
		}
	}
	return Result{Err: fmt.Errorf("feed %s is not configured", feed.URL)}
}

func (p *Poller) poll(ctx context.Context, f *follow) Result {
	start := time.Now()
	p.stats.polls.Add(1)
	r := p.fetchAndPublish(ctx, f)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st.LastPoll = start
	if r.Err != nil {
		p.stats.failures.Add(1)
		f.st.ConsecutiveFailures++
		f.st.LastResult, f.st.LastError = "error", r.Err.Error()
		return r
	}
	f.st.ConsecutiveFailures = 0
	f.st.LastSuccess, f.st.LastError = start, ""
	f.st.Published += int64(r.Published)
	f.st.Refused += int64(r.Refused)
	switch {
	case r.NotModified:
		f.st.LastResult = "not_modified"
	case r.Published > 0:
		f.st.LastResult = "published"
	default:
		f.st.LastResult = "unchanged"
	}
	return r
}

func (p *Poller) fetchAndPublish(ctx context.Context, f *follow) Result {
	feed := f.feed
	f.mu.Lock()
	val := f.val
	f.mu.Unlock()
	resp, err := p.client.Get(ctx, fetch.Request{URL: feed.URL, ETag: val.ETag, LastModified: val.LastModified, Accept: accept})
	if err != nil {
		r := Result{Err: err}
		var se *fetch.StatusError
		if errors.As(err, &se) {
			r.RetryAfter = se.RetryAfter
		}
		return r
	}
	if resp.Status == 304 {
		p.stats.notModified.Add(1)
		p.log.Debug().Str("feed", feed.URL).Msg("feed not modified")
		return Result{NotModified: true}
	}
	now := time.Now().UTC()
	parsed, err := Parse(resp.Body, Origin{FeedURL: feed.URL, BaseURL: resp.URL, Source: feed.SourceName(), FullText: feed.FullText}, now)
	if err != nil {
		return Result{Err: err}
	}
	if parsed.Repaired > 0 {
		p.stats.repaired.Add(int64(parsed.Repaired))
		p.log.Warn().Str("feed", feed.URL).Int("sequences", parsed.Repaired).Msg("feed has invalid UTF-8; replaced by U+FFFD")
	}

	// Dedup: within the document, then against everything published before.
	candidates := make([]*article.Raw, 0, len(parsed.Articles)+len(parsed.NeedText))
	byID := map[string]*article.Raw{}
	for _, a := range append(parsed.Articles, parsed.NeedText...) {
		if _, dup := byID[a.ID]; !dup {
			byID[a.ID] = a
			candidates = append(candidates, a)
		}
	}
	// Claim before asking the seen-set: a claim released by another poll
	// comes after its ids were marked, so they read as seen here.
	ids := p.claim(candidates)
	defer p.release(ids)
	unseen, err := p.store.Unseen(ctx, ids, now)
	if err != nil {
		return Result{Err: err}
	}
	res := Result{Duplicates: len(candidates) - len(unseen)}
	p.stats.duplicates.Add(int64(res.Duplicates))

	refusals := parsed.Refused
	var out []*article.Raw
	for _, id := range unseen {
		a := byID[id]
		if feed.FullText {
			p.fullText(ctx, feed, a)
		}
		if err := a.Validate(); err != nil {
			refusals = append(refusals, Refusal{ID: a.ID, Item: a.URL, Err: err})
			continue
		}
		if _, err := article.Encode(a); err != nil {
			refusals = append(refusals, Refusal{ID: a.ID, Item: a.URL, Err: err})
			continue
		}
		out = append(out, a)
	}
	res.Refused = p.reportRefusals(f, refusals)

	// Publishing and marking seen finish even when shutdown starts meanwhile:
	// an article published but not marked would be published again.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if len(out) > 0 {
		if err := p.pub.Publish(wctx, out); err != nil {
			return Result{Err: fmt.Errorf("publishing %d articles: %w", len(out), err)}
		}
		published := make([]string, len(out))
		for i, a := range out {
			published[i] = a.ID
		}
		if err := p.store.Mark(wctx, published, "feed:"+feed.URL, now); err != nil {
			return Result{Err: err}
		}
		res.Published = len(out)
		p.stats.published.Add(int64(len(out)))
		p.log.Info().Str("feed", feed.URL).Int("published", len(out)).Int("already_seen", res.Duplicates).Msg("feed articles published")
	}
	// Validators are saved only now: if publishing failed, the next poll
	// fetches the document again instead of being told it did not change.
	nv := state.Validators{ETag: resp.ETag, LastModified: resp.LastModified}
	if nv != val {
		if err := p.store.SaveValidators(wctx, feed.URL, nv, now); err != nil {
			return Result{Err: err}
		}
		f.mu.Lock()
		f.val = nv
		f.mu.Unlock()
	}
	return res
}

// claim takes the ids of articles no other poll holds and returns them.
func (p *Poller) claim(arts []*article.Raw) []string {
	p.claimMu.Lock()
	defer p.claimMu.Unlock()
	ids := make([]string, 0, len(arts))
	for _, a := range arts {
		if !p.claimed[a.ID] {
			p.claimed[a.ID] = true
			ids = append(ids, a.ID)
		}
	}
	return ids
}

func (p *Poller) release(ids []string) {
	p.claimMu.Lock()
	defer p.claimMu.Unlock()
	for _, id := range ids {
		delete(p.claimed, id)
	}
}

// fullText fetches an article's page and puts its main text in; on failure
// the feed's summary stays, and the failure is logged and counted.
func (p *Poller) fullText(ctx context.Context, feed Feed, a *article.Raw) {
	if a.URL == "" {
		return
	}
	p.stats.fullText.Add(1)
	resp, err := p.client.Get(ctx, fetch.Request{URL: a.URL, Accept: "text/html, application/xhtml+xml;q=0.9"})
	if err == nil && resp.Status == 304 {
		err = errors.New("unexpected 304 for an unconditional request")
	}
	var page Page
	if err == nil {
		page, err = Extract(resp.Body, resp.URL)
	}
	if err != nil {
		p.stats.fullTextFailed.Add(1)
		p.log.Warn().Str("feed", feed.URL).Str("url", a.URL).Str("article_id", a.ID).Err(err).
			Bool("has_summary", a.Body != "").Msg("full text failed; keeping the feed's text")
		return
	}
	withPage(a, page)
}

// reportRefusals logs and counts the refusals not reported at the previous
// poll and returns how many those are.
func (p *Poller) reportRefusals(f *follow, refusals []Refusal) int {
	fresh := 0
	now := make(map[string]bool, len(refusals))
	for _, r := range refusals {
		now[r.ID] = true
		f.mu.Lock()
		old := f.refused[r.ID]
		f.mu.Unlock()
		if old {
			continue
		}
		fresh++
		p.stats.refused.Add(1)
		p.log.Warn().Str("feed", f.feed.URL).Str("item", r.Item).Str("article_id", r.ID).
			Str("reason", article.Reason(r.Err)).Err(r.Err).Msg("feed item refused")
	}
	f.mu.Lock()
	f.refused = now
	f.mu.Unlock()
	return fresh
}
