package kafka_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/newsflow/newsflow/pkg/kafka"
)

// TestNacksRetryTogether nacks a whole window of messages, the first one
// last, as a sink does when a batch write fails: every message comes back
// after one resend pause, not one pause per message behind the first.
func TestNacksRetryTogether(t *testing.T) {
	const n, pause = 20, time.Second
	topic := "nacks-" + watermill.NewShortUUID()
	sub := initializedSubscriber(t, topic, kafka.SubscriberConfig{
		ConsumerGroup: "nacks", InitializeTopic: kafka.TopicSpec{Partitions: 1},
		MaxInFlight: n, NackResendSleep: pause,
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kafka.NewPublisher(kafka.PublisherConfig{Conn: kafka.ConnConfig{Brokers: brokers()}}, logger())
	defer pub.Close()
	var sent []string
	var msgs []*message.Message
	for i := range n {
		m := message.NewMessage(watermill.NewUUID(), []byte{byte(i)})
		sent = append(sent, m.UUID)
		msgs = append(msgs, m)
	}
	if err := pub.Publish(topic, msgs...); err != nil {
		t.Fatal(err)
	}

	receive := func() []*message.Message {
		var got []*message.Message
		for len(got) < n {
			select {
			case m := <-ch:
				got = append(got, m)
			case <-ctx.Done():
				t.Fatalf("received %d of %d", len(got), n)
			}
		}
		return got
	}
	first := receive()
	for _, m := range slices.Backward(first) {
		m.Nack()
	}
	start := time.Now()
	again := receive()
	took := time.Since(start)
	var uuids []string
	for _, m := range again {
		uuids = append(uuids, m.UUID)
		m.Ack()
	}
	slices.Sort(uuids)
	slices.Sort(sent)
	if !slices.Equal(uuids, sent) {
		t.Fatalf("redelivered %v, want %v", uuids, sent)
	}
	// One pause per message would take 20 s; together they take one.
	if took > n*pause/2 {
		t.Fatalf("redelivering %d nacked messages took %s: retries waited for each other", n, took)
	}
}
