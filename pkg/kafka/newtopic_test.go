package kafka_test

import (
	"context"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/newsflow/newsflow/pkg/kafka"
)

// TestPublishToTopicCreatedSince publishes to a topic another client created
// after the publisher last read the cluster's metadata: the publisher must
// find it, not fail with "Unknown Topic Or Partition" until its metadata
// expires (what a reprocess or a DLQ topic made by another process meets).
func TestPublishToTopicCreatedSince(t *testing.T) {
	conn := kafka.ConnConfig{Brokers: brokers()}
	admin, err := kafka.NewAdmin(conn)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	first, later := "first-"+watermill.NewShortUUID(), "later-"+watermill.NewShortUUID()
	if err := admin.EnsureTopics(ctx, kafka.TopicSpec{Name: first, Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Conn: conn}, logger())
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
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
