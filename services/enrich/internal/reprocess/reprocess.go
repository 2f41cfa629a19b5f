// Package reprocess re-enriches a bounded range of the raw topic side by side
// with live enrichment: under its own consumer group and enrichment version,
// from a time or the beginning, until a time or the end offsets captured at
// start, optionally rate-limited so live traffic keeps its share of the
// machine. Sinks keep the newest version of each article, so the result
// replaces the old tags without duplicating rows. Progress is committed to the
// group as it goes, so an interrupted run resumes where it stopped.
package reprocess

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/rs/zerolog"
	kafkago "github.com/segmentio/kafka-go"
	"golang.org/x/time/rate"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/deadletter"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// Enricher tags raw articles.
type Enricher interface {
	Enrich(a *article.Raw) (*article.Enriched, error)
}

// Config bounds and paces a reprocessing run.
type Config struct {
	Topic    string    // raw topic
	OutTopic string    // enriched topic
	Group    string    // the run's consumer group; progress is committed there
	From     time.Time // zero: the beginning of the topic
	Until    time.Time // zero: the end offsets captured at start
	Rate     float64   // articles per second, 0 for no limit
	Workers  int       // partitions processed at once
	Batch    int       // articles published and committed together
	Every    time.Duration
}

// Partition is the progress of one partition.
type Partition struct {
	ID                int
	Start, Stop       int64
	Done              atomic.Int64
	Published, Failed atomic.Int64
	Skipped           atomic.Int64 // invalid raw input, dead-lettered when first consumed
}

// Summary is the outcome of a run.
type Summary struct {
	Partitions []*Partition
	Took       time.Duration
}

// Totals adds up the partitions.
func (s Summary) Totals() (total, done, published, failed, skipped int64) {
	for _, p := range s.Partitions {
		total += p.Stop - p.Start
		done += p.Done.Load()
		published += p.Published.Load()
		failed += p.Failed.Load()
		skipped += p.Skipped.Load()
	}
	return
}

// Run reprocesses the range and returns when every partition reached its
// stop offset or ctx ended.
func Run(ctx context.Context, admin *kafka.Admin, pub *kafka.Publisher, e Enricher, cfg Config, progress io.Writer, log zerolog.Logger) (Summary, error) {
	start := time.Now()
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 200
	}
	parts, err := plan(ctx, admin, cfg)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Partitions: parts}
	var limiter *rate.Limiter
	if cfg.Rate > 0 {
		limiter = rate.NewLimiter(rate.Limit(cfg.Rate), max(1, int(cfg.Rate/10)))
	}
	total, done, _, _, _ := sum.Totals()
	log.Info().Str("group", cfg.Group).Int64("articles", total).Int64("already_done", done).Msg("reprocessing")

	stopProgress := make(chan struct{})
	var pw sync.WaitGroup
	if progress != nil && cfg.Every > 0 {
		pw.Add(1)
		go func() {
			defer pw.Done()
			t := time.NewTicker(cfg.Every)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					line(progress, sum, time.Since(start))
				case <-stopProgress:
					return
				}
			}
		}()
	}

	sem := make(chan struct{}, cfg.Workers)
	var wg sync.WaitGroup
	errs := make([]error, len(parts))
	for i, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			errs[i] = runPartition(ctx, admin, pub, e, cfg, p, limiter)
		}()
	}
	wg.Wait()
	close(stopProgress)
	pw.Wait()
	sum.Took = time.Since(start)
	return sum, errors.Join(errs...)
}

// plan captures the stop offsets and finds where each partition starts: the
// group's committed offset when resuming, else the from offsets.
func plan(ctx context.Context, admin *kafka.Admin, cfg Config) ([]*Partition, error) {
	ends, err := admin.TopicOffsets(ctx, cfg.Topic)
	if err != nil {
		return nil, err
	}
	stops := map[int]int64{}
	for p, o := range ends {
		stops[p] = o.End
	}
	if !cfg.Until.IsZero() {
		if stops, err = admin.OffsetsForTime(ctx, cfg.Topic, cfg.Until); err != nil {
			return nil, err
		}
	}
	starts := map[int]int64{}
	for p, o := range ends {
		starts[p] = o.First
	}
	if !cfg.From.IsZero() {
		if starts, err = admin.OffsetsForTime(ctx, cfg.Topic, cfg.From); err != nil {
			return nil, err
		}
	}
	commits, err := admin.Commits(ctx, cfg.Group, cfg.Topic)
	if err != nil {
		return nil, err
	}
	var parts []*Partition
	for p := range ends {
		pp := &Partition{ID: p, Start: starts[p], Stop: stops[p]}
		if c, ok := commits[p]; ok {
			// Resuming: the range is the one the first run captured.
			if r, ok := parseRange(c.Metadata); ok {
				pp.Start, pp.Stop = r[0], r[1]
			}
			if c.Offset > pp.Start {
				pp.Done.Store(min(c.Offset, pp.Stop) - pp.Start)
			}
		}
		if pp.Stop < pp.Start {
			pp.Stop = pp.Start
		}
		parts = append(parts, pp)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].ID < parts[j].ID })
	return parts, nil
}

func runPartition(ctx context.Context, admin *kafka.Admin, pub *kafka.Publisher, e Enricher, cfg Config, p *Partition, limiter *rate.Limiter) error {
	from := p.Start + p.Done.Load()
	var batch []*message.Message
	var dlq []*message.Message
	next := from
	flush := func() error {
		if len(batch) > 0 {
			if err := pub.Publish(cfg.OutTopic, batch...); err != nil {
				return err
			}
			p.Published.Add(int64(len(batch)))
		}
		if len(dlq) > 0 {
			if err := pub.Publish(article.DLQTopic(cfg.Topic), dlq...); err != nil {
				return err
			}
		}
		batch, dlq = batch[:0], dlq[:0]
		// Commit only what is published: a crash resumes here. The range
		// rides along, so the rerun stops where the first run would have.
		return admin.Commit(ctx, cfg.Group, cfg.Topic, map[int]kafka.Commit{p.ID: {Offset: next, Metadata: formatRange(p.Start, p.Stop)}})
	}
	err := admin.ReadRange(ctx, cfg.Topic, p.ID, from, p.Stop, func(m kafkago.Message) error {
		if limiter != nil {
			if err := limiter.Wait(ctx); err != nil {
				return err
			}
		}
		raw, err := article.DecodeRaw(m.Value)
		switch {
		case err != nil:
			// The live stage dead-lettered it when it first came in.
			p.Skipped.Add(1)
		default:
			enriched, err := e.Enrich(&raw)
			var data []byte
			if err == nil {
				data, err = article.Encode(enriched)
			}
			if err != nil {
				// A failure of the new enricher is new: dead-letter it.
				p.Failed.Add(1)
				orig, _ := kafka.DefaultMarshaler{}.Unmarshal(m)
				_, d := deadletter.Build(orig, kafka.Position{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: m.Key},
					&deadletter.PermanentError{Reason: "tagger_failed", Err: err}, "reprocess")
				dlq = append(dlq, d)
				break
			}
			out := message.NewMessage(watermill.NewUUID(), data)
			out.Metadata = enriched.Headers()
			out.Metadata.Set(article.HeaderEnrichmentVersion, enriched.Enrichment.Version)
			batch = append(batch, out)
		}
		next = m.Offset + 1
		p.Done.Store(next - p.Start)
		if len(batch)+len(dlq) >= cfg.Batch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("partition %d: %w", p.ID, err)
	}
	if err := flush(); err != nil {
		return fmt.Errorf("partition %d: %w", p.ID, err)
	}
	p.Done.Store(p.Stop - p.Start)
	return nil
}

// The commit metadata of a reprocess group records its range.
const rangePrefix = "newsflow-reprocess range="

func formatRange(start, stop int64) string { return fmt.Sprintf("%s%d-%d", rangePrefix, start, stop) }

func parseRange(meta string) ([2]int64, bool) {
	var r [2]int64
	if _, err := fmt.Sscanf(meta, rangePrefix+"%d-%d", &r[0], &r[1]); err != nil || r[1] < r[0] {
		return r, false
	}
	return r, true
}

func line(w io.Writer, s Summary, took time.Duration) {
	total, done, published, failed, skipped := s.Totals()
	pct := 100.0
	if total > 0 {
		pct = 100 * float64(done) / float64(total)
	}
	fmt.Fprintf(w, "reprocess %5.1f%%  %d/%d articles  %.0f/s  published %d  dead-lettered %d  skipped %d\n",
		pct, done, total, float64(done)/took.Seconds(), published, failed, skipped)
}

// Report writes the per-partition table and the totals.
func (s Summary) Report(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PARTITION\tSTART\tSTOP\tDONE\tPUBLISHED\tDEAD-LETTERED\tSKIPPED\t")
	for _, p := range s.Partitions {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", p.ID, p.Start, p.Stop, p.Done.Load(), p.Published.Load(), p.Failed.Load(), p.Skipped.Load())
	}
	_ = tw.Flush()
	total, done, published, failed, skipped := s.Totals()
	fmt.Fprintf(w, "reprocessed %d of %d articles in %s (%.0f/s): %d published, %d dead-lettered, %d invalid skipped (dead-lettered when first consumed)\n",
		done, total, s.Took.Round(time.Millisecond), float64(done)/max(s.Took.Seconds(), 1e-9), published, failed, skipped)
}
