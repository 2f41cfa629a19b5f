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
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/rs/zerolog"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/deadletter"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/logging"
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

// Stage is a running consumer with its publisher.
type Stage struct {
	cfg    Config
	log    zerolog.Logger
	admin  *kafka.Admin
	sub    *kafka.Subscriber
	pub    *kafka.Publisher
	router *message.Router
	topics []kafka.TopicSpec
}

// Handler processes one message. Return a deadletter.Permanent error for bad
// input; any other error is retried.
type Handler func(msg *message.Message) error

// New builds a stage consuming cfg.Topic with handler. outTopics are created
// at start with the consumed topic and its dead-letter topic.
func New(cfg Config, conn kafka.ConnConfig, handler Handler, observer kafka.Observer, onDeadLetter func(topic, reason string), log zerolog.Logger, outTopics ...string) (*Stage, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	wlog := logging.NewWatermill(log)
	admin, err := kafka.NewAdmin(conn)
	if err != nil {
		return nil, err
	}
	pubCfg := cfg.Publisher
	pubCfg.Conn = conn
	pub, err := kafka.NewPublisher(pubCfg, wlog)
	if err != nil {
		return nil, err
	}
	sub, err := kafka.NewSubscriber(kafka.SubscriberConfig{
		Conn:          conn,
		ConsumerGroup: cfg.Group,
		MaxInFlight:   cfg.MaxInFlight,
		Observer:      observer,
	}, wlog)
	if err != nil {
		return nil, err
	}
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: cfg.CloseTimeout}, wlog)
	if err != nil {
		return nil, err
	}
	// Order matters: dead-lettering sits outside retry, so bad input is
	// dead-lettered at once and transient errors are retried, then nacked
	// and redelivered, never dead-lettered. Panics become permanent errors
	// so one poisonous article cannot stall a partition.
	router.AddMiddleware(
		deadletter.Middleware(deadletter.Config{Publisher: pub, Stage: cfg.Name, OnDeadLetter: onDeadLetter, Logger: log}),
		middleware.Retry{
			MaxRetries:      cfg.RetryMax,
			InitialInterval: cfg.RetryInitial,
			MaxInterval:     cfg.RetryMaxPause,
			Multiplier:      2,
			ShouldRetry:     func(p middleware.RetryParams) bool { return !deadletter.IsPermanent(p.Err) },
			OnRetryHook: func(n int, delay time.Duration) {
				log.Warn().Int("retry", n).Dur("delay", delay).Msg("handler failed, retrying")
			},
		}.Middleware,
		recoverPanics,
	)
	router.AddConsumerHandler(cfg.Name, cfg.Topic, sub, func(msg *message.Message) error { return handler(msg) })

	topics := []kafka.TopicSpec{{Name: cfg.Topic, Partitions: cfg.Partitions}, {Name: article.DLQTopic(cfg.Topic), Partitions: cfg.Partitions}}
	for _, t := range outTopics {
		topics = append(topics, kafka.TopicSpec{Name: t, Partitions: cfg.Partitions})
	}
	return &Stage{cfg: cfg, log: log, admin: admin, sub: sub, pub: pub, router: router, topics: topics}, nil
}

// Publisher is the stage's publisher, for handlers that produce output.
func (s *Stage) Publisher() *kafka.Publisher { return s.pub }

// Admin is the stage's admin client, for health checks and lag.
func (s *Stage) Admin() *kafka.Admin { return s.admin }

// Router is the watermill router, for metrics decorators.
func (s *Stage) Router() *message.Router { return s.router }

// Running is closed when the router is running.
func (s *Stage) Running() chan struct{} { return s.router.Running() }

// Run creates the topics (waiting for the broker if need be), consumes until
// ctx ends, then shuts down: fetching stops, in-flight work finishes,
// offsets are committed, and the publisher flushes.
func (s *Stage) Run(ctx context.Context) error {
	err := s.admin.WaitForBroker(ctx, func(err error) {
		s.log.Warn().Err(err).Msg("waiting for the Kafka broker")
	}, s.topics...)
	if err != nil {
		_ = s.pub.Close()
		_ = s.sub.Close()
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	runErr := s.router.Run(ctx)
	closeErr := s.pub.Close()
	if runErr != nil {
		return fmt.Errorf("router: %w", runErr)
	}
	return closeErr
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
