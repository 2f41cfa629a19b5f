package kafka

import (
	"context"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	kafkago "github.com/segmentio/kafka-go"
)

// UUIDHeader carries the watermill message UUID, named as watermill-kafka
// names it so both adapters read each other's messages.
const UUIDHeader = "_watermill_message_uuid"

// KeyMetadata is the metadata key whose value becomes the Kafka message key
// with the DefaultMarshaler: the article id.
const KeyMetadata = "article_id"

// Marshaler turns a watermill message into a Kafka message.
type Marshaler interface {
	Marshal(topic string, msg *message.Message) (kafkago.Message, error)
}

// Unmarshaler turns a Kafka message into a watermill message.
type Unmarshaler interface {
	Unmarshal(kafkago.Message) (*message.Message, error)
}

// DefaultMarshaler carries metadata as headers and keys messages by their
// article_id metadata (or KeyFunc), so the same article always lands on the
// same partition.
type DefaultMarshaler struct {
	// KeyFunc, when set, chooses the key instead of the article_id metadata.
	// A nil key spreads messages over partitions at random.
	KeyFunc func(topic string, msg *message.Message) []byte
}

// Marshal implements Marshaler.
func (m DefaultMarshaler) Marshal(topic string, msg *message.Message) (kafkago.Message, error) {
	// Every header value is a slice of one buffer: two allocations a
	// message however much metadata it carries.
	size := len(msg.UUID)
	for _, v := range msg.Metadata {
		size += len(v)
	}
	buf := make([]byte, 0, size)
	headers := make([]kafkago.Header, 0, len(msg.Metadata)+1)
	buf = append(buf, msg.UUID...)
	headers = append(headers, kafkago.Header{Key: UUIDHeader, Value: buf[:len(buf):len(buf)]})
	for k, v := range msg.Metadata {
		start := len(buf)
		buf = append(buf, v...)
		headers = append(headers, kafkago.Header{Key: k, Value: buf[start:len(buf):len(buf)]})
	}
	var key []byte
	if m.KeyFunc != nil {
		key = m.KeyFunc(topic, msg)
	} else if id := msg.Metadata.Get(KeyMetadata); id != "" {
		key = []byte(id)
	}
	return kafkago.Message{Topic: topic, Key: key, Value: msg.Payload, Headers: headers}, nil
}

// Unmarshal implements Unmarshaler. It never fails: any bytes are a payload.
func (DefaultMarshaler) Unmarshal(km kafkago.Message) (*message.Message, error) {
	// The header values become substrings of one string: one allocation
	// however many there are.
	size := 0
	for _, h := range km.Headers {
		size += len(h.Value)
	}
	var all strings.Builder
	all.Grow(size)
	for _, h := range km.Headers {
		all.Write(h.Value)
	}
	values := all.String()
	msg := message.NewMessage("", km.Value)
	md := msg.Metadata
	for _, h := range km.Headers {
		v := values[:len(h.Value)]
		values = values[len(h.Value):]
		if h.Key == UUIDHeader {
			msg.UUID = v
		} else {
			md[h.Key] = v
		}
	}
	if _, ok := md[KeyMetadata]; !ok && len(km.Key) > 0 {
		md[KeyMetadata] = string(km.Key)
	}
	return msg, nil
}

// Position is where a consumed message sits in Kafka.
type Position struct {
	Topic     string
	Partition int
	Offset    int64
	Key       []byte
	Time      time.Time // the record timestamp
}

type positionKey struct{}

// WithPosition returns ctx carrying a message's Kafka position, as the
// subscriber sets it; tools that build messages outside it use this.
func WithPosition(ctx context.Context, p Position) context.Context {
	return &positionCtx{Context: ctx, pos: p}
}

// positionCtx carries a Position: one allocation, where context.WithValue
// takes two (the context and the boxed Position).
type positionCtx struct {
	context.Context
	pos Position
}

func (c *positionCtx) Value(key any) any {
	if key == (positionKey{}) {
		return &c.pos
	}
	return c.Context.Value(key)
}

// PositionFromCtx returns the Kafka position of a consumed message from its
// context.
func PositionFromCtx(ctx context.Context) (Position, bool) {
	p, ok := ctx.Value(positionKey{}).(*Position)
	if !ok {
		return Position{}, false
	}
	return *p, true
}
