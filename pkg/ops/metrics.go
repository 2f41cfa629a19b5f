package ops

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsflow/newsflow/pkg/kafka"
)

// ConsumerMetrics instruments one consuming stage: it is the subscriber's
// kafka.Observer, counts outcomes and dead letters, tracks consumer lag per
// partition from end and committed offsets, and the time lag of the newest
// article processed. It also decides whether the consumer is stuck.
type ConsumerMetrics struct {
	stage, group, topic string

	assigned    *prometheus.GaugeVec
	delivered   *prometheus.CounterVec
	committed   *prometheus.GaugeVec
	fetchErrors *prometheus.CounterVec
	outcomes    *prometheus.CounterVec
	deadLetters *prometheus.CounterVec
	lag         *prometheus.GaugeVec
	stalls      *prometheus.CounterVec

	newestIngest atomic.Int64 // unix nanos of the newest ingested_at processed

	mu       sync.Mutex
	parts    map[int]*partState
	lagErr   error
	lagAt    time.Time
	stuckFor time.Duration
}

type partState struct {
	stalled    bool // the watchdog's replacement reader fetched nothing either
	committed  int64
	movedAt    time.Time
	lag        int64
	assignedAt time.Time
	assigned   bool
}

// NewConsumerMetrics registers a stage's metrics. A partition with lag whose
// committed offset has not moved for stuckAfter counts as stuck.
func NewConsumerMetrics(reg prometheus.Registerer, stage, group, topic string, stuckAfter time.Duration) (*ConsumerMetrics, error) {
	labels := prometheus.Labels{"stage": stage}
	m := &ConsumerMetrics{
		stage: stage, group: group, topic: topic, parts: map[int]*partState{}, stuckFor: stuckAfter,
		assigned: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: "consumer_assigned_partitions",
			Help: "Partitions assigned to this consumer.", ConstLabels: labels}, []string{"group", "topic"}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "consumer_messages_total",
			Help: "Messages fetched and handed to the handler.", ConstLabels: labels}, []string{"topic", "partition"}),
		committed: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: "consumer_committed_offset",
			Help: "Last offset committed by this consumer.", ConstLabels: labels}, []string{"group", "topic", "partition"}),
		fetchErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "consumer_fetch_errors_total",
			Help: "Errors fetching from Kafka.", ConstLabels: labels}, []string{"topic", "partition"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "messages_processed_total",
			Help: "Handler outcomes: ok, dead_lettered, or failed (retried, then redelivered).", ConstLabels: labels}, []string{"outcome"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "dead_letters_total",
			Help: "Messages sent to a dead-letter topic, by reason.", ConstLabels: labels}, []string{"topic", "reason"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: "consumer_lag",
			Help: "Messages between the group's committed offset and the end of the partition.", ConstLabels: labels}, []string{"group", "topic", "partition"}),
		stalls: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "consumer_reader_restarts_total",
			Help: "Partition readers replaced by the watchdog after fetching nothing while messages waited.", ConstLabels: labels}, []string{"topic", "partition"}),
	}
	timeLag := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: "time_lag_seconds",
		Help: "Now minus the ingest time of the newest article processed (0 before the first).", ConstLabels: labels},
		func() float64 {
			n := m.newestIngest.Load()
			if n == 0 {
				return 0
			}
			// An ingest time in the future (a source's clock, a backfill's
			// stamps) is no lag.
			return max(time.Since(time.Unix(0, n)).Seconds(), 0)
		})
	for _, c := range []prometheus.Collector{m.assigned, m.delivered, m.committed, m.fetchErrors, m.outcomes, m.deadLetters, m.lag, m.stalls, timeLag} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering metrics: %w", err)
		}
	}
	for _, o := range []string{"ok", "dead_lettered", "failed"} {
		m.outcomes.WithLabelValues(o)
	}
	return m, nil
}

// Assigned implements kafka.Observer.
func (m *ConsumerMetrics) Assigned(topic string, partitions []int) {
	m.assigned.WithLabelValues(m.group, topic).Set(float64(len(partitions)))
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	for _, p := range partitions {
		st := m.part(p)
		st.assigned, st.assignedAt, st.movedAt = true, now, now
	}
}

// Revoked implements kafka.Observer.
func (m *ConsumerMetrics) Revoked(topic string, partitions []int) {
	m.assigned.WithLabelValues(m.group, topic).Set(0)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range partitions {
		m.part(p).assigned = false
	}
}

// Delivered implements kafka.Observer.
func (m *ConsumerMetrics) Delivered(pos kafka.Position) {
	m.delivered.WithLabelValues(pos.Topic, strconv.Itoa(pos.Partition)).Inc()
}

// Committed implements kafka.Observer.
func (m *ConsumerMetrics) Committed(topic string, partition int, offset int64) {
	m.committed.WithLabelValues(m.group, topic, strconv.Itoa(partition)).Set(float64(offset))
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.part(partition)
	if offset != st.committed {
		st.committed, st.movedAt, st.stalled = offset, time.Now(), false
	}
}

// FetchError implements kafka.Observer.
func (m *ConsumerMetrics) FetchError(topic string, partition int, _ error) {
	m.fetchErrors.WithLabelValues(topic, strconv.Itoa(partition)).Inc()
}

// Stalled implements kafka.Observer.
func (m *ConsumerMetrics) Stalled(topic string, partition int, _ int64, recovered bool) {
	m.stalls.WithLabelValues(topic, strconv.Itoa(partition)).Inc()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.part(partition).stalled = !recovered
}

func (m *ConsumerMetrics) part(p int) *partState {
	st, ok := m.parts[p]
	if !ok {
		st = &partState{committed: -1, movedAt: time.Now()}
		m.parts[p] = st
	}
	return st
}

// Outcome counts a handler outcome.
func (m *ConsumerMetrics) Outcome(outcome string) { m.outcomes.WithLabelValues(outcome).Inc() }

// DeadLettered counts a dead-lettered message.
func (m *ConsumerMetrics) DeadLettered(topic, reason string) {
	m.deadLetters.WithLabelValues(topic, reason).Inc()
}

// Processed records the ingest time of an article that went through.
func (m *ConsumerMetrics) Processed(ingestedAt time.Time) {
	n := ingestedAt.UnixNano()
	for {
		old := m.newestIngest.Load()
		if n <= old || m.newestIngest.CompareAndSwap(old, n) {
			return
		}
	}
}

// PollLag refreshes the lag gauges every interval until ctx ends. Lag is
// computed from end offsets and the group's committed offsets, since
// kafka-go's group reader cannot report it.
func (m *ConsumerMetrics) PollLag(ctx context.Context, admin *kafka.Admin, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		qctx, cancel := context.WithTimeout(ctx, interval)
		lags, err := admin.Lag(qctx, m.group, m.topic)
		cancel()
		m.mu.Lock()
		m.lagErr, m.lagAt = err, time.Now()
		if err == nil {
			for _, l := range lags {
				m.lag.WithLabelValues(m.group, m.topic, strconv.Itoa(l.Partition)).Set(float64(l.Lag))
				st := m.part(l.Partition)
				st.lag = l.Lag
				if l.Committed != st.committed && l.Committed >= 0 {
					st.committed, st.movedAt = l.Committed, time.Now()
				}
			}
		}
		m.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Stuck returns an error naming the assigned partitions that have lag but
// whose committed offset has not moved for the stuck threshold.
func (m *ConsumerMetrics) Stuck() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var stuck []string
	for p, st := range m.parts {
		if st.assigned && st.stalled {
			stuck = append(stuck, fmt.Sprintf("%s/%d (reader replaced and still fetching nothing)", m.topic, p))
			continue
		}
		if st.assigned && st.lag > 0 && time.Since(st.movedAt) > m.stuckFor {
			stuck = append(stuck, fmt.Sprintf("%s/%d (lag %d, no progress for %s)", m.topic, p, st.lag, time.Since(st.movedAt).Round(time.Second)))
		}
	}
	if len(stuck) > 0 {
		return fmt.Errorf("consumer stuck on %v", stuck)
	}
	return nil
}

// TaggerMetrics observes tagger latency.
type TaggerMetrics struct {
	seconds *prometheus.HistogramVec
}

// NewTaggerMetrics registers the tagger latency histogram.
func NewTaggerMetrics(reg prometheus.Registerer) (*TaggerMetrics, error) {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "tagger_seconds",
		Help:    "Time one tagger takes on one article.",
		Buckets: prometheus.ExponentialBuckets(0.00005, 2.5, 16)}, []string{"tagger"})
	if err := reg.Register(h); err != nil {
		return nil, err
	}
	return &TaggerMetrics{seconds: h}, nil
}

// Observe records one tagger run.
func (t *TaggerMetrics) Observe(tagger string, d time.Duration) {
	t.seconds.WithLabelValues(tagger).Observe(d.Seconds())
}

// BatchMetrics observes sink batches.
type BatchMetrics struct {
	size    *prometheus.HistogramVec
	seconds *prometheus.HistogramVec
	errors  *prometheus.CounterVec
	records *prometheus.CounterVec
}

// NewBatchMetrics registers the sink batch metrics.
func NewBatchMetrics(reg prometheus.Registerer) (*BatchMetrics, error) {
	b := &BatchMetrics{
		size: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "sink_batch_records",
			Help: "Records per sink write.", Buckets: prometheus.ExponentialBuckets(1, 2, 14)}, []string{"target"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "sink_batch_seconds",
			Help: "Time one sink write takes.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"target"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "sink_write_errors_total",
			Help: "Sink writes that failed and will be retried."}, []string{"target"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "sink_records_total",
			Help: "Records written, after collapsing duplicates in a batch."}, []string{"target"}),
	}
	for _, c := range []prometheus.Collector{b.size, b.seconds, b.errors, b.records} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Observe records one batch.
func (b *BatchMetrics) Observe(target string, records, written int, d time.Duration, err error) {
	b.size.WithLabelValues(target).Observe(float64(records))
	b.seconds.WithLabelValues(target).Observe(d.Seconds())
	if err != nil {
		b.errors.WithLabelValues(target).Inc()
		return
	}
	b.records.WithLabelValues(target).Add(float64(written))
}
