// Package publish puts raw articles on Kafka: encoded per the contract,
// keyed by article id, with the contract headers, synchronously (a call
// returns once every article is acknowledged by all in-sync replicas).
package publish

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// Config configures a Kafka publisher of raw articles.
type Config struct {
	Topic string
	// Chunk is how many messages one produce call carries at most.
	Chunk int
}

func (c *Config) setDefaults() {
	if c.Topic == "" {
		c.Topic = article.RawTopic
	}
	if c.Chunk == 0 {
		c.Chunk = 500
	}
}

// Validate reports every mistake in the configuration.
func (c *Config) Validate() error {
	if c.Chunk < 1 {
		return errors.New("publish chunk must be at least 1")
	}
	return nil
}

// Kafka publishes raw articles through newsflow's Kafka publisher.
type Kafka struct {
	cfg       Config
	pub       *kafka.Publisher
	published atomic.Int64
}

// Published is how many messages were acknowledged so far, for metrics.
func (k *Kafka) Published() int64 { return k.published.Load() }

// New wraps a publisher. Closing it stays with the caller.
func New(cfg Config, pub *kafka.Publisher) (*Kafka, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Kafka{cfg: cfg, pub: pub}, nil
}

// Topic is where articles go.
func (k *Kafka) Topic() string { return k.cfg.Topic }

// Message encodes an article as a message: the contract JSON, keyed by the
// article id through its headers.
func Message(a *article.Raw) (*message.Message, error) {
	data, err := article.Encode(a)
	if err != nil {
		return nil, err
	}
	return Encoded(a, data), nil
}

// Encoded is Message for an article already encoded as data.
func Encoded(a *article.Raw, data []byte) *message.Message {
	msg := message.NewMessage(watermill.NewUUID(), data)
	msg.Metadata = a.Headers()
	return msg
}

// Publish encodes and publishes articles, returning once all are
// acknowledged. On error some may have been written; callers retry the
// whole set, which the sinks' upsert by id makes harmless.
func (k *Kafka) Publish(ctx context.Context, arts []*article.Raw) error {
	msgs := make([]*message.Message, 0, len(arts))
	for _, a := range arts {
		msg, err := Message(a)
		if err != nil {
			return fmt.Errorf("encoding article %s: %w", a.ID, err)
		}
		msgs = append(msgs, msg)
	}
	return k.PublishMessages(ctx, msgs)
}

// PublishMessages publishes encoded messages in chunks.
func (k *Kafka) PublishMessages(ctx context.Context, msgs []*message.Message) error {
	for start := 0; start < len(msgs); start += k.cfg.Chunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		chunk := msgs[start:min(start+k.cfg.Chunk, len(msgs))]
		if err := k.pub.Publish(k.cfg.Topic, chunk...); err != nil {
			return err
		}
		k.published.Add(int64(len(chunk)))
	}
	return nil
}
