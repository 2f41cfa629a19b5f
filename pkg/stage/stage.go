// Package stage runs one consuming stage of the pipeline (enrich, or a sink):
// a watermill router over newsflow's Kafka subscriber, with the dead-letter,
// retry and panic-recovery middlewares in the order the delivery rules need,
// and graceful shutdown.
package stage

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/components/metrics"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/deadletter"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/logging"
	"github.com/newsflow/newsflow/pkg/ops"
)

// Config configures a stage.
type Config struct {
	Name        string // stage name in logs and dead-letter headers
	Topic       string // consumed topic
	Group       string // consumer group
	Partitions  int    // partitions of the topics created at start
	MaxInFlight int    // unacknowledged messages per partition

	RetryMax      int           // handler retries before the message is nacked and redelivered
	RetryInitial  time.Duration // first retry pause
	RetryMaxPause time.Duration // longest retry pause
	CloseTimeout  time.Duration // how long shutdown waits for in-flight work

	Publisher kafka.PublisherConfig
}

// RegisterFlags adds the stage's settings to fs, with c's values as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Group, "group", c.Group, "consumer group")
	fs.IntVar(&c.Partitions, "partitions", c.Partitions, "partitions of the topics this stage creates if missing")
	fs.IntVar(&c.MaxInFlight, "max-in-flight", c.MaxInFlight, "unacknowledged messages per partition (per-article order is kept)")
	fs.IntVar(&c.RetryMax, "retry-max", c.RetryMax, "retries of a failing handler before the message is redelivered")
	fs.DurationVar(&c.RetryInitial, "retry-initial", c.RetryInitial, "first pause between retries")
	fs.DurationVar(&c.RetryMaxPause, "retry-max-pause", c.RetryMaxPause, "longest pause between retries")
	fs.DurationVar(&c.CloseTimeout, "shutdown-timeout", c.CloseTimeout, "how long shutdown waits for in-flight work")
	fs.DurationVar(&c.Publisher.BatchTimeout, "publish-batch-timeout", 2*time.Millisecond, "how long a partial produce batch waits for more messages")
	fs.StringVar(&c.Publisher.Compression, "publish-compression", "", "produce compression: none, gzip, snappy, lz4, zstd")
}

func (c *Config) setDefaults() {
	if c.Partitions == 0 {
		c.Partitions = 12
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 1
	}
	if c.RetryMax == 0 {
		c.RetryMax = 5
	}
	if c.RetryInitial == 0 {
		c.RetryInitial = 100 * time.Millisecond
	}
	if c.RetryMaxPause == 0 {
		c.RetryMaxPause = 5 * time.Second
	}
	if c.CloseTimeout == 0 {
		c.CloseTimeout = 20 * time.Second
	}
}

// Validate reports every mistake in the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Group == "" {
		errs = append(errs, errors.New("group: a consumer group is required"))
	}
	if c.Partitions < 1 {
		errs = append(errs, errors.New("partitions: must be at least 1"))
	}
	if c.MaxInFlight < 1 {
		errs = append(errs, errors.New("max-in-flight: must be at least 1"))
	}
	if c.RetryMax < 0 {
		errs = append(errs, errors.New("retry-max: must not be negative"))
	}
	return errors.Join(errs...)
}

// Stage is a consumer with its publisher.
type Stage struct {
	cfg          Config
	conn         kafka.ConnConfig
	log          zerolog.Logger
	handler      Handler
	observer     kafka.Observer
	onDeadLetter func(topic, reason string)
	admin        *kafka.Admin
	pub          *kafka.Publisher
	topics       []kafka.TopicSpec

	metrics *ops.ConsumerMetrics
	srv     *ops.Server
	running chan struct{}
	limiter *logging.Limiter
	sub     *kafka.Subscriber

	fatalOnce sync.Once
	fatal     error
	stop      context.CancelFunc
}

// fail stops the stage with an error retrying cannot fix.
func (s *Stage) fail(err error) {
	s.fatalOnce.Do(func() {
		s.fatal = err
		s.log.Error().Err(err).Msg("stopping: this error will not go away by retrying")
		s.stop()
	})
}

// Handler processes one message. Return a deadletter.Permanent error for bad
// input; any other error is retried.
type Handler func(msg *message.Message) error

// New builds a stage consuming cfg.Topic with handler. observer and
// onDeadLetter may be nil. outTopics are created at start with the consumed
// topic and its dead-letter topic.
func New(cfg Config, conn kafka.ConnConfig, handler Handler, observer kafka.Observer, onDeadLetter func(topic, reason string), log zerolog.Logger, outTopics ...string) (*Stage, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	admin, err := kafka.NewAdmin(conn)
	if err != nil {
		return nil, err
	}
	pubCfg := cfg.Publisher
	pubCfg.Conn = conn
	limiter := logging.NewLimiter(log, 10*time.Second)
	pub, err := kafka.NewPublisher(pubCfg, logging.NewWatermillLimited(log, limiter))
	if err != nil {
		return nil, err
	}
	topics := []kafka.TopicSpec{{Name: cfg.Topic, Partitions: cfg.Partitions}, {Name: article.DLQTopic(cfg.Topic), Partitions: cfg.Partitions}}
	for _, t := range outTopics {
		topics = append(topics, kafka.TopicSpec{Name: t, Partitions: cfg.Partitions})
	}
	return &Stage{cfg: cfg, conn: conn, log: log, handler: handler, observer: observer, onDeadLetter: onDeadLetter,
		admin: admin, pub: pub, topics: topics, running: make(chan struct{}), limiter: limiter}, nil
}

// Publisher is the stage's publisher, for handlers that produce output.
func (s *Stage) Publisher() *kafka.Publisher { return s.pub }

// Admin is the stage's admin client.
func (s *Stage) Admin() *kafka.Admin { return s.admin }

// Running is closed once the stage consumes.
func (s *Stage) Running() <-chan struct{} { return s.running }

// Metrics are the stage's consumer metrics, once Instrument was called.
func (s *Stage) Metrics() *ops.ConsumerMetrics { return s.metrics }

// Instrument registers the stage's metrics and health checks on srv: router
// metrics, outcomes, dead letters, consumer lag, and a liveness check that
// fails when a partition with lag stops moving while Kafka and every
// dependency (a sink's store) answer: a stage waiting for a database that is
// down is not stuck, and restarting it would not help. Call it before Run.
func (s *Stage) Instrument(srv *ops.Server, stuckAfter time.Duration, deps ...ops.Check) error {
	m, err := ops.NewConsumerMetrics(srv.Registry(), s.cfg.Name, s.cfg.Group, s.cfg.Topic, stuckAfter)
	if err != nil {
		return err
	}
	s.metrics, s.srv = m, srv
	kafkaReady := func(ctx context.Context) error {
		if _, err := s.admin.Partitions(ctx, s.cfg.Topic); err != nil {
			return fmt.Errorf("kafka: %w", err)
		}
		return nil
	}
	srv.Ready("kafka", kafkaReady)
	srv.Ready("consuming-"+s.cfg.Name, func(context.Context) error {
		select {
		case <-s.running:
			return nil
		default:
			return errors.New("not consuming yet")
		}
	})
	srv.Live("consumer-"+s.cfg.Name, func(ctx context.Context) error {
		err := m.Stuck()
		if err == nil {
			return nil
		}
		// Stuck because Kafka or a dependency is unreachable is not the
		// process's fault: restarting it would not help, and readiness
		// already says so.
		for _, dep := range append([]ops.Check{kafkaReady}, deps...) {
			if dep(ctx) != nil {
				return nil //nolint:nilerr // a dependency is down: alive, not stuck
			}
		}
		return err
	})
	return nil
}

// Run creates the topics (waiting for the broker if need be), consumes until
// ctx ends, then shuts down: fetching stops, in-flight work finishes,
// offsets are committed, and the publisher flushes.
func (s *Stage) Run(ctx context.Context) error {
	err := s.admin.WaitForBroker(ctx, func(err error) {
		s.log.Warn().Err(err).Msg("waiting for the Kafka broker")
	}, s.topics...)
	if err != nil {
		_ = s.pub.Close()
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	ctx, s.stop = context.WithCancel(ctx)
	defer s.stop()
	router, err := s.build()
	if err != nil {
		_ = s.pub.Close()
		return err
	}
	if s.metrics != nil {
		go s.metrics.PollLag(ctx, s.admin, 10*time.Second)
	}
	go s.limiter.Run(ctx.Done())
	go func() {
		select {
		case <-router.Running():
			close(s.running)
		case <-ctx.Done():
		}
	}()
	runErr := router.Run(ctx)
	closeErr := s.pub.Close()
	if err := s.sub.Err(); err != nil {
		return err
	}
	if s.fatal != nil {
		return s.fatal
	}
	if runErr != nil {
		return fmt.Errorf("router: %w", runErr)
	}
	return closeErr
}

func (s *Stage) build() (*message.Router, error) {
	cfg := s.cfg
	wlog := logging.NewWatermillLimited(s.log, s.limiter)
	observer, onDeadLetter := s.observer, s.onDeadLetter
	if m := s.metrics; m != nil {
		observer = multiObserver{m, s.observer}
		onDeadLetter = func(topic, reason string) {
			m.DeadLettered(topic, reason)
			if s.onDeadLetter != nil {
				s.onDeadLetter(topic, reason)
			}
		}
	}
	sub, err := kafka.NewSubscriber(kafka.SubscriberConfig{
		Conn:          s.conn,
		ConsumerGroup: cfg.Group,
		MaxInFlight:   cfg.MaxInFlight,
		Observer:      observer,
	}, wlog)
	if err != nil {
		return nil, err
	}
	s.sub = sub
	// A subscription refused for good closes its channel; stop then too.
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: cfg.CloseTimeout}, wlog)
	if err != nil {
		return nil, err
	}
	if s.srv != nil {
		router.AddMiddleware(HandlerMetrics(s.srv.Registry()))
		router.AddMiddleware(s.countOutcomes)
	}
	router.AddMiddleware(s.logFailures)
	// Order matters: dead-lettering sits outside retry, so bad input is
	// dead-lettered at once and transient errors are retried, then nacked
	// and redelivered, never dead-lettered. Panics become permanent errors
	// so one poisonous article cannot stall a partition.
	router.AddMiddleware(
		deadletter.Middleware(deadletter.Config{Publisher: s.pub, Stage: cfg.Name, OnDeadLetter: onDeadLetter, Logger: s.log}),
		middleware.Retry{
			MaxRetries:      cfg.RetryMax,
			InitialInterval: cfg.RetryInitial,
			MaxInterval:     cfg.RetryMaxPause,
			Multiplier:      2,
			ShouldRetry: func(p middleware.RetryParams) bool {
				return !deadletter.IsPermanent(p.Err) && !kafka.Fatal(p.Err)
			},
			OnRetryHook: func(n int, delay time.Duration) {
				s.limiter.Log(zerolog.WarnLevel, "handler failed, retrying", nil, map[string]any{"retry": n, "delay": delay.String()})
			},
		}.Middleware,
		recoverPanics,
	)
	h := s.handler
	router.AddConsumerHandler(cfg.Name, cfg.Topic, sub, func(msg *message.Message) error { return h(msg) })
	return router, nil
}

// HandlerMetrics is the router middleware every stage exports its handler
// time with: watermill's histogram under newsflow's namespace. Not
// watermill's subscriber decorator, which costs a goroutine, a channel hop
// and a label map per message to count what messages_processed_total and
// consumer_messages_total count already.
func HandlerMetrics(reg prometheus.Registerer) message.HandlerMiddleware {
	return metrics.NewPrometheusMetricsBuilder(reg, ops.Namespace, "").NewRouterMiddleware().Middleware
}

// countOutcomes counts what became of each message, outside the dead-letter
// middleware: ok, dead_lettered, or failed (nacked and redelivered).
func (s *Stage) countOutcomes(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		out, err := h(msg)
		switch {
		case err != nil:
			s.metrics.Outcome("failed")
		case msg.Metadata.Get(deadletter.MarkerKey) != "":
			s.metrics.Outcome("dead_lettered")
		default:
			s.metrics.Outcome("ok")
		}
		return out, err
	}
}

// logFailures logs a message that will be redelivered, with where it sits
// in Kafka, through the limiter: an outage writes a line per window with a
// count, not one per message.
func (s *Stage) logFailures(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		out, err := h(msg)
		if kafka.Fatal(err) {
			s.fail(err)
			return out, err
		}
		if err != nil {
			pos, _ := kafka.PositionFromCtx(msg.Context())
			s.limiter.Log(zerolog.ErrorLevel, "processing failed; the message will be redelivered", err, map[string]any{
				"topic": pos.Topic, "partition": pos.Partition, "offset": pos.Offset,
				"article_id": msg.Metadata.Get(article.HeaderArticleID),
			})
		}
		return out, err
	}
}

type multiObserver [2]kafka.Observer

func (m multiObserver) each(f func(kafka.Observer)) {
	for _, o := range m {
		if o != nil {
			f(o)
		}
	}
}

func (m multiObserver) Assigned(t string, p []int) {
	m.each(func(o kafka.Observer) { o.Assigned(t, p) })
}
func (m multiObserver) Revoked(t string, p []int) { m.each(func(o kafka.Observer) { o.Revoked(t, p) }) }
func (m multiObserver) Delivered(pos kafka.Position) {
	m.each(func(o kafka.Observer) { o.Delivered(pos) })
}
func (m multiObserver) Committed(t string, p int, off int64) {
	m.each(func(o kafka.Observer) { o.Committed(t, p, off) })
}
func (m multiObserver) FetchError(t string, p int, err error) {
	m.each(func(o kafka.Observer) { o.FetchError(t, p, err) })
}
func (m multiObserver) Stalled(t string, p int, lag int64, recovered bool) {
	m.each(func(o kafka.Observer) { o.Stalled(t, p, lag, recovered) })
}

// recoverPanics turns a handler panic into a permanent error, with the panic
// value, so the message is dead-lettered instead of crashing the service.
func recoverPanics(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) (out []*message.Message, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = deadletter.Permanent("panic", fmt.Errorf("handler panicked: %v", r))
			}
		}()
		return h(msg)
	}
}
