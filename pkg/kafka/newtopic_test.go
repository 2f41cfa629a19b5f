package kafka_test

import (
	"context"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/pkg/kafka"
)

// TestPublishToTopicCreatedSince publishes to a topic another client created
// after the publisher last read the cluster's metadata: the publisher must
// find it, not fail with "Unknown Topic Or Partition" until its metadata
// expires (what a reprocess or a DLQ topic made by another process meets).
func TestPublishToTopicCreatedSince(t *testing.T) {
	first, later := "first-"+watermill.NewShortUUID(), "later-"+watermill.NewShortUUID()
	ctx, admin, pub := topicAndPublisher(t, first)
	if err := pub.Publish(first, message.NewMessage(watermill.NewUUID(), []byte("a"))); err != nil {
		t.Fatal(err)
	}
	if err := admin.EnsureTopics(ctx, kafka.TopicSpec{Name: later, Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(later, message.NewMessage(watermill.NewUUID(), []byte("b"))); err != nil {
		t.Fatalf("publishing to a topic created since: %v", err)
	}
}

// TestPublishSpreadsOverAddedPartitions adds partitions to a topic a
// publisher already writes to: once the cluster's metadata is read again,
// keyed messages land on the new partitions too. The publisher keeps
// partition counts in a cache of its own, which must not hold them longer.
func TestPublishSpreadsOverAddedPartitions(t *testing.T) {
	topic := "grown-" + watermill.NewShortUUID()
	ctx, admin, pub := topicAndPublisher(t, topic)
	publish := func() {
		msgs := make([]*message.Message, 40)
		for i := range msgs {
			msgs[i] = message.NewMessage(watermill.NewUUID(), []byte("x"))
			msgs[i].Metadata.Set(kafka.KeyMetadata, watermill.NewUUID())
		}
		if err := pub.Publish(topic, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	publish()
	client := &kafkago.Client{Addr: kafkago.TCP(brokers()...)}
	resp, err := client.CreatePartitions(ctx, &kafkago.CreatePartitionsRequest{
		Topics: []kafkago.TopicPartitionsConfig{{Name: topic, Count: 4}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range resp.Errors {
		if e != nil {
			t.Fatal(e)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		publish()
		offs, err := admin.TopicOffsets(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		if len(offs) == 4 && offs[1].End > 0 && offs[2].End > 0 && offs[3].End > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s the added partitions hold %v; want messages on all four", offs)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// topicAndPublisher creates topic with one partition and returns a context
// for the test's calls, an admin and a publisher, all ended with the test.
func topicAndPublisher(t *testing.T, topic string) (context.Context, *kafka.Admin, *kafka.Publisher) {
	t.Helper()
	conn := kafka.ConnConfig{Brokers: brokers()}
	admin, err := kafka.NewAdmin(conn)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	if err := admin.EnsureTopics(ctx, kafka.TopicSpec{Name: topic, Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Conn: conn}, logger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close() })
	return ctx, admin, pub
}
