package kafka

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"
	metadataAPI "github.com/segmentio/kafka-go/protocol/metadata"
)

// ErrPublisherClosed is returned by Publish after Close.
var ErrPublisherClosed = errors.New("publisher is closed")

// PublisherConfig configures a Publisher. Writes are synchronous and wait for
// acks from all in-sync replicas; batching is explicit.
type PublisherConfig struct {
	Conn      ConnConfig
	Marshaler Marshaler

	// BatchSize and BatchBytes cap one produce batch per partition;
	// BatchTimeout is how long a partial batch waits for more messages
	// (kafka-go's default of 1 s would make every synchronous publish slow).
	BatchSize    int
	BatchBytes   int64
	BatchTimeout time.Duration

	// MaxAttempts is how often the writer tries a batch before Publish fails.
	MaxAttempts  int
	WriteTimeout time.Duration

	// Compression: none, gzip, snappy, lz4 or zstd.
	Compression string
}

func (c *PublisherConfig) setDefaults() {
	if c.Marshaler == nil {
		c.Marshaler = DefaultMarshaler{}
	}
	if c.BatchSize == 0 {
		c.BatchSize = 1000
	}
	if c.BatchBytes == 0 {
		// A batch is one record batch on the broker: it must stay under
		// the broker's message.max.bytes (1,048,588 by default).
		c.BatchBytes = 1_000_000
	}
	if c.BatchTimeout == 0 {
		c.BatchTimeout = 2 * time.Millisecond
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 5
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
}

// Validate reports every mistake in the configuration.
func (c *PublisherConfig) Validate() error {
	errs := []error{c.Conn.Validate()}
	if c.BatchSize < 1 || c.BatchBytes < 1 || c.BatchTimeout <= 0 {
		errs = append(errs, errors.New("publisher batch size, bytes and timeout must be positive"))
	}
	if _, err := compression(c.Compression); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func compression(name string) (kafkago.Compression, error) {
	switch name {
	case "", "none":
		return 0, nil
	case "gzip":
		return compress.Gzip, nil
	case "snappy":
		return compress.Snappy, nil
	case "lz4":
		return compress.Lz4, nil
	case "zstd":
		return compress.Zstd, nil
	}
	return 0, fmt.Errorf("compression %q: want none, gzip, snappy, lz4 or zstd", name)
}

// Publisher publishes watermill messages to Kafka with kafka-go's Writer,
// partitioned by key with murmur2 like the Java client.
type Publisher struct {
	cfg    PublisherConfig
	writer *kafkago.Writer
	logger watermill.LoggerAdapter

	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.RWMutex
	closed bool

	// Concurrent Publish calls are gathered into one WriteMessages call
	// while earlier ones are in flight: kafka-go writes each partition's
	// batches one after the other, so many small calls make many tiny
	// produce requests; gathered calls make few large ones.
	queue    chan *pending
	inflight chan struct{}
	loopDone chan struct{}
}

// pending is one Publish call waiting for its messages to be written.
type pending struct {
	topic string
	msgs  []kafkago.Message
	done  chan error
}

// NewPublisher builds a Publisher. It does not connect until the first Publish.
func NewPublisher(cfg PublisherConfig, logger watermill.LoggerAdapter) (*Publisher, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("publisher config: %w", err)
	}
	c, err := cfg.Conn.resolve()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	codec, _ := compression(cfg.Compression)
	w := &kafkago.Writer{
		Addr:         kafkago.TCP(c.brokers...),
		Balancer:     &kafkago.Murmur2Balancer{},
		RequiredAcks: kafkago.RequireAll,
		Async:        false,
		BatchSize:    cfg.BatchSize,
		BatchBytes:   cfg.BatchBytes,
		BatchTimeout: cfg.BatchTimeout,
		MaxAttempts:  cfg.MaxAttempts,
		WriteTimeout: cfg.WriteTimeout,
		ReadTimeout:  cfg.WriteTimeout,
		Compression:  codec,
		Transport:    &partitionCounts{RoundTripper: c.transport, topics: map[string]countedAt{}},
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Publisher{cfg: cfg, writer: w, logger: logger, ctx: ctx, cancel: cancel,
		queue: make(chan *pending, 1024), inflight: make(chan struct{}, concurrentWrites), loopDone: make(chan struct{})}
	go p.gather()
	return p, nil
}

// partitionCounts answers the writer's question for a topic's partitions
// from a short-lived cache of its own. kafka-go's writer asks once per
// message; the transport answers from its cached metadata, but filters a
// fresh copy of it for each question: two allocations a message and 3-5 %
// of a batched pass-through's CPU. Only answers naming the topic
// without an error are kept, so a topic not yet known is asked about again.
type partitionCounts struct {
	kafkago.RoundTripper
	mu     sync.RWMutex
	topics map[string]countedAt
}

type countedAt struct {
	resp *metadataAPI.Response
	at   time.Time
}

// partitionCountTTL is how long an answer is kept: a small fraction of the
// transport's own metadataTTL, so a topic's new partitions are seen about
// as soon as without the cache.
const partitionCountTTL = metadataTTL / 20

func (c *partitionCounts) RoundTrip(ctx context.Context, addr net.Addr, req kafkago.Request) (kafkago.Response, error) {
	m, ok := req.(*metadataAPI.Request)
	if !ok || len(m.TopicNames) != 1 || m.AllowAutoTopicCreation {
		return c.RoundTripper.RoundTrip(ctx, addr, req)
	}
	topic := m.TopicNames[0]
	c.mu.RLock()
	hit, ok := c.topics[topic]
	c.mu.RUnlock()
	if ok && time.Since(hit.at) < partitionCountTTL {
		return hit.resp, nil
	}
	resp, err := c.RoundTripper.RoundTrip(ctx, addr, req)
	if r, ok := resp.(*metadataAPI.Response); ok && err == nil && len(r.Topics) == 1 && r.Topics[0].Name == topic && r.Topics[0].ErrorCode == 0 {
		c.mu.Lock()
		c.topics[topic] = countedAt{resp: r, at: time.Now()}
		c.mu.Unlock()
	}
	return resp, err
}

// concurrentWrites is how many gathered writes may be in flight. Calls pile
// up while they are, so fewer writes mean larger batches: against a broker
// that fsyncs every batch, two instead of four made pass-through 20 % and
// batched pass-through 40 % faster (transbench -sync-writes); without fsyncs
// produce gained 2-6 %, pass-through moved within the noise and batched
// pass-through lost 4 %.
const concurrentWrites = 2

// gather collects pending calls into writes of up to BatchSize messages per
// call, at most cap(inflight) writes at a time.
func (p *Publisher) gather() {
	defer close(p.loopDone)
	var carry *pending
	for {
		first := carry
		carry = nil
		if first == nil {
			var ok bool
			if first, ok = <-p.queue; !ok {
				return
			}
		}
		p.inflight <- struct{}{} // wait for a write slot; calls pile up meanwhile
		group := []*pending{first}
		n := len(first.msgs)
	collect:
		for n < p.cfg.BatchSize*4 {
			select {
			case q, ok := <-p.queue:
				if !ok {
					break collect
				}
				group = append(group, q)
				n += len(q.msgs)
			default:
				break collect
			}
		}
		go p.writeGroup(group, n)
	}
}

func (p *Publisher) writeGroup(group []*pending, n int) {
	defer func() { <-p.inflight }()
	all := make([]kafkago.Message, 0, n)
	for _, q := range group {
		all = append(all, q.msgs...)
	}
	err := p.writer.WriteMessages(p.ctx, all...)
	// The writer reads partition counts from its transport's cached
	// metadata, which may predate a topic another client created since:
	// it then refuses the whole write at once, before sending anything.
	// Try again until the cache has been refreshed.
	for wait := time.Duration(0); errors.Is(err, kafkago.UnknownTopicOrPartition) && wait < 3*metadataTTL; wait += metadataTTL / 8 {
		select {
		case <-time.After(metadataTTL / 8):
		case <-p.ctx.Done():
		}
		err = p.writer.WriteMessages(p.ctx, all...)
	}
	var werrs kafkago.WriteErrors
	perMessage := errors.As(err, &werrs) && len(werrs) == len(all)
	i := 0
	for _, q := range group {
		n := len(q.msgs)
		var qerr error
		switch {
		case err == nil:
		case perMessage:
			qerr = summarise(q.topic, n, werrs[i:i+n])
		default:
			qerr = summarise(q.topic, n, err)
		}
		i += n
		q.done <- qerr // q may be reused from here on
	}
}

// Publish writes messages to topic and returns once all are acknowledged by
// all in-sync replicas, or with an error naming how many failed.
func (p *Publisher) Publish(topic string, msgs ...*message.Message) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrPublisherClosed
	}
	if len(msgs) == 0 {
		return nil
	}
	kms := make([]kafkago.Message, len(msgs))
	for i, msg := range msgs {
		km, err := p.cfg.Marshaler.Marshal(topic, msg)
		if err != nil {
			return fmt.Errorf("marshaling message %s: %w", msg.UUID, err)
		}
		kms[i] = km
	}
	return p.write(topic, kms)
}

// PublishKafka writes already-built Kafka messages, for tools that copy
// messages between topics without going through watermill.
func (p *Publisher) PublishKafka(topic string, kms ...kafkago.Message) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrPublisherClosed
	}
	for i := range kms {
		kms[i].Topic = topic
		kms[i].Partition, kms[i].Offset = 0, 0
	}
	return p.write(topic, kms)
}

func (p *Publisher) write(topic string, kms []kafkago.Message) error {
	q := pendingPool.Get().(*pending)
	q.topic, q.msgs = topic, kms
	p.queue <- q
	err := <-q.done
	q.topic, q.msgs = "", nil
	pendingPool.Put(q)
	return err
}

// pendingPool recycles pending calls and their channels: two allocations
// fewer per Publish.
var pendingPool = sync.Pool{New: func() any { return &pending{done: make(chan error, 1)} }}

// summarise turns kafka-go's per-message errors into one error: how many
// failed and the first cause, not one line per message.
func summarise(topic string, total int, err error) error {
	var werrs kafkago.WriteErrors
	if !errors.As(err, &werrs) {
		return fmt.Errorf("publishing %d messages to %s: %w", total, topic, err)
	}
	if werrs.Count() == 0 {
		return nil
	}
	var first error
	for _, e := range werrs {
		if e != nil {
			first = e
			break
		}
	}
	return fmt.Errorf("publishing to %s: %d of %d messages failed, first error: %w", topic, werrs.Count(), total, first)
}

// Close flushes pending batches and releases the writer. It is idempotent.
func (p *Publisher) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	// Publish holds the read lock while it waits, so nothing is queued now.
	close(p.queue)
	<-p.loopDone
	for range cap(p.inflight) {
		p.inflight <- struct{}{} // the last writes are done
	}
	err := p.writer.Close()
	p.cancel()
	if err != nil {
		return fmt.Errorf("closing kafka writer: %w", err)
	}
	return nil
}

// Stats returns the kafka-go writer's statistics since the last call:
// batch sizes and times, produce latency, errors.
func (p *Publisher) Stats() kafkago.WriterStats { return p.writer.Stats() }
