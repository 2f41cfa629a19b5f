package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	kafkago "github.com/segmentio/kafka-go"
)

// ErrSubscriberClosed is returned by Subscribe after Close.
var ErrSubscriberClosed = errors.New("subscriber is closed")

// SubscriberConfig configures a Subscriber.
type SubscriberConfig struct {
	Conn          ConnConfig
	ConsumerGroup string
	Unmarshaler   Unmarshaler

	// InitialOffset is where a group without a committed offset starts:
	// kafka-go's FirstOffset (the default) or LastOffset.
	InitialOffset int64

	// MaxInFlight is how many unacknowledged messages one partition may have
	// handed out at once. 1 (the default) gives strict order; more lets a
	// batching or concurrent handler work ahead. Messages with the same key
	// are never in flight together, so per-article order holds either way.
	MaxInFlight int

	// CommitInterval is how often the contiguous acknowledged prefix of each
	// partition is committed. Acknowledged work not yet committed when a
	// process dies is redelivered: at-least-once.
	CommitInterval time.Duration

	// NackResendSleep is the pause before a nacked message is redelivered.
	NackResendSleep time.Duration

	// DrainTimeout bounds how long a revoked or closing subscription waits
	// for in-flight messages to be acknowledged before it commits and lets go.
	DrainTimeout time.Duration

	// Fetch tuning. A partition holds up to three fetches of MaxBytes
	// (a batch larger than MaxBytes comes whole): one in flight, one
	// waiting, one being handed out.
	MinBytes int
	MaxBytes int
	MaxWait  time.Duration

	// Consumer group timing.
	HeartbeatInterval      time.Duration
	SessionTimeout         time.Duration
	RebalanceTimeout       time.Duration
	PartitionWatchInterval time.Duration

	// RetryBackoffMin and RetryBackoffMax bound the backoff after errors
	// joining the group or fetching.
	RetryBackoffMin time.Duration
	RetryBackoffMax time.Duration

	// InitializeTopic, when Partitions > 0, makes SubscribeInitialize create
	// topics with this layout.
	InitializeTopic TopicSpec

	// Observer, when set, hears about assignments, deliveries and commits
	// (metrics and health hang off it).
	Observer Observer

	// StallTimeout: a partition whose fetcher, asked for messages, has
	// given nothing for this long while the partition holds unread ones
	// has its fetch in progress cancelled and asked again (the watchdog
	// checks every StallTimeout/4). Time
	// the handler holds the in-flight window full does not count. 0 means
	// 60 s; negative turns the watchdog off.
	StallTimeout time.Duration
}

// Observer hears about a subscriber's progress. Calls come from the
// subscriber's goroutines and must not block.
type Observer interface {
	Assigned(topic string, partitions []int)
	Revoked(topic string, partitions []int)
	Delivered(pos Position)
	Committed(topic string, partition int, offset int64)
	FetchError(topic string, partition int, err error)
	// Stalled reports a partition that stopped fetching while it held
	// unread messages; its fetch is asked again. recovered is false when
	// the fetch asked again last time has not moved either.
	Stalled(topic string, partition int, lag int64, recovered bool)
}

// fetchMaxBytes is the most a fetch asks for per partition, Kafka's
// max.partition.fetch.bytes default. A batch larger than it still arrives
// whole; 16 MiB responses cost a third more CPU in page faults.
const fetchMaxBytes = 1 << 20

func (c *SubscriberConfig) setDefaults() {
	if c.Unmarshaler == nil {
		c.Unmarshaler = DefaultMarshaler{}
	}
	if c.InitialOffset == 0 {
		c.InitialOffset = kafkago.FirstOffset
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 1
	}
	if c.CommitInterval == 0 {
		c.CommitInterval = 200 * time.Millisecond
	}
	if c.NackResendSleep == 0 {
		c.NackResendSleep = 100 * time.Millisecond
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = 5 * time.Second
	}
	if c.MinBytes == 0 {
		c.MinBytes = 1
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = fetchMaxBytes
	}
	if c.MaxWait == 0 {
		c.MaxWait = 250 * time.Millisecond
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = time.Second
	}
	if c.SessionTimeout == 0 {
		c.SessionTimeout = 10 * time.Second
	}
	if c.RebalanceTimeout == 0 {
		c.RebalanceTimeout = 20 * time.Second
	}
	if c.PartitionWatchInterval == 0 {
		c.PartitionWatchInterval = 5 * time.Second
	}
	if c.RetryBackoffMin == 0 {
		c.RetryBackoffMin = 100 * time.Millisecond
	}
	if c.RetryBackoffMax == 0 {
		c.RetryBackoffMax = 5 * time.Second
	}
	if c.StallTimeout == 0 {
		c.StallTimeout = 60 * time.Second
	}
}

// Validate reports every mistake in the configuration.
func (c *SubscriberConfig) Validate() error {
	errs := []error{c.Conn.Validate()}
	if c.ConsumerGroup == "" {
		errs = append(errs, errors.New("consumer group is required"))
	}
	if c.InitialOffset != kafkago.FirstOffset && c.InitialOffset != kafkago.LastOffset {
		errs = append(errs, errors.New("initial offset must be FirstOffset or LastOffset"))
	}
	if c.MaxInFlight < 1 {
		errs = append(errs, errors.New("max in flight must be at least 1"))
	}
	if c.DrainTimeout >= c.RebalanceTimeout {
		errs = append(errs, errors.New("drain timeout must be shorter than the rebalance timeout"))
	}
	return errors.Join(errs...)
}

// Subscriber consumes Kafka topics in a consumer group and hands messages to
// watermill. Each Subscribe call joins the group for one topic; inside it,
// every assigned partition is fetched on its own, so partitions are processed
// concurrently while each stays in order. An offset is committed only once
// the message and every message before it in its partition are acknowledged.
type Subscriber struct {
	cfg    SubscriberConfig
	conn   *conn
	logger watermill.LoggerAdapter

	closing   chan struct{}
	closeOnce sync.Once
	subs      sync.WaitGroup
	mu        sync.Mutex
	closed    bool
	fatal     error
}

// Err returns the error that ended a subscription for good (failed
// authentication, a missing permission), if any: its channel was closed.
func (s *Subscriber) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fatal
}

// NewSubscriber builds a Subscriber. It does not connect until Subscribe.
func NewSubscriber(cfg SubscriberConfig, logger watermill.LoggerAdapter) (*Subscriber, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("subscriber config: %w", err)
	}
	c, err := cfg.Conn.resolve()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	return &Subscriber{cfg: cfg, conn: c, logger: logger, closing: make(chan struct{})}, nil
}

// SubscribeInitialize creates the topic with InitializeTopic's layout when
// it does not exist yet.
func (s *Subscriber) SubscribeInitialize(topic string) error {
	if s.cfg.InitializeTopic.Partitions <= 0 {
		return nil
	}
	spec := s.cfg.InitializeTopic
	spec.Name = topic
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return EnsureTopics(ctx, s.conn, spec)
}

// Subscribe joins the consumer group for topic. The channel closes when ctx
// ends or the subscriber closes.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrSubscriberClosed
	}
	cg, err := kafkago.NewConsumerGroup(kafkago.ConsumerGroupConfig{
		ID:                     s.cfg.ConsumerGroup,
		Brokers:                s.conn.brokers,
		Dialer:                 s.conn.dialer,
		Topics:                 []string{topic},
		HeartbeatInterval:      s.cfg.HeartbeatInterval,
		SessionTimeout:         s.cfg.SessionTimeout,
		RebalanceTimeout:       s.cfg.RebalanceTimeout,
		JoinGroupBackoff:       s.cfg.RetryBackoffMin,
		PartitionWatchInterval: s.cfg.PartitionWatchInterval,
		WatchPartitionChanges:  true,
		StartOffset:            s.cfg.InitialOffset,
		Timeout:                10 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("joining consumer group %s: %w", s.cfg.ConsumerGroup, err)
	}
	out := make(chan *message.Message)
	sctx, cancel := context.WithCancel(ctx)
	sub := &subscription{s: s, topic: topic, out: out, logger: s.logger.With(watermill.LogFields{
		"topic": topic, "consumer_group": s.cfg.ConsumerGroup,
	})}
	s.subs.Add(1)
	go func() {
		defer s.subs.Done()
		groupClosed := make(chan struct{})
		go func() {
			defer close(groupClosed)
			select {
			case <-s.closing:
			case <-sctx.Done():
			}
			cancel()
			// Closing the group ends the current generation at once, so the
			// group does not rejoin between our last commit and leaving.
			_ = cg.Close()
		}()
		sub.run(sctx, cg)
		cancel()
		<-groupClosed
		close(out)
	}()
	return out, nil
}

// Close stops every subscription: fetching stops, in-flight messages get
// DrainTimeout to be acknowledged, acknowledged offsets are committed, the
// group is left and the channels close. It is idempotent.
func (s *Subscriber) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.closing)
	})
	s.subs.Wait()
	// The fetches' connections, now idle.
	s.conn.transport.CloseIdleConnections()
	return nil
}

// subscription is one Subscribe call: one group membership for one topic.
type subscription struct {
	s      *Subscriber
	topic  string
	out    chan *message.Message
	logger watermill.LoggerAdapter
}

func (sub *subscription) run(ctx context.Context, cg *kafkago.ConsumerGroup) {
	bo := backoff{min: sub.s.cfg.RetryBackoffMin, max: sub.s.cfg.RetryBackoffMax}
	for {
		gen, err := cg.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, kafkago.ErrGroupClosed) {
				return
			}
			if Fatal(err) {
				sub.logger.Error("Consumer group refused us; giving up", err, nil)
				sub.s.mu.Lock()
				sub.s.fatal = fmt.Errorf("consumer group %s on %s: %w", sub.s.cfg.ConsumerGroup, sub.topic, err)
				sub.s.mu.Unlock()
				return
			}
			sub.logger.Error("Consumer group generation failed, retrying", err, watermill.LogFields{"backoff": bo.peek().String()})
			if !sleep(ctx, bo.next()) {
				return
			}
			continue
		}
		bo.reset()
		sub.runGeneration(ctx, gen)
	}
}

// runGeneration consumes the partitions assigned in one generation and
// returns when the generation ends (rebalance, error or shutdown), after the
// last commit.
func (sub *subscription) runGeneration(ctx context.Context, gen *kafkago.Generation) {
	cfg := &sub.s.cfg
	assigned := gen.Assignments[sub.topic]
	parts := make([]*partition, 0, len(assigned))
	ids := make([]int, 0, len(assigned))
	for _, a := range assigned {
		parts = append(parts, newPartition(sub, a.ID, a.Offset))
		ids = append(ids, a.ID)
	}
	sub.logger.Info("Partitions assigned", watermill.LogFields{"partitions": ids, "generation": gen.ID})
	if cfg.Observer != nil {
		cfg.Observer.Assigned(sub.topic, ids)
	}

	var consuming sync.WaitGroup
	for _, p := range parts {
		consuming.Add(1)
		gen.Start(func(gctx context.Context) {
			defer consuming.Done()
			p.consume(mergeDone(gctx, ctx))
		})
	}
	if cfg.StallTimeout > 0 && len(parts) > 0 {
		gen.Start(func(gctx context.Context) {
			sub.watch(mergeDone(gctx, ctx), parts)
			<-gctx.Done() // returning early would end the generation
		})
	}
	finished := make(chan struct{})
	gen.Start(func(gctx context.Context) {
		defer close(finished)
		ticker := time.NewTicker(cfg.CommitInterval)
		defer ticker.Stop()
		for running := true; running; {
			select {
			case <-ticker.C:
				sub.commit(gen, parts)
			case <-gctx.Done():
				running = false
			case <-ctx.Done():
				running = false
			}
		}
		consuming.Wait()
		sub.commit(gen, parts)
	})
	<-finished
	sub.logger.Info("Partitions revoked", watermill.LogFields{"partitions": ids, "generation": gen.ID})
	if cfg.Observer != nil {
		cfg.Observer.Revoked(sub.topic, ids)
	}
}

// commit commits the acknowledged prefix of every partition that moved.
func (sub *subscription) commit(gen *kafkago.Generation, parts []*partition) {
	offsets := map[int]int64{}
	for _, p := range parts {
		if off, ok := p.toCommit(); ok {
			offsets[p.id] = off
		}
	}
	if len(offsets) == 0 {
		return
	}
	if err := gen.CommitOffsets(map[string]map[int]int64{sub.topic: offsets}); err != nil {
		// The next tick retries; if the generation is gone, the next owner
		// redelivers from the last commit that did land.
		sub.logger.Error("Committing offsets failed", err, watermill.LogFields{"partitions": len(offsets)})
		return
	}
	for _, p := range parts {
		if off, ok := offsets[p.id]; ok {
			p.markCommitted(off)
			if sub.s.cfg.Observer != nil {
				sub.s.cfg.Observer.Committed(sub.topic, p.id, off)
			}
		}
	}
}

// watch is the stuck-fetch watchdog: it compares each partition's fetch
// position with the end of the partition, and a partition that has messages
// waiting while its fetcher, asked for them, has given nothing for
// StallTimeout has its fetch in progress cancelled and asked again.
func (sub *subscription) watch(ctx context.Context, parts []*partition) {
	timeout := sub.s.cfg.StallTimeout
	t := time.NewTicker(max(timeout/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		qctx, cancel := context.WithTimeout(ctx, timeout/2)
		offs, err := (&Admin{conn: sub.s.conn}).TopicOffsets(qctx, sub.topic)
		cancel()
		if err != nil {
			continue // the broker is unreachable: not a stuck fetch
		}
		now := time.Now()
		for _, p := range parts {
			lag, idle := p.stalled(offs[p.id], now)
			if lag <= 0 || idle < timeout {
				continue
			}
			recovered := p.restartFetch(now)
			sub.logger.Error("Partition reader stalled with messages waiting; replaced it", nil, watermill.LogFields{
				"partition": p.id, "lag": lag, "idle": idle.String(), "earlier_replacement_recovered": recovered,
			})
			if sub.s.cfg.Observer != nil {
				sub.s.cfg.Observer.Stalled(sub.topic, p.id, lag, recovered)
			}
		}
	}
}

// mergeDone returns a context that ends when either parent ends.
func mergeDone(a context.Context, b context.Context) context.Context {
	ctx, cancel := context.WithCancel(a)
	stop := context.AfterFunc(b, cancel)
	context.AfterFunc(ctx, func() { stop() })
	return ctx
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// backoff doubles from min to max.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) peek() time.Duration {
	if b.cur == 0 {
		return b.min
	}
	return b.cur
}

func (b *backoff) next() time.Duration {
	d := b.peek()
	b.cur = min(d*2, b.max)
	return d
}

func (b *backoff) reset() { b.cur = 0 }
