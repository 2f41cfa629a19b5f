package kafka_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/newsflow/newsflow/pkg/kafka"
)

// A record batch larger than the subscriber's fetch size still arrives
// whole: the broker returns the first batch of a partition whatever its size,
// and the reader must take it rather than stall at that offset. The
// subscriber's default fetch size (1 MiB) is below what a batch of several
// large articles can reach.
func TestBatchLargerThanFetchSize(t *testing.T) {
	const (
		n        = 12
		size     = 200 << 10
		maxBytes = 64 << 10
	)
	topic := "fetch-size-" + watermill.NewShortUUID()
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Conn: kafka.ConnConfig{Brokers: brokers()}}, logger())
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	sub := initializedSubscriber(t, topic, kafka.SubscriberConfig{
		ConsumerGroup:   "cg-" + topic,
		InitializeTopic: kafka.TopicSpec{Partitions: 1},
		MaxBytes:        maxBytes,
	})

	// One Publish call: the messages go out in batches of several payloads,
	// each batch several times maxBytes.
	msgs := make([]*message.Message, n)
	for i := range msgs {
		msgs[i] = message.NewMessage(watermill.NewUUID(), bytes.Repeat([]byte{byte('a' + i)}, size))
		msgs[i].Metadata.Set(kafka.KeyMetadata, fmt.Sprintf("article-%02d", i))
	}
	if err := pub.Publish(topic, msgs...); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		select {
		case m := <-ch:
			if len(m.Payload) != size || m.Payload[0] != byte('a'+i) {
				t.Fatalf("message %d: %d bytes starting %q, want %d bytes of %q", i, len(m.Payload), m.Payload[:1], size, byte('a'+i))
			}
			m.Ack()
		case <-ctx.Done():
			t.Fatalf("received %d of %d messages larger than the fetch size", i, n)
		}
	}
}
