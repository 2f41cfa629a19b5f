package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	wmkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/newsflow/newsflow/pkg/kafka"
)

// publishers is how many goroutines publish at once with the watermill
// publishers, whose Publish is synchronous.
const publishers = 16

// chunks splits msgs into n nearly equal parts.
func chunks(msgs []msg, n int) [][]msg {
	var out [][]msg
	size := (len(msgs) + n - 1) / n
	for i := 0; i < len(msgs); i += size {
		out = append(out, msgs[i:min(i+size, len(msgs))])
	}
	return out
}

// publishConcurrently publishes msgs from several goroutines, 500 per call,
// as a user of a synchronous watermill publisher would for throughput.
func publishConcurrently(pub message.Publisher, topic string, msgs []msg) error {
	var fns []func() error
	for _, part := range chunks(msgs, publishers) {
		fns = append(fns, func() error {
			for _, c := range chunks(part, max(1, len(part)/500)) {
				if err := pub.Publish(topic, toWatermill(c)...); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return waitGroupErr(fns...)
}

func toWatermill(ms []msg) []*message.Message {
	out := make([]*message.Message, len(ms))
	for i, m := range ms {
		out[i] = message.NewMessage(watermill.NewUUID(), m.value)
		out[i].Metadata.Set(kafka.KeyMetadata, string(m.key))
	}
	return out
}

// consumeN reads n messages from a watermill channel, acking each, and
// returns when all arrived (duplicates count: at-least-once).
func consumeN(ctx context.Context, ch <-chan *message.Message, n int, each func(*message.Message) error) error {
	got := 0
	for got < n {
		select {
		case m, ok := <-ch:
			if !ok {
				return fmt.Errorf("channel closed after %d of %d", got, n)
			}
			if each != nil {
				if err := each(m); err != nil {
					m.Nack()
					return err
				}
			}
			m.Ack()
			got++
		case <-ctx.Done():
			return fmt.Errorf("%w after %d of %d", ctx.Err(), got, n)
		}
	}
	return nil
}

// newsflow: the adapter under test.
type newsflowClient struct{}

func (newsflowClient) name() string { return "newsflow" }

func (newsflowClient) produce(ctx context.Context, brokers []string, topic string, msgs []msg) error {
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Conn: kafka.ConnConfig{Brokers: brokers}, BatchTimeout: benchBatchTimeout}, nil)
	if err != nil {
		return err
	}
	defer pub.Close()
	return publishConcurrently(pub, topic, msgs)
}

func newsflowSub(brokers []string, group string) (*kafka.Subscriber, error) {
	return kafka.NewSubscriber(kafka.SubscriberConfig{
		Conn: kafka.ConnConfig{Brokers: brokers}, ConsumerGroup: group, MaxInFlight: benchInFlight,
		MinBytes: benchMinBytes, MaxBytes: benchMaxBytes, MaxWait: benchMaxWait,
	}, nil)
}

func (newsflowClient) consume(ctx context.Context, brokers []string, topic, group string, n int) error {
	sub, err := newsflowSub(brokers, group)
	if err != nil {
		return err
	}
	defer sub.Close()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		return err
	}
	return consumeN(ctx, ch, n, nil)
}

func (newsflowClient) passThrough(ctx context.Context, brokers []string, in, out, group string, n int) error {
	sub, err := newsflowSub(brokers, group)
	if err != nil {
		return err
	}
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Conn: kafka.ConnConfig{Brokers: brokers}, BatchTimeout: benchBatchTimeout}, nil)
	if err != nil {
		return err
	}
	defer printWriterStats(pub)
	return routerPassThrough(ctx, sub, pub, in, out, n)
}

// printWriterStats prints what the publisher's writer did, with
// TRANSBENCH_STATS set.
func printWriterStats(pub *kafka.Publisher) {
	if os.Getenv("TRANSBENCH_STATS") == "" {
		return
	}
	st := pub.Stats()
	fmt.Fprintf(os.Stderr, "writer: writes %d messages %d batch size avg %d, batch time avg %s, write time avg %s max %s\n",
		st.Writes, st.Messages, st.BatchSize.Avg, st.BatchTime.Avg, st.WriteTime.Avg, st.WriteTime.Max)
}

// batchedPassThrough reads from a subscriber's channel, publishes what it
// has gathered in one call, then acknowledges it: the loop a user of either
// adapter writes when throughput matters more than per-message handling.
func batchedPassThrough(ctx context.Context, sub message.Subscriber, pub message.Publisher, in, out string, n, batch int) error {
	defer pub.Close()
	defer sub.Close()
	ch, err := sub.Subscribe(ctx, in)
	if err != nil {
		return err
	}
	// Up to four batches are published at a time, so gathering goes on
	// while earlier batches wait for their acknowledgements.
	var (
		done     atomic.Int64
		failed   atomic.Value
		pending  []*message.Message
		inFlight = make(chan struct{}, 4)
		wg       sync.WaitGroup
	)
	defer wg.Wait()
	flush := func() error {
		if e, ok := failed.Load().(error); ok {
			return e
		}
		if len(pending) == 0 {
			return nil
		}
		batch := pending
		pending = nil
		inFlight <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-inFlight; wg.Done() }()
			outs := make([]*message.Message, len(batch))
			for i, m := range batch {
				outs[i] = message.NewMessage(m.UUID, m.Payload)
				outs[i].Metadata = m.Metadata
			}
			if err := pub.Publish(out, outs...); err != nil {
				failed.Store(err)
				return
			}
			for _, m := range batch {
				m.Ack()
			}
			done.Add(int64(len(batch)))
		}()
		return nil
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for done.Load() < int64(n) {
		select {
		case m, ok := <-ch:
			if !ok {
				return fmt.Errorf("channel closed after %d of %d", done.Load(), n)
			}
			pending = append(pending, m)
			if len(pending) >= batch {
				if err := flush(); err != nil {
					return err
				}
			}
		case <-tick.C:
			if err := flush(); err != nil {
				return err
			}
		case <-ctx.Done():
			return fmt.Errorf("%w after %d of %d", ctx.Err(), done.Load(), n)
		}
	}
	return nil
}

// routerPassThrough runs the watermill router from in to out until n
// messages went through, as a user of either watermill adapter would.
func routerPassThrough(ctx context.Context, sub message.Subscriber, pub message.Publisher, in, out string, n int) error {
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 30 * time.Second}, watermill.NopLogger{})
	if err != nil {
		return err
	}
	var done atomic.Int64
	finished := make(chan struct{})
	router.AddHandler("pass", in, sub, out, pub, func(m *message.Message) ([]*message.Message, error) {
		o := message.NewMessage(m.UUID, m.Payload)
		o.Metadata = m.Metadata
		if done.Add(1) == int64(n) {
			close(finished)
		}
		return []*message.Message{o}, nil
	})
	rctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- router.Run(rctx) }()
	select {
	case <-finished:
	case <-ctx.Done():
		cancel()
		return fmt.Errorf("%w after %d of %d", ctx.Err(), done.Load(), n)
	}
	cancel()
	err = <-errc
	_ = pub.Close()
	return err
}

// newsflowBatched is the adapter in a batching loop instead of the router.
type newsflowBatched struct{ newsflowClient }

func (newsflowBatched) name() string { return "newsflow-batched" }

func (newsflowBatched) passThrough(ctx context.Context, brokers []string, in, out, group string, n int) error {
	sub, err := newsflowSub(brokers, group)
	if err != nil {
		return err
	}
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Conn: kafka.ConnConfig{Brokers: brokers}, BatchTimeout: benchBatchTimeout}, nil)
	if err != nil {
		return err
	}
	defer printWriterStats(pub)
	return batchedPassThrough(ctx, sub, pub, in, out, n, 2000)
}

// saramaBatched is watermill-kafka in the same batching loop.
type saramaBatched struct{ saramaClient }

func (saramaBatched) name() string { return "watermill-kafka-batched" }

func (c saramaBatched) passThrough(ctx context.Context, brokers []string, in, out, group string, n int) error {
	sub, err := c.subscriber(brokers, group)
	if err != nil {
		return err
	}
	pub, err := c.publisher(brokers)
	if err != nil {
		return err
	}
	return batchedPassThrough(ctx, sub, pub, in, out, n, 2000)
}

// kgo: franz-go, the ceiling.
type kgoClient struct{}

func (kgoClient) name() string { return "kgo" }

func (kgoClient) produce(ctx context.Context, brokers []string, topic string, msgs []msg) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(2*time.Millisecond), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		return err
	}
	defer cl.Close()
	var failed atomic.Value
	for _, m := range msgs {
		cl.Produce(ctx, &kgo.Record{Key: m.key, Value: m.value}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.Store(err)
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	if e, ok := failed.Load().(error); ok {
		return e
	}
	return nil
}

func (kgoClient) consume(ctx context.Context, brokers []string, topic, group string, n int) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return err
	}
	defer cl.Close()
	got := 0
	for got < n {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			return err
		}
		got += fs.NumRecords()
		if err := cl.CommitUncommittedOffsets(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (kgoClient) passThrough(ctx context.Context, brokers []string, in, out, group string, n int) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(in),
		kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.ProducerLinger(2*time.Millisecond), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		return err
	}
	defer cl.Close()
	got := 0
	for got < n {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			return err
		}
		var failed atomic.Value
		fs.EachRecord(func(r *kgo.Record) {
			cl.Produce(ctx, &kgo.Record{Topic: out, Key: r.Key, Value: r.Value, Headers: r.Headers}, func(_ *kgo.Record, err error) {
				if err != nil {
					failed.Store(err)
				}
			})
		})
		if err := cl.Flush(ctx); err != nil {
			return err
		}
		if e, ok := failed.Load().(error); ok {
			return e
		}
		if err := cl.CommitUncommittedOffsets(ctx); err != nil {
			return err
		}
		got += fs.NumRecords()
	}
	return nil
}

// saramaClient: watermill-kafka, the adapter users would pick otherwise.
type saramaClient struct{}

func (saramaClient) name() string { return "watermill-kafka" }

func (saramaClient) publisher(brokers []string) (*wmkafka.Publisher, error) {
	cfg := wmkafka.DefaultSaramaSyncPublisherConfig()
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	return wmkafka.NewPublisher(wmkafka.PublisherConfig{
		Brokers: brokers, Marshaler: wmkafka.NewWithPartitioningMarshaler(func(_ string, m *message.Message) (string, error) {
			return m.Metadata.Get(kafka.KeyMetadata), nil
		}), OverwriteSaramaConfig: cfg,
	}, nil)
}

func (c saramaClient) produce(ctx context.Context, brokers []string, topic string, msgs []msg) error {
	pub, err := c.publisher(brokers)
	if err != nil {
		return err
	}
	defer pub.Close()
	return publishConcurrently(pub, topic, msgs)
}

func (saramaClient) subscriber(brokers []string, group string) (*wmkafka.Subscriber, error) {
	cfg := wmkafka.DefaultSaramaSubscriberConfig()
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	return wmkafka.NewSubscriber(wmkafka.SubscriberConfig{
		Brokers: brokers, Unmarshaler: wmkafka.DefaultMarshaler{}, ConsumerGroup: group, OverwriteSaramaConfig: cfg,
	}, nil)
}

func (c saramaClient) consume(ctx context.Context, brokers []string, topic, group string, n int) error {
	sub, err := c.subscriber(brokers, group)
	if err != nil {
		return err
	}
	defer sub.Close()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		return err
	}
	return consumeN(ctx, ch, n, nil)
}

func (c saramaClient) passThrough(ctx context.Context, brokers []string, in, out, group string, n int) error {
	sub, err := c.subscriber(brokers, group)
	if err != nil {
		return err
	}
	pub, err := c.publisher(brokers)
	if err != nil {
		return err
	}
	return routerPassThrough(ctx, sub, pub, in, out, n)
}

// Subscriber tuning (-in-flight, -min-bytes, -max-wait).
var (
	benchInFlight = 512
	benchMinBytes = 1
	benchMaxBytes = 0 // the adapter's default
	benchMaxWait  = 250 * time.Millisecond
)

// benchBatchTimeout is the newsflow publisher's linger (-batch-timeout).
var benchBatchTimeout = 2 * time.Millisecond

// routerFloor is the watermill router alone: messages from memory, through
// the same pass-through handler, to a publisher that drops them. What it
// costs per message, any watermill adapter pays on top of its transport.
type routerFloor struct{}

func (routerFloor) name() string { return "router-alone" }

func (routerFloor) produce(context.Context, []string, string, []msg) error { return errNotMeasured }

func (routerFloor) consume(context.Context, []string, string, string, int) error {
	return errNotMeasured
}

// errNotMeasured: the client has nothing to measure in this mode.
var errNotMeasured = errors.New("not measured in this mode")

func (routerFloor) passThrough(ctx context.Context, _ []string, in, out, _ string, n int) error {
	return routerPassThrough(ctx, &memorySub{n: n}, discardPub{}, in, out, n)
}

// memorySub hands out n messages of 2 KiB from memory and ignores acks.
type memorySub struct{ n int }

func (s *memorySub) Subscribe(ctx context.Context, _ string) (<-chan *message.Message, error) {
	ch := make(chan *message.Message)
	payload := make([]byte, 2048)
	go func() {
		// The router stops reading when the channel closes.
		defer close(ch)
		defer func() { <-ctx.Done() }()
		for range s.n {
			m := message.NewMessage(watermill.NewUUID(), payload)
			m.Metadata.Set(kafka.KeyMetadata, "0123456789abcdef0123456789abcdef")
			select {
			case ch <- m:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}

func (s *memorySub) Close() error { return nil }

type discardPub struct{}

func (discardPub) Publish(string, ...*message.Message) error { return nil }
func (discardPub) Close() error                              { return nil }
