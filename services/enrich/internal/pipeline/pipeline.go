// Package pipeline runs the taggers over an article. It owns the Tagger
// interface; each tagger lives in its own package and is a pure function of
// the article and the tags computed before it.
package pipeline

import (
	"fmt"
	"time"

	"github.com/newsflow/newsflow/pkg/article"
)

// Version is the enrichment version stamped on every enriched article. Bump
// it whenever any tagger's output can change: sinks keep the newest version.
const Version = "1.13.0"

// Tagger adds one kind of tag. Tag reads the raw article and the tags set by
// earlier taggers (language runs first) and sets its own field of e.
type Tagger interface {
	Name() string
	Tag(a *article.Raw, e *article.Enrichment) error
}

// Pipeline runs taggers in order.
type Pipeline struct {
	taggers []Tagger
	version string
	now     func() time.Time
	observe func(tagger string, d time.Duration)
}

// Option configures a Pipeline.
type Option func(*Pipeline)

// WithVersion overrides the enrichment version, for reprocessing side by
// side under a new version.
func WithVersion(v string) Option { return func(p *Pipeline) { p.version = v } }

// WithClock sets the clock that stamps enriched_at.
func WithClock(now func() time.Time) Option { return func(p *Pipeline) { p.now = now } }

// WithObserver is called with each tagger's latency.
func WithObserver(f func(tagger string, d time.Duration)) Option {
	return func(p *Pipeline) { p.observe = f }
}

// New builds a pipeline of taggers run in the given order.
func New(taggers []Tagger, opts ...Option) (*Pipeline, error) {
	p := &Pipeline{taggers: taggers, version: Version, now: time.Now}
	for _, o := range opts {
		o(p)
	}
	if _, err := article.ParseVersion(p.version); err != nil {
		return nil, fmt.Errorf("enrichment version: %w", err)
	}
	return p, nil
}

// Load loads now the models of every tagger that can load them ahead of
// use (it has a Load method), rather than on the first article that needs
// them.
func (p *Pipeline) Load() error {
	for _, t := range p.taggers {
		if l, ok := t.(interface{ Load() error }); ok {
			if err := l.Load(); err != nil {
				return fmt.Errorf("loading %s: %w", t.Name(), err)
			}
		}
	}
	return nil
}

// Version is the enrichment version this pipeline stamps.
func (p *Pipeline) Version() string { return p.version }

// Enrich tags a raw article.
func (p *Pipeline) Enrich(a *article.Raw) (*article.Enriched, error) {
	out := &article.Enriched{Raw: *a, Enrichment: article.Enrichment{
		Version:    p.version,
		EnrichedAt: p.now().UTC().Truncate(time.Millisecond),
	}}
	for _, t := range p.taggers {
		start := time.Now()
		if err := t.Tag(&out.Raw, &out.Enrichment); err != nil {
			return nil, fmt.Errorf("tagger %s: %w", t.Name(), err)
		}
		if p.observe != nil {
			p.observe(t.Name(), time.Since(start))
		}
	}
	return out, nil
}
