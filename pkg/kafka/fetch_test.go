package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/newsflow/newsflow/pkg/kafka"
)

// receive takes n messages from ch, acknowledging each, and returns their
// messages.
func receive(t *testing.T, ch <-chan *message.Message, n int) []*message.Message {
	t.Helper()
	var got []*message.Message
	for len(got) < n {
		select {
		case m := <-ch:
			m.Ack()
			got = append(got, m)
		case <-time.After(20 * time.Second):
			t.Fatalf("received %d of %d messages", len(got), n)
		}
	}
	return got
}

func offsetOf(m *message.Message) int64 {
	pos, _ := kafka.PositionFromCtx(m.Context())
	return pos.Offset
}

func publish(t *testing.T, topic string, payloads ...string) {
	t.Helper()
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Conn: kafka.ConnConfig{Brokers: brokers()}}, logger())
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	msgs := make([]*message.Message, len(payloads))
	for i, p := range payloads {
		msgs[i] = message.NewMessage(watermill.NewUUID(), []byte(p))
	}
	if err := pub.Publish(topic, msgs...); err != nil {
		t.Fatal(err)
	}
}

// A transactional producer (Kafka Connect, Flink, a Java service with
// exactly-once on) leaves a commit marker after its records. The marker is
// no message, and the subscriber must step over it: a fetcher that stayed
// at the marker's offset would ask for it again and again, at once.
func TestTransactionMarkersAreSkipped(t *testing.T) {
	topic := "txn-" + watermill.NewShortUUID()
	sub := initializedSubscriber(t, topic, kafka.SubscriberConfig{
		ConsumerGroup: "cg-" + topic, InitializeTopic: kafka.TopicSpec{Partitions: 1},
		MaxWait: 100 * time.Millisecond,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers()...), kgo.DefaultProduceTopic(topic),
		kgo.TransactionalID("txn-"+topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := cl.ProduceSync(ctx, kgo.StringRecord(fmt.Sprintf("in-txn-%d", i))).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}

	fetches := countFetches(t, topic)
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	got := receive(t, ch, 3)
	for i, m := range got {
		if want := fmt.Sprintf("in-txn-%d", i); string(m.Payload) != want {
			t.Fatalf("message %d is %q, want %q", i, m.Payload, want)
		}
	}
	// Past the marker, the fetcher waits on the broker (MaxWait 100 ms)
	// for what comes next: a handful of fetches in a second, not hundreds.
	before := fetches.Load()
	time.Sleep(time.Second)
	if n := fetches.Load() - before; n > 30 {
		t.Fatalf("%d fetches in a second with nothing to read after a transaction marker", n)
	}

	publish(t, topic, "after-txn")
	if m := receive(t, ch, 1)[0]; string(m.Payload) != "after-txn" {
		t.Fatalf("message after the transaction is %q", m.Payload)
	}
	select {
	case m := <-ch:
		t.Fatalf("unexpected message %q at offset %d", m.Payload, offsetOf(m))
	case <-time.After(300 * time.Millisecond):
	}
}

// countFetches counts the fetch requests for topic the test broker gets
// until the test ends.
func countFetches(t *testing.T, topic string) *atomic.Int32 {
	testBroker.Lock()
	cluster := testBroker.b.Cluster()
	testBroker.Unlock()
	var fetches atomic.Int32
	var done atomic.Bool
	t.Cleanup(func() { done.Store(true) })
	cluster.ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
		if done.Load() {
			cluster.DropControl()
			return nil, nil, false
		}
		cluster.KeepControl()
		for _, tp := range req.(*kmsg.FetchRequest).Topics {
			if tp.Topic == topic {
				fetches.Add(1)
			}
		}
		return nil, nil, false
	})
	return &fetches
}

// The messages of one fetch share memory; each payload must still be its
// own slice, so a handler appending to one cannot overwrite the next.
func TestFetchedPayloadsDoNotOverlap(t *testing.T) {
	topic := "payloads-" + watermill.NewShortUUID()
	sub := initializedSubscriber(t, topic, kafka.SubscriberConfig{
		ConsumerGroup: "cg-" + topic, InitializeTopic: kafka.TopicSpec{Partitions: 1}, MaxInFlight: 3,
	})
	publish(t, topic, "first", "second", "third")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	got := receive(t, ch, 3)
	_ = append(got[0].Payload, "XXXXXXXX"...)
	_ = append(got[1].Payload, "YYYYYYYY"...)
	for i, want := range []string{"first", "second", "third"} {
		if string(got[i].Payload) != want {
			t.Fatalf("message %d is %q after appending to the others, want %q", i, got[i].Payload, want)
		}
	}
}

// A group whose committed offset is past the end of the log (the topic was
// recreated, or the commit came from another cluster) starts again at the
// earliest offset kept, rather than stall.
func TestOffsetOutOfRangeResumesFromEarliest(t *testing.T) {
	topic := "out-of-range-" + watermill.NewShortUUID()
	group := "cg-" + topic
	sub := initializedSubscriber(t, topic, kafka.SubscriberConfig{
		ConsumerGroup: group, InitializeTopic: kafka.TopicSpec{Partitions: 1},
	})
	publish(t, topic, "a", "b", "c")
	admin, err := kafka.NewAdmin(kafka.ConnConfig{Brokers: brokers()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := admin.CommitOffsets(ctx, group, topic, map[int]int64{0: 1000}); err != nil {
		t.Fatal(err)
	}
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range receive(t, ch, 3) {
		if want := string(rune('a' + i)); string(m.Payload) != want {
			t.Fatalf("message %d is %q, want %q", i, m.Payload, want)
		}
	}
}

// A group without a committed offset and InitialOffset LastOffset reads
// only what is published after it joined.
func TestInitialOffsetLast(t *testing.T) {
	topic := "last-" + watermill.NewShortUUID()
	sub := initializedSubscriber(t, topic, kafka.SubscriberConfig{
		ConsumerGroup: "cg-" + topic, InitializeTopic: kafka.TopicSpec{Partitions: 1},
		InitialOffset: kafkago.LastOffset,
	})
	publish(t, topic, "old")
	fetches := countFetches(t, topic)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	// Once the broker sees a fetch, the fetcher has found where the end
	// was: publish after that.
	for fetches.Load() == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("no fetch reached the broker")
		case <-time.After(10 * time.Millisecond):
		}
	}
	publish(t, topic, "new")
	if m := receive(t, ch, 1)[0]; string(m.Payload) != "new" {
		t.Fatalf("first message is %q, want only what came after joining", m.Payload)
	}
}

// fetchErrors records when partitions were assigned and which fetches
// failed on a connection (not with a Kafka error code).
type fetchErrors struct {
	nopObserver
	mu       sync.Mutex
	assigned time.Time
	after    int // connection errors since the last assignment
}

func (o *fetchErrors) Assigned(string, []int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.assigned, o.after = time.Now(), 0
}

func (o *fetchErrors) FetchError(_ string, _ int, err error) {
	var kerr kafkago.Error
	if errors.As(err, &kerr) {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.after++
}

// After a broker restart, the fetches' pooled connections to the old
// process are dead. The first failure drops them all: the partitions
// fetch again on new connections at once, rather than each failing on
// one stale connection after another with growing backoff (18 failed
// fetches over several seconds on 6 partitions, before).
func TestFetchAfterBrokerRestart(t *testing.T) {
	const partitions = 6
	topic := "restart-" + watermill.NewShortUUID()
	obs := &fetchErrors{}
	sub := initializedSubscriber(t, topic, kafka.SubscriberConfig{
		ConsumerGroup: "cg-" + topic, InitializeTopic: kafka.TopicSpec{Partitions: partitions},
		Observer: obs, MaxInFlight: 8,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Int64
	go func() {
		for m := range ch {
			got.Add(1)
			m.Ack()
		}
	}()
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Conn: kafka.ConnConfig{Brokers: brokers()}}, logger())
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	stop := make(chan struct{})
	published := make(chan struct{})
	go func() {
		defer close(published)
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			_ = pub.Publish(topic, message.NewMessage(watermill.NewUUID(), []byte("x")))
		}
	}()
	defer func() { close(stop); <-published }()

	for got.Load() < 500 {
		if ctx.Err() != nil {
			t.Fatal("nothing flowed before the restart")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := restartBroker(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	base := got.Load()
	for got.Load() < base+500 {
		if ctx.Err() != nil {
			t.Fatalf("%d messages in 2 minutes after the restart", got.Load()-base)
		}
		time.Sleep(10 * time.Millisecond)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	// kafka-go's group ends at the first failed heartbeat, so the
	// partitions are assigned again after the restart.
	if obs.assigned.Before(restarted) {
		t.Fatal("the partitions were not assigned again after the restart")
	}
	if obs.after > partitions {
		t.Fatalf("%d fetches failed on connections after the partitions were assigned again; want at most one round", obs.after)
	}
}
