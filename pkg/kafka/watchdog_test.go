package kafka_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/newsflow/newsflow/pkg/kafka"
)

// nopObserver hears everything and does nothing: test observers embed it
// and define what they record.
type nopObserver struct{}

func (nopObserver) Assigned(string, []int)           {}
func (nopObserver) Revoked(string, []int)            {}
func (nopObserver) Delivered(kafka.Position)         {}
func (nopObserver) Committed(string, int, int64)     {}
func (nopObserver) FetchError(string, int, error)    {}
func (nopObserver) Stalled(string, int, int64, bool) {}

type stallObserver struct {
	nopObserver
	mu     sync.Mutex
	stalls []bool
}

func (o *stallObserver) Stalled(_ string, _ int, _ int64, recovered bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.stalls = append(o.stalls, recovered)
}

// TestWatchdogReplacesStalledReader blocks every fetch of the topic on the
// broker: the watchdog sees messages waiting and nothing fetched, replaces
// the reader, reports that the replacement is stuck too, and once fetches
// flow again every message arrives.
func TestWatchdogReplacesStalledReader(t *testing.T) {
	topic := "watchdog-" + watermill.NewShortUUID()
	obs := &stallObserver{}
	sub := initializedSubscriber(t, topic, kafka.SubscriberConfig{
		ConsumerGroup: "watchdog", InitializeTopic: kafka.TopicSpec{Partitions: 1},
		StallTimeout: 800 * time.Millisecond, Observer: obs,
	})

	testBroker.Lock()
	cluster := testBroker.b.Cluster()
	testBroker.Unlock()
	release := make(chan struct{})
	var blocked atomic.Int32
	cluster.ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
		cluster.KeepControl()
		select {
		case <-release:
			cluster.DropControl()
			return nil, nil, false
		default:
		}
		for _, tp := range req.(*kmsg.FetchRequest).Topics {
			if tp.Topic == topic {
				blocked.Add(1)
				cluster.SleepControl(func() { <-release })
			}
		}
		return nil, nil, false
	})

	ch, err := sub.Subscribe(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kafka.NewPublisher(kafka.PublisherConfig{Conn: kafka.ConnConfig{Brokers: brokers()}}, logger())
	defer pub.Close()
	for range 5 {
		if err := pub.Publish(topic, message.NewMessage(watermill.NewUUID(), []byte("x"))); err != nil {
			t.Fatal(err)
		}
	}

	deadline := time.Now().Add(20 * time.Second)
	for {
		obs.mu.Lock()
		n := len(obs.stalls)
		stuckAgain := n >= 2 && !obs.stalls[n-1]
		obs.mu.Unlock()
		if stuckAgain {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("watchdog reported %d stalls (blocked fetches %d); want a replaced reader reported stuck again", n, blocked.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(release)
	for i := range 5 {
		select {
		case m := <-ch:
			m.Ack()
		case <-time.After(20 * time.Second):
			t.Fatalf("received %d of 5 messages after fetches flowed again", i)
		}
	}
}

// TestWatchdogSparesBusyHandlers holds a partition's in-flight messages
// unacknowledged, as a sink does while its database is down: the reader is
// not asked for more, so nothing is fetched while messages wait, yet the
// reader is not stuck and must not be replaced or reported.
func TestWatchdogSparesBusyHandlers(t *testing.T) {
	topic := "watchdog-busy-" + watermill.NewShortUUID()
	obs := &stallObserver{}
	sub := initializedSubscriber(t, topic, kafka.SubscriberConfig{
		ConsumerGroup: "watchdog-busy", InitializeTopic: kafka.TopicSpec{Partitions: 1},
		StallTimeout: 400 * time.Millisecond, MaxInFlight: 2, Observer: obs,
	})
	ch, err := sub.Subscribe(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kafka.NewPublisher(kafka.PublisherConfig{Conn: kafka.ConnConfig{Brokers: brokers()}}, logger())
	defer pub.Close()
	const n = 10
	for range n {
		if err := pub.Publish(topic, message.NewMessage(watermill.NewUUID(), []byte("x"))); err != nil {
			t.Fatal(err)
		}
	}
	var held []*message.Message
	for len(held) < 2 {
		select {
		case m := <-ch:
			held = append(held, m)
		case <-time.After(20 * time.Second):
			t.Fatalf("received %d of the first 2 messages", len(held))
		}
	}
	time.Sleep(2 * time.Second) // five stall timeouts with the handler busy
	obs.mu.Lock()
	stalls := len(obs.stalls)
	obs.mu.Unlock()
	if stalls > 0 {
		t.Errorf("watchdog reported %d stalls while the handler held the in-flight window; want none", stalls)
	}
	for _, m := range held {
		m.Ack()
	}
	for i := 2; i < n; i++ {
		select {
		case m := <-ch:
			m.Ack()
		case <-time.After(20 * time.Second):
			t.Fatalf("received %d of %d messages after the handler acknowledged", i, n)
		}
	}
}
